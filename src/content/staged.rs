//! An upload on its way into the store: a temp file that hashes and counts the bytes
//! as they are written, so the hash is known without reading the file again.

use std::fmt;
use std::io::{self, Write};

use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use super::error::ContentError;

/// An upload being written: a temp file in the store's `tmp/` that hashes and counts
/// what is written to it. Write into it, then hand it to
/// [`FileStore::commit`](super::FileStore::commit). Dropped without commit, the temp
/// file is deleted.
pub struct StagedFile {
    file: NamedTempFile,
    hasher: Sha256,
    size: u64,
    limit: u64,
}

impl StagedFile {
    pub(super) fn new(file: NamedTempFile, limit: u64) -> Self {
        StagedFile {
            file,
            hasher: Sha256::new(),
            size: 0,
            limit,
        }
    }

    /// Bytes written so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The most bytes this upload may hold.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// The flushed temp file, the hex SHA-256 of its bytes, and their count.
    pub(super) fn finish(mut self) -> Result<(NamedTempFile, String, u64), ContentError> {
        self.file.flush()?;
        Ok((self.file, hex::encode(self.hasher.finalize()), self.size))
    }
}

impl Write for StagedFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size.saturating_add(buf.len() as u64) > self.limit {
            // Travels inside io::Error so `io::copy` works; `ContentError::from` unwraps it.
            return Err(io::Error::other(ContentError::TooLarge {
                limit: self.limit,
                kind: None,
            }));
        }
        let written = self.file.write(buf)?;
        self.hasher.update(&buf[..written]);
        self.size += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

impl fmt::Debug for StagedFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StagedFile")
            .field("path", &self.file.path())
            .field("size", &self.size)
            .field("limit", &self.limit)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_counts_and_limits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = NamedTempFile::new_in(dir.path()).expect("temp file");
        let mut staged = StagedFile::new(file, 10);
        staged.write_all(b"01234").expect("write");
        io::copy(&mut &b"56789"[..], &mut staged).expect("copy");
        let err = ContentError::from(staged.write_all(b"x").expect_err("over the limit"));
        assert!(matches!(
            err,
            ContentError::TooLarge {
                limit: 10,
                kind: None
            }
        ));
        let err = ContentError::from(io::copy(&mut &b"x"[..], &mut staged).expect_err("over"));
        assert!(matches!(err, ContentError::TooLarge { limit: 10, .. }));
        assert_eq!((staged.size(), staged.limit()), (10, 10));
        let (file, sha256, size) = staged.finish().expect("finish");
        assert_eq!(size, 10);
        assert_eq!(sha256, hex::encode(Sha256::digest(b"0123456789")));
        assert_eq!(std::fs::read(file.path()).expect("read"), b"0123456789");
    }

    #[test]
    fn dropped_upload_leaves_no_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = NamedTempFile::new_in(dir.path()).expect("temp file");
        let mut staged = StagedFile::new(file, 3);
        assert!(staged.write_all(b"toolong").is_err());
        drop(staged);
        assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
    }
}
