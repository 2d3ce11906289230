//! `corio get`: fetch URLs concurrently, print or save their bodies.
//!
//! Invariants: at most `-c` requests are in flight; output on stdout is in argument order
//! whatever the completion order (a finished response waits only for those before it); with
//! `-o DIR` every URL gets its own file (names deduplicated in argument order); every failure
//! is one line on stderr naming the URL, and the exit status is non-zero if any URL failed
//! (an error, or a status of 400 or more). Saving to files shows a progress bar per file on a
//! terminal ([`crate::progress`]), unless `-s`.

use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Instant;

use crate::progress::{Download, Downloads};
use corio_http::client::{Client, Request};
use http::{HeaderMap, Method, StatusCode};

/// Default number of requests in flight: the seed's two fit, and a list of URLs gets going
/// without swamping a server.
pub const DEFAULT_CONCURRENCY: u32 = 10;

/// Arguments of `corio get`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The URLs to fetch (http:// or https://).
    #[arg(required = true)]
    pub urls: Vec<String>,
    /// Maximum number of requests in flight.
    #[arg(short = 'c', long = "concurrency", default_value_t = DEFAULT_CONCURRENCY,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub concurrency: u32,
    /// Save each body in DIR, named after the last segment of the URL path.
    #[arg(short = 'o', long = "output-dir", value_name = "DIR")]
    pub output_dir: Option<PathBuf>,
    /// Send HEAD and print the status line and headers.
    #[arg(short = 'I', long = "head")]
    pub head: bool,
    /// Print the response head before the body.
    #[arg(short = 'i', long = "include")]
    pub include: bool,
    /// Read bodies but do not print or save them (for load testing).
    #[arg(long)]
    pub discard: bool,
    /// Fetch each URL this many times (for load testing; with --discard).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub repeat: u32,
    /// No progress bars and no summary line (failures are still reported).
    #[arg(short = 's', long)]
    pub silent: bool,
    #[command(flatten)]
    pub tls: crate::tls_args::TlsArgs,
}

/// One finished fetch, waiting for its turn to be printed.
enum Outcome {
    /// Status, version and headers (for `-i` / `-I`), and the body (empty when discarded or
    /// saved to a file).
    Done {
        head: String,
        status: StatusCode,
        body: bytes::Bytes,
    },
    Failed(String),
}

struct Shared {
    client: Client,
    urls: Vec<String>,
    files: Vec<Option<PathBuf>>,
    next: Cell<usize>,
    total: usize,
    results: RefCell<Vec<Option<Outcome>>>,
    printed: Cell<usize>,
    failed: Cell<usize>,
    ok: Cell<usize>,
    method: Method,
    include: bool,
    head_only: bool,
    discard: bool,
    downloads: Downloads,
}

