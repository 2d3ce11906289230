//! `--state DIR`: the frontier and the seen-set on disk, so that a killed crawl goes on where
//! it stopped (as Scrapy's JOBDIR).
//!
//! Format: two append-only files of lines in DIR.
//! - `queued.log`: one [`Item`] as JSON per URL ever queued. Its URLs are the seen-set.
//! - `done.log`: one URL per line for each URL whose fetch finished (whatever the outcome).
//!
//! On start the frontier is the items of `queued.log` not in `done.log`, in queue order.
//!
//! Durability (group commit): records are buffered, and [`StateLog::commit`] writes
//! `queued.log` first, then `done.log`, each followed by `fsync`, on the blocking pool. A
//! worker finishing a page logs its links as queued, then the page as done, then awaits the
//! commit; commits that arrive while one is running are written together by the next. So a
//! page is durably done only once its links are durably queued, and a crash loses at most
//! pages whose results were not yet reported (they are fetched again). A line cut short by a
//! crash is dropped on start. One crawl at a time may use a DIR.

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::fs::{File, OpenOptions};
use std::future::poll_fn;
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};

use super::frontier::Item;

/// What a state directory held.
#[derive(Debug, Default)]
pub struct Restored {
    /// Every URL ever queued.
    pub seen: HashSet<String>,
    /// The items queued and not done, in order.
    pub queue: VecDeque<Item>,
}

/// The appending side of a state directory.
pub struct StateLog {
    files: Arc<Mutex<(File, File)>>,
    pending: RefCell<(Vec<u8>, Vec<u8>)>,
    /// The batch records are appended to now.
    filling: Cell<u64>,
    /// Batches below this are durable.
    durable: Cell<u64>,
    flushing: Cell<bool>,
    waiters: RefCell<Vec<Waker>>,
    failed: RefCell<Option<String>>,
}

/// Opens (creating if needed) the state files and reads them, after cutting a line left
/// incomplete by a crash.
fn open_log(path: &Path) -> std::io::Result<(File, String)> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .read(true)
        .append(true)
        .open(path)?;
    let mut text = String::new();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let complete = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    if complete < bytes.len() {
        file.set_len(complete as u64)?;
        file.seek(std::io::SeekFrom::End(0))?;
    }
    text.push_str(&String::from_utf8_lossy(&bytes[..complete]));
    Ok((file, text))
}

impl StateLog {
    /// Opens the state in `dir` (created if missing) and returns what it held.
    pub fn open(dir: &Path) -> Result<(StateLog, Restored), String> {
        let err = |e: std::io::Error| format!("state {}: {e}", dir.display());
        std::fs::create_dir_all(dir).map_err(err)?;
        let (queued_file, queued) = open_log(&dir.join("queued.log")).map_err(err)?;
        let (done_file, done) = open_log(&dir.join("done.log")).map_err(err)?;
        let done: HashSet<&str> = done.lines().collect();
        let mut restored = Restored::default();
        for line in queued.lines() {
            let Some(item) = Item::from_json(line) else {
                return Err(format!(
                    "state {}: queued.log has a line that is not a queued URL: {line}",
                    dir.display()
                ));
            };
            if restored.seen.insert(item.url.as_str().to_owned())
                && !done.contains(item.url.as_str())
            {
                restored.queue.push_back(item);
            }
        }
        let log = StateLog {
            files: Arc::new(Mutex::new((queued_file, done_file))),
            pending: RefCell::new((Vec::new(), Vec::new())),
            filling: Cell::new(0),
            durable: Cell::new(0),
            flushing: Cell::new(false),
            waiters: RefCell::new(Vec::new()),
            failed: RefCell::new(None),
        };
        Ok((log, restored))
    }

    /// Logs `item` as queued (durable with the next commit).
    pub fn queued(&self, item: &Item) {
        let mut p = self.pending.borrow_mut();
        p.0.extend_from_slice(item.to_json().as_bytes());
        p.0.push(b'\n');
    }

    /// Logs `item` as done (durable with the next commit).
    pub fn done(&self, item: &Item) {
        let mut p = self.pending.borrow_mut();
        p.1.extend_from_slice(item.url.as_str().as_bytes());
        p.1.push(b'\n');
    }

    /// Returns once everything logged so far is on disk.
    pub async fn commit(&self) -> Result<(), String> {
        let mine = self.filling.get();
        if self.flushing.get() {
            poll_fn(|cx| {
                if self.durable.get() > mine || self.failed.borrow().is_some() {
                    return Poll::Ready(());
                }
                self.waiters.borrow_mut().push(cx.waker().clone());
                Poll::Pending
            })
            .await;
        } else {
            self.flushing.set(true);
            loop {
                let batch = self.filling.get();
                let (queued, done) = std::mem::take(&mut *self.pending.borrow_mut());
                if batch > mine && queued.is_empty() && done.is_empty() {
                    break;
                }
                self.filling.set(batch + 1);
                let files = self.files.clone();
                let written = corio::task::spawn_blocking(move || {
                    let mut f = files.lock().unwrap_or_else(|p| p.into_inner());
                    f.0.write_all(&queued)?;
                    f.0.sync_data()?;
                    f.1.write_all(&done)?;
                    f.1.sync_data()
                })
                .await;
                match written {
                    Ok(Ok(())) => self.durable.set(batch + 1),
                    Ok(Err(e)) => *self.failed.borrow_mut() = Some(format!("state: {e}")),
                    Err(e) => *self.failed.borrow_mut() = Some(format!("state: {e}")),
                }
                for w in self.waiters.borrow_mut().drain(..) {
                    w.wake();
                }
                if self.failed.borrow().is_some() {
                    break;
                }
            }
            self.flushing.set(false);
        }
        match &*self.failed.borrow() {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use url::Url;

    fn item(path: &str) -> Item {
        Item {
            url: Url::parse(&format!("http://h.test{path}")).unwrap(),
            depth: 1,
            redirects_left: 2,
            referrer: None,
        }
    }

    #[test]
    fn restores_queue_minus_done_and_cuts_torn_lines() {
        let dir = std::env::temp_dir().join(format!("corio-state-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        corio::block_on(async {
            let (log, restored) = StateLog::open(&dir).unwrap();
            assert!(restored.seen.is_empty());
            for p in ["/a", "/b", "/c"] {
                log.queued(&item(p));
            }
            log.done(&item("/a"));
            log.commit().await.unwrap();
        });
        // A crash in the middle of a write leaves a partial line.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.join("done.log"))
            .unwrap();
        f.write_all(b"http://h.test/b").unwrap();
        drop(f);
        let (log, restored) = StateLog::open(&dir).unwrap();
        assert_eq!(restored.seen.len(), 3);
        let queue: Vec<_> = restored.queue.iter().map(|i| i.url.path()).collect();
        assert_eq!(queue, ["/b", "/c"]);
        corio::block_on(async {
            log.done(&item("/c"));
            log.commit().await.unwrap();
        });
        let (_, restored) = StateLog::open(&dir).unwrap();
        let queue: Vec<_> = restored.queue.iter().map(|i| i.url.path()).collect();
        assert_eq!(queue, ["/b"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
