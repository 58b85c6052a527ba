//! What the benches share: sizes from the environment, medians, kcat runs that count what they
//! read without holding it, and peer processes that cannot outlive the bench.
#![allow(dead_code)]

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Records per measured run: LKM_BENCH_RECORDS (default 1,000,000).
pub fn records() -> usize {
    env_number("LKM_BENCH_RECORDS", 1_000_000)
}

/// Repetitions of a timed start: LKM_BENCH_RUNS (default 5).
pub fn runs() -> usize {
    env_number("LKM_BENCH_RUNS", 5).max(1)
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn rate(n: usize, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64()
}

/// "1.39 M", "525 K": records per second as the README tables show them.
pub fn human_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} M", r / 1e6)
    } else if r >= 1e3 {
        format!("{:.1} K", r / 1e3)
    } else {
        format!("{r:.0}")
    }
}

/// A peer process (a JVM, a kcat) killed when dropped, so a failing bench leaves none behind.
pub struct Peer {
    child: Option<Child>,
    what: String,
}

impl Peer {
    pub fn spawn(what: &str, cmd: &mut Command) -> Peer {
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        Peer {
            child: Some(child),
            what: what.into(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, |c| c.id())
    }

    /// Whether the process has exited (and how).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut()?.try_wait().ok().flatten()
    }

    /// Asks the process to stop (SIGTERM) and waits up to `within`, then kills it.
    pub fn stop(&mut self, within: Duration) {
        let Some(child) = self.child.as_mut() else {
            return;
        };
        // SAFETY: kill(2) on the pid of a child we own and have not reaped yet.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if child.try_wait().ok().flatten().is_some() {
                self.child = None;
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!("{} did not stop within {within:?}: killed", self.what);
        self.kill();
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Runs `cmd` (its stdout piped) and counts the newlines it prints, without keeping them.
/// Panics with its stderr when it fails.
pub fn count_lines(cmd: &mut Command) -> usize {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut buf = vec![0u8; 1 << 20];
    let mut lines = 0;
    loop {
        let n = out.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        lines += buf[..n].iter().filter(|b| **b == b'\n').count();
    }
    let res = child.wait_with_output().expect("wait");
    assert!(
        res.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&res.stderr)
    );
    lines
}

/// Runs `cmd` to completion; panics with its stderr when it fails.
pub fn run(cmd: &mut Command) {
    let out = cmd.output().expect("spawn");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A file of `n` lines "key-i<TAB>value" with values of `size` bytes (kcat -P -K '\t' input).
pub fn keyed_input(n: usize, size: usize) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut f = tempfile::NamedTempFile::new().unwrap();
    let value = "x".repeat(size);
    let mut w = std::io::BufWriter::new(f.as_file_mut());
    for i in 0..n {
        writeln!(w, "key-{i}\t{value}").unwrap();
    }
    drop(w);
    f
}

/// What the table says about the broker.
pub fn broker_label() -> String {
    match crate::common::test_broker() {
        crate::common::TestBroker::Kafka => "Apache Kafka 4.1 (one broker, 256 MB heap)".into(),
        crate::common::TestBroker::Tansu => "tansu (memory engine)".into(),
    }
}