/// Runs `corio get`.
pub fn run(args: Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    if let Some(dir) = &args.output_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let files = match &args.output_dir {
        Some(dir) if !args.discard => output_files(dir, &args.urls),
        _ => vec![None; args.urls.len()],
    };
    let concurrency = args.concurrency as usize;
    let client = args
        .tls
        .apply(Client::builder())?
        .max_connections_per_host(concurrency)
        .max_idle_per_host(concurrency)
        .max_connections(concurrency.max(corio_http::client::DEFAULT_MAX_CONNECTIONS))
        .build();
    let total = args.urls.len() * args.repeat as usize;
    let shared = Rc::new(Shared {
        client,
        files,
        next: Cell::new(0),
        total,
        results: RefCell::new((0..total).map(|_| None).collect()),
        printed: Cell::new(0),
        failed: Cell::new(0),
        ok: Cell::new(0),
        method: if args.head { Method::HEAD } else { Method::GET },
        include: args.include || args.head,
        head_only: args.head,
        discard: args.discard,
        downloads: Downloads::new(args.silent),
        urls: args.urls,
    });
    let start = Instant::now();
    corio::block_on(async {
        let workers: Vec<_> = (0..concurrency.min(total))
            .map(|_| corio::spawn_local(worker(shared.clone())))
            .collect();
        for w in workers {
            let _ = w.await;
        }
    });
    let elapsed = start.elapsed().as_secs_f64();
    let (ok, failed) = (shared.ok.get(), shared.failed.get());
    let rate = if elapsed > 0.0 {
        total as f64 / elapsed
    } else {
        0.0
    };
    if !args.silent {
        eprintln!("get: {ok} ok, {failed} failed in {elapsed:.3}s ({rate:.0} requests/s)");
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn worker(shared: Rc<Shared>) {
    loop {
        let i = shared.next.get();
        if i >= shared.total {
            return;
        }
        shared.next.set(i + 1);
        let u = i % shared.urls.len();
        let outcome = fetch(&shared, u).await;
        match &outcome {
            Outcome::Done { status, .. } if status.as_u16() < 400 => {
                shared.ok.set(shared.ok.get() + 1)
            }
            Outcome::Done { status, .. } => {
                shared.failed.set(shared.failed.get() + 1);
                let line = format!("corio get: {}: HTTP {status}", shared.urls[u]);
                shared.downloads.eprintln(&line);
            }
            Outcome::Failed(e) => {
                shared.failed.set(shared.failed.get() + 1);
                shared.downloads.eprintln(&format!("corio get: {e}"));
            }
        }
        if shared.discard {
            continue;
        }
        shared.results.borrow_mut()[i] = Some(outcome);
        flush_in_order(&shared);
    }
}

async fn fetch(shared: &Shared, u: usize) -> Outcome {
    let req = Request::new(shared.method.clone(), shared.urls[u].as_str());
    let mut resp = match shared.client.send_streaming(req).await {
        Ok(r) => r,
        Err(e) => return Outcome::Failed(e.to_string()),
    };
    let head = if shared.include {
        format_head(resp.version.as_str(), resp.status, &resp.headers)
    } else {
        String::new()
    };
    let status = resp.status;
    if shared.discard {
        return match resp.body.discard().await {
            Ok(_) => Outcome::Done {
                head,
                status,
                body: bytes::Bytes::new(),
            },
            Err(e) => Outcome::Failed(e.to_string()),
        };
    }
    if let Some(path) = &shared.files[u] {
        let len = resp
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse().ok());
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let bar = shared.downloads.start(&name, len);
        return match save(&mut resp.body, path, bar).await {
            Ok(()) => Outcome::Done {
                head,
                status,
                body: bytes::Bytes::new(),
            },
            Err(e) => Outcome::Failed(e),
        };
    }
    match resp.bytes().await {
        Ok(r) => Outcome::Done {
            head,
            status,
            body: r.body,
        },
        Err(e) => Outcome::Failed(e.to_string()),
    }
}

async fn save(
    body: &mut corio_http::client::Body,
    path: &Path,
    bar: Download,
) -> Result<(), String> {
    let url = body.url().to_string();
    let mut file =
        std::fs::File::create(path).map_err(|e| format!("{url}: {}: {e}", path.display()))?;
    while let Some(chunk) = body.chunk().await {
        let chunk = chunk.map_err(|e| e.to_string())?;
        file.write_all(&chunk)
            .map_err(|e| format!("{url}: {}: {e}", path.display()))?;
        bar.advance(chunk.len() as u64);
    }
    bar.finish();
    Ok(())
}

/// Prints every finished outcome whose predecessors are all printed.
fn flush_in_order(shared: &Shared) {
    let mut results = shared.results.borrow_mut();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    while let Some(slot) = results.get_mut(shared.printed.get()) {
        let Some(outcome) = slot.take() else {
            break;
        };
        if let Outcome::Done { head, body, .. } = outcome {
            // A closed stdout (e.g. `| head`) is not worth failing the fetches for.
            let _ = out.write_all(head.as_bytes());
            if !shared.head_only {
                let _ = out.write_all(&body);
            }
        }
        shared.printed.set(shared.printed.get() + 1);
    }
    let _ = out.flush();
}

fn format_head(version: &str, status: StatusCode, headers: &HeaderMap) -> String {
    let mut s = format!(
        "{version} {} {}\r\n",
        status.as_str(),
        status.canonical_reason().unwrap_or("")
    );
    for (name, value) in headers {
        s.push_str(name.as_str());
        s.push_str(": ");
        s.push_str(&String::from_utf8_lossy(value.as_bytes()));
        s.push_str("\r\n");
    }
    s.push_str("\r\n");
    s
}

/// The file for each URL: the last path segment (`index.html` for none), with `.1`, `.2`...
/// appended to repeated names.
fn output_files(dir: &Path, urls: &[String]) -> Vec<Option<PathBuf>> {
    let mut used = HashSet::new();
    urls.iter()
        .map(|u| {
            let base = file_name(u);
            let mut name = base.clone();
            let mut n = 0;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{base}.{n}");
            }
            Some(dir.join(name))
        })
        .collect()
}

fn file_name(url: &str) -> String {
    let segment = url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_owned))
        })
        .unwrap_or_default();
    match segment.as_str() {
        "" | "." | ".." => "index.html".to_owned(),
        s => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let urls: Vec<String> = [
            "http://a/",
            "http://a",
            "http://a/x/page.html?q",
            "http://b/y/page.html",
            "http://a/dir/",
            "http://a/1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let files = output_files(Path::new("d"), &urls);
        let names: Vec<_> = files
            .iter()
            .map(|f| f.as_ref().unwrap().file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "index.html",
                "index.html.1",
                "page.html",
                "page.html.1",
                "index.html.2",
                "1"
            ]
        );
    }

    #[test]
    fn head_format() {
        let mut h = HeaderMap::new();
        h.insert("content-length", "5".parse().unwrap());
        assert_eq!(
            format_head("HTTP/1.1", StatusCode::NOT_FOUND, &h),
            "HTTP/1.1 404 Not Found\r\ncontent-length: 5\r\n\r\n"
        );
    }
}
