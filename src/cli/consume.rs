//! `lkm consume`: reads records (Consume), or follows a topic (ConsumeStream).

use std::io::Write;
use std::time::Duration;

use base64::Engine;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, Table};
use super::parse;
use crate::pb;

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Output: a table of PARTITION, OFFSET, TIMESTAMP, KEY, VALUE (binary keys and values as
base64:…); with --values only the values, one per line, as they are. With --output json, one
ConsumeResponse document, or with --follow one ConsumedRecord per line (NDJSON).

Examples:
  lkm consume dev orders                      # up to 100 records from the beginning
  lkm consume dev orders --from end --follow  # new records as they arrive (Ctrl-C stops)
  lkm consume dev orders --time 15m -n 1000   # records of the last 15 minutes
  lkm consume dev orders --group billing      # from billing's committed offsets, committing")]
pub struct Args {
    /// Cluster name or id.
    pub cluster: String,
    pub topic: String,
    /// Where to start [default: beginning; committed with --group].
    #[arg(long, value_enum, conflicts_with_all = ["offset", "time"])]
    pub from: Option<Start>,
    /// Start at this offset (in every partition read; kept within the watermarks).
    #[arg(long, conflicts_with = "time")]
    pub offset: Option<i64>,
    /// Start at the first record at or after this time: RFC 3339, or an age like 15m, 2h.
    #[arg(long, value_parser = parse::timestamp)]
    pub time: Option<prost_types::Timestamp>,
    /// Only this partition.
    #[arg(long, short = 'p')]
    pub partition: Option<i32>,
    /// At most this many records [default: 100; with --follow: no limit].
    #[arg(long, short = 'n')]
    pub max: Option<i64>,
    /// Keep reading records as they arrive, until --max records or Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// Consume as this consumer group, committing what was read.
    #[arg(long, short = 'g')]
    pub group: Option<String>,
    /// Without --follow: how long to wait at most [default: until the partitions' end is
    /// reached, up to 30s; from the end, 1s for new records; at most 60s].
    #[arg(long, value_parser = parse::duration)]
    pub wait: Option<Duration>,
    /// How keys are returned.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub key_format: Format,
    /// How values are returned.
    #[arg(long, value_enum, default_value_t = Format::Auto)]
    pub value_format: Format,
    /// Print only the values, one per line, as they are.
    #[arg(long)]
    pub values: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Start {
    Beginning,
    End,
    /// The group's committed offsets (needs --group).
    Committed,
}

/// How a consumed key or value is returned.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// Text when it is UTF-8, binary otherwise.
    Auto,
    Text,
    Binary,
    Json,
}

impl From<Format> for pb::PayloadFormat {
    fn from(f: Format) -> Self {
        match f {
            Format::Auto => pb::PayloadFormat::Unspecified,
            Format::Text => pb::PayloadFormat::Text,
            Format::Binary => pb::PayloadFormat::Binary,
            Format::Json => pb::PayloadFormat::Json,
        }
    }
}

