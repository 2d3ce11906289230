//! The conformance suite ("Reliability and security", item 2): raw requests drawn from
//! RFC 9112 (message syntax and framing) and RFC 9110 (semantics), and the request-smuggling
//! families (CL.TE, TE.CL, TE.TE obfuscations, ambiguous Content-Length, bad chunk framing).
//!
//! Every case is sent over a real socket to one server, in one write together with a valid
//! `GET /next` pipelined right behind it, and everything is read until the server closes:
//!
//! - a rejected request gets exactly one response, with the expected status and
//!   `Connection: close`, and the pipelined GET is never answered (a server that answered it
//!   would have resynchronised on attacker-chosen bytes: the essence of smuggling);
//! - an accepted request gets 200 with its body echoed, then the pipelined GET is answered
//!   too, proving the server found the exact end of the first message.

mod util;

use corio_http::{Request, Response};
use util::{start, stop, Client};

/// Echoes the request body (read with `Body::chunk`); a body error becomes its status.
/// `/ignore` never reads the body, `/swallow` reads it and answers 200 whatever happened.
async fn echo(mut req: Request) -> Response {
    match req.path() {
        "/next" => return Response::text("next"),
        "/ignore" => return Response::text("ignored"),
        "/swallow" => {
            while let Some(Ok(_)) = req.body_mut().chunk().await {}
            return Response::text("swallowed");
        }
        _ => {}
    }
    let mut body = Vec::new();
    while let Some(piece) = req.body_mut().chunk().await {
        match piece {
            Ok(piece) => body.extend_from_slice(&piece),
            Err(e) => return Response::error(e.status(), ""),
        }
    }
    Response::text(body)
}

/// What a case expects: `Ok(body)` is 200 with that echoed body, `Err(status)` a rejection.
type Expect = Result<&'static str, u16>;

const OK: Expect = Ok("");
const HELLO: Expect = Ok("hello");

/// The pipelined follow-up; `Connection: close` lets the test read until EOF in every case.
const NEXT: &str = "GET /next HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/// `(name, request bytes, expectation)`. `P` is a POST head prefix: the case supplies the
/// framing headers, the blank line and the body.
const P: &str = "POST /echo HTTP/1.1\r\nHost: t\r\n";

