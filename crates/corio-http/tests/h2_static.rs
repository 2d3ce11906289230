//! `StaticFiles` served over HTTP/2 by `serve_h2`, unchanged: ranges, conditional requests,
//! HEAD, and a large file under the client's flow-control window.

mod h2_util;

use std::io::Write;

use bytes::Bytes;
use corio_http::server::http2::H2Config;
use corio_http::server::StaticFiles;
use h2_util::*;
use http::StatusCode;

fn with_header(
    mut request: http::Request<()>,
    name: &'static str,
    value: &str,
) -> http::Request<()> {
    request
        .headers_mut()
        .insert(name, http::HeaderValue::from_str(value).unwrap());
    request
}

#[test]
fn static_files_over_http2() {
    let dir = std::env::temp_dir().join(format!("corio-h2-static-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let small: Vec<u8> = (0..100u8).collect();
    std::fs::File::create(dir.join("small.bin"))
        .unwrap()
        .write_all(&small)
        .unwrap();
    let large: Vec<u8> = (0..4 * 1024 * 1024u32).map(|i| (i % 241) as u8).collect();
    std::fs::File::create(dir.join("large.bin"))
        .unwrap()
        .write_all(&large)
        .unwrap();
    let server = H2Server::start(H2Config::default(), StaticFiles::new(&dir).unwrap());
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        let (head, body) = send(&mut client, request("GET", "/small.bin"), None)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(&body[..], &small[..]);
        let etag = head.headers["etag"].to_str().unwrap().to_owned();

        let ranged = with_header(request("GET", "/small.bin"), "range", "bytes=10-19");
        let (head, body) = send(&mut client, ranged, None).await.unwrap();
        assert_eq!(head.status, StatusCode::PARTIAL_CONTENT);
        assert_eq!(head.headers["content-range"], "bytes 10-19/100");
        assert_eq!(&body[..], &small[10..20]);

        let conditional = with_header(request("GET", "/small.bin"), "if-none-match", &etag);
        let (head, body) = send(&mut client, conditional, None).await.unwrap();
        assert_eq!(head.status, StatusCode::NOT_MODIFIED);
        assert!(body.is_empty());

        let (head, body) = send(&mut client, request("HEAD", "/large.bin"), None)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(
            head.headers["content-length"],
            large.len().to_string().as_str()
        );
        assert!(body.is_empty());

        let (_, body) = send(&mut client, request("GET", "/large.bin"), None)
            .await
            .unwrap();
        assert_eq!(body, Bytes::from(large));

        let (head, _) = send(&mut client, request("GET", "/missing"), None)
            .await
            .unwrap();
        assert_eq!(head.status, StatusCode::NOT_FOUND);
    });
    server.stop();
    std::fs::remove_dir_all(&dir).unwrap();
}

/// On-the-fly compression over HTTP/2: a small file (compressed whole, with its length) and
/// a large one (streamed in DATA frames), each coding decoded with its real decoder; HEAD has
/// the GET's headers.
#[test]
fn compression_over_http2() {
    use std::io::Read;
    let dir = std::env::temp_dir().join(format!("corio-h2-compress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = |lines: u32| -> Vec<u8> {
        (0..lines)
            .flat_map(|i| format!("{i:07} a line of text to compress {}\n", i % 89).into_bytes())
            .collect()
    };
    std::fs::write(dir.join("small.txt"), text(300)).unwrap();
    std::fs::write(dir.join("large.js"), text(20_000)).unwrap();
    let server = H2Server::start(H2Config::default(), StaticFiles::new(&dir).unwrap());
    let addr = server.addr;
    corio::block_on(async move {
        let mut client = connect(addr).await;
        for (path, lines) in [("/small.txt", 300), ("/large.js", 20_000)] {
            for coding in ["gzip", "br", "zstd"] {
                let get = with_header(request("GET", path), "accept-encoding", coding);
                let (head, body) = send(&mut client, get, None).await.unwrap();
                assert_eq!(head.status, StatusCode::OK);
                assert_eq!(head.headers["content-encoding"], coding);
                assert_eq!(head.headers["vary"], "Accept-Encoding");
                let mut decoded = Vec::new();
                match coding {
                    "gzip" => {
                        flate2::read::GzDecoder::new(&body[..])
                            .read_to_end(&mut decoded)
                            .unwrap();
                    }
                    "br" => {
                        brotli::Decompressor::new(&body[..], 4096)
                            .read_to_end(&mut decoded)
                            .unwrap();
                    }
                    _ => decoded = zstd::stream::decode_all(&body[..]).unwrap(),
                }
                assert!(decoded == text(lines), "{path} {coding}");
                let head_request = with_header(request("HEAD", path), "accept-encoding", coding);
                let (head_only, body) = send(&mut client, head_request, None).await.unwrap();
                assert!(body.is_empty());
                for name in ["content-encoding", "etag", "content-length"] {
                    assert_eq!(
                        head_only.headers.get(name),
                        head.headers.get(name),
                        "{path} {coding} {name}"
                    );
                }
            }
        }
    });
    let _ = std::fs::remove_dir_all(&dir);
}
