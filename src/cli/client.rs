//! The connection to a running lkm server: the gRPC channel, the bearer token sent with every
//! call, and the per-call deadline.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};

use super::error::{CliError, CliResult};
use crate::pb::access_service_client::AccessServiceClient;
use crate::pb::cluster_service_client::ClusterServiceClient;
use crate::pb::operation_service_client::OperationServiceClient;
use crate::pb::template_service_client::TemplateServiceClient;

/// The largest message the CLI sends or accepts (a batch of records), as the server.
const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// How long connecting may take when no `--timeout` is given.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The file, in the server's data directory, holding the admin token.
pub const TOKEN_FILE: &str = "admin.token";

/// Adds `authorization: Bearer <token>` to every call (when there is a token).
#[derive(Clone)]
pub struct Auth(Option<MetadataValue<Ascii>>);

impl Interceptor for Auth {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(v) = &self.0 {
            req.metadata_mut().insert("authorization", v.clone());
        }
        Ok(req)
    }
}

pub type AuthChannel = InterceptedService<Channel, Auth>;

/// How an https:// server is verified (`--ca-cert`, `--tls-server-name`); unused for http://.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// A PEM file of certificates trusted besides the system's root certificates.
    pub ca_cert: Option<PathBuf>,
    /// The name the server's certificate must carry, instead of the host of the URL.
    pub server_name: Option<String>,
}

/// A connected client of the three lkm services.
pub struct Client {
    channel: Channel,
    auth: Auth,
    timeout: Option<Duration>,
}

impl Client {
    /// Connects to `server` (an http:// or https:// URL, or host:port for http). `token` is
    /// the `--token` / `LKM_TOKEN` value; without one the admin token file of the local data
    /// directory is used when it exists. `tls` applies to https:// only.
    pub async fn connect(
        server: &str,
        token: Option<&str>,
        timeout: Option<Duration>,
        tls: &TlsOptions,
    ) -> CliResult<Client> {
        let url = if server.contains("://") {
            server.to_string()
        } else {
            format!("http://{server}")
        };
        let https = url.starts_with("https://");
        let connect_timeout = timeout.unwrap_or(CONNECT_TIMEOUT);
        let mut endpoint = Endpoint::from_shared(url.clone())
            .map_err(|e| format!("invalid --server '{server}': {e}"))?
            .connect_timeout(connect_timeout)
            .tcp_nodelay(true)
            .http2_adaptive_window(true);
        if https {
            endpoint = with_tls(endpoint, tls, connect_timeout)?;
        }
        let channel = endpoint.connect().await.map_err(|e| {
            let chain = error_chain(&e);
            let hint = connect_hint(https, &chain);
            CliError::Message(format!("cannot connect to lkm at {url}: {chain} ({hint})"))
        })?;
        let auth = match discover_token(token) {
            Some(t) => Auth(Some(
                MetadataValue::try_from(format!("Bearer {t}"))
                    .map_err(|_| "the token contains characters that cannot be sent in a header")?,
            )),
            None => Auth(None),
        };
        Ok(Client {
            channel,
            auth,
            timeout,
        })
    }

    fn channel(&self) -> AuthChannel {
        InterceptedService::new(self.channel.clone(), self.auth.clone())
    }