fn cases() -> Vec<(&'static str, String, Expect)> {
    let p = |rest: &str| format!("{P}{rest}");
    let s = |raw: &str| raw.to_owned();
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(8192));
    let long_field = format!(
        "GET / HTTP/1.1\r\nHost: t\r\nX: {}\r\n\r\n",
        "b".repeat(65536)
    );
    let many: String = (0..100).map(|i| format!("X-{i}: v\r\n")).collect();
    let many_fields = format!("GET / HTTP/1.1\r\nHost: t\r\n{many}\r\n");
    #[rustfmt::skip]
    let table: Vec<(&'static str, String, Expect)> = vec![
        // --- valid messages (RFC 9112 §2.2, §6, §7) ---
        ("plain GET", s("GET / HTTP/1.1\r\nHost: t\r\n\r\n"), OK),
        ("HTTP/1.0 without Host", s("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), OK),
        ("one leading CRLF", s("\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n"), OK),
        ("leading CRLFs", s("\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n"), OK),
        ("CL body", p("Content-Length: 5\r\n\r\nhello"), HELLO),
        ("CL 0", p("Content-Length: 0\r\n\r\n"), OK),
        ("CL with OWS", p("Content-Length:  5 \r\n\r\nhello"), HELLO),
        ("CL list 5, 5", p("Content-Length: 5, 5\r\n\r\nhello"), HELLO),
        ("CL twice, same", p("Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"), HELLO),
        ("CL leading zeros", p("Content-Length: 005\r\n\r\nhello"), HELLO),
        ("chunked", p("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), HELLO),
        ("chunked, CHUNKED", p("Transfer-Encoding: CHUNKED\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), HELLO),
        ("chunked, OWS value", p("Transfer-Encoding:  chunked \r\n\r\n5\r\nhello\r\n0\r\n\r\n"), HELLO),
        ("chunked, HTAB OWS", p("Transfer-Encoding:\tchunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"), HELLO),
        ("chunked, several", p("Transfer-Encoding: chunked\r\n\r\n2\r\nhe\r\n3\r\nllo\r\n0\r\n\r\n"), HELLO),
        ("chunked, uppercase hex", p("Transfer-Encoding: chunked\r\n\r\nA\r\n0123456789\r\n0\r\n\r\n"), Ok("0123456789")),
        ("chunked, leading zeros", p("Transfer-Encoding: chunked\r\n\r\n0005\r\nhello\r\n000\r\n\r\n"), HELLO),
        ("chunked, 16 digits", p("Transfer-Encoding: chunked\r\n\r\n0000000000000005\r\nhello\r\n0\r\n\r\n"), HELLO),
        ("chunk ext token", p("Transfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n0;x\r\n\r\n"), HELLO),
        ("chunk ext quoted", p("Transfer-Encoding: chunked\r\n\r\n5;a=\"b;c\\\"d\"\r\nhello\r\n0\r\n\r\n"), HELLO),
        ("chunk ext BWS", p("Transfer-Encoding: chunked\r\n\r\n5 ; a = b\r\nhello\r\n0\r\n\r\n"), HELLO),
        ("chunked with trailer", p("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-B: 2\r\n\r\n"), HELLO),
        ("OPTIONS *", s("OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n"), OK),
        ("absolute-form", s("GET http://t/x HTTP/1.1\r\nHost: t\r\n\r\n"), OK),
        ("empty Host", s("GET / HTTP/1.1\r\nHost:\r\n\r\n"), OK),
        ("Expect 100-continue", p("Expect: 100-continue\r\nContent-Length: 5\r\n\r\nhello"), HELLO),
        ("field value obs-text", s("GET / HTTP/1.1\r\nHost: t\r\nX: caf\u{e9}\r\n\r\n"), OK),
        ("100 fields", many_fields.replacen("X-0: v\r\n", "", 1), OK),
        // --- CL.TE and TE.CL: both framings present (RFC 9112 §6.1) ---
        ("CL.TE", p("Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nG"), Err(400)),
        ("TE.CL", p("Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"), Err(400)),
        ("CL 0 + TE", p("Content-Length: 0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        // --- TE.TE obfuscations ---
        ("TE xchunked", p("Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE xchunked + CL", p("Transfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\nhello"), Err(400)),
        ("TE chunked, identity", p("Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE identity", p("Transfer-Encoding: identity\r\n\r\n"), Err(400)),
        ("TE leading space + CL", p("Transfer-Encoding:  chunked\r\nContent-Length: 5\r\n\r\nhello"), Err(400)),
        ("TE folded name (SP)", p(" Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE SP before colon", p("Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE HTAB before colon", p("Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE HTAB value + CL", p("Transfer-Encoding:\tchunked\r\nContent-Length: 5\r\n\r\nhello"), Err(400)),
        ("TE duplicated", p("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE chunked then x", p("Transfer-Encoding: chunked\r\nTransfer-Encoding: x\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE x then chunked", p("Transfer-Encoding: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(501)),
        ("TE gzip, chunked", p("Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"), Err(501)),
        ("TE chunked, chunked", p("Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE quoted", p("Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE with params", p("Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE empty", p("Transfer-Encoding:\r\n\r\n"), Err(400)),
        ("TE VT prefix", p("Transfer-Encoding: \x0bchunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE folded value", p("Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE in HTTP/1.0", s("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        ("TE bare-LF name", p("X: y\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), Err(400)),
        // --- Content-Length (RFC 9110 §8.6, RFC 9112 §6.3) ---
        ("CL +5", p("Content-Length: +5\r\n\r\nhello"), Err(400)),
        ("CL -1", p("Content-Length: -1\r\n\r\n"), Err(400)),
        ("CL 0x10", p("Content-Length: 0x10\r\n\r\n0123456789abcdef"), Err(400)),
        ("CL 1,2", p("Content-Length: 1,2\r\n\r\nab"), Err(400)),
        ("CL 5 5 (no comma)", p("Content-Length: 5 5\r\n\r\nhello"), Err(400)),
        ("CL twice, differ", p("Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"), Err(400)),
        ("CL empty", p("Content-Length:\r\n\r\n"), Err(400)),
        ("CL list, empty item", p("Content-Length: 5,\r\n\r\nhello"), Err(400)),
        ("CL 5.0", p("Content-Length: 5.0\r\n\r\nhello"), Err(400)),
        ("CL overflow", p("Content-Length: 18446744073709551616\r\n\r\n"), Err(400)),
        ("CL over max_body", p("Content-Length: 99999999999\r\n\r\n"), Err(413)),
        // --- chunk framing (RFC 9112 §7.1) ---
        ("chunk size empty", p("Transfer-Encoding: chunked\r\n\r\n\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size zz", p("Transfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size 17 digits", p("Transfer-Encoding: chunked\r\n\r\n00000000000000005\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size negative", p("Transfer-Encoding: chunked\r\n\r\n-5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size 0x5", p("Transfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size +5", p("Transfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size SP no ext", p("Transfer-Encoding: chunked\r\n\r\n5 \r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size overflow", p("Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFF\r\nhello\r\n0\r\n\r\n"), Err(413)),
        ("chunk size bare LF", p("Transfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk size bare CR", p("Transfer-Encoding: chunked\r\n\r\n5\rhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk data too long", p("Transfer-Encoding: chunked\r\n\r\n3\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk data bare LF", p("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\n0\r\n\r\n"), Err(400)),
        ("chunk ext empty name", p("Transfer-Encoding: chunked\r\n\r\n5;\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk ext =value", p("Transfer-Encoding: chunked\r\n\r\n5;=x\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk ext NUL", p("Transfer-Encoding: chunked\r\n\r\n5;a\0\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("chunk ext open quote", p("Transfer-Encoding: chunked\r\n\r\n5;a=\"b\r\nhello\r\n0\r\n\r\n"), Err(400)),
        ("trailer obs-fold", p("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n"), Err(400)),
        ("trailer no colon", p("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nnonsense\r\n\r\n"), Err(400)),
        ("trailer bare LF", p("Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX: a\n\r\n"), Err(400)),
        // --- field syntax (RFC 9112 §5, RFC 9110 §5.5) ---
        ("obs-fold SP", s("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n b\r\n\r\n"), Err(400)),
        ("obs-fold HTAB", s("GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n\tb\r\n\r\n"), Err(400)),
        ("fold before first field", s("GET / HTTP/1.1\r\n Host: t\r\n\r\n"), Err(400)),
        ("bare LF everywhere", s("GET / HTTP/1.1\nHost: t\n\n"), Err(400)),
        ("bare LF at end", s("GET / HTTP/1.1\r\nHost: t\n\r\n"), Err(400)),
        ("bare LF request line", s("GET / HTTP/1.1\nHost: t\r\n\r\n"), Err(400)),
        ("bare CR in value", s("GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n"), Err(400)),
        ("bare CR line end", s("GET / HTTP/1.1\rHost: t\r\n\r\n"), Err(400)),
        ("NUL in value", s("GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n"), Err(400)),
        ("NUL in name", s("GET / HTTP/1.1\r\nHost: t\r\nX\0Y: a\r\n\r\n"), Err(400)),
        ("NUL in target", s("GET /a\0b HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("DEL in value", s("GET / HTTP/1.1\r\nHost: t\r\nX: a\x7fb\r\n\r\n"), Err(400)),
        ("ESC in value", s("GET / HTTP/1.1\r\nHost: t\r\nX: a\x1bb\r\n\r\n"), Err(400)),
        ("SP before colon", s("GET / HTTP/1.1\r\nHost : t\r\n\r\n"), Err(400)),
        ("empty field name", s("GET / HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n"), Err(400)),
        ("no colon", s("GET / HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n"), Err(400)),
        ("bad name char", s("GET / HTTP/1.1\r\nHost: t\r\nX(Y): z\r\n\r\n"), Err(400)),
        ("too many leading CRLFs", s("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        // --- request line (RFC 9112 §3) ---
        ("double SP", s("GET  / HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("leading SP", s(" GET / HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("trailing SP", s("GET / HTTP/1.1 \r\nHost: t\r\n\r\n"), Err(400)),
        ("HTAB separator", s("GET\t/ HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("bad method char", s("G(T / HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("no target", s("GET HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("no version", s("GET /\r\nHost: t\r\n\r\n"), Err(400)),
        ("target not origin", s("GET a/b HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("GET *", s("GET * HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("non-ASCII target", s("GET /caf\u{e9} HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("SP in target", s("GET /a b HTTP/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        // --- versions (RFC 9112 §2.3, RFC 9110 §15.6.6) ---
        ("HTTP/2.0", s("GET / HTTP/2.0\r\nHost: t\r\n\r\n"), Err(505)),
        ("HTTP/1.2", s("GET / HTTP/1.2\r\nHost: t\r\n\r\n"), Err(505)),
        ("HTTP/0.9", s("GET / HTTP/0.9\r\nHost: t\r\n\r\n"), Err(505)),
        ("HTTP/1", s("GET / HTTP/1\r\nHost: t\r\n\r\n"), Err(400)),
        ("http/1.1", s("GET / http/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("HTTP/1.1.1", s("GET / HTTP/1.1.1\r\nHost: t\r\n\r\n"), Err(400)),
        ("HTTP/11", s("GET / HTTP/11\r\nHost: t\r\n\r\n"), Err(400)),
        ("FOO/1.1", s("GET / FOO/1.1\r\nHost: t\r\n\r\n"), Err(400)),
        // --- Host (RFC 9112 §3.2) ---
        ("missing Host", s("GET / HTTP/1.1\r\n\r\n"), Err(400)),
        ("two Hosts", s("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), Err(400)),
        ("two Hosts, same", s("GET / HTTP/1.1\r\nHost: a\r\nhost: a\r\n\r\n"), Err(400)),
        ("two Hosts in 1.0", s("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), Err(400)),
        ("Host with SP", s("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), Err(400)),
        ("Host with path", s("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), Err(400)),
        ("Host with userinfo", s("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), Err(400)),
        ("Host with bad port", s("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"), Err(400)),
        ("Host IPv6 literal", s("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n"), OK),
        ("Host name:port", s("GET / HTTP/1.1\r\nHost: a.example:80\r\n\r\n"), OK),
        // --- Expect (RFC 9110 §10.1.1) ---
        ("Expect unknown", p("Expect: 200-ok\r\nContent-Length: 5\r\n\r\nhello"), Err(417)),
        // --- limits (RFC 9112 §3, RFC 6585 §5) ---
        ("request line > 8 KiB", long_target, Err(414)),
        ("header section > 64 KiB", long_field, Err(431)),
        ("101 fields", many_fields, Err(431)),
    ];
    table
}

#[test]
fn conformance_table() {
    run_table(cases());
}

/// RFC 9112 §7.1: every malformed chunked body (size, extension, data CRLF, trailer, overflow)
/// gets its 4xx and a close even when the handler never reads the body, or reads it and
/// ignores the error: the server finds the error in what already arrived before it writes the
/// handler's answer, and answers the error instead.
#[test]
fn malformed_chunked_bodies_are_rejected_on_every_route() {
    let chunk_cases: Vec<_> = cases()
        .into_iter()
        .filter(|(name, _, expect)| {
            (name.starts_with("chunk ") || name.starts_with("trailer ")) && expect.is_err()
        })
        .collect();
    assert!(chunk_cases.len() >= 13, "the table lost its chunk cases");
    for route in ["/ignore", "/swallow"] {
        let routed = chunk_cases
            .iter()
            .map(|(name, raw, expect)| (*name, raw.replacen("/echo", route, 1), *expect))
            .collect();
        run_table(routed);
    }
}

/// Sends every case with [`NEXT`] pipelined behind it and checks the replies.
fn run_table(cases: Vec<(&'static str, String, Expect)>) {
    let server = start(echo);
    let addr = server.local_addr();
    let mut failures = Vec::new();
    for (name, raw, expect) in &cases {
        let mut client = Client::connect(addr);
        let mut bytes = raw.clone().into_bytes();
        bytes.extend_from_slice(NEXT.as_bytes());
        client.send_lossy(&bytes);
        let replies = client.read_all_responses();
        let got: Vec<(u16, String)> = replies.iter().map(|r| (r.status, r.text())).collect();
        let ok = match expect {
            Ok(body) => {
                replies.len() == 2
                    && replies[0].status == 200
                    && replies[0].text() == *body
                    && replies[1].status == 200
                    && replies[1].text() == "next"
            }
            Err(status) => {
                replies.len() == 1 && replies[0].status == *status && replies[0].says_close()
            }
        };
        if !ok {
            let target = raw.split(' ').nth(1).unwrap_or("?");
            failures.push(format!(
                "{name} ({target}): expected {expect:?}, got {got:?}"
            ));
        }
    }
    stop(server);
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
