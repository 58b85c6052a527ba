use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = lkm::cli::Cli::parse();
    match lkm::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("lkm: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}
