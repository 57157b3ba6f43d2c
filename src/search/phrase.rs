//! A phrase query that tantivy's intersections and exclusions cannot drive into its
//! "seek danger" state.
//!
//! tantivy 0.27's `PhraseScorer::seek_danger` debug-asserts `target >= doc()`, which a legal
//! sequence of calls breaks once an earlier `seek_danger` left it past the next candidate:
//! `-"a phrase"` or two phrases in one AND then panic in debug builds (tests, `cargo run`).
//! Release builds answer correctly. This wrapper forwards everything except `seek_danger`,
//! which falls back to the trait's plain seek-based version: one extra phrase check per
//! candidate at most, and no panic.

use tantivy::query::{EnableScoring, Explanation, PhraseQuery, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

#[derive(Debug, Clone)]
pub(crate) struct SafePhraseQuery(PhraseQuery);

impl SafePhraseQuery {
    pub fn new(terms: Vec<(usize, Term)>) -> Self {
        SafePhraseQuery(PhraseQuery::new_with_offset(terms))
    }
}

impl Query for SafePhraseQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SafeWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct SafeWeight(Box<dyn Weight>);

impl Weight for SafeWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(SafeScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

struct SafeScorer(Box<dyn Scorer>);

impl DocSet for SafeScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let doc = self.0.doc();
        if doc >= target {
            return doc;
        }
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for SafeScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
