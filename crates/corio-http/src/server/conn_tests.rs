//! Tests of the connection driver: the size of a connection's future, and the handler boxes
//! of the worker's pool over real sockets.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::task::Waker;

use corio::net::{TcpListener, TcpStream};

use super::*;

/// A handler like the plaintext example's: its future holds the `Request`.
async fn plaintext(request: Request) -> Response {
    if request.path() == "/plaintext" {
        Response::text("Hello, World!")
    } else {
        Response::error(StatusCode::NOT_FOUND, "")
    }
}

/// The size of the future `f` returns, without calling it.
fn future_size<A, B, C, D, Fut, F: FnOnce(A, B, C, D) -> Fut>(_: F) -> usize {
    std::mem::size_of::<Fut>()
}

fn connection_task_size<H: Handler>(_: &H) -> usize {
    future_size(
        |io: TcpStream, peer, context: Rc<WorkerContext<H>>, guard| {
            serve(io, peer, context, guard, Start::Sniff)
        },
    )
}

/// Memory per idle connection is a measured goal: the connection's future holds the
/// driver and the state of its steps, not the handler's future (which is boxed) nor a
/// copy of `serve`'s arguments. Measured 240 bytes in a debug build; 296 while each request
/// was an `async` step of its own, 592 before the handler's future moved to a pooled box.
#[test]
fn a_connection_task_holds_no_handler_future() {
    const MAX_TASK: usize = 240;
    let size = connection_task_size(&plaintext);
    eprintln!("connection future {size} bytes");
    assert!(
        size <= MAX_TASK,
        "connection future {size} bytes, over {MAX_TASK}"
    );
}

/// Holds the `/slow` handlers until `/release`; counts those waiting.
#[derive(Default)]
struct Gate {
    open: AtomicBool,
    waiting: AtomicUsize,
    wakers: Mutex<Vec<Waker>>,
}

impl Gate {
    async fn pass(&self) {
        self.waiting.fetch_add(1, Ordering::SeqCst);
        poll_fn(|cx| {
            if self.open.load(Ordering::SeqCst) {
                return Poll::Ready(());
            }
            self.wakers.lock().unwrap().push(cx.waker().clone());
            Poll::Pending
        })
        .await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
    }

    fn release(&self) {
        self.open.store(true, Ordering::SeqCst);
        for waker in self.wakers.lock().unwrap().drain(..) {
            waker.wake();
        }
    }
}

/// Serves `connections` connections with `handler` on this thread while `client` runs on
/// another; once every connection closed, returns for each box in the worker's pool whether
/// it still holds a future.
fn run_server<H: Handler>(
    handler: H,
    connections: usize,
    client: impl FnOnce(std::net::SocketAddr) + Send + 'static,
) -> Vec<bool> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let client = std::thread::spawn(move || client(addr));
    let filled = corio::block_on(async move {
        listener.set_nonblocking(true).unwrap();
        let listener = TcpListener::from_std(listener).unwrap();
        let tracker = Tracker::new();
        let context = Rc::new(WorkerContext::new(
            Arc::new(handler),
            ServerConfig::default(),
            tracker.clone(),
        ));
        for _ in 0..connections {
            let (stream, peer) = listener.accept().await.unwrap();
            let guard = tracker.register();
            corio::spawn_local(serve_connection(stream, peer, context.clone(), guard));
        }
        tracker.wait_drained().await;
        let spare = context.spare.take();
        let boxes = context.boxes.borrow();
        spare
            .iter()
            .chain(boxes.iter())
            .map(|b| b.is_some())
            .collect::<Vec<bool>>()
    });
    client.join().unwrap();
    filled
}

fn get(conn: &mut std::net::TcpStream, path: &str) -> String {
    write!(conn, "GET {path} HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
    read_response(conn)
}

/// Reads one response whose body ends with `.` (the handlers below end theirs so).
fn read_response(conn: &mut std::net::TcpStream) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 1024];
    while !got.ends_with(b".") {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(got).unwrap()
}

/// Two slow handlers (pending on their first poll) hold a box each while a third
/// connection is served; released, they answer, and their boxes return to the pool empty.
#[test]
fn slow_handlers_keep_their_boxes_while_other_connections_are_served() {
    let gate = Arc::new(Gate::default());
    let handler = {
        let gate = gate.clone();
        move |request: Request| {
            let gate = gate.clone();
            async move {
                match request.path() {
                    "/slow" => gate.pass().await,
                    "/release" => gate.release(),
                    _ => {}
                }
                let waiting = gate.waiting.load(Ordering::SeqCst);
                Response::text(format!("{} waiting={waiting}.", request.path()))
            }
        }
    };
    let filled = run_server(handler, 3, |addr| {
        let mut slow: Vec<_> = (0..2)
            .map(|_| std::net::TcpStream::connect(addr).unwrap())
            .collect();
        for conn in &mut slow {
            conn.write_all(b"GET /slow HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
        }
        let mut fast = std::net::TcpStream::connect(addr).unwrap();
        // Served while the slow ones wait, however many of them have started.
        loop {
            let response = get(&mut fast, "/fast");
            assert!(response.starts_with("HTTP/1.1 200"), "{response}");
            if response.ends_with("waiting=2.") {
                break;
            }
        }
        assert!(get(&mut fast, "/release").ends_with("/release waiting=2."));
        for conn in &mut slow {
            let response = read_response(conn);
            assert!(response.starts_with("HTTP/1.1 200"), "{response}");
            assert!(response.ends_with("/slow waiting=1.") || response.ends_with("waiting=0."));
        }
    });
    assert!(filled.len() >= 2, "{} boxes pooled", filled.len());
    assert!(filled.iter().all(|&f| !f), "a pooled box holds a future");
}

/// A handler that panics is answered with a 500; its box returns to the pool empty.
#[test]
fn a_panicked_handlers_box_is_pooled_empty() {
    let handler = |request: Request| async move {
        if request.path() == "/panic" {
            panic!("the handler failed");
        }
        Response::text("ok.")
    };
    let filled = run_server(handler, 1, |addr| {
        let mut conn = std::net::TcpStream::connect(addr).unwrap();
        assert!(get(&mut conn, "/ok").starts_with("HTTP/1.1 200"));
        write!(conn, "GET /panic HTTP/1.1\r\nHost: t\r\n\r\n").unwrap();
        let mut response = String::new();
        conn.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 500"), "{response}");
    });
    assert_eq!(filled, [false], "the panicked handler's box");
}
