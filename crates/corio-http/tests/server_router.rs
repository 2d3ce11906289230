//! The router over a real socket: routes with parameters, 405 with `Allow`, 404, and the
//! static-file service mounted under a prefix (redirects and listings keep the prefix).

mod util;

use corio_http::server::StaticFiles;
use corio_http::{Request, Response, Router};
use http::Method;
use util::{get, start, stop, TempDir};

fn router(files: StaticFiles) -> Router {
    Router::new()
        .get("/api/hello/:name", |req: Request| async move {
            Response::text(format!("hello {}", req.param("name").unwrap_or("?")))
        })
        .route(Method::DELETE, "/api/hello/:name", |_req: Request| async {
            Response::text("deleted")
        })
        .mount("/static", files)
}

#[test]
fn routes_parameters_and_methods() {
    let dir = TempDir::new("router-routes");
    let server = start(router(StaticFiles::new(dir.path()).unwrap()));
    let addr = server.local_addr();

    let reply = get(addr, "/api/hello/ada%20lovelace", "");
    assert_eq!(
        (reply.status, reply.text()),
        (200, "hello ada lovelace".to_owned())
    );
    let mut client = util::Client::connect(addr);
    client.send("HEAD /api/hello/x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(
        client.read_head_response().status,
        200,
        "GET routes answer HEAD"
    );

    let reply = util::exchange(
        addr,
        "POST /api/hello/x HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET, DELETE"));

    assert_eq!(get(addr, "/api/hello", "").status, 404, "too few segments");
    assert_eq!(
        get(addr, "/api/hello/x/y", "").status,
        404,
        "too many segments"
    );
    assert_eq!(get(addr, "/nowhere", "").status, 404);
    stop(server);
}

#[test]
fn static_files_mounted_under_a_prefix() {
    let dir = TempDir::new("router-mount");
    std::fs::write(dir.path().join("a.txt"), "alpha").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("sub/b.txt"), "beta").unwrap();
    let server = start(router(StaticFiles::new(dir.path()).unwrap()));
    let addr = server.local_addr();

    let reply = get(addr, "/static/a.txt", "");
    assert_eq!((reply.status, reply.text()), (200, "alpha".to_owned()));
    assert_eq!(get(addr, "/static/sub/b.txt", "").text(), "beta");

    // Redirects keep the mount prefix, and the query.
    let reply = get(addr, "/static/sub?x=1", "");
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/static/sub/?x=1"));
    let reply = get(addr, "/static", "");
    assert_eq!(reply.status, 301);
    assert_eq!(reply.header("location"), Some("/static/"));

    // The listing of the mount's root names its files with the prefix in the title.
    let reply = get(addr, "/static/", "");
    assert_eq!(reply.status, 200);
    let html = reply.text();
    assert!(html.contains("a.txt") && html.contains("sub/"), "{html}");
    assert!(html.contains("/static/"), "{html}");

    // A path that only starts with the prefix's letters is not under the mount.
    assert_eq!(get(addr, "/staticx/a.txt", "").status, 404);
    // No way out of the mounted root.
    assert_eq!(get(addr, "/static/../a.txt", "").status, 404);
    assert_eq!(get(addr, "/static/%2e%2e/a.txt", "").status, 404);
    stop(server);
}
