//! The open-file cache: files [`resolve`](super::resolve::resolve) opened on its `openat2`
//! fast path, kept open with their metadata (and, for small files, their bytes) so that a
//! repeated request costs one `statx` instead of `openat2`, `fstat`, `pread` and `close`.
//!
//! # Revalidation: no staleness window
//!
//! An entry maps a request's safe relative path (the lexical path of
//! [`SafePath`](super::path::SafePath), no `..`, no empty or hidden-unless-allowed
//! components) to the descriptor the fast path opened and its [`Stamp`]: device, inode,
//! size, modification and status-change times (with nanoseconds). Every request that finds
//! an entry checks it again, by path, relative to the root's descriptor, with
//! `statx(AT_SYMLINK_NOFOLLOW)` of the file (and of each directory above it, see below): the
//! cached descriptor is used only if the file is still a regular file with the same stamp;
//! otherwise the entry is dropped and the caller takes the normal path, which refills it. A
//! file rewritten, truncated, replaced, renamed over or deleted is therefore seen by the very
//! next request (nginx's `open_file_cache_valid` instead trusts an entry for its validity
//! period). A failed `statx` (missing, no permission) is a miss too, so the normal path
//! gives the answer (404, 403) it always gave.
//!
//! # Why a hit never serves what the normal path would refuse
//!
//! * Only the fast path fills the cache: `openat2` with `RESOLVE_BENEATH |
//!   RESOLVE_NO_SYMLINKS`, so the entry's inode was reached beneath the root with no symlink
//!   on the way, and it was a regular file (never a FIFO, socket or device).
//! * A hit re-walks the same lexical path: each directory above the file must still be a
//!   directory and not a symlink (`statx` without following it), and the file itself must
//!   not be a symlink (`AT_SYMLINK_NOFOLLOW`) and must be the same inode with the same size
//!   and times. A path that now holds a symlink component, anywhere, is a miss, and the normal
//!   path applies every symlink rule (a link leading outside the root is still a 404).
//!   A path of `n` components costs `n` `statx` calls, still fewer system calls than the
//!   normal path for the usual depths.
//! * Hidden files are refused lexically, before the cache is asked, by the same
//!   [`SafePath::parse`](super::path::SafePath::parse) as before; a file renamed to a hidden
//!   name is gone from its old path (a miss).
//! * The checks are separate system calls, not one atomic walk: a local attacker who swaps
//!   a directory for a symlink between two of them can make a hit succeed, but only for the
//!   very inode, unchanged (same size and times), that the fast path opened safely beneath the
//!   root under that same path: the bytes served are those the path served a moment before,
//!   never a file the root did not reach.
//!
//! # Small files: their bytes too
//!
//! A regular file up to [`CONTENT_MAX`] bytes has its bytes kept with the entry, so a hit
//! also skips the `pread` (ranges slice them). Bytes are kept only once the file's status
//! change time is at least [`RACY_MARGIN`] old: file times come from a coarse clock (one
//! kernel tick), so two same-size writes within one tick can leave identical stamps, and the
//! bytes read between them would look current forever. A file changed that recently is read
//! with `pread` from the cached descriptor on every request (always its current bytes) until
//! it has been quiet for the margin. Not detected, here as for every ETag built from times:
//! writes through a shared writable `mmap` that change bytes without updating the times,
//! and a wall clock set forward past a recent change.
//!
//! # Bounds and sharing
//!
//! One cache per [`Root`](super::resolve::Root), split into shards, at most one per CPU (and
//! [`MAX_SHARDS`]); a thread always uses the same shard, so with one event loop per core each
//! worker's shard lock is uncontended. Over all shards at most [`MAX_OPEN`] descriptors and
//! [`MAX_CONTENT_BYTES`] of file bytes are held; past either, entries are evicted in clock
//! order (a hit marks an entry, the hand spares marked entries once). Files larger than
//! [`FILE_MAX`] (those sent with `sendfile`) are not cached: the transfer dominates their
//! cost, and like any open descriptor (nginx's `open_file_cache` too) a cached one keeps a
//! deleted file's disk space allocated until the entry goes, which this bounds to
//! [`MAX_OPEN`] × [`FILE_MAX`].

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use rustix::fs::{AtFlags, FileType, StatxFlags};

