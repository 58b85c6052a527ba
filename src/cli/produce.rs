//! `lkm produce`: records from stdin or a file, streamed to the server in batches
//! (ProduceStream), so a bulk load is one call and a slow stdin is sent as it comes.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio_stream::StreamExt;

use super::Ctx;
use super::error::CliResult;
use super::output::{self, count};
use super::parse;
use super::reflect;
use crate::pb;

/// How long a partial batch waits for more input before it is sent.
const LINGER: Duration = Duration::from_millis(100);

#[derive(clap::Args, Debug)]
#[command(after_help = "\
Formats (one record per input line):
  lines    the line is the value (UTF-8 text; other bytes are sent as binary);
           with --key-separator, the part before the first separator is the key
  json     the line is a JSON document, sent as a JSON value
  records  the line is a ProducerRecord in proto3 JSON, e.g.
           {\"key\": {\"text\": \"o-1\"}, \"value\": {\"json\": {\"total\": 42}},
            \"headers\": [{\"key\": \"src\", \"value\": \"YXBp\"}], \"partition\": 1}
Blank lines are skipped in the json and records formats.

Examples:
  seq 1 1000 | lkm produce dev orders
  lkm produce dev orders --key-separator : < keyed.txt   # lines like key:value
  lkm produce dev events --format json --file events.ndjson")]
pub struct Args {
    /// Cluster name or id.
    pub cluster: String,
    /// An existing topic.
    pub topic: String,
    /// Read this file instead of stdin ("-" is stdin).
    #[arg(long, short = 'f')]
    pub file: Option<PathBuf>,
    /// How each input line is read.
    #[arg(long, value_enum, default_value_t = Format::Lines)]
    pub format: Format,
    /// Key of every record (text).
    #[arg(long, short = 'k', conflicts_with = "key_separator")]
    pub key: Option<String>,
    /// Format lines: split each line into key and value at the first SEP.
    #[arg(long, value_name = "SEP")]
    pub key_separator: Option<String>,
    /// Partition of every record [default: chosen by the key].
    #[arg(long, short = 'p')]
    pub partition: Option<i32>,
    /// A header of every record, KEY=VALUE; repeatable.
    #[arg(long = "header", short = 'H', value_name = "KEY=VALUE", value_parser = parse::key_value)]
    pub headers: Vec<(String, String)>,
    /// Records per message of the stream.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10000))]
    pub batch_size: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Lines,
    Json,
    Records,
}

/// What each record gets from the flags.
struct Shape {
    format: Format,
    key: Option<String>,
    key_separator: Option<Vec<u8>>,
    partition: Option<i32>,
    headers: Vec<pb::RecordHeader>,
}

pub async fn run(ctx: &Ctx, args: Args) -> CliResult {
    let input: Box<dyn BufRead + Send> = match &args.file {
        Some(p) if p.as_os_str() != "-" => Box::new(std::io::BufReader::new(
            std::fs::File::open(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        )),
        _ => Box::new(std::io::BufReader::new(std::io::stdin())),
    };
    let shape = Shape {
        format: args.format,
        key: args.key,
        key_separator: args.key_separator.map(String::into_bytes),
        partition: args.partition,
        headers: args
            .headers
            .into_iter()
            .map(|(key, value)| pb::RecordHeader {
                key,
                value: value.into_bytes(),
            })
            .collect(),
    };
    let batch = args.batch_size as usize;
    let (tx, mut rx) = tokio::sync::mpsc::channel(batch * 2);
    // A plain thread: a blocked read of stdin must not keep the process alive at exit.
    std::thread::spawn(move || read_records(input, &shape, tx));

    let Some(first) = rx.recv().await else {
        if ctx.json() {
            return output::json(&pb::ProduceStreamResponse::default());
        }
        eprintln!("no records to produce");
        return Ok(());
    };
    let input_error: Arc<Mutex<Option<String>>> = Arc::default();
    let slot = input_error.clone();
    let (cluster, topic) = (args.cluster, args.topic.clone());
    let mut first_message = true;
    let requests = tokio_stream::once(first)
        .chain(tokio_stream::wrappers::ReceiverStream::new(rx))
        .map_while(move |r: Result<pb::ProducerRecord, String>| match r {
            Ok(record) => Some(record),
            Err(e) => {
                if let Ok(mut s) = slot.lock() {
                    *s = Some(e);
                }
                None
            }
        })
        .chunks_timeout(batch, LINGER)
        .map(move |records| {
            let head = std::mem::take(&mut first_message);
            pb::ProduceStreamRequest {
                cluster_id: if head { cluster.clone() } else { String::new() },
                topic: if head { topic.clone() } else { String::new() },
                records,
            }
        });
    let res = ctx
        .api
        .clusters()
        .produce_stream(requests)
        .await?
        .into_inner();
    let stopped_by = input_error.lock().ok().and_then(|mut e| e.take());

    if ctx.json() {
        output::json(&res)?;
    } else {
        let mut offsets: Vec<(&i32, &i64)> = res.last_offsets.iter().collect();
        offsets.sort();
        let detail = offsets
            .iter()
            .map(|(p, o)| format!("partition {p} up to offset {o}"))
            .collect::<Vec<_>>()
            .join(", ");
        output::line(&format!(
            "produced {} to {}{}",
            output::plural(res.records - res.failed_count, "record"),
            args.topic,
            if detail.is_empty() {
                String::new()
            } else {
                format!(" ({detail})")
            }
        ))?;
    }
    if res.failed_count > 0 {
        for e in &res.errors {
            eprintln!("record {}: {}", e.index, e.error);
        }
        return Err(format!(
            "{} of {} records failed",
            count(res.failed_count),
            count(res.records)
        )
        .into());
    }
    if let Some(e) = stopped_by {
        return Err(format!(
            "{e} (input stopped there; the {} before it were produced)",
            output::plural(res.records, "record")
        )
        .into());
    }
    Ok(())
}

/// Reads `input` line by line into records; the first bad line ends it with an error.
fn read_records(
    mut input: Box<dyn BufRead + Send>,
    shape: &Shape,
    tx: tokio::sync::mpsc::Sender<Result<pb::ProducerRecord, String>>,
) {
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => return,
            Ok(_) => {}
            Err(e) => {
                let _ = tx.blocking_send(Err(format!("reading input: {e}")));
                return;
            }
        }
        n += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
            if buf.last() == Some(&b'\r') {
                buf.pop();
            }
        }
        let item = match record(&buf, shape) {
            Ok(None) => continue,
            Ok(Some(r)) => Ok(r),
            Err(e) => Err(format!("line {n}: {e}")),
        };
        let stop = item.is_err();
        if tx.blocking_send(item).is_err() || stop {
            return;
        }
    }
}

