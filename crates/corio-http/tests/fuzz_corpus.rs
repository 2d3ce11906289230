//! Replays the fuzzers' committed seed corpora (`fuzz/corpus/<target>/seed_*`) through the
//! same parsers, with the invariants the fuzz targets check, so that CI (which cannot run
//! libFuzzer) still exercises every seed and every regression input added there.

use std::path::PathBuf;

use corio_http::proto::{parse_request_head, parse_response_head, ChunkedDecoder, Limits};
use corio_http::static_files::path::SafePath;

/// The committed inputs of one fuzz target (generated corpus files are not committed).
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../fuzz/corpus")
        .join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            path.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("seed_"))
        })
        .map(|path| (path.display().to_string(), std::fs::read(&path).unwrap()))
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

#[test]
fn request_heads_parse_the_same_whole_and_cut() {
    let limits = Limits::default();
    for (name, input) in seeds("request_head") {
        if let Ok(Some((head, consumed))) = parse_request_head(&input, &limits) {
            assert!(consumed <= input.len(), "{name}");
            // The head alone parses to the same thing; one byte short is incomplete.
            let (again, n) = parse_request_head(&input[..consumed], &limits)
                .unwrap()
                .unwrap();
            assert_eq!(
                (n, &again.method, again.target.as_str()),
                (consumed, &head.method, head.target.as_str()),
                "{name}"
            );
            assert!(
                matches!(
                    parse_request_head(&input[..consumed - 1], &limits),
                    Ok(None) | Err(_)
                ),
                "{name}"
            );
        }
    }
}

#[test]
fn chunked_bodies_decode_the_same_in_any_split() {
    let limits = Limits::default();
    let decode = |pieces: &[&[u8]]| {
        let mut decoder = ChunkedDecoder::new(&limits);
        let mut data = Vec::new();
        for piece in pieces {
            let mut piece = *piece;
            while !piece.is_empty() && !decoder.is_done() {
                match decoder.decode(piece) {
                    Ok(decoded) => {
                        assert!(decoded.consumed <= piece.len());
                        data.extend_from_slice(&piece[decoded.data.clone()]);
                        if decoded.consumed == 0 {
                            break;
                        }
                        piece = &piece[decoded.consumed..];
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        Ok((data, decoder.is_done()))
    };
    for (name, input) in seeds("chunked") {
        let whole = decode(&[&input]);
        let bytes: Vec<&[u8]> = input.chunks(1).collect();
        assert_eq!(decode(&bytes), whole, "{name}: byte by byte");
        for cut in 0..input.len() {
            assert_eq!(
                decode(&[&input[..cut], &input[cut..]]),
                whole,
                "{name}: cut at {cut}"
            );
        }
    }
}

#[test]
fn response_heads_never_overrun() {
    let limits = Limits::default();
    for (name, input) in seeds("response_head") {
        if let Ok(Some((_, consumed))) = parse_response_head(&input, &limits) {
            assert!(consumed <= input.len(), "{name}");
        }
    }
}

#[test]
fn static_paths_never_escape() {
    for (name, input) in seeds("static_path") {
        let Ok(raw) = std::str::from_utf8(input.get(1..).unwrap_or_default()) else {
            continue;
        };
        if let Ok(path) = SafePath::parse(raw, false) {
            for segment in path.segments() {
                assert!(
                    segment != ".." && segment != "." && !segment.contains(['/', '\\', '\0']),
                    "{name}"
                );
                assert!(!segment.starts_with('.'), "{name}: hidden");
            }
            assert!(!path.to_url_path(true).starts_with("//"), "{name}");
        }
    }
}
