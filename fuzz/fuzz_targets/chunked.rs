//! `ChunkedDecoder` fed the input whole and in pieces: never panics, never consumes more than
//! it was given, and decodes identically however the input is split.
//!
//! Input: byte 0 = number of split points (mod 8), then that many bytes choosing them, then
//! the body.
#![no_main]

use corio_http::proto::{ChunkedDecoder, Limits, ProtoError};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
struct Outcome {
    data: Vec<u8>,
    /// Bytes used when done (the rest would be the next pipelined message).
    used: Option<usize>,
    error: Option<ProtoError>,
    trailers: Option<Vec<(String, Vec<u8>)>>,
}

fn decode(body: &[u8], cuts: &[usize], limits: &Limits) -> Outcome {
    let mut decoder = ChunkedDecoder::new(limits);
    let mut data = Vec::new();
    let mut offset = 0;
    let mut start = 0;
    let ends = cuts.iter().copied().chain([body.len()]);
    for end in ends {
        let piece = &body[start..end];
        let mut at = 0;
        loop {
            let input = &piece[at..];
            let out = match decoder.decode(input) {
                Ok(out) => out,
                Err(e) => {
                    // Failed decoders repeat their error.
                    assert_eq!(decoder.decode(b"0\r\n\r\n"), Err(e));
                    return Outcome {
                        data,
                        used: None,
                        error: Some(e),
                        trailers: None,
                    };
                }
            };
            assert!(out.consumed <= input.len(), "consumed past the input");
            assert!(out.data.start <= out.data.end && out.data.end <= out.consumed);
            data.extend_from_slice(&input[out.data.clone()]);
            at += out.consumed;
            offset += out.consumed;
            if out.done {
                assert!(decoder.is_done());
                assert!(data.len() as u64 <= limits.max_body);
                assert_eq!(decoder.body_len(), data.len() as u64);
                let trailers = decoder.trailers().map(|t| {
                    t.iter()
                        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
                        .collect()
                });
                // Done consumes nothing more.
                assert_eq!(decoder.decode(b"5\r\nhello\r\n").map(|d| d.consumed), Ok(0));
                return Outcome {
                    data,
                    used: Some(offset),
                    error: None,
                    trailers,
                };
            }
            if at == piece.len() {
                break;
            }
            // Not done and input left: the call must have made progress.
            assert!(out.consumed > 0, "no progress");
        }
        start = end;
    }
    Outcome {
        data,
        used: None,
        error: None,
        trailers: None,
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&n, rest)) = input.split_first() else {
        return;
    };
    let n = usize::from(n % 8).min(rest.len());
    let (choosers, body) = rest.split_at(n);
    let mut cuts: Vec<usize> = if body.is_empty() {
        Vec::new()
    } else {
        choosers
            .iter()
            .map(|&c| usize::from(c) * body.len() / 256)
            .collect()
    };
    cuts.sort_unstable();
    let limits = Limits {
        max_body: 4096,
        max_chunk_ext: 64,
        max_trailer_section: 256,
        max_trailers: 4,
        ..Limits::default()
    };
    let whole = decode(body, &[], &limits);
    let bytewise: Vec<usize> = (1..body.len().min(512)).collect();
    for split in [&cuts[..], &bytewise[..]] {
        if split.last().is_some_and(|&c| c > body.len()) {
            continue;
        }
        let pieces = decode(body, split, &limits);
        assert_eq!(whole, pieces, "split at {split:?}");
    }
});
