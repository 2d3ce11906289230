//! HTTP/2 served by `serve_h2`, observed with the `h2` crate's client over corio sockets (and
//! raw frames where the client would hide what is tested): the handler sees the same
//! `Request` as over HTTP/1.1 with version `HTTP/2`, request bodies, HEAD, many concurrent
//! streams on one connection, large bodies from memory, files and streams under flow
//! control, and GOAWAY on graceful shutdown with the in-flight stream finishing.

mod h2_util;

use std::io::Write;
use std::sync::Arc;
use std::task::Poll;

use bytes::Bytes;
use corio_http::server::http2::H2Config;
use corio_http::{Request, Response, ResponseBody};
use h2_util::*;
use http::StatusCode;

const BIG: usize = 8 * 1024 * 1024;

fn big_body() -> Bytes {
    Bytes::from((0..BIG).map(|i| (i % 251) as u8).collect::<Vec<u8>>())
}

async fn app(mut req: Request, gate: Arc<Gate>) -> Response {
    match req.path() {
        "/hello" => Response::text(format!(
            "{} {} {} {}",
            req.version().as_str(),
            req.method(),
            req.query().unwrap_or(""),
            req.headers()
                .get("host")
                .and_then(|h| h.to_str().ok())
                .unwrap_or("-"),
        )),
        "/echo" => match req.body_mut().to_bytes(usize::MAX).await {
            Ok(body) => Response::text(body),
            Err(e) => Response::error(e.status(), ""),
        },
        "/big" => Response::new(StatusCode::OK, big_body()),
        "/stream" => {
            let pieces = (0..64).map(|i| Ok(Bytes::from(vec![i as u8; 100_000])));
            Response::new(
                StatusCode::OK,
                ResponseBody::Stream(Box::pin(Iter(pieces.collect::<Vec<_>>().into_iter()))),
            )
        }
        "/file" => {
            let path = req.query().unwrap_or("").to_owned();
            let file = std::fs::File::open(&path).unwrap();
            let len = file.metadata().unwrap().len();
            Response::new(
                StatusCode::OK,
                ResponseBody::File {
                    file,
                    offset: 1,
                    len: len - 1,
                    path: path.into(),
                },
            )
        }
        "/together" => {
            gate.arrive(50);
            gate.wait().await;
            Response::text(req.query().unwrap_or("").to_owned())
        }
        "/slow" => {
            gate.wait().await;
            Response::text("done")
        }
        _ => Response::error(StatusCode::NOT_FOUND, ""),
    }
}

/// A stream over a vector of pieces.
struct Iter(std::vec::IntoIter<std::io::Result<Bytes>>);

impl futures_core::Stream for Iter {
    type Item = std::io::Result<Bytes>;
    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        _cx: &mut std::task::Context<'_>,
    ) -> Poll<Option<Self::Item>> {
        Poll::Ready(self.0.next())
    }
}

fn start(gate: Arc<Gate>) -> H2Server {
    H2Server::start(H2Config::default(), move |req| app(req, gate.clone()))
}

#[test]
fn the_handler_sees_an_http2_request() {
    let server = start(Arc::default());
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let (head, body) = send(&mut client, request("GET", "/hello?x=1"), None)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.version, http::Version::HTTP_2);
        assert_eq!(&body[..], b"HTTP/2 GET x=1 localhost");
        assert_eq!(head.headers["content-length"], "24");
        assert_eq!(head.headers["content-type"], "text/plain");
        assert_eq!(head.headers["server"], "corio");
        assert!(head.headers.contains_key("date"));
        let (head, _) = send(&mut client, request("GET", "/nowhere"), None)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::NOT_FOUND);
    });
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn request_bodies_reach_the_handler_and_the_limit_is_413() {
    let config = H2Config {
        max_request_body: 100_000,
        ..H2Config::default()
    };
    let server = H2Server::start(config, move |req| app(req, Arc::default()));
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let body = Bytes::from(vec![b'x'; 100_000]);
        let (head, echoed) = send(&mut client, request("POST", "/echo"), Some(body.clone()))
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(echoed, body);
        let too_big = Bytes::from(vec![b'x'; 100_001]);
        let (head, _) = send(&mut client, request("POST", "/echo"), Some(too_big))
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::PAYLOAD_TOO_LARGE);
    });
    server.stop();
}

