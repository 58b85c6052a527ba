//! Consumer groups: listing, describing, committed offsets, deleting. Speaks lkm's protobuf
//! types (`ConsumerGroup`, `GroupMember`) at its boundary.

use std::sync::Arc;

use super::errors::{Subject, from_code, from_kafka};
use super::native::{self, GroupDescription};
use super::pool::{ADMIN_TIMEOUT, Clients};
use super::topics::{admin_options, blocking, bounded, native_error};
use crate::error::{Error, Result};
use crate::pb::{ConsumerGroup, GroupMember};

fn members(d: &GroupDescription) -> Vec<GroupMember> {
    d.members
        .iter()
        .map(|m| GroupMember {
            member_id: m.member_id.clone(),
            client_id: m.client_id.clone(),
            client_host: m.host.clone(),
        })
        .collect()
}

fn protocol_type(simple: bool) -> String {
    if simple {
        String::new()
    } else {
        "consumer".into()
    }
}

/// Fills `g` from a description, or notes why there is none.
fn apply(g: &mut ConsumerGroup, d: Result<&GroupDescription, String>) {
    match d {
        Ok(d) => match &d.error {
            None => {
                g.state = d.state.clone();
                g.protocol_type = protocol_type(d.simple);
                g.protocol = d.assignor.clone();
                g.members = members(d);
                g.members_error.clear();
            }
            Some(e) => g.members_error = format!("the broker could not describe the group: {e}"),
        },
        Err(e) => g.members_error = e,
    }
}

async fn describe_many(
    clients: &Arc<Clients>,
    ids: Vec<String>,
) -> std::result::Result<Vec<GroupDescription>, String> {
    let c = clients.clone();
    blocking(move || {
        native::describe_groups(&c.admin, &ids, ADMIN_TIMEOUT)
            .map_err(|e| native_error(e, Subject::Cluster))
    })
    .await
    .map_err(|e| format!("the broker could not describe the group: {e}"))
}

/// Every consumer group with its state and members. Where the broker lists a group but
/// cannot describe it, the group comes with what the listing says and `members_error`.
pub async fn list(clients: &Arc<Clients>) -> Result<Vec<ConsumerGroup>> {
    let c = clients.clone();
    let (listed, errors) = blocking(move || {
        native::list_groups(&c.admin, ADMIN_TIMEOUT).map_err(|e| native_error(e, Subject::Cluster))
    })
    .await?;
    if listed.is_empty()
        && let Some(e) = errors.into_iter().next()
    {
        return Err(native_error(e, Subject::Cluster));
    }
    let mut groups: Vec<ConsumerGroup> = listed
        .iter()
        .map(|l| ConsumerGroup {
            group_id: l.group_id.clone(),
            state: l.state.clone(),
            protocol_type: protocol_type(l.simple),
            ..Default::default()
        })
        .collect();
    groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    let ids: Vec<String> = groups.iter().map(|g| g.group_id.clone()).collect();
    match describe_many(clients, ids).await {
        Ok(descriptions) => {
            for g in &mut groups {
                let d = descriptions
                    .iter()
                    .find(|d| d.group_id == g.group_id)
                    .ok_or_else(|| "the broker did not describe the group".to_string());
                apply(g, d);
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "listing consumer groups without their members");
            for g in &mut groups {
                g.members_error = e.clone();
            }
        }
    }
    Ok(groups)
}

/// What the broker says of one group.
#[derive(Clone, Debug)]
pub struct GroupInfo {
    /// The broker lists the group and does not call it dead.
    pub exists: bool,
    /// State and members (or `members_error`); offsets are not filled in here.
    pub group: ConsumerGroup,
    /// Topics assigned to its members.
    pub assigned_topics: Vec<String>,
}

