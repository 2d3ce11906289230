//! Validators (`ETag`, `Last-Modified`) and conditional request evaluation
//! (RFC 9110 §13).
//!
//! # Invariants
//!
//! * [`Validators::etag`] is always a syntactically valid entity-tag
//!   (`"…"` of lowercase hex digits, `-` and a coding token), so it is a valid
//!   header value; it is strong except for a response compressed on the fly
//!   ([`Validators::weak_for_encoding`]).
//! * [`evaluate`] follows the precedence of RFC 9110 §13.2.2 exactly:
//!   If-Match, else If-Unmodified-Since (→ 412); then If-None-Match, else
//!   If-Modified-Since for GET/HEAD only (→ 304 for GET/HEAD, 412 for other
//!   methods on an If-None-Match hit). If-Range is left to the range step.
//! * Dates compare at one-second resolution, the resolution of HTTP-date;
//!   an unparsable date header is ignored, as §13.1.3/§13.1.4 require.
//! * The ETag is nginx's, `"<mtime-seconds-hex>-<len-hex>"`: it changes
//!   when the file is rewritten (mtime, length), and it holds nothing local
//!   to one machine (no inode or device number), so replicas behind a load
//!   balancer serving copies of the same tree (same mtimes, as `rsync -t`,
//!   `cp -p` or an image keep them) give the same tag, and a client's
//!   `If-None-Match` hits whichever replica answers. It is "strong-ish": two
//!   writes within one second of equal length give the same tag, the
//!   trade-off nginx makes; `Last-Modified` has the same resolution.

use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{
    HeaderMap, HeaderName, HeaderValue, ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH,
    IF_UNMODIFIED_SINCE, LAST_MODIFIED,
};
use http::Method;
use httpdate::HttpDate;

use super::encoding::Encoding;
use super::resolve::FileMeta;

/// The validators of one representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// Entity-tag including its quotes, e.g. `"3b9aca00-1f4"` (weak, `W/"…"`, only when
    /// compressed on the fly).
    pub etag: String,
    /// Modification time truncated to whole seconds, if known.
    pub last_modified: Option<HttpDate>,
}

impl Validators {
    /// Computes the validators of a file from its metadata.
    pub fn from_meta(meta: &FileMeta) -> Validators {
        let secs = meta
            .modified
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_secs());
        Validators {
            etag: format!("\"{secs:x}-{:x}\"", meta.len),
            last_modified: meta.modified.map(HttpDate::from),
        }
    }

    /// The validators of a precompressed sibling (metadata `meta`) served with `encoding`:
    /// its own, with the coding appended inside the ETag's quotes (`"5f3a-1c-br"`), so two
    /// encodings of one URL never share an ETag even if their files had equal times and
    /// sizes.
    pub fn for_encoding(meta: &FileMeta, encoding: Encoding) -> Validators {
        let mut validators = Validators::from_meta(meta);
        validators.etag.pop();
        validators.etag.push('-');
        validators.etag.push_str(encoding.token());
        validators.etag.push('"');
        validators
    }

    /// The validators of the file (metadata `meta`) compressed on the fly with `encoding`:
    /// a weak ETag with the coding, `W/"5f3a-1c-gzip"`, since the bytes depend on the
    /// compressor (see [`super::compress`]); `Last-Modified` is the file's.
    pub fn weak_for_encoding(meta: &FileMeta, encoding: Encoding) -> Validators {
        let mut validators = Validators::for_encoding(meta, encoding);
        validators.etag.insert_str(0, "W/");
        validators
    }

    /// Writes `ETag` and (when known) `Last-Modified` into `headers`.
    pub fn write_headers(&self, headers: &mut HeaderMap) {
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            headers.insert(ETAG, v);
        }
        if let Some(lm) = self.last_modified {
            if let Ok(v) = HeaderValue::from_str(&lm.to_string()) {
                headers.insert(LAST_MODIFIED, v);
            }
        }
    }
}

/// Formats a time as an HTTP-date (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn http_date(t: SystemTime) -> String {
    httpdate::fmt_http_date(t)
}

/// Outcome of evaluating the preconditions of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// No precondition stops the request: go on (range, then body).
    Proceed,
    /// 304 Not Modified (GET/HEAD only).
    NotModified,
    /// 412 Precondition Failed.
    Failed,
}

