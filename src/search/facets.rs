//! Facet counts over every matching document, read from fast fields in one pass.

use std::collections::BTreeMap;

use std::sync::Arc;
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};

use tantivy::schema::Field;
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use super::busy::BusyDocs;
use super::request::{Facets, Unavailable};

/// Counts matches per kind, sector, violation, year and access, and the available ones:
/// those not in the request's [`Unavailable`] set. Cloning shares the set.
#[derive(Clone)]
pub(crate) struct FacetCollector {
    id: Field,
    unavailable: Unavailable,
}

impl FacetCollector {
    pub fn new(id: Field, unavailable: &Unavailable) -> Self {
        FacetCollector {
            id,
            unavailable: unavailable.clone(),
        }
    }
}

/// Per-segment counts by term ordinal, turned into strings once at harvest.
pub(crate) struct SegmentFacets {
    total: u64,
    kind: StrCounts,
    sector: StrCounts,
    violation: StrCounts,
    access: StrCounts,
    year: Option<Column<i64>>,
    years: BTreeMap<i64, u64>,
    /// Documents of unavailable resources (none when every resource is available).
    busy: Option<Arc<BusyDocs>>,
    available_count: u64,
}

struct StrCounts {
    column: Option<StrColumn>,
    counts: Vec<u64>,
}

impl StrCounts {
    fn new(column: Option<StrColumn>) -> Self {
        let n = column.as_ref().map_or(0, |c| c.num_terms());
        StrCounts {
            column,
            counts: vec![0; n],
        }
    }

    fn collect(&mut self, doc: DocId) {
        if let Some(column) = &self.column {
            for ord in column.term_ords(doc) {
                if let Some(c) = self.counts.get_mut(ord as usize) {
                    *c += 1;
                }
            }
        }
    }

    fn harvest(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        let Some(column) = &self.column else {
            return out;
        };
        let mut term = String::new();
        for (ord, &count) in self.counts.iter().enumerate() {
            if count == 0 {
                continue;
            }
            term.clear();
            if column.ord_to_str(ord as u64, &mut term).unwrap_or(false) {
                out.insert(term.clone(), count);
            }
        }
        out
    }
}

/// What one segment found: the total and the facet counts.
pub(crate) struct FacetFruit {
    pub total: u64,
    pub facets: Facets,
}

impl Collector for FacetCollector {
    type Fruit = FacetFruit;
    type Child = SegmentFacets;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentFacets> {
        let ff = reader.fast_fields();
        Ok(SegmentFacets {
            total: 0,
            kind: StrCounts::new(ff.str("kind")?),
            sector: StrCounts::new(ff.str("sector")?),
            violation: StrCounts::new(ff.str("violation")?),
            access: StrCounts::new(ff.str("access")?),
            year: ff.column_opt::<i64>("year")?,
            years: BTreeMap::new(),
            busy: if self.unavailable.is_empty() {
                None
            } else {
                Some(self.unavailable.docs_in(self.id, reader)?)
            },
            available_count: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<FacetFruit>) -> tantivy::Result<FacetFruit> {
        let mut total = 0;
        let mut facets = Facets::default();
        for fruit in fruits {
            total += fruit.total;
            let f = fruit.facets;
            for (mine, theirs) in [
                (&mut facets.kind, f.kind),
                (&mut facets.sector, f.sector),
                (&mut facets.violation, f.violation),
                (&mut facets.year, f.year),
                (&mut facets.access, f.access),
            ] {
                for (k, v) in theirs {
                    *mine.entry(k).or_insert(0) += v;
                }
            }
            facets.available += f.available;
        }
        Ok(FacetFruit { total, facets })
    }
}

impl SegmentCollector for SegmentFacets {
    type Fruit = FacetFruit;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        self.kind.collect(doc);
        self.sector.collect(doc);
        self.violation.collect(doc);
        self.access.collect(doc);
        if let Some(year) = self.year.as_ref().and_then(|c| c.first(doc)) {
            *self.years.entry(year).or_insert(0) += 1;
        }
        if !self
            .busy
            .as_ref()
            .is_some_and(|busy| busy.bits.contains(doc))
        {
            self.available_count += 1;
        }
    }

    fn harvest(self) -> FacetFruit {
        FacetFruit {
            total: self.total,
            facets: Facets {
                kind: self.kind.harvest(),
                sector: self.sector.harvest(),
                violation: self.violation.harvest(),
                access: self.access.harvest(),
                year: self
                    .years
                    .iter()
                    .map(|(y, n)| (y.to_string(), *n))
                    .collect(),
                available: self.available_count,
            },
        }
    }
}
