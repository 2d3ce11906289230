//! Sending a response body under HTTP/2 flow control.
//!
//! h2 buffers whatever `send_data` is given, window or not; so the server never gives it
//! more than flow control has granted. For each piece of body it reserves capacity, waits
//! for h2 to assign some (the client's stream and connection windows, capped by
//! `max_send_buffer`), sends that much, and repeats. Memory per stream is one piece
//! ([`PIECE_LEN`] from a file, one item from a stream, or the handler's own buffer).
//!
//! A stream that gets no capacity for `send_timeout` (a client that never opens its window)
//! is reset with `CANCEL`; a stream the client resets ends at once.
//!
//! A file is read with positioned reads on the loop's thread, one piece at a time, as the
//! HTTP/1.1 path's `sendfile` also runs there: h2 frames the bytes itself, so there is no
//! `sendfile` over HTTP/2.

use std::future::poll_fn;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use corio::time::Deadline;
use futures_core::Stream;
use h2::{Reason, SendStream};

use crate::message::{BodyStream, ResponseBody};

/// The most bytes read from a file, or asked of flow control, at once: four default-size
/// frames, a few syscalls per window update.
const PIECE_LEN: usize = 64 * 1024;

/// Where the body's bytes come from.
enum Source {
    Bytes(Bytes),
    Stream(BodyStream),
    File {
        file: std::fs::File,
        offset: u64,
        remaining: u64,
    },
}

impl Source {
    fn new(body: ResponseBody) -> Source {
        match body {
            ResponseBody::Empty => Source::Bytes(Bytes::new()),
            ResponseBody::Bytes(bytes) => Source::Bytes(bytes),
            ResponseBody::Stream(stream) => Source::Stream(stream),
            ResponseBody::File {
                file, offset, len, ..
            } => Source::File {
                file,
                offset,
                remaining: len,
            },
        }
    }

    /// The next piece; `None` once the body is over.
    fn poll_piece(&mut self, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        match self {
            Source::Bytes(bytes) => {
                Poll::Ready((!bytes.is_empty()).then(|| Ok(std::mem::take(bytes))))
            }
            Source::Stream(stream) => Pin::new(stream).poll_next(cx),
            Source::File {
                file,
                offset,
                remaining,
            } => {
                if *remaining == 0 {
                    return Poll::Ready(None);
                }
                let len = (*remaining).min(PIECE_LEN as u64) as usize;
                let mut piece = BytesMut::zeroed(len);
                Poll::Ready(Some(match file.read_at(&mut piece, *offset) {
                    Ok(0) => Err(io::ErrorKind::UnexpectedEof.into()),
                    Ok(n) => {
                        piece.truncate(n);
                        *offset += n as u64;
                        *remaining -= n as u64;
                        Ok(piece.freeze())
                    }
                    Err(e) => Err(e),
                }))
            }
        }
    }

    /// Whether the body is known to be over (a stream's end is known only when it says so).
    fn is_exhausted(&self) -> bool {
        match self {
            Source::Bytes(bytes) => bytes.is_empty(),
            Source::Stream(_) => false,
            Source::File { remaining, .. } => *remaining == 0,
        }
    }
}

/// Why a body stopped before its end.
enum Stop {
    /// The client reset the stream or the connection went away.
    Gone,
    /// No window for `send_timeout`.
    Stalled,
}

/// Sends a body in memory at once when flow control already grants all of it (the common
/// case: a small body and a fresh stream window), ending the stream; otherwise gives the body
/// back for [`send_body`].
pub(super) fn send_at_once(
    stream: &mut SendStream<Bytes>,
    body: ResponseBody,
) -> Option<ResponseBody> {
    let ResponseBody::Bytes(bytes) = body else {
        return Some(body);
    };
    let len = bytes.len();
    if len <= PIECE_LEN {
        stream.reserve_capacity(len);
        if stream.capacity() >= len {
            let _ = stream.send_data(bytes, true);
            return None;
        }
    }
    Some(ResponseBody::Bytes(bytes))
}

/// Sends `body` on `stream`, ending the stream with the last piece.
pub(super) async fn send_body(
    mut stream: SendStream<Bytes>,
    body: ResponseBody,
    send_timeout: Duration,
) {
    let mut source = Source::new(body);
    let mut deadline = Deadline::new();
    loop {
        let piece = poll_fn(|cx| source.poll_piece(cx)).await;
        let mut data = match piece {
            None => {
                // Only a stream's end is learnt after its last piece: an empty DATA frame
                // with END_STREAM closes it.
                let _ = stream.send_data(Bytes::new(), true);
                return;
            }
            Some(Err(_)) => {
                stream.send_reset(Reason::INTERNAL_ERROR);
                return;
            }
            Some(Ok(data)) => data,
        };
        while !data.is_empty() {
            stream.reserve_capacity(data.len().min(PIECE_LEN));
            deadline.set(Some(Instant::now() + send_timeout));
            let granted = match poll_fn(|cx| poll_granted(&mut stream, &mut deadline, cx)).await {
                Ok(n) => n,
                Err(Stop::Stalled) => {
                    stream.send_reset(Reason::CANCEL);
                    return;
                }
                Err(Stop::Gone) => return,
            };
            let chunk = data.split_to(granted.min(data.len()));
            let end = data.is_empty() && source.is_exhausted();
            if stream.send_data(chunk, end).is_err() || end {
                return;
            }
        }
    }
}

/// Waits until h2 grants some capacity, the stream is reset, or the deadline passes.
fn poll_granted(
    stream: &mut SendStream<Bytes>,
    deadline: &mut Deadline,
    cx: &mut Context<'_>,
) -> Poll<Result<usize, Stop>> {
    let assigned = stream.capacity();
    if assigned > 0 {
        return Poll::Ready(Ok(assigned));
    }
    loop {
        match stream.poll_capacity(cx) {
            Poll::Ready(Some(Ok(0))) => continue,
            Poll::Ready(Some(Ok(n))) => return Poll::Ready(Ok(n)),
            Poll::Ready(Some(Err(_)) | None) => return Poll::Ready(Err(Stop::Gone)),
            Poll::Pending => break,
        }
    }
    if stream.poll_reset(cx).is_ready() {
        return Poll::Ready(Err(Stop::Gone));
    }
    deadline.poll(cx).map(|()| Err(Stop::Stalled))
}
