//! The server: one listener serving gRPC, gRPC-web, server reflection (v1 and v1alpha),
//! gRPC health and the REST gateway, with graceful shutdown.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::response::IntoResponse;
use http::{HeaderValue, StatusCode, header};
use prost_reflect::DescriptorPool;
use tokio::net::TcpListener;
use tonic::service::Routes;
use tower::Layer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::api::access_service::AccessApi;
use crate::api::auth::AuthLayer;
use crate::api::auth_limit::ClientAddr;
use crate::api::cluster_service::ClusterApi;
use crate::api::operation_service::OperationApi;
use crate::api::template_service::TemplateApi;
use crate::api::web_guard::{self, WebGuard};
use crate::config::Config;
use crate::core::Core;
use crate::error::{Error, Result};
use crate::pb::access_service_server::AccessServiceServer;
use crate::pb::cluster_service_server::ClusterServiceServer;
use crate::pb::operation_service_server::OperationServiceServer;
use crate::pb::template_service_server::TemplateServiceServer;
use crate::proto::FILE_DESCRIPTOR_SET;
use crate::registry::Registry;

/// The largest request message (gRPC) or body (REST): a produce batch of many records.
const MAX_REQUEST_BYTES: usize = 64 * 1024 * 1024;

/// gRPC services served under `/<name>/<method>`.
const GRPC_SERVICES: &[&str] = &[
    "lkm.v1.ClusterService",
    "lkm.v1.TemplateService",
    "lkm.v1.OperationService",
    "lkm.v1.AccessService",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];

/// Opens the registry and the runtime, recovers state left by a previous run, and serves on
/// `listener` until `shutdown` completes; in-flight requests are allowed to finish.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    create_data_dir(&config)?;
    let registry = Registry::connect(&config.registry_url()).await?;
    let runtime = crate::runtime::select(&config).await?;
    let core = Arc::new(Core::new(&config, registry.clone(), runtime));
    core.recover(&config.default_bootstrap).await?;
    // A registry that takes no writes (read-only) still serves reads.
    if let Err(e) = core.access.prune_audit(config.audit_retention_days).await {
        tracing::warn!(error = %e, "cannot prune the audit log");
    }
    // The audit log is pruned hourly (and was just now), unless kept forever.
    let retention = config.audit_retention_days;
    let pruning = (retention > 0).then(|| {
        let core = core.clone();
        spawn_every(
            std::time::Duration::from_secs(3600),
            "cannot prune the audit log",
            move || {
                let core = core.clone();
                async move { core.access.prune_audit(retention).await.map(drop) }
            },
        )
    });
    // A registry file removed or replaced under lkm is noticed (and logged) within a second.
    let registry_probe = {
        let registry = registry.clone();
        spawn_every(
            std::time::Duration::from_secs(1),
            "cannot check the registry file",
            move || {
                registry.probe_file();
                async { Ok(()) }
            },
        )
    };
    // Counts of repeated denials are written as they grow.
    let denials = {
        let core = core.clone();
        spawn_every(
            crate::core::denial_tally::REWRITE_EVERY,
            "cannot write the audit log",
            move || {
                let core = core.clone();
                async move {
                    core.access.flush_denials().await;
                    Ok(())
                }
            },
        )
    };
    // Running clusters are checked for dead services (0: only when asked).
    let liveness = (config.liveness_interval_secs > 0).then(|| {
        let core = core.clone();
        spawn_every(
            std::time::Duration::from_secs(config.liveness_interval_secs),
            "cannot check that running clusters run",
            move || {
                let core = core.clone();
                async move { core.clusters.check_liveness().await }
            },
        )
    });
    let addr = listener
        .local_addr()
        .map_err(|e| Error::internal(format!("listener: {e}")))?;
    let app = app(core.clone(), &config, addr).await?;
    tracing::info!(
        %addr,
        registry = ?registry.backend(),
        runtime = core.clusters.runtime_kind(),
        data_dir = %config.data_dir.display(),
        "lkm is serving gRPC, gRPC-web and REST"
    );
    let tls = tls_acceptor(&config)?;
    // Open cluster watches end when the server stops (they would otherwise hold the
    // shutdown for its whole grace period).
    let watches = core.clone();
    let shutdown = async move {
        shutdown.await;
        watches.clusters.close_watchers();
    };
    serve_http(listener, app, tls, shutdown).await;
    for task in [pruning, liveness, Some(denials), Some(registry_probe)]
        .into_iter()
        .flatten()
    {
        task.abort();
    }
    core.access.flush_denials().await;
    core.operations.shutdown().await;
    registry.close().await;
    tracing::info!("lkm stopped");
    Ok(())
}

/// Runs `job` every `period` (the first time one period from now), logging its failures as
/// `what`, until aborted.
fn spawn_every<F, Fut>(
    period: std::time::Duration,
    what: &'static str,
    mut job: F,
) -> tokio::task::JoinHandle<()>
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    tokio::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        every.tick().await;
        loop {
            every.tick().await;
            if let Err(e) = job().await {
                tracing::warn!(error = %e, "{what}");
            }
        }
    })
}

/// How long a shutdown waits for open calls (e.g. progress streams) before closing them.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(10);

