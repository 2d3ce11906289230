//! Directory listings: reading the entries, and how a request wants them shown.
//!
//! [`read_entries`] is the only function here that touches the filesystem;
//! [`ListingView`] (sort key, order, HTML or JSON) is read from the request, and
//! [`sort_entries`] orders the entries for it. The page itself is rendered by
//! [`listing_html::render`](super::listing_html::render) or
//! [`listing_json::render`](super::listing_json::render).
//!
//! [`read_entries`] reads the directory from the descriptor that resolution
//! opened ([`Target::Directory`](super::resolve::Target::Directory)), and each
//! entry's metadata relative to it (`openat(dirfd, name, O_PATH |
//! O_NOFOLLOW)` and `fstat`): the directory is never opened again by path, so
//! a directory swapped for another after resolution is not what gets listed.
//!
//! # Invariants
//!
//! * Entries are sorted directories first, then by the view's key (name, size
//!   or time) in its order, ties broken by name (byte order after
//!   Unicode-aware lowercase, then bytes), so output is deterministic.
//! * The view is lenient: an unknown `sort`, `order` or `format` value falls
//!   back to the default (name, ascending, HTML), as a view parameter should.
//! * A listing holds at most [`MAX_LISTING_ENTRIES`] entries; past that the
//!   page says it was truncated.
//! * An entry is listed only if a request for it would be served: a regular
//!   file, a directory, or a symlink that resolves to one of those by the
//!   rules of [`resolve`](super::resolve) (inside the root, no hidden
//!   component; [`servable_link`]), shown with its target's size and time.
//!   FIFOs, sockets, devices, broken links and links leading out of the root
//!   are left out, as are dotfiles unless allowed.

use std::fs;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use http::header::ACCEPT;
use http::HeaderMap;
use rustix::fs::{Mode, OFlags};

use super::resolve::{servable_link, ResolveOptions, Root};

/// Most entries read and rendered for one directory; bounds the memory and
/// CPU one request can cost on a huge directory.
pub const MAX_LISTING_ENTRIES: usize = 10_000;

/// One directory entry to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirEntry {
    /// File name (one path segment, valid UTF-8).
    pub name: String,
    /// Whether it is (or a symlink to) a directory.
    pub is_dir: bool,
    /// Size in bytes (ignored for directories).
    pub size: u64,
    /// Modification time, if known.
    pub modified: Option<SystemTime>,
}

/// Entries read from a directory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entries {
    /// The entries, unsorted.
    pub entries: Vec<DirEntry>,
    /// More than [`MAX_LISTING_ENTRIES`] entries existed.
    pub truncated: bool,
}

/// Reads the open directory `dir`, found at the canonical `dir_path` under
/// `root`, into [`Entries`]. Skips names that are not UTF-8 (the path rules
/// make them unreachable anyway), dotfiles unless `opts.allow_hidden`,
/// entries whose metadata cannot be read, and whatever a request could not
/// be served (see the module docs).
pub fn read_entries(
    root: &Root,
    dir: &fs::File,
    dir_path: &Path,
    opts: ResolveOptions,
) -> io::Result<Entries> {
    let mut out = Entries::default();
    // A duplicate descriptor shares the offset: rewind, in case `dir` was read before.
    let mut entries = rustix::fs::Dir::new(dir.try_clone()?)?;
    entries.rewind();
    for entry in entries {
        let entry = entry?;
        let Ok(name) = entry.file_name().to_str() else {
            continue;
        };
        if name == "." || name == ".." || (!opts.allow_hidden && name.starts_with('.')) {
            continue;
        }
        let Some(meta) = entry_meta(root, dir, dir_path, name, opts) else {
            continue;
        };
        if out.entries.len() == MAX_LISTING_ENTRIES {
            out.truncated = true;
            break;
        }
        out.entries.push(DirEntry {
            name: name.to_owned(),
            is_dir: meta.is_dir(),
            size: meta.len(),
            modified: meta.modified().ok(),
        });
    }
    Ok(out)
}

/// The metadata to list for entry `name` of `dir`, `None` to leave it out.
fn entry_meta(
    root: &Root,
    dir: &fs::File,
    dir_path: &Path,
    name: &str,
    opts: ResolveOptions,
) -> Option<fs::Metadata> {
    let flags = OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let fd = rustix::fs::openat(dir, name, flags, Mode::empty()).ok()?;
    let meta = fs::File::from(fd).metadata().ok()?;
    let kind = meta.file_type();
    if kind.is_file() || kind.is_dir() {
        Some(meta)
    } else if kind.is_symlink() {
        servable_link(root, &dir_path.join(name), opts)
    } else {
        None
    }
}

/// What a listing is sorted by (`?sort=name|size|time`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    /// By name (the default).
    #[default]
    Name,
    /// By size (directories, which have none, by name).
    Size,
    /// By modification time.
    Time,
}

impl SortKey {
    /// The value of the `sort` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::Size => "size",
            SortKey::Time => "time",
        }
    }
}

