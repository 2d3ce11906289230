//! A request body streamed from an h2 [`RecvStream`] to the handler, as a
//! [`BodySource`](crate::message::BodySource).
//!
//! Nothing is read ahead of the handler: h2 holds what the client sent within the stream's
//! window (`stream_window`), and each piece the handler takes gives its bytes back to the
//! client's window (`release_capacity`). A handler that reads slowly slows the client down;
//! one that never reads leaves the client blocked on a full window, never server memory.
//!
//! The limits of the HTTP/1.1 body hold: past `max_request_body` bytes the read fails with
//! [`ProtoError::BodyTooLarge`] and the stream answers 413 whatever the handler returns;
//! a read that gets no byte for `body_timeout` fails with [`BodyError::TimedOut`] and the
//! stream answers 408. Both are remembered in [`RecvBody::failure`], read by the stream task
//! after the handler answered, as the HTTP/1.1 driver answers a body's framing error.

use std::cell::RefCell;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use corio::time::Deadline;
use h2::RecvStream;
use http::StatusCode;

use crate::message::{BodyError, BodySource};
use crate::proto::ProtoError;

/// The request body of one stream. See the module docs.
pub(super) struct RecvBody {
    state: RefCell<Reading>,
}

/// Where reading the body stands.
struct Reading {
    recv: RecvStream,
    /// Body bytes taken so far.
    received: u64,
    limit: u64,
    timeout: Duration,
    /// When a read that makes no progress times out (cleared by every piece).
    deadline: Option<Deadline>,
    /// The status the stream answers with instead of the handler's response.
    failure: Option<StatusCode>,
}

impl RecvBody {
    /// The body arriving on `recv`, at most `limit` bytes, each wait at most `timeout`.
    pub(super) fn new(recv: RecvStream, limit: u64, timeout: Duration) -> RecvBody {
        RecvBody {
            state: RefCell::new(Reading {
                recv,
                received: 0,
                limit,
                timeout,
                deadline: None,
                failure: None,
            }),
        }
    }

    /// The status owed instead of the handler's response: 413 past the limit, 408 after a
    /// stalled read.
    pub(super) fn failure(&self) -> Option<StatusCode> {
        self.state.borrow().failure
    }
}

impl Reading {
    fn fail(
        &mut self,
        status: StatusCode,
        error: BodyError,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        self.failure = Some(status);
        Poll::Ready(Some(Err(error)))
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Bytes, BodyError>>> {
        if let Some(status) = self.failure {
            let error = match status {
                StatusCode::PAYLOAD_TOO_LARGE => BodyError::Protocol(ProtoError::BodyTooLarge),
                _ => BodyError::TimedOut,
            };
            return Poll::Ready(Some(Err(error)));
        }
        match self.recv.poll_data(cx) {
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Ready(Some(Ok(data))) => {
                self.deadline = None;
                let _ = self.recv.flow_control().release_capacity(data.len());
                self.received += data.len() as u64;
                if self.received > self.limit {
                    return self.fail(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        BodyError::Protocol(ProtoError::BodyTooLarge),
                    );
                }
                Poll::Ready(Some(Ok(data)))
            }
            // The client reset the stream or the connection ended: the stream task sees
            // the reset and drops the handler; a handler still reading learns it here.
            Poll::Ready(Some(Err(_))) => Poll::Ready(Some(Err(BodyError::Incomplete))),
            Poll::Pending => {
                let timeout = self.timeout;
                let deadline = self.deadline.get_or_insert_with(|| {
                    let mut deadline = Deadline::new();
                    deadline.set(Some(Instant::now() + timeout));
                    deadline
                });
                if deadline.poll(cx).is_ready() {
                    return self.fail(StatusCode::REQUEST_TIMEOUT, BodyError::TimedOut);
                }
                Poll::Pending
            }
        }
    }
}

impl BodySource for RecvBody {
    fn poll_chunk(
        &self,
        cx: &mut Context<'_>,
        _exchange: u64,
    ) -> Poll<Option<Result<Bytes, BodyError>>> {
        self.state.borrow_mut().poll_next(cx)
    }
}