use super::resolve::{FileMeta, OpenFile};

/// Largest file whose bytes are kept: the small assets served most often; larger ones are
/// read per request (or sent with `sendfile`).
pub const CONTENT_MAX: u64 = 16 * 1024;

/// Largest file cached at all: the largest body read into memory. Above it `sendfile`
/// dominates the cost, and a cached descriptor of a deleted file would hold its disk space.
pub const FILE_MAX: u64 = super::SMALL_FILE_MAX;

/// Descriptors held open at most per root, over all shards: well under the usual soft
/// `RLIMIT_NOFILE` of 1024, which connections need too (and never more than a quarter of
/// the process's soft limit).
pub const MAX_OPEN: usize = 256;

/// File bytes kept at most per root, over all shards.
pub const MAX_CONTENT_BYTES: usize = 16 * 1024 * 1024;

/// Most shards: beyond this many workers, some share a shard.
pub const MAX_SHARDS: usize = 16;

/// How long a file's status change time must lie in the past before its bytes are kept:
/// far above the timestamp tick of Linux filesystems (a jiffy, at most 10 ms), with room for
/// small clock adjustments (see the module docs).
pub const RACY_MARGIN: Duration = Duration::from_secs(1);

/// The identity and version of a file, compared on every hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    dev: u64,
    ino: u64,
    size: u64,
    mtime: (i64, u32),
    ctime: (i64, u32),
}

impl Stamp {
    /// The stamp of metadata taken with `fstat` on the open descriptor.
    pub fn of(meta: &fs::Metadata) -> Stamp {
        Stamp {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime: (meta.mtime(), meta.mtime_nsec() as u32),
            ctime: (meta.ctime(), meta.ctime_nsec() as u32),
        }
    }

    /// Whether the status change time is at least `margin` before `now`.
    fn quiet_at(&self, now: SystemTime, margin: Duration) -> bool {
        let Ok(secs) = u64::try_from(self.ctime.0) else {
            return true;
        };
        let changed = UNIX_EPOCH + Duration::new(secs, self.ctime.1);
        now.duration_since(changed).is_ok_and(|age| age >= margin)
    }
}

/// `statx` of `rel` beneath `dir` without following a final symlink: the stamp of a regular
/// file, `None` for anything else or any error.
fn stat_file(dir: &fs::File, rel: &Path) -> Option<Stamp> {
    let st =
        rustix::fs::statx(dir, rel, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::BASIC_STATS).ok()?;
    let need = StatxFlags::TYPE | StatxFlags::INO | StatxFlags::SIZE;
    let need = need | StatxFlags::MTIME | StatxFlags::CTIME;
    let regular = FileType::from_raw_mode(st.stx_mode.into()) == FileType::RegularFile;
    (regular && StatxFlags::from_bits_retain(st.stx_mask).contains(need)).then(|| Stamp {
        dev: rustix::fs::makedev(st.stx_dev_major, st.stx_dev_minor),
        ino: st.stx_ino,
        size: st.stx_size,
        mtime: (st.stx_mtime.tv_sec, st.stx_mtime.tv_nsec),
        ctime: (st.stx_ctime.tv_sec, st.stx_ctime.tv_nsec),
    })
}

/// Whether every directory above the file in `rel` is still a directory and not a symlink.
fn ancestors_are_directories(dir: &fs::File, rel: &Path) -> bool {
    let bytes = rel.as_os_str().as_bytes();
    bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'/')
        .all(|(at, _)| {
            let ancestor = Path::new(OsStr::from_bytes(&bytes[..at]));
            rustix::fs::statx(dir, ancestor, AtFlags::SYMLINK_NOFOLLOW, StatxFlags::TYPE)
                .is_ok_and(|st| FileType::from_raw_mode(st.stx_mode.into()) == FileType::Directory)
        })
}

/// One cached file.
#[derive(Debug)]
struct Entry {
    key: PathBuf,
    stamp: Stamp,
    meta: FileMeta,
    /// The descriptor, with the bytes when kept.
    file: OpenFile,
    /// The bytes counted against the shard's bound (`file`'s, once the shard has seen them).
    counted: usize,
    /// Set by a hit, cleared when the clock hand passes.
    referenced: bool,
}