/// The direction of a sort (`?order=asc|desc`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Smallest, oldest or A first (the default).
    #[default]
    Ascending,
    /// Largest, newest or Z first.
    Descending,
}

impl SortOrder {
    /// The value of the `order` query parameter.
    pub fn as_str(self) -> &'static str {
        match self {
            SortOrder::Ascending => "asc",
            SortOrder::Descending => "desc",
        }
    }
}

/// The representation of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ListingFormat {
    /// A page for a browser (the default).
    #[default]
    Html,
    /// JSON, for scripts: `?format=json`, or `Accept: application/json` preferred over HTML.
    Json,
}

/// How a request wants a listing: sort key, order and format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListingView {
    /// Sort key.
    pub sort: SortKey,
    /// Sort direction.
    pub order: SortOrder,
    /// HTML or JSON.
    pub format: ListingFormat,
}

impl ListingView {
    /// Reads the view from the query string (`sort`, `order`, `format`) and, when the query
    /// names no format, from `Accept`: JSON when `application/json` has a higher q-value than
    /// `text/html` (so a browser, which asks for HTML, gets HTML, and `curl -H 'Accept:
    /// application/json'` gets JSON).
    ///
    /// ```
    /// use corio_http::static_files::listing::{ListingFormat, ListingView, SortKey, SortOrder};
    /// let view = ListingView::from_request(Some("sort=size&order=desc"), &Default::default());
    /// assert_eq!((view.sort, view.order), (SortKey::Size, SortOrder::Descending));
    /// assert_eq!(view.format, ListingFormat::Html);
    /// ```
    pub fn from_request(query: Option<&str>, headers: &HeaderMap) -> ListingView {
        let mut view = ListingView::default();
        let mut format = None;
        for pair in query.unwrap_or("").split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            match (name, value) {
                ("sort", "name") => view.sort = SortKey::Name,
                ("sort", "size") => view.sort = SortKey::Size,
                ("sort", "time" | "mtime" | "modified") => view.sort = SortKey::Time,
                ("order", "asc") => view.order = SortOrder::Ascending,
                ("order", "desc") => view.order = SortOrder::Descending,
                ("format", "json") => format = Some(ListingFormat::Json),
                ("format", "html") => format = Some(ListingFormat::Html),
                _ => {}
            }
        }
        view.format = format.unwrap_or_else(|| format_from_accept(headers));
        view
    }
}

/// JSON when `application/json` is preferred to `text/html` by `Accept`, else HTML.
fn format_from_accept(headers: &HeaderMap) -> ListingFormat {
    let (mut json, mut html) = (0u16, 0u16);
    for value in headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
    {
        for range in value.split(',') {
            let mut parts = range.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .find_map(|p| {
                    let (k, v) = p.split_once('=')?;
                    k.trim().eq_ignore_ascii_case("q").then(|| v.trim())
                })
                .map_or(1000, |v| {
                    v.parse::<f32>()
                        .map_or(0, |q| (q.clamp(0.0, 1.0) * 1000.0) as u16)
                });
            match media.as_str() {
                "application/json" => json = json.max(q),
                "text/html" => html = html.max(q),
                _ => {}
            }
        }
    }
    if json > html {
        ListingFormat::Json
    } else {
        ListingFormat::Html
    }
}

