//! The compressed forms of small files, kept so that repeated requests do not compress again.
//!
//! A file up to [`CACHED_FILE_MAX`] bytes that is compressed on the fly (see
//! [`super::compress`]) is read and compressed whole, and the result is kept under its key:
//! the file's canonical path, the response's ETag (mtime, length and coding, so an edited
//! file gets a new entry and the old one is never served again) and the coding. The cache holds at most
//! [`CACHE_MAX_BYTES`] of compressed bytes; past that the least recently used entries go.
//! One cache is shared by every worker behind a mutex held only for a map operation (the
//! compression itself runs outside it: two workers missing on the same file at once both
//! compress it, and the second insert replaces the first).

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

use bytes::Bytes;

use super::encoding::Encoding;

/// Files up to this size are compressed whole and cached; larger ones stream (compressing
/// them whole would hold both forms in memory, and they are too few to be worth the room).
pub const CACHED_FILE_MAX: u64 = 256 * 1024;

/// The most compressed bytes the cache holds (a few thousand typical text assets), so a tree
/// of many files cannot grow the server's memory without bound.
pub const CACHE_MAX_BYTES: usize = 32 * 1024 * 1024;

/// What an entry is stored under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Key {
    /// Canonical path of the file.
    pub path: PathBuf,
    /// The response's ETag: changes when the file is rewritten.
    pub etag: String,
    /// The coding.
    pub encoding: Encoding,
}

/// One entry: the bytes and when it was last used.
#[derive(Debug)]
struct Entry {
    bytes: Bytes,
    used: u64,
}

/// The map and its recency order.
#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<Key, Entry>,
    /// `used` tick → key, oldest first.
    order: BTreeMap<u64, Key>,
    tick: u64,
    size: usize,
}

/// A bounded LRU cache of compressed bodies; see the module docs.
#[derive(Debug)]
pub struct CompressCache {
    inner: Mutex<Inner>,
    max_bytes: usize,
}

impl Default for CompressCache {
    fn default() -> CompressCache {
        CompressCache::new(CACHE_MAX_BYTES)
    }
}

impl CompressCache {
    /// An empty cache holding at most `max_bytes` of compressed bytes.
    pub fn new(max_bytes: usize) -> CompressCache {
        CompressCache {
            inner: Mutex::new(Inner::default()),
            max_bytes,
        }
    }

    /// The bytes stored under `key`, marked as just used.
    pub fn get(&self, key: &Key) -> Option<Bytes> {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *guard;
        inner.tick += 1;
        let tick = inner.tick;
        let entry = inner.entries.get_mut(key)?;
        inner.order.remove(&entry.used);
        entry.used = tick;
        inner.order.insert(tick, key.clone());
        Some(entry.bytes.clone())
    }

    /// Stores `bytes` under `key`, evicting the least recently used entries past the bound
    /// (an entry larger than the whole bound is not stored).
    pub fn insert(&self, key: Key, bytes: Bytes) {
        if bytes.len() > self.max_bytes {
            return;
        }
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let inner = &mut *guard;
        inner.tick += 1;
        let tick = inner.tick;
        if let Some(old) = inner.entries.remove(&key) {
            inner.order.remove(&old.used);
            inner.size -= old.bytes.len();
        }
        while inner.size + bytes.len() > self.max_bytes {
            let Some((_, oldest)) = inner.order.pop_first() else {
                break;
            };
            if let Some(gone) = inner.entries.remove(&oldest) {
                inner.size -= gone.bytes.len();
            }
        }
        inner.size += bytes.len();
        inner.order.insert(tick, key.clone());
        inner.entries.insert(key, Entry { bytes, used: tick });
    }

    /// The compressed bytes held.
    pub fn size(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).size
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key {
            path: PathBuf::from(name),
            etag: "\"1-2\"".into(),
            encoding: Encoding::Gzip,
        }
    }

    #[test]
    fn least_recently_used_goes_first() {
        let cache = CompressCache::new(10);
        cache.insert(key("a"), Bytes::from_static(b"aaaa"));
        cache.insert(key("b"), Bytes::from_static(b"bbbb"));
        assert_eq!(cache.get(&key("a")).as_deref(), Some(&b"aaaa"[..]));
        cache.insert(key("c"), Bytes::from_static(b"cccc"));
        assert!(
            cache.get(&key("b")).is_none(),
            "b was the least recently used"
        );
        assert!(cache.get(&key("a")).is_some());
        assert!(cache.get(&key("c")).is_some());
        assert_eq!(cache.size(), 8);
        cache.insert(key("a"), Bytes::from_static(b"aa"));
        assert_eq!(cache.size(), 6);
        cache.insert(key("big"), Bytes::from_static(b"0123456789a"));
        assert!(cache.get(&key("big")).is_none());
        let other_etag = Key {
            etag: "\"1-3\"".into(),
            ..key("a")
        };
        assert!(cache.get(&other_etag).is_none());
        let other_coding = Key {
            encoding: Encoding::Brotli,
            ..key("a")
        };
        assert!(cache.get(&other_coding).is_none());
    }
}