/// Streams that arrive together are all answered. One write carries a plain GET, a GET
/// whose header block is split by a CONTINUATION frame, and another GET; a second, a POST
/// with a body and trailers (a HEADERS frame that opens no stream) and one more GET: the
/// driver, which stops asking h2 for streams once it has taken as many as the client sent
/// HEADERS frames, answers every stream of both batches.
#[test]
fn streams_sent_together_with_trailers_and_continuations_are_all_answered() {
    let server = start(Arc::default());
    let mut raw = RawClient::connect(server.addr);
    let split = get_block("/hello?split");
    let (first, rest) = split.split_at(3);
    let mut bytes = frame(HEADERS, END_HEADERS | END_STREAM, 1, &get_block("/hello"));
    bytes.extend(frame(HEADERS, END_STREAM, 3, first));
    bytes.extend(frame(CONTINUATION, END_HEADERS, 3, rest));
    bytes.extend(frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        5,
        &get_block("/hello?x"),
    ));
    raw.write(&bytes).unwrap();
    let bodies = read_bodies(&mut raw, 3);
    assert_eq!(bodies[&1], b"HTTP/2 GET  localhost");
    assert_eq!(bodies[&3], b"HTTP/2 GET split localhost");
    assert_eq!(bodies[&5], b"HTTP/2 GET x localhost");

    let mut post = get_block("/echo");
    post[0] = 0x83; // :method POST
    let mut bytes = frame(HEADERS, END_HEADERS, 7, &post);
    bytes.extend(frame(DATA, 0, 7, b"abc"));
    let trailers = literal_field("x-trailer", "1");
    bytes.extend(frame(HEADERS, END_HEADERS | END_STREAM, 7, &trailers));
    bytes.extend(frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        9,
        &get_block("/hello?y"),
    ));
    raw.write(&bytes).unwrap();
    let bodies = read_bodies(&mut raw, 2);
    assert_eq!(bodies[&7], b"abc");
    assert_eq!(bodies[&9], b"HTTP/2 GET y localhost");
    drop(raw);
    assert_eq!(server.stop(), vec![Ok(())]);
}

/// Reads frames until `streams` streams have ended; each stream's body.
fn read_bodies(raw: &mut RawClient, streams: usize) -> std::collections::BTreeMap<u32, Vec<u8>> {
    let mut bodies = std::collections::BTreeMap::<u32, Vec<u8>>::new();
    let mut ended = 0;
    while ended < streams {
        let read = raw.read_frame().expect("every stream is answered");
        match read.kind {
            DATA => bodies.entry(read.stream).or_default().extend(&read.payload),
            PING if read.flags & ACK == 0 => {
                raw.write(&frame(PING, ACK, 0, &read.payload)).unwrap()
            }
            _ => {}
        }
        if matches!(read.kind, DATA | HEADERS) && read.flags & END_STREAM != 0 {
            ended += 1;
        }
    }
    bodies
}

#[test]
fn head_responses_carry_the_length_and_no_body() {
    let server = start(Arc::default());
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let mut ready = client.clone().ready().await.unwrap();
        let (response, _) = ready.send_request(request("HEAD", "/big"), true).unwrap();
        let response = response.await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            response.headers()["content-length"],
            BIG.to_string().as_str()
        );
        // The HEADERS frame itself ended the stream: no DATA frame follows.
        assert!(response.body().is_end_stream());
        let (_, body) = send(&mut client, request("HEAD", "/hello"), None)
            .await
            .unwrap();
        assert!(body.is_empty());
    });
    server.stop();
}

