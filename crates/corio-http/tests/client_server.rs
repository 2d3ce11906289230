//! The client against the project's own server (one worker thread, 127.0.0.1).

use corio_http::client::{Client, ClientRequest};
use corio_http::{Response, Server};
use http::StatusCode;

#[test]
fn keep_alive_redirects_and_bodies_against_corio_server() {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|mut req: corio_http::Request| async move {
            match req.path() {
                "/old" => Response::redirect(StatusCode::SEE_OTHER, "/echo"),
                "/missing" => Response::error(StatusCode::NOT_FOUND, "no such page"),
                _ => {
                    let method = req.method().to_string();
                    let body = req.body_mut().to_bytes(1 << 20).await.unwrap_or_default();
                    Response::text(format!("{method} {}", String::from_utf8_lossy(&body)))
                }
            }
        })
        .unwrap();
    let base = format!("http://{}", server.local_addr());
    corio::block_on(async {
        let client = Client::new();
        for i in 0..50 {
            let resp = client
                .post(&format!("{base}/echo"), format!("n={i}"))
                .await
                .unwrap();
            assert_eq!(resp.status, 200);
            assert_eq!(resp.text(), format!("POST n={i}"));
        }
        assert_eq!(
            client.pool_stats().open,
            1,
            "one keep-alive connection for 50 requests"
        );
        let resp = client
            .post(&format!("{base}/old"), "dropped")
            .await
            .unwrap();
        assert_eq!(resp.text(), "GET ");
        assert_eq!(resp.url.path(), "/echo");
        let resp = client
            .request(ClientRequest::get(format!("{base}/missing")))
            .await
            .unwrap();
        assert_eq!(resp.status, 404);
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (client, url) = (client.clone(), format!("{base}/echo"));
                corio::spawn_local(
                    async move { client.get(&url).await.unwrap().text().into_owned() },
                )
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), "GET ");
        }
    });
    server.shutdown();
    server.wait().unwrap();
}
