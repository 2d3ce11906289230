//! The HTML listing page: readable, responsive, with breadcrumbs and sortable columns.
//!
//! Pure: [`render`] turns entries read by [`read_entries`](super::listing::read_entries)
//! into a self-contained page (inline CSS and icons, no script, nothing fetched from
//! elsewhere).
//!
//! # Invariants
//!
//! * Every name and the title are HTML-escaped (`< > & " '`), so a file called `<script>` is
//!   text, not markup.
//! * Every entry `href` is `./` followed by the percent-encoded name ([`SEGMENT_ENCODE`]:
//!   spaces, `#`, `?`, `%`, quotes, `:` and non-ASCII are encoded). The `./` prefix stops a
//!   name such as `javascript:x` from being read as a URL scheme. Hrefs are relative, so the
//!   page must be served at a URL ending in `/` (the service redirects `/dir` → `/dir/`).
//! * Every level above the directory is a link (the breadcrumbs in the title: `../`,
//!   `../../`, ...), and a `../` row leads to the parent, except at the root.
//! * Column headers link to the same directory sorted by that column; links to
//!   subdirectories keep a non-default sort, so browsing keeps the order chosen.

use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

use percent_encoding::utf8_percent_encode;

use super::listing::{sort_entries, Entries, ListingView, SortKey, SortOrder, MAX_LISTING_ENTRIES};
use super::path::SEGMENT_ENCODE;

/// What the page shows besides the entries: where the directory is and how to sort it.
#[derive(Debug, Clone, Copy)]
pub struct Page<'a> {
    /// Mount prefix as it appears in URLs (`""` or `/static`).
    pub prefix: &'a str,
    /// Decoded segments of the directory below the mount (empty for its root).
    pub segments: &'a [String],
    /// Sort key and order.
    pub view: ListingView,
}

