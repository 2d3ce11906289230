//! Request-head parsing: a 64 KiB head parsed whole against the same head arriving one byte
//! per read (the parser called once per byte, as a driver would after each read). With the
//! resumable parser the second costs linear time: the goal is at most 2x the first. And the
//! ordinary heads the fast path reads: wrk's (one field) and a browser's (nine fields, about
//! 480 bytes).

use std::hint::black_box;

use corio_http::proto::{Limits, RequestHeadParser};
use criterion::{criterion_group, criterion_main, Criterion};

/// A head just under the default 64 KiB header-section limit, in fields of 1 KiB.
fn big_head() -> Vec<u8> {
    let mut head = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n".to_vec();
    let field = format!("X-Filler: {}\r\n", "v".repeat(1000));
    while head.len() + field.len() + 2 < 64 * 1024 - 64 {
        head.extend_from_slice(field.as_bytes());
    }
    head.extend_from_slice(b"\r\n");
    head
}

fn head_parse(c: &mut Criterion) {
    let head = big_head();
    let limits = Limits::default();
    let mut group = c.benchmark_group("64KiB head");
    group.sample_size(20);
    group.bench_function("whole", |b| {
        b.iter(|| {
            let mut parser = RequestHeadParser::new();
            let parsed = parser.parse(black_box(&head), &limits).unwrap();
            black_box(parsed.expect("complete"));
        })
    });
    group.bench_function("one byte per read", |b| {
        b.iter(|| {
            let mut parser = RequestHeadParser::new();
            for end in 1..head.len() {
                assert!(parser
                    .parse(black_box(&head[..end]), &limits)
                    .unwrap()
                    .is_none());
            }
            let parsed = parser.parse(black_box(&head), &limits).unwrap();
            black_box(parsed.expect("complete"));
        })
    });
    group.finish();
}

/// The head a browser sends for a page: the fields of a current Firefox.
const BROWSER_HEAD: &[u8] = b"GET /plaintext?lang=en&page=2 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\
    User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0\r\n\
    Accept: text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8\r\n\
    Accept-Language: en-US,en;q=0.5\r\nAccept-Encoding: gzip, deflate, br, zstd\r\n\
    Connection: keep-alive\r\nCookie: session=8f14e45fceea167a5a36dedd4bea2543; theme=dark\r\n\
    Upgrade-Insecure-Requests: 1\r\nSec-Fetch-Dest: document\r\nSec-Fetch-Mode: navigate\r\n\r\n";

fn ordinary_heads(c: &mut Criterion) {
    let limits = Limits::default();
    let mut group = c.benchmark_group("ordinary head");
    let heads: [(&str, &[u8]); 2] = [
        (
            "wrk",
            b"GET /plaintext HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n",
        ),
        ("browser", BROWSER_HEAD),
    ];
    for (name, head) in heads {
        group.bench_function(name, |b| {
            let mut parser = RequestHeadParser::new();
            b.iter(|| {
                let parsed = parser.parse(black_box(head), &limits).unwrap();
                black_box(parsed.expect("complete"));
            })
        });
    }
    group.finish();
}

criterion_group!(benches, head_parse, ordinary_heads);
criterion_main!(benches);
