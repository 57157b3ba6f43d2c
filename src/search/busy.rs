//! "Available now" without looking every fully booked resource up again on each
//! search: the set of unavailable ids keeps, per index segment, the documents of those
//! ids as a bit set, found on the first search that reads the segment. The filter and
//! the facet count of available documents both read it.
//!
//! Before, each search streamed the id dictionary through a set automaton for the
//! filter and looked every id up once more for the facet count, per segment: with
//! hundreds of fully booked resources in a national catalogue that was a visible share
//! of every search's time.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use tantivy::index::SegmentId;
use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{BitSet, DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

/// Segments whose documents are kept per set; past this the oldest generation of
/// segments has been merged away, and the cache starts again.
const MAX_SEGMENTS: usize = 256;

/// The documents of a set of ids in each segment read so far.
#[derive(Default)]
pub(crate) struct SegmentDocs(Mutex<HashMap<SegmentId, Arc<BusyDocs>>>);

/// One segment's documents of the set: as bits to test, and listed.
pub(crate) struct BusyDocs {
    pub bits: BitSet,
    pub listed: Vec<DocId>,
}

impl SegmentDocs {
    /// The documents of `ids` (sorted) in the segment of `reader`, from the cache or
    /// looked up once: one term look-up per id.
    pub fn of(
        &self,
        ids: &[String],
        field: Field,
        reader: &SegmentReader,
    ) -> tantivy::Result<Arc<BusyDocs>> {
        let segment = reader.segment_id();
        if let Some(found) = self.lock().get(&segment) {
            return Ok(Arc::clone(found));
        }
        let mut bits = BitSet::with_max_value(reader.max_doc());
        let mut listed = Vec::new();
        let inverted = reader.inverted_index(field)?;
        for id in ids {
            let term = Term::from_field_text(field, id);
            if let Some(mut postings) = inverted.read_postings(&term, IndexRecordOption::Basic)? {
                let mut doc = postings.doc();
                while doc != TERMINATED {
                    bits.insert(doc);
                    listed.push(doc);
                    doc = postings.advance();
                }
            }
        }
        listed.sort_unstable();
        let docs = Arc::new(BusyDocs { bits, listed });
        let mut cache = self.lock();
        if cache.len() >= MAX_SEGMENTS {
            cache.clear();
        }
        cache.insert(segment, Arc::clone(&docs));
        Ok(docs)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SegmentId, Arc<BusyDocs>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl fmt::Debug for SegmentDocs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SegmentDocs({} segments)", self.lock().len())
    }
}

/// Matches the documents of an [`Unavailable`](super::Unavailable) set
/// (`available: false`) or every other document (`available: true`), scoring nothing.
#[derive(Clone, Debug)]
pub(crate) struct AvailabilityQuery {
    pub unavailable: super::Unavailable,
    pub id: Field,
    pub available: bool,
}

impl Query for AvailabilityQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(self.clone()))
    }
}

impl AvailabilityQuery {
    fn matching(&self, reader: &SegmentReader) -> tantivy::Result<BitSet> {
        let busy = self.unavailable.docs_in(self.id, reader)?;
        if !self.available {
            return Ok(busy.bits.clone());
        }
        let mut free = BitSet::with_max_value_and_full(reader.max_doc());
        for &doc in &busy.listed {
            free.remove(doc);
        }
        Ok(free)
    }
}

impl Weight for AvailabilityQuery {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let docs = BitSetDocSet::from(self.matching(reader)?);
        Ok(Box::new(ConstScorer::new(docs, boost)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.matching(reader)?.contains(doc) {
            Ok(Explanation::new("availability", 1.0))
        } else {
            Err(TantivyError::InvalidArgument(format!(
                "document {doc} does not match the availability filter"
            )))
        }
    }
}
