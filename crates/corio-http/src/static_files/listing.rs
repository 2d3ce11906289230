//! HTML directory listings.
//!
//! [`render`] is pure; [`read_entries`] is the only function here that
//! touches the filesystem.
//!
//! [`read_entries`] reads the directory from the descriptor that resolution
//! opened ([`Target::Directory`](super::resolve::Target::Directory)), and each
//! entry's metadata relative to it (`openat(dirfd, name, O_PATH |
//! O_NOFOLLOW)` and `fstat`): the directory is never opened again by path, so
//! a directory swapped for another after resolution is not what gets listed.
//!
//! # Invariants
//!
//! * Every name and the title are HTML-escaped (`< > & " '`), so a file
//!   called `<script>` is text, not markup.
//! * Every `href` is `./` followed by the percent-encoded name
//!   ([`SEGMENT_ENCODE`]: spaces, `#`, `?`, `%`, quotes, `:` and non-ASCII
//!   are encoded). The `./` prefix stops a name such as `javascript:x` from
//!   being read as a URL scheme. Hrefs are relative, so the page must be
//!   served at a URL ending in `/` (the service redirects `/dir` → `/dir/`).
//! * Entries are sorted directories first, then by name (byte order after
//!   Unicode-aware lowercase), so output is deterministic.
//! * A listing holds at most [`MAX_LISTING_ENTRIES`] entries; past that the
//!   page says it was truncated.
//! * An entry is listed only if a request for it would be served: a regular
//!   file, a directory, or a symlink that resolves to one of those by the
//!   rules of [`resolve`](super::resolve) (inside the root, no hidden
//!   component; [`servable_link`]), shown with its target's size and time.
//!   FIFOs, sockets, devices, broken links and links leading out of the root
//!   are left out, as are dotfiles unless allowed.

use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use percent_encoding::utf8_percent_encode;
use rustix::fs::{Mode, OFlags};

use super::path::SEGMENT_ENCODE;
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

/// Formats a time as `YYYY-MM-DD HH:MM` UTC (civil-from-days algorithm of
/// H. Hinnant); times before 1970 or unknown give `-`.
pub fn format_mtime(t: Option<SystemTime>) -> String {
    let Some(secs) = t
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
    else {
        return "-".to_string();
    };
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Sorts entries: directories first, then by lowercase name, then by name.
pub fn sort_entries(entries: &mut [DirEntry]) {
    entries.sort_by(|a, b| {
        b.is_dir
            .cmp(&a.is_dir)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.name.cmp(&b.name))
    });
}

/// Renders the listing page for the directory shown as `display_path`
/// (decoded, e.g. `/docs/my files/`). `is_root` hides the parent link.
pub fn render(display_path: &str, is_root: bool, listing: &Entries) -> String {
    let mut entries = listing.entries.clone();
    sort_entries(&mut entries);
    let title = html_escape(display_path);
    let mut html = String::with_capacity(512 + entries.len() * 160);
    // Writing to a String cannot fail; the results are ignored.
    let _ = write!(
        html,
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width\">\n\
         <title>Index of {title}</title>\n\
         <style>body{{font-family:sans-serif}}td{{padding:0 1em}}\
         td.s,td.m{{text-align:right;font-family:monospace}}</style>\n\
         </head>\n<body>\n<h1>Index of {title}</h1>\n<table>\n\
         <tr><th>Name</th><th>Size</th><th>Modified (UTC)</th></tr>\n"
    );
    if !is_root {
        html.push_str("<tr><td><a href=\"../\">../</a></td><td></td><td></td></tr>\n");
    }
    for e in &entries {
        let href = html_escape(&entry_href(&e.name, e.is_dir));
        let name = html_escape(&e.name);
        let slash = if e.is_dir { "/" } else { "" };
        let size = if e.is_dir {
            "-".to_string()
        } else {
            human_size(e.size)
        };
        let _ = writeln!(
            html,
            "<tr><td><a href=\"{href}\">{name}{slash}</a></td>\
             <td class=\"s\">{size}</td><td class=\"m\">{}</td></tr>",
            format_mtime(e.modified)
        );
    }
    html.push_str("</table>\n");
    if listing.truncated {
        let _ = writeln!(
            html,
            "<p>Listing truncated to {MAX_LISTING_ENTRIES} entries.</p>"
        );
    }
    html.push_str("</body>\n</html>\n");
    html
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn entry(name: &str, is_dir: bool, size: u64) -> DirEntry {
        DirEntry {
            name: name.to_string(),
            is_dir,
            size,
            modified: Some(UNIX_EPOCH + Duration::from_secs(1_000_000_000)),
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
        let html = render("/my <dir>/", false, &listing);
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("<title>Index of /my &lt;dir&gt;/</title>"));
        assert!(html.contains("<a href=\"../\">../</a>"));
        assert!(!html.contains("<img"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
        let order: Vec<usize> = ["./adir/", "./Zdir/", "./%3Cimg", "./A.txt", "./b.txt"]
            .iter()
            .map(|h| html.find(&format!("href=\"{h}")).expect(h))
            .collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
        assert!(html.contains(">2.0 KiB<"));
        assert!(html.contains(">2001-09-09 01:46<"));
        assert!(!html.contains("truncated"));
        let root = render("/", true, &Entries::default());
        assert!(!root.contains("../"));
        let cut = render(
            "/",
            true,
            &Entries {
                entries: vec![],
                truncated: true,
            },
        );
        assert!(cut.contains("truncated"));
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
            sort_entries(&mut got.entries);
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
