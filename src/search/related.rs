//! Related resources: for a resource, the published ones an audience may find that share
//! the most violation types and sectors with it, then the most similar in words (tantivy's
//! more-like-this over its title, summary, tags and the start of its text). One query:
//! the labels are term queries on the `violation` and `sector` fields, the count of
//! shared labels is read from their fast fields while collecting, and ties fall to the
//! text score and then the id, so the same catalogue always answers the same list.

use serde::Serialize;
use tantivy::collector::sort_key::{NaturalComparator, SortBySimilarityScore, SortByString};
use tantivy::collector::{SegmentSortKeyComputer, SortKeyComputer, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    BooleanQuery, ConstScoreQuery, MoreLikeThisQuery, MoreLikeThisQueryBuilder, Occur, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption, OwnedValue};
use tantivy::{DocAddress, DocId, Order, Score, Searcher, SegmentReader, Term};

use super::SearchError;
use super::doc::CueDoc;
use super::exec::published;
use super::index::SearchIndex;
use super::request::Audience;
use super::stored::StoredHit;

/// Most related resources answered, whatever is asked.
pub const MAX_RELATED: usize = 24;

/// Characters of the text (body, then subtitle cues) read for its characteristic words:
/// a law runs to 300,000, and its opening (title, table of contents, first articles)
/// says what it is about at a fraction of the segmenting cost.
const TEXT_CHARS: usize = 3_000;
/// Characteristic words taken from the title, summary and tags, and from the text.
const SHORT_TERMS: usize = 8;
const TEXT_TERMS: usize = 20;
/// A word of the text counts when it occurs at least this often in it (once is chance);
/// in the short fields once is enough.
const TEXT_MIN_TF: usize = 2;
/// Shortest word used, in bytes: no single Chinese character (3 bytes).
const MIN_WORD_BYTES: usize = 4;

/// A resource related to another, as a list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Related {
    pub id: String,
    /// `video`, `case`, `confession`, `textbook` or `base`.
    pub kind: String,
    pub title: String,
    pub year: Option<i32>,
    /// The violation types, then the sectors, it shares with the resource; empty when it
    /// is related by its words alone.
    pub shared: Vec<String>,
}

impl SearchIndex {
    /// Up to `limit` (at most [`MAX_RELATED`]) resources related to resource `id`:
    /// those sharing more violation types and sectors first, then by likeness of words,
    /// then by id. Only published resources within `audience`'s sharing scope, never
    /// `id` itself; nothing for an id the index does not hold.
    pub fn related(
        &self,
        id: &str,
        audience: &Audience,
        limit: usize,
    ) -> Result<Vec<Related>, SearchError> {
        let limit = limit.min(MAX_RELATED);
        if limit == 0 {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let Some(address) = self.address_of(&searcher, id)? else {
            return Ok(Vec::new());
        };
        let source = self.stored.get(&searcher, &self.fields, address)?;
        let labels = Labels::of(&source);
        let mut alike = labels.clauses(self.fields.violation, self.fields.sector);
        alike.extend(self.more_like_this(&searcher, &source));
        if alike.is_empty() {
            return Ok(Vec::new());
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![
            (Occur::Must, Box::new(BooleanQuery::new(alike))),
            (Occur::Must, unscored(published(self.fields.status))),
            (Occur::MustNot, term(self.fields.id, id)),
        ];
        if let Some(terms) = audience.scope_terms() {
            clauses.push((Occur::Must, unscored(self.within(&terms))));
        }
        let ranked = TopDocs::with_limit(limit).order_by((
            labels.clone(),
            (
                (SortBySimilarityScore, Order::Desc),
                (SortByString::for_field("id"), Order::Asc),
            ),
        ));
        let top = searcher.search(&BooleanQuery::new(clauses), &ranked)?;
        let mut related = Vec::with_capacity(top.len());
        for (_, address) in top {
            let hit = self.stored.get(&searcher, &self.fields, address)?;
            related.push(Related {
                id: hit.id.clone(),
                kind: hit.kind.clone(),
                title: hit.title.clone(),
                year: hit.year,
                shared: labels.shared_with(&hit),
            });
        }
        Ok(related)
    }

    /// Where document `id` is, if the index holds it.
    fn address_of(&self, searcher: &Searcher, id: &str) -> tantivy::Result<Option<DocAddress>> {
        let found = searcher.search(
            &*term(self.fields.id, id),
            &TopDocs::with_limit(1).order_by_score(),
        )?;
        Ok(found.first().map(|(_, address)| *address))
    }

    /// Two more-like-this queries: the words of the title, summary and tags (each
    /// counts), and the recurring words of the text. Both keep words found in at least
    /// one other document and in at most half of them (the rest tell nothing apart).
    fn more_like_this(
        &self,
        searcher: &Searcher,
        source: &StoredHit,
    ) -> Vec<(Occur, Box<dyn Query>)> {
        let max_doc_frequency = (searcher.num_docs() / 2).max(2);
        let builder = || {
            MoreLikeThisQuery::builder()
                .with_min_doc_frequency(2)
                .with_max_doc_frequency(max_doc_frequency)
                .with_min_word_length(MIN_WORD_BYTES)
                .with_boost_factor(1.0)
        };
        let f = &self.fields;
        let mut short = Vec::new();
        if !source.title.trim().is_empty() {
            short.push((f.title_w, vec![OwnedValue::Str(source.title.clone())]));
        }
        let meta: Vec<OwnedValue> = std::iter::once(&source.summary)
            .chain(&source.tags)
            .filter(|text| !text.trim().is_empty())
            .map(|text| OwnedValue::Str(text.clone()))
            .collect();
        if !meta.is_empty() {
            short.push((f.meta_w, meta));
        }
        let mut queries = Vec::new();
        if !short.is_empty() {
            queries.push(should(
                builder()
                    .with_min_term_frequency(1)
                    .with_max_query_terms(SHORT_TERMS),
                short,
            ));
        }
        let text = opening_text(source);
        if !text.trim().is_empty() {
            queries.push(should(
                builder()
                    .with_min_term_frequency(TEXT_MIN_TF)
                    .with_max_query_terms(TEXT_TERMS),
                vec![(f.body_w, vec![OwnedValue::Str(text)])],
            ));
        }
        queries
    }
}

fn should(
    builder: MoreLikeThisQueryBuilder,
    fields: Vec<(Field, Vec<OwnedValue>)>,
) -> (Occur, Box<dyn Query>) {
    (
        Occur::Should,
        Box::new(builder.with_document_fields(fields)),
    )
}

/// The first [`TEXT_CHARS`] characters of the body, then of the subtitle cues.
fn opening_text(source: &StoredHit) -> String {
    let mut text = String::new();
    let mut left = TEXT_CHARS;
    let cues: Vec<CueDoc> = if source.cues.is_empty() {
        Vec::new()
    } else {
        serde_json::from_str(&source.cues).unwrap_or_default()
    };
    for part in std::iter::once(source.body.as_str()).chain(cues.iter().map(|c| c.text.as_str())) {
        if left == 0 {
            break;
        }
        let end = part.char_indices().nth(left).map_or(part.len(), |(i, _)| i);
        left -= part[..end].chars().count();
        text.push_str(&part[..end]);
        text.push('\n');
    }
    text
}

fn term(field: Field, value: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    ))
}

