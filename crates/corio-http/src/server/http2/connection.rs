//! The connection driver: accepts streams, keeps the connection alive, ends it.
//!
//! One future per connection polls h2's `Connection` (which reads and writes the socket for
//! every stream) and decides, from explicit state, what happens next:
//!
//! | phase | left when |
//! |---|---|
//! | `Serving` | the shutdown future completes, or no stream was open for `idle_timeout`: a GOAWAY is sent (`graceful_shutdown`) |
//! | `Draining` | h2 closes the connection once the open streams finish; after `shutdown_grace` it is dropped |
//!
//! Alongside, in every phase: a PING after `ping_interval` without a byte from the client,
//! the connection dropped if its acknowledgement takes `ping_timeout`; the connection
//! dropped if the socket refused bytes for `send_timeout` (a client that never reads,
//! PING/SETTINGS floods from one); new streams accepted only while fewer than
//! `max_concurrent_streams` handler tasks run. All deadlines share one timer.
//!
//! A stream taken alone (a client with one request in flight) takes the connection's task
//! three passes, each ending with the task queued again behind the other ready connections
//! of the loop:
//!
//! | pass | does |
//! |---|---|
//! | take | h2 reads and decodes what arrived; the streams it has ready are taken |
//! | answer | each taken stream's handler runs (see `stream.rs`); h2 queues the answers |
//! | write | h2 encodes and writes the answers, reads what else arrived; timeouts are checked |
//!
//! One pass running everything would be fewer instructions, but it runs the code of every
//! step (h2's reading, decoding, stream states, HPACK encoding and writing; the request,
//! the handler, the response head) for each request, more than the instruction cache holds,
//! so the code of each request was fetched anew (1,286 I1 misses per request in callgrind
//! at 64 connections, against hyper's 816, whose stream tasks split the work the same
//! way). In passes, each step runs for every ready connection in turn while its code is in
//! the cache: 816 misses per request, for about 130 more instructions per added pass. A
//! batch of [`BATCH_ANSWERED_AT_ONCE`] streams or more is answered in the pass that takes
//! it and written by the poll of h2 that follows: its own streams share each step's code.

use std::future::Future;
use std::io::ErrorKind;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use bytes::Bytes;
use corio::time::Deadline;
use h2::server::{Connection, SendResponse};
use h2::{Ping, PingPong, RecvStream};

use super::activity::Activity;
use super::stream::{start_stream, StreamContext};
use super::streams::Streams;
use super::wake::DriverWaker;
use super::H2Error;
use crate::server::handler::Handler;

/// Where the connection is in its life.
#[derive(Debug, Clone, Copy)]
enum Phase {
    /// Accepting streams; `idle_since` is set while none is open.
    Serving { idle_since: Option<Instant> },
    /// GOAWAY sent; open streams finish until `until`.
    Draining { until: Instant },
}

/// The keep-alive PING.
#[derive(Debug, Clone, Copy)]
enum Keepalive {
    /// No PING outstanding.
    Quiet,
    /// A PING was sent; its acknowledgement is due by `due`.
    AwaitingPong { due: Instant },
}

/// Streams taken in one pass from which they are answered in that same pass, and written by
/// the poll of h2 that follows, rather than in passes of their own (see the module docs): the
/// streams of such a batch share the code of each step among themselves, and the passes
/// would only add their cost (and keep the batch's allocations alive across them, which
/// glibc's malloc serves more slowly). Measured at 64 connections: with one stream each, the
/// passes take I1 misses per request from 1,286 to 816; with ten, one pass has 329 and
/// passes add instructions.
const BATCH_ANSWERED_AT_ONCE: usize = 2;

/// A stream as h2 hands it over.
type Accepted = (http::Request<RecvStream>, SendResponse<Bytes>);

/// The state of one connection after the handshake.
pub(super) struct Driver<T, H: Handler, S> {
    connection: Connection<T, Bytes>,
    ping: PingPong,
    activity: Rc<Activity>,
    streams: Rc<Streams>,
    /// Streams taken from h2 and not yet started (empty between polls; kept for its memory).
    accepted: Vec<Accepted>,
    /// Streams taken from h2 since the connection began, to compare with the client's
    /// HEADERS frames.
    streams_accepted: u64,
    context: Rc<StreamContext<H>>,
    shutdown: Pin<Box<S>>,
    phase: Phase,
    keepalive: Keepalive,
    /// When bytes last arrived from the client: the time of the driver's pass in which h2
    /// read them (h2 reads only while the driver polls it; see `activity.rs`).
    last_read: Instant,
    timer: Deadline,
    wake: Arc<DriverWaker>,
    /// `wake` as a [`Waker`], made once.
    h2_waker: Waker,
}

