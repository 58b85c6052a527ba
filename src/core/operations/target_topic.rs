//! How a source topic is created on a target cluster: a replication factor the target can
//! hold, the source's configs adapted to it, the configs that may only be set once the
//! records are copied, and a note for every way the result differs from the source.

use std::collections::BTreeMap;

use crate::kafka::topics::NewTopicSpec;

use super::compare::TopicShape;

const MIN_INSYNC_REPLICAS: &str = "min.insync.replicas";
const TIMESTAMP_TYPE: &str = "message.timestamp.type";
const LOG_APPEND_TIME: &str = "LogAppendTime";

/// The target topic to create for a source topic.
#[derive(Debug)]
pub(super) struct TargetTopic {
    pub spec: NewTopicSpec,
    /// Configs set once the copy is complete: with them set while records arrive, the
    /// broker would change what is copied.
    pub after_copy: Vec<(String, String)>,
    /// How the target topic differs from the source topic, and why.
    pub notes: Vec<String>,
}

/// The target topic for `source` on a target of `target_brokers` brokers. `partitions` is
/// the count to create (-1: the target's default); `copies_records` says whether records
/// will be written into it (a migration) or only its shape is wanted (a replication).
pub(super) fn target_topic(
    name: &str,
    source: &TopicShape,
    partitions: i32,
    target_brokers: i32,
    copies_records: bool,
) -> TargetTopic {
    let mut notes = Vec::new();
    let mut configs: BTreeMap<String, String> = source.configs.overrides();
    let replication_factor = source.replication_factor.clamp(1, target_brokers.max(1));
    if replication_factor < source.replication_factor {
        notes.push(format!(
            "replication factor {} on the source; the target has {target_brokers} broker(s), so the topic gets replication factor {replication_factor}",
            source.replication_factor
        ));
    }
    if let Some(min_isr) = configs.get(MIN_INSYNC_REPLICAS)
        && min_isr.parse::<i32>().is_ok_and(|n| n > replication_factor)
    {
        notes.push(format!(
            "{MIN_INSYNC_REPLICAS} {min_isr} on the source is lowered to {replication_factor}: it cannot exceed the replication factor (writes would be refused)"
        ));
        configs.insert(MIN_INSYNC_REPLICAS.into(), replication_factor.to_string());
    }
    let mut after_copy = Vec::new();
    if copies_records
        && configs
            .get(TIMESTAMP_TYPE)
            .is_some_and(|v| v == LOG_APPEND_TIME)
    {
        configs.remove(TIMESTAMP_TYPE);
        after_copy.push((TIMESTAMP_TYPE.to_string(), LOG_APPEND_TIME.to_string()));
        notes.push(format!(
            "{TIMESTAMP_TYPE}={LOG_APPEND_TIME} is set once the records are copied, so they keep the source's timestamps (the target broker would stamp its own time on them)"
        ));
    }
    TargetTopic {
        spec: NewTopicSpec {
            name: name.to_string(),
            partitions,
            replication_factor,
            configs,
        },
        after_copy,
        notes,
    }
}

/// The note for copying into an existing target topic whose broker stamps its own time on
/// records, when the source's timestamps were asked to be kept.
pub(super) fn existing_target_note(
    target: &TopicShape,
    preserve_timestamps: bool,
) -> Option<String> {
    (preserve_timestamps
        && target
            .configs
            .values
            .get(TIMESTAMP_TYPE)
            .is_some_and(|v| v == LOG_APPEND_TIME))
    .then(|| {
        format!(
            "the target topic has {TIMESTAMP_TYPE}={LOG_APPEND_TIME}: copied records get the target broker's append time, not the source's timestamps"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::topics::TopicConfigs;

    fn shape(rf: i32, configs: &[(&str, &str)]) -> TopicShape {
        TopicShape {
            partitions: 3,
            replication_factor: rf,
            configs: TopicConfigs {
                values: configs
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                overridden: configs.iter().map(|(k, _)| k.to_string()).collect(),
            },
        }
    }

    #[test]
    fn a_replication_factor_the_target_cannot_hold_is_lowered_with_a_note() {
        let t = target_topic("t", &shape(3, &[("min.insync.replicas", "2")]), 3, 1, true);
        assert_eq!(t.spec.replication_factor, 1);
        assert_eq!(t.spec.configs["min.insync.replicas"], "1");
        assert_eq!(t.notes.len(), 2, "{:?}", t.notes);
        assert!(t.notes[0].contains("replication factor 3"), "{:?}", t.notes);
        assert!(
            t.notes[1].contains("min.insync.replicas 2"),
            "{:?}",
            t.notes
        );
    }

    #[test]
    fn a_target_with_enough_brokers_keeps_the_source_shape_without_notes() {
        let source = shape(3, &[("min.insync.replicas", "2"), ("retention.ms", "1000")]);
        let t = target_topic("t", &source, 3, 3, true);
        assert_eq!(t.spec.replication_factor, 3);
        assert_eq!(t.spec.configs, source.configs.overrides());
        assert!(t.notes.is_empty() && t.after_copy.is_empty());
    }

    #[test]
    fn log_append_time_waits_for_the_copy_but_not_for_a_replication() {
        let source = shape(1, &[("message.timestamp.type", "LogAppendTime")]);
        let copy = target_topic("t", &source, 3, 1, true);
        assert!(!copy.spec.configs.contains_key("message.timestamp.type"));
        assert_eq!(
            copy.after_copy,
            vec![("message.timestamp.type".into(), "LogAppendTime".into())]
        );
        assert_eq!(copy.notes.len(), 1);
        let shape_only = target_topic("t", &source, 3, 1, false);
        assert_eq!(
            shape_only.spec.configs["message.timestamp.type"],
            "LogAppendTime"
        );
        assert!(shape_only.after_copy.is_empty());
    }

    #[test]
    fn an_existing_log_append_time_target_is_stated() {
        let target = shape(1, &[("message.timestamp.type", "LogAppendTime")]);
        assert!(existing_target_note(&target, true).is_some());
        assert!(existing_target_note(&target, false).is_none());
        assert!(existing_target_note(&shape(1, &[]), true).is_none());
    }
}