/// A filter that adds nothing to the score.
fn unscored(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(ConstScoreQuery::new(query, 0.0))
}

/// The violation types and sectors of the resource, and the sort key that counts how
/// many of them another resource shares (read from the fast fields).
#[derive(Debug, Clone, Default)]
struct Labels {
    violations: Vec<String>,
    sectors: Vec<String>,
}

impl Labels {
    fn of(source: &StoredHit) -> Self {
        let clean = |list: &[String]| {
            let mut out: Vec<String> = list
                .iter()
                .filter(|label| !label.trim().is_empty())
                .cloned()
                .collect();
            out.sort();
            out.dedup();
            out
        };
        Labels {
            violations: clean(&source.violations),
            sectors: clean(&source.sectors),
        }
    }

    /// Matches any resource with one of the labels; the score is left to the words.
    fn clauses(&self, violation: Field, sector: Field) -> Vec<(Occur, Box<dyn Query>)> {
        let violations = self.violations.iter().map(|v| (violation, v));
        let sectors = self.sectors.iter().map(|s| (sector, s));
        violations
            .chain(sectors)
            .map(|(field, label)| (Occur::Should, unscored(term(field, label))))
            .collect()
    }

    /// The labels `hit` shares with the resource, violations first.
    fn shared_with(&self, hit: &StoredHit) -> Vec<String> {
        let violations = self
            .violations
            .iter()
            .filter(|v| hit.violations.contains(v));
        let sectors = self.sectors.iter().filter(|s| hit.sectors.contains(s));
        violations.chain(sectors).cloned().collect()
    }
}

impl SortKeyComputer for Labels {
    type SortKey = u32;
    type Child = SegmentLabels;
    type Comparator = NaturalComparator;

    fn segment_sort_key_computer(&self, reader: &SegmentReader) -> tantivy::Result<SegmentLabels> {
        let mut columns = Vec::new();
        for (name, labels) in [("violation", &self.violations), ("sector", &self.sectors)] {
            if labels.is_empty() {
                continue;
            }
            let Some(column) = reader.fast_fields().str(name)? else {
                continue;
            };
            let mut ords = Vec::with_capacity(labels.len());
            for label in labels {
                if let Some(ord) = column.dictionary().term_ord(label)? {
                    ords.push(ord);
                }
            }
            if !ords.is_empty() {
                columns.push((column, ords));
            }
        }
        Ok(SegmentLabels { columns })
    }
}

/// One segment's label columns and the term ordinals of the resource's labels in them.
struct SegmentLabels {
    columns: Vec<(StrColumn, Vec<u64>)>,
}

impl SegmentSortKeyComputer for SegmentLabels {
    type SortKey = u32;
    type SegmentSortKey = u32;
    type SegmentComparator = NaturalComparator;

    fn segment_sort_key(&mut self, doc: DocId, _score: Score) -> u32 {
        let shared = self
            .columns
            .iter()
            .map(|(column, ords)| column.term_ords(doc).filter(|o| ords.contains(o)).count())
            .sum::<usize>();
        u32::try_from(shared).unwrap_or(u32::MAX)
    }

    fn convert_segment_sort_key(&self, shared: u32) -> u32 {
        shared
    }
}
