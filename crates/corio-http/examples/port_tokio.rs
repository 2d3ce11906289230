//! The "before" of a port: a tiny JSON API on tokio + axum (`POST /items`, `GET /items/{id}`)
//! and a reqwest client that calls it, prints what it got and exits. `port_corio.rs` is the
//! same program on corio; `docs/from-tokio.md` compares the two line by line.
//!
//! ```text
//! cargo run -p corio-http --example port_tokio
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
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

#[tokio::main]
async fn main() {
    let app = Router::new()
        .route("/items", post(create))
        .route("/items/{id}", get(show))
        .with_state(Db::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let client = reqwest::Client::new();
    for name in ["pen", "ink"] {
        let new = NewItem { name: name.into() };
        let resp = client
            .post(format!("{base}/items"))
            .json(&new)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let item: Item = resp.json().await.unwrap();
        println!(
            "POST /items -> {status} {{id: {}, name: {}}}",
            item.id, item.name
        );
    }
    let fetches: Vec<_> = [1, 2, 3]
        .into_iter()
        .map(|id| {
            let (client, url) = (client.clone(), format!("{base}/items/{id}"));
            tokio::spawn(async move {
                let resp = client.get(url).send().await.unwrap();
                (resp.status().as_u16(), resp.text().await.unwrap())
            })
        })
        .collect();
    for (id, fetch) in (1..).zip(fetches) {
        let (status, body) = fetch.await.unwrap();
        println!("GET /items/{id} -> {status} {body}");
    }
}