/// Accepts connections until `shutdown`, then lets open calls finish (up to SHUTDOWN_GRACE).
/// HTTP/1.1 and HTTP/2 (prior knowledge, as gRPC uses) on one port; HTTP/2 with adaptive flow
/// control windows and large frames, so bulk streams are not throttled by the 64 KiB
/// defaults.
async fn serve_http(
    listener: TcpListener,
    app: Router,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    use hyper_util::rt::{TokioExecutor, TokioIo};
    use hyper_util::server::conn::auto;
    use hyper_util::service::TowerToHyperService;

    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http2()
        .adaptive_window(true)
        .max_frame_size(1024 * 1024);
    let builder = Arc::new(builder);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        // Every request knows its client's address (limits, audit log).
        let service =
            TowerToHyperService::new(axum::Extension(ClientAddr(peer)).layer(app.clone()));
        let watcher = graceful.watcher();
        let builder = builder.clone();
        let tls = tls.clone();
        tokio::spawn(async move {
            let served = match tls {
                None => {
                    let conn =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(conn.into_owned()).await
                }
                Some(acceptor) => match acceptor.accept(stream).await {
                    Ok(stream) => {
                        let conn =
                            builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                        watcher.watch(conn.into_owned()).await
                    }
                    Err(e) => {
                        tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        return;
                    }
                },
            };
            if let Err(e) = served {
                tracing::debug!(%peer, error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("open calls did not finish within {SHUTDOWN_GRACE:?}; closing them");
    }
}

/// The TLS acceptor of the listener, when a certificate and key are configured.
fn tls_acceptor(config: &Config) -> Result<Option<tokio_rustls::TlsAcceptor>> {
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    if config.tls_cert.is_empty() {
        return Ok(None);
    }
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        Error::invalid(what, format!("cannot be read as PEM: {e}"))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&config.tls_cert)
        .map_err(|e| bad("tls_cert", &e))?
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| bad("tls_cert", &e))?;
    let key = PrivateKeyDer::from_pem_file(&config.tls_key).map_err(|e| bad("tls_key", &e))?;
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut tls = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| Error::invalid("tls_cert", format!("does not go with tls_key: {e}")))?;
    tls.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Some(tokio_rustls::TlsAcceptor::from(Arc::new(tls))))
}

fn create_data_dir(config: &Config) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&config.data_dir)
        .map_err(|e| {
            Error::Unavailable(format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            ))
        })
}

/// The whole HTTP application, for a listener on `bound`.
pub async fn app(core: Arc<Core>, config: &Config, bound: std::net::SocketAddr) -> Result<Router> {
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<ClusterServiceServer<ClusterApi>>()
        .await;
    health
        .set_serving::<TemplateServiceServer<TemplateApi>>()
        .await;
    health
        .set_serving::<OperationServiceServer<OperationApi>>()
        .await;
    health.set_serving::<AccessServiceServer<AccessApi>>().await;
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection()
        .build_v1()
        .map_err(|e| Error::internal(format!("reflection: {e}")))?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .map_err(|e| Error::internal(format!("reflection: {e}")))?;

    // Produce batches are large messages: allow up to MAX_REQUEST_BYTES.
    let clusters = ClusterServiceServer::new(ClusterApi::new(core.clone()))
        .max_decoding_message_size(MAX_REQUEST_BYTES);
    let routes = Routes::new(clusters)
        .add_service(TemplateServiceServer::new(TemplateApi::new(core.clone())))
        .add_service(OperationServiceServer::new(OperationApi::new(core.clone())))
        .add_service(AccessServiceServer::new(AccessApi::new(core.clone())))
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .prepare();

    let pool = DescriptorPool::decode(FILE_DESCRIPTOR_SET)
        .map_err(|e| Error::internal(format!("descriptor: {e}")))?;
    // Every call to the services, from any transport, goes through authentication and
    // authorization here.
    let grpc = AuthLayer::new(core.clone(), pool.clone()).layer(routes);
    let mut app = crate::api::rest::router(pool, grpc.clone(), MAX_REQUEST_BYTES)
        .map_err(|e| Error::internal(format!("REST gateway: {e}")))?;
    let grpc_and_web = tower::ServiceBuilder::new()
        .layer(tonic_web::GrpcWebLayer::new())
        .service(grpc);
    for name in GRPC_SERVICES {
        app = app.route_service(&format!("/{name}/{{*method}}"), grpc_and_web.clone());
    }
    let app = app.merge(crate::api::dashboard::router());
    // Inside CORS: an allowed origin can read why a request was refused.
    let guard = Arc::new(WebGuard::new(config, bound));
    let mut app = app
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            guard,
            web_guard::check,
        ))
        .layer(TraceLayer::new_for_http());
    if !config.cors_allowed_origins.is_empty() {
        let origins: Vec<HeaderValue> = config
            .cors_allowed_origins
            .iter()
            .map(|o| HeaderValue::from_str(o))
            .collect::<std::result::Result<_, _>>()
            .map_err(|_| Error::invalid("cors_allowed_origins", "contains an invalid origin"))?;
        app = app.layer(
            CorsLayer::new()
                .allow_origin(AllowOrigin::list(origins))
                .allow_methods(tower_http::cors::Any)
                // The requested headers, named: "*" would not cover `authorization` (Fetch
                // standard), which carries the bearer token.
                .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
                .expose_headers([
                    http::HeaderName::from_static("grpc-status"),
                    http::HeaderName::from_static("grpc-message"),
                    http::HeaderName::from_static("grpc-status-details-bin"),
                ]),
        );
    }
    Ok(app)
}

async fn not_found(uri: http::Uri) -> impl IntoResponse {
    let body = serde_json::json!({
        "code": tonic::Code::NotFound as i32,
        "message": format!("no route for {}", uri.path()),
        "details": [],
    });
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
}
