//! The cluster lifecycle state machine:
//!
//! ```text
//! CREATED ──start──▶ STARTING ──ready──▶ RUNNING ──stop──▶ STOPPING ──▶ STOPPED
//!                        │                  │                  │           │
//!                        └──────────────▶ ERROR ◀──────────────┘      start│
//!                                           └──start / stop──▶ …  ◀────────┘
//! ```

use crate::error::{Error, Result};
use crate::pb::ClusterStatus;

pub fn name(s: ClusterStatus) -> &'static str {
    match s {
        ClusterStatus::Unspecified => "UNSPECIFIED",
        ClusterStatus::Created => "CREATED",
        ClusterStatus::Starting => "STARTING",
        ClusterStatus::Running => "RUNNING",
        ClusterStatus::Stopping => "STOPPING",
        ClusterStatus::Stopped => "STOPPED",
        ClusterStatus::Error => "ERROR",
    }
}

/// Whether the machine allows going from `from` to `to`.
pub fn allowed(from: ClusterStatus, to: ClusterStatus) -> bool {
    use ClusterStatus::*;
    matches!(
        (from, to),
        (Created | Stopped | Error, Starting)
            | (Running, Starting) // forced restart
            | (Starting, Running | Error | Stopping)
            | (Starting, Stopped) // an interrupted start, settled by reconciliation
            | (Running, Stopping | Error | Stopped) // stopped: seen dead by reconciliation
            | (Stopping, Stopped | Error)
            | (Error, Stopping | Stopped | Running) // running: seen alive by reconciliation
            | (Created | Stopped, Error)
    )
}

pub fn transition(from: ClusterStatus, to: ClusterStatus) -> Result<()> {
    if allowed(from, to) {
        Ok(())
    } else {
        Err(Error::precondition(
            "INVALID_STATE_TRANSITION",
            format!("a {} cluster cannot become {}", name(from), name(to)),
        ))
    }
}

/// Checks a start request: `force` restarts a running or starting cluster.
pub fn check_start(status: ClusterStatus, force: bool) -> Result<()> {
    match status {
        ClusterStatus::Running | ClusterStatus::Starting if !force => Err(Error::precondition(
            "CLUSTER_ALREADY_RUNNING",
            format!(
                "the cluster is {}; pass force=true to restart it",
                name(status)
            ),
        )),
        ClusterStatus::Stopping => Err(Error::precondition(
            "CLUSTER_BUSY",
            "the cluster is STOPPING; start it once it has stopped",
        )),
        _ => Ok(()),
    }
}

pub fn check_stop(status: ClusterStatus) -> Result<()> {
    match status {
        ClusterStatus::Created => Err(Error::precondition(
            "CLUSTER_NOT_RUNNING",
            "the cluster was never started",
        )),
        _ => Ok(()),
    }
}

pub fn check_delete(status: ClusterStatus, force: bool) -> Result<()> {
    match status {
        ClusterStatus::Running | ClusterStatus::Starting | ClusterStatus::Stopping if !force => {
            Err(Error::precondition(
                "CLUSTER_RUNNING",
                format!(
                    "the cluster is {}; stop it first or pass force=true",
                    name(status)
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Operations on topics and records need a running cluster.
pub fn require_running(cluster_name: &str, status: ClusterStatus) -> Result<()> {
    if status == ClusterStatus::Running {
        Ok(())
    } else {
        Err(Error::precondition(
            "CLUSTER_NOT_RUNNING",
            format!(
                "cluster '{cluster_name}' is {}, not RUNNING; start it first",
                name(status)
            ),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClusterStatus::*;

    #[test]
    fn happy_path_is_allowed() {
        for (a, b) in [
            (Created, Starting),
            (Starting, Running),
            (Running, Stopping),
            (Stopping, Stopped),
            (Stopped, Starting),
        ] {
            transition(a, b).unwrap();
        }
    }

    #[test]
    fn shortcuts_are_refused() {
        for (a, b) in [(Created, Running), (Stopped, Running), (Created, Stopping)] {
            assert!(transition(a, b).is_err(), "{a:?} -> {b:?}");
        }
    }

    #[test]
    fn guards() {
        assert!(check_start(Running, false).is_err());
        check_start(Running, true).unwrap();
        assert!(check_delete(Running, false).is_err());
        check_delete(Running, true).unwrap();
        check_delete(Stopped, false).unwrap();
        assert!(require_running("c", Stopped).is_err());
    }
}
