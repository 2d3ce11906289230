//! One URL's fetch: its tries (`--retry`, each bounded by `--max-time`), and in each try the
//! request, the heads shown (`-v`, `-i`), and the body streamed to its target.
//!
//! Invariants: a try that is retried has written nothing to stdout (a response whose status
//! will be retried is dropped unread; a broken transfer is retried only if none of its bytes
//! reached stdout, since stdout cannot be rewound); a file is opened only once a response
//! is accepted, so `--fail` and a refused resume leave it as it was; a resumed file is
//! appended to only after [`resume::plan`] agreed, and a retry of a resumed download resumes
//! from where the broken try stopped.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::time::SystemTime;

use corio_http::client::{ClientRequest, StreamingResponse};
use http::{HeaderMap, StatusCode};

use super::output::Ordered;
use super::resume::{self, Plan};
use super::{heads, retry, Shared, Target};
use crate::progress::Download;

/// How a try ended.
enum Try {
    /// For good: the URL succeeded or failed (the message names the URL).
    Over(Result<(), String>),
    /// With something worth trying again: why, and the response's head if there was one
    /// (for its `Retry-After`).
    Again {
        why: String,
        headers: Option<HeaderMap>,
    },
}

/// Fetches fetch number `i` (URL `i % urls`), with its retries. The error names the URL.
pub async fn fetch(shared: &Shared, i: usize) -> Result<(), String> {
    let url = &shared.urls[i % shared.urls.len()];
    let settings = &shared.settings;
    let mut retries = 0;
    loop {
        let last = retries == settings.retries;
        // The try's future is awaited where it is made: binding it first, or wrapping it in
        // a timer without a box, would copy the (large) future for every request. The timer
        // case is boxed: `--max-time` is the rare case, and its box keeps this future small.
        let outcome = match settings.max_time {
            None => try_once(shared, i, last).await,
            Some(t) => Box::pin(corio::time::timeout(t, try_once(shared, i, last)))
                .await
                .unwrap_or_else(|_| Try::Again {
                    why: format!("{url}: timed out after {}s (--max-time)", t.as_secs_f64()),
                    headers: None,
                }),
        };
        let (why, headers) = match outcome {
            Try::Over(result) => return result,
            Try::Again { why, .. } if last => return Err(why),
            Try::Again { why, headers } => (why, headers),
        };
        if let Some(written) = shared.stdout.as_ref().map(|o| o.accepted(i)) {
            if written > 0 {
                return Err(format!(
                    "{why} (not retried: {written} bytes already written to stdout)"
                ));
            }
        }
        retries += 1;
        let wait = retry::delay(retries, headers.as_ref(), SystemTime::now());
        if !settings.silent {
            shared.downloads.eprintln(&format!(
                "corio get: {why}; retry {retries} of {} in {}s",
                settings.retries,
                wait.as_secs_f64()
            ));
        }
        corio::time::sleep(wait).await;
    }
}

