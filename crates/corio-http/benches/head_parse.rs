//! Request-head parsing: a 64 KiB head parsed whole against the same head arriving one byte
//! per read (the parser called once per byte, as a driver would after each read). With the
//! resumable parser the second costs linear time: the goal is at most 2x the first.

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

criterion_group!(benches, head_parse);
criterion_main!(benches);
