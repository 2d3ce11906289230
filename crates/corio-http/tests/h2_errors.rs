//! Protocol errors over HTTP/2 and the codes the client gets for them. corio accepts the
//! `h2` crate's choice of error code (see ARCHITECTURE.md, "HTTP/2 error codes"): these
//! tests pin that choice, so that a change in h2 shows up here and the note is revisited.
//! Also: trailers carrying a pseudo-header field, which h2 strips (see SECURITY.md).

mod h2_util;

use bytes::Bytes;
use corio_http::server::http2::H2Config;
use corio_http::{Request, Response};
use h2_util::*;

const PROTOCOL_ERROR: u32 = 0x1;
const FRAME_SIZE_ERROR: u32 = 0x6;

async fn app(mut req: Request) -> Response {
    let body = req.body_mut().to_bytes(1024).await.unwrap_or_default();
    Response::text(format!("{} {}", req.method(), body.len()))
}

fn start() -> H2Server {
    H2Server::start(H2Config::default(), app)
}

/// Sends `bytes` after the preface and returns the GOAWAY code; then checks that the server
/// still serves a new connection.
fn goaway_for(bytes: &[u8]) -> Option<u32> {
    let server = start();
    let mut raw = RawClient::connect(server.addr);
    raw.write(bytes).unwrap();
    let code = raw.read_until_goaway();
    assert_eq!(get_once(server.addr, "/"), (200, Bytes::from("GET 0")));
    server.stop();
    code
}

#[test]
fn a_frame_over_the_maximum_size_is_frame_size_error() {
    let payload = vec![0; 16 * 1024 + 1];
    assert_eq!(
        goaway_for(&frame(DATA, 0, 1, &payload)),
        Some(FRAME_SIZE_ERROR)
    );
}

#[test]
fn a_ping_of_the_wrong_length_is_protocol_error_where_the_rfc_names_frame_size_error() {
    assert_eq!(
        goaway_for(&frame(PING, 0, 0, b"seven!!")),
        Some(PROTOCOL_ERROR)
    );
}

#[test]
fn an_invalid_hpack_index_is_protocol_error_where_the_rfc_names_compression_error() {
    // Indexed field 126: beyond the static table, and the dynamic table is empty.
    let block = [0xff, 0x3f];
    assert_eq!(
        goaway_for(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &block)),
        Some(PROTOCOL_ERROR)
    );
}

#[test]
fn trailers_with_a_pseudo_header_never_reach_the_handler() {
    let server = start();
    let mut raw = RawClient::connect(server.addr);
    let mut post = vec![0x83, 0x86]; // :method POST, :scheme http
    post.extend([0x04, 1, b'/', 0x01, 9]);
    post.extend(b"localhost");
    raw.write(&frame(HEADERS, END_HEADERS, 1, &post)).unwrap();
    raw.write(&frame(DATA, 0, 1, b"abc")).unwrap();
    // A trailer section holding `:method GET`: h2 drops the pseudo-header field.
    raw.write(&frame(HEADERS, END_HEADERS | END_STREAM, 1, &[0x82]))
        .unwrap();
    let mut body = Vec::new();
    while let Some(read) = raw.read_frame() {
        assert_ne!(read.kind, GOAWAY);
        if read.kind == DATA && read.stream == 1 {
            body.extend_from_slice(&read.payload);
            if read.flags & END_STREAM != 0 {
                break;
            }
        }
    }
    assert_eq!(
        body, b"POST 3",
        "the request is the head's, not the trailer's"
    );
    drop(raw);
    server.stop();
}
