//! The stored fields a hit shows, with a bounded cache of recently shown documents.
//!
//! Loading a stored document from tantivy decompresses and UTF-8-checks all of it, and a
//! law's full text is up to 300 KB: for popular results that was most of a search's cost.
//! A segment's documents never change, so a (segment, doc) key stays valid until the
//! segment is merged away, after which its entries simply age out of the cache.

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::index::SegmentId;
use tantivy::schema::{Field, Value};
use tantivy::{DocAddress, DocId, Searcher, TantivyDocument};

use super::cache::{Weigh, WeightedLru};
use super::schema::Fields;

/// Text bytes kept in the cache, over all its documents.
pub(crate) const DOC_CACHE_BYTES: usize = 64 * 1024 * 1024;
/// Counted per document besides its texts (the entry, the strings' headers).
const ENTRY_OVERHEAD: usize = 256;

/// What a hit shows of a resource, as stored in the index.
#[derive(Debug, Default)]
pub(crate) struct StoredHit {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub summary: String,
    pub body: String,
    /// The video's cues as JSON (parsed only when a hit needs them).
    pub cues: String,
    pub year: Option<i32>,
    pub sectors: Vec<String>,
    pub violations: Vec<String>,
    pub tags: Vec<String>,
    pub access: String,
    pub status: String,
    /// A video's length in seconds.
    pub duration: Option<u32>,
    pub machine_read: bool,
}

impl StoredHit {
    fn from_doc(doc: &TantivyDocument, f: &Fields) -> Self {
        StoredHit {
            id: text(doc, f.id),
            title: text(doc, f.title),
            kind: text(doc, f.kind),
            summary: text(doc, f.summary),
            body: text(doc, f.body),
            cues: text(doc, f.cues),
            year: doc
                .get_first(f.year)
                .and_then(|v| v.as_i64())
                .and_then(|y| i32::try_from(y).ok()),
            sectors: all_texts(doc, f.sector),
            violations: all_texts(doc, f.violation),
            tags: all_texts(doc, f.tags),
            access: text(doc, f.access),
            status: text(doc, f.status),
            duration: doc
                .get_first(f.duration)
                .and_then(|v| v.as_u64())
                .and_then(|d| u32::try_from(d).ok()),
            machine_read: doc
                .get_first(f.machine_read)
                .and_then(|v| v.as_u64())
                .is_some_and(|flag| flag == 1),
        }
    }
}

impl Weigh for StoredHit {
    fn weight(&self) -> usize {
        ENTRY_OVERHEAD
            + [
                &self.id,
                &self.title,
                &self.kind,
                &self.summary,
                &self.body,
                &self.cues,
                &self.access,
                &self.status,
            ]
            .iter()
            .map(|s| s.len())
            .sum::<usize>()
            + [&self.sectors, &self.violations, &self.tags]
                .iter()
                .flat_map(|list| list.iter())
                .map(String::len)
                .sum::<usize>()
    }
}

/// Recently shown documents, least recently used evicted first, bounded in bytes.
pub(crate) struct DocCache {
    lru: WeightedLru<(SegmentId, DocId), StoredHit>,
}

impl DocCache {
    pub fn new(capacity_bytes: usize) -> Self {
        DocCache {
            lru: WeightedLru::new(capacity_bytes),
        }
    }

    /// The stored fields of the document at `address`, from the cache or the index.
    pub fn get(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        address: DocAddress,
    ) -> tantivy::Result<Arc<StoredHit>> {
        let key = (
            searcher.segment_reader(address.segment_ord).segment_id(),
            address.doc_id,
        );
        if let Some(hit) = self.lru.get(&key) {
            return Ok(hit);
        }
        // Loaded outside the lock: two requests may load the same document at once, which
        // costs a little work and no harm.
        let doc: TantivyDocument = searcher.doc(address)?;
        let hit = Arc::new(StoredHit::from_doc(&doc, fields));
        self.lru.insert(key, Arc::clone(&hit));
        Ok(hit)
    }

    /// Forgets the documents of segments not in `live`.
    pub fn retain_segments(&self, live: &HashSet<SegmentId>) {
        self.lru.retain(|(segment, _)| live.contains(segment));
    }

    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lru.bytes()
    }
}

impl Default for DocCache {
    fn default() -> Self {
        DocCache::new(DOC_CACHE_BYTES)
    }
}

/// A stored text field's first value, or empty.
pub(crate) fn text(doc: &TantivyDocument, field: Field) -> String {
    doc.get_first(field)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_owned()
}

/// Every value of a stored text field.
fn all_texts(doc: &TantivyDocument, field: Field) -> Vec<String> {
    doc.get_all(field)
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{SearchDoc, SearchIndex};

    fn doc(id: &str, body_len: usize) -> SearchDoc {
        SearchDoc {
            machine_read: false,
            id: id.into(),
            kind: "case".into(),
            title: format!("通报{id}"),
            status: "published".into(),
            scope: vec!["all".into()],
            access: "open".into(),
            body: "案".repeat(body_len / 3),
            ..SearchDoc::default()
        }
    }

    #[test]
    fn keeps_under_its_byte_bound_and_answers_the_same() -> anyhow::Result<()> {
        let index = SearchIndex::open_in_ram()?;
        index.apply(
            (0..20).map(|i| doc(&format!("r{i}"), 3000)).collect(),
            &[],
            1,
        )?;
        let searcher = index.reader.searcher();
        let cache = DocCache::new(4 * (3000 + ENTRY_OVERHEAD + 64));
        let mut ids = Vec::new();
        for segment_ord in 0..searcher.segment_readers().len() as u32 {
            for doc_id in 0..searcher.segment_reader(segment_ord).max_doc() {
                let address = DocAddress::new(segment_ord, doc_id);
                let first = cache.get(&searcher, &index.fields, address)?;
                let again = cache.get(&searcher, &index.fields, address)?;
                assert_eq!(first.id, again.id);
                assert_eq!(first.body.len(), 3000);
                assert!(cache.bytes() <= 4 * (3000 + ENTRY_OVERHEAD + 64));
                ids.push(first.id.clone());
            }
        }
        ids.sort();
        assert_eq!(ids.len(), 20);
        assert!(cache.bytes() > 0);
        Ok(())
    }
}
