//! Link extraction from HTML through lol_html's streaming tokenizer: the page is fed chunk
//! by chunk as it arrives, and the URL-bearing attributes are collected.
//!
//! Followed: `a[href]`, `area[href]`, `link[href]`, `iframe[src]`, `img[src]`, `img[srcset]`,
//! `source[src]`, `source[srcset]` and `script[src]`. Values are resolved against the first
//! `<base href>` of the page (wherever it stands, as the HTML standard's document base URL),
//! else the page URL. Attribute values arrive raw from lol_html, so character references
//! (`&amp;`, `&#x2F;`, every named one) are decoded with html-escape before resolving.
//!
//! Invariants: `rel=nofollow` on an `a`, `area` or `link` marks that link, and
//! `<meta name=robots content=nofollow>` marks every link of the page; fragments are dropped;
//! the result has no duplicates (a link seen both with and without nofollow is followable)
//! and keeps first-seen order; a value that does not resolve to a URL is ignored.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use lol_html::{element, HtmlRewriter, Settings};
use url::Url;

/// One link of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The absolute URL, fragment dropped.
    pub url: Url,
    /// Marked `rel=nofollow` (or the page is `<meta name=robots content=nofollow>`).
    pub nofollow: bool,
}

/// The raw attribute values found so far.
#[derive(Default)]
struct Found {
    /// (decoded value, nofollow) in document order.
    values: Vec<(String, bool)>,
    base: Option<String>,
    page_nofollow: bool,
}

/// A streaming link extractor for one page.
pub struct Extractor {
    rewriter: HtmlRewriter<'static, fn(&[u8])>,
    found: Rc<RefCell<Found>>,
    page: Url,
}

fn has_nofollow(rel: Option<String>) -> bool {
    rel.is_some_and(|r| {
        r.split_ascii_whitespace()
            .any(|t| t.eq_ignore_ascii_case("nofollow"))
    })
}

fn discard(_: &[u8]) {}

/// An attribute value with its character references decoded and surrounding whitespace
/// dropped (URL attributes are "valid URLs potentially surrounded by spaces").
fn decode(raw: &str) -> String {
    html_escape::decode_html_entities(raw.trim())
        .trim()
        .to_owned()
}

impl Extractor {
    /// An extractor for the page at `page`.
    pub fn new(page: &Url) -> Extractor {
        let found = Rc::new(RefCell::new(Found::default()));
        let (f1, f2, f3, f4) = (found.clone(), found.clone(), found.clone(), found.clone());
        let settings = Settings {
            element_content_handlers: vec![
                element!("a[href], area[href], link[href]", move |el| {
                    if let Some(v) = el.get_attribute("href") {
                        let nofollow = has_nofollow(el.get_attribute("rel"));
                        f1.borrow_mut().values.push((decode(&v), nofollow));
                    }
                    Ok(())
                }),
                element!(
                    "img[src], iframe[src], script[src], source[src], img[srcset], source[srcset]",
                    move |el| {
                        let mut f = f2.borrow_mut();
                        if let Some(v) = el.get_attribute("src") {
                            f.values.push((decode(&v), false));
                        }
                        if let Some(set) = el.get_attribute("srcset") {
                            let set = decode(&set);
                            for candidate in srcset(&set) {
                                f.values.push((candidate.to_owned(), false));
                            }
                        }
                        Ok(())
                    }
                ),
                element!("base[href]", move |el| {
                    let mut f = f3.borrow_mut();
                    if f.base.is_none() {
                        f.base = el.get_attribute("href").map(|b| decode(&b));
                    }
                    Ok(())
                }),
                element!("meta[name][content]", move |el| {
                    let robots = el
                        .get_attribute("name")
                        .is_some_and(|n| n.eq_ignore_ascii_case("robots"));
                    let content = el.get_attribute("content").unwrap_or_default();
                    if robots
                        && content
                            .split(',')
                            .any(|t| t.trim().eq_ignore_ascii_case("nofollow"))
                    {
                        f4.borrow_mut().page_nofollow = true;
                    }
                    Ok(())
                }),
            ],
            ..Settings::new()
        };
        Extractor {
            rewriter: HtmlRewriter::new(settings, discard as fn(&[u8])),
            found,
            page: page.clone(),
        }
    }

    /// Feeds the next chunk of the page.
    pub fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.rewriter.write(chunk).map_err(|e| e.to_string())
    }

    /// Ends the page and returns its links.
    pub fn finish(self) -> Result<Vec<Link>, String> {
        self.rewriter.end().map_err(|e| e.to_string())?;
        let found = std::mem::take(&mut *self.found.borrow_mut());
        let base = found
            .base
            .and_then(|b| self.page.join(&b).ok())
            .unwrap_or(self.page);
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut out: Vec<Link> = Vec::new();
        for (value, nofollow) in found.values {
            if value.is_empty() {
                continue;
            }
            let Ok(mut url) = base.join(&value) else {
                continue;
            };
            url.set_fragment(None);
            let nofollow = nofollow || found.page_nofollow;
            match index.get(url.as_str()) {
                Some(&i) => out[i].nofollow &= nofollow,
                None => {
                    index.insert(url.as_str().to_owned(), out.len());
                    out.push(Link { url, nofollow });
                }
            }
        }
        Ok(out)
    }
}

