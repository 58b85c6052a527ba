//! The API layer: gRPC services over the core, and the REST gateway over the gRPC services.

pub mod cluster_service;
pub mod operation_service;
pub mod rest;
pub mod status;
pub mod template_service;
