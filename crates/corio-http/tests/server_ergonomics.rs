//! The handler ergonomics over a real socket: shared state, typed path and query, JSON in
//! and out with its 400/413/415 answers, `IntoResponse` outputs, PUT/DELETE/PATCH routes,
//! custom 404/405 fallbacks and middleware.

mod util;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use corio_http::server::{Json, Next, Path, Query, State, DEFAULT_BODY_LIMIT};
use corio_http::{Request, Response, Router};
use http::header::HeaderValue;
use http::StatusCode;
use serde::{Deserialize, Serialize};
use util::{exchange, get, start, stop, Reply};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
struct Item {
    name: String,
    qty: u32,
}

type Store = Arc<Mutex<BTreeMap<u64, Item>>>;

async fn create(State(store): State<Store>, Json(item): Json<Item>) -> (StatusCode, Json<u64>) {
    let mut store = store.lock().unwrap();
    let id = store.len() as u64 + 1;
    store.insert(id, item);
    (StatusCode::CREATED, Json(id))
}

async fn read(State(store): State<Store>, Path(id): Path<u64>) -> Result<Json<Item>, StatusCode> {
    store
        .lock()
        .unwrap()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

async fn replace(
    State(store): State<Store>,
    Path(id): Path<u64>,
    Json(item): Json<Item>,
) -> StatusCode {
    match store.lock().unwrap().get_mut(&id) {
        Some(slot) => {
            *slot = item;
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

#[derive(Deserialize)]
struct Change {
    qty: u32,
}

async fn patch_qty(
    State(store): State<Store>,
    Path(id): Path<u64>,
    Json(c): Json<Change>,
) -> String {
    let mut store = store.lock().unwrap();
    let item = store.get_mut(&id).unwrap();
    item.qty = c.qty;
    format!("{} now {}", item.name, item.qty)
}

async fn remove(State(store): State<Store>, Path(id): Path<u64>) -> &'static str {
    match store.lock().unwrap().remove(&id) {
        Some(_) => "removed",
        None => "absent",
    }
}

#[derive(Deserialize)]
struct Page {
    min_qty: u32,
    #[serde(default)]
    limit: Option<usize>,
}

async fn list(State(store): State<Store>, Query(page): Query<Page>) -> Json<Vec<Item>> {
    let store = store.lock().unwrap();
    let items = store.values().filter(|i| i.qty >= page.min_qty);
    Json(
        items
            .take(page.limit.unwrap_or(usize::MAX))
            .cloned()
            .collect(),
    )
}

fn api() -> Router<Store> {
    Router::with_state(Store::default())
        .post("/items", create)
        .get("/items", list)
        .get("/items/:id", read)
        .put("/items/:id", replace)
        .patch("/items/:id", patch_qty)
        .delete("/items/:id", remove)
        .get(
            "/pair/:a/:b",
            |Path((a, b)): Path<(String, u8)>| async move { format!("{a}:{b}") },
        )
        .get("/plain", |req: Request| async move {
            Response::text(format!("plain {}", req.path()))
        })
        .get("/health", || async { "ok" })
}

fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Reply {
    let ct = content_type.map_or(String::new(), |ct| format!("Content-Type: {ct}\r\n"));
    exchange(
        addr,
        format!(
            "{method} {path} HTTP/1.1\r\nHost: t\r\n{ct}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ),
    )
}

fn json(addr: SocketAddr, method: &str, path: &str, body: &str) -> Reply {
    send(addr, method, path, Some("application/json"), body)
}

#[test]
fn stateful_json_api_with_every_method() {
    let server = start(api());
    let addr = server.local_addr();

    let reply = json(addr, "POST", "/items", r#"{"name":"apple","qty":3}"#);
    assert_eq!((reply.status, reply.text()), (201, "1".to_owned()));
    assert_eq!(reply.header("content-type"), Some("application/json"));
    json(addr, "POST", "/items", r#"{"name":"pear","qty":9}"#);

    let reply = get(addr, "/items/1", "");
    assert_eq!(reply.status, 200);
    let item: Item = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        item,
        Item {
            name: "apple".into(),
            qty: 3
        }
    );
    assert_eq!(get(addr, "/items/9", "").status, 404, "Err(StatusCode)");

    let reply = json(addr, "PUT", "/items/1", r#"{"name":"green apple","qty":4}"#);
    assert_eq!(reply.status, 204);
    let reply = json(addr, "PATCH", "/items/1", r#"{"qty":5}"#);
    assert_eq!(
        (reply.status, reply.text()),
        (200, "green apple now 5".to_owned())
    );

    let reply = get(addr, "/items?min_qty=5&limit=1", "");
    let items: Vec<Item> = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        items,
        [Item {
            name: "green apple".into(),
            qty: 5
        }]
    );
    let reply = get(addr, "/items?min_qty=6", "");
    let items: Vec<Item> = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(
        items,
        [Item {
            name: "pear".into(),
            qty: 9
        }]
    );

    let reply = send(addr, "DELETE", "/items/2", None, "");
    assert_eq!((reply.status, reply.text()), (200, "removed".to_owned()));
    assert_eq!(send(addr, "DELETE", "/items/2", None, "").text(), "absent");

    assert_eq!(get(addr, "/pair/x%20y/7", "").text(), "x y:7");
    assert_eq!(get(addr, "/plain", "").text(), "plain /plain");
    assert_eq!(get(addr, "/health", "").text(), "ok");
    stop(server);
}

#[test]
fn extractor_rejections_answer_400_413_415() {
    let server = start(api());
    let addr = server.local_addr();

    let reply = get(addr, "/items/seven", "");
    assert_eq!(reply.status, 400, "a path parameter that is not a number");
    assert!(reply.text().contains("\"seven\""), "{}", reply.text());
    assert_eq!(
        get(addr, "/pair/a/300", "").status,
        400,
        "out of range for u8"
    );
    assert_eq!(
        get(addr, "/items", "").status,
        400,
        "a required query field is missing"
    );
    assert_eq!(get(addr, "/items?min_qty=lots", "").status, 400);

    let reply = send(
        addr,
        "POST",
        "/items",
        Some("text/plain"),
        r#"{"name":"a","qty":1}"#,
    );
    assert_eq!(reply.status, 415);
    assert_eq!(
        send(addr, "POST", "/items", None, "{}").status,
        415,
        "no content type"
    );
    let reply = json(addr, "POST", "/items", r#"{"name":"a","qty":"#);
    assert_eq!(reply.status, 400, "truncated JSON");
    let reply = json(addr, "POST", "/items", r#"{"name":"a","qty":-1}"#);
    assert_eq!(reply.status, 400, "JSON of the wrong type");
    assert!(reply.text().contains("invalid JSON"), "{}", reply.text());
    let reply = send(
        addr,
        "POST",
        "/items",
        Some("application/vnd.x+json; charset=utf-8"),
        r#"{"name":"b","qty":2}"#,
    );
    assert_eq!(
        reply.status, 201,
        "a +json media type with parameters is JSON"
    );

    let huge = format!(r#"{{"name":"{}","qty":1}}"#, "x".repeat(DEFAULT_BODY_LIMIT));
    assert_eq!(json(addr, "POST", "/items", &huge).status, 413);
    stop(server);
}

#[test]
fn fallbacks_replace_the_404_and_405_bodies() {
    let router = Router::new()
        .get("/only-get", || async { "got" })
        .fallback(|req: Request| async move {
            (
                StatusCode::NOT_FOUND,
                Json(serde_json::json!({ "missing": req.path() })),
            )
        })
        .method_not_allowed(|| async { Json(serde_json::json!({ "error": "method" })) });
    let server = start(router);
    let addr = server.local_addr();

    let reply = get(addr, "/nope", "");
    assert_eq!(reply.status, 404);
    assert_eq!(reply.text(), r#"{"missing":"/nope"}"#);
    let reply = send(addr, "POST", "/only-get", None, "");
    assert_eq!(reply.status, 405);
    assert_eq!(reply.header("allow"), Some("GET"));
    assert_eq!(reply.text(), r#"{"error":"method"}"#);
    stop(server);
}

#[test]
fn middleware_wraps_routes_and_the_routers_own_answers() {
    let router = Router::new()
        .get("/hello", |req: Request| async move {
            let who = req
                .headers()
                .get("x-user")
                .map_or("?", |v| v.to_str().unwrap_or("?"));
            format!("hello {who}")
        })
        // Added first: the innermost. Sees the header the outer `map_request` set.
        .layer(|req: Request, next: Next| async move {
            if req.headers().get("x-user").is_some_and(|v| v == "MALLORY") {
                return Response::error(StatusCode::FORBIDDEN, "");
            }
            next.run(req).await
        })
        .map_request(|mut req: Request| async move {
            if !req.headers().contains_key("x-user") {
                return Err((StatusCode::UNAUTHORIZED, "who are you?"));
            }
            let user = req.headers()["x-user"].to_str().unwrap().to_uppercase();
            req.headers_mut()
                .insert("x-user", HeaderValue::from_str(&user).unwrap());
            Ok(req)
        })
        .map_response(|mut res: Response| async move {
            res.headers_mut()
                .insert("x-served-by", HeaderValue::from_static("corio"));
            res
        });
    let server = start(router);
    let addr = server.local_addr();

    let reply = get(addr, "/hello", "x-user: ada\r\n");
    assert_eq!((reply.status, reply.text()), (200, "hello ADA".to_owned()));
    assert_eq!(reply.header("x-served-by"), Some("corio"));

    let reply = get(addr, "/hello", "");
    assert_eq!(
        (reply.status, reply.text()),
        (401, "who are you?".to_owned())
    );
    assert_eq!(
        reply.header("x-served-by"),
        Some("corio"),
        "map_response is outermost"
    );

    let reply = get(addr, "/hello", "x-user: mallory\r\n");
    assert_eq!(
        reply.status, 403,
        "the inner layer sees the request map_request rewrote"
    );
    let reply = get(addr, "/elsewhere", "x-user: ada\r\n");
    assert_eq!(reply.status, 404);
    assert_eq!(
        reply.header("x-served-by"),
        Some("corio"),
        "the router's 404 is wrapped too"
    );
    stop(server);
}

#[test]
fn struct_handlers_method_and_raw_body_extractors() {
    let inner = Router::new().get("/inner/:x", |Path(x): Path<String>| async move {
        format!("inner {x}")
    });
    let router = Router::new()
        .route_service(http::Method::GET, "/inner/:x", inner)
        .route(
            http::Method::OPTIONS,
            "/any",
            |method: http::Method| async move { method.to_string() },
        )
        .post("/raw", |body: bytes::Bytes| async move {
            format!("{} bytes", body.len())
        })
        .post("/text", |body: String| async move {
            body.chars().rev().collect::<String>()
        });
    let server = start(router);
    let addr = server.local_addr();

    assert_eq!(
        get(addr, "/inner/a", "").text(),
        "inner a",
        "a nested router as a route"
    );
    assert_eq!(send(addr, "OPTIONS", "/any", None, "").text(), "OPTIONS");
    assert_eq!(send(addr, "POST", "/raw", None, "12345").text(), "5 bytes");
    assert_eq!(send(addr, "POST", "/text", None, "abc").text(), "cba");
    let reply = exchange(
        addr,
        b"POST /text HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\n\xff\xfe",
    );
    assert_eq!(reply.status, 400, "a String body that is not UTF-8");
    stop(server);
}
