//! Parsers of flag values: durations, `key=value` pairs, points in time.

use std::time::Duration;

/// `500ms`, `30s`, `2m`, `1h`, `1d`, or a bare number of seconds.
pub fn duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{text}' is not a duration (e.g. 500ms, 30s, 2m, 1h)"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        other => {
            return Err(format!(
                "unknown unit '{other}' in '{text}' (ms, s, m, h, d)"
            ));
        }
    };
    Duration::try_from_secs_f64(secs).map_err(|e| format!("'{text}': {e}"))
}

/// `key=value` (the value may contain '=').
pub fn key_value(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("'{text}' is not KEY=VALUE")),
    }
}

/// A point in time: RFC 3339 (`2024-05-01T12:00:00Z`), or an age (`15m`, `2h`, `1d`) meaning
/// that long ago.
pub fn timestamp(text: &str) -> Result<prost_types::Timestamp, String> {
    let at = match chrono::DateTime::parse_from_rfc3339(text.trim()) {
        Ok(t) => t.with_timezone(&chrono::Utc),
        Err(_) => {
            let age = duration(text).map_err(|_| {
                format!("'{text}' is neither an RFC 3339 time (2024-05-01T12:00:00Z) nor an age (15m, 2h, 1d)")
            })?;
            let age = chrono::Duration::from_std(age).map_err(|e| e.to_string())?;
            chrono::Utc::now() - age
        }
    };
    Ok(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: at.timestamp_subsec_nanos() as i32,
    })
}

/// A std duration as a protobuf one.
pub fn proto_duration(d: Duration) -> prost_types::Duration {
    prost_types::Duration {
        seconds: d.as_secs() as i64,
        nanos: d.subsec_nanos() as i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(duration("30").unwrap(), Duration::from_secs(30));
        assert_eq!(duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(duration("1.5h").unwrap(), Duration::from_secs(5400));
        assert!(duration("ten").is_err());
        assert!(duration("3w").is_err());
    }

    #[test]
    fn pairs_and_times() {
        assert_eq!(key_value("a=b=c").unwrap(), ("a".into(), "b=c".into()));
        assert!(key_value("=x").is_err());
        assert!(key_value("x").is_err());
        assert_eq!(timestamp("1970-01-01T00:01:00Z").unwrap().seconds, 60);
        let ago = timestamp("1h").unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!((now - 3600 - ago.seconds).abs() < 5);
        assert!(timestamp("yesterday").is_err());
    }
}
