//! The connection to a running lkm server: the gRPC channel, the bearer token sent with every
//! call, and the per-call deadline.

use std::path::PathBuf;
use std::time::Duration;

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Channel, Endpoint};

use super::error::{CliError, CliResult};
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

/// A connected client of the three lkm services.
pub struct Client {
    channel: Channel,
    auth: Auth,
    timeout: Option<Duration>,
}

impl Client {
    /// Connects to `server` (an http:// URL, or host:port). `token` is the `--token` /
    /// `LKM_TOKEN` value; without one the admin token file of the local data directory is
    /// used when it exists.
    pub async fn connect(
        server: &str,
        token: Option<&str>,
        timeout: Option<Duration>,
    ) -> CliResult<Client> {
        let url = if server.contains("://") {
            server.to_string()
        } else {
            format!("http://{server}")
        };
        if url.starts_with("https://") {
            return Err(format!(
                "--server {server}: this lkm client speaks plain http:// only (no TLS yet)"
            )
            .into());
        }
        let endpoint = Endpoint::from_shared(url.clone())
            .map_err(|e| format!("invalid --server '{server}': {e}"))?
            .connect_timeout(timeout.unwrap_or(CONNECT_TIMEOUT))
            .tcp_nodelay(true)
            .http2_adaptive_window(true);
        let channel = endpoint.connect().await.map_err(|e| {
            CliError::Message(format!(
                "cannot connect to lkm at {url}: {} (is `lkm serve` running there? \
                 --server or LKM_SERVER choose the address)",
                error_chain(&e)
            ))
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
fn error_chain(e: &dyn std::error::Error) -> String {
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