impl Entry {
    fn content_len(&self) -> usize {
        self.counted
    }
}

/// A slot of a shard's clock.
#[derive(Debug)]
enum Slot {
    Free,
    Used(Entry),
}

/// One shard: a map from path to slot, and the slots in clock order.
#[derive(Debug)]
struct Shard {
    index: HashMap<PathBuf, usize>,
    slots: Vec<Slot>,
    free: Vec<usize>,
    hand: usize,
    bytes: usize,
    max_open: usize,
    max_bytes: usize,
}

impl Shard {
    fn new(max_open: usize, max_bytes: usize) -> Shard {
        Shard {
            index: HashMap::new(),
            slots: Vec::new(),
            free: Vec::new(),
            hand: 0,
            bytes: 0,
            max_open,
            max_bytes,
        }
    }

    /// The entry under `key`, marked as used.
    fn find(&mut self, key: &Path) -> Option<&mut Entry> {
        let at = *self.index.get(key)?;
        match &mut self.slots[at] {
            Slot::Used(entry) => {
                entry.referenced = true;
                Some(entry)
            }
            Slot::Free => None,
        }
    }

    /// Frees slot `at`.
    fn evict_at(&mut self, at: usize) {
        if let Slot::Used(entry) = std::mem::replace(&mut self.slots[at], Slot::Free) {
            self.bytes -= entry.content_len();
            self.index.remove(&entry.key);
            self.free.push(at);
        }
    }

    /// Drops the entry under `key` if it still has `stamp`.
    fn remove(&mut self, key: &Path, stamp: Stamp) {
        if let Some(&at) = self.index.get(key) {
            if matches!(&self.slots[at], Slot::Used(e) if e.stamp == stamp) {
                self.evict_at(at);
            }
        }
    }

    /// Advances the clock hand to the first unmarked entry and evicts it.
    fn evict_one(&mut self) {
        // Two turns at most: the first clears every mark.
        for _ in 0..2 * self.slots.len() {
            let at = self.hand;
            self.hand = (self.hand + 1) % self.slots.len();
            match &mut self.slots[at] {
                Slot::Used(entry) if entry.referenced => entry.referenced = false,
                Slot::Used(_) => return self.evict_at(at),
                Slot::Free => {}
            }
        }
    }

    fn len(&self) -> usize {
        self.index.len()
    }

    /// Gives the entry under `key`, if it still has `stamp`, the bytes `file` carries, then
    /// evicts down to the bounds.
    fn keep_content(&mut self, key: &Path, stamp: Stamp, file: &OpenFile) {
        let Some(entry) = self
            .find(key)
            .filter(|e| e.stamp == stamp && e.file == *file)
        else {
            return;
        };
        let before = entry.counted;
        let after = file.content().map_or(0, Bytes::len);
        entry.counted = after;
        self.bytes = self.bytes - before + after;
        while self.bytes > self.max_bytes && self.len() > 1 {
            self.evict_one();
        }
    }

    /// Stores `entry`, replacing any under its key, then evicts down to the bounds.
    fn insert(&mut self, entry: Entry) {
        if let Some(&at) = self.index.get(&entry.key) {
            self.evict_at(at);
        }
        while self.len() >= self.max_open {
            self.evict_one();
        }
        self.bytes += entry.content_len();
        let key = entry.key.clone();
        let at = match self.free.pop() {
            Some(at) => {
                self.slots[at] = Slot::Used(entry);
                at
            }
            None => {
                self.slots.push(Slot::Used(entry));
                self.slots.len() - 1
            }
        };
        self.index.insert(key, at);
        while self.bytes > self.max_bytes && self.len() > 1 {
            self.evict_one();
        }
    }
}

/// The cache of one root: see the module docs.
pub struct OpenCache {
    shards: Box<[Mutex<Shard>]>,
    margin: Duration,
}

impl fmt::Debug for OpenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenCache")
            .field("shards", &self.shards.len())
            .finish()
    }
}

