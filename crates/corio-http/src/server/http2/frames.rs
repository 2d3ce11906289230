//! [`HeadersCount`]: how many HEADERS frames the client has sent, counted in the bytes h2
//! reads, so that the driver knows when h2 can have no new stream left to hand over.
//!
//! h2 says whether a stream is waiting to be accepted only through `poll_accept`, which first
//! drives the whole connection (reads, writes, timers): one more pass for every poll that
//! finds nothing. Every new stream opens with a HEADERS frame, so once the driver has
//! accepted as many streams as the client has sent HEADERS frames, none can be waiting, and
//! the driver answers what it has without asking again (see `connection.rs`). The count can
//! only run ahead of the streams (a trailer section is a HEADERS frame too; a stream h2
//! refuses or that the client resets before it is accepted is never handed over): then the
//! driver asks, as it would without the count. It never runs behind; if it did, no stream
//! would be lost (the driver asks h2 again after answering, and that poll hands over what
//! is left), but the streams left would be answered in a write of their own.
//!
//! Only frame boundaries are followed (the preface, then each frame's 9-byte head and the
//! payload length it gives); h2 checks everything else, and ends a connection whose framing
//! is wrong before the count could matter.

use super::preface::PREFACE;

/// The length of a frame head (RFC 9113 §4.1).
const FRAME_HEAD_LEN: usize = 9;

/// The type of a HEADERS frame (RFC 9113 §6.2).
const HEADERS: u8 = 0x1;

/// Where the count is in the client's bytes.
#[derive(Debug, Clone, Copy)]
enum At {
    /// In the connection preface, or in a frame's payload: this many bytes still to pass.
    Skip(usize),
    /// In a frame head: its first `got` bytes, kept in `head`.
    Head {
        head: [u8; FRAME_HEAD_LEN],
        got: usize,
    },
}

/// The HEADERS frames in the bytes fed so far (see the module docs).
#[derive(Debug, Clone, Copy)]
pub(super) struct HeadersCount {
    at: At,
    headers: u64,
}

impl HeadersCount {
    /// The count for a connection whose first bytes are the client's preface.
    pub(super) fn new() -> HeadersCount {
        HeadersCount {
            at: At::Skip(PREFACE.len()),
            headers: 0,
        }
    }

    /// HEADERS frames whose head has been fed.
    pub(super) fn headers(&self) -> u64 {
        self.headers
    }

    /// Follows `bytes`, the next bytes read from the client.
    pub(super) fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match &mut self.at {
                At::Skip(left) => {
                    let n = (*left).min(bytes.len());
                    *left -= n;
                    bytes = &bytes[n..];
                    if *left == 0 {
                        self.at = At::Head {
                            head: [0; FRAME_HEAD_LEN],
                            got: 0,
                        };
                    }
                }
                At::Head { head, got } => {
                    let n = (FRAME_HEAD_LEN - *got).min(bytes.len());
                    head[*got..*got + n].copy_from_slice(&bytes[..n]);
                    *got += n;
                    bytes = &bytes[n..];
                    if *got == FRAME_HEAD_LEN {
                        let len = u32::from_be_bytes([0, head[0], head[1], head[2]]);
                        if head[3] == HEADERS {
                            self.headers += 1;
                        }
                        self.at = match len {
                            0 => At::Head {
                                head: [0; FRAME_HEAD_LEN],
                                got: 0,
                            },
                            len => At::Skip(len as usize),
                        };
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(kind: u8, payload: &[u8]) -> Vec<u8> {
        let len = (payload.len() as u32).to_be_bytes();
        let mut frame = vec![len[1], len[2], len[3], kind, 0x4, 0, 0, 0, 1];
        frame.extend_from_slice(payload);
        frame
    }

    /// A connection's first bytes: preface, SETTINGS, WINDOW_UPDATE, two HEADERS (one with
    /// a payload holding a HEADERS frame's bytes), an empty DATA and a trailing HEADERS.
    fn stream() -> Vec<u8> {
        let mut bytes = PREFACE.to_vec();
        bytes.extend(frame(0x4, &[0, 3, 0, 0, 0, 100]));
        bytes.extend(frame(0x8, &[0, 0, 1, 0]));
        bytes.extend(frame(HEADERS, &frame(HEADERS, b"abc")));
        bytes.extend(frame(HEADERS, &[0x82; 300]));
        bytes.extend(frame(0x0, &[]));
        bytes.extend(frame(HEADERS, b"x"));
        bytes
    }

    #[test]
    fn counts_headers_frames_however_the_bytes_are_split() {
        let bytes = stream();
        let mut whole = HeadersCount::new();
        whole.feed(&bytes);
        assert_eq!(whole.headers(), 3);
        for chunk in 1..bytes.len() {
            let mut count = HeadersCount::new();
            for piece in bytes.chunks(chunk) {
                count.feed(piece);
            }
            assert_eq!(count.headers(), 3, "pieces of {chunk}");
        }
    }

    #[test]
    fn a_head_is_counted_as_soon_as_it_is_complete() {
        let bytes = stream();
        let headers_at = PREFACE.len() + 15 + 13;
        let mut count = HeadersCount::new();
        count.feed(&bytes[..headers_at + FRAME_HEAD_LEN - 1]);
        assert_eq!(count.headers(), 0);
        count.feed(&bytes[headers_at + FRAME_HEAD_LEN - 1..headers_at + FRAME_HEAD_LEN]);
        assert_eq!(count.headers(), 1);
    }
}
