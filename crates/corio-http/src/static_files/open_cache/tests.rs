//! The cache against a real directory: hits keep the descriptor, every change on disk is a
//! miss, symlinks anywhere on the path are a miss, the bounds hold.

use super::*;
use std::os::unix::fs::symlink;

/// A fresh directory under the system temp dir, removed on drop, and its open descriptor.
struct Dir(PathBuf, fs::File);

impl Dir {
    fn new(tag: &str) -> Dir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("corio-open-cache-{tag}-{}-{n}", std::process::id()));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        let dir = fs::File::open(&path).unwrap();
        Dir(path, dir)
    }

    fn write(&self, rel: &str, data: &[u8]) {
        fs::write(self.0.join(rel), data).unwrap();
    }

    /// What the fast path does on a miss: open, `fstat`, insert.
    fn fill(&self, cache: &OpenCache, rel: &str) -> (FileMeta, OpenFile) {
        let file = fs::File::open(self.0.join(rel)).unwrap();
        let meta = file.metadata().unwrap();
        cache.insert(Path::new(rel), file, &meta)
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// One shard, and bytes kept at once (no quiet margin), so content is exercised.
fn eager(max_open: usize, max_bytes: usize) -> OpenCache {
    OpenCache::new(1, max_open, max_bytes, Duration::ZERO)
}

fn bytes_of(file: &OpenFile) -> Option<&[u8]> {
    file.content().map(|b| &b[..])
}

#[test]
fn a_hit_is_the_same_open_file_with_its_bytes() {
    let d = Dir::new("hit");
    d.write("a.txt", b"hello");
    let cache = eager(8, 1024);
    let (meta, file) = d.fill(&cache, "a.txt");
    assert_eq!(bytes_of(&file), Some(&b"hello"[..]));
    let (hit_meta, hit) = cache.get(&d.1, Path::new("a.txt")).unwrap();
    assert_eq!((hit_meta, &hit), (meta, &file));
    assert_eq!(bytes_of(&hit), Some(&b"hello"[..]));
    assert_eq!(cache.usage(), (1, 5));
    assert!(cache.get(&d.1, Path::new("b.txt")).is_none());
}

#[test]
fn a_recently_changed_file_is_read_each_time_until_quiet() {
    let d = Dir::new("racy");
    d.write("a.txt", b"hello");
    let cache = OpenCache::new(1, 8, 1024, Duration::from_secs(3600));
    let (_, file) = d.fill(&cache, "a.txt");
    assert_eq!(bytes_of(&file), None);
    let (_, hit) = cache.get(&d.1, Path::new("a.txt")).unwrap();
    assert_eq!((hit == file, bytes_of(&hit)), (true, None));
    // Rewritten in place within the same tick: the descriptor reads the new bytes.
    d.write("a.txt", b"HELLO");
    if let Some((_, hit)) = cache.get(&d.1, Path::new("a.txt")) {
        let mut buf = [0; 5];
        hit.file().read_exact_at(&mut buf, 0).unwrap();
        assert_eq!(&buf, b"HELLO");
    }
    // A file whose status changed long ago has its bytes kept on the next hit.
    let quiet = Stamp {
        ctime: (0, 0),
        ..Stamp::of(&file.file().metadata().unwrap())
    };
    assert!(quiet.quiet_at(SystemTime::now(), RACY_MARGIN));
    let now = Stamp::of(&file.file().metadata().unwrap());
    assert!(!now.quiet_at(SystemTime::now(), RACY_MARGIN));
}

#[test]
fn every_change_on_disk_is_a_miss() {
    let d = Dir::new("change");
    let cache = eager(8, 1024);
    let get = |rel: &str| cache.get(&d.1, Path::new(rel)).map(|(m, f)| (m.len, f));

    // Same size, different size: the times (and the size) differ.
    d.write("a.txt", b"one");
    let (_, first) = d.fill(&cache, "a.txt");
    fs::File::options()
        .write(true)
        .open(d.0.join("a.txt"))
        .unwrap()
        .set_modified(UNIX_EPOCH + Duration::from_secs(1_000))
        .unwrap();
    assert!(get("a.txt").is_none(), "times changed");
    assert_eq!(cache.usage(), (0, 0), "the stale entry is dropped");
    d.fill(&cache, "a.txt");
    d.write("a.txt", b"longer");
    assert!(get("a.txt").is_none(), "size changed");
    let (_, now) = d.fill(&cache, "a.txt");
    assert_eq!(bytes_of(&now), Some(&b"longer"[..]));
    assert!(now != first);

    // Renamed over: a new inode.
    d.write("new.txt", b"longer");
    fs::rename(d.0.join("new.txt"), d.0.join("a.txt")).unwrap();
    assert!(get("a.txt").is_none(), "renamed over");

    // Deleted.
    d.fill(&cache, "a.txt");
    fs::remove_file(d.0.join("a.txt")).unwrap();
    assert!(get("a.txt").is_none(), "deleted");

    // Replaced by a symlink to the very same inode.
    d.write("b.txt", b"bee");
    d.fill(&cache, "b.txt");
    fs::rename(d.0.join("b.txt"), d.0.join("real.txt")).unwrap();
    symlink("real.txt", d.0.join("b.txt")).unwrap();
    assert!(get("b.txt").is_none(), "a symlink is never a hit");
}

#[test]
fn a_directory_above_turned_symlink_is_a_miss() {
    let d = Dir::new("ancestor");
    fs::create_dir_all(d.0.join("x/y")).unwrap();
    d.write("x/y/f.txt", b"deep");
    let cache = eager(8, 1024);
    d.fill(&cache, "x/y/f.txt");
    assert!(cache.get(&d.1, Path::new("x/y/f.txt")).is_some());
    // The same directory moved aside and linked back: same inode at the end of the path.
    fs::rename(d.0.join("x"), d.0.join("moved")).unwrap();
    symlink("moved", d.0.join("x")).unwrap();
    assert!(cache.get(&d.1, Path::new("x/y/f.txt")).is_none());
    fs::remove_file(d.0.join("x")).unwrap();
    fs::create_dir(d.0.join("x")).unwrap();
    symlink("../moved/y", d.0.join("x/y")).unwrap();
    d.fill(&cache, "moved/y/f.txt");
    assert!(cache.get(&d.1, Path::new("x/y/f.txt")).is_none());
}

#[test]
fn bounds_hold_with_more_files_than_entries() {
    let d = Dir::new("bounds");
    let cache = eager(4, 3 * 1024);
    for i in 0..20 {
        let name = format!("f{i}");
        d.write(&name, &[b'x'; 1024]);
        d.fill(&cache, &name);
        let (open, bytes) = cache.usage();
        assert!(open <= 4 && bytes <= 3 * 1024, "{open} {bytes}");
    }
    // A file too large for its bytes to be kept holds a descriptor only; a larger one, not
    // even that.
    d.write("big", &vec![b'x'; CONTENT_MAX as usize + 1]);
    let (_, big) = d.fill(&cache, "big");
    assert_eq!(bytes_of(&big), None);
    assert!(cache.get(&d.1, Path::new("big")).is_some());
    d.write("huge", &vec![b'x'; FILE_MAX as usize + 1]);
    d.fill(&cache, "huge");
    assert!(cache.get(&d.1, Path::new("huge")).is_none());
    // Entries that are hit survive the clock hand.
    let hot = "f19";
    for i in 20..40 {
        assert!(cache.get(&d.1, Path::new(hot)).is_some(), "round {i}");
        let name = format!("f{i}");
        d.write(&name, b"y");
        d.fill(&cache, &name);
    }
    assert!(cache.usage().0 <= 4);
}

#[test]
fn shards_share_the_bounds() {
    let cache = OpenCache::new(4, MAX_OPEN, MAX_CONTENT_BYTES, RACY_MARGIN);
    let shard = cache.shards[0].lock().unwrap();
    assert_eq!(
        (shard.max_open * 4, shard.max_bytes * 4),
        (MAX_OPEN, MAX_CONTENT_BYTES)
    );
    assert!(shard.max_bytes as u64 >= CONTENT_MAX);
}
