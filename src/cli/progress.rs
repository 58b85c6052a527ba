//! Following an operation (WatchOperation): a progress bar per topic on a terminal, plain
//! progress lines otherwise (logs, CI), or NDJSON events; progress goes to stderr so stdout
//! keeps only the result.

use std::collections::{BTreeMap, VecDeque};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::Ctx;
use super::error::CliResult;
use super::output::{self, bytes, count, rate, short, span};
use crate::pb;

/// How progress is shown while following an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// Bars per topic (stderr is a terminal).
    Bars,
    /// A line per topic about once a second, and when it is done.
    Lines,
    /// Nothing until the end.
    Quiet,
    /// Every event as one line of JSON on stdout.
    Events,
}

impl Display {
    /// Bars on a terminal, lines elsewhere.
    pub fn for_stderr() -> Display {
        if std::io::stderr().is_terminal() {
            Display::Bars
        } else {
            Display::Lines
        }
    }
}

/// How often a progress line per topic is printed (Lines).
const LINE_EVERY: Duration = Duration::from_secs(1);

/// The span over which a topic's rate is measured.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// Follows operation `id` until it reaches a final state (or the stream ends) and returns its
/// last state. Ctrl-C stops following (the operation goes on in the server).
pub async fn follow(ctx: &Ctx, id: &str, display: Display) -> CliResult<pb::Operation> {
    let mut stream = ctx
        .api
        .operations()
        .watch_operation(pb::WatchOperationRequest {
            operation_id: id.to_string(),
        })
        .await?
        .into_inner();
    let mut view = View::new(display);
    let mut last = None;
    loop {
        let event = tokio::select! {
            e = stream.message() => e?,
            _ = tokio::signal::ctrl_c() => {
                view.clear();
                return Err(format!(
                    "stopped following; operation {id} goes on in the server \
                     (`lkm ops watch {id}` follows it again, `lkm ops cancel {id}` stops it)"
                )
                .into());
            }
        };
        let Some(event) = event else { break };
        if display == Display::Events {
            output::json(&event)?;
        }
        let Some(op) = event.operation else { continue };
        view.update(&op);
        last = Some(op);
        if event.r#final {
            break;
        }
    }
    view.finish();
    last.ok_or_else(|| format!("operation {id}: the server sent no state").into())
}

/// One topic's progress, summed over its partitions.
#[derive(Default)]
struct TopicProgress {
    copied: i64,
    total: i64,
    bytes: i64,
    done: bool,
    /// Recent (time, records copied) samples, for the topic's own rate.
    samples: VecDeque<(Instant, i64)>,
    last_line: Option<Instant>,
    line_done: bool,
    bar: Option<ProgressBar>,
}

impl TopicProgress {
    fn sample(&mut self, now: Instant) {
        self.samples.push_back((now, self.copied));
        while self.samples.len() > 2
            && self
                .samples
                .get(1)
                .is_some_and(|(t, _)| now.duration_since(*t) >= RATE_WINDOW)
        {
            self.samples.pop_front();
        }
    }

    /// Records per second over the last few seconds; `fallback` (the operation's) until
    /// there is half a second of samples.
    fn rate(&self, now: Instant, fallback: f64) -> f64 {
        match self.samples.front() {
            Some((t0, c0)) if now.duration_since(*t0) >= Duration::from_millis(500) => {
                (self.copied - c0) as f64 / now.duration_since(*t0).as_secs_f64()
            }
            _ => fallback,
        }
    }

    fn percent(&self) -> f64 {
        if self.total <= 0 {
            if self.done { 100.0 } else { 0.0 }
        } else {
            self.copied as f64 * 100.0 / self.total as f64
        }
    }

    /// "1,500/3,000 records (50%), 120.0 KiB, 2.1K rec/s, ETA 1s".
    fn detail(&self, now: Instant, fallback: f64) -> String {
        format!(
            "{}/{} records ({:.0}%){}",
            count(self.copied),
            count(self.total),
            self.percent(),
            self.speed(now, fallback)
        )
    }

