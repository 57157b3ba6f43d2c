//! Near-duplicates and editions in search results: copies of one document (same title,
//! almost the same text) are shown as one hit, and editions of one law or regulation
//! (same title, `textbook`, different dates) are grouped under the newest.
//!
//! Which resources belong together does not depend on the query: [`GroupMap`] works it
//! out once per searcher generation from the `title_key` and `sketch` fast fields.
//! Resources of one title are clustered into copies (estimated likeness ≥
//! [`DUPLICATE_LIKENESS`], never two textbooks of different dates); a title's dated
//! textbook clusters of distinct dates are its editions. Titles repeat rarely, so only a
//! handful of documents belong to any group; every other match of a query is a group of
//! its own and costs one array look-up.
//!
//! A query's grouping ([`GroupCollector`], [`rank`]) is over its matches only (what the
//! viewer may find, with the filters applied): a group's members that do not match, or
//! that the viewer may not see, are neither shown nor counted. The total counts groups;
//! a facet value counts each group once when any matched member has it (so that the
//! count is what choosing that value would find); paging is over groups. By relevance a
//! group ranks by its best-scoring member; by date or borrowings by its head, the newest
//! edition's best member.

use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use tantivy::collector::sort_key::NaturalComparator;
use tantivy::collector::{Collector, SegmentCollector, TopNComputer};
use tantivy::columnar::{BytesColumn, Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use super::SearchError;
use super::facets::FacetFruit;
use super::index::SearchIndex;
use super::minhash::{DUPLICATE_LIKENESS, likeness};
use super::request::{SortOrder, Unavailable};

/// No group.
const NONE: u32 = u32::MAX;

/// A resource that shares its title with another, and what grouping and facet counts
/// need of it.
#[derive(Debug)]
pub(crate) struct Member {
    pub address: DocAddress,
    pub id: String,
    pub title: String,
    group: u32,
    /// Its cluster of copies (an index into the map's clusters' numbering).
    cluster: u32,
    pub date_key: i64,
    kind: String,
    sectors: Vec<String>,
    violations: Vec<String>,
    access: String,
    year: Option<i64>,
}

/// The groups of one searcher generation.
#[derive(Debug, Default)]
pub(crate) struct GroupMap {
    generation: u64,
    /// Per segment ordinal: document → index in `members`, or [`NONE`]; empty for a
    /// segment without members.
    by_doc: Vec<Vec<u32>>,
    members: Vec<Member>,
    /// Per group: whether it is a series of editions (else copies of one document).
    editions: Vec<bool>,
}

/// The columns of one segment read while building a map.
struct Columns {
    id: Option<StrColumn>,
    title: Option<StrColumn>,
    kind: Option<StrColumn>,
    sector: Option<StrColumn>,
    violation: Option<StrColumn>,
    access: Option<StrColumn>,
    year: Option<Column<i64>>,
    date_key: Option<Column<i64>>,
    sketch: Option<BytesColumn>,
}

impl Columns {
    fn open(reader: &SegmentReader) -> tantivy::Result<Self> {
        let ff = reader.fast_fields();
        Ok(Columns {
            id: ff.str("id")?,
            title: ff.str("title_fast")?,
            kind: ff.str("kind")?,
            sector: ff.str("sector")?,
            violation: ff.str("violation")?,
            access: ff.str("access")?,
            year: ff.column_opt("year")?,
            date_key: ff.column_opt("date_key")?,
            sketch: ff.bytes("sketch")?,
        })
    }
}

fn strings(column: Option<&StrColumn>, doc: DocId) -> Vec<String> {
    let Some(column) = column else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for ord in column.term_ords(doc) {
        let mut s = String::new();
        if column.ord_to_str(ord, &mut s).unwrap_or(false) {
            out.push(s);
        }
    }
    out
}

fn first_string(column: Option<&StrColumn>, doc: DocId) -> String {
    strings(column, doc).into_iter().next().unwrap_or_default()
}

/// One document of a repeated title while clustering.
struct Candidate {
    member: Member,
    sketch: Vec<u8>,
}

impl Candidate {
    fn dated_textbook(&self) -> bool {
        self.member.kind == "textbook" && self.member.date_key > 0
    }

    /// Two textbooks of different dates are editions, however alike.
    fn editions_of(&self, other: &Candidate) -> bool {
        self.dated_textbook()
            && other.dated_textbook()
            && self.member.date_key != other.member.date_key
    }
}

impl Member {
    pub fn sectors(&self) -> &[String] {
        &self.sectors
    }
}

impl GroupMap {
    /// Works out the groups of `searcher`'s documents.
    pub fn build(searcher: &Searcher) -> tantivy::Result<GroupMap> {
        let generation = searcher.generation().generation_id();
        let readers = searcher.segment_readers();
        let mut keyed: Vec<(u64, u32, DocId)> = Vec::new();
        for (ord, reader) in readers.iter().enumerate() {
            let Some(column) = reader.fast_fields().column_opt::<u64>("title_key")? else {
                continue;
            };
            let alive = reader.alive_bitset();
            for doc in 0..reader.max_doc() {
                if alive.is_some_and(|a| a.is_deleted(doc)) {
                    continue;
                }
                if let Some(key) = column.first(doc).filter(|&k| k != 0) {
                    keyed.push((key, ord as u32, doc));
                }
            }
        }
        keyed.sort_unstable();
        let mut map = GroupMap {
            generation,
            by_doc: vec![Vec::new(); readers.len()],
            ..GroupMap::default()
        };
        let mut columns: Vec<Option<Columns>> = (0..readers.len()).map(|_| None).collect();
        let mut start = 0;
        while start < keyed.len() {
            let mut end = start + 1;
            while end < keyed.len() && keyed[end].0 == keyed[start].0 {
                end += 1;
            }
            if end - start >= 2 {
                let mut run = Vec::with_capacity(end - start);
                for &(_, ord, doc) in &keyed[start..end] {
                    let slot = &mut columns[ord as usize];
                    if slot.is_none() {
                        *slot = Some(Columns::open(&readers[ord as usize])?);
                    }
                    if let Some(c) = slot.as_ref() {
                        run.push(candidate(c, ord, doc)?);
                    }
                }
                map.add_title(run);
            }
            start = end;
        }
        for (i, member) in map.members.iter().enumerate() {
            let seg = member.address.segment_ord as usize;
            let docs = &mut map.by_doc[seg];
            if docs.is_empty() {
                *docs = vec![NONE; readers[seg].max_doc() as usize];
            }
            docs[member.address.doc_id as usize] = i as u32;
        }
        Ok(map)
    }

    /// Clusters the documents of one title and keeps the groups of two or more.
    fn add_title(&mut self, run: Vec<Candidate>) {
        // Copies: each document joins the first cluster whose first document it is a
        // copy of (comparing with one document per cluster keeps a long run linear in
        // its number of clusters).
        let mut clusters: Vec<Vec<usize>> = Vec::new();
        for (i, c) in run.iter().enumerate() {
            let home = clusters.iter().position(|cluster| {
                let first = &run[cluster[0]];
                !first.editions_of(c) && likeness(&first.sketch, &c.sketch) >= DUPLICATE_LIKENESS
            });
            match home {
                Some(k) => clusters[k].push(i),
                None => clusters.push(vec![i]),
            }
        }
        // Editions: the clusters of dated textbooks, when no two share a date (two
        // different texts of one title and one date are not editions of each other).
        let series: Vec<usize> = (0..clusters.len())
            .filter(|&k| clusters[k].iter().all(|&i| run[i].dated_textbook()))
            .collect();
        let dates: BTreeSet<i64> = series
            .iter()
            .map(|&k| run[clusters[k][0]].member.date_key)
            .collect();
        let series_ok = series.len() >= 2 && dates.len() == series.len();
        let mut group_of_cluster: Vec<Option<u32>> = vec![None; clusters.len()];
        if series_ok {
            let group = self.editions.len() as u32;
            self.editions.push(true);
            for &k in &series {
                group_of_cluster[k] = Some(group);
            }
        }
        for (k, cluster) in clusters.iter().enumerate() {
            if group_of_cluster[k].is_none() && cluster.len() >= 2 {
                group_of_cluster[k] = Some(self.editions.len() as u32);
                self.editions.push(false);
            }
        }
        let base = self.members.len() as u32;
        let mut run: Vec<Option<Candidate>> = run.into_iter().map(Some).collect();
        for (k, cluster) in clusters.iter().enumerate() {
            let Some(group) = group_of_cluster[k] else {
                continue;
            };
            for &i in cluster {
                if let Some(c) = run[i].take() {
                    self.members.push(Member {
                        group,
                        // Unique over the map: the run's first member index plus k.
                        cluster: base + k as u32,
                        ..c.member
                    });
                }
            }
        }
    }

    /// The member at `index`.
    pub fn member(&self, index: u32) -> &Member {
        &self.members[index as usize]
    }

    /// The clusters of copies of a group's members: their indices, by cluster.
    pub fn clusters(&self, members: &[u32]) -> Vec<Vec<u32>> {
        let mut by: Vec<(u32, Vec<u32>)> = Vec::new();
        for &m in members {
            let c = self.member(m).cluster;
            match by.iter_mut().find(|(k, _)| *k == c) {
                Some((_, list)) => list.push(m),
                None => by.push((c, vec![m])),
            }
        }
        by.into_iter().map(|(_, list)| list).collect()
    }

    pub fn generation(&self) -> u64 {
        self.generation
    }

    fn member_at(&self, segment: SegmentOrdinal, doc: DocId) -> u32 {
        self.by_doc
            .get(segment as usize)
            .and_then(|docs| docs.get(doc as usize))
            .copied()
            .unwrap_or(NONE)
    }
}

fn candidate(c: &Columns, ord: u32, doc: DocId) -> tantivy::Result<Candidate> {
    let mut sketch = Vec::new();
    if let Some(column) = &c.sketch
        && let Some(term) = column.term_ords(doc).next()
    {
        column.ord_to_bytes(term, &mut sketch)?;
    }
    Ok(Candidate {
        member: Member {
            address: DocAddress::new(ord, doc),
            id: first_string(c.id.as_ref(), doc),
            title: first_string(c.title.as_ref(), doc),
            group: NONE,
            cluster: NONE,
            date_key: c
                .date_key
                .as_ref()
                .and_then(|col| col.first(doc))
                .unwrap_or(0),
            kind: first_string(c.kind.as_ref(), doc),
            sectors: strings(c.sector.as_ref(), doc),
            violations: strings(c.violation.as_ref(), doc),
            access: first_string(c.access.as_ref(), doc),
            year: c.year.as_ref().and_then(|col| col.first(doc)),
        },
        sketch,
    })
}

/// A group of the whole index (reports): copies of one document, or editions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CollapsedGroup {
    /// Editions of one law or document (else copies of one document).
    pub editions: bool,
    /// Newest first.
    pub members: Vec<GroupedResource>,
}