/// The page's style: system fonts, a centred column, light and dark schemes, and on narrow
/// screens the time column hidden so names keep their room.
const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1f2328;--muted:#656d76;--bg:#fff;--line:#d8dee4;\
--hover:#f6f8fa;--link:#0969da}\
@media(prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#8d96a0;--bg:#0d1117;\
--line:#30363d;--hover:#161b22;--link:#4493f8}}\
*{box-sizing:border-box}\
body{margin:0;background:var(--bg);color:var(--fg);\
font:15px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Noto Sans\",sans-serif}\
main{max-width:64rem;margin:0 auto;padding:1.5rem 1rem 3rem}\
h1{font-size:1.35rem;font-weight:600;margin:0 0 1rem;overflow-wrap:anywhere}\
h1 .lead{color:var(--muted);font-weight:400}\
h1 .sep{color:var(--muted);font-weight:400;margin:0 .3em}h1 .root{margin-right:.3em}\
a{color:var(--link);text-decoration:none}a:hover{text-decoration:underline}\
table{width:100%;border-collapse:collapse;table-layout:auto}\
th,td{padding:.45rem .75rem;border-bottom:1px solid var(--line);text-align:left}\
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);\
font-weight:600}\
th a{color:inherit}\
tbody tr:hover{background:var(--hover)}\
td.n{overflow-wrap:anywhere;width:100%}\
td.s,td.m,th.s,th.m{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}\
td.s,td.m{color:var(--muted)}\
td.n a{display:inline-block;padding-left:1.6rem;background-repeat:no-repeat;\
background-position:0 .2rem;background-size:1.05rem}\
a.d{background-image:url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 16 16'%3E%3Cpath fill='%2354aeff' d='M1 3.5A1.5 1.5 0 0 1 2.5 2h3.6l1.6 \
1.6h5.8A1.5 1.5 0 0 1 15 5.1v7.4a1.5 1.5 0 0 1-1.5 1.5h-11A1.5 1.5 0 0 1 1 12.5z'/%3E\
%3C/svg%3E\")}\
a.f{background-image:url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 16 16'%3E%3Cpath fill='%238c959f' d='M3.5 1h6L13 4.5v9A1.5 1.5 0 0 1 11.5 \
15h-8A1.5 1.5 0 0 1 2 13.5v-11A1.5 1.5 0 0 1 3.5 1z'/%3E%3Cpath fill='%23d0d7de' \
d='M9.5 1v3.5H13z'/%3E%3C/svg%3E\")}\
a.u{background-image:url(\"data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' \
viewBox='0 0 16 16'%3E%3Cpath fill='none' stroke='%238c959f' stroke-width='1.6' \
d='M8 13V3M3.5 7.5 8 3l4.5 4.5'/%3E%3C/svg%3E\")}\
footer{margin-top:1rem;color:var(--muted);font-size:.85rem}\
@media(max-width:40rem){th.m,td.m{display:none}main{padding:1rem .5rem}\
th,td{padding:.45rem .4rem}}";

/// Renders the listing page of `page`'s directory.
pub fn render(page: &Page<'_>, listing: &Entries) -> String {
    let mut entries = listing.entries.clone();
    sort_entries(&mut entries, &page.view);
    let title = html_escape(&display_path(page));
    let mut html = String::with_capacity(4096 + entries.len() * 256);
    // Writing to a String cannot fail; the results are ignored.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Index of {title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <h1><span class=\"lead\">Index of</span> {}</h1>\n<table>\n<thead><tr>{}{}{}</tr>\
         </thead>\n<tbody>\n",
        breadcrumbs(page),
        column_header(page.view, SortKey::Name, "Name", "n"),
        column_header(page.view, SortKey::Size, "Size", "s"),
        column_header(page.view, SortKey::Time, "Modified (UTC)", "m"),
    );
    if !page.segments.is_empty() {
        html.push_str(
            "<tr><td class=\"n\"><a class=\"u\" href=\"../\">../</a></td>\
             <td class=\"s\"></td><td class=\"m\"></td></tr>\n",
        );
    }
    let keep_view = if page.view.sort == SortKey::Name && page.view.order == SortOrder::Ascending {
        String::new()
    } else {
        sort_query(page.view.sort, page.view.order)
    };
    let (mut dirs, mut files) = (0, 0);
    for e in &entries {
        let mut href = entry_href(&e.name, e.is_dir);
        if e.is_dir {
            href.push_str(&keep_view);
            dirs += 1;
        } else {
            files += 1;
        }
        let (class, slash, size) = if e.is_dir {
            ("d", "/", "-".to_string())
        } else {
            ("f", "", human_size(e.size))
        };
        let _ = writeln!(
            html,
            "<tr><td class=\"n\"><a class=\"{class}\" href=\"{}\">{}{slash}</a></td>\
             <td class=\"s\">{size}</td><td class=\"m\">{}</td></tr>",
            html_escape(&href),
            html_escape(&e.name),
            format_mtime(e.modified)
        );
    }
    let _ = write!(
        html,
        "</tbody>\n</table>\n<footer>{dirs} director{}, {files} file{}",
        if dirs == 1 { "y" } else { "ies" },
        if files == 1 { "" } else { "s" }
    );
    if listing.truncated {
        let _ = write!(
            html,
            " (listing truncated to {MAX_LISTING_ENTRIES} entries)"
        );
    }
    html.push_str("</footer>\n</main>\n</body>\n</html>\n");
    html
}

/// The decoded path shown in the title: `/static/docs/my files/`.
pub fn display_path(page: &Page<'_>) -> String {
    let mut path = String::from(page.prefix);
    for segment in page.segments {
        path.push('/');
        path.push_str(segment);
    }
    path.push('/');
    path
}

/// The title's path with every level above the directory a relative link.
fn breadcrumbs(page: &Page<'_>) -> String {
    let depth = page.segments.len();
    let up = |levels: usize| {
        if levels == 0 {
            "./".to_string()
        } else {
            "../".repeat(levels)
        }
    };
    let sep = "<span class=\"sep\">/</span>";
    let mut out = String::new();
    let root_label = if page.prefix.is_empty() {
        String::from("/")
    } else {
        format!("{}{sep}", html_escape(page.prefix))
    };
    if depth == 0 {
        out.push_str(&root_label);
        return out;
    }
    let _ = write!(
        out,
        "<a class=\"root\" href=\"{}\">{root_label}</a>",
        up(depth)
    );
    for (i, segment) in page.segments.iter().enumerate() {
        let name = html_escape(segment);
        if i + 1 == depth {
            let _ = write!(out, "{name}{sep}");
        } else {
            let _ = write!(out, "<a href=\"{}\">{name}</a>{sep}", up(depth - 1 - i));
        }
    }
    out
}

/// A column header linking to this directory sorted by `key`: ascending first, descending
/// when it is already sorted ascending by `key`; the current sort is marked with an arrow.
fn column_header(view: ListingView, key: SortKey, label: &str, class: &str) -> String {
    let current = view.sort == key;
    let next = if current && view.order == SortOrder::Ascending {
        SortOrder::Descending
    } else {
        SortOrder::Ascending
    };
    let (arrow, aria) = match (current, view.order) {
        (false, _) => ("", ""),
        (true, SortOrder::Ascending) => (" \u{25b2}", " aria-sort=\"ascending\""),
        (true, SortOrder::Descending) => (" \u{25bc}", " aria-sort=\"descending\""),
    };
    format!(
        "<th class=\"{class}\"{aria}><a href=\"{}\">{label}{arrow}</a></th>",
        html_escape(&sort_query(key, next))
    )
}

/// `?sort=KEY&order=ORDER`.
fn sort_query(key: SortKey, order: SortOrder) -> String {
    format!("?sort={}&order={}", key.as_str(), order.as_str())
}

/// Escapes `s` for HTML text and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The relative `href` for an entry: `./<encoded name>` plus `/` for dirs.
pub fn entry_href(name: &str, is_dir: bool) -> String {
    let mut href = String::from("./");
    href.extend(utf8_percent_encode(name, SEGMENT_ENCODE));
    if is_dir {
        href.push('/');
    }
    href
}

/// Human-readable size: `512 B`, `1.5 KiB`, `3.0 MiB`.
pub fn human_size(size: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if size < 1024 {
        return format!("{size} B");
    }
    let mut value = size as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

/// Formats a time as `YYYY-MM-DD HH:MM` UTC; times before 1970 or unknown give `-`.
pub fn format_mtime(t: Option<SystemTime>) -> String {
    match t
        .filter(|t| *t >= UNIX_EPOCH)
        .map(time::OffsetDateTime::from)
    {
        Some(t) => format!(
            "{:04}-{:02}-{:02} {:02}:{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute()
        ),
        None => "-".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::static_files::listing::DirEntry;
    use std::time::Duration;

    fn entry(name: &str, is_dir: bool, size: u64) -> DirEntry {
        DirEntry {
            name: name.to_string(),
            is_dir,
            size,
            modified: Some(UNIX_EPOCH + Duration::from_secs(1_000_000_000)),
        }
    }

    fn page<'a>(segments: &'a [String], view: ListingView) -> Page<'a> {
        Page {
            prefix: "",
            segments,
            view,
        }
    }

    #[test]
    fn escape_and_href_table() {
        let cases = [
            ("plain.txt", false, "plain.txt", "./plain.txt"),
            ("a b", false, "a b", "./a%20b"),
            ("x#y?z%", false, "x#y?z%", "./x%23y%3Fz%25"),
            ("<script>", false, "&lt;script&gt;", "./%3Cscript%3E"),
            ("a&b", true, "a&amp;b", "./a%26b/"),
            ("q\"'", false, "q&quot;&#39;", "./q%22%27"),
            ("café", false, "café", "./caf%C3%A9"),
            (
                "javascript:alert(1)",
                false,
                "javascript:alert(1)",
                "./javascript%3Aalert%281%29",
            ),
        ];
        for (name, is_dir, escaped, href) in cases {
            assert_eq!(html_escape(name), escaped, "{name}");
            assert_eq!(entry_href(name, is_dir), href, "{name}");
        }
    }

    #[test]
    fn size_and_time_table() {
        let sizes = [
            (0, "0 B"),
            (1023, "1023 B"),
            (1024, "1.0 KiB"),
            (1536, "1.5 KiB"),
            (3 * 1024 * 1024, "3.0 MiB"),
        ];
        for (size, want) in sizes {
            assert_eq!(human_size(size), want);
        }
        let times = [
            (Some(0), "1970-01-01 00:00"),
            (Some(1_000_000_000), "2001-09-09 01:46"),
            (Some(951_782_400), "2000-02-29 00:00"),
            (Some(4_102_444_799), "2099-12-31 23:59"),
            (None, "-"),
        ];
        for (secs, want) in times {
            let t = secs.map(|s| UNIX_EPOCH + Duration::from_secs(s));
            assert_eq!(format_mtime(t), want, "{secs:?}");
        }
    }

    #[test]
    fn render_sorted_escaped() {
        let listing = Entries {
            entries: vec![
                entry("b.txt", false, 10),
                entry("Zdir", true, 0),
                entry("A.txt", false, 2048),
                entry("adir", true, 0),
                entry("<img src=x onerror=alert(1)>", false, 1),
            ],
            truncated: false,
        };
        let segments = ["my <dir>".to_string()];
        let html = render(&page(&segments, ListingView::default()), &listing);
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("<title>Index of /my &lt;dir&gt;/</title>"));
        assert!(html.contains("href=\"../\">../</a>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        let order: Vec<usize> = ["./adir/", "./Zdir/", "./%3Cimg", "./A.txt", "./b.txt"]
            .iter()
            .map(|h| html.find(&format!("href=\"{h}")).expect(h))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(html.contains(">2.0 KiB<"));
        assert!(html.contains(">2001-09-09 01:46<"));
        assert!(html.contains("2 directories, 3 files"));
        assert!(!html.contains("truncated"));
        let root = render(&page(&[], ListingView::default()), &Entries::default());
        assert!(!root.contains("../"));
        let cut = Entries {
            entries: vec![],
            truncated: true,
        };
        assert!(render(&page(&[], ListingView::default()), &cut).contains("truncated"));
    }

    #[test]
    fn breadcrumbs_link_every_level() {
        let segments = ["a".to_string(), "b c".to_string(), "d".to_string()];
        let crumbs = breadcrumbs(&Page {
            prefix: "/static",
            segments: &segments,
            view: ListingView::default(),
        });
        let sep = "<span class=\"sep\">/</span>";
        assert_eq!(
            crumbs,
            format!(
                "<a class=\"root\" href=\"../../../\">/static{sep}</a><a href=\"../../\">a</a>{sep}\
                 <a href=\"../\">b c</a>{sep}d{sep}"
            )
        );
        assert_eq!(breadcrumbs(&page(&[], ListingView::default())), "/");
        let nested = ["x".to_string()];
        assert_eq!(
            breadcrumbs(&page(&nested, ListingView::default())),
            format!("<a class=\"root\" href=\"../\">/</a>x{sep}")
        );
    }

    #[test]
    fn sort_links_toggle_and_persist() {
        let listing = Entries {
            entries: vec![entry("sub", true, 0), entry("f", false, 1)],
            truncated: false,
        };
        let html = render(&page(&[], ListingView::default()), &listing);
        assert!(html.contains("href=\"?sort=name&amp;order=desc\">Name \u{25b2}</a>"));
        assert!(html.contains("href=\"?sort=size&amp;order=asc\">Size</a>"));
        assert!(html.contains("href=\"./sub/\""));
        let by_size = ListingView {
            sort: SortKey::Size,
            order: SortOrder::Descending,
            ..ListingView::default()
        };
        let html = render(&page(&[], by_size), &listing);
        assert!(html.contains("href=\"?sort=size&amp;order=asc\">Size \u{25bc}</a>"));
        assert!(html.contains("href=\"./sub/?sort=size&amp;order=desc\""));
    }
}
