//! The API layer: gRPC services over the core, and the REST gateway over the gRPC services.

pub mod access_service;
pub mod auth;
pub mod auth_limit;
pub mod cluster_service;
pub mod dashboard;
pub mod operation_service;
pub mod rest;
pub mod status;
pub mod stream_guard;
pub mod template_service;
pub mod web_guard;
