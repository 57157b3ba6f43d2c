//! What a search asks for and what it answers. The JSON names of the answer are part of
//! the API contract (SPEC §7).

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::QueryError;
use super::busy;
use super::expand::Expansion;
use super::locked::Withheld;

/// Largest page size; `per_page` is clamped to `1..=MAX_PER_PAGE`.
pub const MAX_PER_PAGE: usize = 100;
/// Page size when none is given.
pub const DEFAULT_PER_PAGE: usize = 20;

#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    /// Best match first (newest first for an empty query).
    #[default]
    Relevance,
    /// By date, newest first.
    Newest,
    /// Most often borrowed first.
    MostBorrowed,
}

impl FromStr for SortOrder {
    type Err = QueryError;

    fn from_str(s: &str) -> Result<Self, QueryError> {
        match s {
            "" | "relevance" => Ok(SortOrder::Relevance),
            "newest" => Ok(SortOrder::Newest),
            "most_borrowed" | "borrowed" => Ok(SortOrder::MostBorrowed),
            other => Err(QueryError::UnknownSort(other.chars().take(32).collect())),
        }
    }
}

/// A search as the web layer passes it on. Empty strings in the filters mean "no filter".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct SearchRequest {
    pub q: String,
    pub kind: Option<String>,
    pub sector: Option<String>,
    pub violation: Option<String>,
    pub year_from: Option<i32>,
    pub year_to: Option<i32>,
    pub access: Option<String>,
    pub available: Option<bool>,
    /// `draft`, `published` or `withdrawn` (the librarian's catalogue list); borrowers
    /// only ever see published resources whatever this says.
    pub status: Option<String>,
    /// What "available" is judged by: the resources with no free copy or licence on
    /// the request's date (`loans::unavailable_on`). Not a query parameter: whoever
    /// runs the search fills it in for the day, so the index holds nothing that goes
    /// stale when the date changes.
    #[serde(skip)]
    pub unavailable: Unavailable,
    pub sort: SortOrder,
    /// 1-based.
    pub page: usize,
    pub per_page: usize,
    /// Librarians see drafts and withdrawn resources too; borrowers only published ones.
    pub include_unpublished: bool,
    /// Copies of one document and editions of one law shown as one hit (the default);
    /// `false` lists every resource (the librarian's catalogue list).
    pub group: bool,
    /// Whose search it is: a borrower finds published resources within their sharing
    /// scope only (SPEC §9). Not a query parameter: the web layer fills it in.
    #[serde(skip)]
    pub audience: Audience,
}

/// Who is searching, as far as sharing scopes go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Audience {
    /// Librarians find every resource whatever its scope.
    pub librarian: bool,
    pub unit: Option<String>,
    pub sector: Option<String>,
}

impl Audience {
    /// A librarian's search.
    pub fn librarian() -> Self {
        Audience {
            librarian: true,
            ..Audience::default()
        }
    }

    /// A borrower of `unit` in `sector`.
    pub fn borrower(unit: Option<&str>, sector: Option<&str>) -> Self {
        Audience {
            librarian: false,
            unit: unit.map(str::to_owned),
            sector: sector
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned),
        }
    }

    /// The scope terms this audience finds; `None` for librarians (no limit).
    pub fn scope_terms(&self) -> Option<Vec<String>> {
        if self.librarian {
            return None;
        }
        let mut terms = vec!["all".to_owned()];
        if let Some(sector) = &self.sector {
            terms.push(format!("sector:{sector}"));
        }
        if let Some(unit) = &self.unit {
            terms.push(format!("unit:{unit}"));
        }
        Some(terms)
    }
}

impl Default for SearchRequest {
    fn default() -> Self {
        SearchRequest {
            q: String::new(),
            kind: None,
            sector: None,
            violation: None,
            year_from: None,
            year_to: None,
            access: None,
            available: None,
            status: None,
            unavailable: Unavailable::default(),
            sort: SortOrder::Relevance,
            page: 1,
            per_page: DEFAULT_PER_PAGE,
            include_unpublished: false,
            group: true,
            audience: Audience::default(),
        }
    }
}

impl SearchRequest {
    /// A request for `q` with default filters, sort and paging.
    pub fn query(q: impl Into<String>) -> Self {
        SearchRequest {
            q: q.into(),
            ..Default::default()
        }
    }

    pub(crate) fn per_page_clamped(&self) -> usize {
        self.per_page.clamp(1, MAX_PER_PAGE)
    }

    pub(crate) fn page_clamped(&self) -> usize {
        self.page.max(1)
    }
}

/// Ids of resources that cannot be borrowed on a day, sorted and without repeats (so
/// that equal sets make equal cache keys). Usually a handful: the fully booked ones.
/// Clones share the documents found for the ids in each index segment
/// ([`busy::SegmentDocs`]); equality and hashing look at the ids only.
#[derive(Debug, Clone, Default)]
pub struct Unavailable {
    ids: Arc<[String]>,
    docs: Arc<busy::SegmentDocs>,
}

impl Unavailable {
    pub fn new(ids: impl IntoIterator<Item = String>) -> Self {
        let mut ids: Vec<String> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        Unavailable {
            ids: ids.into(),
            docs: Arc::default(),
        }
    }

