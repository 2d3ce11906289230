//! The connection state machine, sans I/O: where the current exchange stands on the read
//! side, whether a `100 Continue` is owed, and whether the connection may be reused.
//!
//! Modelled on h11's `ConnectionState` (one state per side, explicit transitions, a final
//! `MustClose`) and hyper's `proto::h1::conn` (`Reading` / `KeepAlive`), reduced to what a
//! server that answers requests in order needs. The driver (`conn.rs`) and the request body
//! (through `conn_io.rs`) move it only through the methods below; nothing else holds this state.
//!
//! ```text
//!         start(head), with a body          body ends
//!   Head ──────────────────────────▶ Body ─────────────▶ Done
//!    ▲ └───────── start(head), no body ─────────────────▶ │
//!    └─────────────── finish(), keep-alive ───────────────┘
//!
//!   Body ── framing error, EOF, timeout ──▶ Failed(error)      (closes after the response)
//!   finish() without keep-alive or before the body's end       (closes after the response)
//! ```
//!
//! `Expect: 100-continue` is a separate flag: owed from the head until either the server sends
//! the interim response (the handler asked for the body) or body bytes arrive (the client did
//! not wait), and never carried over to the next exchange.

use std::ops::Range;

use crate::message::BodyError;
use crate::proto::{BodyFraming, ChunkedDecoder, Limits, ProtoError, RequestHead, Version};

/// What is left of the request body being received.
#[derive(Debug)]
pub(crate) enum BodyProgress {
    /// This many bytes of a `Content-Length` body.
    Length(u64),
    /// A chunked body.
    Chunked(Box<ChunkedDecoder>),
}

/// The read side of the connection (h11's "their state").
#[derive(Debug)]
pub(crate) enum Reading {
    /// Between exchanges: the next bytes are a request head.
    Head,
    /// Receiving the body of the current request.
    Body(BodyProgress),
    /// The current request was received in full.
    Done,
    /// The input can no longer be framed (bad body, EOF mid-body, timeout): the connection
    /// must close after the response. A framing error is kept: it decides the response.
    Failed(Option<ProtoError>),
}

/// Whether the interim `100 Continue` is owed for the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Continue {
    /// Not expected, already sent, or moot (the body started arriving).
    Never,
    /// The client waits for it before sending the body; sent on the first body read.
    Owed,
}

/// Whether the connection may carry another exchange after this one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeepAlive {
    /// The client allows it and nothing went wrong so far.
    Yes,
    /// The connection closes after the current response.
    Close,
}

/// What one step of body decoding produced.
pub(crate) enum Step {
    /// Body bytes at this range of the input.
    Data(Range<usize>),
    /// More input is needed.
    NeedInput,
    /// The body is complete.
    End,
}

/// The state of one connection. See the module docs.
#[derive(Debug)]
pub(crate) struct ConnState {
    reading: Reading,
    expect: Continue,
    keep_alive: KeepAlive,
    /// Counts exchanges, so that a request body kept past its exchange reads nothing of the
    /// next one.
    exchange: u64,
}

impl ConnState {
    pub(crate) fn new() -> ConnState {
        ConnState {
            reading: Reading::Head,
            expect: Continue::Never,
            keep_alive: KeepAlive::Yes,
            exchange: 0,
        }
    }

    /// A request head arrived: the exchange begins. Returns its number.
    ///
    /// Inlined into the driver, once per request: a call would cost as much as the work.
    #[inline(always)]
    pub(crate) fn start(
        &mut self,
        head: &RequestHead,
        limits: &Limits,
        shutting_down: bool,
    ) -> u64 {
        debug_assert!(matches!(self.reading, Reading::Head));
        self.exchange += 1;
        self.reading = match head.body {
            BodyFraming::Length(n) if n > 0 => Reading::Body(BodyProgress::Length(n)),
            BodyFraming::Chunked => {
                Reading::Body(BodyProgress::Chunked(Box::new(ChunkedDecoder::new(limits))))
            }
            _ => Reading::Done,
        };
        // RFC 9110 §10.1.1: an HTTP/1.0 client's expectation is ignored.
        self.expect = if head.expect_continue
            && head.version == Version::Http11
            && matches!(self.reading, Reading::Body(_))
        {
            Continue::Owed
        } else {
            Continue::Never
        };
        self.keep_alive =
            if head.keep_alive && !shutting_down && head.method != http::Method::CONNECT {
                KeepAlive::Yes
            } else {
                KeepAlive::Close
            };
        self.exchange
    }

    /// The number of the current exchange.
    pub(crate) fn exchange(&self) -> u64 {
        self.exchange
    }

    /// Whether the request body was received to its end (or there was none).
    pub(crate) fn body_done(&self) -> bool {
        matches!(self.reading, Reading::Done)
    }

    /// Whether the body failed: the input cannot be framed any more.
    pub(crate) fn failed(&self) -> bool {
        matches!(self.reading, Reading::Failed(_))
    }

    /// The framing error the body failed with, if that is why it failed: the server answers
    /// it (400, or 413 past the body limit) instead of the handler's response.
    pub(crate) fn framing_error(&self) -> Option<ProtoError> {
        match self.reading {
            Reading::Failed(error) => error,
            _ => None,
        }
    }

    /// Whether a `100 Continue` is owed: the client waits for it and sent no body byte yet.
    pub(crate) fn continue_owed(&self) -> bool {
        self.expect == Continue::Owed
    }

    /// The interim response was queued, or turned moot: it is owed no longer.
    pub(crate) fn continue_settled(&mut self) {
        self.expect = Continue::Never;
    }

    /// The connection closes after the current response.
    pub(crate) fn must_close(&mut self) {
        self.keep_alive = KeepAlive::Close;
    }

