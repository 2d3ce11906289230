//! HTTP/2 request bodies stream to the handler: it reads the first piece while the client is
//! still sending, a body larger than every window (and than what any buffer would hold)
//! goes through as the handler reads, the size limit answers 413 (announced or not), and a
//! stalled body 408.

mod h2_util;

use std::time::Duration;

use bytes::Bytes;
use corio_http::server::http2::H2Config;
use corio_http::{Request, Response};
use h2_util::*;
use http::StatusCode;

async fn app(mut req: Request) -> Response {
    match req.path() {
        // Answers with the first piece of the body, not waiting for the rest.
        "/first" => match req.body_mut().chunk().await {
            Some(Ok(piece)) => Response::text(piece),
            _ => Response::error(StatusCode::BAD_REQUEST, ""),
        },
        // Counts the body's bytes without keeping them.
        "/count" => {
            let mut total = 0;
            while let Some(piece) = req.body_mut().chunk().await {
                match piece {
                    Ok(piece) => total += piece.len(),
                    Err(e) => return Response::error(e.status(), ""),
                }
            }
            Response::text(total.to_string())
        }
        // A handler that swallows the body's error and answers 200 anyway.
        "/ignore-errors" => {
            while let Some(Ok(_)) = req.body_mut().chunk().await {}
            Response::text("fine")
        }
        _ => Response::error(StatusCode::NOT_FOUND, ""),
    }
}

#[test]
fn the_handler_reads_the_first_piece_while_the_client_is_still_sending() {
    let server = H2Server::start(H2Config::default(), app);
    let addr = server.addr;
    corio::block_on(async move {
        let client = connect(addr).await;
        let mut client = client.ready().await.unwrap();
        let (response, mut body) = client
            .send_request(request("POST", "/first"), false)
            .unwrap();
        body.send_data(Bytes::from_static(b"first piece"), false)
            .unwrap();
        // The stream is still open on the client's side: a server that read the whole body
        // before running the handler would never answer (the safety timeout fails the test).
        let response = corio::time::timeout(SAFETY_TIMEOUT, response)
            .await
            .expect("the handler answered before the body ended")
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let mut recv = response.into_body();
        let mut got = Vec::new();
        while let Some(piece) = recv.data().await {
            got.extend_from_slice(&piece.unwrap());
        }
        assert_eq!(got, b"first piece");
    });
    server.stop();
}

#[test]
fn a_body_larger_than_every_window_streams_through_as_the_handler_reads() {
    // 12 MiB: twelve connection windows, more than the old 1 MiB buffer limit, within 16 MiB.
    let size = 12 * 1024 * 1024;
    let server = H2Server::start(H2Config::default(), app);
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let body = Bytes::from(vec![b'x'; size]);
        let (head, answer) = send(&mut client, request("POST", "/count"), Some(body))
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(answer, Bytes::from(size.to_string()));
    });
    assert_eq!(server.stop(), vec![Ok(())]);
}

#[test]
fn past_the_limit_the_stream_answers_413_whatever_the_handler_returns() {
    let config = H2Config {
        max_request_body: 1000,
        ..H2Config::default()
    };
    let server = H2Server::start(config, app);
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let body = Bytes::from(vec![b'x'; 1001]);
        let (head, _) = send(&mut client, request("POST", "/ignore-errors"), Some(body))
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::PAYLOAD_TOO_LARGE);
        // Announced with Content-Length: refused before the handler runs.
        let mut announced = request("POST", "/count");
        announced
            .headers_mut()
            .insert("content-length", "5000".parse().unwrap());
        let (head, _) = send(&mut client, announced, Some(Bytes::from(vec![b'x'; 5000])))
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::PAYLOAD_TOO_LARGE);
        // The limit itself is fine.
        let body = Bytes::from(vec![b'x'; 1000]);
        let (head, answer) = send(&mut client, request("POST", "/count"), Some(body))
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(answer, Bytes::from("1000"));
    });
    server.stop();
}

#[test]
fn a_stalled_body_is_408_whatever_the_handler_returns() {
    let config = H2Config {
        body_timeout: Duration::from_millis(200),
        ..H2Config::default()
    };
    let server = H2Server::start(config, app);
    let addr = server.addr;
    corio::block_on(async move {
        let client = connect(addr).await;
        let mut client = client.ready().await.unwrap();
        let (response, mut body) = client
            .send_request(request("POST", "/ignore-errors"), false)
            .unwrap();
        body.send_data(Bytes::from_static(b"a start"), false)
            .unwrap();
        let response = response.await.unwrap();
        assert_eq!(response.status(), StatusCode::REQUEST_TIMEOUT);
    });
    server.stop();
}

#[test]
fn bodies_a_handler_never_reads_do_not_use_up_the_connection_window() {
    // Each unread body is larger than the connection window (1 MiB): were its bytes not
    // given back when the stream ends, the next upload on the connection would stall.
    let size = 3 * 1024 * 1024 / 2;
    let server = H2Server::start(H2Config::default(), app);
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        for _ in 0..3 {
            let body = Bytes::from(vec![b'x'; size]);
            let (head, answer) = send(&mut client, request("POST", "/nowhere"), Some(body))
                .await
                .unwrap();
            assert_eq!(head.status, StatusCode::NOT_FOUND, "{answer:?}");
        }
        let body = Bytes::from(vec![b'x'; size]);
        let (head, answer) = send(&mut client, request("POST", "/count"), Some(body))
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(answer, Bytes::from(size.to_string()));
    });
    assert_eq!(server.stop(), vec![Ok(())]);
}
