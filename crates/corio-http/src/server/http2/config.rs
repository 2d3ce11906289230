//! [`H2Config`]: the limits and timeouts of an HTTP/2 connection, each default a named
//! constant with its reason.

use std::time::Duration;

use crate::proto::limits::DEFAULT_MAX_BODY;
use crate::server::{
    ServerConfig, DEFAULT_BODY_TIMEOUT, DEFAULT_HEAD_TIMEOUT, DEFAULT_KEEP_ALIVE_TIMEOUT,
    DEFAULT_SHUTDOWN_GRACE, DEFAULT_WRITE_TIMEOUT,
};

/// Streams a client may have open at once (`SETTINGS_MAX_CONCURRENT_STREAMS`). RFC 9113
/// recommends at least 100; each open stream may hold a window of request body and a handler
/// future, so corio stays at the recommendation. Also bounds the handler tasks a connection
/// runs at once, reset streams included (the rapid-reset mitigation).
pub const DEFAULT_MAX_CONCURRENT_STREAMS: u32 = 100;
/// Largest decoded header list a request may carry (`SETTINGS_MAX_HEADER_LIST_SIZE`), the
/// same budget as HTTP/1.1's header section. A larger list is answered with 431 by h2; a
/// header block that keeps growing past it in CONTINUATION frames ends the connection
/// (the CONTINUATION-flood mitigation, see SECURITY.md).
pub const DEFAULT_MAX_HEADER_LIST_SIZE: u32 = 64 * 1024;
/// Request body bytes a client may send on one stream before the server reads them
/// (`SETTINGS_INITIAL_WINDOW_SIZE`): large enough for an upload to use a fast link, small
/// enough that 100 streams cannot make the server buffer much.
pub const DEFAULT_STREAM_WINDOW: u32 = 256 * 1024;
/// Request body bytes in flight on the whole connection before the server reads them.
pub const DEFAULT_CONNECTION_WINDOW: u32 = 1024 * 1024;
/// Largest frame payload the server accepts (`SETTINGS_MAX_FRAME_SIZE`): the protocol's
/// minimum, which every client supports, and the smallest unit of head-of-line blocking.
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16 * 1024;
/// Response bytes h2 may queue per stream ahead of the socket. The server hands h2 only what
/// flow control allows, so this caps memory per stream whatever the client's window.
pub const DEFAULT_MAX_SEND_BUFFER: usize = 128 * 1024;
/// Largest request body a handler may read, as over HTTP/1.1 ([`DEFAULT_MAX_BODY`]). The body
/// streams to the handler under flow control, so memory per stream is bounded by
/// [`DEFAULT_STREAM_WINDOW`], not by this limit.
pub const DEFAULT_MAX_REQUEST_BODY: u64 = DEFAULT_MAX_BODY;
/// After this long without a byte from the client the server sends a PING; a connection
/// whose client is silent but has streams open is checked this way.
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(20);
/// How long the PING's acknowledgement may take before the connection is considered dead
/// and closed.
pub const DEFAULT_PING_TIMEOUT: Duration = Duration::from_secs(20);
/// Locally reset streams h2 remembers (to ignore their late frames) before it forgets the
/// oldest: h2's default, state that grows with resets and so must be bounded.
pub const DEFAULT_MAX_CONCURRENT_RESET_STREAMS: usize = 50;
/// Streams the client opens and resets before the server accepted them; past this the
/// connection ends with `ENHANCE_YOUR_CALM` (rapid reset, CVE-2023-44487). hyper's value.
pub const DEFAULT_MAX_PENDING_ACCEPT_RESET_STREAMS: usize = 20;
/// Streams the server may reset because of the client's protocol errors before the
/// connection ends with `ENHANCE_YOUR_CALM` (a client making the server reset streams in a
/// loop, CVE-2023-44487's cousin); h2's default.
pub const DEFAULT_MAX_LOCAL_ERROR_RESET_STREAMS: usize = 1024;

