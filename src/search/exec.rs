//! Running searches and suggestions against the current searcher.

use std::collections::HashSet;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tantivy::collector::TopDocs;
use tantivy::index::SegmentId;
use tantivy::query::{Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, Searcher, Term};

use super::busy::AvailabilityQuery;
use super::cache::Weigh;
use super::doc::CueDoc;
use super::expand;
use super::facets::{FacetCollector, FacetFruit};
use super::groups::{self, GroupCollector, GroupMap, Ranked};
use super::index::SearchIndex;
use super::locked::lent_only;
use super::query;
use super::request::{
    CueHit, Hit, HitDuplicate, HitEdition, SearchRequest, SearchResults, SortOrder, Unavailable,
};
use super::snippet::Highlighter;
use super::synonyms::Synonyms;
use super::{QueryError, SearchError};

/// Deepest result reachable by paging; deeper pages are empty (the total is still given).
pub const MAX_OFFSET: usize = 10_000;
/// Matching cues shown per video hit.
const MAX_CUES: usize = 3;

const FALLBACK_NOTICE: &str =
    "没有同时包含全部检索词的资源，以下是包含部分检索词的结果，按相关程度排列。";

impl SearchIndex {
    /// Answers a search: the page of hits with snippets, the total, and facet counts over
    /// all matches. An empty query lists everything that passes the filters, newest first.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResults, SearchError> {
        let started = Instant::now();
        let searcher = self.reader.searcher();
        let generation = searcher.generation().generation_id();
        if self.cached_generation.swap(generation, Ordering::Relaxed) != generation {
            self.forget_older_generations(&searcher);
        }
        // A searcher generation never changes, so its answers can be kept until the next
        // commit or merge makes a new one.
        let (dictionary, synonyms) = self.synonyms();
        let key = (generation, dictionary, req.clone());
        if let Some(cached) = self.results.get(&key) {
            let mut results = SearchResults::clone(&cached);
            results.took_ms = started.elapsed().as_secs_f64() * 1000.0;
            return Ok(results);
        }
        let results = self.search_uncached(&searcher, req, &synonyms, started)?;
        self.results.insert(key, Arc::new(results.clone()));
        Ok(results)
    }

    /// Drops cached answers of other searcher generations and cached documents of
    /// segments merged away: under a steady stream of loans every approval commits, and
    /// without this they would sit in the caches until pushed out by size.
    fn forget_older_generations(&self, searcher: &Searcher) {
        let generation = searcher.generation().generation_id();
        self.results.retain(|(g, _, _)| *g == generation);
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        self.stored.retain_segments(&live);
    }

    fn search_uncached(
        &self,
        searcher: &Searcher,
        req: &SearchRequest,
        synonyms: &Synonyms,
        started: Instant,
    ) -> Result<SearchResults, SearchError> {
        let mut parsed = query::parse(&req.q)?;
        let expansions = expand::apply(&mut parsed, synonyms);
        if let (Some(from), Some(to)) = (req.year_from, req.year_to)
            && from > to
        {
            return Err(QueryError::YearRange { from, to }.into());
        }
        let filters = self.filters(req);
        let per_page = req.per_page_clamped();
        let page = req.page_clamped();
        let offset = (page - 1).saturating_mul(per_page);
        let sort = match req.sort {
            SortOrder::Relevance if parsed.include.is_empty() => SortOrder::Newest,
            other => other,
        };

        let and = query::and_query(&self.fields, &parsed, &filters);
        let facets = FacetCollector::new(self.fields.id, &req.unavailable);
        let groups = if req.group {
            Some(self.group_map(searcher)?)
        } else {
            None
        };
        let collect = |query: &dyn Query| {
            self.collect(
                searcher,
                query,
                &facets,
                groups.as_ref(),
                sort,
                &req.unavailable,
                offset,
                per_page,
            )
        };
        let (mut top, mut fruit) = collect(&*and)?;
        let mut fallback = false;
        if fruit.total == 0 && !parsed.include.is_empty() {
            let or = query::or_query(&self.fields, &parsed, &filters);
            let (or_top, or_fruit) = collect(&*or)?;
            if or_fruit.total > 0 {
                (top, fruit, fallback) = (or_top, or_fruit, true);
            }
        }

        let highlighter = if fallback {
            Highlighter::new(&query::fallback_words(&parsed))
        } else {
            Highlighter::new(&parsed.include)
        };
        let hits = top
            .into_iter()
            .map(|ranked| self.ranked_hit(searcher, ranked, &highlighter))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(SearchResults {
            total: fruit.total,
            hits,
            facets: fruit.facets,
            took_ms: started.elapsed().as_secs_f64() * 1000.0,
            fallback,
            notice: fallback.then(|| FALLBACK_NOTICE.to_owned()),
            expansion_notice: expand::notice(&expansions),
            expansions,
            page,
            per_page,
        })
    }

    /// The ids of the best `limit` matches and the total, without facets or snippets
    /// (benchmarks, internal use). Not grouped: every matching resource counts (on the
    /// CMRC passages, grouped or not is the same: no two are copies or editions).
    pub fn search_ids(&self, q: &str, limit: usize) -> Result<(u64, Vec<String>), SearchError> {
        let mut parsed = query::parse(q)?;
        expand::apply(&mut parsed, &self.synonyms().1);
        let searcher = self.reader.searcher();
        let filters = self.filters(&SearchRequest::default());
        let limit = limit.clamp(1, MAX_OFFSET);
        let run = |query: &dyn Query| {
            searcher.search(
                query,
                &(
                    TopDocs::with_limit(limit).order_by_score(),
                    tantivy::collector::Count,
                ),
            )
        };
        let mut result = run(&*query::and_query(&self.fields, &parsed, &filters))?;
        if result.1 == 0 && !parsed.include.is_empty() {
            result = run(&*query::or_query(&self.fields, &parsed, &filters))?;
        }
        let mut ids = Vec::with_capacity(result.0.len());
        for (_, address) in result.0 {
            ids.push(id_of(&searcher, address)?);
        }
        Ok((result.1 as u64, ids))
    }

    pub(super) fn filters(&self, req: &SearchRequest) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        for (field, value) in [
            (f.kind, &req.kind),
            (f.sector, &req.sector),
            (f.violation, &req.violation),
            (f.access, &req.access),
            (f.status, &req.status),
        ] {
            if let Some(v) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                out.push(Box::new(TermQuery::new(
                    Term::from_field_text(field, v),
                    IndexRecordOption::Basic,
                )));
            }
        }
        if req.year_from.is_some() || req.year_to.is_some() {
            let bound = |y: Option<i32>| {
                y.map_or(Bound::Unbounded, |y| {
                    Bound::Included(Term::from_field_i64(f.year, i64::from(y)))
                })
            };
            out.push(Box::new(RangeQuery::new(
                bound(req.year_from),
                bound(req.year_to),
            )));
        }
        if let Some(available) = req.available {
            out.push(Box::new(AvailabilityQuery {
                unavailable: req.unavailable.clone(),
                id: f.id,
                available,
            }));
        }
        if !req.include_unpublished {
            out.push(published(f.status));
        }
        if let Some(terms) = req.audience.scope_terms() {
            out.push(self.within(&terms));
        }
        out
    }

    /// The resources whose sharing scope holds one of `terms`.
    pub(super) fn within(&self, terms: &[String]) -> Box<dyn Query> {
        query::any_term(self.fields.scope, terms)
    }

    /// The page of results of `query` and the facet counts, copies and editions grouped
    /// unless `groups` is `None`.
    #[allow(clippy::too_many_arguments)]
    fn collect(
        &self,
        searcher: &Searcher,
        query: &dyn Query,
        facets: &FacetCollector,
        groups: Option<&Arc<GroupMap>>,
        sort: SortOrder,
        unavailable: &Unavailable,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Ranked>, FacetFruit), SearchError> {
        let top = if offset >= MAX_OFFSET {
            0
        } else {
            offset + limit
        };
        let collector = GroupCollector::new(groups.cloned(), sort, top);
        let (found, mut fruit) = searcher.search(query, &(collector, facets.clone()))?;
        let (_, mut page) =
            groups::rank(found, groups, sort, unavailable, &mut fruit, offset, limit);
        if offset >= MAX_OFFSET {
            page.clear();
        }
        Ok((page, fruit))
    }

    /// A result as a hit: its resource, and the other copies and editions of a group.
    fn ranked_hit(
        &self,
        searcher: &Searcher,
        ranked: Ranked,
        highlighter: &Highlighter,
    ) -> Result<Hit, SearchError> {
        let mut hit = self.hit(searcher, ranked.address, ranked.score, highlighter)?;
        let Some(group) = ranked.group else {
            return Ok(hit);
        };
        let map = &group.map;
        let copy = |m: u32| {
            let member = map.member(m);
            HitDuplicate {
                id: member.id.clone(),
                title: member.title.clone(),
            }
        };
        hit.duplicates = group.duplicates.iter().map(|&m| copy(m)).collect();
        for (m, copies) in &group.editions {
            let HitDuplicate { id, title } = copy(*m);
            hit.editions.push(HitEdition {
                id,
                title,
                date: groups::date_text(map.member(*m).date_key).unwrap_or_default(),
                duplicates: copies.iter().map(|&c| copy(c)).collect(),
            });
        }
        if !hit.editions.is_empty() {
            hit.edition = groups::date_text(map.member(group.head).date_key);
        }
        let others = group.duplicates.iter().chain(
            group
                .editions
                .iter()
                .flat_map(|(m, copies)| std::iter::once(m).chain(copies)),
        );
        for &m in others {
            for sector in map.member(m).sectors() {
                if !hit.group_sectors.contains(sector) {
                    hit.group_sectors.push(sector.clone());
                }
            }
        }
        Ok(hit)
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        score: f32,
        highlighter: &Highlighter,
    ) -> Result<Hit, SearchError> {
        let doc = self.stored.get(searcher, &self.fields, address)?;
        let mut cues = Vec::new();
        if doc.kind == "video" && !highlighter.is_empty() {
            let all: Vec<CueDoc> = serde_json::from_str(&doc.cues).unwrap_or_default();
            for cue in all {
                if cues.len() == MAX_CUES {
                    break;
                }
                if highlighter.matches(&cue.text) {
                    cues.push(CueHit {
                        start: cue.start_ms as f64 / 1000.0,
                        text: highlighter.highlight(&cue.text),
                        file_id: cue.file_id,
                    });
                }
            }
        }
        let mut hit = Hit {
            id: doc.id.clone(),
            title_html: highlighter.highlight(&doc.title),
            snippet: highlighter.snippet(&doc.summary, &doc.body),
            title: doc.title.clone(),
            kind: doc.kind.clone(),
            year: doc.year,
            sectors: doc.sectors.clone(),
            access: doc.access.clone(),
            status: doc.status.clone(),
            duration: doc.duration,
            machine_read: doc.machine_read,
            cues,
            duplicates: Vec::new(),
            editions: Vec::new(),
            edition: None,
            group_sectors: Vec::new(),
            locked: false,
            body_matches: 0,
            locked_note: None,
            withheld: None,
            score,
        };
        if lent_only(&doc.access) {
            hit.lock(highlighter, &doc.summary, &doc.body);
        }
        Ok(hit)
    }
}

