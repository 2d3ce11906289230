//! One connection's request loop: [`run`].
//!
//! A connection keeps up to `depth` requests in flight. In the closed loop it writes `depth`
//! requests in one write as soon as the previous batch is answered (as wrk does; but each
//! response's latency is its own, not one sample per batch). In the open loop a request leaves
//! when its slot in the [`Pacer`]'s schedule has come (and fewer than `depth` are in flight),
//! and its latency counts from that slot.
//!
//! Invariants:
//! - `in_flight` holds, oldest first, one entry per request written (or being written) whose
//!   response has not been read; responses are matched to requests in order (HTTP/1.1);
//! - the bytes still to write are always a suffix of the pre-encoded `Batch`, so sending is
//!   a slice of it and a write, with no copy or encoding (over TLS, rustls seals that slice
//!   into records: see [`Link`]);
//! - an `https` connection's TLS handshake is part of connecting: bounded by the timeout,
//!   and its failure is a connect error whose reason the report shows; the TCP connect and
//!   the handshake are timed separately ([`super::setup`]);
//! - with `--new-conn` every response ends its connection (the request says
//!   `Connection: close`; the connection is dropped after the response even if the server
//!   would keep it), so each request pays a connect and, for `https`, a handshake;
//! - responses are framed with `proto` (head by `parse_response_status`, through the
//!   connection's [`HeadCache`] so that a head seen just before costs one comparison; bodies
//!   by length, by [`ChunkedDecoder`] or until close) and bodies are skipped in the read
//!   buffer, never copied; the buffer grows only for a head that does not fit in it;
//! - nothing is allocated per request, and no timer is set per request: one [`Deadline`] per
//!   connection carries the earliest of the oldest request's timeout, the next send slot and
//!   the end of the run;
//! - when a connection is given up (the server closed it, an I/O error, a malformed response,
//!   a timeout), every request still in flight on it is counted once as an error of that
//!   kind, and a new connection is opened unless the run is over. A clean close with nothing
//!   in flight is no error.

use std::collections::VecDeque;
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::rc::Rc;
use std::task::Poll;
use std::time::{Duration, Instant};

use corio::net::TcpStream;
use corio_http::proto::{BodyFraming, ChunkedDecoder, Limits};

use super::heads::HeadCache;
use super::link::{handshake, Link};
use super::schedule::Pacer;
use super::stats::ErrorKind;
use super::worker::Worker;
use corio::time::Deadline;

/// Initial read buffer per connection: 16 KiB holds a pipelined batch of small responses
/// (16 × a few hundred bytes) and keeps 1,024 connections within 16 MiB.
pub const READ_BUFFER: usize = 16 * 1024;
/// Reads in a row after which a connection that always finds data (a huge body, a flood of
/// responses) yields to the other connections of its worker.
pub const MAX_READS_PER_TURN: u32 = 16;
/// Pause after a failed connect before the next attempt, so that a dead server is not hammered
/// in a tight loop (and a refused run does not burn a core).
pub const CONNECT_RETRY_DELAY: Duration = Duration::from_millis(10);

/// One request in flight.
#[derive(Debug, Clone, Copy)]
struct InFlight {
    /// Latency counts from here: the write (closed loop) or the schedule's slot (open loop).
    intended: Instant,
    /// When it was actually written; the timeout counts from here.
    sent: Instant,
}

/// Where the reader is in the current response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// Waiting for (the rest of) a response head.
    Head,
    /// Skipping a body of known length; this many bytes left.
    Body {
        status: u16,
        keep_alive: bool,
        remaining: u64,
    },
    /// Skipping a chunked body (the decoder is in `Connection::chunked`).
    Chunked { status: u16, keep_alive: bool },
    /// Skipping a body that ends when the server closes the connection.
    UntilClose { status: u16 },
}

/// How an exchange on one TCP connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// The run is over for this connection (its end time, or no requests left).
    Finished,
    /// The connection is unusable; open another one.
    Reopen,
}