    pub fn ids(&self) -> &[String] {
        &self.ids
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The segment's documents of these ids (`field` holds the id).
    pub(crate) fn docs_in(
        &self,
        field: tantivy::schema::Field,
        reader: &tantivy::SegmentReader,
    ) -> tantivy::Result<Arc<busy::BusyDocs>> {
        self.docs.of(&self.ids, field, reader)
    }
}

impl PartialEq for Unavailable {
    fn eq(&self, other: &Self) -> bool {
        self.ids == other.ids
    }
}

impl Eq for Unavailable {}

impl std::hash::Hash for Unavailable {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.ids.hash(state);
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// Number of results over all pages: copies of one document and editions of one
    /// law count once.
    pub total: u64,
    pub hits: Vec<Hit>,
    pub facets: Facets,
    pub took_ms: f64,
    /// No resource had every word, so these are the best partial matches.
    pub fallback: bool,
    /// A Chinese sentence saying why the results are partial matches.
    pub notice: Option<String>,
    /// The query words the abbreviation dictionary expanded (`刑诉法` → `刑事诉讼法`):
    /// each also matched its expansions.
    pub expansions: Vec<Expansion>,
    /// "已同时搜索：刑事诉讼法" when `expansions` is not empty.
    pub expansion_notice: Option<String>,
    pub page: usize,
    pub per_page: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Hit {
    pub id: String,
    pub kind: String,
    pub title: String,
    /// The title as HTML, matches in `<mark>`, the rest escaped.
    pub title_html: String,
    /// A passage as HTML, matches in `<mark>`, the rest escaped.
    pub snippet: String,
    pub year: Option<i32>,
    pub sectors: Vec<String>,
    pub access: String,
    pub status: String,
    /// A video's length in seconds, when known.
    pub duration: Option<u32>,
    /// Its text or cues were read by machine (OCR) and may hold errors.
    pub machine_read: bool,
    /// For videos: up to three subtitle cues that match, in time order. Without text
    /// when `locked`.
    pub cues: Vec<CueHit>,
    /// The viewer may not read this resource's content (lent only, and their unit holds
    /// no active loan of it): `snippet` comes from the summary alone, cue texts are empty
    /// and `body_matches` says how often the query occurs in the body.
    pub locked: bool,
    /// Matches of the query in the body kept from the viewer; 0 unless `locked`.
    pub body_matches: u32,
    /// When locked and the body matches: "正文中有 3 处匹配（借阅后可查看）".
    pub locked_note: Option<String>,
    /// Other matching copies of this resource (same title, almost the same text), shown
    /// as this one hit: "另有 1 篇相同内容".
    pub duplicates: Vec<HitDuplicate>,
    /// Other matching editions of this law or document (same title, other dates),
    /// newest first; this hit is the newest: "其他版本：2012-12-20".
    pub editions: Vec<HitEdition>,
    /// This hit's own date (`2021-01-26`) when it has other editions.
    pub edition: Option<String>,
    /// The sectors of the other resources of its group (see [`Hit::has_sector`]).
    #[serde(skip)]
    pub(super) group_sectors: Vec<String>,
    /// What a locked hit keeps aside until [`Hit::unlock`].
    #[serde(skip)]
    pub(super) withheld: Option<Box<Withheld>>,
    pub score: f32,
}

/// A copy of a hit's resource, reachable at `/resources/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HitDuplicate {
    pub id: String,
    pub title: String,
}

/// Another edition of a hit's law or document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct HitEdition {
    pub id: String,
    pub title: String,
    /// Its date: `2012-12-20` (or `2012-12`, `2012`).
    pub date: String,
    /// Other copies of this edition.
    pub duplicates: Vec<HitDuplicate>,
}

impl Hit {
    /// Whether this hit or another resource of its group is labelled `sector`: a
    /// group counts under every sector one of its resources has, and a search filtered
    /// by that sector finds it.
    pub fn has_sector(&self, sector: &str) -> bool {
        self.sectors
            .iter()
            .chain(&self.group_sectors)
            .any(|s| s == sector)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CueHit {
    /// Seconds from the start of the file.
    pub start: f64,
    /// The cue as HTML, matches in `<mark>`; empty in a locked hit, whose viewer
    /// gets the moment but not the words.
    pub text: String,
    pub file_id: String,
}

/// Counts over all matches (every page), with the request's filters applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Facets {
    pub kind: BTreeMap<String, u64>,
    pub sector: BTreeMap<String, u64>,
    pub violation: BTreeMap<String, u64>,
    pub year: BTreeMap<String, u64>,
    pub access: BTreeMap<String, u64>,
    /// How many matches can be borrowed now.
    pub available: u64,
}

/// A completion of what was typed (Chinese or pinyin): a resource's title, or a word
/// to search for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    /// The resource's id; empty for a word to search for.
    pub id: String,
    /// The resource's title, or the word (Chinese) to put in the search box.
    pub title: String,
    /// The resource's kind, or `term` for a word to search for: a dictionary term or a
    /// word of titles and tags (e.g. 八项规定 for `bxgd`).
    pub kind: String,
}