/// A resource of a [`CollapsedGroup`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupedResource {
    pub id: String,
    /// `2012-12-20`, when dated.
    pub date: Option<String>,
    /// Which copy cluster of the group it is in (0 for the newest); resources with the
    /// same number are copies of each other.
    pub copy_of: usize,
}

impl SearchIndex {
    /// Every group of copies or editions in the index, for reports; each group's
    /// members newest first.
    pub fn collapsed_groups(&self) -> Result<Vec<CollapsedGroup>, SearchError> {
        let searcher = self.reader.searcher();
        let map = self.group_map(&searcher)?;
        let mut by_group: Vec<Vec<u32>> = vec![Vec::new(); map.editions.len()];
        for (i, m) in map.members.iter().enumerate() {
            by_group[m.group as usize].push(i as u32);
        }
        let mut out = Vec::with_capacity(by_group.len());
        for (g, members) in by_group.into_iter().enumerate() {
            let mut clusters = map.clusters(&members);
            clusters.sort_by_key(|c| {
                std::cmp::Reverse(c.iter().map(|&m| map.member(m).date_key).max())
            });
            let mut resources = Vec::new();
            for (k, cluster) in clusters.iter().enumerate() {
                for &m in cluster {
                    let member = map.member(m);
                    resources.push(GroupedResource {
                        id: member.id.clone(),
                        date: date_text(member.date_key),
                        copy_of: k,
                    });
                }
            }
            out.push(CollapsedGroup {
                editions: map.editions[g],
                members: resources,
            });
        }
        Ok(out)
    }
}