/// One parsed member of an entity-tag list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct EntityTag<'a> {
    weak: bool,
    /// The opaque tag without quotes.
    opaque: &'a str,
}

/// Parses one entity-tag (`"x"` or `W/"x"`) from the start of `s`, returning
/// it and the rest of the input.
fn parse_one(s: &str) -> Option<(EntityTag<'_>, &str)> {
    let (weak, s) = match s.strip_prefix("W/") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let body = s.strip_prefix('"')?;
    let end = body.find('"')?;
    let opaque = &body[..end];
    // etagc = %x21 / %x23-7E / obs-text
    if opaque.bytes().any(|b| b < 0x21 || b == 0x7f) {
        return None;
    }
    Some((EntityTag { weak, opaque }, &body[end + 1..]))
}

/// A parsed `If-Match`/`If-None-Match` value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TagList<'a> {
    /// `*`
    Any,
    /// The tags that parsed; malformed members are skipped.
    Tags(Vec<EntityTag<'a>>),
}

/// Parses every header line of `name` as one entity-tag list; `None` when
/// the header is absent.
fn tag_list<'a>(headers: &'a HeaderMap, name: &HeaderName) -> Option<TagList<'a>> {
    let mut values = headers.get_all(name).iter().peekable();
    values.peek()?;
    let mut tags = Vec::new();
    for v in values {
        let Ok(s) = v.to_str() else { continue };
        let mut rest = s;
        loop {
            rest = rest.trim_start_matches([' ', '\t', ',']);
            if rest.is_empty() {
                break;
            }
            if let Some(after) = rest.strip_prefix('*') {
                if after.trim_start_matches([' ', '\t', ',']).is_empty() && tags.is_empty() {
                    return Some(TagList::Any);
                }
                rest = after;
                continue;
            }
            match parse_one(rest) {
                Some((tag, after)) => {
                    tags.push(tag);
                    rest = after;
                }
                None => match rest.find(',') {
                    Some(i) => rest = &rest[i + 1..],
                    None => break,
                },
            }
        }
    }
    Some(TagList::Tags(tags))
}

/// Strong comparison (RFC 9110 §8.8.3.2): both strong and identical.
fn strong_eq(a: &EntityTag<'_>, b: &EntityTag<'_>) -> bool {
    !a.weak && !b.weak && a.opaque == b.opaque
}

/// Weak comparison: identical opaque tags, weakness ignored.
fn weak_eq(a: &EntityTag<'_>, b: &EntityTag<'_>) -> bool {
    a.opaque == b.opaque
}

/// Parses our own ETag back into an [`EntityTag`].
fn own_tag(v: &Validators) -> Option<EntityTag<'_>> {
    parse_one(&v.etag).map(|(t, _)| t)
}

/// Whether an entity-tag header value (as in `If-Range`) strongly matches.
pub fn etag_strong_match(value: &str, v: &Validators) -> bool {
    match (parse_one(value.trim()), own_tag(v)) {
        (Some((theirs, rest)), Some(ours)) => rest.trim().is_empty() && strong_eq(&theirs, &ours),
        _ => false,
    }
}

/// Reads a header as an HTTP-date; `None` if absent, repeated or invalid.
pub fn header_date(headers: &HeaderMap, name: &HeaderName) -> Option<HttpDate> {
    let mut it = headers.get_all(name).iter();
    let first = it.next()?;
    if it.next().is_some() {
        return None;
    }
    first.to_str().ok()?.trim().parse().ok()
}