pub(super) fn published(status: Field) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(status, "published"),
        IndexRecordOption::Basic,
    ))
}

/// A document's id from the `id` fast field, without loading the stored document.
pub(super) fn id_of(searcher: &Searcher, address: DocAddress) -> tantivy::Result<String> {
    let segment = searcher.segment_reader(address.segment_ord);
    let mut id = String::new();
    if let Some(column) = segment.fast_fields().str("id")?
        && let Some(ord) = column.term_ords(address.doc_id).next()
    {
        column.ord_to_str(ord, &mut id)?;
    }
    Ok(id)
}

impl Weigh for SearchResults {
    fn weight(&self) -> usize {
        let hits: usize = self
            .hits
            .iter()
            .map(|h| {
                h.id.len()
                    + h.title.len()
                    + h.title_html.len()
                    + h.snippet.len()
                    + h.cues.iter().map(|c| c.text.len() + 64).sum::<usize>()
                    + h.locked_note.as_ref().map_or(0, String::len)
                    + h.withheld.as_ref().map_or(0, |w| w.weight())
                    + h.duplicates
                        .iter()
                        .map(|d| d.id.len() + d.title.len() + 64)
                        .sum::<usize>()
                    + h.editions
                        .iter()
                        .map(|e| e.id.len() + e.title.len() + 96 + e.duplicates.len() * 128)
                        .sum::<usize>()
                    + 256
            })
            .sum();
        let facets = [
            &self.facets.kind,
            &self.facets.sector,
            &self.facets.violation,
            &self.facets.year,
            &self.facets.access,
        ]
        .iter()
        .map(|m| m.keys().map(|k| k.len() + 64).sum::<usize>())
        .sum::<usize>();
        let expansions: usize = self
            .expansions
            .iter()
            .map(|e| e.word.len() + e.expansions.iter().map(|x| x.len() + 24).sum::<usize>())
            .sum();
        512 + hits + facets + expansions
    }
}