/// Collects a query's matches: the best `top` of those in no group (by the sort order)
/// and every match that is in one, for [`rank`].
pub(crate) struct GroupCollector {
    map: Option<Arc<GroupMap>>,
    sort: SortOrder,
    top: usize,
}

impl GroupCollector {
    /// `map` is `None` when results are not grouped.
    pub fn new(map: Option<Arc<GroupMap>>, sort: SortOrder, top: usize) -> Self {
        GroupCollector { map, sort, top }
    }
}

enum SortKey {
    Score,
    Date(Option<Column<i64>>),
    Borrowed(Option<Column<u64>>),
}

pub(crate) struct SegmentGroups {
    segment: SegmentOrdinal,
    map: Option<Arc<GroupMap>>,
    key: SortKey,
    top: Option<TopNComputer<f64, DocId, NaturalComparator>>,
    singles: u64,
    grouped: Vec<(u32, f64)>,
}

/// What a query found: the best matches in no group (sort key, address), how many
/// matches are in no group, and every grouped match (member, sort key).
#[derive(Default)]
pub(crate) struct GroupFruit {
    singles: Vec<(f64, DocAddress)>,
    single_count: u64,
    grouped: Vec<(u32, f64)>,
}

impl Collector for GroupCollector {
    type Fruit = GroupFruit;
    type Child = SegmentGroups;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentGroups> {
        let ff = reader.fast_fields();
        let key = match self.sort {
            SortOrder::Relevance => SortKey::Score,
            SortOrder::Newest => SortKey::Date(ff.column_opt("date_key")?),
            SortOrder::MostBorrowed => SortKey::Borrowed(ff.column_opt("borrow_count")?),
        };
        // A segment without members needs no look-ups.
        let map = self
            .map
            .as_ref()
            .filter(|m| {
                m.by_doc
                    .get(segment as usize)
                    .is_some_and(|d| !d.is_empty())
            })
            .cloned();
        Ok(SegmentGroups {
            segment,
            map,
            key,
            top: (self.top > 0)
                .then(|| TopNComputer::new_with_comparator(self.top, NaturalComparator)),
            singles: 0,
            grouped: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        self.sort == SortOrder::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<GroupFruit>) -> tantivy::Result<GroupFruit> {
        let mut out = GroupFruit::default();
        for fruit in fruits {
            out.singles.extend(fruit.singles);
            out.single_count += fruit.single_count;
            out.grouped.extend(fruit.grouped);
        }
        Ok(out)
    }
}

impl SegmentCollector for SegmentGroups {
    type Fruit = GroupFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let key = match &self.key {
            SortKey::Score => f64::from(score),
            // Dates (YYYYMMDD) and counts are exact in an f64.
            SortKey::Date(column) => column.as_ref().and_then(|c| c.first(doc)).unwrap_or(0) as f64,
            SortKey::Borrowed(column) => {
                column.as_ref().and_then(|c| c.first(doc)).unwrap_or(0) as f64
            }
        };
        if let Some(map) = &self.map {
            let member = map.member_at(self.segment, doc);
            if member != NONE {
                self.grouped.push((member, key));
                return;
            }
        }
        self.singles += 1;
        if let Some(top) = &mut self.top {
            top.push(key, doc);
        }
    }

    fn harvest(self) -> GroupFruit {
        let segment = self.segment;
        GroupFruit {
            singles: self
                .top
                .map(|top| {
                    top.into_vec()
                        .into_iter()
                        .map(|d| (d.sort_key, DocAddress::new(segment, d.doc)))
                        .collect()
                })
                .unwrap_or_default(),
            single_count: self.singles,
            grouped: self.grouped,
        }
    }
}

/// One result: a resource, or the head of a group with the rest of it.
#[derive(Debug)]
pub(crate) struct Ranked {
    pub score: f32,
    pub address: DocAddress,
    pub group: Option<Grouped>,
}

/// The rest of a group, as members of its map.
#[derive(Debug)]
pub(crate) struct Grouped {
    pub map: Arc<GroupMap>,
    /// The head's own member index.
    pub head: u32,
    /// Other copies of the head.
    pub duplicates: Vec<u32>,
    /// Other editions, newest first: the best copy of each and its other copies.
    pub editions: Vec<(u32, Vec<u32>)>,
}

/// Larger key first, then the lower address (tantivy's order).
fn order(a: (f64, DocAddress), b: (f64, DocAddress)) -> Ordering {
    b.0.partial_cmp(&a.0)
        .unwrap_or(Ordering::Equal)
        .then_with(|| a.1.cmp(&b.1))
}

/// The page `offset..offset + limit` of the groups of `fruit`, and the number of groups;
/// `facets` is corrected to count every group once.
pub(crate) fn rank(
    fruit: GroupFruit,
    map: Option<&Arc<GroupMap>>,
    sort: SortOrder,
    unavailable: &Unavailable,
    facets: &mut FacetFruit,
    offset: usize,
    limit: usize,
) -> (u64, Vec<Ranked>) {
    let mut entries: Vec<(f64, DocAddress, Option<Grouped>)> = fruit
        .singles
        .into_iter()
        .map(|(key, address)| (key, address, None))
        .collect();
    let mut total = fruit.single_count;
    if let Some(map) = map {
        let mut by_group: HashMap<u32, Vec<(u32, f64)>> = HashMap::new();
        for (member, key) in fruit.grouped {
            by_group
                .entry(map.member(member).group)
                .or_default()
                .push((member, key));
        }
        let mut groups: Vec<(u32, Vec<(u32, f64)>)> = by_group.into_iter().collect();
        groups.sort_unstable_by_key(|(g, _)| *g);
        total += groups.len() as u64;
        for (_, found) in groups {
            if found.len() >= 2 {
                uncount(map, &found, unavailable, facets);
            }
            entries.push(head_of(map, sort, &found));
        }
    }
    facets.total = total;
    entries.sort_by(|a, b| order((a.0, a.1), (b.0, b.1)));
    let page = entries
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|(key, address, group)| Ranked {
            score: if sort == SortOrder::Relevance {
                key as f32
            } else {
                0.0
            },
            address: group
                .as_ref()
                .map_or(address, |g| g.map.member(g.head).address),
            group,
        })
        .collect();
    (total, page)
}