/// Evaluates If-Match, If-Unmodified-Since, If-None-Match and
/// If-Modified-Since in RFC 9110 §13.2.2 order.
pub fn evaluate(method: &Method, headers: &HeaderMap, v: &Validators) -> Precondition {
    let ours = own_tag(v);
    let get_or_head = method == Method::GET || method == Method::HEAD;

    // Step 1 / 2: If-Match, else If-Unmodified-Since.
    if let Some(list) = tag_list(headers, &IF_MATCH) {
        let hit = match list {
            TagList::Any => true,
            TagList::Tags(tags) => ours.is_some_and(|o| tags.iter().any(|t| strong_eq(t, &o))),
        };
        if !hit {
            return Precondition::Failed;
        }
    } else if let Some(since) = header_date(headers, &IF_UNMODIFIED_SINCE) {
        match v.last_modified {
            Some(lm) if lm <= since => {}
            _ => return Precondition::Failed,
        }
    }

    // Step 3 / 4: If-None-Match, else If-Modified-Since (GET/HEAD only).
    if let Some(list) = tag_list(headers, &IF_NONE_MATCH) {
        let hit = match list {
            TagList::Any => true,
            TagList::Tags(tags) => ours.is_some_and(|o| tags.iter().any(|t| weak_eq(t, &o))),
        };
        if hit {
            return if get_or_head {
                Precondition::NotModified
            } else {
                Precondition::Failed
            };
        }
    } else if get_or_head {
        if let (Some(since), Some(lm)) = (header_date(headers, &IF_MODIFIED_SINCE), v.last_modified)
        {
            if lm <= since {
                return Precondition::NotModified;
            }
        }
    }
    Precondition::Proceed
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// Metadata with mtime 1_000_000_000.5 s, length 500, inode 42.
    fn meta() -> FileMeta {
        FileMeta {
            len: 500,
            modified: Some(UNIX_EPOCH + Duration::new(1_000_000_000, 500_000_000)),
            ino: 42,
            dev: 1,
        }
    }

    fn date(secs: u64) -> String {
        http_date(UNIX_EPOCH + Duration::from_secs(secs))
    }

    #[test]
    fn etag_format() {
        let v = Validators::from_meta(&meta());
        assert_eq!(v.etag, "\"3b9aca00-1f4\"");
        let mut h = HeaderMap::new();
        v.write_headers(&mut h);
        assert_eq!(h[ETAG], "\"3b9aca00-1f4\"");
        assert_eq!(h[LAST_MODIFIED], "Sun, 09 Sep 2001 01:46:40 GMT");
        // Another copy of the file (another inode, device) on a replica: the same tag.
        let copy = Validators::from_meta(&FileMeta {
            ino: 43,
            dev: 7,
            ..meta()
        });
        assert_eq!(v.etag, copy.etag);
        for changed in [
            FileMeta { len: 501, ..meta() },
            FileMeta {
                modified: Some(UNIX_EPOCH + Duration::from_secs(1_000_000_001)),
                ..meta()
            },
        ] {
            assert_ne!(v.etag, Validators::from_meta(&changed).etag);
        }
    }

    #[test]
    fn etag_per_encoding() {
        let tags: Vec<String> = Encoding::PREFERENCE
            .iter()
            .map(|&e| Validators::for_encoding(&meta(), e).etag)
            .collect();
        assert_eq!(
            tags,
            [
                "\"3b9aca00-1f4-br\"",
                "\"3b9aca00-1f4-zstd\"",
                "\"3b9aca00-1f4-gzip\""
            ]
        );
        let v = Validators::for_encoding(&meta(), Encoding::Gzip);
        assert!(etag_strong_match("\"3b9aca00-1f4-gzip\"", &v));
        assert!(!etag_strong_match("\"3b9aca00-1f4\"", &v));
    }

    #[test]
    fn evaluate_table() {
        let v = Validators::from_meta(&meta());
        let tag = v.etag.clone();
        let weak = format!("W/{tag}");
        let (older, same, newer) = (date(999_999_999), date(1_000_000_000), date(1_000_000_001));
        use Precondition::*;
        type Row = (Method, Vec<(HeaderName, String)>, Precondition);
        let cases: Vec<Row> = vec![
            (Method::GET, vec![], Proceed),
            // If-None-Match
            (Method::GET, vec![(IF_NONE_MATCH, tag.clone())], NotModified),
            (
                Method::HEAD,
                vec![(IF_NONE_MATCH, tag.clone())],
                NotModified,
            ),
            (
                Method::GET,
                vec![(IF_NONE_MATCH, weak.clone())],
                NotModified,
            ),
            (Method::GET, vec![(IF_NONE_MATCH, "*".into())], NotModified),
            (Method::GET, vec![(IF_NONE_MATCH, "\"x\"".into())], Proceed),
            (
                Method::GET,
                vec![(IF_NONE_MATCH, format!("\"a\", W/\"b\" ,{tag}"))],
                NotModified,
            ),
            (
                Method::GET,
                vec![(IF_NONE_MATCH, format!("\"a,b\", {tag}"))],
                NotModified,
            ),
            (
                Method::GET,
                vec![(IF_NONE_MATCH, format!("garbage, {tag}"))],
                NotModified,
            ),
            (
                Method::GET,
                vec![
                    (IF_NONE_MATCH, "\"a\"".into()),
                    (IF_NONE_MATCH, tag.clone()),
                ],
                NotModified,
            ),
            (
                Method::GET,
                vec![(IF_NONE_MATCH, tag[..tag.len() - 1].to_string())],
                Proceed,
            ),
            (Method::POST, vec![(IF_NONE_MATCH, tag.clone())], Failed),
            (Method::POST, vec![(IF_NONE_MATCH, "\"x\"".into())], Proceed),
            // If-Modified-Since
            (
                Method::GET,
                vec![(IF_MODIFIED_SINCE, same.clone())],
                NotModified,
            ),
            (
                Method::GET,
                vec![(IF_MODIFIED_SINCE, newer.clone())],
                NotModified,
            ),
            (
                Method::GET,
                vec![(IF_MODIFIED_SINCE, older.clone())],
                Proceed,
            ),
            (
                Method::GET,
                vec![(IF_MODIFIED_SINCE, "yesterday".into())],
                Proceed,
            ),
            (
                Method::POST,
                vec![(IF_MODIFIED_SINCE, same.clone())],
                Proceed,
            ),
            // If-None-Match takes precedence over If-Modified-Since.
            (
                Method::GET,
                vec![
                    (IF_NONE_MATCH, "\"x\"".into()),
                    (IF_MODIFIED_SINCE, newer.clone()),
                ],
                Proceed,
            ),
            (
                Method::GET,
                vec![
                    (IF_NONE_MATCH, tag.clone()),
                    (IF_MODIFIED_SINCE, older.clone()),
                ],
                NotModified,
            ),
            // If-Match (strong comparison)
            (Method::GET, vec![(IF_MATCH, tag.clone())], Proceed),
            (Method::GET, vec![(IF_MATCH, "*".into())], Proceed),
            (Method::GET, vec![(IF_MATCH, weak.clone())], Failed),
            (Method::GET, vec![(IF_MATCH, "\"x\"".into())], Failed),
            (
                Method::GET,
                vec![(IF_MATCH, format!("\"x\", {tag}"))],
                Proceed,
            ),
            // If-Unmodified-Since, ignored when If-Match is present.
            (
                Method::GET,
                vec![(IF_UNMODIFIED_SINCE, same.clone())],
                Proceed,
            ),
            (
                Method::GET,
                vec![(IF_UNMODIFIED_SINCE, older.clone())],
                Failed,
            ),
            (
                Method::GET,
                vec![(IF_UNMODIFIED_SINCE, "bogus".into())],
                Proceed,
            ),
            (
                Method::GET,
                vec![
                    (IF_MATCH, tag.clone()),
                    (IF_UNMODIFIED_SINCE, older.clone()),
                ],
                Proceed,
            ),
            // 412 beats 304.
            (
                Method::GET,
                vec![(IF_MATCH, "\"x\"".into()), (IF_NONE_MATCH, tag.clone())],
                Failed,
            ),
        ];
        for (method, hs, want) in cases {
            let mut headers = HeaderMap::new();
            for (n, val) in &hs {
                headers.append(n.clone(), HeaderValue::from_str(val).unwrap());
            }
            assert_eq!(evaluate(&method, &headers, &v), want, "{method} {hs:?}");
        }
    }

    #[test]
    fn unknown_mtime() {
        let v = Validators::from_meta(&FileMeta {
            modified: None,
            ..meta()
        });
        let mut h = HeaderMap::new();
        h.insert(IF_MODIFIED_SINCE, HeaderValue::from_str(&date(5)).unwrap());
        assert_eq!(evaluate(&Method::GET, &h, &v), Precondition::Proceed);
        let mut h = HeaderMap::new();
        h.insert(
            IF_UNMODIFIED_SINCE,
            HeaderValue::from_str(&date(5)).unwrap(),
        );
        assert_eq!(evaluate(&Method::GET, &h, &v), Precondition::Failed);
    }

    #[test]
    fn strong_match_table() {
        let v = Validators::from_meta(&meta());
        let cases = [
            (v.etag.clone(), true),
            (format!(" {} ", v.etag), true),
            (format!("W/{}", v.etag), false),
            ("\"other\"".to_string(), false),
            (format!("{}, \"x\"", v.etag), false),
            ("*".to_string(), false),
        ];
        for (value, want) in cases {
            assert_eq!(etag_strong_match(&value, &v), want, "{value}");
        }
    }
}
