//! On-the-fly compression of files that have no precompressed sibling: which responses are
//! compressed, with which coding, and the encoder that does it, sans-I/O (bytes in, bytes
//! out).
//!
//! # Decisions
//!
//! * **What is compressed:** a file whose content type is textual ([`is_compressible`]:
//!   `text/*`, JavaScript, JSON, XML, SVG, wasm and the `+json`/`+xml` types), at least
//!   [`MIN_LEN`] bytes long, with no precompressed sibling the client accepts (a sibling always
//!   wins: it was compressed harder, ahead of time), to a client whose `Accept-Encoding`
//!   accepts gzip, brotli or zstd (the same negotiation, q-values included, as for siblings:
//!   [`super::encoding::negotiate`]). Images, archives and other already compressed types are
//!   left alone.
//! * **Levels** are those of the usual servers' defaults, chosen for CPU per response rather
//!   than ratio, since the work is repeated per request (small files are cached, see
//!   [`super::compress_cache`]): gzip [`GZIP_LEVEL`] 1 (nginx's `gzip_comp_level` default),
//!   brotli quality [`BROTLI_QUALITY`] 4 with a [`BROTLI_WINDOW_BITS`] window, zstd
//!   [`ZSTD_LEVEL`] 3 (zstd's own default).
//! * **Validators:** a weak ETag with the coding, `W/"5f3a-1c-gzip"`
//!   ([`Validators::weak_for_encoding`](super::conditional::Validators::weak_for_encoding)),
//!   as nginx's gzip filter makes it weak: the bytes depend on the compressor's version and
//!   level, the content does not. `If-None-Match` with it gives a 304; `If-Range` (which needs
//!   a strong match) never matches it.
//! * **Ranges:** a GET with a `Range` header is never compressed on the fly: it gets the
//!   identity representation, ranges counted in the file's own bytes (206), with the file's
//!   strong ETag. So ranges keep working (resuming a download, a `tail` of a log) for every
//!   client, and are never applied to bytes that differ from one compressor to the next
//!   (nginx's gzip filter instead drops the Range and sends the whole body compressed).
//!   A compressed response carries no `Accept-Ranges`, so that a client does not try to
//!   resume it: resuming compressed bytes with identity bytes would corrupt it, and its
//!   weak ETag makes an `If-Range` fail safely into a full 200 in any case.
//! * **Framing:** no `Content-Length` unless the whole compressed body is in memory (files up
//!   to [`super::compress_cache::CACHED_FILE_MAX`], compressed whole and cached); larger files
//!   stream, chunked on HTTP/1.1 (see [`super::compress_stream`]).
//! * `Vary: Accept-Encoding` is sent on every response of a file that would be compressed
//!   for some client (compressible, long enough), whatever this client accepts; with
//!   precompressed siblings on, on every file response (see [`super::precompressed`]).
//! * HEAD and 304 get exactly the headers the GET would get, computed the same way.

use std::io::{self, Write};

use http::HeaderValue;

use super::encoding::Encoding;

/// Files shorter than this are sent as they are: under one TCP segment, compressing saves no
/// round trip, and the coding's header and the CPU are not worth the few bytes (the common
/// nginx setting, `gzip_min_length 1k`).
pub const MIN_LEN: u64 = 1024;

/// gzip level: nginx's `gzip_comp_level` default; higher levels cost much more CPU for a few
/// percent of size on text.
pub const GZIP_LEVEL: u32 = 1;

/// brotli quality: 4 compresses text better than gzip 6 for about the CPU of gzip 1–3; the
/// levels above 5 cost several times more per byte.
pub const BROTLI_QUALITY: u32 = 4;

/// brotli window, log2 of bytes (1 MiB): bounds the encoder's memory per response; a
/// larger window only helps files much larger than what is usually compressed.
pub const BROTLI_WINDOW_BITS: u32 = 20;

/// zstd level: zstd's own default, which beats gzip 6 on ratio at a fraction of its CPU.
pub const ZSTD_LEVEL: i32 = 3;

/// Content types (essence, lowercase) outside `text/*` that compress well.
const COMPRESSIBLE_TYPES: &[&str] = &[
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/manifest+json",
    "application/ld+json",
    "application/wasm",
    "application/x-sh",
    "application/toml",
    "application/yaml",
    "image/svg+xml",
    "image/x-icon",
    "image/vnd.microsoft.icon",
    "image/bmp",
    "font/ttf",
    "font/otf",
];

/// Whether a response of this `Content-Type` is worth compressing: text and the textual
/// types above, including any `+json` or `+xml` type. Already compressed formats (images,
/// video, archives, woff2) are not.
pub fn is_compressible(content_type: &HeaderValue) -> bool {
    let Ok(value) = content_type.to_str() else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || COMPRESSIBLE_TYPES.contains(&essence.as_str())
}

/// Whether a file of a type that is `compressible` ([`is_compressible`]) and of this length
/// is compressed for a client that accepts a coding (and so whether its responses vary with
/// `Accept-Encoding`).
pub fn applies(compressible: bool, len: u64) -> bool {
    len >= MIN_LEN && compressible
}

/// The coding to compress a file with on the fly, if any: the client's best accepted coding
/// (`accepted`, best first) when the file is `compressible` ([`is_compressible`]) and at
/// least [`MIN_LEN`] long.
pub fn choose(accepted: &[Encoding], compressible: bool, len: u64) -> Option<Encoding> {
    if !applies(compressible, len) {
        return None;
    }
    accepted.first().copied()
}

