//! The `lkm` command line: `lkm serve` runs the server; every other command is a client of a
//! running server over gRPC.

mod access;
mod client;
mod clusters;
mod compare;
mod consume;
mod error;
mod groups;
mod migrate;
mod operations;
mod output;
mod parse;
mod produce;
mod progress;
mod reflect;
mod serve;
mod templates;
mod topics;

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand};

pub use client::{TOKEN_FILE, discover_token};
pub use error::{CliError, CliResult};
pub use output::OutputFormat;
pub use serve::ServeArgs;

const AFTER_HELP: &str = "\
Client commands talk to a running `lkm serve` over gRPC. Every call carries the token as
`authorization: Bearer <token>`: --token, else LKM_TOKEN, else the file admin.token in the
data directory ($LKM_DATA_DIR, else ~/.local/share/lkm), which lkm serve writes.
An https:// server's certificate is checked against the system's root certificates and
--ca-cert (e.g. the self-signed certificate given to lkm serve --tls-cert).

Exit status: 0 on success; 1 on failure, with the server's message and gRPC code on stderr.
With --output json, stdout holds one JSON document (proto3 JSON), or one document per line
for streams (consume --follow, ops watch).";

#[derive(Parser, Debug)]
#[command(
    name = "lkm",
    version,
    about = "Local Kafka Manager: many isolated Kafka clusters on one machine",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Options of every client command (ignored by `serve`).
#[derive(clap::Args, Debug, Clone)]
pub struct GlobalArgs {
    /// Address of the lkm server.
    #[arg(
        long,
        global = true,
        env = "LKM_SERVER",
        default_value = "http://127.0.0.1:8000",
        help_heading = "Client options"
    )]
    pub server: String,
    /// Bearer token [default: admin.token in the data directory, when it exists].
    #[arg(
        long,
        global = true,
        env = "LKM_TOKEN",
        hide_env_values = true,
        help_heading = "Client options"
    )]
    pub token: Option<String>,
    /// How results are printed.
    #[arg(
        long,
        short = 'o',
        global = true,
        value_enum,
        default_value_t = OutputFormat::Table,
        help_heading = "Client options"
    )]
    pub output: OutputFormat,
    /// Deadline of connecting and of each call, e.g. 30s, 2m [default: 10s to connect, calls
    /// unbounded]. Streams (--follow, watching an operation) are not cut off.
    #[arg(long, global = true, value_parser = parse::duration, help_heading = "Client options")]
    pub timeout: Option<Duration>,
    /// PEM file of a CA or self-signed certificate to trust for an https:// server, in
    /// addition to the system's root certificates.
    #[arg(
        long,
        global = true,
        env = "LKM_CA_CERT",
        value_name = "PEM_FILE",
        help_heading = "Client options"
    )]
    pub ca_cert: Option<PathBuf>,
    /// The name the https:// server's certificate must carry [default: the host of --server].
    #[arg(
        long,
        global = true,
        env = "LKM_TLS_SERVER_NAME",
        value_name = "NAME",
        help_heading = "Client options"
    )]
    pub tls_server_name: Option<String>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the lkm server (gRPC, gRPC-web and REST on one port).
    Serve(ServeArgs),
    /// Create, inspect, start, stop and delete clusters.
    #[command(subcommand, visible_alias = "cluster")]
    Clusters(clusters::Cmd),
    /// Cluster templates: built-in and your own.
    #[command(subcommand, visible_alias = "template")]
    Templates(templates::Cmd),
    /// Topics of a cluster.
    #[command(subcommand, visible_alias = "topic")]
    Topics(topics::Cmd),
    /// Produce records read from stdin or a file.
    Produce(produce::Args),
    /// Read records from a topic.
    Consume(consume::Args),
    /// Consumer groups of a cluster.
    #[command(subcommand, visible_alias = "group")]
    Groups(groups::Cmd),
    /// Copy topics (and consumer-group offsets) from one cluster to another, with live progress.
    Migrate(migrate::MigrateArgs),
    /// Create a cluster's topics on other clusters (structure only, no data).
    Replicate(migrate::ReplicateArgs),
    /// Show how two clusters differ: configuration, topics and (with --data) message counts.
    Compare(compare::CompareArgs),
    /// Cross-cluster operations: list, inspect, watch, cancel.
    #[command(subcommand, visible_alias = "operations")]
    Ops(operations::OpsCmd),
    /// Memory, disk and CPUs the host has for new clusters (after what running clusters hold).
    Host,
    /// Who the token is: principal, token, grants.
    Whoami,
    /// API tokens: list, create (the secret is shown once), revoke.
    #[command(subcommand, visible_alias = "token")]
    Tokens(access::TokensCmd),
    /// Who may do what on which clusters (admin).
    #[command(subcommand, visible_alias = "grant")]
    Grants(access::GrantsCmd),
    /// The audit log: every change and every denied call (admin).
    Audit(access::AuditArgs),
    /// Print a shell completion script (e.g. `lkm completions bash > /etc/bash_completion.d/lkm`).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
}

