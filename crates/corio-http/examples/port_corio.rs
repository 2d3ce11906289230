//! The "after" of a port: `port_tokio.rs` (tokio + axum + reqwest) on corio. The same JSON API
//! (`POST /items`, `GET /items/:id`) and the same client, printing the same lines;
//! `docs/from-tokio.md` lists what changed.
//!
//! ```text
//! cargo run -p corio-http --example port_corio
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use corio_http::client::{Client, ClientRequest};
use corio_http::server::{Json, Path, State};
use corio_http::{Router, Server};
use http::{Method, StatusCode};
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize, Deserialize)]
struct Item {
    id: u64,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct NewItem {
    name: String,
}

type Db = Arc<Mutex<BTreeMap<u64, Item>>>;

async fn create(State(db): State<Db>, Json(new): Json<NewItem>) -> (StatusCode, Json<Item>) {
    let mut items = db.lock().unwrap();
    let item = Item {
        id: items.len() as u64 + 1,
        name: new.name,
    };
    items.insert(item.id, item.clone());
    (StatusCode::CREATED, Json(item))
}

async fn show(State(db): State<Db>, Path(id): Path<u64>) -> Result<Json<Item>, StatusCode> {
    let items = db.lock().unwrap();
    items
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

#[corio::main]
async fn main() {
    let app = Router::with_state(Db::default())
        .post("/items", create)
        .get("/items/:id", show);
    let addr = "127.0.0.1:0".parse().unwrap();
    let server = Server::bind(addr).workers(1).start(app).unwrap();
    let base = format!("http://{}", server.local_addr());

    let client = Client::new();
    for name in ["pen", "ink"] {
        let new = NewItem { name: name.into() };
        let req = ClientRequest::new(Method::POST, format!("{base}/items")).json(&new);
        let resp = client.request(req).await.unwrap();
        let item: Item = resp.json().unwrap();
        println!(
            "POST /items -> {} {{id: {}, name: {}}}",
            resp.status.as_u16(),
            item.id,
            item.name
        );
    }
    let fetches: Vec<_> = [1, 2, 3]
        .into_iter()
        .map(|id| {
            let (client, url) = (client.clone(), format!("{base}/items/{id}"));
            corio::spawn(async move {
                let resp = client.get(&url).await.unwrap();
                (resp.status.as_u16(), resp.text().into_owned())
            })
        })
        .collect();
    for (id, fetch) in (1..).zip(fetches) {
        let (status, body) = fetch.await.unwrap();
        println!("GET /items/{id} -> {status} {body}");
    }
    server.with_graceful_shutdown(async {}).await.unwrap();
}
