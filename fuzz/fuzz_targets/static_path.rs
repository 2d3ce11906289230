//! `SafePath::parse` and the resolver against a fixed root holding files, directories, a
//! dotfile, a FIFO and symlinks (inside, outside, up, looping): no input resolves outside the
//! root or to a hidden name, and every parsed path keeps the segment invariants.
//!
//! Input: byte 0 picks the options (bit 0: allow hidden, bit 1: follow symlinks outside), the
//! rest is the raw request path.
#![no_main]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use corio_http::static_files::path::SafePath;
use corio_http::static_files::resolve::{canonical_root, resolve, ResolveOptions, Root, Target};
use libfuzzer_sys::fuzz_target;

/// The canonical root, built once per process.
fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("corio-fuzz-static-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let root = base.join("root");
        std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
        std::fs::create_dir_all(root.join(".git")).unwrap();
        std::fs::create_dir_all(root.join("with index")).unwrap();
        std::fs::write(base.join("secret.txt"), "outside").unwrap();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        std::fs::write(root.join("sub/b.txt"), "b").unwrap();
        std::fs::write(root.join("sub/deeper/c.txt"), "c").unwrap();
        std::fs::write(root.join(".env"), "hidden").unwrap();
        std::fs::write(root.join(".git/config"), "hidden").unwrap();
        std::fs::write(root.join("with index/index.html"), "<p>").unwrap();
        std::fs::write(root.join("caf\u{e9} %2e.txt"), "odd name").unwrap();
        symlink("../secret.txt", root.join("out-file")).unwrap();
        symlink("..", root.join("out-dir")).unwrap();
        symlink("/etc", root.join("etc")).unwrap();
        symlink("..", root.join("sub/up")).unwrap();
        symlink("../../", root.join("sub/deeper/up2")).unwrap();
        symlink(".env", root.join("to-hidden")).unwrap();
        symlink(".git", root.join("sub/to-git")).unwrap();
        symlink("loop", root.join("loop")).unwrap();
        symlink("a.txt", root.join("link-a")).unwrap();
        symlink("../.git/config", root.join("sub/index.html")).unwrap();
        let _ = std::process::Command::new("mkfifo")
            .arg(root.join("fifo"))
            .status();
        canonical_root(&root).unwrap()
    })
}

fn check_inside(root: &Path, path: &Path, opts: ResolveOptions) {
    if opts.follow_symlinks_outside {
        return;
    }
    assert!(path.starts_with(root), "{path:?} escapes {root:?}");
    if !opts.allow_hidden {
        let rel = path.strip_prefix(root).unwrap();
        assert!(
            rel.components()
                .all(|c| !c.as_os_str().as_encoded_bytes().starts_with(b".")),
            "{path:?} is hidden"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&flags, raw)) = data.split_first() else {
        return;
    };
    let Ok(raw) = std::str::from_utf8(raw) else {
        return;
    };
    let opts = ResolveOptions {
        allow_hidden: flags & 1 != 0,
        follow_symlinks_outside: flags & 2 != 0,
    };
    let Ok(safe) = SafePath::parse(raw, opts.allow_hidden) else {
        return;
    };
    for seg in safe.segments() {
        assert!(!seg.is_empty() && seg != "." && seg != "..");
        assert!(!seg.contains(['/', '\\', '\0']));
        assert!(opts.allow_hidden || !seg.starts_with('.'));
    }
    assert!(!safe.to_url_path(false).starts_with("//"));
    assert!(!safe.to_url_path(true).starts_with("//"));
    let root = root();
    static OPENED: OnceLock<Root> = OnceLock::new();
    let opened = OPENED.get_or_init(|| Root::open(root).unwrap());
    let Ok(resolved) = resolve(opened, &safe, opts) else {
        return;
    };
    match &resolved.target {
        Target::File { path, .. } => {
            check_inside(root, path, opts);
            assert!(path.is_file());
        }
        Target::Directory { path, index, .. } => {
            check_inside(root, path, opts);
            assert!(path.is_dir());
            if let Some((index, _, _)) = index {
                check_inside(root, index, opts);
                assert!(index.is_file());
            }
        }
    }
});
