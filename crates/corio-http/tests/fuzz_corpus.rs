//! Replays the fuzzers' committed seed corpora (`fuzz/corpus/<target>/seed_*`) through the
//! same parsers, so that CI (which cannot run libFuzzer) still exercises every seed and every
//! regression input added there:
//!
//! - each seed's outcome (accepted and how much, incomplete, or rejected and why) must be the
//!   one recorded in `fuzz/corpus/outcomes.txt`, so a seed that is rejected today (a smuggling
//!   attempt, a traversal) cannot silently become accepted, and a valid one cannot start
//!   failing; a seed without a recorded outcome fails the test with the line to add;
//! - the invariants the fuzz targets check hold for every seed.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use corio_http::proto::{
    parse_request_head, parse_response_head, parse_response_status, ChunkedDecoder, Limits,
    ProtoError, Version,
};
use corio_http::static_files::path::SafePath;
use corio_http::static_files::resolve::{canonical_root, resolve, ResolveOptions, Root, Target};

/// The fuzz targets whose corpora are replayed.
const TARGETS: [&str; 5] = [
    "chunked",
    "request_head",
    "request_head_vs_httparse",
    "response_head",
    "static_path",
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus")
}

/// The committed inputs of one fuzz target (generated corpus files are not committed), as
/// (file name, bytes), sorted by name.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = corpus_dir().join(target);
    let mut seeds: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_owned();
            name.starts_with("seed_")
                .then(|| (name, std::fs::read(&path).unwrap()))
        })
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

/// `fuzz/corpus/outcomes.txt`: `target/seed outcome` per line; `#` starts a comment.
fn recorded_outcomes() -> BTreeMap<String, String> {
    let path = corpus_dir().join("outcomes.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut outcomes = BTreeMap::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (seed, outcome) = line
            .split_once(' ')
            .unwrap_or_else(|| panic!("outcomes.txt: no outcome in {line:?}"));
        let previous = outcomes.insert(seed.to_owned(), outcome.trim().to_owned());
        assert!(previous.is_none(), "outcomes.txt: {seed} listed twice");
    }
    outcomes
}

fn rejected(e: ProtoError) -> String {
    format!("reject {} {e:?}", e.status())
}

fn request_head_outcome(input: &[u8]) -> String {
    match parse_request_head(input, &Limits::default()) {
        Ok(Some((head, consumed))) => format!(
            "accept {consumed} {} {}",
            head.method.as_str(),
            head.target.as_str()
        ),
        Ok(None) => "incomplete".to_owned(),
        Err(e) => rejected(e),
    }
}

/// The `response_head` target's limits (`fuzz/fuzz_targets/response_head.rs`).
fn response_limits() -> Limits {
    Limits {
        max_start_line: 256,
        max_header_section: 1024,
        max_headers: 16,
        max_body: 4096,
        ..Limits::default()
    }
}

fn response_head_outcome(input: &[u8]) -> String {
    match parse_response_head(input, &response_limits()) {
        Ok(Some((head, consumed))) => format!("accept {consumed} {}", head.status.as_u16()),
        Ok(None) => "incomplete".to_owned(),
        Err(e) => rejected(e),
    }
}

/// The `chunked` target's limits (`fuzz/fuzz_targets/chunked.rs`): small, so the seeds reach
/// them.
fn chunked_limits() -> Limits {
    Limits {
        max_body: 4096,
        max_chunk_ext: 64,
        max_trailer_section: 256,
        max_trailers: 4,
        ..Limits::default()
    }
}

/// A `chunked` input as that target reads it: byte 0 is the number of split points (mod 8),
/// that many bytes choose them, the rest is the body. Returns the body and the split points.
fn chunked_input(input: &[u8]) -> (&[u8], Vec<usize>) {
    let Some((&n, rest)) = input.split_first() else {
        return (&[], Vec::new());
    };
    let (choosers, body) = rest.split_at(usize::from(n % 8).min(rest.len()));
    let mut cuts: Vec<usize> = choosers
        .iter()
        .map(|&c| usize::from(c) * body.len() / 256)
        .collect();
    cuts.sort_unstable();
    (body, cuts)
}