/// One input line as a record (None: a blank line where blanks are skipped).
fn record(line: &[u8], shape: &Shape) -> Result<Option<pb::ProducerRecord>, String> {
    let blank = line.iter().all(u8::is_ascii_whitespace);
    let mut r = match shape.format {
        Format::Lines => {
            let (key, value) = match &shape.key_separator {
                Some(sep) if !sep.is_empty() => match find(line, sep) {
                    Some(i) => (Some(payload(&line[..i])), &line[i + sep.len()..]),
                    None => (None, line),
                },
                _ => (None, line),
            };
            pb::ProducerRecord {
                key,
                value: Some(payload(value)),
                ..Default::default()
            }
        }
        Format::Json if blank => return Ok(None),
        Format::Json => {
            let v: serde_json::Value =
                serde_json::from_slice(line).map_err(|e| format!("invalid JSON: {e}"))?;
            pb::ProducerRecord {
                value: Some(pb::Payload {
                    data: Some(pb::payload::Data::Json(json_value(v))),
                }),
                ..Default::default()
            }
        }
        Format::Records if blank => return Ok(None),
        Format::Records => reflect::from_json::<pb::ProducerRecord>(line)?,
    };
    if let Some(k) = &shape.key
        && r.key.is_none()
    {
        r.key = Some(pb::Payload {
            data: Some(pb::payload::Data::Text(k.clone())),
        });
    }
    if r.partition.is_none() {
        r.partition = shape.partition;
    }
    r.headers.extend(shape.headers.iter().cloned());
    Ok(Some(r))
}

/// Text when the bytes are UTF-8, binary otherwise.
fn payload(bytes: &[u8]) -> pb::Payload {
    pb::Payload {
        data: Some(match std::str::from_utf8(bytes) {
            Ok(s) => pb::payload::Data::Text(s.to_string()),
            Err(_) => pb::payload::Data::Binary(bytes.to_vec()),
        }),
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A JSON document as a google.protobuf.Value.
fn json_value(v: serde_json::Value) -> prost_types::Value {
    use prost_types::value::Kind;
    let kind = match v {
        serde_json::Value::Null => Kind::NullValue(0),
        serde_json::Value::Bool(b) => Kind::BoolValue(b),
        serde_json::Value::Number(n) => Kind::NumberValue(n.as_f64().unwrap_or_default()),
        serde_json::Value::String(s) => Kind::StringValue(s),
        serde_json::Value::Array(a) => Kind::ListValue(prost_types::ListValue {
            values: a.into_iter().map(json_value).collect(),
        }),
        serde_json::Value::Object(o) => Kind::StructValue(prost_types::Struct {
            fields: o.into_iter().map(|(k, v)| (k, json_value(v))).collect(),
        }),
    };
    prost_types::Value { kind: Some(kind) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(format: Format, sep: Option<&str>) -> Shape {
        Shape {
            format,
            key: None,
            key_separator: sep.map(|s| s.as_bytes().to_vec()),
            partition: Some(1),
            headers: vec![pb::RecordHeader {
                key: "h".into(),
                value: b"v".to_vec(),
            }],
        }
    }

    fn text(p: &Option<pb::Payload>) -> Option<&str> {
        match p.as_ref()?.data.as_ref()? {
            pb::payload::Data::Text(t) => Some(t),
            _ => None,
        }
    }

    #[test]
    fn lines_split_keys_and_keep_binary() {
        let r = record(b"k1:v:1", &shape(Format::Lines, Some(":")))
            .unwrap()
            .unwrap();
        assert_eq!((text(&r.key), text(&r.value)), (Some("k1"), Some("v:1")));
        assert_eq!(r.partition, Some(1));
        assert_eq!(r.headers.len(), 1);
        let r = record(&[0xff, 0], &shape(Format::Lines, None))
            .unwrap()
            .unwrap();
        assert!(matches!(
            r.value.unwrap().data,
            Some(pb::payload::Data::Binary(_))
        ));
    }

    #[test]
    fn json_and_records() {
        assert!(record(b"  ", &shape(Format::Json, None)).unwrap().is_none());
        let r = record(br#"{"a": [1, "x"]}"#, &shape(Format::Json, None))
            .unwrap()
            .unwrap();
        assert!(matches!(
            r.value.unwrap().data,
            Some(pb::payload::Data::Json(_))
        ));
        assert!(record(b"{nope", &shape(Format::Json, None)).is_err());
        let r = record(
            br#"{"key": {"text": "k"}, "value": {"text": "v"}, "partition": 0}"#,
            &shape(Format::Records, None),
        )
        .unwrap()
        .unwrap();
        assert_eq!((text(&r.key), r.partition), (Some("k"), Some(0)));
    }
}