impl<T, H, S> Driver<T, H, S>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
    H: Handler,
    S: Future<Output = ()>,
{
    pub(super) fn new(
        mut connection: Connection<T, Bytes>,
        activity: Rc<Activity>,
        context: Rc<StreamContext<H>>,
        shutdown: S,
    ) -> Driver<T, H, S> {
        let wake = DriverWaker::new();
        let ping = connection
            .ping_pong()
            .expect("the PingPong of a new connection is there to take");
        Driver {
            connection,
            ping,
            activity,
            streams: Streams::new(),
            accepted: Vec::new(),
            streams_accepted: 0,
            context,
            shutdown: Box::pin(shutdown),
            phase: Phase::Serving { idle_since: None },
            keepalive: Keepalive::Quiet,
            last_read: Instant::now(),
            timer: Deadline::new(),
            h2_waker: Waker::from(wake.clone()),
            wake,
        }
    }

    /// Drives the connection until it closes (`Ok`) or is given up (`Err`).
    ///
    /// h2's objects are polled with the [`DriverWaker`] (`h2cx`), everything else with the
    /// task's own context.
    pub(super) fn poll(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), H2Error>> {
        if !self.accepted.is_empty() {
            return self.answer_accepted(cx);
        }
        self.wake.enter(cx.waker());
        let waker = self.h2_waker.clone();
        let result = self.poll_phases(cx, &mut Context::from_waker(&waker));
        self.wake.leave();
        result
    }

    fn poll_phases(
        &mut self,
        cx: &mut Context<'_>,
        h2cx: &mut Context<'_>,
    ) -> Poll<Result<(), H2Error>> {
        loop {
            if matches!(self.phase, Phase::Serving { .. })
                && self.shutdown.as_mut().poll(cx).is_ready()
            {
                self.drain(Instant::now());
            }
            match self.poll_connection(cx, h2cx) {
                Poll::Ready(end) => return Poll::Ready(end),
                // Streams to answer: the next pass answers them, the one after writes the
                // answers and sees to the timeouts.
                Poll::Pending if !self.accepted.is_empty() => return Poll::Pending,
                Poll::Pending => {}
            }
            let now = Instant::now();
            if self.activity.take_read() {
                self.last_read = now;
            }
            let mut next = self.poll_keepalive(h2cx, now)?;
            match self.phase {
                Phase::Serving { idle_since } => {
                    let idle = self.streams.live() == 0 && !self.connection.has_streams();
                    let idle_since = idle.then(|| idle_since.unwrap_or(now));
                    self.phase = Phase::Serving { idle_since };
                    if let Some(since) = idle_since {
                        let at = since + self.context.config.idle_timeout;
                        if now >= at {
                            self.drain(now);
                            continue;
                        }
                        next = earliest(next, at);
                    }
                }
                Phase::Draining { until } => {
                    if now >= until {
                        return Poll::Ready(Err(H2Error::DrainTimedOut));
                    }
                    next = earliest(next, until);
                }
            }
            if let Some(since) = self.activity.write_blocked_since() {
                let at = since + self.context.config.send_timeout;
                if now >= at {
                    return Poll::Ready(Err(H2Error::SendStalled));
                }
                next = earliest(next, at);
            }
            self.timer.set(Some(next));
            if self.timer.poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }

    /// Sends the GOAWAY and starts the grace period.
    #[inline(never)]
    fn drain(&mut self, now: Instant) {
        self.connection.graceful_shutdown();
        self.phase = Phase::Draining {
            until: now + self.context.config.shutdown_grace,
        };
    }

    /// Accepts streams while under the limit, and drives h2's reads and writes.
    ///
    /// Every stream h2 has ready is taken before any is answered: h2 writes what is queued
    /// each time it is polled, so answering between accepts would cost a write per stream
    /// instead of one per batch. h2 is not asked for another stream when the client has
    /// sent no HEADERS frame beyond the streams already taken (see `frames.rs`): that poll
    /// would find none, and the one after the answers reads and writes anyway.
    ///
    /// A stream taken alone is answered in the task's next pass, not this one (see
    /// [`Driver::poll`]); `Pending` then comes with the task woken. A larger batch is
    /// answered here, and the next poll of h2 writes it.
    fn poll_connection(
        &mut self,
        cx: &mut Context<'_>,
        h2cx: &mut Context<'_>,
    ) -> Poll<Result<(), H2Error>> {
        let limit = self.context.config.max_concurrent_streams as usize;
        loop {
            while self.streams.live() + self.accepted.len() < limit {
                if !self.accepted.is_empty()
                    && self.activity.headers_received() <= self.streams_accepted
                {
                    break;
                }
                self.wake.forget();
                match self.connection.poll_accept(h2cx) {
                    Poll::Ready(Some(Ok(accepted))) => {
                        self.streams_accepted += 1;
                        self.accepted.push(accepted);
                    }
                    Poll::Ready(Some(Err(e))) => return Poll::Ready(client_left(e)),
                    Poll::Ready(None) => return Poll::Ready(Ok(())),
                    Poll::Pending => break,
                }
            }
            if self.accepted.is_empty() {
                if self.streams.live() < limit {
                    return Poll::Pending;
                }
                self.streams.wake_on_end(cx.waker());
                self.wake.forget();
                return self
                    .connection
                    .poll_closed(h2cx)
                    .map_err(H2Error::Connection);
            }
            self.serving_streams();
            if self.accepted.len() < BATCH_ANSWERED_AT_ONCE {
                cx.waker().wake_by_ref();
                return Poll::Pending;
            }
            let mut batch = std::mem::take(&mut self.accepted);
            for (request, respond) in batch.drain(..) {
                start_stream(request, respond, &self.context, &self.streams, cx);
            }
            self.accepted = batch;
        }
    }

    /// Answers the streams the last pass took, and has the task polled again to write the
    /// answers.
    fn answer_accepted(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), H2Error>> {
        self.wake.hold();
        let mut batch = std::mem::take(&mut self.accepted);
        for (request, respond) in batch.drain(..) {
            start_stream(request, respond, &self.context, &self.streams, cx);
        }
        self.accepted = batch;
        self.wake.release();
        cx.waker().wake_by_ref();
        Poll::Pending
    }

    /// Notes that streams are being served. Streams answered at once leave none open for the
    /// idle check that follows: the connection's idle time starts now, not when it last had a
    /// stream open.
    fn serving_streams(&mut self) {
        if let Phase::Serving { idle_since } = &mut self.phase {
            *idle_since = None;
        }
    }

    /// Sends a PING when the client has been silent, and checks that it is answered. Returns
    /// when to look again.
    fn poll_keepalive(&mut self, cx: &mut Context<'_>, now: Instant) -> Result<Instant, H2Error> {
        if let Keepalive::AwaitingPong { due } = self.keepalive {
            match self.ping.poll_pong(cx) {
                Poll::Ready(Ok(_)) => self.keepalive = Keepalive::Quiet,
                Poll::Ready(Err(e)) => return Err(H2Error::Connection(e)),
                Poll::Pending if now >= due => return Err(H2Error::PingTimedOut),
                Poll::Pending => return Ok(due),
            }
        }
        let at = self.last_read + self.context.config.ping_interval;
        if now < at {
            return Ok(at);
        }
        self.send_ping(cx, now)
    }

    /// Sends the keep-alive PING; returns when its acknowledgement is due. Out of line: a
    /// busy connection never pings, and its driver's code stays short.
    #[inline(never)]
    fn send_ping(&mut self, cx: &mut Context<'_>, now: Instant) -> Result<Instant, H2Error> {
        self.ping
            .send_ping(Ping::opaque())
            .map_err(H2Error::Connection)?;
        let due = now + self.context.config.ping_timeout;
        self.keepalive = Keepalive::AwaitingPong { due };
        // Registers the waker for the acknowledgement.
        match self.ping.poll_pong(cx) {
            Poll::Ready(Ok(_)) => self.keepalive = Keepalive::Quiet,
            Poll::Ready(Err(e)) => return Err(H2Error::Connection(e)),
            Poll::Pending => {}
        }
        Ok(due)
    }
}

impl<T, H: Handler, S> Drop for Driver<T, H, S> {
    fn drop(&mut self) {
        self.streams.abort_all();
    }
}

/// A client that closed or reset its TCP connection ended it as it may; any other error is
/// the connection's failure.
#[cold]
#[inline(never)]
fn client_left(error: h2::Error) -> Result<(), H2Error> {
    let gone = error.get_io().is_some_and(|e| {
        matches!(
            e.kind(),
            ErrorKind::NotConnected | ErrorKind::ConnectionReset | ErrorKind::BrokenPipe
        )
    });
    if gone {
        Ok(())
    } else {
        Err(H2Error::Connection(error))
    }
}

fn earliest(a: Instant, b: Instant) -> Instant {
    a.min(b)
}
