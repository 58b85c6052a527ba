//! What the commands print: aligned tables and `key: value` blocks for people, canonical
//! proto3 JSON for scripts, and the small formatters both share.

use std::io::Write;

use super::error::CliResult;
use super::reflect::{self, Proto};

/// `--output`: how results are printed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned tables and summaries for people.
    #[default]
    Table,
    /// Canonical proto3 JSON: one document per command; streams print one document per line
    /// (NDJSON).
    Json,
}

/// Writes `text` to stdout as it is.
pub fn print(text: &str) -> CliResult {
    raw(text.as_bytes())
}

/// Writes bytes to stdout as they are.
pub fn raw(bytes: &[u8]) -> CliResult {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// Writes one line to stdout.
pub fn line(text: &str) -> CliResult {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// Writes `msg` as one line of proto3 JSON to stdout.
pub fn json<M: Proto>(msg: &M) -> CliResult {
    let mut bytes = reflect::to_json(msg)?;
    bytes.push(b'\n');
    let mut out = std::io::stdout().lock();
    out.write_all(&bytes)?;
    out.flush()?;
    Ok(())
}

/// A table whose columns are padded to their widest cell.
pub struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, each line indented by `indent` spaces.
    pub fn render(&self, indent: usize) -> String {
        let columns = self.header.len();
        let mut widths: Vec<usize> = self.header.iter().map(|h| width(h)).collect();
        for row in &self.rows {
            for (i, cell) in row.iter().enumerate().take(columns) {
                widths[i] = widths[i].max(width(cell));
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut text = " ".repeat(indent);
            for (i, cell) in row.iter().enumerate().take(columns) {
                text.push_str(cell);
                if i + 1 < columns {
                    text.push_str(&" ".repeat(widths[i] - width(cell) + 2));
                }
            }
            out.push_str(text.trim_end());
            out.push('\n');
        }
        out
    }

    /// Prints the table, or `empty` when it has no rows.
    pub fn print_or(&self, empty: &str) -> CliResult {
        if self.rows.is_empty() {
            line(empty)
        } else {
            print(&self.render(0))
        }
    }
}

/// `key: value` lines with the values aligned; empty values are left out.
pub fn fields(pairs: &[(&str, String)]) -> String {
    let shown: Vec<&(&str, String)> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    let w = shown.iter().map(|(k, _)| width(k)).max().unwrap_or(0);
    let mut out = String::new();
    for (k, v) in shown {
        out.push_str(&format!("{k}:{}{v}\n", " ".repeat(w - width(k) + 2)));
    }
    out
}

fn width(s: &str) -> usize {
    s.chars().count()
}

/// A cluster's (or a template's default) configuration as an indented `Title:` section of
/// `path: value` lines; the REST proxy and UI only when enabled. Empty when nothing is set.
pub fn config_section(
    title: &str,
    kafka: Option<&crate::pb::KafkaConfig>,
    rest_proxy: Option<&crate::pb::RestProxyConfig>,
    ui: Option<&crate::pb::UiConfig>,
    retention: Option<&crate::pb::RetentionPolicy>,
) -> CliResult<String> {
    let mut config = config_lines("kafka", kafka)?;
    if rest_proxy.and_then(|r| r.enabled) == Some(true) {
        config.extend(config_lines("restProxy", rest_proxy)?);
    }
    if ui.and_then(|u| u.enabled) == Some(true) {
        config.extend(config_lines("ui", ui)?);
    }
    config.extend(config_lines("retention", retention)?);
    if config.is_empty() {
        return Ok(String::new());
    }
    let pairs: Vec<(&str, String)> = config
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let mut text = format!("{title}:\n");
    for l in fields(&pairs).lines() {
        text.push_str(&format!("  {l}\n"));
    }
    Ok(text)
}

/// A configuration message as `path: value` lines (nested fields dotted, maps as
/// `path.key`), from its proto3 JSON; unset fields are left out.
pub fn config_lines<M: Proto>(prefix: &str, msg: Option<&M>) -> CliResult<Vec<(String, String)>> {
    let mut out = Vec::new();
    if let Some(m) = msg {
        flatten(prefix, &reflect::to_json_value(m)?, &mut out);
    }
    Ok(out)
}

fn flatten(prefix: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, v) in map {
                flatten(&format!("{prefix}.{k}"), v, out);
            }
        }
        serde_json::Value::Null => {}
        serde_json::Value::String(s) if s.is_empty() => {}
        serde_json::Value::Array(a) if a.is_empty() => {}
        serde_json::Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// An enum's name without its type prefix: `CLUSTER_STATUS_RUNNING` → `RUNNING`.
pub fn short(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix).unwrap_or(name).to_string()
}

/// A timestamp in RFC 3339 (seconds, UTC), or "" when unset.
pub fn time(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// A timestamp with milliseconds (records).
pub fn time_ms(ts: Option<&prost_types::Timestamp>) -> String {
    ts.and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// `1536` → `1.5 KiB`.
pub fn bytes(n: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v.abs() >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// `1234567` → `1,234,567`.
pub fn count(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `1 record`, `2,000 records`.
pub fn plural(n: i64, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{} {noun}s", count(n))
    }
}

/// A rate per second: `2.1K`, `350`.
pub fn rate(per_sec: f64) -> String {
    if per_sec >= 1_000_000.0 {
        format!("{:.1}M", per_sec / 1_000_000.0)
    } else if per_sec >= 1_000.0 {
        format!("{:.1}K", per_sec / 1_000.0)
    } else {
        format!("{per_sec:.0}")
    }
}

/// A span of seconds: `45s`, `3m05s`, `1h02m`.
pub fn span(secs: f64) -> String {
    let s = secs.max(0.0).round() as u64;
    if s < 60 {
        format!("{s}s")
    } else if s < 3600 {
        format!("{}m{:02}s", s / 60, s % 60)
    } else {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    }
}

/// A short text for a table cell: control characters escaped, at most `max` characters.
pub fn cell(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if out.chars().count() >= max {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&c.escape_default().to_string()),
            c => out.push(c),
        }
    }
    out
}

/// `a=1, b=2` of a map, sorted by key.
pub fn pairs<'a>(map: impl IntoIterator<Item = (&'a String, &'a String)>) -> String {
    let mut v: Vec<(&String, &String)> = map.into_iter().collect();
    v.sort();
    v.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_align_columns() {
        let mut t = Table::new(&["NAME", "STATUS"]);
        t.row(vec!["a-long-name".into(), "RUNNING".into()]);
        t.row(vec!["b".into(), "".into()]);
        assert_eq!(
            t.render(0),
            "NAME         STATUS\na-long-name  RUNNING\nb\n"
        );
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(count(-1000), "-1,000");
        assert_eq!(count(12), "12");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(1536), "1.5 KiB");
        assert_eq!(span(185.0), "3m05s");
        assert_eq!(rate(2100.0), "2.1K");
        assert_eq!(cell("a\nb", 10), "a\\nb");
        assert_eq!(cell("abcdef", 3), "abc…");
    }

    #[test]
    fn fields_align_and_skip_empty() {
        let text = fields(&[
            ("Name", "dev".into()),
            ("Tags", "".into()),
            ("ID", "1".into()),
        ]);
        assert_eq!(text, "Name:  dev\nID:    1\n");
    }
}
