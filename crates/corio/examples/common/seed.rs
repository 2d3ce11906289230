//! What the four seed examples share: their command line and how they cut a body out of an
//! HTTP/1.0 response. Included by each with `#[path = "common/seed.rs"] mod seed;` (a folder
//! without `main.rs` is not an example of its own).

/// `--host H` (default 127.0.0.1) and `--port N` (default 5000, the seed's port). `name` is
/// the example's name, for the usage message. `--help` prints the usage and exits with 0; a bad
/// argument prints it on stderr and exits with 2, as a command-line tool does.
pub fn parse_args(name: &str) -> (String, u16) {
    let usage = format!(
        "usage: {name} [--host H] [--port N]\n\n\
         Fetches /1 and /2 from http://H:N/ (default 127.0.0.1:5000, where `corio serve` listens)."
    );
    let (mut host, mut port) = ("127.0.0.1".to_string(), 5000);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--help" || arg == "-h" {
            println!("{usage}");
            std::process::exit(0);
        }
        let value = args.next();
        match (arg.as_str(), value.as_deref().map(str::parse::<u16>)) {
            ("--host", _) if value.is_some() => host = value.unwrap_or_default(),
            ("--port", Some(Ok(number))) => port = number,
            _ => {
                eprintln!("{name}: invalid argument {arg:?}\n{usage}");
                std::process::exit(2);
            }
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

/// The example's result: an error (so a non-zero exit status) if any request failed.
pub fn outcome(failed: usize) -> std::io::Result<()> {
    match failed {
        0 => Ok(()),
        n => Err(std::io::Error::other(format!("{n} of 2 requests failed"))),
    }
}
