//! What the four seed examples share: their command line and how they cut a body out of an
//! HTTP/1.0 response. Included by each with `#[path = "common/seed.rs"] mod seed;` (a folder
//! without `main.rs` is not an example of its own).

/// `--host H` (default 127.0.0.1) and `--port N` (default 5000, the seed's port). `name` is
/// the example's name, for the usage message.
pub fn parse_args(name: &str) -> (String, u16) {
    let (mut host, mut port) = ("127.0.0.1".to_string(), 5000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--host", Some(value)) => host = value,
            ("--port", Some(value)) => port = value.parse().expect("--port takes a number"),
            _ => panic!("usage: {name} [--host H] [--port N]"),
        }
    }
    (host, port)
}

/// The body of an HTTP response: everything after the blank line ending the headers.
pub fn body(response: &[u8]) -> String {
    let text = String::from_utf8_lossy(response);
    match text.split_once("\r\n\r\n") {
        Some((_, body)) => body.to_string(),
        None => text.into_owned(),
    }
}
