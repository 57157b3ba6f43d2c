//! Chinese full-text search: analyzer, schema, indexer, query language, facets, snippets.
//!
//! The catalogue hands over [`SearchDoc`]s; [`SearchIndex`] keeps a tantivy index of them
//! in step with the catalogue's change log ([`SearchIndex::apply`], [`SearchIndex::rebuild`],
//! [`SearchIndex::applied_seq`]) and answers [`SearchRequest`]s with [`SearchResults`].
//!
//! Analysis: one normalisation (NFKC, lower case, unified brackets, traditional →
//! simplified, quotation and title marks between Chinese characters left out) at index
//! and query time; jieba word fields (search mode, HMM off, the domain dictionary in
//! `dict/domain.txt`) for BM25 ranking: title (×3), tags and summary,
//! full text and subtitle cues; a character unigram + bigram field with positions through
//! which every query word is matched as a verbatim substring.
//!
//! Queries: words AND-ed as verbatim substrings, `"phrases"`, `-exclusions`; when nothing
//! has every word, a ranked OR of the words' jieba tokens and character bigrams answers
//! instead (`fallback`). Snippets and cue hits are cut here, from the stored texts.
//! A word equal to an abbreviation of the dictionary (`synonyms`, `expand`) also
//! matches its expansions, and the answer says which it searched.
//!
//! Copies and editions (`groups`, `minhash`): resources of one title and almost the
//! same text are one hit, with the others listed; textbooks of one title and other
//! dates are one hit under the newest edition. Totals, facets and pages count groups.
//!
//! Completions ([`SearchIndex::suggest`]): titles containing Chinese text, dictionary
//! terms starting with it, and for pinyin (`bxgd`, `baxiangguiding`) titles, words of
//! titles and tags, and dictionary terms by full pinyin or initials, from per-segment
//! tables (`pinyin_table.rs`), within the audience.
//!
//! Related resources ([`SearchIndex::related`]): shared violation types and sectors
//! first, then likeness of words (more-like-this), within the viewer's audience.

mod analyzer;
mod busy;
mod cache;
mod doc;
mod error;
mod exec;
mod expand;
mod facets;
mod groups;
#[cfg(test)]
mod groups_tests;
mod index;
mod locked;
mod matcher;
mod minhash;
mod normalize;
mod params;
mod phrase;
mod pinyin;
mod pinyin_table;
mod query;
mod related;
#[cfg(test)]
mod related_tests;
mod request;
mod schema;
mod snippet;
mod stored;
mod suggest;
#[cfg(test)]
mod suggest_tests;
mod synonyms;
#[cfg(test)]
mod tests;

pub use doc::{CueDoc, SearchDoc};
pub use error::{QueryError, RebuildError, SearchError};
pub use exec::MAX_OFFSET;
pub use expand::Expansion;
pub use groups::{CollapsedGroup, GroupedResource};
pub use index::{OpenedIndex, RESULT_CACHE_BYTES, SearchIndex};
pub use matcher::Matcher;
pub use minhash::{DUPLICATE_LIKENESS, text_likeness};
pub use normalize::normalize;
pub use params::{SearchParams, flag};
pub use query::MAX_QUERY_CHARS;
pub use related::{MAX_RELATED, Related};
pub use request::{
    Audience, CueHit, DEFAULT_PER_PAGE, Facets, Hit, HitDuplicate, HitEdition, MAX_PER_PAGE,
    SearchRequest, SearchResults, SortOrder, Suggestion, Unavailable,
};
pub use snippet::escape;
pub use suggest::TERM_KIND;
pub use synonyms::{MAX_TERM_CHARS, SynonymLineError, Synonyms, check_term};
