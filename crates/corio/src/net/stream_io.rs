//! The byte-stream operations shared by [`TcpStream`](super::TcpStream) and
//! [`UnixStream`](super::UnixStream): both wrap an [`IoSource`] of a mio stream that reads and
//! writes through `&T`, so reading, writing and their loops are written once, here.
//!
//! Reads and writes go through [`IoSource::poll_transfer`]: a short transfer clears the
//! readiness at once, saving the `EAGAIN` syscall. They are [`recv`] and [`send`] made
//! straight to the kernel (rustix's raw system calls), not through the C library.

use std::future::poll_fn;
use std::io::{self, IoSlice, Write};
use std::os::fd::AsFd;
use std::task::{Context, Poll};

use rustix::net::{RecvFlags, SendFlags};

use super::io_source::IoSource;
use crate::reactor::Direction;

/// Size of the stack buffer [`read_to_end`] reads through.
const READ_TO_END_CHUNK: usize = 16 * 1024;

/// Polls a read into `buf`.
pub(crate) fn poll_read<T>(
    source: &IoSource<T>,
    cx: &mut Context<'_>,
    buf: &mut [u8],
) -> Poll<io::Result<usize>>
where
    T: mio::event::Source + AsFd,
{
    source.poll_transfer(cx, Direction::Read, buf.len(), |s| recv(s, buf))
}

/// Polls a write of `buf`.
pub(crate) fn poll_write<T>(
    source: &IoSource<T>,
    cx: &mut Context<'_>,
    buf: &[u8],
) -> Poll<io::Result<usize>>
where
    T: mio::event::Source + AsFd,
{
    source.poll_transfer(cx, Direction::Write, buf.len(), |s| send(s, buf))
}

/// `recv(2)` of a socket into `buf`, as a raw system call. The C library's `recv` (which
/// std's sockets call) is a thread-cancellation point: it brackets the system call with two
/// calls that switch asynchronous cancellation on and off, a quarter of the instructions
/// a small read costs in user space. Nothing here uses thread cancellation.
#[inline]
pub(crate) fn recv(socket: &impl AsFd, buf: &mut [u8]) -> io::Result<usize> {
    Ok(rustix::net::recv(socket, buf, RecvFlags::empty())?)
}

/// `send(2)` of `buf` as a raw system call (see [`recv`]), with `MSG_NOSIGNAL` as std's own
/// socket writes: a peer that went away is an `EPIPE` error, not a `SIGPIPE`.
#[inline]
pub(crate) fn send(socket: &impl AsFd, buf: &[u8]) -> io::Result<usize> {
    Ok(rustix::net::send(socket, buf, SendFlags::NOSIGNAL)?)
}

/// Polls a vectored write.
pub(crate) fn poll_write_vectored<T>(
    source: &IoSource<T>,
    cx: &mut Context<'_>,
    bufs: &[IoSlice<'_>],
) -> Poll<io::Result<usize>>
where
    T: mio::event::Source,
    for<'a> &'a T: Write,
{
    source.poll_io(cx, Direction::Write, |mut s| s.write_vectored(bufs))
}

/// Reads exactly `buf.len()` bytes, or fails with `UnexpectedEof`.
pub(crate) async fn read_exact<T>(source: &IoSource<T>, mut buf: &mut [u8]) -> io::Result<()>
where
    T: mio::event::Source + AsFd,
{
    while !buf.is_empty() {
        match poll_fn(|cx| poll_read(source, cx, buf)).await? {
            0 => return Err(io::ErrorKind::UnexpectedEof.into()),
            n => buf = &mut buf[n..],
        }
    }
    Ok(())
}

/// Reads until end of stream, appending to `out`; returns the number of bytes read.
pub(crate) async fn read_to_end<T>(source: &IoSource<T>, out: &mut Vec<u8>) -> io::Result<usize>
where
    T: mio::event::Source + AsFd,
{
    let start = out.len();
    let mut chunk = [0u8; READ_TO_END_CHUNK];
    loop {
        match poll_fn(|cx| poll_read(source, cx, &mut chunk)).await? {
            0 => return Ok(out.len() - start),
            n => out.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Writes all of `buf`.
pub(crate) async fn write_all<T>(source: &IoSource<T>, mut buf: &[u8]) -> io::Result<()>
where
    T: mio::event::Source + AsFd,
{
    while !buf.is_empty() {
        match poll_fn(|cx| poll_write(source, cx, buf)).await? {
            0 => return Err(io::ErrorKind::WriteZero.into()),
            n => buf = &buf[n..],
        }
    }
    Ok(())
}
