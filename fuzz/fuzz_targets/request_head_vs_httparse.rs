//! Differential: whatever `parse_request_head` accepts, httparse accepts too, with the same
//! length, method, target, version and header fields. (Where httparse accepts and we reject,
//! that is one of our strictness rules: Host, framing, versions, limits.)
#![no_main]

use corio_http::proto::{parse_request_head, Limits, Version};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(Some((head, n))) = parse_request_head(data, &Limits::default()) else {
        return;
    };
    let mut fields = [httparse::EMPTY_HEADER; 100];
    let mut req = httparse::Request::new(&mut fields);
    let status = req.parse(data).expect("httparse rejects a head we accept");
    assert_eq!(status, httparse::Status::Complete(n), "lengths differ");
    assert_eq!(Some(head.method.as_str()), req.method, "method");
    assert_eq!(Some(head.target.as_str()), req.path, "target");
    let minor = match head.version {
        Version::Http10 => 0,
        Version::Http11 => 1,
        Version::Http2 => panic!("an HTTP/1 parser returned HTTP/2"),
    };
    assert_eq!(Some(minor), req.version, "version");
    let map = head.headers.map();
    assert_eq!(map.len(), req.headers.len(), "header count");
    for field in req.headers.iter() {
        let ours: Vec<&[u8]> = map
            .get_all(field.name)
            .iter()
            .map(|v| v.as_bytes())
            .collect();
        assert!(
            ours.contains(&field.value),
            "header {:?} value {:?} missing: {ours:?}",
            field.name,
            String::from_utf8_lossy(field.value)
        );
    }
    // Same field order per name.
    for name in map.keys() {
        let theirs: Vec<&[u8]> = req
            .headers
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case(name.as_str()))
            .map(|f| f.value)
            .collect();
        let ours: Vec<&[u8]> = map.get_all(name).iter().map(|v| v.as_bytes()).collect();
        assert_eq!(ours, theirs, "values of {name}");
    }
});