#[test]
fn fifty_streams_run_at_once_on_one_connection() {
    let server = start(Arc::default());
    let addr = server.addr;
    corio::block_on(async move {
        let client = connect(addr).await;
        // Each handler waits until all fifty have arrived: they complete only if the server
        // runs the streams concurrently.
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let mut client = client.clone();
                corio::spawn_local(async move {
                    let (head, body) =
                        send(&mut client, request("GET", &format!("/together?{i}")), None)
                            .await
                            .unwrap();
                    assert_eq!(head.status, StatusCode::OK);
                    assert_eq!(body, i.to_string());
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn large_bodies_from_memory_streams_and_files_follow_flow_control() {
    let dir = std::env::temp_dir().join(format!("corio-h2-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("file.bin");
    let content: Vec<u8> = (0..3_000_001u32).map(|i| (i % 253) as u8).collect();
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&content)
        .unwrap();
    let server = start(Arc::default());
    let addr = server.addr;
    let file_path = path.to_str().unwrap().to_owned();
    corio::block_on(async move {
        // The client's default window is 64 KiB: the server must wait for WINDOW_UPDATEs.
        let mut client = connect(addr).await;
        let (head, body) = send(&mut client, request("GET", "/big"), None)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(body, big_body());
        let (_, body) = send(&mut client, request("GET", "/stream"), None)
            .await
            .unwrap();
        assert_eq!(body.len(), 64 * 100_000);
        assert!(body
            .chunks(100_000)
            .enumerate()
            .all(|(i, c)| c.iter().all(|&b| b == i as u8)));
        let (head, body) = send(
            &mut client,
            request("GET", &format!("/file?{file_path}")),
            None,
        )
        .await
        .unwrap();
        assert_eq!(head.headers["content-length"], "3000000");
        assert_eq!(&body[..], &content[1..]);
    });
    std::fs::remove_dir_all(&dir).unwrap();
    server.stop();
}

#[test]
fn shutdown_sends_goaway_and_the_stream_in_flight_finishes() {
    let gate = Arc::new(Gate::default());
    let server = start(gate.clone());
    let mut raw = RawClient::connect(server.addr);
    raw.write(&frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        &get_block("/slow"),
    ))
    .unwrap();
    // The request is in: the server answers this PING only after reading the HEADERS.
    raw.write(&frame(PING, 0, 0, b"12345678")).unwrap();
    while let Some(read) = raw.read_frame() {
        if read.kind == PING && read.flags & ACK != 0 {
            break;
        }
    }
    server.shutdown.trigger();
    assert_eq!(raw.read_until_goaway(), Some(0), "GOAWAY with NO_ERROR");
    gate.open();
    let mut status_seen = false;
    let mut body = Vec::new();
    while let Some(read) = raw.read_frame() {
        match read.kind {
            HEADERS if read.stream == 1 => status_seen = read.payload.first() == Some(&0x88),
            DATA if read.stream == 1 => {
                body.extend_from_slice(&read.payload);
                if read.flags & END_STREAM != 0 {
                    break;
                }
            }
            PING if read.flags & ACK == 0 => {
                raw.write(&frame(PING, ACK, 0, &read.payload)).unwrap()
            }
            _ => {}
        }
    }
    assert!(
        status_seen,
        "the in-flight stream got its 200 after the GOAWAY"
    );
    assert_eq!(body, b"done");
    // Then the server closes the connection.
    while raw.read_frame().is_some() {}
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn a_sniffed_preface_is_given_back_and_http1_is_told_apart() {
    let server = H2Server::start_sniffing(H2Config::default(), move |req| app(req, Arc::default()));
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let (head, body) = send(&mut client, request("GET", "/hello"), None)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert!(body.starts_with(b"HTTP/2 GET"));
    });
    let mut http1 = std::net::TcpStream::connect(addr).unwrap();
    http1
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut rest = Vec::new();
    std::io::Read::read_to_end(&mut http1, &mut rest).unwrap();
    let mut outcomes = server.stop();
    outcomes.sort();
    assert_eq!(outcomes, vec![Ok(()), Err("HTTP/1".to_owned())]);
}

#[test]
fn a_stream_still_open_after_the_grace_period_is_dropped_with_its_connection() {
    let config = H2Config {
        shutdown_grace: std::time::Duration::from_millis(200),
        ..H2Config::default()
    };
    // The gate never opens: the handler never answers.
    let server = H2Server::start(config, move |req| app(req, Arc::default()));
    let mut raw = RawClient::connect(server.addr);
    raw.write(&frame(
        HEADERS,
        END_HEADERS | END_STREAM,
        1,
        &get_block("/slow"),
    ))
    .unwrap();
    raw.write(&frame(PING, 0, 0, b"12345678")).unwrap();
    while let Some(read) = raw.read_frame() {
        if read.kind == PING && read.flags & ACK != 0 {
            break;
        }
    }
    assert_eq!(server.stop(), vec![Err("DrainTimedOut".to_owned())]);
    assert_eq!(raw.read_until_goaway(), Some(0), "the GOAWAY came first");
    while raw.read_frame().is_some() {}
}
