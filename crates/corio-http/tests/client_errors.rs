//! Client errors: their kinds and the URL in their messages.

mod common;

use std::time::Duration;

use common::{serve, Reply};
use corio_http::client::{Client, ErrorKind, TimeoutKind};
use corio_http::proto::ProtoError;

#[test]
fn connection_refused_names_the_url() {
    corio::block_on(async {
        let listener = corio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = format!("http://{addr}/x");
        let err = Client::new().get(&url).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Connect(std::io::ErrorKind::ConnectionRefused)
        );
        assert_eq!(err.url(), url);
        assert!(err.to_string().contains(&url), "{err}");
        assert!(err.to_string().contains("refused"), "{err}");
    });
}

#[test]
fn bad_urls_and_schemes() {
    corio::block_on(async {
        let client = Client::new();
        let err = client.get("not a url").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidUrl);
        assert!(err.to_string().contains("not a url"));
        let err = client.get("ftp://127.0.0.1/").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::UnsupportedScheme);
    });
}

#[test]
fn unresolvable_host() {
    corio::block_on(async {
        let err = Client::new()
            .get("http://no-such-host.invalid/")
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Resolve, "{err}");
    });
}

#[test]
fn read_timeout_when_the_server_never_answers() {
    corio::block_on(async {
        let server = serve(|_| Reply::Hang);
        let client = Client::builder()
            .read_timeout(Some(Duration::from_millis(50)))
            .build();
        let err = client.get(&server.url("/slow")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Read));
        assert!(err.to_string().contains("/slow"));
    });
}

#[test]
fn request_timeout() {
    corio::block_on(async {
        let server = serve(|_| Reply::Hang);
        let client = Client::builder()
            .read_timeout(None)
            .request_timeout(Some(Duration::from_millis(50)))
            .build();
        let err = client.get(&server.url("/slow")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Timeout(TimeoutKind::Request));
    });
}

fn invalid(raw: &'static [u8]) -> ErrorKind {
    corio::block_on(async {
        let server = serve(move |_| Reply::SendClose(raw.to_vec()));
        let err = Client::new().get(&server.url("/")).await.unwrap_err();
        assert!(err.to_string().contains(&server.url("/")));
        err.kind()
    })
}

#[test]
fn smuggling_style_responses_are_rejected() {
    let table: &[(&[u8], ProtoError)] = &[
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            ProtoError::ContentLengthWithTransferEncoding,
        ),
        (
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
            ProtoError::BadChunkSize,
        ),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!",
            ProtoError::ConflictingContentLength,
        ),
        (
            b"HTTP/1.0 200 OK\r\ntransfer-encoding: chunked\r\n\r\n0\r\n\r\n",
            ProtoError::TransferEncodingInHttp10,
        ),
        (
            b"HTTP/1.1 200 OK\r\nbad header\r\n\r\n",
            ProtoError::BadHeaderName,
        ),
        (
            b"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n",
            ProtoError::ObsFold,
        ),
        (b"HTTP/2.0 200 OK\r\n\r\n", ProtoError::UnsupportedVersion),
        (b"SSH-2.0-OpenSSH\r\n\r\n", ProtoError::BadStartLine),
    ];
    for (raw, want) in table {
        assert_eq!(
            invalid(raw),
            ErrorKind::InvalidResponse(*want),
            "{}",
            String::from_utf8_lossy(raw)
        );
    }
}

#[test]
fn truncated_body_is_an_error() {
    let kind = invalid(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc");
    assert_eq!(kind, ErrorKind::Io(std::io::ErrorKind::UnexpectedEof));
    let kind = invalid(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nab");
    assert_eq!(kind, ErrorKind::Io(std::io::ErrorKind::UnexpectedEof));
}

#[test]
fn no_response_at_all() {
    corio::block_on(async {
        let server = serve(|_| Reply::Close);
        let err = Client::new().get(&server.url("/")).await.unwrap_err();
        assert_eq!(
            err.kind(),
            ErrorKind::Io(std::io::ErrorKind::UnexpectedEof),
            "{err}"
        );
    });
}
