//! Which of a few documents a search matches, for saved-search alerts: each newly
//! published resource is checked against every saved search through the index, with
//! the search owner's sharing scope, instead of re-running searches on a timer.

use std::collections::HashSet;

use tantivy::Searcher;
use tantivy::collector::DocSetCollector;

use super::SearchError;
use super::exec::id_of;
use super::index::SearchIndex;
use super::query;
use super::request::{Audience, SearchRequest};

/// One consistent view of the index: its searcher holds every catalogue change up to
/// [`Matcher::applied_seq`] (none newer), so a caller can tell which documents it may
/// trust.
pub struct Matcher<'a> {
    index: &'a SearchIndex,
    searcher: Searcher,
    seq: i64,
}

impl<'a> Matcher<'a> {
    pub(super) fn new(index: &'a SearchIndex, searcher: Searcher, seq: i64) -> Self {
        Self {
            index,
            searcher,
            seq,
        }
    }

    /// The last catalogue change this view reflects.
    pub fn applied_seq(&self) -> i64 {
        self.seq
    }

    /// Those of `ids` that `request` finds, for its audience: every word, no excluded
    /// word, every filter, published and within the audience's sharing scope. The
    /// OR-fallback of the search page does not count (an alert needs every word), nor
    /// paging or sort.
    pub fn matching(
        &self,
        request: &SearchRequest,
        ids: &[String],
    ) -> Result<Vec<String>, SearchError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let parsed = query::parse(&request.q)?;
        let fields = &self.index.fields;
        // The search's filters but the sharing scope, which is added below as terms
        // looked up one by one: a term set walks its field's whole dictionary and
        // marks every document it holds, which for a handful of candidates costs more
        // than the rest of the check.
        let unscoped = SearchRequest {
            audience: Audience::librarian(),
            ..request.clone()
        };
        let mut filters = self.index.filters(&unscoped);
        filters.push(query::any_term(fields.id, ids));
        if let Some(terms) = request.audience.scope_terms() {
            filters.push(query::any_term(fields.scope, &terms));
        }
        let query = query::and_query(fields, &parsed, &filters);
        let found = self.searcher.search(&*query, &DocSetCollector)?;
        let mut matched: HashSet<String> = HashSet::with_capacity(found.len());
        for address in found {
            matched.insert(id_of(&self.searcher, address)?);
        }
        Ok(ids
            .iter()
            .filter(|id| matched.contains(*id))
            .cloned()
            .collect())
    }
}