/// The state of one load-generating connection, kept across reconnections.
struct Connection {
    worker: Rc<Worker>,
    buf: Vec<u8>,
    /// Unread bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    reading: Reading,
    heads: HeadCache,
    chunked: ChunkedDecoder,
    limits: Limits,
    in_flight: VecDeque<InFlight>,
    /// Bytes of the batch still to write (a suffix of it).
    unwritten: usize,
    pacer: Option<Pacer>,
    alarm: Deadline,
}

/// Runs connection `index` (numbered across all workers) until the run ends.
pub async fn run(worker: Rc<Worker>, index: usize) {
    let config = &worker.config;
    let pacer = config
        .rate
        .map(|rate| Pacer::new(config.start, rate, index, config.connections));
    // Responses are counted, not kept: no body limit applies.
    let limits = Limits {
        max_body: u64::MAX,
        ..Limits::default()
    };
    let mut conn = Connection {
        buf: vec![0; READ_BUFFER],
        start: 0,
        end: 0,
        reading: Reading::Head,
        heads: HeadCache::default(),
        chunked: ChunkedDecoder::new(&limits),
        limits,
        in_flight: VecDeque::with_capacity(config.depth),
        unwritten: 0,
        pacer,
        alarm: Deadline::new(),
        worker,
    };
    conn.run().await;
}

impl Connection {
    async fn run(&mut self) {
        loop {
            if self.over(Instant::now()) || self.worker.exhausted() {
                return;
            }
            let mut link = match self.connect().await {
                Ok(link) => link,
                Err(e) => {
                    let counted = self.worker.take(1);
                    self.worker.fail(ErrorKind::Connect, counted as u64);
                    self.worker.stats.borrow_mut().note_connect_error(&e);
                    let retry = Instant::now() + CONNECT_RETRY_DELAY;
                    let until = self.worker.config.end.map_or(retry, |end| end.min(retry));
                    corio::time::sleep_until(until).await;
                    continue;
                }
            };
            if self.exchange(&mut link).await == Ended::Finished {
                return;
            }
        }
    }

    /// Whether the run's end time has passed.
    fn over(&self, now: Instant) -> bool {
        self.worker.config.end.is_some_and(|end| now >= end)
    }

