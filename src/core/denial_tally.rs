//! Repeated denials as one audit event with a count: the same denial (client, principal,
//! method, outcome, message) within `WINDOW` of its first is counted on the first's event,
//! which is written at once and then rewritten at most every `REWRITE_EVERY` while the count
//! grows (and by `due`, which the server calls periodically). So a caller that keeps failing
//! adds one row per window, not one per call. Memory is bounded: at most `MAX_OPEN` tallies,
//! and denials beyond them are counted under one shared client address.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::pb::AuditEvent;

/// How long one event counts the repeats of a denial.
pub const WINDOW: Duration = Duration::from_secs(60);
/// How often a growing count is written.
pub const REWRITE_EVERY: Duration = Duration::from_secs(1);
/// Open tallies kept in memory.
const MAX_OPEN: usize = 10_000;
/// The client address under which denials beyond `MAX_OPEN` tallies are counted.
pub const OTHER_CLIENTS: &str = "(other addresses)";

type Key = (String, String, String, String, String, String, String);

fn key_of(e: &AuditEvent) -> Key {
    (
        e.client_address.clone(),
        e.principal.clone(),
        e.method.clone(),
        e.outcome.clone(),
        e.message.clone(),
        e.cluster_ids.join(","),
        e.operation_id.clone(),
    )
}

struct Open {
    event: AuditEvent,
    since: Instant,
    written: Instant,
    /// Counted since it was last written.
    dirty: bool,
}

#[derive(Default)]
pub struct DenialTally {
    open: Mutex<HashMap<Key, Open>>,
}

impl DenialTally {
    /// Counts a denial (`event` has its id and time set). Returns the events to write now:
    /// the new one (and the last count of the tally it replaces), or the tally it joined when
    /// its count is due to be written; nothing when the count waits for the next write.
    pub fn add(&self, event: AuditEvent, now: Instant) -> Vec<AuditEvent> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let mut event = event;
        let mut key = key_of(&event);
        if !open.contains_key(&key) && open.len() >= MAX_OPEN {
            open.retain(|_, o| now.duration_since(o.since) < WINDOW || o.dirty);
            if open.len() >= MAX_OPEN {
                event.client_address = OTHER_CLIENTS.into();
                key = key_of(&event);
            }
        }
        match open.get_mut(&key) {
            Some(o) if now.duration_since(o.since) < WINDOW => {
                o.event.count += 1;
                o.event.last_time = event.time;
                if now.duration_since(o.written) >= REWRITE_EVERY {
                    o.written = now;
                    o.dirty = false;
                    vec![o.event.clone()]
                } else {
                    o.dirty = true;
                    Vec::new()
                }
            }
            _ => {
                event.count = 1;
                let new = Open {
                    event: event.clone(),
                    since: now,
                    written: now,
                    dirty: false,
                };
                let mut write = vec![event];
                // A closed window's last count goes out with the event that follows it.
                if let Some(closed) = open.insert(key, new).filter(|o| o.dirty) {
                    write.push(closed.event);
                }
                write
            }
        }
    }

    /// The tallies whose count has grown since they were last written (to write now), after
    /// forgetting the closed ones that have nothing left to write.
    pub fn due(&self, now: Instant) -> Vec<AuditEvent> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let mut due = Vec::new();
        for o in open.values_mut() {
            if o.dirty {
                o.dirty = false;
                o.written = now;
                due.push(o.event.clone());
            }
        }
        open.retain(|_, o| now.duration_since(o.since) < WINDOW);
        due
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.open.lock().unwrap().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denial(client: &str, n: u32) -> AuditEvent {
        AuditEvent {
            id: format!("e{n}"),
            time: Some(prost_types::Timestamp {
                seconds: i64::from(n),
                nanos: 0,
            }),
            principal: "anonymous".into(),
            method: "lkm.v1.ClusterService/ListClusters".into(),
            outcome: "UNAUTHENTICATED".into(),
            message: "unknown token".into(),
            client_address: client.into(),
            ..Default::default()
        }
    }

    fn counts(events: &[AuditEvent]) -> Vec<(&str, i64)> {
        events.iter().map(|e| (e.id.as_str(), e.count)).collect()
    }

    #[test]
    fn repeats_are_counted_on_one_event() {
        let tally = DenialTally::default();
        let t0 = Instant::now();
        let first = tally.add(denial("a", 0), t0);
        assert_eq!(counts(&first), [("e0", 1)], "the first is written at once");
        for n in 1..1000 {
            assert!(tally.add(denial("a", n), t0).is_empty());
        }
        // Another client is another event.
        assert_eq!(counts(&tally.add(denial("b", 0), t0)), [("e0", 1)]);
        let due = tally.due(t0 + Duration::from_millis(10));
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].id.as_str(), due[0].count), ("e0", 1000));
        assert_eq!(due[0].last_time.map(|t| t.seconds), Some(999));
        assert!(tally.due(t0).is_empty(), "written once");
        // Within the window a repeat rewrites the count once a second.
        let later = t0 + Duration::from_millis(10) + REWRITE_EVERY;
        assert_eq!(counts(&tally.add(denial("a", 1000), later)), [("e0", 1001)]);
        assert!(tally.add(denial("a", 1001), later).is_empty());
        // After the window: a new event, and the last count of the old one.
        let next = t0 + WINDOW;
        let written = tally.add(denial("a", 2000), next);
        assert_eq!(counts(&written), [("e2000", 1), ("e0", 1002)]);
        assert!(tally.due(next + WINDOW).is_empty());
        assert_eq!(tally.len(), 0);
    }

    #[test]
    fn memory_is_bounded() {
        let tally = DenialTally::default();
        let t0 = Instant::now();
        for n in 0..(MAX_OPEN as u32 + 100) {
            tally.add(denial(&format!("10.0.{}.{}", n / 256, n % 256), n), t0);
        }
        assert!(tally.len() <= MAX_OPEN + 1, "{}", tally.len());
        let due = tally.due(t0);
        let other: Vec<_> = due
            .iter()
            .filter(|e| e.client_address == OTHER_CLIENTS)
            .collect();
        assert_eq!(other.len(), 1);
        assert_eq!(other[0].count, 100);
    }
}
