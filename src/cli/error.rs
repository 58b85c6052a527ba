//! The one error type of the client commands: a gRPC status from the server, or a message
//! of the CLI's own (bad input, no connection, …).

use std::fmt;

use tonic::Code;

#[derive(Debug)]
pub enum CliError {
    /// The server answered with an error.
    Status(tonic::Status),
    /// Anything else, said in words.
    Message(String),
    /// stdout was closed (e.g. piped into `head`): stop quietly.
    BrokenPipe,
}

pub type CliResult<T = ()> = Result<T, CliError>;

impl From<tonic::Status> for CliError {
    fn from(s: tonic::Status) -> Self {
        CliError::Status(s)
    }
}

impl From<String> for CliError {
    fn from(s: String) -> Self {
        CliError::Message(s)
    }
}

impl From<&str> for CliError {
    fn from(s: &str) -> Self {
        CliError::Message(s.to_string())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            CliError::BrokenPipe
        } else {
            CliError::Message(e.to_string())
        }
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Status(s) => {
                let message = if s.message().is_empty() {
                    s.code().description()
                } else {
                    s.message()
                };
                write!(f, "{message}")?;
                // A failed connection: tonic's "transport error" says little without its causes.
                let broken = connection_broke(s);
                if broken
                    && s.message() == "transport error"
                    && let Some(cause) = std::error::Error::source(s)
                {
                    let chain = super::client::error_chain(cause);
                    let chain = chain.strip_prefix("transport error: ").unwrap_or(&chain);
                    write!(f, ": {chain}")?;
                }
                write!(f, " ({})", code_name(s.code()))?;
                if broken {
                    write!(
                        f,
                        "\nhint: the connection to the server failed; if it serves TLS \
                         (lkm serve --tls-cert), use an https:// --server"
                    )?;
                }
                if s.code() == Code::Unauthenticated {
                    // The server does not say where its token file is: the CLI does.
                    write!(
                        f,
                        "\nhint: pass --token or set LKM_TOKEN; without either, lkm reads {} \
                         (admin.token in $LKM_DATA_DIR or the default data directory)",
                        super::client::token_file().display()
                    )?;
                }
                Ok(())
            }
            CliError::Message(m) => f.write_str(m),
            CliError::BrokenPipe => f.write_str("output closed"),
        }
    }
}

/// Whether `s` is the client's own report of a broken connection (not the server's answer),
/// e.g. plain HTTP/2 sent to a TLS listener.
fn connection_broke(s: &tonic::Status) -> bool {
    let m = s.message();
    matches!(
        s.code(),
        Code::Unknown | Code::Internal | Code::Unavailable | Code::Cancelled
    ) && (m == "transport error"
        || m.starts_with("h2 protocol error")
        || m.starts_with("operation was canceled"))
}

/// The canonical name of a gRPC code, as in google.rpc.Code (`NOT_FOUND`).
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_reads_as_message_and_code() {
        let e = CliError::from(tonic::Status::not_found("cluster 'x' not found"));
        assert_eq!(e.to_string(), "cluster 'x' not found (NOT_FOUND)");
        let e = CliError::from(tonic::Status::unauthenticated("missing token"));
        assert!(
            e.to_string()
                .starts_with("missing token (UNAUTHENTICATED)\nhint:")
        );
    }
}
