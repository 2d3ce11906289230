//! The client's response parsing on arbitrary bytes: `parse_response_head` (skipping interim
//! 1xx heads as the client does), the framing for each request method, and a chunked body.
//! Never panics; accepted heads are self-delimiting and consistent.
#![no_main]

use corio_http::proto::{parse_response_head, BodyFraming, ChunkedDecoder, Limits, Version};
use http::{Method, StatusCode};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_start_line: 256,
        max_header_section: 1024,
        max_headers: 16,
        max_body: 4096,
        ..Limits::default()
    };
    let mut rest = data;
    // At most a few interim responses, as the client loops over them.
    for _ in 0..4 {
        let Ok(Some((head, n))) = parse_response_head(rest, &limits) else {
            return;
        };
        assert!(n > 0 && n <= rest.len());
        assert!(rest[..n].ends_with(b"\r\n\r\n"));
        assert!(matches!(
            parse_response_head(&rest[..n - 1], &limits),
            Ok(None)
        ));
        let again = parse_response_head(&rest[..n], &limits)
            .expect("accepted head rejected when cut to its length")
            .expect("accepted head incomplete when cut to its length");
        assert_eq!(again.1, n);
        assert_eq!(again.0.headers, head.headers);
        assert!((100..=999).contains(&head.status.as_u16()));
        assert!(head.headers.len() <= limits.max_headers);
        assert!(head.reason.len() < n);
        for method in [Method::GET, Method::HEAD, Method::CONNECT, Method::POST] {
            let Ok(framing) = head.framing(&method) else {
                continue;
            };
            let no_body = method == Method::HEAD
                || head.status.is_informational()
                || head.status == StatusCode::NO_CONTENT
                || head.status == StatusCode::NOT_MODIFIED;
            if no_body {
                assert_eq!(framing, BodyFraming::Empty);
            }
            if framing == BodyFraming::Chunked {
                assert_eq!(head.version, Version::Http11);
                assert!(!head.headers.contains_key("content-length"));
            }
            if let BodyFraming::Length(_) = framing {
                assert!(!head.headers.contains_key("transfer-encoding"));
            }
        }
        rest = &rest[n..];
        let interim =
            head.status.is_informational() && head.status != StatusCode::SWITCHING_PROTOCOLS;
        if interim {
            continue;
        }
        if head.framing(&Method::GET) == Ok(BodyFraming::Chunked) {
            let mut decoder = ChunkedDecoder::new(&limits);
            while let Ok(out) = decoder.decode(rest) {
                assert!(out.consumed <= rest.len());
                rest = &rest[out.consumed..];
                if out.done || rest.is_empty() {
                    break;
                }
            }
        }
        return;
    }
});
