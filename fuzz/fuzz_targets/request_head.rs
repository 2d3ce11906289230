//! `parse_request_head` on arbitrary bytes: never panics, and every accepted head is
//! self-consistent (consumed count, framing, Host, keep-alive, the lazily built header map).
#![no_main]

use corio_http::proto::{
    keep_alive, parse_request_head, request_framing, BodyFraming, Limits, Version,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // Small limits too, so the limit checks on partial input are reached.
    let small = Limits {
        max_start_line: 64,
        max_header_section: 256,
        max_headers: 8,
        max_body: 1000,
        ..Limits::default()
    };
    for limits in [Limits::default(), small] {
        check(data, &limits);
    }
});

/// The verdict in a comparable form: incomplete, an error, or the head's decisions and length.
type Verdict = Result<Option<(String, String, Version, BodyFraming, bool, bool, usize)>, ()>;

fn verdict(data: &[u8], limits: &Limits) -> Verdict {
    match parse_request_head(data, limits) {
        Ok(Some((h, n))) => Ok(Some((
            h.method.to_string(),
            h.target.as_str().to_owned(),
            h.version,
            h.body,
            h.keep_alive,
            h.expect_continue,
            n,
        ))),
        Ok(None) => Ok(None),
        Err(_) => Err(()),
    }
}

fn check(data: &[u8], limits: &Limits) {
    // A leading empty line (allowed before a request line) forces the strict scan; without it
    // a complete head may take the httparse fast path. Both must reach the same verdict.
    if data.first().is_some_and(|&b| b != b'\r' && b != b'\n') {
        let mut prefixed = b"\r\n".to_vec();
        prefixed.extend_from_slice(data);
        let fast = verdict(data, limits);
        let strict = verdict(&prefixed, limits).map(|v| {
            v.map(|mut v| {
                v.6 -= 2;
                v
            })
        });
        assert_eq!(fast, strict, "fast path and strict scan disagree");
    }
    let Ok(Some((head, consumed))) = parse_request_head(data, limits) else {
        return;
    };
    assert!(consumed > 0 && consumed <= data.len());
    // The head is self-delimiting: the same verdict on exactly its bytes, and its last
    // byte is needed.
    let (again, n) = parse_request_head(&data[..consumed], limits)
        .expect("accepted head rejected when cut to its length")
        .expect("accepted head incomplete when cut to its length");
    assert_eq!(n, consumed);
    assert_eq!(again.body, head.body);
    assert!(matches!(
        parse_request_head(&data[..consumed - 1], limits),
        Ok(None)
    ));
    assert!(data[..consumed].ends_with(b"\r\n\r\n"));

    let map = head.headers.map();
    // The lazily built map holds every field line of the head.
    let lines = data[..consumed]
        .split(|&b| b == b'\n')
        .filter(|l| l.len() > 1)
        .count();
    assert_eq!(map.len() + 1, lines, "header map lost fields");
    assert!(map.len() <= limits.max_headers);

    // Framing agrees with the headers.
    let framing = request_framing(map, head.version, limits).expect("framing re-check failed");
    assert_eq!(framing, head.body);
    let has_te = map.contains_key("transfer-encoding");
    let has_cl = map.contains_key("content-length");
    match head.body {
        BodyFraming::Chunked => {
            assert!(has_te && !has_cl);
            assert_eq!(head.version, Version::Http11);
        }
        BodyFraming::Length(n) => {
            assert!(has_cl && !has_te);
            assert!(n > 0 && n <= limits.max_body);
        }
        BodyFraming::Empty => assert!(!has_te),
        BodyFraming::CloseDelimited => panic!("close-delimited request"),
    }
    if head.expect_continue {
        assert!(!head.body.is_empty() && head.version == Version::Http11);
    }
    let hosts = map.get_all("host").iter().count();
    assert!(hosts <= 1);
    if head.version == Version::Http11 {
        assert_eq!(hosts, 1);
    }
    assert_eq!(head.keep_alive, keep_alive(head.version, map));
    // Accessors stay inside the target.
    let target = head.target.as_str();
    assert!(!target.is_empty());
    let _ = (
        head.target.path(),
        head.target.query(),
        head.target.authority(),
    );
}
