//! A file compressed as it is sent: the body of an on-the-fly compressed response too large
//! for the cache (see [`super::compress`]).
//!
//! Each poll reads the next [`CHUNK`] of the file with one `pread` (on the worker's loop, as
//! every file read of the service: served files sit in the page cache), feeds it to the
//! [`Encoder`] and yields what came out. When a chunk produced no output yet (the encoder
//! buffers up to a block), the stream wakes itself and returns `Pending`, so one large file
//! never holds the loop for more than one chunk's compression. Memory is bounded: one input
//! chunk, the encoder's window and the output of one chunk, whatever the file's size.
//!
//! The stream reads exactly the length the plan saw (`fstat`); a file that shrinks meanwhile
//! ends the stream with an error (the connection is closed, so the client sees a truncated
//! body rather than a wrong one).

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_core::Stream;

use super::compress::Encoder;
use super::encoding::Encoding;

/// Input read per poll: large enough that a `pread` and an encoder call move a lot, small
/// enough that compressing it keeps the loop busy well under a millisecond.
pub const CHUNK: usize = 32 * 1024;

/// Where the stream is.
#[derive(Debug)]
enum State {
    /// Reading and compressing; `offset` is the next byte to read.
    Compressing {
        /// The encoder, holding what it has not emitted yet.
        encoder: Encoder,
        /// The next byte of the file to read.
        offset: u64,
    },
    /// The trailer was yielded, or an error: nothing more.
    Done,
}

/// The stream of a file's compressed bytes; see the module docs.
#[derive(Debug)]
pub struct CompressStream {
    file: File,
    len: u64,
    buf: Vec<u8>,
    state: State,
}

impl CompressStream {
    /// Compresses the first `len` bytes of `file` with `encoding`.
    pub fn new(file: File, len: u64, encoding: Encoding) -> io::Result<CompressStream> {
        Ok(CompressStream {
            file,
            len,
            buf: Vec::new(),
            state: State::Compressing {
                encoder: Encoder::new(encoding, len)?,
                offset: 0,
            },
        })
    }

    /// One step: the next output, `Ok(None)` when this chunk gave none yet.
    fn step(&mut self) -> io::Result<Option<Bytes>> {
        let State::Compressing { encoder, offset } = &mut self.state else {
            return Ok(None);
        };
        if *offset < self.len {
            let want = usize::try_from(self.len - *offset).map_or(CHUNK, |rest| rest.min(CHUNK));
            self.buf.resize(want, 0);
            self.file
                .read_exact_at(&mut self.buf, *offset)
                .map_err(|e| match e.kind() {
                    io::ErrorKind::UnexpectedEof => {
                        io::Error::other("the file shrank while it was being sent")
                    }
                    _ => e,
                })?;
            *offset += want as u64;
            encoder.write(&self.buf)?;
            let out = encoder.take_output();
            return Ok((!out.is_empty()).then(|| Bytes::from(out)));
        }
        let State::Compressing { mut encoder, .. } =
            std::mem::replace(&mut self.state, State::Done)
        else {
            return Ok(None);
        };
        let mut out = encoder.take_output();
        out.extend_from_slice(&encoder.finish()?);
        self.buf = Vec::new();
        Ok(Some(Bytes::from(out)))
    }
}

impl Stream for CompressStream {
    type Item = io::Result<Bytes>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<io::Result<Bytes>>> {
        let this = self.get_mut();
        if matches!(this.state, State::Done) {
            return Poll::Ready(None);
        }
        match this.step() {
            Ok(Some(bytes)) => Poll::Ready(Some(Ok(bytes))),
            Ok(None) => {
                // Nothing out of this chunk yet: let other tasks run before the next one.
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Err(e) => {
                this.state = State::Done;
                Poll::Ready(Some(Err(e)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::static_files::compress::tests::decode;
    use std::future::poll_fn;

    #[test]
    fn streams_a_file_in_bounded_pieces() {
        let path =
            std::env::temp_dir().join(format!("corio-compress-stream-{}", std::process::id()));
        let text: Vec<u8> = (0..100_000u32)
            .flat_map(|i| format!("{i:08} some text that compresses\n").into_bytes())
            .collect();
        std::fs::write(&path, &text).unwrap();
        for encoding in Encoding::PREFERENCE {
            let file = File::open(&path).unwrap();
            let mut stream = CompressStream::new(file, text.len() as u64, encoding).unwrap();
            let mut out = Vec::new();
            let mut pieces = 0;
            corio::block_on(async {
                while let Some(piece) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
                    let piece = piece.unwrap();
                    assert!(piece.len() <= 2 * CHUNK, "{encoding:?}: {}", piece.len());
                    out.extend_from_slice(&piece);
                    pieces += 1;
                }
            });
            assert!(pieces > 1, "{encoding:?} came out in one piece");
            assert_eq!(decode(encoding, &out), text, "{encoding:?}");
        }
        // Announced longer than the file: an error, then the end.
        let file = File::open(&path).unwrap();
        let mut stream = CompressStream::new(file, text.len() as u64 + 1, Encoding::Gzip).unwrap();
        let errors = corio::block_on(async {
            let mut errors = 0;
            while let Some(piece) = poll_fn(|cx| Pin::new(&mut stream).poll_next(cx)).await {
                errors += usize::from(piece.is_err());
            }
            errors
        });
        assert_eq!(errors, 1);
        let _ = std::fs::remove_file(&path);
    }
}