    /// Opens a connection (and runs its TLS handshake for `https`, within the timeout).
    async fn connect(&self) -> Result<Link, io::Error> {
        let started = Instant::now();
        let tcp = connect_tcp(&self.worker).await?;
        let connected = Instant::now();
        self.worker
            .stats
            .borrow_mut()
            .setup
            .connect(connected - started);
        let config = &self.worker.config;
        let Some((tls, name)) = &config.tls else {
            return Ok(Link::Plain(tcp));
        };
        match corio::time::timeout(config.timeout, handshake(tcp, tls.clone(), name.clone())).await
        {
            Ok(Ok(link)) => {
                let took = connected.elapsed();
                self.worker.stats.borrow_mut().setup.handshake(took);
                Ok(link)
            }
            Ok(Err(e)) => Err(io::Error::new(e.kind(), format!("TLS handshake: {e}"))),
            Err(_) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "TLS handshake not done within the timeout",
            )),
        }
    }

    /// Sends and reads on `link` until it must be given up or the run is over.
    async fn exchange(&mut self, link: &mut Link) -> Ended {
        let mut reads_in_a_row = 0;
        loop {
            let now = Instant::now();
            if self.over(now) {
                return Ended::Finished;
            }
            if let Some(oldest) = self.in_flight.front() {
                if now >= oldest.sent + self.worker.config.timeout {
                    return self.give_up(ErrorKind::Timeout);
                }
            }
            self.queue_requests(now);
            if self.in_flight.is_empty() && self.worker.exhausted() {
                return Ended::Finished;
            }
            if self.unwritten > 0 {
                match link.try_write(self.worker.config.batch.suffix(self.unwritten)) {
                    Ok(n) => self.unwritten -= n,
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(_) => return self.give_up(ErrorKind::Write),
                }
            } else if link.flush().is_err() {
                return self.give_up(ErrorKind::Write);
            }
            match self.read(link, now) {
                Ok(true) => {
                    reads_in_a_row += 1;
                    if reads_in_a_row >= MAX_READS_PER_TURN {
                        reads_in_a_row = 0;
                        corio::yield_now().await;
                    }
                    continue;
                }
                Ok(false) => reads_in_a_row = 0,
                Err(ended) => return ended,
            }
            self.alarm.set(self.wake_at());
            let wants_write = self.unwritten > 0 || link.wants_write();
            let stream = link.socket();
            poll_fn(|cx| {
                if wants_write && stream.poll_write_ready(cx).is_ready() {
                    return Poll::Ready(());
                }
                if stream.poll_read_ready(cx).is_ready() || self.alarm.poll(cx).is_ready() {
                    return Poll::Ready(());
                }
                Poll::Pending
            })
            .await;
        }
    }

    /// Puts the requests due at `now` in flight and on the write queue.
    fn queue_requests(&mut self, now: Instant) {
        let depth = self.worker.config.depth;
        // The closed loop refills a whole batch at a time, once the previous one is answered:
        // one write per `depth` requests (topping up after every read would cost a write, and
        // on loopback the server's receive work, per read).
        let room = match self.pacer {
            None if !self.in_flight.is_empty() => 0,
            _ => depth - self.in_flight.len(),
        };
        if room == 0 {
            return;
        }
        let mut queued = 0;
        match &mut self.pacer {
            None => {
                queued = self.worker.take(room);
                for _ in 0..queued {
                    self.in_flight.push_back(InFlight {
                        intended: now,
                        sent: now,
                    });
                }
            }
            Some(pacer) => {
                while queued < room && pacer.next() <= now && self.worker.take(1) == 1 {
                    let intended = pacer.take_due(now).expect("checked due");
                    self.in_flight.push_back(InFlight {
                        intended,
                        sent: now,
                    });
                    queued += 1;
                }
            }
        }
        if queued > 0 {
            self.unwritten += queued * self.worker.config.batch.request_len();
            self.worker.stats.borrow_mut().sent += queued as u64;
        }
    }

    /// The earliest time the loop must look again without I/O: the oldest request's timeout,
    /// the next send slot (when there is room for it), the end of the run.
    fn wake_at(&self) -> Option<Instant> {
        let config = &self.worker.config;
        let timeout = self.in_flight.front().map(|r| r.sent + config.timeout);
        let slot = match &self.pacer {
            Some(pacer) if self.in_flight.len() < config.depth && !self.worker.exhausted() => {
                Some(pacer.next())
            }
            _ => None,
        };
        [timeout, slot, config.end].into_iter().flatten().min()
    }

    /// Reads once if the socket is readable (a short read clears its readiness, so the next
    /// call costs no syscall until an event comes) and counts the responses completed, as
    /// received at `now` (the loop's time since it last woke). `Ok(true)` if bytes came in
    /// (look again for requests to send), `Ok(false)` if there was nothing.
    fn read(&mut self, link: &mut Link, now: Instant) -> Result<bool, Ended> {
        if self.end == self.buf.len() {
            self.make_room();
        }
        match link.try_read(&mut self.buf[self.end..]) {
            Ok(0) => Err(self.closed_by_server()),
            Ok(n) => {
                self.end += n;
                self.worker.stats.borrow_mut().bytes += n as u64;
                match self.parse(now) {
                    Ok(true) => Ok(true),
                    Ok(false) => Err(self.give_up(ErrorKind::Read)),
                    Err(kind) => Err(self.give_up(kind)),
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(false),
            Err(_) => Err(self.give_up(ErrorKind::Read)),
        }
    }

    /// Moves unread bytes to the front, or grows the buffer when a head fills all of it (the
    /// parser's limits bound the growth).
    fn make_room(&mut self) {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        } else {
            let len = self.buf.len();
            self.buf.resize(len * 2, 0);
        }
    }

    /// Frames and counts every response complete in the buffer. `Ok(false)` when a response
    /// asked to close the connection (the requests after it can get no answer).
    fn parse(&mut self, now: Instant) -> Result<bool, ErrorKind> {
        loop {
            let unread = &self.buf[self.start..self.end];
            if unread.is_empty() {
                self.start = 0;
                self.end = 0;
                break Ok(true);
            }
            let completed = match self.reading {
                Reading::Head => {
                    let parsed = self
                        .heads
                        .parse(unread, &self.limits, &self.worker.config.method);
                    let (head, used) = match parsed {
                        Ok(Some(parsed)) => parsed,
                        Ok(None) => break Ok(true),
                        Err(_) => break Err(ErrorKind::InvalidResponse),
                    };
                    self.start += used;
                    if head.status.is_informational() {
                        continue;
                    }
                    if self.in_flight.is_empty() {
                        break Err(ErrorKind::InvalidResponse);
                    }
                    let (status, keep_alive) = (head.status.as_u16(), head.keep_alive);
                    match head.body {
                        BodyFraming::Empty => Some((status, keep_alive)),
                        BodyFraming::Length(remaining) => {
                            self.reading = Reading::Body {
                                status,
                                keep_alive,
                                remaining,
                            };
                            None
                        }
                        BodyFraming::Chunked => {
                            self.chunked = ChunkedDecoder::new(&self.limits);
                            self.reading = Reading::Chunked { status, keep_alive };
                            None
                        }
                        BodyFraming::CloseDelimited => {
                            self.reading = Reading::UntilClose { status };
                            None
                        }
                    }
                }
                Reading::Body {
                    status,
                    keep_alive,
                    remaining,
                } => {
                    let skip = remaining.min(unread.len() as u64);
                    self.start += skip as usize;
                    if skip == remaining {
                        Some((status, keep_alive))
                    } else {
                        self.reading = Reading::Body {
                            status,
                            keep_alive,
                            remaining: remaining - skip,
                        };
                        None
                    }
                }
                Reading::Chunked { status, keep_alive } => match self.chunked.decode(unread) {
                    Ok(out) => {
                        self.start += out.consumed;
                        out.done.then_some((status, keep_alive))
                    }
                    Err(_) => break Err(ErrorKind::InvalidResponse),
                },
                Reading::UntilClose { .. } => {
                    self.start = self.end;
                    None
                }
            };
            if let Some((status, keep_alive)) = completed {
                self.reading = Reading::Head;
                self.complete(status, now);
                if !keep_alive || self.worker.config.new_conn {
                    break Ok(false);
                }
            }
        }
    }

    /// Counts the response to the oldest request in flight.
    #[inline]
    fn complete(&mut self, status: u16, now: Instant) {
        if let Some(request) = self.in_flight.pop_front() {
            let latency = now.saturating_duration_since(request.intended);
            self.worker.stats.borrow_mut().response(status, latency);
            self.worker.progress.record(latency);
        }
    }

    /// The server closed the connection (end of stream).
    fn closed_by_server(&mut self) -> Ended {
        if let Reading::UntilClose { status } = self.reading {
            self.complete(status, Instant::now());
        }
        self.give_up(ErrorKind::Read)
    }

    /// Counts every request still in flight as a `kind` error and resets for a new connection.
    fn give_up(&mut self, kind: ErrorKind) -> Ended {
        let lost = self.in_flight.len() as u64;
        if lost > 0 {
            self.worker.fail(kind, lost);
        }
        self.in_flight.clear();
        self.unwritten = 0;
        self.start = 0;
        self.end = 0;
        self.reading = Reading::Head;
        Ended::Reopen
    }
}

/// Opens a TCP connection, trying the worker's preferred address first; the error of the
/// last attempt if none accepts.
pub async fn connect_tcp(worker: &Worker) -> Result<TcpStream, io::Error> {
    let config = &worker.config;
    let addrs: &[SocketAddr] = &config.addrs;
    let first = worker.preferred_addr();
    let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
    for offset in 0..addrs.len() {
        let i = (first + offset) % addrs.len();
        let attempt = corio::time::timeout(config.timeout, TcpStream::connect(addrs[i]));
        match attempt.await {
            Ok(Ok(stream)) => {
                // Best effort: a failure only costs latency.
                let _ = stream.set_nodelay(true);
                worker.set_preferred_addr(i);
                return Ok(stream);
            }
            Ok(Err(e)) => last = io::Error::new(e.kind(), format!("{}: {e}", addrs[i])),
            Err(_) => {
                last = io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("{}: no answer within the timeout", addrs[i]),
                )
            }
        }
    }
    Err(last)
}