    pub fn clusters(&self) -> ClusterServiceClient<AuthChannel> {
        ClusterServiceClient::new(self.channel())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    pub fn templates(&self) -> TemplateServiceClient<AuthChannel> {
        TemplateServiceClient::new(self.channel())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    pub fn access(&self) -> AccessServiceClient<AuthChannel> {
        AccessServiceClient::new(self.channel())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    pub fn operations(&self) -> OperationServiceClient<AuthChannel> {
        OperationServiceClient::new(self.channel())
            .max_decoding_message_size(MAX_MESSAGE_BYTES)
            .max_encoding_message_size(MAX_MESSAGE_BYTES)
    }

    /// A unary request, with the `--timeout` deadline when one was given. (Streams — consume
    /// --follow, watching an operation — run until they end.)
    pub fn req<T>(&self, message: T) -> tonic::Request<T> {
        let mut r = tonic::Request::new(message);
        if let Some(t) = self.timeout {
            r.set_timeout(t);
        }
        r
    }
}

/// `endpoint` speaking TLS: the server's certificate is verified against the system's root
/// certificates plus `--ca-cert`, for the host of the URL or `--tls-server-name`.
fn with_tls(endpoint: Endpoint, tls: &TlsOptions, handshake: Duration) -> CliResult<Endpoint> {
    let mut config = ClientTlsConfig::new().timeout(handshake);
    if let Some(name) = tls.server_name.as_deref().filter(|n| !n.is_empty()) {
        config = config.domain_name(name);
    }
    let Some(ca) = tls.ca_cert.as_deref().filter(|p| !p.as_os_str().is_empty()) else {
        return endpoint
            .tls_config(config.with_native_roots())
            .map_err(|e| {
                format!(
                    "cannot set up TLS: {} (give the server's CA or self-signed certificate \
                     with --ca-cert <PEM file> or LKM_CA_CERT)",
                    error_chain(&e)
                )
                .into()
            });
    };
    let config = config.ca_certificate(read_ca_cert(ca)?);
    // The system's roots as well, when there are any (a bare container may have none).
    if let Ok(e) = endpoint
        .clone()
        .tls_config(config.clone().with_native_roots())
    {
        return Ok(e);
    }
    endpoint
        .tls_config(config)
        .map_err(|e| format!("cannot set up TLS: {}", error_chain(&e)).into())
}

/// The certificates of the `--ca-cert` file, checked to be PEM X.509 certificates.
fn read_ca_cert(path: &Path) -> CliResult<Certificate> {
    use tokio_rustls::rustls::RootCertStore;
    use tokio_rustls::rustls::pki_types::CertificateDer;
    use tokio_rustls::rustls::pki_types::pem::PemObject;

    let file = path.display();
    let pem = std::fs::read(path).map_err(|e| format!("--ca-cert {file}: cannot read it: {e}"))?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("--ca-cert {file}: not a PEM certificate file: {e}"))?;
    if certs.is_empty() {
        return Err(format!(
            "--ca-cert {file}: no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)"
        )
        .into());
    }
    let mut roots = RootCertStore::empty();
    for cert in certs {
        roots
            .add(cert)
            .map_err(|e| format!("--ca-cert {file}: not a usable X.509 certificate: {e}"))?;
    }
    Ok(Certificate::from_pem(pem))
}

/// What to suggest when connecting failed with `chain`.
fn connect_hint(https: bool, chain: &str) -> &'static str {
    let lower = chain.to_ascii_lowercase();
    if https && lower.contains("causedasendentity") {
        "the server's certificate is a CA certificate (basicConstraints CA:TRUE), which is not \
         accepted as a server certificate: give the server a certificate with CA:FALSE (or one \
         signed by that CA)"
    } else if https && (lower.contains("notvalidforname") || lower.contains("not valid for name")) {
        "the server's certificate is not issued for this host name: connect with the name it \
         carries, or give that name with --tls-server-name"
    } else if https && lower.contains("certificate") {
        "the server's TLS certificate is not trusted: for a self-signed or private CA \
         certificate, give it with --ca-cert <PEM file> or LKM_CA_CERT"
    } else if https {
        "is `lkm serve` running there, with TLS (--tls-cert)? --server or LKM_SERVER choose \
         the address; http:// for a server without TLS"
    } else {
        "is `lkm serve` running there? --server or LKM_SERVER choose the address; https:// \
         for a server with TLS"
    }
}

/// The token to send: `given` (from `--token` or `LKM_TOKEN`), else the contents of
/// `admin.token` in the data directory (`$LKM_DATA_DIR`, else the default one), else none.
pub fn discover_token(given: Option<&str>) -> Option<String> {
    token_from(given, &token_file())
}

fn token_from(given: Option<&str>, file: &std::path::Path) -> Option<String> {
    if let Some(t) = given.map(str::trim).filter(|t| !t.is_empty()) {
        return Some(t.to_string());
    }
    match std::fs::read_to_string(file) {
        Ok(text) => Some(text.trim().to_string()).filter(|t| !t.is_empty()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => {
            eprintln!("lkm: warning: cannot read {}: {e}", file.display());
            None
        }
    }
}

/// `admin.token` in `$LKM_DATA_DIR`, or in the default data directory.
pub fn token_file() -> PathBuf {
    let dir = std::env::var_os("LKM_DATA_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(crate::config::default_data_dir);
    dir.join(TOKEN_FILE)
}

/// An error and its causes, "a: b: c" (tonic's transport error alone says little).
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_cert_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let err = read_ca_cert(&missing).unwrap_err().to_string();
        assert!(
            err.contains("missing.pem") && err.contains("cannot read"),
            "{err}"
        );
        let junk = dir.path().join("junk.pem");
        std::fs::write(&junk, "not a certificate\n").unwrap();
        let err = read_ca_cert(&junk).unwrap_err().to_string();
        assert!(
            err.contains("junk.pem") && err.contains("no PEM certificate"),
            "{err}"
        );
        let bad = dir.path().join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let err = read_ca_cert(&bad).unwrap_err().to_string();
        assert!(err.contains("bad.pem"), "{err}");
        let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let good = dir.path().join("good.pem");
        std::fs::write(&good, cert.cert.pem()).unwrap();
        read_ca_cert(&good).unwrap();
    }

    #[test]
    fn token_discovery_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join(TOKEN_FILE);
        assert_eq!(token_from(None, &file), None);
        std::fs::write(&file, "from-file\n").unwrap();
        assert_eq!(token_from(None, &file).as_deref(), Some("from-file"));
        assert_eq!(token_from(Some(""), &file).as_deref(), Some("from-file"));
        assert_eq!(token_from(Some(" abc \n"), &file).as_deref(), Some("abc"));
        std::fs::write(&file, "  \n").unwrap();
        assert_eq!(token_from(None, &file), None);
    }
}