/// Limits and timeouts of an HTTP/2 connection. `H2Config::default()` gives the constants
/// above and the HTTP/1.1 server's timeouts; [`H2Config::from_server`] takes the timeouts
/// from a [`ServerConfig`].
#[derive(Debug, Clone, Copy)]
pub struct H2Config {
    /// See [`DEFAULT_MAX_CONCURRENT_STREAMS`].
    pub max_concurrent_streams: u32,
    /// See [`DEFAULT_MAX_HEADER_LIST_SIZE`].
    pub max_header_list_size: u32,
    /// See [`DEFAULT_STREAM_WINDOW`].
    pub stream_window: u32,
    /// See [`DEFAULT_CONNECTION_WINDOW`].
    pub connection_window: u32,
    /// See [`DEFAULT_MAX_FRAME_SIZE`].
    pub max_frame_size: u32,
    /// See [`DEFAULT_MAX_SEND_BUFFER`].
    pub max_send_buffer: usize,
    /// See [`DEFAULT_MAX_REQUEST_BODY`]. Larger bodies are answered with 413.
    pub max_request_body: u64,
    /// How long the client has to send its connection preface and SETTINGS (the HTTP/1.1
    /// head timeout).
    pub handshake_timeout: Duration,
    /// How long a connection with no open stream is kept before a GOAWAY closes it (the
    /// HTTP/1.1 keep-alive timeout).
    pub idle_timeout: Duration,
    /// See [`DEFAULT_PING_INTERVAL`].
    pub ping_interval: Duration,
    /// See [`DEFAULT_PING_TIMEOUT`].
    pub ping_timeout: Duration,
    /// How long a stream may wait for flow-control window, or the connection for the socket
    /// to take bytes, before the stream is reset (`CANCEL`) or the connection dropped: a
    /// client that never opens its window or never reads (the HTTP/1.1 write timeout).
    pub send_timeout: Duration,
    /// How long a request body may make no progress before the request fails with 408.
    pub body_timeout: Duration,
    /// After a GOAWAY (shutdown or idle), how long open streams get to finish before the
    /// connection is dropped.
    pub shutdown_grace: Duration,
    /// See [`DEFAULT_MAX_CONCURRENT_RESET_STREAMS`].
    pub max_concurrent_reset_streams: usize,
    /// See [`DEFAULT_MAX_PENDING_ACCEPT_RESET_STREAMS`].
    pub max_pending_accept_reset_streams: usize,
    /// See [`DEFAULT_MAX_LOCAL_ERROR_RESET_STREAMS`].
    pub max_local_error_reset_streams: usize,
}

impl Default for H2Config {
    fn default() -> Self {
        H2Config {
            max_concurrent_streams: DEFAULT_MAX_CONCURRENT_STREAMS,
            max_header_list_size: DEFAULT_MAX_HEADER_LIST_SIZE,
            stream_window: DEFAULT_STREAM_WINDOW,
            connection_window: DEFAULT_CONNECTION_WINDOW,
            max_frame_size: DEFAULT_MAX_FRAME_SIZE,
            max_send_buffer: DEFAULT_MAX_SEND_BUFFER,
            max_request_body: DEFAULT_MAX_REQUEST_BODY,
            handshake_timeout: DEFAULT_HEAD_TIMEOUT,
            idle_timeout: DEFAULT_KEEP_ALIVE_TIMEOUT,
            ping_interval: DEFAULT_PING_INTERVAL,
            ping_timeout: DEFAULT_PING_TIMEOUT,
            send_timeout: DEFAULT_WRITE_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            shutdown_grace: DEFAULT_SHUTDOWN_GRACE,
            max_concurrent_reset_streams: DEFAULT_MAX_CONCURRENT_RESET_STREAMS,
            max_pending_accept_reset_streams: DEFAULT_MAX_PENDING_ACCEPT_RESET_STREAMS,
            max_local_error_reset_streams: DEFAULT_MAX_LOCAL_ERROR_RESET_STREAMS,
        }
    }
}

impl H2Config {
    /// The defaults, with the timeouts of an HTTP/1.1 server configuration (head → handshake,
    /// keep-alive → idle, write → send, body, shutdown grace), so that one `ServerConfig`
    /// governs both protocols on a port.
    pub fn from_server(server: &ServerConfig) -> H2Config {
        H2Config {
            handshake_timeout: server.head_timeout,
            idle_timeout: server.keep_alive_timeout,
            send_timeout: server.write_timeout,
            body_timeout: server.body_timeout,
            shutdown_grace: server.shutdown_grace,
            max_request_body: server.limits.max_body,
            ..H2Config::default()
        }
    }

    /// h2's server builder with these settings.
    pub(super) fn builder(&self) -> h2::server::Builder {
        let mut builder = h2::server::Builder::new();
        builder
            .max_concurrent_streams(self.max_concurrent_streams)
            .max_header_list_size(self.max_header_list_size)
            .initial_window_size(self.stream_window)
            .initial_connection_window_size(self.connection_window)
            .max_frame_size(self.max_frame_size)
            .max_send_buffer_size(self.max_send_buffer)
            .max_concurrent_reset_streams(self.max_concurrent_reset_streams)
            .max_pending_accept_reset_streams(self.max_pending_accept_reset_streams)
            .max_local_error_reset_streams(Some(self.max_local_error_reset_streams));
        builder
    }
}
