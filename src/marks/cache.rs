//! Stamped copies on disk (`content/marked/`): one file per mark, original and day,
//! written to a temporary file and renamed (never a partial copy), bounded in total
//! size by evicting the least recently used. The files are then served like the
//! originals, so ranges and validators work the same.
//!
//! Recency is the file's modification time for copies made before this process
//! started, and the time of last use for those it has served since: touching the
//! file would change its `Last-Modified` and so break clients' validators.

use std::collections::HashMap;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use super::pdf::{Stamp, StampError, stamp_pdf};

/// A copy used this recently is never evicted: it may be being served right now.
const IN_USE: Duration = Duration::from_secs(60);

/// Temporary files older than this were left by a crash mid-write.
const STALE_TEMP: Duration = Duration::from_secs(60 * 60);

const TEMP_PREFIX: &str = ".stamping-";

/// What the cache holds: stamped PDFs and marked text documents.
pub const COPY_EXTENSIONS: [&str; 4] = ["pdf", "txt", "md", "docx"];

/// The folder of stamped copies and its size bound.
#[derive(Debug)]
pub struct MarkedCopies {
    dir: PathBuf,
    max_bytes: u64,
    /// How recently used a copy must not be evicted ([`IN_USE`]).
    in_use: Duration,
    /// When each copy was last served by this process (by file name).
    used: Mutex<HashMap<String, SystemTime>>,
    /// Held while a copy is made: readers arriving together for a new copy (a PDF
    /// viewer's first ranges) wait for one stamping instead of each doing it, and a
    /// 2-core machine stamps one file at a time.
    making: Mutex<()>,
}

/// One stamped copy ready to serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkedCopy {
    pub path: PathBuf,
    /// Whether it was made for this request (false: taken from the cache).
    pub made: bool,
}

impl MarkedCopies {
    /// The cache in `dir` (created when missing), holding at most `max_bytes`.
    pub fn open(dir: impl Into<PathBuf>, max_bytes: u64) -> std::io::Result<Self> {
        let dir = dir.into();
        fs::create_dir_all(&dir)?;
        Ok(Self {
            dir,
            max_bytes,
            in_use: IN_USE,
            used: Mutex::new(HashMap::new()),
            making: Mutex::new(()),
        })
    }

    /// The same cache, evicting copies used less than `in_use` ago too (tests).
    pub fn with_in_use(mut self, in_use: Duration) -> Self {
        self.in_use = in_use;
        self
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The copy of `original` (whose content hash is `sha256`) stamped with `stamp`,
    /// made when the cache does not hold it. Blocking.
    pub fn copy_of(
        &self,
        original: &Path,
        sha256: &str,
        stamp: &Stamp,
    ) -> Result<MarkedCopy, StampError> {
        let name = format!(
            "{}-{}-{sha256}.pdf",
            stamp.code,
            stamp.day.strftime("%Y%m%d")
        );
        self.copy_named(&name, |out| stamp_pdf(fs::read(original)?, stamp, out))
    }

    /// The copy called `name` (a file name ending in one of [`COPY_EXTENSIONS`]),
    /// made by `write` when the cache does not hold it. Blocking.
    pub(crate) fn copy_named<E: From<std::io::Error>>(
        &self,
        name: &str,
        write: impl FnOnce(&mut BufWriter<tempfile::NamedTempFile>) -> Result<(), E>,
    ) -> Result<MarkedCopy, E> {
        let path = self.dir.join(name);
        let made = if path.is_file() {
            false
        } else {
            let _making = self
                .making
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // Made meanwhile by the request this one waited for?
            let made_now = !path.is_file();
            if made_now {
                self.write_copy(&path, write)?;
            }
            made_now
        };
        self.used_now(name);
        if made {
            self.evict(name);
        }
        Ok(MarkedCopy { path, made })
    }

    fn write_copy<E: From<std::io::Error>>(
        &self,
        path: &Path,
        write: impl FnOnce(&mut BufWriter<tempfile::NamedTempFile>) -> Result<(), E>,
    ) -> Result<(), E> {
        let temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.dir)?;
        let mut out = BufWriter::with_capacity(1 << 20, temp);
        // On an error the temporary file is dropped, and so removed.
        write(&mut out)?;
        out.flush()?;
        let temp = out.into_inner().map_err(|err| err.into_error())?;
        temp.persist(path).map_err(|err| err.error)?;
        Ok(())
    }

    fn used_now(&self, name: &str) {
        self.used
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(name.to_owned(), SystemTime::now());
    }

    /// Removes the least recently used copies until the cache fits its bound (never
    /// `keep`, nor a copy in use), and temporary files a crash left behind.
    fn evict(&self, keep: &str) {
        let now = SystemTime::now();
        let mut copies = self.copies(now);
        let mut total: u64 = copies.iter().map(|copy| copy.size).sum();
        if total <= self.max_bytes {
            return;
        }
        copies.sort_by_key(|copy| copy.last_used);
        let mut used = self
            .used
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for copy in copies {
            if total <= self.max_bytes {
                break;
            }
            let idle = now.duration_since(copy.last_used).unwrap_or_default();
            if copy.name == keep || idle < self.in_use {
                continue;
            }
            match fs::remove_file(self.dir.join(&copy.name)) {
                Ok(()) => {
                    total = total.saturating_sub(copy.size);
                    used.remove(&copy.name);
                }
                Err(err) => tracing::warn!(name = %copy.name, %err, "cannot evict a stamped copy"),
            }
        }
    }

    /// The copies in the folder with their size and last use; stale temporary files
    /// are removed on the way.
    fn copies(&self, now: SystemTime) -> Vec<CachedCopy> {
        let used = self
            .used
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        let Ok(entries) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut copies = Vec::new();
        for entry in entries.flatten() {
            let (Ok(meta), Ok(name)) = (entry.metadata(), entry.file_name().into_string()) else {
                continue;
            };
            let modified = meta.modified().unwrap_or(now);
            if name.starts_with(TEMP_PREFIX) {
                if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                    let _ = fs::remove_file(entry.path());
                }
                continue;
            }
            let ours = COPY_EXTENSIONS.iter().any(|ext| {
                name.strip_suffix(ext)
                    .is_some_and(|stem| stem.ends_with('.'))
            });
            if !meta.is_file() || !ours {
                continue;
            }
            let last_used = used.get(&name).copied().unwrap_or(modified).max(modified);
            copies.push(CachedCopy {
                name,
                size: meta.len(),
                last_used,
            });
        }
        copies
    }
}

struct CachedCopy {
    name: String,
    size: u64,
    last_used: SystemTime,
}

#[cfg(test)]
mod tests;