/// What a client command needs: the connection and the output format.
pub struct Ctx {
    pub api: client::Client,
    pub output: OutputFormat,
}

impl Ctx {
    pub fn json(&self) -> bool {
        self.output == OutputFormat::Json
    }
}

/// Runs the command line; the message to print on failure.
pub async fn run(cli: Cli) -> Result<(), String> {
    let result = match cli.command {
        Command::Serve(args) => return serve::run(args).await,
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "lkm", &mut script);
            output::raw(&script)
        }
        command => client_command(cli.global, command).await,
    };
    match result {
        Ok(()) | Err(CliError::BrokenPipe) => Ok(()),
        Err(e) => Err(e.to_string()),
    }
}

async fn client_command(global: GlobalArgs, command: Command) -> CliResult {
    let tls = client::TlsOptions {
        ca_cert: global.ca_cert,
        server_name: global.tls_server_name,
    };
    let api = client::Client::connect(
        &global.server,
        global.token.as_deref(),
        global.timeout,
        &tls,
    )
    .await?;
    let ctx = Ctx {
        api,
        output: global.output,
    };
    match command {
        Command::Clusters(cmd) => clusters::run(&ctx, cmd).await,
        Command::Templates(cmd) => templates::run(&ctx, cmd).await,
        Command::Topics(cmd) => topics::run(&ctx, cmd).await,
        Command::Produce(args) => produce::run(&ctx, args).await,
        Command::Consume(args) => consume::run(&ctx, args).await,
        Command::Groups(cmd) => groups::run(&ctx, cmd).await,
        Command::Migrate(args) => migrate::migrate(&ctx, args).await,
        Command::Replicate(args) => migrate::replicate(&ctx, args).await,
        Command::Compare(args) => compare::compare(&ctx, args).await,
        Command::Ops(cmd) => operations::run(&ctx, cmd).await,
        Command::Host => clusters::host(&ctx).await,
        Command::Whoami => access::whoami(&ctx).await,
        Command::Tokens(cmd) => access::tokens(&ctx, cmd).await,
        Command::Grants(cmd) => access::grants(&ctx, cmd).await,
        Command::Audit(args) => access::audit(&ctx, args).await,
        Command::Serve(_) | Command::Completions { .. } => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn global_options_go_anywhere() {
        let cli = Cli::try_parse_from([
            "lkm",
            "clusters",
            "list",
            "-o",
            "json",
            "--server",
            "h:1",
            "--timeout",
            "5s",
        ])
        .unwrap();
        assert_eq!(cli.global.output, OutputFormat::Json);
        assert_eq!(cli.global.server, "h:1");
        assert_eq!(cli.global.timeout, Some(Duration::from_secs(5)));
        let cli = Cli::try_parse_from([
            "lkm",
            "--output",
            "json",
            "serve",
            "--listen",
            "127.0.0.1:1",
        ])
        .unwrap();
        assert!(matches!(cli.command, Command::Serve(_)));
    }
}