/// A group's place in the order (key and tie address) and its head.
fn head_of(
    map: &Arc<GroupMap>,
    sort: SortOrder,
    found: &[(u32, f64)],
) -> (f64, DocAddress, Option<Grouped>) {
    let key_of = |m: u32| {
        found
            .iter()
            .find(|(x, _)| *x == m)
            .map_or(f64::MIN, |(_, k)| *k)
    };
    let best = |members: &[u32]| -> u32 {
        let mut best = members[0];
        for &m in &members[1..] {
            let (a, b) = (
                (key_of(m), map.member(m).address),
                (key_of(best), map.member(best).address),
            );
            if order(a, b) == Ordering::Less {
                best = m;
            }
        }
        best
    };
    let members: Vec<u32> = found.iter().map(|(m, _)| *m).collect();
    if members.len() == 1 {
        let m = members[0];
        return (key_of(m), map.member(m).address, None);
    }
    let mut clusters = map.clusters(&members);
    // The newest edition first (copies share a cluster, and a group of copies has one).
    clusters.sort_by_key(|c| std::cmp::Reverse(c.iter().map(|&m| map.member(m).date_key).max()));
    let head = best(&clusters[0]);
    let by_id =
        |list: &mut Vec<u32>| list.sort_by(|a, b| map.member(*a).id.cmp(&map.member(*b).id));
    let mut duplicates: Vec<u32> = clusters[0].iter().copied().filter(|&m| m != head).collect();
    by_id(&mut duplicates);
    let editions = clusters[1..]
        .iter()
        .map(|cluster| {
            let rep = best(cluster);
            let mut rest: Vec<u32> = cluster.iter().copied().filter(|&m| m != rep).collect();
            by_id(&mut rest);
            (rep, rest)
        })
        .collect();
    // By relevance a group ranks by its best-scoring member; otherwise by its head.
    let lead = if sort == SortOrder::Relevance {
        best(&members)
    } else {
        head
    };
    (
        key_of(lead),
        map.member(lead).address,
        Some(Grouped {
            map: Arc::clone(map),
            head,
            duplicates,
            editions,
        }),
    )
}