    /// Whether the connection may carry another exchange.
    pub(crate) fn keep_alive(&self) -> bool {
        self.keep_alive == KeepAlive::Yes && !self.failed()
    }

    /// Body input ended abnormally (EOF, timeout, socket error): the connection closes.
    pub(crate) fn fail(&mut self, error: BodyError) -> BodyError {
        self.reading = Reading::Failed(match &error {
            BodyError::Protocol(e) => Some(*e),
            _ => None,
        });
        self.keep_alive = KeepAlive::Close;
        error
    }

    /// Decodes one step of the body from `input`.
    ///
    /// Any body byte in the input means the client did not wait for `100 Continue`, which
    /// then is owed no longer (it would arrive unsolicited, or in front of the next response).
    pub(crate) fn decode(&mut self, input: &[u8]) -> Result<(Step, usize), BodyError> {
        if !input.is_empty() {
            self.expect = Continue::Never;
        }
        let step = match &mut self.reading {
            Reading::Head | Reading::Done => (Step::End, 0),
            Reading::Failed(_) => return Err(BodyError::Incomplete),
            Reading::Body(BodyProgress::Length(remaining)) => {
                let n = (*remaining).min(input.len() as u64) as usize;
                *remaining -= n as u64;
                if *remaining == 0 {
                    self.reading = Reading::Done;
                }
                if n == 0 {
                    (Step::NeedInput, 0)
                } else {
                    (Step::Data(0..n), n)
                }
            }
            Reading::Body(BodyProgress::Chunked(decoder)) => match decoder.decode(input) {
                Ok(decoded) => {
                    if decoded.done {
                        self.reading = Reading::Done;
                    }
                    let step = if !decoded.data.is_empty() {
                        Step::Data(decoded.data)
                    } else if decoded.done {
                        Step::End
                    } else {
                        Step::NeedInput
                    };
                    (step, decoded.consumed)
                }
                Err(e) => return Err(self.fail(BodyError::Protocol(e))),
            },
        };
        Ok(step)
    }

    /// The response to the current request is written (or buffered): the connection is ready
    /// for the next head if it is kept alive.
    pub(crate) fn finish(&mut self) {
        self.expect = Continue::Never;
        if self.keep_alive() && self.body_done() {
            self.reading = Reading::Head;
        } else {
            self.must_close();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::parse_request_head;

    fn head(raw: &str) -> RequestHead {
        parse_request_head(raw.as_bytes(), &Limits::default())
            .unwrap()
            .unwrap()
            .0
    }

    /// Feeds `input` to the state machine until it needs more; returns the body bytes.
    fn feed(state: &mut ConnState, mut input: &[u8]) -> Result<Vec<u8>, BodyError> {
        let mut body = Vec::new();
        loop {
            let (step, consumed) = state.decode(input)?;
            if let Step::Data(range) = &step {
                body.extend_from_slice(&input[range.clone()]);
            }
            input = &input[consumed..];
            match step {
                Step::End => return Ok(body),
                Step::NeedInput if consumed == 0 => return Ok(body),
                _ => {}
            }
        }
    }

    #[test]
    fn a_length_body_runs_head_body_done_head() {
        let mut state = ConnState::new();
        let limits = Limits::default();
        let n = state.start(
            &head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n"),
            &limits,
            false,
        );
        assert_eq!(n, 1);
        assert!(!state.body_done());
        assert_eq!(feed(&mut state, b"hel").unwrap(), b"hel");
        assert!(!state.body_done());
        assert_eq!(feed(&mut state, b"loGET").unwrap(), b"lo");
        assert!(state.body_done());
        state.finish();
        assert!(state.keep_alive());
        assert!(matches!(state.reading, Reading::Head));
        assert_eq!(
            state.start(&head("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), &limits, false),
            2
        );
        assert!(state.body_done());
    }

    #[test]
    fn continue_is_owed_until_a_body_byte_arrives_and_never_carried_over() {
        let mut state = ConnState::new();
        let limits = Limits::default();
        let expecting =
            "POST / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n";
        state.start(&head(expecting), &limits, false);
        assert!(state.continue_owed());
        feed(&mut state, b"h").unwrap();
        assert!(!state.continue_owed(), "the client did not wait");
        feed(&mut state, b"i").unwrap();
        state.finish();
        state.start(
            &head("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\n"),
            &limits,
            false,
        );
        assert!(!state.continue_owed());
        // Owed and never sent: the exchange's end settles it.
        let mut state = ConnState::new();
        state.start(&head(expecting), &limits, false);
        state.finish();
        assert!(!state.continue_owed());
        assert!(!state.keep_alive(), "the body never came: close");
    }

    #[test]
    fn a_framing_error_fails_the_connection_and_is_kept() {
        let mut state = ConnState::new();
        let limits = Limits::default();
        state.start(
            &head("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"),
            &limits,
            false,
        );
        assert!(matches!(
            feed(&mut state, b"zz\r\n"),
            Err(BodyError::Protocol(_))
        ));
        assert!(state.failed());
        assert!(state.framing_error().is_some());
        assert!(!state.keep_alive());
        assert!(matches!(
            state.decode(b"0\r\n\r\n"),
            Err(BodyError::Incomplete)
        ));
    }

    #[test]
    fn connect_http10_close_and_shutdown_do_not_keep_alive() {
        let limits = Limits::default();
        for (raw, shutting_down) in [
            ("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", false),
            ("GET / HTTP/1.0\r\n\r\n", false),
            (
                "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
                false,
            ),
            ("GET / HTTP/1.1\r\nHost: a\r\n\r\n", true),
        ] {
            let mut state = ConnState::new();
            state.start(&head(raw), &limits, shutting_down);
            state.finish();
            assert!(!state.keep_alive(), "{raw:?}");
        }
    }
}
