//! Sitemap seeding: `--sitemap URL` and the Sitemap lines of robots.txt, parsed with
//! quick-xml (sitemaps.org protocol 0.9: a `<urlset>` of `<url><loc>` or a `<sitemapindex>`
//! of `<sitemap><loc>`).
//!
//! Invariants: [`parse`] is sans-I/O; an index's sitemaps are fetched in turn, each once, at
//! most [`MAX_SITEMAPS`] in all, each read up to [`MAX_SITEMAP`] bytes (the protocol's own
//! limit); a sitemap that fails to load or parse is reported and skipped, never fatal.

use std::collections::HashSet;

use corio_http::client::{Client, ClientRequest};
use quick_xml::events::Event;
use quick_xml::Reader;
use url::Url;

use super::engine::read_limited;

/// The most sitemap files read in one crawl: bounds the work a sitemap index loop can cause.
pub const MAX_SITEMAPS: usize = 1000;
/// The largest sitemap read (50 MB uncompressed, the protocol's limit).
pub const MAX_SITEMAP: u64 = 50 * 1000 * 1000;

/// What a sitemap file lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sitemap {
    /// Pages (`<urlset>`).
    Pages(Vec<String>),
    /// Other sitemaps (`<sitemapindex>`).
    Index(Vec<String>),
}

/// Parses a sitemap or sitemap index.
pub fn parse(xml: &[u8]) -> Result<Sitemap, String> {
    let mut reader = Reader::from_reader(xml);
    let mut root: Option<Vec<u8>> = None;
    let mut in_loc = false;
    let mut locs = Vec::new();
    let mut text = String::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                let name = e.local_name().as_ref().to_vec();
                if root.is_none() {
                    root = Some(name);
                } else if name == b"loc" {
                    in_loc = true;
                    text.clear();
                }
            }
            Ok(Event::Text(t)) if in_loc => {
                let t = t.unescape().map_err(|e| e.to_string())?;
                text.push_str(&t);
            }
            Ok(Event::CData(t)) if in_loc => {
                text.push_str(&String::from_utf8_lossy(&t));
            }
            Ok(Event::End(e)) if in_loc && e.local_name().as_ref() == b"loc" => {
                in_loc = false;
                let loc = text.trim();
                if !loc.is_empty() {
                    locs.push(loc.to_owned());
                }
            }
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "XML error at byte {}: {e}",
                    reader.error_position()
                ))
            }
        }
    }
    match root.as_deref() {
        Some(b"urlset") => Ok(Sitemap::Pages(locs)),
        Some(b"sitemapindex") => Ok(Sitemap::Index(locs)),
        Some(other) => Err(format!(
            "not a sitemap: root element <{}>",
            String::from_utf8_lossy(other)
        )),
        None => Err("not a sitemap: no root element".into()),
    }
}

/// Fetches the sitemaps at `start` (and those their indexes list) and returns the page URLs
/// they name, with a warning per sitemap that could not be used.
pub async fn pages(client: &Client, start: Vec<Url>) -> (Vec<Url>, Vec<String>) {
    let mut todo = start;
    let mut seen = HashSet::new();
    let mut pages = Vec::new();
    let mut warnings = Vec::new();
    while let Some(url) = todo.pop() {
        if !seen.insert(url.clone()) {
            continue;
        }
        if seen.len() > MAX_SITEMAPS {
            warnings.push(format!("sitemap {url}: more than {MAX_SITEMAPS} sitemaps"));
            break;
        }
        let loaded = async {
            let mut resp = client
                .send_streaming(ClientRequest::get(url.as_str()))
                .await
                .map_err(|e| e.to_string())?;
            if !resp.status.is_success() {
                return Err(format!("status {}", resp.status.as_u16()));
            }
            let (body, _) = read_limited(&mut resp.body, MAX_SITEMAP)
                .await
                .map_err(|e| e.to_string())?;
            parse(&body)
        }
        .await;
        let locs = match loaded {
            Ok(Sitemap::Pages(locs)) => locs,
            Ok(Sitemap::Index(locs)) => {
                todo.extend(locs.iter().rev().filter_map(|l| url.join(l).ok()));
                continue;
            }
            Err(e) => {
                warnings.push(format!("sitemap {url}: {e}"));
                continue;
            }
        };
        pages.extend(locs.iter().filter_map(|l| url.join(l).ok()));
    }
    (pages, warnings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urlset_and_index() {
        let set = br#"<?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
              <url><loc> http://h.test/a?x=1&amp;y=2 </loc><lastmod>2024-01-01</lastmod></url>
              <url><loc><![CDATA[http://h.test/b]]></loc></url>
            </urlset>"#;
        assert_eq!(
            parse(set),
            Ok(Sitemap::Pages(vec![
                "http://h.test/a?x=1&y=2".into(),
                "http://h.test/b".into()
            ]))
        );
        let index = br#"<sm:sitemapindex xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sm:sitemap><sm:loc>http://h.test/s1.xml</sm:loc></sm:sitemap></sm:sitemapindex>"#;
        assert_eq!(
            parse(index),
            Ok(Sitemap::Index(vec!["http://h.test/s1.xml".into()]))
        );
        assert!(parse(b"<html><a>x</a></html>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<urlset><url><loc>x</url>").is_err());
    }
}
