//! The index's life cycle: open or create it, keep it in step with the catalogue
//! (`apply`, `rebuild`), and remember which catalogue change it reflects.
//!
//! The last applied catalogue change sequence number lives in the tantivy commit payload,
//! written atomically with the documents, so after a crash the index is never ahead of the
//! database: it is at an older sequence number and catches up by re-applying changes
//! (which is idempotent: delete by id, then add).

use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::directory::error::LockError;
use tantivy::{
    Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, Searcher, TantivyError, Term,
};

use super::analyzer;
use super::cache::WeightedLru;
use super::doc::SearchDoc;
use super::groups::GroupMap;
use super::normalize;
use super::request::{SearchRequest, SearchResults};
use super::schema::{self, Fields};
use super::stored::DocCache;
use super::synonyms::Synonyms;
use super::{RebuildError, SearchError};

/// Indexing threads: the target machine has two cores, and the server keeps serving while
/// it rebuilds.
const MAX_WRITER_THREADS: usize = 2;
/// Bytes of recent search answers kept (see [`SearchIndex::set_result_cache_bytes`]).
pub const RESULT_CACHE_BYTES: usize = 16 * 1024 * 1024;
/// Indexing memory per thread; larger means fewer segments to merge.
const WRITER_BUDGET_PER_THREAD: usize = 96 * 1024 * 1024;

/// The search index of the catalogue: one reader for the process (a fresh searcher per
/// request) and one writer behind a lock, taken when first needed so a process that only
/// searches never blocks a writer elsewhere.
pub struct SearchIndex {
    pub(crate) index: Index,
    pub(crate) reader: IndexReader,
    pub(crate) fields: Fields,
    writer: Mutex<Option<IndexWriter>>,
    pub(crate) stored: DocCache,
    /// Recent answers of the current searcher generation.
    /// Keyed by searcher generation and dictionary version.
    pub(crate) results: WeightedLru<(u64, u64, SearchRequest), SearchResults>,
    /// The searcher generation the caches were last pruned for.
    pub(crate) cached_generation: AtomicU64,
    applied_seq: AtomicI64,
    version: String,
    /// The abbreviation dictionary queries are expanded with, and its version (bumped on
    /// every change, so cached answers of the old dictionary are never served).
    synonyms: RwLock<(u64, Arc<Synonyms>)>,
    /// Pinyin tables of the segments and of the dictionary, for completions.
    pub(crate) pinyin: super::pinyin_table::PinyinTables,
    /// Set when the server stops: no writer is taken again.
    closed: std::sync::atomic::AtomicBool,
    /// The copies and editions of the latest searcher generation searched.
    groups: Mutex<Option<Arc<GroupMap>>>,
}

/// An opened index and whether it must be rebuilt from the catalogue (it was missing,
/// corrupt, from another schema version, or never committed).
pub struct OpenedIndex {
    pub index: SearchIndex,
    pub needs_rebuild: bool,
}

