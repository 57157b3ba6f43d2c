//! Where things live in the data folder (SPEC §7) and the server's limits.

use std::path::{Path, PathBuf};

/// The data folder: `index/` holds the search index, `content/` the holdings
/// (the tracked demo catalogue, and the ignored file store and database).
#[derive(Debug, Clone)]
pub struct DataDir {
    root: PathBuf,
}

impl DataDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The SQLite database of record.
    pub fn database(&self) -> PathBuf {
        self.root.join("content").join("jingshi.db")
    }

    /// The hash-named file store.
    pub fn store(&self) -> PathBuf {
        self.root.join("content").join("store")
    }

    /// The derived search index.
    pub fn index(&self) -> PathBuf {
        self.root.join("index")
    }

    /// The demo catalogue's manifest, imported on first start when present.
    pub fn demo_manifest(&self) -> PathBuf {
        self.root.join("content").join("demo").join("manifest.json")
    }
}

/// Run-time settings of the server.
#[derive(Debug, Clone)]
pub struct Settings {
    pub data: DataDir,
    /// Password for the first-start `admin` account; random when unset.
    pub admin_password: Option<String>,
}
