//! The resource guard: before a cluster is created or started, compare what it needs with
//! what the host has free (and what running clusters already hold); refuse below the
//! template's minimum, warn below its recommendation.

use std::path::Path;

use crate::error::{Error, Result};
use crate::pb::{BrokerEngine, Cluster, ClusterTemplate};

use super::validate;

/// Memory and disk a cluster asks for, in MiB and GiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Requirement {
    pub min_memory_mb: u64,
    pub recommended_memory_mb: u64,
    pub min_disk_gb: u64,
    pub recommended_disk_gb: u64,
}

/// What the host has free for a new cluster.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostFree {
    pub memory_mb: u64,
    pub disk_mb: u64,
}

/// Memory limit of one JVM service with heap `heap`: the heap plus room for metaspace,
/// threads and direct buffers (half the heap, at least 256 MiB).
pub fn jvm_memory_mb(heap_mb: u64) -> u64 {
    heap_mb + (heap_mb / 2).max(256)
}

/// Memory the services of `cluster` are limited to, in MiB.
pub fn memory_estimate_mb(c: &Cluster) -> u64 {
    let k = c.kafka_config.clone().unwrap_or_default();
    let heap = |h: &Option<String>| h.as_deref().and_then(validate::heap_mb).unwrap_or(512);
    let brokers = k.broker_count.unwrap_or(1).max(1) as u64;
    let mut total = match k.engine() {
        BrokerEngine::Tansu => heap(&k.heap_size).max(128),
        _ => {
            let controllers = match brokers {
                1 => 0,
                2 => 1,
                _ => 3,
            };
            brokers * jvm_memory_mb(heap(&k.heap_size)) + controllers * jvm_memory_mb(256)
        }
    };
    if let Some(r) = &c.rest_proxy_config
        && r.enabled == Some(true)
    {
        total += jvm_memory_mb(heap(&r.heap_size));
    }
    if let Some(u) = &c.ui_config
        && u.enabled == Some(true)
    {
        total += jvm_memory_mb(heap(&u.heap_size));
    }
    total
}

/// The requirement of a cluster: its template's, or (without one) its own estimate.
pub fn requirement(c: &Cluster, template: Option<&ClusterTemplate>) -> Requirement {
    match template {
        Some(t) => Requirement {
            min_memory_mb: t.min_memory_mb.max(0) as u64,
            recommended_memory_mb: t.recommended_memory_mb.max(0) as u64,
            min_disk_gb: t.min_disk_gb.max(0) as u64,
            recommended_disk_gb: t.recommended_disk_gb.max(0) as u64,
        },
        None => {
            let m = memory_estimate_mb(c);
            Requirement {
                min_memory_mb: m,
                recommended_memory_mb: m,
                min_disk_gb: 1,
                recommended_disk_gb: 1,
            }
        }
    }
}

/// The host's memory and disk as the resource guard sees them, in MiB.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostSnapshot {
    pub total_memory_mb: u64,
    pub available_memory_mb: u64,
    /// What running clusters are limited to (given by the caller).
    pub reserved_memory_mb: u64,
    pub free: HostFree,
    pub cpu_count: u32,
}

/// Free memory (available memory, less what running clusters may still grow into) and free
/// disk under `data_dir`.
pub fn host_free(data_dir: &Path, reserved_by_running_mb: u64) -> HostFree {
    host_snapshot(data_dir, reserved_by_running_mb).free
}

/// Total, available and free memory, free disk under `data_dir`, and the CPU count.
pub fn host_snapshot(data_dir: &Path, reserved_by_running_mb: u64) -> HostSnapshot {
    use sysinfo::{Disks, System};
    let mut sys = System::new();
    sys.refresh_memory();
    let mb = |b: u64| b / (1024 * 1024);
    let available = mb(sys.available_memory());
    let total = mb(sys.total_memory());
    let memory_mb = available.min(total.saturating_sub(reserved_by_running_mb));
    let disks = Disks::new_with_refreshed_list();
    let dir = data_dir
        .canonicalize()
        .unwrap_or_else(|_| data_dir.to_path_buf());
    let disk_mb = disks
        .list()
        .iter()
        .filter(|d| dir.starts_with(d.mount_point()))
        .max_by_key(|d| d.mount_point().as_os_str().len())
        .map(|d| mb(d.available_space()))
        .unwrap_or(u64::MAX);
    let cpu_count = std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(u32::MAX))
        .unwrap_or(1);
    HostSnapshot {
        total_memory_mb: total,
        available_memory_mb: available,
        reserved_memory_mb: reserved_by_running_mb,
        free: HostFree { memory_mb, disk_mb },
        cpu_count,
    }
}

/// Refuses below the minimum; returns warnings below the recommendation.
pub fn check(name: &str, need: Requirement, free: HostFree) -> Result<Vec<String>> {
    if need.min_memory_mb > free.memory_mb {
        return Err(Error::ResourceExhausted {
            reason: "INSUFFICIENT_MEMORY",
            message: format!(
                "cluster '{name}' needs at least {} MiB of memory and the host has {} MiB free (after what running clusters hold); stop other clusters or choose a smaller template",
                need.min_memory_mb, free.memory_mb
            ),
        });
    }
    if need.min_disk_gb * 1024 > free.disk_mb {
        return Err(Error::ResourceExhausted {
            reason: "INSUFFICIENT_DISK",
            message: format!(
                "cluster '{name}' needs at least {} GiB of disk and the data directory's file system has {} MiB free",
                need.min_disk_gb, free.disk_mb
            ),
        });
    }
    let mut warnings = Vec::new();
    if need.recommended_memory_mb > free.memory_mb {
        warnings.push(format!(
            "the host has {} MiB of memory free, below the {} MiB recommended for this cluster",
            free.memory_mb, need.recommended_memory_mb
        ));
    }
    if need.recommended_disk_gb * 1024 > free.disk_mb {
        warnings.push(format!(
            "the data directory's file system has {} MiB free, below the {} GiB recommended for this cluster",
            free.disk_mb, need.recommended_disk_gb
        ));
    }
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(min: u64, rec: u64) -> Requirement {
        Requirement {
            min_memory_mb: min,
            recommended_memory_mb: rec,
            min_disk_gb: 1,
            recommended_disk_gb: 2,
        }
    }

    #[test]
    fn refuses_below_minimum_and_warns_below_recommendation() {
        let free = HostFree {
            memory_mb: 1500,
            disk_mb: 10_000,
        };
        assert!(check("c", need(1024, 1024), free).unwrap().is_empty());
        assert_eq!(check("c", need(1024, 2048), free).unwrap().len(), 1);
        let err = check("c", need(2048, 4096), free).unwrap_err();
        assert_eq!(err.reason(), "INSUFFICIENT_MEMORY");
        let err = check(
            "c",
            need(1, 1),
            HostFree {
                memory_mb: 100,
                disk_mb: 10,
            },
        )
        .unwrap_err();
        assert_eq!(err.reason(), "INSUFFICIENT_DISK");
    }

    #[test]
    fn estimates_follow_heaps() {
        use crate::core::templates::{Overrides, apply, builtin};
        let dev = apply(builtin("development").as_ref(), &Overrides::default()).unwrap();
        // 512M broker + 256M REST proxy + 256M UI, each with JVM overhead.
        assert_eq!(memory_estimate_mb(&dev), 768 + 512 + 512);
        let tansu = apply(builtin("tansu-dev").as_ref(), &Overrides::default()).unwrap();
        assert_eq!(memory_estimate_mb(&tansu), 256);
    }
}