/// One try: request, heads, body. `last`: no retry follows, so a retryable status is
/// output like any other.
async fn try_once(shared: &Shared, i: usize, last: bool) -> Try {
    let settings = &shared.settings;
    let url = &shared.urls[i % shared.urls.len()];
    let target = &shared.targets[i % shared.urls.len()];
    let offset = match target {
        Target::File(path) if settings.resume => match std::fs::metadata(path) {
            Ok(meta) => meta.len(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
            Err(e) => return Try::Over(Err(format!("{}: {e}", path.display()))),
        },
        _ => 0,
    };
    let parsed = &shared.parsed[i % shared.urls.len()];
    let mut req = match parsed {
        Some(parsed) => ClientRequest::from_url(settings.method.clone(), parsed.clone()),
        None => ClientRequest::new(settings.method.clone(), url.as_str()),
    };
    if !settings.headers.is_empty() {
        req.headers = settings.headers.clone();
    }
    req.body = settings.body.clone();
    if offset > 0 {
        req.headers.insert(
            http::header::RANGE,
            http::HeaderValue::from_str(&format!("bytes={offset}-")).expect("digits"),
        );
    }
    if settings.verbose {
        let head = heads::verbose_request(
            &req.method,
            url,
            &req.headers,
            req.body.len(),
            super::USER_AGENT_VALUE,
        );
        shared.downloads.eprintln(&head);
    }
    let mut resp = match shared.client.send_streaming(req).await {
        Ok(resp) => resp,
        Err(e) => return broken(e),
    };
    let status = resp.status;
    if settings.verbose {
        if parsed.as_ref() != Some(resp.url()) {
            shared
                .downloads
                .eprintln(&format!("* followed redirects to {}", resp.url()));
        }
        let head = heads::verbose_response(resp.version.as_str(), status, &resp.headers);
        shared.downloads.eprintln(&head);
    }
    // Formatted only when needed: a load test's successful responses allocate nothing here.
    let http_error = || format!("{url}: HTTP {status}");
    if !last && retry::status_is_transient(status) {
        return Try::Again {
            why: http_error(),
            headers: Some(resp.headers.into_map()),
        };
    }
    let resumed_complete = offset > 0 && status == StatusCode::RANGE_NOT_SATISFIABLE;
    let is_error = status.as_u16() >= 400 && !resumed_complete;
    // --fail keeps an error's body out; a resumed file is never overwritten by one.
    if is_error && (settings.fail || offset > 0) {
        return Try::Over(Err(http_error()));
    }
    let plan = match resume::plan(status, &resp.headers, offset) {
        Ok(plan) => plan,
        Err(e) => return Try::Over(Err(format!("{url}: {e}"))),
    };
    if plan == Plan::Complete {
        if settings.verbose {
            shared
                .downloads
                .eprintln(&format!("* {url}: already complete ({offset} bytes)"));
        }
        return Try::Over(Ok(()));
    }
    let mut sink = match Sink::open(shared, target, i, &resp, plan, offset) {
        Ok(sink) => sink,
        Err(e) => return Try::Over(Err(e)),
    };
    if settings.include {
        let head = heads::response(resp.version.as_str(), status, &resp.headers);
        if let Err(e) = sink.write(head.as_bytes()).await {
            return Try::Over(Err(format!("{url}: {e}")));
        }
    }
    if let Sink::Discard = sink {
        // Read without copying: the cheap way for load tests.
        if let Err(e) = resp.body.discard().await {
            return broken(e);
        }
        return Try::Over(if is_error { Err(http_error()) } else { Ok(()) });
    }
    while let Some(chunk) = resp.body.chunk().await {
        match chunk {
            Ok(data) => {
                if let Err(e) = sink.write(&data).await {
                    return Try::Over(Err(format!("{url}: {e}")));
                }
            }
            Err(e) => return broken(e),
        }
    }
    sink.finish();
    Try::Over(if is_error { Err(http_error()) } else { Ok(()) })
}

/// The end of a try that failed with `e`: worth another try if `e` is transient.
fn broken(e: corio_http::client::Error) -> Try {
    if e.is_transient() {
        Try::Again {
            why: e.to_string(),
            headers: None,
        }
    } else {
        Try::Over(Err(e.to_string()))
    }
}

/// Where a try writes its response.
enum Sink<'a> {
    Stdout {
        out: &'a Ordered,
        i: usize,
    },
    File {
        file: File,
        path: String,
        bar: Download,
    },
    Discard,
}

impl<'a> Sink<'a> {
    /// The sink for fetch `i`'s response `resp`: stdout, or its file opened as `plan` says
    /// (the first `offset` bytes already there when appending), with a progress bar.
    fn open(
        shared: &'a Shared,
        target: &Target,
        i: usize,
        resp: &StreamingResponse,
        plan: Plan,
        offset: u64,
    ) -> Result<Sink<'a>, String> {
        let path = match target {
            Target::Discard => return Ok(Sink::Discard),
            Target::Stdout => {
                let out = shared.stdout.as_ref().expect("stdout output exists");
                return Ok(Sink::Stdout { out, i });
            }
            Target::File(path) => path,
        };
        let append = plan == Plan::Append;
        let file = if append {
            OpenOptions::new().append(true).open(path)
        } else {
            File::create(path)
        }
        .map_err(|e| format!("{}: {e}", path.display()))?;
        let len = resp
            .headers
            .get(http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let done = if append { offset } else { 0 };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        Ok(Sink::File {
            file,
            path: path.display().to_string(),
            bar: shared.downloads.start(&name, len.map(|n| n + done), done),
        })
    }

    async fn write(&mut self, data: &[u8]) -> Result<(), String> {
        match self {
            Sink::Stdout { out, i } => out.write(*i, data).await,
            Sink::File { file, path, bar } => {
                file.write_all(data).map_err(|e| format!("{path}: {e}"))?;
                bar.advance(data.len() as u64);
                Ok(())
            }
            Sink::Discard => Ok(()),
        }
    }

    /// The body is complete.
    fn finish(self) {
        if let Sink::File { bar, .. } = self {
            bar.finish();
        }
    }
}
