//! Tower interop over a real socket: an axum `Router` served by corio's server, a corio
//! router wrapped in a tower-http layer and served again by corio, and a corio handler called
//! as a plain tower `Service`.

mod util;

use std::future::poll_fn;
use std::pin::pin;

use corio_http::server::{HandlerService, Json, Path, TowerHandler};
use corio_http::{Request, Response, Router};
use http::header::{HeaderName, HeaderValue};
use http_body::Body as _;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::set_header::SetResponseHeaderLayer;
use util::{exchange, get, start, stop};

fn tagged() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        HeaderName::from_static("x-layer"),
        HeaderValue::from_static("tower-http"),
    )
}

#[test]
fn an_axum_router_with_a_tower_http_layer_runs_on_corios_server() {
    let app = axum::Router::new()
        .route(
            "/hi/{name}",
            axum::routing::get(
                |axum::extract::Path(name): axum::extract::Path<String>| async move {
                    format!("hi {name}")
                },
            ),
        )
        .route(
            "/echo",
            axum::routing::post(|body: String| async move { body.to_uppercase() }),
        )
        .layer(tagged());
    let server = start(TowerHandler::new(app));
    let addr = server.local_addr();

    let reply = get(addr, "/hi/ada", "");
    assert_eq!((reply.status, reply.text()), (200, "hi ada".to_owned()));
    assert_eq!(reply.header("x-layer"), Some("tower-http"));

    let reply = exchange(
        addr,
        "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nshout",
    );
    assert_eq!((reply.status, reply.text()), (200, "SHOUT".to_owned()));
    assert_eq!(get(addr, "/missing", "").status, 404, "axum's own 404");
    stop(server);
}

#[test]
fn a_corio_router_under_a_tower_http_layer_on_corios_server() {
    let router = Router::new()
        .get("/n/:n", |Path(n): Path<u32>| async move { Json(n * 2) })
        .post("/len", |body: String| async move { body.len().to_string() });
    let service = ServiceBuilder::new()
        .layer(tagged())
        .service(HandlerService::new(router));
    let server = start(TowerHandler::new(service));
    let addr = server.local_addr();

    let reply = get(addr, "/n/21", "");
    assert_eq!((reply.status, reply.text()), (200, "42".to_owned()));
    assert_eq!(reply.header("x-layer"), Some("tower-http"));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    let reply = exchange(
        addr,
        "POST /len HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\nConnection: close\r\n\r\nabcd",
    );
    assert_eq!(reply.text(), "4", "the body crossed both conversions");
    let reply = get(addr, "/n/x", "");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("x-layer"),
        Some("tower-http"),
        "rejections pass the layer too"
    );
    stop(server);
}

#[corio::test]
async fn a_corio_handler_is_a_tower_service() {
    let handler = |mut req: Request| async move {
        let body = req.body_mut().to_bytes(1024).await.unwrap();
        Response::text(format!("{} {} bytes", req.method(), body.len()))
    };
    let request = http::Request::post("/x").body("hello".to_owned()).unwrap();
    let response = HandlerService::new(handler).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
    let mut body = pin!(response.into_body());
    let mut text = Vec::new();
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        text.extend_from_slice(&frame.unwrap().into_data().unwrap());
    }
    assert_eq!(text, b"POST 5 bytes");

    let too_big = http::Request::post("/x").body("x".repeat(100)).unwrap();
    let service = HandlerService::new(handler).body_limit(10);
    assert_eq!(service.oneshot(too_big).await.unwrap().status(), 413);
}