/// What decoding a chunked body gave: its data, and the bytes used once the decoder was done
/// (`None`: it wanted more).
type Decoded = Result<(Vec<u8>, Option<usize>), ProtoError>;

/// Feeds `body` to one decoder in pieces ending at `cuts` (then at its end).
fn decode_chunked(body: &[u8], cuts: &[usize]) -> Decoded {
    let mut decoder = ChunkedDecoder::new(&chunked_limits());
    let mut data = Vec::new();
    let mut start = 0;
    for end in cuts.iter().copied().chain([body.len()]) {
        let mut at = start;
        while at < end {
            let decoded = decoder.decode(&body[at..end])?;
            assert!(decoded.consumed <= end - at, "consumed past the input");
            data.extend_from_slice(&body[at..end][decoded.data.clone()]);
            at += decoded.consumed;
            if decoder.is_done() {
                return Ok((data, Some(at)));
            }
            // Not done and input left: the call must have made progress.
            assert!(decoded.consumed > 0, "no progress");
        }
        start = end;
    }
    Ok((data, None))
}

fn chunked_outcome(input: &[u8]) -> String {
    let (body, _) = chunked_input(input);
    match decode_chunked(body, &[]) {
        Ok((data, Some(used))) => format!("done {} used {used}", data.len()),
        Ok((data, None)) => format!("incomplete {}", data.len()),
        Err(e) => rejected(e),
    }
}

/// A root like the `static_path` fuzz target's (`fuzz/fuzz_targets/static_path.rs`), so its
/// seeds resolve here as they do there: files, a dotfile, a FIFO, and symlinks to a file
/// outside, to `..`, to an absolute directory outside (`/etc` there), to themselves and to
/// hidden names. Removed on drop.
struct StaticRoot {
    base: PathBuf,
    root: Root,
}