/// An incremental encoder for one response: feed it input with [`Encoder::write`], take the
/// compressed bytes produced so far with [`Encoder::take_output`], end with
/// [`Encoder::finish`]. Its memory is bounded by the coding's window and the output not yet
/// taken, whatever the input's length.
pub enum Encoder {
    /// gzip (deflate with the gzip header and CRC).
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    /// brotli.
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    /// zstd, one frame.
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

/// The internal buffer of the brotli writer, in bytes.
const BROTLI_BUFFER: usize = 16 * 1024;

impl Encoder {
    /// A new encoder for `encoding` at the levels above. `len`, the input's exact length, is
    /// announced to zstd, which then sizes its window to the input (less memory for small
    /// files) and records the size in the frame.
    pub fn new(encoding: Encoding, len: u64) -> io::Result<Encoder> {
        Ok(match encoding {
            Encoding::Gzip => Encoder::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(GZIP_LEVEL),
            )),
            Encoding::Brotli => Encoder::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                BROTLI_BUFFER,
                BROTLI_QUALITY,
                BROTLI_WINDOW_BITS,
            ))),
            Encoding::Zstd => {
                let mut encoder = zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL)?;
                encoder.set_pledged_src_size(Some(len))?;
                encoder.include_contentsize(true)?;
                Encoder::Zstd(encoder)
            }
        })
    }

    /// Compresses `input` (the output may stay inside the encoder until more comes).
    pub fn write(&mut self, input: &[u8]) -> io::Result<()> {
        match self {
            Encoder::Gzip(e) => e.write_all(input),
            Encoder::Brotli(e) => e.write_all(input),
            Encoder::Zstd(e) => e.write_all(input),
        }
    }

    /// The compressed bytes produced since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        std::mem::take(match self {
            Encoder::Gzip(e) => e.get_mut(),
            Encoder::Brotli(e) => e.get_mut(),
            Encoder::Zstd(e) => e.get_mut(),
        })
    }

    /// Ends the stream: the rest of the compressed bytes, trailer included.
    pub fn finish(self) -> io::Result<Vec<u8>> {
        match self {
            Encoder::Gzip(e) => e.finish(),
            Encoder::Brotli(e) => Ok(e.into_inner()),
            Encoder::Zstd(e) => e.finish(),
        }
    }
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Encoder::Gzip(_) => "Encoder::Gzip",
            Encoder::Brotli(_) => "Encoder::Brotli",
            Encoder::Zstd(_) => "Encoder::Zstd",
        })
    }
}

/// Compresses `data` whole with `encoding` (a small file, for the cache).
pub fn compress_all(encoding: Encoding, data: &[u8]) -> io::Result<Vec<u8>> {
    let mut encoder = Encoder::new(encoding, data.len() as u64)?;
    encoder.write(data)?;
    let mut out = encoder.take_output();
    out.extend_from_slice(&encoder.finish()?);
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Read;

    /// Decodes with the real decoders.
    pub(crate) fn decode(encoding: Encoding, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        match encoding {
            Encoding::Gzip => {
                flate2::read::GzDecoder::new(data)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Encoding::Brotli => {
                brotli::Decompressor::new(data, 4096)
                    .read_to_end(&mut out)
                    .unwrap();
            }
            Encoding::Zstd => out = zstd::stream::decode_all(data).unwrap(),
        }
        out
    }

    #[test]
    fn round_trips_in_pieces() {
        let text: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("line {i} of the text\n").into_bytes())
            .collect();
        for encoding in Encoding::PREFERENCE {
            let mut encoder = Encoder::new(encoding, text.len() as u64).unwrap();
            let mut out = Vec::new();
            for piece in text.chunks(7_777) {
                encoder.write(piece).unwrap();
                out.extend(encoder.take_output());
            }
            out.extend(encoder.finish().unwrap());
            assert!(out.len() < text.len() / 4, "{encoding:?}: {}", out.len());
            assert_eq!(decode(encoding, &out), text, "{encoding:?}");
            assert_eq!(
                decode(encoding, &compress_all(encoding, &text).unwrap()),
                text
            );
        }
    }

    #[test]
    fn compressible_types() {
        let yes = [
            "text/html; charset=utf-8",
            "text/css",
            "application/json",
            "application/javascript; charset=utf-8",
            "image/svg+xml; charset=utf-8",
            "application/wasm",
            "application/vnd.api+json",
            "Application/XML",
        ];
        let no = [
            "image/png",
            "image/jpeg",
            "application/gzip",
            "application/octet-stream",
            "video/mp4",
            "font/woff2",
            "application/zip",
        ];
        for t in yes {
            assert!(is_compressible(&HeaderValue::from_static(t)), "{t}");
        }
        for t in no {
            assert!(!is_compressible(&HeaderValue::from_static(t)), "{t}");
        }
    }

    #[test]
    fn choice() {
        let text = HeaderValue::from_static("text/plain");
        let png = HeaderValue::from_static("image/png");
        let both = [Encoding::Zstd, Encoding::Gzip];
        assert_eq!(
            choose(&both, is_compressible(&text), MIN_LEN),
            Some(Encoding::Zstd)
        );
        assert_eq!(choose(&both, is_compressible(&text), MIN_LEN - 1), None);
        assert_eq!(choose(&both, is_compressible(&png), 1 << 20), None);
        assert_eq!(choose(&[], is_compressible(&text), 1 << 20), None);
    }
}