    /// ", 120.0 KiB, 2.1K rec/s, ETA 1s" (or ", 120.0 KiB, done").
    fn speed(&self, now: Instant, fallback: f64) -> String {
        let per_sec = self.rate(now, fallback);
        let mut text = format!(", {}", bytes(self.bytes));
        if self.done {
            text.push_str(", done");
        } else if per_sec > 0.0 {
            text.push_str(&format!(", {} rec/s", rate(per_sec)));
            let remaining = (self.total - self.copied).max(0) as f64;
            text.push_str(&format!(", ETA {}", span(remaining / per_sec)));
        }
        text
    }
}

struct View {
    display: Display,
    bars: Option<MultiProgress>,
    topics: BTreeMap<String, TopicProgress>,
    status: Option<i32>,
}

impl View {
    fn new(display: Display) -> View {
        let bars = (display == Display::Bars)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        View {
            display,
            bars,
            topics: BTreeMap::new(),
            status: None,
        }
    }

    fn update(&mut self, op: &pb::Operation) {
        if matches!(self.display, Display::Quiet | Display::Events) {
            return;
        }
        let now = Instant::now();
        if self.display == Display::Lines && self.status != Some(op.status) {
            eprintln!(
                "operation {}: {}",
                op.id,
                short(op.status().as_str_name(), "OPERATION_STATUS_")
            );
        }
        self.status = Some(op.status);
        let Some(progress) = &op.progress else { return };
        let mut sums: BTreeMap<&str, (i64, i64, i64, bool)> = BTreeMap::new();
        for p in &progress.partitions {
            let e = sums.entry(p.topic.as_str()).or_insert((0, 0, 0, true));
            e.0 += p.messages_copied;
            e.1 += p.messages_total;
            e.2 += p.bytes_copied;
            e.3 &= p.done;
        }
        let fallback = progress.messages_per_second;
        let width = sums.keys().map(|t| t.chars().count()).max().unwrap_or(0);
        for (topic, (copied, total, b, done)) in sums {
            let t = self.topics.entry(topic.to_string()).or_default();
            t.copied = copied;
            t.total = total;
            t.bytes = b;
            t.done = done;
            t.sample(now);
            match self.display {
                Display::Bars => {
                    let speed = t.speed(now, fallback);
                    let bar = t.bar.get_or_insert_with(|| {
                        let bar = ProgressBar::new(total.max(0) as u64);
                        let style = ProgressStyle::with_template(&format!(
                            "{{prefix:<{width}}} [{{bar:30}}] {{human_pos}}/{{human_len}} records \
                             ({{percent}}%){{msg}}"
                        ))
                        .unwrap_or_else(|_| ProgressStyle::default_bar())
                        .progress_chars("=> ");
                        bar.set_style(style);
                        bar.set_prefix(topic.to_string());
                        match &self.bars {
                            Some(m) => m.add(bar),
                            None => bar,
                        }
                    });
                    bar.set_length(total.max(0) as u64);
                    bar.set_position(copied.max(0) as u64);
                    bar.set_message(speed);
                    if done && !bar.is_finished() {
                        bar.finish();
                    }
                }
                Display::Lines => {
                    let due = t
                        .last_line
                        .is_none_or(|l| now.duration_since(l) >= LINE_EVERY);
                    if (done && !t.line_done) || (!done && due) {
                        eprintln!("  {topic:<width$}  {}", t.detail(now, fallback));
                        t.last_line = Some(now);
                        t.line_done = done;
                    }
                }
                Display::Quiet | Display::Events => {}
            }
        }
    }

    fn finish(&mut self) {
        for t in self.topics.values() {
            if let Some(bar) = &t.bar
                && !bar.is_finished()
            {
                bar.abandon();
            }
        }
    }

    fn clear(&mut self) {
        if let Some(m) = &self.bars {
            let _ = m.clear();
        }
    }
}