impl StaticRoot {
    fn new() -> StaticRoot {
        let base = std::env::temp_dir().join(format!("corio-corpus-static-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        for dir in ["sub/deeper", ".git", "with index"] {
            std::fs::create_dir_all(root.join(dir)).unwrap();
        }
        std::fs::create_dir_all(base.join("etc")).unwrap();
        std::fs::write(base.join("etc/hostname"), "outside").unwrap();
        std::fs::write(base.join("secret.txt"), "outside").unwrap();
        for (file, text) in [
            ("a.txt", "a"),
            ("sub/b.txt", "b"),
            ("sub/deeper/c.txt", "c"),
            (".env", "hidden"),
            (".git/config", "hidden"),
            ("with index/index.html", "<p>"),
            ("caf\u{e9} %2e.txt", "odd name"),
        ] {
            std::fs::write(root.join(file), text).unwrap();
        }
        // The fuzz target links to the real `/etc`; an absolute link to a directory of ours
        // outside the root is the same case with a known content.
        let etc = base.join("etc");
        for (target, link) in [
            ("../secret.txt", "out-file"),
            ("..", "out-dir"),
            (etc.to_str().unwrap(), "etc"),
            ("..", "sub/up"),
            ("../../", "sub/deeper/up2"),
            (".env", "to-hidden"),
            (".git", "sub/to-git"),
            ("loop", "loop"),
            ("a.txt", "link-a"),
            ("../.git/config", "sub/index.html"),
        ] {
            symlink(target, root.join(link)).unwrap();
        }
        let mkfifo = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status()
            .expect("run mkfifo");
        assert!(mkfifo.success(), "mkfifo failed");
        let root = Root::open(&canonical_root(&root).unwrap()).unwrap();
        StaticRoot { base, root }
    }

    /// `path` as a URL path under the root (`/sub/b.txt`), or as `outside:` and its path
    /// relative to the root's parent when a followed symlink led outside.
    fn show(&self, path: &Path) -> String {
        if let Ok(rel) = path.strip_prefix(self.root.path()) {
            return format!("/{}", rel.display());
        }
        let parent = self.root.path().parent().unwrap();
        let rel = path
            .strip_prefix(parent)
            .unwrap_or_else(|_| panic!("{path:?} is outside the fixture"));
        format!("outside:{}", rel.display())
    }

    /// Byte 0 of a `static_path` input picks the options (bit 0: allow hidden, bit 1: follow
    /// symlinks outside); the rest is the raw request path.
    fn outcome(&self, input: &[u8]) -> String {
        let Some((&flags, raw)) = input.split_first() else {
            return "empty".to_owned();
        };
        let Ok(raw) = std::str::from_utf8(raw) else {
            return "not-utf8".to_owned();
        };
        let opts = ResolveOptions {
            allow_hidden: flags & 1 != 0,
            follow_symlinks_outside: flags & 2 != 0,
        };
        let safe = match SafePath::parse(raw, opts.allow_hidden) {
            Ok(safe) => safe,
            Err(e) => return format!("path-reject {}", e.status().as_u16()),
        };
        check_segments(&safe, opts.allow_hidden);
        let (kind, path) = match resolve(&self.root, &safe, opts) {
            Ok(resolved) => match resolved.target {
                Target::File { path, .. } => ("file", path),
                Target::Directory { path, .. } => ("dir", path),
            },
            Err(e) => return format!("resolve-reject {}", e.status().as_u16()),
        };
        if !opts.follow_symlinks_outside {
            let rel = path
                .strip_prefix(self.root.path())
                .unwrap_or_else(|_| panic!("{path:?} escapes the root"));
            assert!(
                opts.allow_hidden
                    || rel
                        .components()
                        .all(|c| !c.as_os_str().as_encoded_bytes().starts_with(b".")),
                "{path:?} is hidden"
            );
        }
        format!("{kind} {}", self.show(&path))
    }
}

impl Drop for StaticRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// The `static_path` target's segment invariants.
fn check_segments(path: &SafePath, allow_hidden: bool) {
    for segment in path.segments() {
        assert!(
            !segment.is_empty() && segment != ".." && segment != ".",
            "{segment:?}"
        );
        assert!(!segment.contains(['/', '\\', '\0']), "{segment:?}");
        assert!(
            allow_hidden || !segment.starts_with('.'),
            "hidden {segment:?}"
        );
    }
    assert!(!path.to_url_path(false).starts_with("//"));
    assert!(!path.to_url_path(true).starts_with("//"));
}

#[test]
fn every_seed_keeps_its_recorded_outcome() {
    let mut recorded = recorded_outcomes();
    let static_root = StaticRoot::new();
    let mut problems = String::new();
    let mut rejects = 0;
    for target in TARGETS {
        for (name, input) in seeds(target) {
            let outcome = match target {
                "chunked" => chunked_outcome(&input),
                "request_head" | "request_head_vs_httparse" => request_head_outcome(&input),
                "response_head" => response_head_outcome(&input),
                "static_path" => static_root.outcome(&input),
                _ => unreachable!("not in TARGETS"),
            };
            if outcome.contains("reject") {
                rejects += 1;
            }
            let seed = format!("{target}/{name}");
            match recorded.remove(&seed) {
                Some(want) if want == outcome => {}
                Some(want) => {
                    let _ = writeln!(problems, "{seed}: recorded `{want}`, now `{outcome}`");
                }
                None => {
                    let _ = writeln!(problems, "not in outcomes.txt: {seed} {outcome}");
                }
            }
        }
    }
    for seed in recorded.keys() {
        let _ = writeln!(problems, "in outcomes.txt but no such seed: {seed}");
    }
    assert!(problems.is_empty(), "fuzz/corpus/outcomes.txt:\n{problems}");
    // The corpora hold both sides: inputs that must be accepted and inputs that must not.
    assert!(rejects > 0, "no seed is rejected");
}

#[test]
fn request_heads_parse_the_same_whole_and_cut() {
    let limits = Limits::default();
    for (name, input) in seeds("request_head") {
        if let Ok(Some((head, consumed))) = parse_request_head(&input, &limits) {
            assert!(0 < consumed && consumed <= input.len(), "{name}");
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
fn accepted_request_heads_agree_with_httparse() {
    for (name, input) in seeds("request_head_vs_httparse") {
        let Ok(Some((head, n))) = parse_request_head(&input, &Limits::default()) else {
            continue;
        };
        let mut fields = [httparse::EMPTY_HEADER; 100];
        let mut req = httparse::Request::new(&mut fields);
        let status = req.parse(&input);
        assert_eq!(status, Ok(httparse::Status::Complete(n)), "{name}: length");
        assert_eq!(Some(head.method.as_str()), req.method, "{name}: method");
        assert_eq!(Some(head.target.as_str()), req.path, "{name}: target");
        let minor = match head.version {
            Version::Http10 => 0,
            Version::Http11 => 1,
            Version::Http2 => panic!("{name}: an HTTP/1 parser returned HTTP/2"),
        };
        assert_eq!(Some(minor), req.version, "{name}: version");
        let map = head.headers.map();
        assert_eq!(map.len(), req.headers.len(), "{name}: header count");
        for field in map.keys() {
            let theirs: Vec<&[u8]> = req
                .headers
                .iter()
                .filter(|f| f.name.eq_ignore_ascii_case(field.as_str()))
                .map(|f| f.value)
                .collect();
            let ours: Vec<&[u8]> = map.get_all(field).iter().map(|v| v.as_bytes()).collect();
            assert_eq!(ours, theirs, "{name}: values of {field}");
        }
    }
}

#[test]
fn chunked_bodies_decode_the_same_in_any_split() {
    for (name, input) in seeds("chunked") {
        let (body, cuts) = chunked_input(&input);
        let whole = decode_chunked(body, &[]);
        assert_eq!(
            decode_chunked(body, &cuts),
            whole,
            "{name}: split at {cuts:?}"
        );
        let bytewise: Vec<usize> = (1..body.len()).collect();
        assert_eq!(
            decode_chunked(body, &bytewise),
            whole,
            "{name}: byte by byte"
        );
        for cut in 0..=body.len() {
            assert_eq!(decode_chunked(body, &[cut]), whole, "{name}: cut at {cut}");
        }
    }
}

/// The client's lean parse (`parse_response_status`, with its own pass for common heads)
/// gives every seed, and every prefix of it, the answer of the full parse: the same status,
/// persistence, framing and length, or the same error, under the target's limits and the
/// defaults.
#[test]
fn response_seeds_get_the_same_answer_from_the_lean_parse() {
    for limits in [response_limits(), Limits::default()] {
        for (name, input) in seeds("response_head") {
            for end in 0..=input.len() {
                let input = &input[..end];
                for method in [http::Method::GET, http::Method::HEAD, http::Method::CONNECT] {
                    let full = parse_response_head(input, &limits).and_then(|r| {
                        r.map(|(h, n)| Ok((h.status, h.keep_alive, h.framing(&method)?, n)))
                            .transpose()
                    });
                    let lean = parse_response_status(input, &limits, &method)
                        .map(|r| r.map(|(h, n)| (h.status, h.keep_alive, h.body, n)));
                    assert_eq!(full, lean, "{name} cut to {end} bytes, {method}");
                }
            }
        }
    }
}

#[test]
fn response_heads_are_self_delimiting() {
    let limits = response_limits();
    for (name, input) in seeds("response_head") {
        if let Ok(Some((_, consumed))) = parse_response_head(&input, &limits) {
            assert!(0 < consumed && consumed <= input.len(), "{name}");
            assert!(input[..consumed].ends_with(b"\r\n\r\n"), "{name}");
            assert!(
                matches!(
                    parse_response_head(&input[..consumed - 1], &limits),
                    Ok(None)
                ),
                "{name}: one byte short"
            );
        }
    }
}
