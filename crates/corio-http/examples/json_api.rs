//! A stateful JSON API: a to-do list in shared state, with typed path and query
//! parameters, JSON in and out, a middleware, a custom 404, and a graceful shutdown on
//! Ctrl-C, all inside `#[corio::main]`.
//!
//! ```text
//! cargo run -p corio-http --example json_api -- 127.0.0.1:3000
//! curl -d '{"title":"write docs"}' -H 'content-type: application/json' localhost:3000/todos
//! curl 'localhost:3000/todos?done=false'
//! curl -X PATCH -d '{"done":true}' -H 'content-type: application/json' localhost:3000/todos/1
//! curl -X DELETE localhost:3000/todos/1
//! ```

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use corio_http::server::{Json, Next, Path, Query, State};
use corio_http::{Request, Router, Server};
use http::header::HeaderValue;
use http::StatusCode;
use serde::{Deserialize, Serialize};

#[derive(Clone, Serialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

/// The state every handler shares: behind an `Arc` (cloned per request) and a `Mutex` (the
/// workers are threads; no lock is held across an `.await`).
#[derive(Default)]
struct Todos {
    next_id: u64,
    items: BTreeMap<u64, Todo>,
}

type Db = Arc<Mutex<Todos>>;

#[derive(Deserialize)]
struct NewTodo {
    title: String,
}

#[derive(Deserialize)]
struct Update {
    title: Option<String>,
    done: Option<bool>,
}

#[derive(Deserialize)]
struct Filter {
    done: Option<bool>,
}

async fn create(State(db): State<Db>, Json(new): Json<NewTodo>) -> (StatusCode, Json<Todo>) {
    let mut db = db.lock().unwrap();
    db.next_id += 1;
    let todo = Todo {
        id: db.next_id,
        title: new.title,
        done: false,
    };
    db.items.insert(todo.id, todo.clone());
    (StatusCode::CREATED, Json(todo))
}

async fn list(State(db): State<Db>, Query(filter): Query<Filter>) -> Json<Vec<Todo>> {
    let db = db.lock().unwrap();
    let wanted = |t: &&Todo| filter.done.is_none_or(|done| t.done == done);
    Json(db.items.values().filter(wanted).cloned().collect())
}

async fn show(State(db): State<Db>, Path(id): Path<u64>) -> Result<Json<Todo>, StatusCode> {
    let db = db.lock().unwrap();
    db.items
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or(StatusCode::NOT_FOUND)
}

async fn update(
    State(db): State<Db>,
    Path(id): Path<u64>,
    Json(update): Json<Update>,
) -> Result<Json<Todo>, StatusCode> {
    let mut db = db.lock().unwrap();
    let todo = db.items.get_mut(&id).ok_or(StatusCode::NOT_FOUND)?;
    if let Some(title) = update.title {
        todo.title = title;
    }
    if let Some(done) = update.done {
        todo.done = done;
    }
    Ok(Json(todo.clone()))
}

async fn remove(State(db): State<Db>, Path(id): Path<u64>) -> StatusCode {
    match db.lock().unwrap().items.remove(&id) {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}

fn app() -> Router<Db> {
    Router::with_state(Db::default())
        .get("/todos", list)
        .post("/todos", create)
        .get("/todos/:id", show)
        .patch("/todos/:id", update)
        .delete("/todos/:id", remove)
        .fallback(|req: Request| async move {
            let body = serde_json::json!({ "error": "no such resource", "path": req.path() });
            (StatusCode::NOT_FOUND, Json(body))
        })
        .layer(|req: Request, next: Next| async move {
            let mut response = next.run(req).await;
            let headers = response.headers_mut();
            headers.insert("x-api", HeaderValue::from_static("todos/1"));
            response
        })
}

#[corio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let addr = addr.parse().map_err(|e| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{addr}: {e}"))
    })?;
    let server = Server::bind(addr).workers(2).start(app())?;
    eprintln!("listening on http://{}", server.local_addr());
    server
        .with_graceful_shutdown(corio::signal::shutdown_requested())
        .await
}