pub async fn run(ctx: &Ctx, args: Args) -> CliResult {
    let start_from = match (args.from, args.offset, &args.time) {
        (_, Some(_), _) => pb::StartFrom::Offset,
        (_, _, Some(_)) => pb::StartFrom::Timestamp,
        (Some(Start::Beginning), ..) => pb::StartFrom::Beginning,
        (Some(Start::End), ..) => pb::StartFrom::End,
        (Some(Start::Committed), ..) => pb::StartFrom::Committed,
        (None, ..) if args.group.is_some() => pb::StartFrom::Committed,
        (None, ..) => pb::StartFrom::Beginning,
    };
    let mut api = ctx.api.clusters();
    if !args.follow {
        let res = api
            .consume(ctx.api.req(pb::ConsumeRequest {
                cluster_id: args.cluster,
                topic: args.topic,
                partition: args.partition,
                start_from: start_from as i32,
                offset: args.offset.unwrap_or_default(),
                timestamp: args.time,
                max_records: args.max.unwrap_or(100).clamp(0, i32::MAX as i64) as i32,
                max_wait: args.wait.map(parse::proto_duration),
                group_id: args.group.unwrap_or_default(),
                key_format: pb::PayloadFormat::from(args.key_format) as i32,
                value_format: pb::PayloadFormat::from(args.value_format) as i32,
            }))
            .await?
            .into_inner();
        if ctx.json() {
            return output::json(&res);
        }
        if args.values {
            for r in &res.records {
                print_value(r)?;
            }
            return Ok(());
        }
        let headers = res.records.iter().any(|r| !r.headers.is_empty());
        let mut columns = vec!["PARTITION", "OFFSET", "TIMESTAMP", "KEY", "VALUE"];
        if headers {
            columns.push("HEADERS");
        }
        let mut t = Table::new(&columns);
        for r in &res.records {
            t.row(row(r, headers));
        }
        return t.print_or("no records");
    }

    let mut stream = api
        .consume_stream(pb::ConsumeStreamRequest {
            cluster_id: args.cluster,
            topic: args.topic,
            partition: args.partition,
            start_from: start_from as i32,
            offset: args.offset.unwrap_or_default(),
            timestamp: args.time,
            max_records: args.max.unwrap_or(0).max(0),
            group_id: args.group.unwrap_or_default(),
            key_format: pb::PayloadFormat::from(args.key_format) as i32,
            value_format: pb::PayloadFormat::from(args.value_format) as i32,
        })
        .await?
        .into_inner();
    while let Some(batch) = stream.message().await? {
        for r in &batch.records {
            if ctx.json() {
                output::json(r)?;
            } else if args.values {
                print_value(r)?;
            } else {
                output::line(&row(r, !r.headers.is_empty()).join("\t"))?;
            }
        }
    }
    Ok(())
}

fn row(r: &pb::ConsumedRecord, headers: bool) -> Vec<String> {
    let mut cells = vec![
        r.partition.to_string(),
        r.offset.to_string(),
        output::time_ms(r.timestamp.as_ref()),
        r.key
            .as_ref()
            .map_or(String::new(), |k| output::cell(&shown(k), 80)),
        r.value
            .as_ref()
            .map_or(String::new(), |v| output::cell(&shown(v), 200)),
    ];
    if headers {
        let b64 = base64::engine::general_purpose::STANDARD;
        let h: Vec<String> = r
            .headers
            .iter()
            .map(|h| match std::str::from_utf8(&h.value) {
                Ok(s) => format!("{}={s}", h.key),
                Err(_) => format!("{}=base64:{}", h.key, b64.encode(&h.value)),
            })
            .collect();
        cells.push(output::cell(&h.join(", "), 120));
    }
    cells
}

/// A payload as text: text as it is, JSON compact, binary as `base64:…`.
fn shown(p: &pb::Payload) -> String {
    match &p.data {
        Some(pb::payload::Data::Text(t)) => t.clone(),
        Some(pb::payload::Data::Json(v)) => json_text(v).to_string(),
        Some(pb::payload::Data::Binary(b)) => format!(
            "base64:{}",
            base64::engine::general_purpose::STANDARD.encode(b)
        ),
        None => String::new(),
    }
}

/// The value of a record and a newline, bytes as they are.
fn print_value(r: &pb::ConsumedRecord) -> CliResult {
    let mut out = std::io::stdout().lock();
    match r.value.as_ref().and_then(|v| v.data.as_ref()) {
        Some(pb::payload::Data::Binary(b)) => out.write_all(b)?,
        Some(pb::payload::Data::Text(t)) => out.write_all(t.as_bytes())?,
        Some(pb::payload::Data::Json(v)) => out.write_all(json_text(v).to_string().as_bytes())?,
        None => {}
    }
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

fn json_text(v: &prost_types::Value) -> serde_json::Value {
    use prost_types::value::Kind;
    match &v.kind {
        None | Some(Kind::NullValue(_)) => serde_json::Value::Null,
        Some(Kind::BoolValue(b)) => (*b).into(),
        Some(Kind::NumberValue(n)) => {
            if n.fract() == 0.0 && n.abs() < 9.0e15 {
                (*n as i64).into()
            } else {
                (*n).into()
            }
        }
        Some(Kind::StringValue(s)) => s.clone().into(),
        Some(Kind::ListValue(l)) => l.values.iter().map(json_text).collect(),
        Some(Kind::StructValue(s)) => {
            let mut keys: Vec<&String> = s.fields.keys().collect();
            keys.sort();
            serde_json::Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), json_text(&s.fields[k])))
                    .collect(),
            )
        }
    }
}