/// Takes back what the facet collector counted more than once for one group: each
/// value counts the group once if any of its matched members has it.
fn uncount(
    map: &GroupMap,
    found: &[(u32, f64)],
    unavailable: &Unavailable,
    facets: &mut FacetFruit,
) {
    let members: Vec<&Member> = found.iter().map(|(m, _)| map.member(*m)).collect();
    let f = &mut facets.facets;
    let extra = |counts: &mut std::collections::BTreeMap<String, u64>, values: Vec<&str>| {
        let mut seen: HashMap<&str, u64> = HashMap::new();
        for v in values {
            *seen.entry(v).or_insert(0) += 1;
        }
        for (v, n) in seen {
            if let Some(c) = counts.get_mut(v) {
                *c = c.saturating_sub(n - 1);
            }
        }
    };
    extra(
        &mut f.kind,
        members.iter().map(|m| m.kind.as_str()).collect(),
    );
    extra(
        &mut f.access,
        members.iter().map(|m| m.access.as_str()).collect(),
    );
    extra(
        &mut f.sector,
        members
            .iter()
            .flat_map(|m| m.sectors.iter().map(String::as_str))
            .collect(),
    );
    extra(
        &mut f.violation,
        members
            .iter()
            .flat_map(|m| m.violations.iter().map(String::as_str))
            .collect(),
    );
    let years: Vec<String> = members
        .iter()
        .filter_map(|m| m.year.map(|y| y.to_string()))
        .collect();
    extra(&mut f.year, years.iter().map(String::as_str).collect());
    let available = members
        .iter()
        .filter(|m| unavailable.ids().binary_search(&m.id).is_err())
        .count() as u64;
    f.available = f.available.saturating_sub(available.saturating_sub(1));
}

/// `YYYYMMDD` (missing parts 0) as `2012-12-20`, `2012-12` or `2012`; `None` for 0.
pub(crate) fn date_text(key: i64) -> Option<String> {
    let (y, m, d) = (key / 10_000, key / 100 % 100, key % 100);
    match (y, m, d) {
        (y, _, _) if y <= 0 => None,
        (y, 0, _) => Some(format!("{y:04}")),
        (y, m, 0) => Some(format!("{y:04}-{m:02}")),
        (y, m, d) => Some(format!("{y:04}-{m:02}-{d:02}")),
    }
}
