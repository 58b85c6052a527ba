//! Timestamps as the API carries them.

use prost_types::Timestamp;

pub fn now() -> Timestamp {
    from_millis(chrono::Utc::now().timestamp_millis())
}

pub fn from_millis(ms: i64) -> Timestamp {
    Timestamp {
        seconds: ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    }
}

pub fn millis(t: &Option<Timestamp>) -> i64 {
    t.as_ref()
        .map(|t| t.seconds * 1000 + i64::from(t.nanos) / 1_000_000)
        .unwrap_or(0)
}