/// One group as the broker lists and describes it.
pub async fn describe(clients: &Arc<Clients>, group: &str) -> Result<GroupInfo> {
    let c = clients.clone();
    let (listed, _) = blocking(move || {
        native::list_groups(&c.admin, ADMIN_TIMEOUT).map_err(|e| native_error(e, Subject::Cluster))
    })
    .await?;
    let listing = listed.iter().find(|l| l.group_id == group);
    let mut g = ConsumerGroup {
        group_id: group.to_string(),
        state: listing.map(|l| l.state.clone()).unwrap_or_default(),
        protocol_type: listing.map(|l| protocol_type(l.simple)).unwrap_or_default(),
        ..Default::default()
    };
    let described = describe_many(clients, vec![group.to_string()]).await;
    let mut gone = false;
    match &described {
        Ok(ds) => {
            let d = ds.iter().find(|d| d.group_id == group);
            // Kafka describes a group it does not know as Dead (newer brokers: not found).
            gone = d.is_some_and(|d| match &d.error {
                Some(e) => e.code == rdkafka::error::RDKafkaErrorCode::GroupIdNotFound,
                None => d.state == "Dead",
            });
            if !gone {
                apply(
                    &mut g,
                    d.ok_or_else(|| "the broker did not describe the group".to_string()),
                );
            }
        }
        Err(e) => apply(&mut g, Err(e.clone())),
    }
    let mut assigned_topics: Vec<String> = described
        .iter()
        .flatten()
        .filter(|d| d.group_id == group)
        .flat_map(|d| d.members.iter())
        .flat_map(|m| m.assignment.iter().map(|(t, _)| t.clone()))
        .collect();
    assigned_topics.sort();
    assigned_topics.dedup();
    let live = !g.members.is_empty() || is_live_state(&g.state);
    Ok(GroupInfo {
        exists: (listing.is_some() && !gone) || live,
        group: g,
        assigned_topics,
    })
}

/// States in which a group has active members (Kafka's group state machine).
fn is_live_state(state: &str) -> bool {
    matches!(
        state,
        "Stable" | "PreparingRebalance" | "CompletingRebalance" | "Assigning" | "Reconciling"
    )
}

/// Whether the group has active members, by its member list or its state. None when the
/// broker could not describe the group.
pub async fn is_active(clients: &Arc<Clients>, group: &str) -> Option<bool> {
    match describe_many(clients, vec![group.to_string()]).await {
        Ok(ds) => ds
            .iter()
            .find(|d| d.group_id == group && d.error.is_none())
            .map(|d| !d.members.is_empty() || is_live_state(&d.state))
            .or(Some(false)),
        Err(e) => {
            tracing::warn!(group, error = %e, "cannot tell whether the group has active members");
            None
        }
    }
}

/// Every committed offset of the group: (topic, partition, offset).
pub async fn committed(clients: &Arc<Clients>, group: &str) -> Result<Vec<(String, i32, i64)>> {
    let c = clients.clone();
    let g = group.to_string();
    blocking(move || {
        let found = native::list_group_offsets(c.group_reader()?, &g, None, ADMIN_TIMEOUT)
            .map_err(|e| native_error(e, Subject::Group(&g)))?;
        Ok(found
            .into_iter()
            .filter(|p| p.error.is_none() && p.offset >= 0)
            .map(|p| (p.topic, p.partition, p.offset))
            .collect())
    })
    .await
}

/// Deletes a group (the broker refuses while it has members).
pub async fn delete(clients: &Arc<Clients>, group: &str) -> Result<()> {
    let results = bounded(clients.admin.delete_groups(&[group], &admin_options()))
        .await?
        .map_err(|e| from_kafka(&e, Subject::Group(group)))?;
    for r in results {
        r.map_err(|(g, code)| from_code(code, "", Subject::Group(&g)))?;
    }
    Ok(())
}

/// The error for a group that has active members.
pub fn has_members(group: &str) -> Error {
    Error::precondition(
        "GROUP_NOT_EMPTY",
        format!("consumer group '{group}' has active members; stop its consumers first"),
    )
}
