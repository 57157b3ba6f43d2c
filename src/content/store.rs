//! The file store: every file kept once, named by the SHA-256 of its bytes, under
//! `<root>/ab/cd/<64 hex>`. Uploads are written to `<root>/tmp/` while being hashed,
//! checked, synced, then renamed into place, so a blob path either holds the complete
//! file or nothing. Paths are only ever built from validated hashes.
//!
//! Over 400 lines only with its tests (atomic writes and safe paths, checked on real files).

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::error::ContentError;
use super::kind::FileKind;
use super::sniff::sniff_path;
use super::staged::StagedFile;

/// Temp files younger than this may belong to an upload in progress (another process
/// can share the store), so `clean_temp` leaves them alone.
const TEMP_GRACE: Duration = Duration::from_secs(60 * 60);

/// The hash-named file store rooted at `<data>/content/store`.
#[derive(Debug, Clone)]
pub struct FileStore {
    root: PathBuf,
}

/// A file safely in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredBlob {
    /// SHA-256 of the bytes, 64 lowercase hex digits: the blob's name.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// The sniffed type.
    pub kind: FileKind,
    /// MIME type to serve it with.
    pub mime: &'static str,
    /// False when the same bytes were already stored (deduplicated).
    pub newly_written: bool,
}

impl FileStore {
    /// Opens the store at `root`, creating it and its `tmp/` folder when missing.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self, ContentError> {
        let store = FileStore { root: root.into() };
        fs::create_dir_all(store.tmp_dir())?;
        Ok(store)
    }

    /// The store's root folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// Starts an upload limited to the largest size of any accepted type.
    pub fn stage(&self) -> Result<StagedFile, ContentError> {
        self.stage_with_limit(FileKind::max_size_any())
    }

    /// Starts an upload; writing more than `limit` bytes fails with `TooLarge`.
    pub fn stage_with_limit(&self, limit: u64) -> Result<StagedFile, ContentError> {
        let file = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(self.tmp_dir())?;
        Ok(StagedFile::new(file, limit))
    }

    /// Checks a finished upload and moves it into the store. `claimed_name` is the name
    /// the uploader gave; its extension must agree with the bytes. On any error the
    /// temp file is deleted and nothing is left in the store.
    pub fn commit(
        &self,
        staged: StagedFile,
        claimed_name: &str,
    ) -> Result<StoredBlob, ContentError> {
        let (file, sha256, size) = staged.finish()?;
        let kind = sniff_path(file.path(), claimed_name)?;
        if size > kind.max_size() {
            return Err(ContentError::TooLarge {
                limit: kind.max_size(),
                kind: Some(kind),
            });
        }
        let dest = self.path_of(&sha256)?;
        let blob = |newly_written| StoredBlob {
            sha256: sha256.clone(),
            size,
            kind,
            mime: kind.mime(),
            newly_written,
        };
        // Same name means same bytes; a size mismatch means a damaged blob, replaced below.
        if fs::metadata(&dest).is_ok_and(|m| m.is_file() && m.len() == size) {
            // Freshly in use again: a file removed meanwhile elsewhere must not take
            // these bytes with it before this upload's row refers to them (blobs are
            // only dropped once untouched for a while, see `catalog::orphans`).
            touch(&dest)?;
            return Ok(blob(false));
        }
        file.as_file().sync_all()?;
        let dir = dest.parent().unwrap_or(&self.root);
        fs::create_dir_all(dir)?;
        // Two uploads of the same bytes may race here; rename replaces atomically and
        // both write identical content, so either winning is fine.
        file.persist(&dest).map_err(|e| e.error)?;
        sync_dir(dir)?;
        if let Some(parent) = dir.parent() {
            sync_dir(parent)?;
        }
        Ok(blob(true))
    }

    /// Stores a file from disk (bulk import). The type is checked before copying, so a
    /// refused file costs no copy.
    pub fn put_path(&self, src: &Path, claimed_name: &str) -> Result<StoredBlob, ContentError> {
        let kind = sniff_path(src, claimed_name)?;
        let mut staged = self.stage_with_limit(kind.max_size())?;
        let mut source = File::open(src)?;
        io::copy(&mut source, &mut staged).map_err(|e| match ContentError::from(e) {
            ContentError::TooLarge { limit, .. } => ContentError::TooLarge {
                limit,
                kind: Some(kind),
            },
            other => other,
        })?;
        self.commit(staged, claimed_name)
    }

    /// Where the blob with this hash lives. Anything but 64 lowercase hex digits is
    /// refused, so no caller can make this point outside the store.
    pub fn path_of(&self, sha256: &str) -> Result<PathBuf, ContentError> {
        if !is_sha256_hex(sha256) {
            return Err(ContentError::InvalidHash);
        }
        Ok(self
            .root
            .join(&sha256[..2])
            .join(&sha256[2..4])
            .join(sha256))
    }

    /// Whether a blob with this hash is stored.
    pub fn contains(&self, sha256: &str) -> Result<bool, ContentError> {
        Ok(self.path_of(sha256)?.is_file())
    }

    /// Deletes a blob; `Ok(false)` when it was not there. Empty folders are kept: a
    /// concurrent commit may be about to use them.
    pub fn remove(&self, sha256: &str) -> Result<bool, ContentError> {
        match fs::remove_file(self.path_of(sha256)?) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Every stored blob's hash, sorted, for finding orphans. Stray files that are not
    /// blobs (wrong name or wrong folder) are ignored.
    pub fn all_hashes(&self) -> Result<Vec<String>, ContentError> {
        let mut hashes = Vec::new();
        for first in subdirs_named_by_hex(&self.root)? {
            for second in subdirs_named_by_hex(&first)? {
                for entry in fs::read_dir(&second)? {
                    let entry = entry?;
                    let Ok(name) = entry.file_name().into_string() else {
                        continue;
                    };
                    if is_sha256_hex(&name)
                        && entry.file_type()?.is_file()
                        && self.path_of(&name)? == entry.path()
                    {
                        hashes.push(name);
                    }
                }
            }
        }
        hashes.sort_unstable();
        Ok(hashes)
    }

    /// Removes temp files left by crashed or abandoned uploads (call at start-up).
    /// Files touched within the last hour are kept, as another process may still be
    /// writing them. Returns how many were removed.
    pub fn clean_temp(&self) -> Result<usize, ContentError> {
        self.clean_temp_older_than(TEMP_GRACE)
    }

    /// Like [`clean_temp`](Self::clean_temp) with a chosen age; `Duration::ZERO` removes all.
    pub fn clean_temp_older_than(&self, age: Duration) -> Result<usize, ContentError> {
        let mut removed = 0;
        for entry in fs::read_dir(self.tmp_dir())? {
            let entry = entry?;
            let meta = entry.metadata()?;
            let old = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|elapsed| elapsed >= age);
            if !old {
                continue;
            }
            let result = if meta.is_dir() {
                fs::remove_dir_all(entry.path())
            } else {
                fs::remove_file(entry.path())
            };
            match result {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(removed)
    }
}

/// Sets a blob's modification time to now (its content is untouched).
fn touch(path: &Path) -> io::Result<()> {
    File::options()
        .write(true)
        .open(path)?
        .set_modified(std::time::SystemTime::now())
}

fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

fn subdirs_named_by_hex(dir: &Path) -> Result<Vec<PathBuf>, ContentError> {
    let mut dirs = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let hex_pair = name.to_str().is_some_and(|n| {
            n.len() == 2 && n.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        });
        if hex_pair && entry.file_type()?.is_dir() {
            dirs.push(entry.path());
        }
    }
    Ok(dirs)
}

