//! [`Link`]: a load-generating connection's byte stream, cleartext or TLS, driven with the
//! same non-blocking `try_read`/`try_write` calls as the connection loop.
//!
//! The TLS arm is rustls' `ClientConnection` used directly (no futures adapter): the loop
//! stays one poll of readiness per turn and nothing is allocated per request. Invariants:
//! - [`Link::try_write`] hands plaintext to rustls (which seals it into records) and writes
//!   out as many records as the socket takes; records left over are written by the next
//!   [`Link::flush`] ([`Link::wants_write`] says to wait for write readiness);
//! - [`Link::try_read`] returns plaintext rustls already decrypted before touching the
//!   socket, and `WouldBlock` only when rustls holds none and the socket had none, so a
//!   `WouldBlock` means "wait for read readiness" exactly as in cleartext;
//! - an end of stream without `close_notify` is an `UnexpectedEof` error (rustls'), never
//!   a clean end: a truncated close-delimited body counts as a read error.

use std::future::poll_fn;
use std::io::{self, Read, Write};
use std::sync::Arc;

use corio::net::TcpStream;
use corio_http::tls::rustls::pki_types::ServerName;
use corio_http::tls::rustls::{ClientConfig, ClientConnection};

/// A connection's stream.
pub enum Link {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`, handshake done.
    Tls(TcpStream, Box<ClientConnection>),
}

impl Link {
    /// The socket (for readiness).
    pub fn socket(&self) -> &TcpStream {
        match self {
            Link::Plain(tcp) | Link::Tls(tcp, _) => tcp,
        }
    }

    /// Whether sealed records wait for the socket.
    pub fn wants_write(&self) -> bool {
        match self {
            Link::Plain(_) => false,
            Link::Tls(_, tls) => tls.wants_write(),
        }
    }

    /// Writes some of `buf`; `WouldBlock` if nothing was taken.
    pub fn try_write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Link::Plain(tcp) => tcp.try_write(buf),
            Link::Tls(tcp, tls) => {
                let n = tls.writer().write(buf)?;
                flush_records(tcp, tls)?;
                if n == 0 && !buf.is_empty() {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                Ok(n)
            }
        }
    }

    /// Writes pending records until done or the socket is full.
    pub fn flush(&mut self) -> io::Result<()> {
        match self {
            Link::Plain(_) => Ok(()),
            Link::Tls(tcp, tls) => flush_records(tcp, tls),
        }
    }

    /// Reads some plaintext; `Ok(0)` is the end of the stream.
    pub fn try_read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Link::Plain(tcp) => tcp.try_read(buf),
            Link::Tls(tcp, tls) => loop {
                match tls.reader().read(buf) {
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    done => return done,
                }
                tls.read_tls(&mut Socket(tcp))?;
                tls.process_new_packets()
                    .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
                // Post-handshake messages (a key update) may need an answer.
                flush_records(tcp, tls)?;
            },
        }
    }
}

/// Runs the TLS handshake for `name` on `tcp` (the caller bounds it with a timeout).
pub async fn handshake(
    tcp: TcpStream,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
) -> io::Result<Link> {
    let mut tls = ClientConnection::new(config, name)
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    while tls.is_handshaking() {
        while tls.wants_write() {
            match tls.write_tls(&mut Socket(&tcp)) {
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    poll_fn(|cx| tcp.poll_write_ready(cx)).await?;
                }
                Err(e) => return Err(e),
            }
        }
        if !tls.is_handshaking() {
            break;
        }
        match tls.read_tls(&mut Socket(&tcp)) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "closed during the TLS handshake",
                ))
            }
            Ok(_) => {
                tls.process_new_packets().map_err(|e| {
                    // Tell the server why before giving up (best effort).
                    let _ = tls.write_tls(&mut Socket(&tcp));
                    io::Error::new(io::ErrorKind::InvalidData, e)
                })?;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                poll_fn(|cx| tcp.poll_read_ready(cx)).await?;
            }
            Err(e) => return Err(e),
        }
    }
    Ok(Link::Tls(tcp, Box::new(tls)))
}

fn flush_records(tcp: &TcpStream, tls: &mut ClientConnection) -> io::Result<()> {
    while tls.wants_write() {
        match tls.write_tls(&mut Socket(tcp)) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `std::io` over the socket's non-blocking calls, for rustls' `read_tls`/`write_tls`.
struct Socket<'a>(&'a TcpStream);

impl Read for Socket<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.try_read(buf)
    }
}

impl Write for Socket<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.try_write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
