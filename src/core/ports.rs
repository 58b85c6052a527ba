//! Port allocation: which host ports a cluster needs and which ones it gets. The choice is
//! pure (given the ports already claimed and a probe for "free on this host"); the registry
//! makes the claim atomic and unique.

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::pb::{Cluster, PortAllocation};

/// An inclusive range of host ports, written "9000-9999".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PortRange {
    pub start: u16,
    pub end: u16,
}

impl Default for PortRange {
    fn default() -> Self {
        PortRange {
            start: 9000,
            end: 9999,
        }
    }
}

impl PortRange {
    pub fn len(&self) -> usize {
        usize::from(self.end - self.start) + 1
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

impl fmt::Display for PortRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

impl FromStr for PortRange {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let (a, b) = s.split_once('-').ok_or_else(|| {
            format!("'{s}' is not a port range: expected START-END, e.g. 9000-9999")
        })?;
        let start: u16 = a
            .trim()
            .parse()
            .map_err(|_| format!("'{a}' is not a port number"))?;
        let end: u16 = b
            .trim()
            .parse()
            .map_err(|_| format!("'{b}' is not a port number"))?;
        if start == 0 || start > end {
            return Err(format!(
                "'{s}' is not a port range: START must be at least 1 and not above END"
            ));
        }
        Ok(PortRange { start, end })
    }
}

impl Serialize for PortRange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for PortRange {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// What a port is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PortRole {
    /// External listener of broker N (1-based).
    Broker(u8),
    RestProxy,
    Ui,
    Jmx,
}

impl PortRole {
    pub fn label(&self) -> String {
        match self {
            PortRole::Broker(n) => format!("broker-{n}"),
            PortRole::RestProxy => "rest-proxy".into(),
            PortRole::Ui => "ui".into(),
            PortRole::Jmx => "jmx".into(),
        }
    }
}

/// The ports a cluster definition needs, in a fixed order.
pub fn needs(cluster: &Cluster) -> Vec<PortRole> {
    let kafka = cluster.kafka_config.clone().unwrap_or_default();
    let brokers = kafka.broker_count.unwrap_or(1).clamp(1, 9) as u8;
    let mut roles: Vec<PortRole> = (1..=brokers).map(PortRole::Broker).collect();
    if cluster
        .rest_proxy_config
        .as_ref()
        .and_then(|r| r.enabled)
        .unwrap_or(false)
    {
        roles.push(PortRole::RestProxy);
    }
    if cluster
        .ui_config
        .as_ref()
        .and_then(|u| u.enabled)
        .unwrap_or(false)
    {
        roles.push(PortRole::Ui);
    }
    if kafka.jmx_enabled.unwrap_or(false) {
        roles.push(PortRole::Jmx);
    }
    roles
}

/// Picks `count` ports of `range`, lowest first, skipping those in `taken` and those the
/// `is_free` probe reports as used on the host.
pub fn pick(
    range: PortRange,
    taken: &HashSet<u16>,
    count: usize,
    mut is_free: impl FnMut(u16) -> bool,
) -> Result<Vec<u16>> {
    let mut chosen = Vec::with_capacity(count);
    for port in range.start..=range.end {
        if chosen.len() == count {
            break;
        }
        if !taken.contains(&port) && is_free(port) {
            chosen.push(port);
        }
    }
    if chosen.len() < count {
        return Err(Error::PortAllocation(format!(
            "no free ports: the cluster needs {count} port(s) and only {} of the range {range} are free (ports of other clusters or in use on the host); delete clusters or widen the range (--port-range)",
            chosen.len()
        )));
    }
    Ok(chosen)
}

/// Chooses a port for each of `roles`: the one `requested` for it if any (it must be
/// unclaimed and free), otherwise one of `range` (see `pick`).
pub fn plan(
    roles: &[PortRole],
    requested: &[(PortRole, u16)],
    range: PortRange,
    taken: &HashSet<u16>,
    mut is_free: impl FnMut(u16) -> bool,
) -> Result<Vec<u16>> {
    let mut seen = HashSet::new();
    for (role, port) in requested {
        if !roles.contains(role) {
            return Err(Error::invalid(
                "ports",
                format!(
                    "a port is requested for {} but the cluster has no such service",
                    role.label()
                ),
            ));
        }
        if *port < 1024 {
            return Err(Error::invalid(
                "ports",
                format!("port {port} for {} is not above 1023", role.label()),
            ));
        }
        if !seen.insert(*port) {
            return Err(Error::invalid(
                "ports",
                format!("port {port} is requested twice"),
            ));
        }
        if taken.contains(port) {
            return Err(Error::precondition(
                "PORT_IN_USE",
                format!("port {port} belongs to another lkm cluster"),
            ));
        }
        if !is_free(*port) {
            return Err(Error::precondition(
                "PORT_IN_USE",
                format!("port {port} is already in use on this host"),
            ));
        }
    }
    let mut excluded = taken.clone();
    excluded.extend(seen);
    let missing = roles
        .iter()
        .filter(|r| !requested.iter().any(|(q, _)| q == *r))
        .count();
    let mut picked = pick(range, &excluded, missing, is_free)?.into_iter();
    Ok(roles
        .iter()
        .map(|r| match requested.iter().find(|(q, _)| q == r) {
            Some((_, p)) => *p,
            None => picked.next().unwrap_or_default(),
        })
        .collect())
}

/// Ports requested in an allocation message; 0 means "allocate one". Port numbers outside
/// 1..=65535 are invalid.
pub fn requested(a: &PortAllocation) -> Result<Vec<(PortRole, u16)>> {
    let mut out = Vec::new();
    let mut push = |role: PortRole, p: i32| -> Result<()> {
        if p == 0 {
            return Ok(());
        }
        let port = u16::try_from(p).ok().filter(|p| *p > 0).ok_or_else(|| {
            Error::invalid(
                "ports",
                format!("{p} is not a port number (1 to 65535) for {}", role.label()),
            )
        })?;
        out.push((role, port));
        Ok(())
    };
    push(PortRole::Broker(1), a.kafka_port)?;
    for (i, p) in a.additional_kafka_ports.iter().enumerate() {
        push(PortRole::Broker(u8::try_from(i + 2).unwrap_or(u8::MAX)), *p)?;
    }
    push(PortRole::RestProxy, a.rest_proxy_port.unwrap_or(0))?;
    push(PortRole::Ui, a.ui_port.unwrap_or(0))?;
    push(PortRole::Jmx, a.jmx_port.unwrap_or(0))?;
    Ok(out)
}

/// The allocation message for roles and the ports chosen for them (same order).
pub fn allocation(roles: &[PortRole], ports: &[u16]) -> PortAllocation {
    let mut a = PortAllocation::default();
    for (role, port) in roles.iter().zip(ports) {
        let p = i32::from(*port);
        match role {
            PortRole::Broker(1) => a.kafka_port = p,
            PortRole::Broker(_) => a.additional_kafka_ports.push(p),
            PortRole::RestProxy => a.rest_proxy_port = Some(p),
            PortRole::Ui => a.ui_port = Some(p),
            PortRole::Jmx => a.jmx_port = Some(p),
        }
    }
    a
}

/// Every (role, port) of an allocation.
pub fn claims(a: &PortAllocation) -> Vec<(PortRole, u16)> {
    let mut out = Vec::new();
    let mut push = |role, p: i32| {
        if let Ok(p) = u16::try_from(p)
            && p != 0
        {
            out.push((role, p));
        }
    };
    push(PortRole::Broker(1), a.kafka_port);
    for (i, p) in a.additional_kafka_ports.iter().enumerate() {
        push(PortRole::Broker(i as u8 + 2), *p);
    }
    if let Some(p) = a.rest_proxy_port {
        push(PortRole::RestProxy, p);
    }
    if let Some(p) = a.ui_port {
        push(PortRole::Ui, p);
    }
    if let Some(p) = a.jmx_port {
        push(PortRole::Jmx, p);
    }
    out
}

/// Whether `needs` is exactly what `a` already provides.
pub fn satisfies(a: &PortAllocation, needs: &[PortRole]) -> bool {
    let have: Vec<PortRole> = claims(a).into_iter().map(|(r, _)| r).collect();
    have == needs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        assert_eq!(
            "9000-9999".parse::<PortRange>().unwrap(),
            PortRange {
                start: 9000,
                end: 9999
            }
        );
        for bad in ["9000", "a-b", "9999-9000", "0-10", "1-70000"] {
            assert!(bad.parse::<PortRange>().is_err(), "{bad}");
        }
    }