impl Default for OpenCache {
    fn default() -> OpenCache {
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
        let nofile = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
        let max_open = nofile.map_or(MAX_OPEN, |n| MAX_OPEN.min((n / 4) as usize));
        OpenCache::new(
            cpus.min(MAX_SHARDS),
            max_open,
            MAX_CONTENT_BYTES,
            RACY_MARGIN,
        )
    }
}

/// A thread's shard number, before the modulo: threads take consecutive ones.
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed);
    }
    SLOT.with(|slot| *slot)
}

impl OpenCache {
    /// `shards` shards sharing the bounds `max_open` and `max_bytes`; bytes are kept for
    /// files quiet for `margin`.
    pub fn new(shards: usize, max_open: usize, max_bytes: usize, margin: Duration) -> OpenCache {
        let shards = shards.max(1);
        let per_open = (max_open / shards).max(1);
        let per_bytes = max_bytes / shards;
        OpenCache {
            shards: (0..shards)
                .map(|_| Mutex::new(Shard::new(per_open, per_bytes)))
                .collect(),
            margin,
        }
    }

    fn shard(&self) -> MutexGuard<'_, Shard> {
        let shard = &self.shards[thread_slot() % self.shards.len()];
        shard.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Descriptors and bytes held, over all shards.
    pub fn usage(&self) -> (usize, usize) {
        self.shards.iter().fold((0, 0), |(n, b), shard| {
            let shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            (n + shard.len(), b + shard.bytes)
        })
    }

    /// The cached file at `rel` beneath `dir`, if it is still the file cached (see the module
    /// docs); a stale entry is dropped.
    pub fn get(&self, dir: &fs::File, rel: &Path) -> Option<(FileMeta, OpenFile)> {
        let (stamp, meta, file) = {
            let mut shard = self.shard();
            let entry = shard.find(rel)?;
            (entry.stamp, entry.meta, entry.file.clone())
        };
        let current = ancestors_are_directories(dir, rel)
            .then(|| stat_file(dir, rel))
            .flatten();
        if current != Some(stamp) {
            self.shard().remove(rel, stamp);
            return None;
        }
        if file.content().is_some() || meta.len > CONTENT_MAX {
            return Some((meta, file));
        }
        let file = self.keep_bytes(file, &stamp, SystemTime::now());
        if file.content().is_some() {
            self.shard().keep_content(rel, stamp, &file);
        }
        Some((meta, file))
    }

    /// Caches `file` (just opened by the fast path, `meta` from `fstat` on it, a regular
    /// file) under `rel` unless it is larger than [`FILE_MAX`]; returns it, with its bytes
    /// when they are kept.
    pub fn insert(&self, rel: &Path, file: fs::File, meta: &fs::Metadata) -> (FileMeta, OpenFile) {
        let stamp = Stamp::of(meta);
        let file_meta = FileMeta::from(meta);
        let file = OpenFile::new(file);
        if file_meta.len > FILE_MAX {
            return (file_meta, file);
        }
        let file = if file_meta.len <= CONTENT_MAX {
            self.keep_bytes(file, &stamp, SystemTime::now())
        } else {
            file
        };
        self.shard().insert(Entry {
            key: rel.to_path_buf(),
            stamp,
            meta: file_meta,
            file: file.clone(),
            counted: file.content().map_or(0, Bytes::len),
            // Unmarked until its first hit, so a stream of files seen once cannot push out
            // the ones requested again.
            referenced: false,
        });
        (file_meta, file)
    }

    /// `file` with its bytes read, when the file has been quiet long enough and the read
    /// returns the stamp's size; else `file` unchanged.
    fn keep_bytes(&self, file: OpenFile, stamp: &Stamp, now: SystemTime) -> OpenFile {
        if !stamp.quiet_at(now, self.margin) {
            return file;
        }
        let Ok(len) = usize::try_from(stamp.size) else {
            return file;
        };
        let mut data = vec![0; len];
        match file.file().read_exact_at(&mut data, 0) {
            Ok(()) => file.with_content(Bytes::from(data)),
            Err(_) => file,
        }
    }
}

#[cfg(test)]
mod tests;