#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    version: String,
    seq: i64,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("applied_seq", &self.applied_seq())
            .field("doc_count", &self.doc_count())
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Opens the index in `dir`, creating the directory and the index if missing. An index
    /// that cannot be opened or was written under another schema version is wiped and
    /// recreated empty; `needs_rebuild` then says to fill it from the catalogue.
    pub fn open(dir: &Path) -> Result<OpenedIndex, SearchError> {
        Self::open_versioned(dir, schema::version())
    }

    pub(crate) fn open_versioned(dir: &Path, version: String) -> Result<OpenedIndex, SearchError> {
        let io = |source| SearchError::Io {
            path: dir.to_path_buf(),
            source,
        };
        std::fs::create_dir_all(dir).map_err(io)?;
        let (schema, fields) = schema::build();
        if dir.join("meta.json").exists() {
            match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => {
                    let payload = read_payload(&index);
                    match payload {
                        Some(p) if p.version == version => {
                            let index = Self::from_index(index, fields, p.seq, version)?;
                            return Ok(OpenedIndex {
                                index,
                                needs_rebuild: false,
                            });
                        }
                        Some(p) => tracing::warn!(
                            found = %p.version, expected = %version,
                            "search index from another schema version; rebuilding"
                        ),
                        None => tracing::warn!("search index was never committed; rebuilding"),
                    }
                }
                Ok(_) => tracing::warn!("search index has another schema; rebuilding"),
                Err(error) => tracing::warn!(%error, "search index unreadable; rebuilding"),
            }
            wipe(dir).map_err(io)?;
        }
        let index = Index::builder()
            .schema(schema)
            .settings(IndexSettings::default())
            .create_in_dir(dir)?;
        Ok(OpenedIndex {
            index: Self::from_index(index, fields, 0, version)?,
            needs_rebuild: true,
        })
    }

    /// An empty index in memory (tests, benchmarks).
    pub fn open_in_ram() -> Result<SearchIndex, SearchError> {
        let (schema, fields) = schema::build();
        Self::from_index(Index::create_in_ram(schema), fields, 0, schema::version())
    }

    fn from_index(
        index: Index,
        fields: Fields,
        seq: i64,
        version: String,
    ) -> Result<SearchIndex, SearchError> {
        analyzer::register(&index);
        // Build the segmenter now rather than in the first request.
        let _ = analyzer::jieba();
        normalize::warm_spellings();
        // Reloads on our own commits are explicit (immediate); the watch picks up merges
        // and commits made by another process.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            fields,
            writer: Mutex::new(None),
            closed: std::sync::atomic::AtomicBool::new(false),
            stored: DocCache::default(),
            results: WeightedLru::new(RESULT_CACHE_BYTES),
            cached_generation: AtomicU64::new(0),
            applied_seq: AtomicI64::new(seq),
            version,
            synonyms: RwLock::new((0, Arc::new(Synonyms::shipped()))),
            groups: Mutex::new(None),
            pinyin: Default::default(),
        })
    }

    /// Sets the bytes of recent answers kept; 0 turns the answer cache off (benchmarks of
    /// the uncached path).
    pub fn set_result_cache_bytes(&self, bytes: usize) {
        self.results.set_capacity(bytes);
    }

    /// Installs the abbreviation dictionary; the next search uses it.
    pub fn set_synonyms(&self, synonyms: Synonyms) {
        let mut slot = self
            .synonyms
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *slot = (slot.0 + 1, Arc::new(synonyms));
    }

    /// The dictionary in use and its version.
    pub fn synonyms(&self) -> (u64, Arc<Synonyms>) {
        let slot = self.synonyms.read().unwrap_or_else(PoisonError::into_inner);
        (slot.0, Arc::clone(&slot.1))
    }

    /// The copies and editions among `searcher`'s documents, worked out once per
    /// searcher generation.
    pub(crate) fn group_map(&self, searcher: &Searcher) -> Result<Arc<GroupMap>, SearchError> {
        let generation = searcher.generation().generation_id();
        let mut slot = self.groups.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(map) = slot.as_ref().filter(|m| m.generation() == generation) {
            return Ok(Arc::clone(map));
        }
        let map = Arc::new(GroupMap::build(searcher)?);
        *slot = Some(Arc::clone(&map));
        Ok(map)
    }

    /// The last catalogue change sequence number whose effects are in the index.
    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(Ordering::SeqCst)
    }

    /// A view for matching saved searches whose searcher and applied change agree:
    /// taken under the writer's lock, which a commit holds until its searcher is
    /// reloaded.
    pub fn matcher(&self) -> super::Matcher<'_> {
        let guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let (searcher, seq) = (self.reader.searcher(), self.applied_seq());
        drop(guard);
        super::Matcher::new(self, searcher, seq)
    }

    /// Number of documents visible to searches.
    pub fn doc_count(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// Applies catalogue changes: each upserted resource replaces any document with its
    /// id, each deleted id is removed, and the commit records `new_seq`, all or nothing.
    /// Applying the same changes twice gives the same index.
    pub fn apply(
        &self,
        upserts: Vec<SearchDoc>,
        deletes: &[String],
        new_seq: i64,
    ) -> Result<(), SearchError> {
        let mut guard = self.writer()?;
        // Two callers may catch up at once (the follower and a request that needs its
        // change searchable now): a batch older than what is applied would undo newer.
        if new_seq <= self.applied_seq() {
            return Ok(());
        }
        let writer = writer_of(&mut guard)?;
        let result = (|| {
            for id in deletes {
                writer.delete_term(Term::from_field_text(self.fields.id, id));
            }
            for doc in &upserts {
                writer.delete_term(Term::from_field_text(self.fields.id, &doc.id));
                writer.add_document(schema::to_document(&self.fields, doc))?;
            }
            self.commit(writer, new_seq)
        })();
        finish(writer, result)?;
        self.reader.reload()?;
        Ok(())
    }

    /// Replaces the whole index with `docs`, recording `seq` (the catalogue's last change
    /// sequence number read in the same transaction as the documents). `progress` is
    /// called with the number of documents added so far.
    pub fn rebuild(
        &self,
        docs: impl Iterator<Item = SearchDoc>,
        seq: i64,
        progress: &dyn Fn(u64),
    ) -> Result<(), SearchError> {
        self.try_rebuild(docs.map(Ok::<_, Infallible>), seq, progress)
            .map_err(|err| match err {
                RebuildError::Index(err) => err,
                RebuildError::Source(never) => match never {},
            })
    }

    /// [`rebuild`](Self::rebuild) from a source that may fail, read as the index is
    /// written so that the documents are never all in memory at once. A failed read
    /// rolls the index back to what it was.
    pub fn try_rebuild<E>(
        &self,
        docs: impl Iterator<Item = Result<SearchDoc, E>>,
        seq: i64,
        progress: &dyn Fn(u64),
    ) -> Result<(), RebuildError<E>> {
        let mut guard = self.writer()?;
        let writer = writer_of(&mut guard)?;
        let mut source_error = None;
        let result = (|| {
            writer.delete_all_documents()?;
            let mut n = 0u64;
            for doc in docs {
                let doc = match doc {
                    Ok(doc) => doc,
                    Err(err) => {
                        source_error = Some(err);
                        return Ok(());
                    }
                };
                writer.add_document(schema::to_document(&self.fields, &doc))?;
                n += 1;
                if n.is_multiple_of(256) {
                    progress(n);
                }
            }
            progress(n);
            self.commit(writer, seq)
        })();
        if let Some(err) = source_error {
            if let Err(rollback) = writer.rollback() {
                tracing::error!(%rollback, "search index rollback failed");
            }
            return Err(RebuildError::Source(err));
        }
        finish(writer, result)?;
        self.reader.reload().map_err(SearchError::from)?;
        Ok(())
    }

    /// Number of index segments searched (fewer is faster; merges run in the background).
    pub fn segment_count(&self) -> usize {
        self.reader.searcher().segment_readers().len()
    }

    /// Waits for background merges to finish and releases the writer (it is taken again
    /// when next needed). `jingshi reindex` calls this so it leaves a compact index.
    pub fn wait_for_merges(&self) -> Result<(), SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(writer) = guard.take() {
            writer.wait_merging_threads()?;
        }
        drop(guard);
        self.reader.reload()?;
        Ok(())
    }

    /// Waits for a write in progress and for background merges, then refuses any
    /// further write: when the server stops, nothing of it touches the index any more
    /// (a restore may replace the folder next).
    pub fn close(&self) -> Result<(), SearchError> {
        // `writer()` checks the flag under the lock, so no writer is taken after this.
        self.closed.store(true, Ordering::SeqCst);
        self.wait_for_merges()
    }

    /// Re-reads the committed state, e.g. after another process rebuilt the index.
    pub fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload()?;
        if let Some(p) = read_payload(&self.index) {
            self.applied_seq.store(p.seq, Ordering::SeqCst);
        }
        Ok(())
    }

    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<(), TantivyError> {
        let payload = serde_json::to_string(&Payload {
            version: self.version.clone(),
            seq,
        })
        .map_err(|e| TantivyError::InternalError(e.to_string()))?;
        let mut prepared = writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        self.applied_seq.store(seq, Ordering::SeqCst);
        Ok(())
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter>>, SearchError> {
        // A panic while holding the lock leaves at worst uncommitted operations, which the
        // next apply rolls back on error or commits as a consistent newer state.
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if self.closed.load(Ordering::SeqCst) {
            return Err(SearchError::Closed);
        }
        if guard.is_none() {
            let threads = std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .clamp(1, MAX_WRITER_THREADS);
            let writer = self
                .index
                .writer_with_num_threads(threads, threads * WRITER_BUDGET_PER_THREAD)
                .map_err(|e| match e {
                    TantivyError::LockFailure(LockError::LockBusy, _) => SearchError::Locked,
                    other => SearchError::Index(other),
                })?;
            *guard = Some(writer);
        }
        Ok(guard)
    }
}

fn writer_of<'a>(
    guard: &'a mut MutexGuard<'_, Option<IndexWriter>>,
) -> Result<&'a mut IndexWriter, SearchError> {
    guard
        .as_mut()
        .ok_or_else(|| SearchError::Index(TantivyError::InternalError("no index writer".into())))
}

/// On failure, drops the uncommitted operations so a later commit cannot publish half of
/// this batch.
fn finish(writer: &mut IndexWriter, result: Result<(), TantivyError>) -> Result<(), SearchError> {
    if let Err(error) = result {
        if let Err(rollback) = writer.rollback() {
            tracing::error!(%rollback, "search index rollback failed");
        }
        return Err(error.into());
    }
    Ok(())
}

fn read_payload(index: &Index) -> Option<Payload> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}

/// Removes the index files tantivy wrote into `dir` (its meta files and segment files named
/// by a 32-hex-digit id), leaving anything else in the directory alone.
fn wipe(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let stem = name.split('.').next().unwrap_or("");
        let is_segment = stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit());
        if name == "meta.json" || name == ".managed.json" || is_segment {
            let path: PathBuf = entry.path();
            if path.is_file() {
                std::fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}
