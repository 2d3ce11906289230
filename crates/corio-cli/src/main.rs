//! The `corio` command: `serve` (the main job), `get`, `crawl` and `bench`.
//!
//! Each subcommand lives in its own module; this file only parses arguments and dispatches.
//! Errors are printed as one line on stderr with a non-zero exit status.

#![forbid(unsafe_code)]

mod bench;
mod crawl;
mod get;
mod serve;
mod tls_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// An async HTTP server, client, crawler and load generator on the corio runtime.
#[derive(Debug, Parser)]
#[command(name = "corio", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve a directory over HTTP/1.1 (default: the current directory on 127.0.0.1:5000).
    Serve(serve::Args),
    /// Fetch URLs concurrently and print (or save) their bodies.
    Get(get::Args),
    /// Crawl a site from a root URL, staying on its host.
    Crawl(crawl::Args),
    /// Load an HTTP server: requests per second and latency percentiles.
    Bench(bench::Args),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version go to stdout with status 0; usage errors are one line.
            if e.use_stderr() {
                let text = e.to_string();
                let first = text.lines().next().unwrap_or("invalid arguments");
                eprintln!("{first}");
                eprintln!("(run `corio --help` for usage)");
                return ExitCode::from(2);
            }
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Get(args) => get::run(args),
        Command::Crawl(args) => crawl::run(args),
        Command::Bench(args) => bench::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("corio: {e}");
            ExitCode::FAILURE
        }
    }
}
