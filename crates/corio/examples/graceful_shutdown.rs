//! Graceful shutdown with a `CancellationToken`, as a tokio program does it: an accept loop
//! and its connections stop when the token is cancelled; each connection finishes the
//! request it is serving, says goodbye and closes; the server waits for all of them (a
//! `JoinSet`) before it returns.
//!
//! The program plays both sides on 127.0.0.1: it starts the server on `localhost:0`, connects
//! three clients (by name: "localhost" is resolved off the loop), has each make a request,
//! then cancels the token (a real server would do it on Ctrl-C:
//! `corio::signal::shutdown_requested().await; token.cancel();`) and checks that every client
//! got its goodbye and end of stream.
//!
//! ```text
//! cargo run -p corio --example graceful_shutdown
//! ```

use std::io;

use corio::net::{TcpListener, TcpStream};
use corio::sync::{CancellationToken, JoinSet};

const CLIENTS: usize = 3;

/// Answers each `ping\n` with `pong\n` until the peer closes or `token` is cancelled; on
/// cancellation says `bye\n` and closes. `read_exact` is not cancel-safe: a request half read
/// when the token fires is lost with it, which is fine here since the connection closes
/// anyway (with `read`, which is cancel-safe, nothing would be lost).
async fn serve_connection(mut stream: TcpStream, token: CancellationToken) -> io::Result<()> {
    let mut buf = [0u8; 5];
    loop {
        match token.run_until_cancelled(stream.read_exact(&mut buf)).await {
            Some(Ok(())) if &buf == b"ping\n" => stream.write_all(b"pong\n").await?,
            Some(Ok(())) => return stream.write_all(b"what\n").await,
            Some(Err(e)) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(()),
            Some(Err(e)) => return Err(e),
            None => return stream.write_all(b"bye\n").await,
        }
    }
}

/// Accepts until cancelled, then waits for every connection to finish. Returns how many
/// connections it served.
async fn server(listener: TcpListener, token: CancellationToken) -> io::Result<usize> {
    let mut connections = JoinSet::new();
    while let Some(accepted) = token.run_until_cancelled(listener.accept()).await {
        let (stream, _) = accepted?;
        connections.spawn(serve_connection(stream, token.child_token()));
    }
    drop(listener); // no new connections from here on
    let mut served = 0;
    while let Some(finished) = connections.join_next().await {
        finished.expect("connection task")?;
        served += 1;
    }
    Ok(served)
}

fn main() -> io::Result<()> {
    corio::block_on(async {
        let listener = TcpListener::bind("localhost:0").await?;
        let port = listener.local_addr()?.port();
        let token = CancellationToken::new();
        let server = corio::spawn(server(listener, token.clone()));

        // Each client makes one request and keeps its connection open.
        let mut streams = Vec::new();
        for _ in 0..CLIENTS {
            let mut stream = TcpStream::connect(("localhost", port)).await?;
            stream.write_all(b"ping\n").await?;
            let mut pong = [0u8; 5];
            stream.read_exact(&mut pong).await?;
            streams.push(stream);
        }
        println!("{CLIENTS} clients connected and answered; shutting down");

        token.cancel();
        for mut stream in streams {
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest).await?;
            assert_eq!(rest, b"bye\n", "goodbye, then end of stream");
        }
        let served = server.await.expect("server task")?;
        assert_eq!(served, CLIENTS);
        println!("server stopped after {served} connections, each closed cleanly");
        Ok(())
    })
}