    #[test]
    fn pick_skips_taken_and_busy_ports() {
        let range = PortRange {
            start: 100,
            end: 105,
        };
        let taken: HashSet<u16> = [100, 102].into();
        let got = pick(range, &taken, 3, |p| p != 101).unwrap();
        assert_eq!(got, vec![103, 104, 105]);
        let err = pick(range, &taken, 4, |p| p != 101).unwrap_err();
        assert!(matches!(err, Error::PortAllocation(_)));
    }

    #[test]
    fn requested_ports_are_honoured_and_checked() {
        let range = PortRange {
            start: 2000,
            end: 2010,
        };
        let roles = [PortRole::Broker(1), PortRole::Ui];
        let taken: HashSet<u16> = [2000].into();
        let got = plan(
            &roles,
            &[(PortRole::Broker(1), 9092)],
            range,
            &taken,
            |_| true,
        )
        .unwrap();
        assert_eq!(got, vec![9092, 2001]);
        assert!(
            plan(
                &roles,
                &[(PortRole::RestProxy, 9093)],
                range,
                &taken,
                |_| true
            )
            .is_err()
        );
        assert!(plan(&roles, &[(PortRole::Ui, 2000)], range, &taken, |_| true).is_err());
        assert!(
            plan(&roles, &[(PortRole::Ui, 3000)], range, &taken, |p| p
                != 3000)
            .is_err()
        );
        assert!(plan(&roles, &[(PortRole::Ui, 80)], range, &taken, |_| true).is_err());
        let bad = PortAllocation {
            kafka_port: 70000,
            ..Default::default()
        };
        assert!(requested(&bad).is_err());
    }

    #[test]
    fn allocation_round_trips_through_claims() {
        let roles = [
            PortRole::Broker(1),
            PortRole::Broker(2),
            PortRole::RestProxy,
            PortRole::Ui,
        ];
        let a = allocation(&roles, &[1, 2, 3, 4]);
        assert_eq!(a.kafka_port, 1);
        assert_eq!(a.additional_kafka_ports, vec![2]);
        assert!(satisfies(&a, &roles));
        assert!(!satisfies(&a, &roles[..2]));
    }
}
