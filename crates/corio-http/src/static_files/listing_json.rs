//! The JSON listing, for scripts (`?format=json` or `Accept: application/json`).
//!
//! ```json
//! {"path": "/docs/", "entries": [
//!   {"name": "img", "type": "directory", "href": "./img/", "size": null,
//!    "modified": "2026-11-30T09:44:38Z"},
//!   {"name": "a b.txt", "type": "file", "href": "./a%20b.txt", "size": 12,
//!    "modified": "2026-11-30T09:44:38Z"}
//! ], "truncated": false}
//! ```
//!
//! Entries come in the same order as on the HTML page (the view's sort); `modified` is
//! RFC 3339 UTC (`null` when unknown); `href` is relative to the listing's URL, as on the
//! page. serde_json escapes every string, so any file name gives valid JSON.

use std::time::SystemTime;

use serde_json::{json, Value};

use super::listing::{sort_entries, Entries};
use super::listing_html::{display_path, entry_href, Page};

/// Renders the listing of `page`'s directory as JSON.
pub fn render(page: &Page<'_>, listing: &Entries) -> String {
    let mut entries = listing.entries.clone();
    sort_entries(&mut entries, &page.view);
    let entries: Vec<Value> = entries
        .iter()
        .map(|e| {
            json!({
                "name": e.name,
                "type": if e.is_dir { "directory" } else { "file" },
                "href": entry_href(&e.name, e.is_dir),
                "size": if e.is_dir { None } else { Some(e.size) },
                "modified": rfc3339(e.modified),
            })
        })
        .collect();
    let mut out = json!({
        "path": display_path(page),
        "entries": entries,
        "truncated": listing.truncated,
    })
    .to_string();
    out.push('\n');
    out
}

/// `2026-11-30T09:44:38Z`, or `None` when the time is unknown or before 1970.
fn rfc3339(t: Option<SystemTime>) -> Option<String> {
    t.filter(|t| *t >= std::time::UNIX_EPOCH)
        .map(crate::proto::date::rfc3339)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::static_files::listing::{DirEntry, ListingView, SortKey, SortOrder};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn json_listing() {
        let listing = Entries {
            entries: vec![
                DirEntry {
                    name: "big \"one\"\n".into(),
                    is_dir: false,
                    size: 2048,
                    modified: Some(UNIX_EPOCH + Duration::from_secs(1_000_000_000)),
                },
                DirEntry {
                    name: "small".into(),
                    is_dir: false,
                    size: 1,
                    modified: None,
                },
                DirEntry {
                    name: "sub".into(),
                    is_dir: true,
                    size: 4096,
                    modified: Some(UNIX_EPOCH),
                },
            ],
            truncated: false,
        };
        let segments = ["d".to_string()];
        let page = Page {
            prefix: "",
            segments: &segments,
            view: ListingView {
                sort: SortKey::Size,
                order: SortOrder::Descending,
                ..ListingView::default()
            },
        };
        let value: Value = serde_json::from_str(&render(&page, &listing)).unwrap();
        assert_eq!(
            value,
            json!({
                "path": "/d/",
                "truncated": false,
                "entries": [
                    {"name": "sub", "type": "directory", "href": "./sub/", "size": null,
                     "modified": "1970-01-01T00:00:00Z"},
                    {"name": "big \"one\"\n", "type": "file", "href": "./big%20%22one%22%0A",
                     "size": 2048, "modified": "2001-09-09T01:46:40Z"},
                    {"name": "small", "type": "file", "href": "./small", "size": 1,
                     "modified": null},
                ]
            })
        );
    }
}
