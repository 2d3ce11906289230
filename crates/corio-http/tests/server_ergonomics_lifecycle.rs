//! The async server lifecycle: `with_graceful_shutdown(fut).await` and `server.await` inside
//! async code (regression: `wait()` and `run_until_signal()` there panicked with "cannot run
//! an event loop while another one is running"), with an in-flight request finishing.

use std::net::SocketAddr;

use corio::net::TcpStream;
use corio::sync::{oneshot, CancellationToken};
use corio_http::{Request, Response, Server};

/// Sends one `Connection: close` request and reads the whole answer.
async fn fetch(addr: SocketAddr, path: &str) -> String {
    let mut conn = TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut reply = Vec::new();
    let mut buf = [0; 4096];
    loop {
        let n = conn.read(&mut buf).await.unwrap();
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(reply).unwrap()
}

#[corio::test]
async fn graceful_shutdown_on_a_token_lets_the_request_in_flight_finish() {
    let (entered_tx, entered_rx) = oneshot::channel::<()>();
    let entered = std::sync::Mutex::new(Some(entered_tx));
    let release = CancellationToken::new();
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(2)
        .start({
            let release = release.clone();
            move |_req: Request| {
                let entered = entered.lock().unwrap().take();
                let release = release.clone();
                async move {
                    if let Some(entered) = entered {
                        let _ = entered.send(());
                    }
                    release.cancelled().await;
                    Response::text("finished")
                }
            }
        })
        .unwrap();
    let addr = server.local_addr();
    let client = corio::spawn(async move { fetch(addr, "/slow").await });
    entered_rx.await.unwrap();
    let token = CancellationToken::new();
    let signal = server.shutdown_signal();
    let shutdown = corio::spawn({
        let token = token.clone();
        async move { server.with_graceful_shutdown(token.cancelled_owned()).await }
    });
    token.cancel();
    // The token reached the server (its own signal fired) while the request is in flight.
    signal.wait().await;
    release.cancel();
    let reply = client.await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("finished"), "{reply}");
    shutdown.await.unwrap().unwrap();
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "the listener is closed once the shutdown completed"
    );
}

#[corio::test]
async fn awaiting_the_server_waits_for_a_shutdown_from_elsewhere() {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|_req: Request| async { Response::text("up") })
        .unwrap();
    let addr = server.local_addr();
    assert!(fetch(addr, "/").await.ends_with("up"));
    let signal = server.shutdown_signal();
    let waiting = corio::spawn(async move { server.await });
    signal.trigger();
    waiting.await.unwrap().unwrap();
}

/// The shutdown future's output does not matter: `shutdown_requested()` gives an
/// `io::Result<i32>`, a token's gives `()`, and this one an `Err` that is ignored.
#[corio::test]
async fn any_future_can_trigger_the_shutdown() {
    let server = Server::bind("127.0.0.1:0".parse().unwrap())
        .workers(1)
        .start(|_req: Request| async { Response::text("up") })
        .unwrap();
    let done = async { Err::<(), &str>("whatever") };
    server.with_graceful_shutdown(done).await.unwrap();
}