/// Sorts entries for `view`: directories first, then by the view's key in its order, ties
/// by lowercase name, then by name.
pub fn sort_entries(entries: &mut [DirEntry], view: &ListingView) {
    entries.sort_by(|a, b| {
        let by_name = || {
            a.name
                .to_lowercase()
                .cmp(&b.name.to_lowercase())
                .then_with(|| a.name.cmp(&b.name))
        };
        let key = match view.sort {
            SortKey::Name => by_name(),
            SortKey::Size if a.is_dir && b.is_dir => by_name(),
            SortKey::Size => a.size.cmp(&b.size).then_with(by_name),
            SortKey::Time => a.modified.cmp(&b.modified).then_with(by_name),
        };
        let key = match view.order {
            SortOrder::Ascending => key,
            SortOrder::Descending => key.reverse(),
        };
        b.is_dir.cmp(&a.is_dir).then(key)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn entry(name: &str, is_dir: bool, size: u64, secs: u64) -> DirEntry {
        DirEntry {
            name: name.to_string(),
            is_dir,
            size,
            modified: Some(UNIX_EPOCH + Duration::from_secs(secs)),
        }
    }

    #[test]
    fn sort_table() {
        let entries = vec![
            entry("b.txt", false, 10, 3),
            entry("Zdir", true, 0, 1),
            entry("A.txt", false, 2048, 2),
            entry("adir", true, 0, 9),
            entry("c.txt", false, 10, 1),
        ];
        let cases = [
            ("", "adir Zdir A.txt b.txt c.txt"),
            ("order=desc", "Zdir adir c.txt b.txt A.txt"),
            ("sort=size", "adir Zdir b.txt c.txt A.txt"),
            ("sort=size&order=desc", "Zdir adir A.txt c.txt b.txt"),
            ("sort=time", "Zdir adir c.txt A.txt b.txt"),
            ("sort=mtime&order=desc", "adir Zdir b.txt A.txt c.txt"),
            ("sort=bogus&order=sideways", "adir Zdir A.txt b.txt c.txt"),
        ];
        for (query, want) in cases {
            let view = ListingView::from_request(Some(query), &HeaderMap::new());
            let mut sorted = entries.clone();
            sort_entries(&mut sorted, &view);
            let names: Vec<&str> = sorted.iter().map(|e| e.name.as_str()).collect();
            assert_eq!(names.join(" "), want, "{query}");
        }
    }

    #[test]
    fn format_table() {
        let cases = [
            (None, None, ListingFormat::Html),
            (Some("format=json"), None, ListingFormat::Json),
            (
                Some("format=html"),
                Some("application/json"),
                ListingFormat::Html,
            ),
            (None, Some("application/json"), ListingFormat::Json),
            (None, Some("*/*"), ListingFormat::Html),
            (
                None,
                Some("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"),
                ListingFormat::Html,
            ),
            (
                None,
                Some("text/html;q=0.5, application/json"),
                ListingFormat::Json,
            ),
            (
                None,
                Some("application/json;q=0.5, text/html"),
                ListingFormat::Html,
            ),
            (None, Some("application/json;q=0"), ListingFormat::Html),
            (None, Some("Application/JSON"), ListingFormat::Json),
        ];
        for (query, accept, want) in cases {
            let mut headers = HeaderMap::new();
            if let Some(a) = accept {
                headers.insert(ACCEPT, a.parse().unwrap());
            }
            assert_eq!(
                ListingView::from_request(query, &headers).format,
                want,
                "{query:?} {accept:?}"
            );
        }
    }

    /// Files, directories and links leading inside are listed (links with their target's
    /// size); links leading out of the root or to a hidden file, broken links and FIFOs are
    /// not: a request for them would be refused.
    #[test]
    fn read_entries_from_disk() {
        use std::os::unix::fs::symlink;
        let base = std::env::temp_dir().join(format!(
            "corio-static-listing-{}-{:?}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
        ));
        let dir = base.join("root");
        fs::create_dir_all(dir.join("sub")).unwrap();
        fs::write(base.join("outside.txt"), b"outside!").unwrap();
        fs::write(dir.join("f.txt"), b"abc").unwrap();
        fs::write(dir.join(".hidden"), b"x").unwrap();
        symlink("nowhere", dir.join("broken")).unwrap();
        symlink("f.txt", dir.join("in_link")).unwrap();
        symlink("sub", dir.join("in_dir")).unwrap();
        symlink("../outside.txt", dir.join("out_link")).unwrap();
        symlink(base.join("outside.txt"), dir.join("abs_out")).unwrap();
        symlink("..", dir.join("out_dir")).unwrap();
        symlink(".hidden", dir.join("hid_link")).unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            dir.join("fifo"),
            rustix::fs::FileType::Fifo,
            Mode::from_raw_mode(0o600),
            0,
        )
        .unwrap();
        let root = Root::open(&dir).unwrap();
        let open = fs::File::open(root.path()).unwrap();
        let list = |opts: ResolveOptions| {
            let mut got = read_entries(&root, &open, root.path(), opts).unwrap();
            sort_entries(&mut got.entries, &ListingView::default());
            got.entries
                .iter()
                .map(|e| {
                    format!(
                        "{}:{}:{}",
                        e.name,
                        e.is_dir,
                        if e.is_dir { 0 } else { e.size }
                    )
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(
            list(ResolveOptions::default()),
            [
                "in_dir:true:0",
                "sub:true:0",
                "f.txt:false:3",
                "in_link:false:3"
            ]
        );
        let loose = ResolveOptions {
            follow_symlinks_outside: true,
            allow_hidden: true,
        };
        assert_eq!(
            list(loose),
            [
                "in_dir:true:0",
                "out_dir:true:0",
                "sub:true:0",
                ".hidden:false:1",
                "abs_out:false:8",
                "f.txt:false:3",
                "hid_link:false:1",
                "in_link:false:3",
                "out_link:false:8",
            ]
        );
        let _ = fs::remove_dir_all(&base);
    }

    /// The listing comes from the directory that was resolved, even when another directory
    /// has taken its path since: it is read from the descriptor, not reopened by path.
    #[test]
    fn read_entries_reads_the_open_directory() {
        let base = std::env::temp_dir().join(format!(
            "corio-static-listing-fd-{}-{:?}",
            std::process::id(),
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
        ));
        let dir = base.join("root/d");
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("resolved.txt"), b"1").unwrap();
        let root = Root::open(&base.join("root")).unwrap();
        let open = fs::File::open(&dir).unwrap();
        fs::rename(&dir, base.join("moved")).unwrap();
        fs::create_dir(&dir).unwrap();
        fs::write(dir.join("swapped-in.txt"), b"2").unwrap();
        let got = read_entries(&root, &open, &dir, ResolveOptions::default()).unwrap();
        let names: Vec<&str> = got.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["resolved.txt"]);
        let _ = fs::remove_dir_all(&base);
    }
}
