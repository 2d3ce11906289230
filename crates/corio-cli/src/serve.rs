//! `corio serve`: the static-file server.

use std::process::ExitCode;

/// Arguments of `corio serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to serve.
    #[arg(default_value = ".")]
    pub dir: std::path::PathBuf,
}

/// Runs the server until SIGINT or SIGTERM.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    Err(format!("serving {} is not wired yet", args.dir.display()).into())
}
