//! lkm, the Local Kafka Manager: runs and manages many isolated Kafka clusters on one
//! machine, and moves data between them.
//!
//! Layers: `api` (gRPC services, REST gateway) → `core` (rules and orchestration) →
//! adapters (`registry`, `runtime`).

pub mod api;
pub mod cli;
pub mod config;
pub mod core;
pub mod error;
pub mod kafka;
pub mod registry;
pub mod runtime;
pub mod server;

pub use server::serve;

pub mod proto {
    #![allow(clippy::all, missing_docs)]
    include!(concat!(env!("OUT_DIR"), "/lkm_protos.rs"));

    /// Encoded descriptors of every lkm message and service (and their imports).
    pub const FILE_DESCRIPTOR_SET: &[u8] =
        include_bytes!(concat!(env!("OUT_DIR"), "/lkm_descriptor.bin"));
}

/// The lkm API messages and services (`lkm.v1`).
pub use proto::lkm::v1 as pb;

/// Who the local user is, for `created_by` while lkm has no authentication.
pub fn local_user() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| "local".into())
}
