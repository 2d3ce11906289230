//! File names for downloads (`-O`, `--output-dir`, `-o DIR`): the remote name of each URL,
//! made safe to create in the chosen directory.
//!
//! Invariants: a name is never empty, never `.` or `..`, never starts with a dot (no hidden
//! files, no `..` games), and holds no path separator or control character, whatever the
//! URL's percent-encoding hides (`%2F`, `%00`, `%2E%2E`); names are deduplicated in argument
//! order by appending `.1`, `.2`...

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use percent_encoding::percent_decode_str;

/// The name used when the URL gives none (a path ending in `/`, or only unsafe characters).
pub const FALLBACK: &str = "index.html";

/// The remote name of `url`: the last segment of its path, percent-decoded and made safe.
pub fn remote_name(url: &str) -> String {
    let segment = url::Url::parse(url)
        .ok()
        .and_then(|u| {
            u.path_segments()
                .and_then(|mut s| s.next_back().map(str::to_owned))
        })
        .unwrap_or_default();
    safe(&percent_decode_str(&segment).decode_utf8_lossy())
}

/// `name` without what could escape the directory or hide the file: separators and control
/// characters become `_`, leading dots are dropped.
fn safe(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        FALLBACK.to_owned()
    } else {
        trimmed.to_owned()
    }
}

/// The file in `dir` for each URL, named by [`remote_name`], repeated names suffixed.
pub fn output_files(dir: &Path, urls: &[String]) -> Vec<PathBuf> {
    let mut used = HashSet::new();
    urls.iter()
        .map(|u| {
            let base = remote_name(u);
            let mut name = base.clone();
            let mut n = 0;
            while !used.insert(name.clone()) {
                n += 1;
                name = format!("{base}.{n}");
            }
            dir.join(name)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deduplicated_names() {
        let urls: Vec<String> = [
            "http://a/",
            "http://a",
            "http://a/x/page.html?q",
            "http://b/y/page.html",
            "http://a/dir/",
            "http://a/1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let files = output_files(Path::new("d"), &urls);
        let names: Vec<_> = files
            .iter()
            .map(|f| f.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "index.html",
                "index.html.1",
                "page.html",
                "page.html.1",
                "index.html.2",
                "1"
            ]
        );
    }

    #[test]
    fn remote_names_are_decoded_and_safe() {
        for (url, want) in [
            ("http://a/my%20file.txt", "my file.txt"),
            ("http://a/caf%C3%A9", "café"),
            ("http://a/x/..%2F..%2Fetc%2Fpasswd", "_.._etc_passwd"),
            ("http://a/%2E%2E", FALLBACK),
            ("http://a/.hidden", "hidden"),
            ("http://a/...", FALLBACK),
            ("http://a/a%5Cb", "a_b"),
            ("http://a/nul%00byte%0A", "nul_byte_"),
            ("http://a/bad%FF", "bad\u{fffd}"),
            ("http://a/x/", FALLBACK),
            ("not a url", FALLBACK),
        ] {
            assert_eq!(remote_name(url), want, "{url}");
        }
    }
}