/// The URLs of a `srcset` value (HTML standard, "parse a srcset attribute"): candidates are
/// separated by commas; each is a URL (a run of non-whitespace, trailing commas not part of
/// it) and optional descriptors, which may contain parenthesised commas.
pub fn srcset(value: &str) -> Vec<&str> {
    let bytes = value.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let mut url = &value[start..i];
        let ended_by_comma = url.ends_with(',');
        url = url.trim_end_matches(',');
        if !url.is_empty() {
            out.push(url);
        }
        if ended_by_comma {
            continue;
        }
        let mut depth = 0u32;
        while i < bytes.len() {
            match bytes[i] {
                b'(' => depth += 1,
                b')' => depth = depth.saturating_sub(1),
                b',' if depth == 0 => break,
                _ => {}
            }
            i += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The links of a whole page (for tests and small inputs).
    fn extract(html: &str, page: &Url) -> Vec<Link> {
        let mut e = Extractor::new(page);
        match e.write(html.as_bytes()) {
            Ok(()) => e.finish().unwrap_or_default(),
            Err(_) => Vec::new(),
        }
    }

    fn links(html: &str, page: &str) -> Vec<(String, bool)> {
        extract(html, &Url::parse(page).unwrap())
            .into_iter()
            .map(|l| (String::from(l.url), l.nofollow))
            .collect()
    }

    fn urls(html: &str, page: &str) -> Vec<String> {
        links(html, page).into_iter().map(|(u, _)| u).collect()
    }

    #[test]
    fn sources_quoting_and_case() {
        let html = r#"<a href="/a">x</a> <A HREF='b'>y</A> <a href = "c#frag"> <a
            href=d.html> <a data-href="/no"> <link Href  =  '/style.css'>
            <img src="/i.png" srcset="/i1.png 1x, /i2.png 2x"> <script src="/s.js"></script>
            <iframe src="/f.html"></iframe> <picture><source srcset="/p.webp"></picture>
            <video><source src="/v.mp4"></video> <div src="/no2"></div>"#;
        assert_eq!(
            urls(html, "http://h.test/dir/page"),
            [
                "http://h.test/a",
                "http://h.test/dir/b",
                "http://h.test/dir/c",
                "http://h.test/dir/d.html",
                "http://h.test/style.css",
                "http://h.test/i.png",
                "http://h.test/i1.png",
                "http://h.test/i2.png",
                "http://h.test/s.js",
                "http://h.test/f.html",
                "http://h.test/p.webp",
                "http://h.test/v.mp4",
            ]
        );
    }

    #[test]
    fn comments_scripts_and_unterminated_quotes() {
        // A real tokenizer: nothing in comments or script text, and an unterminated quote
        // does not end the scan of what came before.
        let html = r#"<a href="/before">b</a><!-- <a href="/comment"> -->
            <script>var s = '<a href="/in-script">';</script><a href='/never closed"#;
        assert_eq!(urls(html, "http://h.test/"), ["http://h.test/before"]);
    }

    #[test]
    fn base_entities_and_dedup() {
        // The base applies to links before it too.
        let html = r##"<a href="x?a=1&amp;b=2"></a><base href="http://other.test/base/">
            <a href="x?a=1&b=2"> <a href="http://abs.test/"> <a href="#only-fragment">
            <a href=""> <a href="&#x2F;slash">"##;
        assert_eq!(
            urls(html, "http://h.test/"),
            [
                "http://other.test/base/x?a=1&b=2",
                "http://abs.test/",
                "http://other.test/base/",
                "http://other.test/slash",
            ]
        );
    }

    #[test]
    fn nofollow() {
        let html = r#"<a href="/n" rel="external NoFollow">n</a> <a href="/f">f</a>
            <a href="/both" rel=nofollow></a><a href="/both"></a>"#;
        assert_eq!(
            links(html, "http://h.test/"),
            [
                ("http://h.test/n".to_owned(), true),
                ("http://h.test/f".to_owned(), false),
                ("http://h.test/both".to_owned(), false),
            ]
        );
        let meta = r#"<meta name="ROBOTS" content="noindex, nofollow"><a href="/x">"#;
        assert_eq!(
            links(meta, "http://h.test/"),
            [("http://h.test/x".to_owned(), true)]
        );
    }

    #[test]
    fn srcset_candidates() {
        assert_eq!(srcset("a.png 1x,b.png 2x"), ["a.png", "b.png"]);
        // A comma inside a URL is part of it; only trailing ones end it.
        assert_eq!(srcset(" a.png, b.png,c.png "), ["a.png", "b.png,c.png"]);
        assert_eq!(srcset("a.png,, b.png"), ["a.png", "b.png"]);
        assert_eq!(
            srcset("a.png 100w (max-width: 1px, x), b,c.png"),
            ["a.png", "b,c.png"]
        );
        assert!(srcset(" , ,").is_empty());
    }

    #[test]
    fn chunks_split_anywhere() {
        let html = br#"<base href="/b/"><a href="x">x</a><img srcset="y.png 1x">"#;
        let page = Url::parse("http://h.test/").unwrap();
        for at in 0..html.len() {
            let mut e = Extractor::new(&page);
            e.write(&html[..at]).unwrap();
            e.write(&html[at..]).unwrap();
            let got: Vec<String> = e
                .finish()
                .unwrap()
                .into_iter()
                .map(|l| l.url.into())
                .collect();
            assert_eq!(
                got,
                ["http://h.test/b/x", "http://h.test/b/y.png"],
                "split at {at}"
            );
        }
    }
}
