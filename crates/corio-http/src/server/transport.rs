//! [`Transport`]: the byte stream a connection is served over.
//!
//! The connection driver and the request body reach the socket only through this trait, so
//! the same driver serves any byte stream: plain TCP today, TLS
//! (`futures_rustls::server::TlsStream<TcpStream>`, whose `futures-io` `AsyncRead` and
//! `AsyncWrite` map one to one onto these methods) later. The driver is generic over it:
//! every call is monomorphised, the plaintext path pays no dynamic dispatch.
//!
//! The methods are `futures-io`'s, on `&mut self` (a transport is `Unpin`) so that a TLS
//! session, which mutates its state on every read and write, fits. One thing is extra:
//! [`Transport::as_tcp`], the raw socket behind the stream when bytes written to it reach the
//! peer unchanged, so that files go out with `sendfile(2)`. An encrypting transport returns
//! `None` and file bodies are streamed through a buffer instead.

use std::io::{self, IoSlice};
use std::net::SocketAddr;
use std::task::{Context, Poll};

use corio::net::TcpStream;

/// A byte stream between the server and one client. See the module docs.
pub trait Transport: Unpin + 'static {
    /// Reads into `buf`: `Ready(Ok(0))` is the end of the stream.
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>>;

    /// Whether a read may find bytes, told without reading: `Pending` (the task's waker
    /// stored) when the stream knows it has none, `Ready` when a read should be tried. Lets an
    /// idle connection wait without taking a read buffer. The default, always `Ready`, suits a
    /// transport that cannot tell without reading (TLS may hold decrypted bytes).
    #[inline]
    fn poll_read_ready(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    /// Writes from `buf`, returning how much was taken.
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>>;

    /// Writes from several buffers in order (one `writev` where the transport can).
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>>;

    /// Pushes out anything the transport itself buffers (a TLS record).
    fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// Ends the write side (a TLS `close_notify`, then the TCP FIN).
    fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>>;

    /// The client's address.
    fn peer_addr(&self) -> io::Result<SocketAddr>;

    /// The TCP socket that carries the bytes unchanged, for `sendfile(2)`; `None` for a
    /// transport that transforms them (TLS).
    fn as_tcp(&self) -> Option<&TcpStream>;
}

impl Transport for TcpStream {
    #[inline]
    fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        self.poll_read_buf(cx, buf)
    }

    #[inline]
    fn poll_read_ready(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        TcpStream::poll_read_ready(self, cx)
    }

    #[inline]
    fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        self.poll_write_buf(cx, buf)
    }

    #[inline]
    fn poll_write_vectored(
        &mut self,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_bufs(cx, bufs)
    }

    #[inline]
    fn poll_flush(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // A TCP socket buffers nothing in user space; `TCP_NODELAY` is set.
        Poll::Ready(Ok(()))
    }

    #[inline]
    fn poll_close(&mut self, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Dropping the socket closes it, which sends the FIN: no syscall needed here.
        Poll::Ready(Ok(()))
    }

    fn peer_addr(&self) -> io::Result<SocketAddr> {
        TcpStream::peer_addr(self)
    }

    #[inline]
    fn as_tcp(&self) -> Option<&TcpStream> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::rc::Rc;
    use std::sync::Arc;

    use super::*;
    use crate::message::{Request, Response, ResponseBody};
    use crate::server::conn::{serve_connection, WorkerContext};
    use crate::server::shutdown::Tracker;
    use crate::server::ServerConfig;

    /// A transport that is not plain TCP as far as the driver knows (as TLS will be): every
    /// byte goes through its reads and writes, and files cannot use `sendfile`.
    struct Opaque(TcpStream);

    impl Transport for Opaque {
        fn poll_read(&mut self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
            self.0.poll_read(cx, buf)
        }
        fn poll_write(&mut self, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
            Transport::poll_write(&mut self.0, cx, buf)
        }
        fn poll_write_vectored(
            &mut self,
            cx: &mut Context<'_>,
            bufs: &[IoSlice<'_>],
        ) -> Poll<io::Result<usize>> {
            Transport::poll_write_vectored(&mut self.0, cx, bufs)
        }
        fn poll_flush(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Transport::poll_flush(&mut self.0, cx)
        }
        fn poll_close(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
            Transport::poll_close(&mut self.0, cx)
        }
        fn peer_addr(&self) -> io::Result<SocketAddr> {
            self.0.peer_addr()
        }
        fn as_tcp(&self) -> Option<&TcpStream> {
            None
        }
    }

    /// Serves one connection over [`Opaque`]: a request body, a file (through the output
    /// buffer, no `sendfile`) and a large in-memory body (vectored write) all arrive intact.
    #[test]
    fn the_driver_serves_a_transport_without_sendfile() {
        let path = std::env::temp_dir().join(format!("corio-opaque-{}", std::process::id()));
        let content: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let big = vec![b'x'; 100_000];
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = std::thread::spawn(move || {
            let mut stream = std::net::TcpStream::connect(addr).unwrap();
            stream
                .write_all(
                    b"POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello\
                      GET /file HTTP/1.1\r\nHost: t\r\n\r\n\
                      GET /big HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
                )
                .unwrap();
            let mut all = Vec::new();
            stream.read_to_end(&mut all).unwrap();
            all
        });
        let (file_path, big_body) = (path.clone(), big.clone());
        let handler = move |mut req: Request| {
            let (file_path, big_body) = (file_path.clone(), big_body.clone());
            async move {
                match req.path() {
                    "/echo" => Response::text(req.body_mut().to_bytes(1024).await.unwrap()),
                    "/file" => {
                        let file = std::fs::File::open(&file_path).unwrap();
                        let len = file.metadata().unwrap().len();
                        Response::new(
                            http::StatusCode::OK,
                            ResponseBody::File {
                                file,
                                offset: 0,
                                len,
                                path: file_path,
                            },
                        )
                    }
                    _ => Response::text(big_body),
                }
            }
        };
        corio::block_on(async move {
            listener.set_nonblocking(true).unwrap();
            let listener = corio::net::TcpListener::from_std(listener).unwrap();
            let (stream, peer) = listener.accept().await.unwrap();
            let tracker = Tracker::new();
            let guard = tracker.register();
            let context = Rc::new(WorkerContext::new(
                Arc::new(handler),
                ServerConfig::default(),
                tracker,
            ));
            serve_connection(Opaque(stream), peer, context, guard).await;
        });
        let all = client.join().unwrap();
        std::fs::remove_file(&path).unwrap();
        let find = |needle: &[u8]| {
            let at = all.windows(needle.len()).position(|w| w == needle);
            at.expect("field present") + needle.len()
        };
        let first_body = find(b"\r\n\r\n");
        assert_eq!(&all[first_body..first_body + 5], b"hello");
        let file_at = find(b"content-length: 200000\r\n\r\n");
        assert_eq!(&all[file_at..file_at + content.len()], &content[..]);
        let big_at = find(b"content-length: 100000\r\n\r\n");
        assert_eq!(&all[big_at..], &big[..]);
    }
}