/// Makes a rename durable: the new directory entry is on disk, not just the file data.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Windows cannot open a directory as a file; NTFS journals the rename itself.
#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use sha2::{Digest, Sha256};

    use super::*;
    use crate::content::testutil::*;

    fn store() -> (tempfile::TempDir, FileStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = FileStore::open(dir.path().join("content/store")).expect("open store");
        (dir, store)
    }

    fn put_bytes(store: &FileStore, bytes: &[u8], name: &str) -> Result<StoredBlob, ContentError> {
        let mut staged = store.stage()?;
        staged.write_all(bytes)?;
        store.commit(staged, name)
    }

    fn temp_files(store: &FileStore) -> usize {
        fs::read_dir(store.tmp_dir()).expect("tmp dir").count()
    }

    #[test]
    fn same_bytes_are_stored_once() {
        let (_dir, store) = store();
        let text = "以案为鉴，警钟长鸣。\n";
        let first = put_bytes(&store, text.as_bytes(), "警示.txt").expect("first");
        let second = put_bytes(&store, text.as_bytes(), "copy.md").expect("second");
        assert!(first.newly_written);
        assert!(!second.newly_written);
        assert_eq!(first.sha256, second.sha256);
        assert_eq!(first.sha256, hex::encode(Sha256::digest(text.as_bytes())));
        assert_eq!(
            (first.kind, first.mime, first.size),
            (FileKind::Text, "text/plain", 31)
        );
        let path = store.path_of(&first.sha256).expect("path");
        assert_eq!(fs::read_to_string(&path).expect("read"), text);
        let relative = path.strip_prefix(store.root()).expect("inside the store");
        let expected = format!(
            "{}/{}/{}",
            &first.sha256[..2],
            &first.sha256[2..4],
            first.sha256
        );
        assert_eq!(relative, Path::new(&expected));
        assert_eq!(
            store.all_hashes().expect("list"),
            vec![first.sha256.clone()]
        );
        assert_eq!(temp_files(&store), 0);
    }

    #[test]
    fn storing_stored_bytes_again_marks_the_blob_in_use() {
        let (_dir, store) = store();
        let blob = put_bytes(&store, b"same bytes", "a.txt").expect("stored");
        let path = store.path_of(&blob.sha256).expect("path");
        let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&path)
            .and_then(|f| f.set_modified(hour_ago))
            .expect("age");
        let again = put_bytes(&store, b"same bytes", "b.txt").expect("stored again");
        assert!(!again.newly_written);
        let age = fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|m| m.elapsed().ok())
            .expect("age");
        assert!(age < Duration::from_secs(600), "touched: {age:?}");
        assert_eq!(fs::read(&path).expect("read"), b"same bytes");
    }

    #[test]
    fn refused_files_leave_nothing_behind() {
        let (_dir, store) = store();
        let err = put_bytes(&store, &elf_bytes(), "x.pdf").expect_err("refused");
        assert!(matches!(
            err,
            ContentError::TypeMismatch {
                claimed: FileKind::Pdf,
                ..
            }
        ));
        let err = put_bytes(&store, &pe_bytes(), "x.pdf").expect_err("refused");
        assert!(matches!(err, ContentError::TypeMismatch { .. }));
        let err = put_bytes(&store, &pe_bytes(), "setup.exe").expect_err("refused");
        assert!(matches!(err, ContentError::NotAllowed { .. }));
        let zip = zip_bytes(&[("a.txt", b"hello")]);
        let err = put_bytes(&store, &zip, "材料.docx").expect_err("refused");
        assert!(matches!(
            err,
            ContentError::TypeMismatch {
                claimed: FileKind::Docx,
                ..
            }
        ));
        let err = put_bytes(&store, &zip, "材料.zip").expect_err("refused");
        assert!(matches!(err, ContentError::NotAllowed { .. }));
        assert_eq!(temp_files(&store), 0);
        assert!(store.all_hashes().expect("list").is_empty());
    }

    #[test]
    fn size_limit_per_type() {
        let (_dir, store) = store();
        // An image may be 10 MiB; one byte more is refused at commit.
        let mut png = png_bytes();
        png.resize(FileKind::Png.max_size() as usize + 1, 0);
        let err = put_bytes(&store, &png, "封面.png").expect_err("too big");
        assert!(matches!(
            err,
            ContentError::TooLarge {
                kind: Some(FileKind::Png),
                ..
            }
        ));
        assert!(err.to_string().contains("10 MB"));
        assert_eq!(temp_files(&store), 0);
        assert!(store.all_hashes().expect("list").is_empty());
    }

    #[test]
    fn put_path_copies_and_checks() {
        let (dir, store) = store();
        let src = dir.path().join("教材.docx");
        fs::write(&src, docx_bytes("<w:p><w:r><w:t>正文</w:t></w:r></w:p>")).expect("write");
        let blob = store.put_path(&src, "教材.docx").expect("stored");
        assert_eq!(blob.kind, FileKind::Docx);
        assert!(blob.mime.contains("wordprocessingml"));
        assert_eq!(
            fs::read(store.path_of(&blob.sha256).expect("path")).expect("read"),
            fs::read(&src).expect("read")
        );
        let fake = dir.path().join("fake.pdf");
        fs::write(&fake, elf_bytes()).expect("write");
        assert!(matches!(
            store.put_path(&fake, "fake.pdf"),
            Err(ContentError::TypeMismatch { .. })
        ));
        assert_eq!(temp_files(&store), 0);
        assert!(store.contains(&blob.sha256).expect("valid"));
        assert!(store.remove(&blob.sha256).expect("removed"));
        assert!(!store.remove(&blob.sha256).expect("already gone"));
        assert!(!store.contains(&blob.sha256).expect("valid"));
    }

    #[test]
    fn path_of_accepts_only_hashes() {
        let (_dir, store) = store();
        let good = "a".repeat(64);
        assert!(
            store
                .path_of(&good)
                .expect("valid")
                .starts_with(store.root())
        );
        for bad in [
            "../etc/passwd".to_owned(),
            format!("../../{}", "a".repeat(58)),
            "A".repeat(64),
            "a".repeat(63),
            "a".repeat(65),
            "g".repeat(64),
            format!("{}/", "a".repeat(63)),
            String::new(),
        ] {
            assert!(
                matches!(store.path_of(&bad), Err(ContentError::InvalidHash)),
                "{bad}"
            );
            assert!(store.remove(&bad).is_err());
        }
    }

    #[test]
    fn all_hashes_ignores_strays_and_temp_is_cleaned() {
        let (_dir, store) = store();
        let blob = put_bytes(&store, b"hello", "a.txt").expect("stored");
        // Stray files in the right places with the wrong names, and vice versa.
        fs::write(store.root().join("README"), "x").expect("write");
        let dir = store.path_of(&blob.sha256).expect("path");
        let dir = dir.parent().expect("parent");
        fs::write(dir.join("notes.txt"), "x").expect("write");
        fs::write(dir.join("b".repeat(64)), "x").expect("write");
        assert_eq!(store.all_hashes().expect("list"), vec![blob.sha256]);

        fs::write(store.tmp_dir().join("upload-crashed"), "partial").expect("write");
        assert_eq!(
            store.clean_temp().expect("clean"),
            0,
            "fresh files are kept"
        );
        assert_eq!(
            store.clean_temp_older_than(Duration::ZERO).expect("clean"),
            1
        );
        assert_eq!(temp_files(&store), 0);
    }
}
