//! Link extraction from HTML: `href` attribute values, resolved to absolute URLs.
//!
//! Invariants: only `href` attributes are read (any case, whitespace allowed around `=`,
//! value in double quotes, single quotes or unquoted); `href` must start an attribute (be
//! preceded by whitespace), so `data-href` does not count; values are resolved against
//! `<base href>` if the page has one, else the page URL; fragments are dropped; the result
//! has no duplicates and keeps first-seen order. This is a scanner, not an HTML parser:
//! comments and scripts are scanned like the rest, which errs on the side of finding more.

use std::collections::HashSet;

use url::Url;

/// The absolute URLs `html` links to, from a page at `page`.
///
/// ```text
/// <a HREF = 'b.html#top'>  on http://x/a/  →  http://x/a/b.html
/// ```
pub fn extract(html: &str, page: &Url) -> Vec<Url> {
    let base = base_href(html)
        .and_then(|b| page.join(&b).ok())
        .unwrap_or_else(|| page.clone());
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for value in hrefs(html) {
        let value = decode_entities(value.trim());
        if value.is_empty() {
            continue;
        }
        let Ok(mut url) = base.join(&value) else {
            continue;
        };
        url.set_fragment(None);
        if seen.insert(url.as_str().to_owned()) {
            out.push(url);
        }
    }
    out
}

/// Every `href` value in `html`, in order.
fn hrefs(html: &str) -> impl Iterator<Item = &str> {
    let bytes = html.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while let Some(found) = find_ci(&bytes[pos..], b"href") {
            let at = pos + found;
            pos = at + 4;
            if at == 0 || !bytes[at - 1].is_ascii_whitespace() {
                continue;
            }
            let mut i = skip_ws(bytes, pos);
            if bytes.get(i) != Some(&b'=') {
                continue;
            }
            i = skip_ws(bytes, i + 1);
            let (start, end) = match bytes.get(i) {
                Some(&q @ (b'"' | b'\'')) => {
                    let start = i + 1;
                    let len = bytes[start..].iter().position(|&b| b == q)?;
                    (start, start + len)
                }
                Some(_) => {
                    let len = bytes[i..]
                        .iter()
                        .position(|&b| b.is_ascii_whitespace() || b == b'>')
                        .unwrap_or(bytes.len() - i);
                    (i, i + len)
                }
                None => return None,
            };
            pos = end;
            // Quotes and whitespace are ASCII, so these are char boundaries.
            return Some(&html[start..end]);
        }
        None
    })
}

/// The `href` of the first `<base>` tag, if any.
fn base_href(html: &str) -> Option<String> {
    let bytes = html.as_bytes();
    let mut pos = 0;
    while let Some(found) = find_ci(&bytes[pos..], b"<base") {
        let start = pos + found;
        pos = start + 5;
        if !bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
            continue;
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| b == b'>')
            .map_or(bytes.len(), |n| start + n);
        let tag = &html[start..end];
        return hrefs(tag).next().map(|v| decode_entities(v.trim()));
    }
    None
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while bytes.get(i).is_some_and(|b| b.is_ascii_whitespace()) {
        i += 1;
    }
    i
}

/// ASCII case-insensitive search for `needle` (lowercase) in `hay`.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Decodes the character references that commonly appear in URLs.
fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_owned();
    }
    s.replace("&amp;", "&")
        .replace("&#38;", "&")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(html: &str, page: &str) -> Vec<String> {
        extract(html, &Url::parse(page).unwrap())
            .into_iter()
            .map(String::from)
            .collect()
    }

    #[test]
    fn quoting_case_and_spacing() {
        let html = r#"<a href="/a">x</a> <A HREF='b'>y</A> <a href = "c#frag"> <a
            href=d.html> <a data-href="/no"> <link Href  =  '/style.css'>"#;
        assert_eq!(
            links(html, "http://h.test/dir/page"),
            [
                "http://h.test/a",
                "http://h.test/dir/b",
                "http://h.test/dir/c",
                "http://h.test/dir/d.html",
                "http://h.test/style.css",
            ]
        );
    }

    #[test]
    fn absolute_dedup_entities_and_base() {
        let html = r##"<base href="http://other.test/base/"><a href="x?a=1&amp;b=2">
            <a href="x?a=1&b=2"> <a href="http://abs.test/"> <a href="#only-fragment">
            <a href="">"##;
        assert_eq!(
            links(html, "http://h.test/"),
            [
                // The base tag's own href is a link too.
                "http://other.test/base/",
                "http://other.test/base/x?a=1&b=2",
                "http://abs.test/",
            ]
        );
    }

    #[test]
    fn unterminated_and_odd_input() {
        assert!(links("<a href='never closed", "http://h.test/").is_empty());
        assert!(links("href", "http://h.test/").is_empty());
        assert!(links(" href=", "http://h.test/").is_empty());
        assert_eq!(links(" href=é", "http://h.test/"), ["http://h.test/%C3%A9"]);
    }
}
