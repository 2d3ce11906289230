//! The `corio` command: `serve` (the main job), `get`, `crawl` and `bench`.
//!
//! Each subcommand lives in its own module; this file only parses arguments and dispatches.
//! Exit statuses are the same in every command: 0 on success, 1 when the work failed (the
//! error on stderr as one line), 2 for a usage error (clap's whole message).

#![forbid(unsafe_code)]

mod bench;
mod crawl;
mod get;
mod http_args;
mod progress;
mod serve;
mod serve_tls;
mod tls_args;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The process's allocator: mimalloc rather than the C library's. corio's own request paths
/// allocate nothing per request, but the h2 crate allocates about a dozen times per HTTP/2
/// request (frames, stream slots, header maps), and `corio bench --h2` spends several per
/// cent of its CPU there; mimalloc's per-thread free lists are the cheaper fast path (see
/// ARCHITECTURE.md, "Dependencies").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// An async HTTP server, client, crawler and load generator on the corio runtime.
#[derive(Debug, Parser)]
#[command(
    name = "corio",
    version,
    about,
    after_help = "Each command has its own options: run `corio <COMMAND> --help` (for example \
                  `corio serve --help`)."
)]
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
    /// Load an HTTP server: requests per second and latency percentiles; plot and merge runs.
    Bench(Box<bench::Cli>),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version go to stdout with status 0; a usage error is printed whole (what
        // was wrong, the usage line, and where to find help) with status 2.
        Err(e) => e.exit(),
    };
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Get(args) => get::run(args),
        Command::Crawl(args) => crawl::run(args),
        Command::Bench(cli) => bench::main(*cli),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("corio: {e}");
            ExitCode::FAILURE
        }
    }
}
