//! The pinyin tables behind the search box's completions: one per index segment (its
//! titles, the words of its titles, tags, violation types and sectors) and one of the
//! abbreviation dictionary.
//!
//! A segment never changes, so its table is built once, the first time a completion
//! needs it, and dropped when the segment is merged away: a commit that adds a resource
//! makes one small segment, and only that one is read. Deleted documents are skipped at
//! look-up time through the segment's alive set. The dictionary's table is rebuilt when
//! its version changes (a few hundred terms, about a millisecond).
//!
//! Who may see what is decided per document at look-up time with the same rule as the
//! title completions (published, and one of the audience's scope terms): the table keeps
//! each document's status and scope terms (read from the `scope` field's postings, as
//! scope is not stored). A word of titles is offered only when one of the documents it
//! comes from may be seen.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use tantivy::index::SegmentId;
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{DocId, DocSet, Searcher, SegmentReader, TERMINATED, TantivyDocument};

use super::analyzer;
use super::normalize::normalize;
use super::pinyin::{
    KeyMatch, KeyTable, MAX_READINGS, STORED_KEY_BYTES, is_chinese_word, keys, reads_as,
};
use super::schema::Fields;
use super::stored::text;
use super::synonyms::Synonyms;

/// Characters of a title given keys: people type a title from its start.
const TITLE_CHARS: usize = 24;
/// Readings of a title given keys (its words have up to [`MAX_READINGS`]).
const TITLE_READINGS: usize = 4;
/// Segments of at most this many documents get their table in the completion that
/// first needs it; larger ones (after a rebuild or a merge: seconds of work) in a
/// thread of their own, and completions leave their titles out until it is done.
const BUILD_INLINE_MAX_DOCS: u32 = 5_000;
/// Longest word of a title or tag given keys, in characters.
const WORD_CHARS: usize = 16;
/// A leading part of law titles people leave out (中华人民共和国监察法 → 监察法).
const COUNTRY: &str = "中华人民共和国";
/// Targets at or above this are words (the rest are document ids).
const WORD: u32 = 1 << 31;
/// Documents of a word checked for one the audience may see; past this it is not offered.
const MAX_WORD_CHECKS: usize = 256;
/// The scope term of what is shared with everyone.
const ALL: &str = "all";

/// The tables of the current segments and of the dictionary.
pub(crate) struct PinyinTables {
    segments: Arc<Mutex<HashMap<SegmentId, Arc<SegmentTable>>>>,
    /// Segments whose table a thread is building.
    building: Arc<Mutex<HashSet<SegmentId>>>,
    /// Larger segments are built in a thread ([`BUILD_INLINE_MAX_DOCS`] unless a test
    /// says otherwise).
    inline_max_docs: std::sync::atomic::AtomicU32,
    dictionary: Mutex<Option<Arc<TermTable>>>,
}

/// The titles and words of one segment.
pub(crate) struct SegmentTable {
    keys: KeyTable,
    docs: Vec<DocInfo>,
    words: Vec<Word>,
    /// Scope terms of the segment, indexed by `DocInfo::scope`.
    scopes: Vec<String>,
}

struct DocInfo {
    id: Box<str>,
    title: Box<str>,
    kind: Box<str>,
    published: bool,
    scope: Box<[u16]>,
}

struct Word {
    text: Box<str>,
    docs: Box<[DocId]>,
    /// Those of `docs` published for all.
    public: Box<[DocId]>,
}

/// The terms of the abbreviation dictionary (abbreviations and expansions), sorted.
pub(crate) struct TermTable {
    version: u64,
    keys: KeyTable,
    pub terms: Vec<String>,
}

/// What a key leads to, once checked against the audience.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target<'a> {
    Title {
        id: &'a str,
        title: &'a str,
        kind: &'a str,
    },
    /// A word of titles or tags (`weight`: in how many documents of the segment).
    Word { text: &'a str, weight: u32 },
    /// A dictionary term.
    Term(&'a str),
}

/// Who is asking: `None` finds every live document (librarians); otherwise published
/// documents holding one of the scope terms.
pub(crate) type ScopeTerms<'a> = Option<&'a [String]>;

impl Default for PinyinTables {
    fn default() -> Self {
        PinyinTables {
            segments: Arc::default(),
            building: Arc::default(),
            inline_max_docs: BUILD_INLINE_MAX_DOCS.into(),
            dictionary: Mutex::default(),
        }
    }
}

impl PinyinTables {
    #[cfg(test)]
    pub(crate) fn set_inline_max_docs(&self, docs: u32) {
        self.inline_max_docs
            .store(docs, std::sync::atomic::Ordering::Relaxed);
    }

    /// The tables of `searcher`'s segments, in its order: small segments' built now if
    /// missing, large ones' in a thread (`None` until done) unless `wait`. Tables of
    /// segments no longer searched are dropped.
    pub(crate) fn segments(
        &self,
        searcher: &Searcher,
        fields: &Fields,
        wait: bool,
    ) -> tantivy::Result<Vec<Option<Arc<SegmentTable>>>> {
        let readers = searcher.segment_readers();
        let mut out = Vec::with_capacity(readers.len());
        let mut map = self.segments.lock().unwrap_or_else(PoisonError::into_inner);
        for segment in readers {
            let id = segment.segment_id();
            if let Some(table) = map.get(&id) {
                out.push(Some(Arc::clone(table)));
            } else if wait
                || segment.max_doc()
                    <= self
                        .inline_max_docs
                        .load(std::sync::atomic::Ordering::Relaxed)
            {
                let table = Arc::new(SegmentTable::build(segment, fields)?);
                map.insert(id, Arc::clone(&table));
                out.push(Some(table));
            } else {
                self.build_in_background(segment, fields);
                out.push(None);
            }
        }
        if map.len() > readers.len() {
            let live: HashSet<SegmentId> = readers.iter().map(SegmentReader::segment_id).collect();
            map.retain(|id, _| live.contains(id));
        }
        Ok(out)
    }

    fn build_in_background(&self, segment: &SegmentReader, fields: &Fields) {
        let id = segment.segment_id();
        if !self
            .building
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id)
        {
            return;
        }
        let (segment, fields) = (segment.clone(), *fields);
        let (tables, building) = (Arc::clone(&self.segments), Arc::clone(&self.building));
        let spawned = std::thread::Builder::new()
            .name("pinyin-table".into())
            .spawn(move || {
                let started = std::time::Instant::now();
                match SegmentTable::build(&segment, &fields) {
                    Ok(table) => {
                        tracing::debug!(
                            docs = segment.max_doc(),
                            ms = started.elapsed().as_millis() as u64,
                            "pinyin table built"
                        );
                        tables
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .insert(id, Arc::new(table));
                    }
                    Err(error) => tracing::warn!(%error, "pinyin table not built"),
                }
                building
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(&id);
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no thread for a pinyin table");
            self.building
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        }
    }

    /// The dictionary's table for `version`, rebuilt when the version changed.
    pub(crate) fn dictionary(&self, version: u64, synonyms: &Synonyms) -> Arc<TermTable> {
        let mut slot = self
            .dictionary
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        match &*slot {
            Some(table) if table.version == version => Arc::clone(table),
            _ => {
                let table = Arc::new(TermTable::build(version, synonyms));
                *slot = Some(Arc::clone(&table));
                table
            }
        }
    }
}

impl SegmentTable {
    fn build(segment: &SegmentReader, f: &Fields) -> tantivy::Result<SegmentTable> {
        let (scopes, mut doc_scopes) = scopes_of(segment, f)?;
        let store = segment.get_store_reader(1)?;
        let mut keys_table = KeyTable::default();
        let mut docs = Vec::with_capacity(segment.max_doc() as usize);
        let mut words: BTreeMap<String, Vec<DocId>> = BTreeMap::new();
        for (doc_id, doc) in store.iter::<TantivyDocument>(None).enumerate() {
            let doc = doc?;
            let Ok(doc_id) = DocId::try_from(doc_id) else {
                break;
            };
            let title = text(&doc, f.title);
            let norm = normalize(&title);
            for key in &keys(&norm, TITLE_CHARS, TITLE_READINGS) {
                keys_table.push(key, doc_id);
            }
            if let Some(short) = norm.strip_prefix(COUNTRY) {
                for key in &keys(short, TITLE_CHARS, TITLE_READINGS) {
                    keys_table.push(key, doc_id);
                }
            }
            let mut add_word = |word: &str| {
                if is_chinese_word(word) && word.chars().count() <= WORD_CHARS {
                    let list = words.entry(word.to_owned()).or_default();
                    if list.last() != Some(&doc_id) {
                        list.push(doc_id);
                    }
                }
            };
            for word in analyzer::words(&norm) {
                add_word(&word);
            }
            let labels = [f.tags, f.violation, f.sector]
                .into_iter()
                .flat_map(|field| doc.get_all(field).filter_map(|v| v.as_str()));
            for tag in labels {
                let tag = normalize(tag);
                add_word(&tag);
                for word in analyzer::words(&tag) {
                    add_word(&word);
                }
            }
            docs.push(DocInfo {
                id: text(&doc, f.id).into(),
                title: title.into(),
                kind: text(&doc, f.kind).into(),
                published: text(&doc, f.status) == "published",
                scope: doc_scopes
                    .get_mut(doc_id as usize)
                    .map(std::mem::take)
                    .unwrap_or_default()
                    .into(),
            });
        }
        let all = scopes
            .iter()
            .position(|s| s == ALL)
            .and_then(|i| u16::try_from(i).ok());
        let public = |d: &DocId| {
            docs.get(*d as usize)
                .is_some_and(|d: &DocInfo| d.published && all.is_some_and(|a| d.scope.contains(&a)))
        };
        let words: Vec<Word> = words
            .into_iter()
            .map(|(text, list)| Word {
                text: text.into(),
                public: list.iter().copied().filter(public).collect(),
                docs: list.into(),
            })
            .collect();
        for (i, word) in words.iter().enumerate() {
            for key in &keys(&word.text, WORD_CHARS, MAX_READINGS) {
                keys_table.push(key, WORD | i as u32);
            }
        }
        Ok(SegmentTable {
            keys: keys_table.sorted(),
            docs,
            words,
            scopes,
        })
    }

    /// Number of keys and bytes held (benchmarks).
    pub(crate) fn size(&self) -> (usize, usize) {
        let docs: usize = self
            .docs
            .iter()
            .map(|d| 64 + d.id.len() + d.title.len() + d.kind.len() + 2 * d.scope.len())
            .sum();
        let words: usize = self
            .words
            .iter()
            .map(|w| 32 + w.text.len() + 4 * w.docs.len())
            .sum();
        (self.keys.len(), self.keys.bytes() + docs + words)
    }

    /// What the keys starting with `prefix` lead to that `audience` may see, each once
    /// with its nearest key (at most `cap` keys are read).
    pub(crate) fn look_up(
        &self,
        segment: &SegmentReader,
        prefix: &str,
        audience: ScopeTerms<'_>,
        cap: usize,
    ) -> Vec<(Target<'_>, KeyMatch)> {
        let mut nearest: Vec<KeyMatch> = self.keys.prefixed(prefix, cap).collect();
        nearest.sort_unstable_by_key(|m| (m.target, m.rest_chars));
        nearest.dedup_by_key(|m| m.target);
        let allowed: Option<Vec<u16>> = audience.map(|terms| {
            (0..self.scopes.len() as u16)
                .filter(|&i| terms.contains(&self.scopes[usize::from(i)]))
                .collect()
        });
        // Everyone but librarians may find what is published for all.
        let public_is_enough = audience.is_none_or(|terms| terms.iter().any(|t| t == ALL));
        let alive = segment.alive_bitset();
        let live = |doc: DocId| alive.is_none_or(|a| a.is_alive(doc));
        let visible = |doc: DocId| {
            live(doc)
                && self.docs.get(doc as usize).is_some_and(|d| match &allowed {
                    None => true,
                    Some(allowed) => d.published && d.scope.iter().any(|s| allowed.contains(s)),
                })
        };
        let long = prefix.len() > STORED_KEY_BYTES;
        let mut out = Vec::with_capacity(nearest.len());
        for m in nearest {
            let target = m.target;
            if target & WORD == 0 {
                if visible(target)
                    && (!long || title_reads_as(&self.docs[target as usize].title, prefix))
                {
                    let d = &self.docs[target as usize];
                    let (id, title, kind) = (&*d.id, &*d.title, &*d.kind);
                    out.push((Target::Title { id, title, kind }, m));
                }
            } else if let Some(word) = self.words.get((target & !WORD) as usize)
                && (!long || reads_as(&word.text, prefix, WORD_CHARS, MAX_READINGS))
                && ((public_is_enough && word.public.iter().any(|&d| live(d)))
                    || word.docs.iter().take(MAX_WORD_CHECKS).any(|&d| visible(d)))
            {
                let weight = u32::try_from(word.docs.len()).unwrap_or(u32::MAX);
                out.push((
                    Target::Word {
                        text: &word.text,
                        weight,
                    },
                    m,
                ));
            }
        }
        out
    }
}

/// Whether a title's keys (or those of its short name) start with `typed`.
fn title_reads_as(title: &str, typed: &str) -> bool {
    let norm = normalize(title);
    reads_as(&norm, typed, TITLE_CHARS, TITLE_READINGS)
        || norm
            .strip_prefix(COUNTRY)
            .is_some_and(|short| reads_as(short, typed, TITLE_CHARS, TITLE_READINGS))
}

/// Each scope term of the segment, and each document's scope terms as indexes.
fn scopes_of(segment: &SegmentReader, f: &Fields) -> tantivy::Result<(Vec<String>, Vec<Vec<u16>>)> {
    let inverted = segment.inverted_index(f.scope)?;
    let mut per_doc: Vec<Vec<u16>> = vec![Vec::new(); segment.max_doc() as usize];
    let mut scopes = Vec::new();
    let mut stream = inverted.terms().stream()?;
    while stream.advance() {
        let Ok(index) = u16::try_from(scopes.len()) else {
            break;
        };
        scopes.push(String::from_utf8_lossy(stream.key()).into_owned());
        let mut postings =
            inverted.read_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?;
        while postings.doc() != TERMINATED {
            if let Some(list) = per_doc.get_mut(postings.doc() as usize) {
                list.push(index);
            }
            postings.advance();
        }
    }
    Ok((scopes, per_doc))
}

impl TermTable {
    fn build(version: u64, synonyms: &Synonyms) -> TermTable {
        let mut terms: Vec<String> = synonyms
            .entries()
            .flat_map(|(abbreviation, expansions)| {
                std::iter::once(abbreviation.to_owned()).chain(expansions.iter().cloned())
            })
            .collect();
        terms.sort_unstable();
        terms.dedup();
        let mut table = KeyTable::default();
        for (i, term) in terms.iter().enumerate() {
            for key in &keys(term, WORD_CHARS * 2, MAX_READINGS) {
                table.push(key, i as u32);
            }
        }
        TermTable {
            version,
            keys: table.sorted(),
            terms,
        }
    }

    /// Number of keys and bytes held (benchmarks).
    pub(crate) fn size(&self) -> (usize, usize) {
        let terms: usize = self.terms.iter().map(|t| 24 + t.len()).sum();
        (self.keys.len(), self.keys.bytes() + terms)
    }

    /// Terms whose keys start with `prefix`.
    pub(crate) fn look_up(&self, prefix: &str, cap: usize) -> Vec<(Target<'_>, KeyMatch)> {
        let long = prefix.len() > STORED_KEY_BYTES;
        self.keys
            .prefixed(prefix, cap)
            .filter_map(|m| {
                let term = self.terms.get(m.target as usize)?;
                let reads = !long || reads_as(term, prefix, WORD_CHARS * 2, MAX_READINGS);
                reads.then_some((Target::Term(term), m))
            })
            .collect()
    }

    /// Terms that start with the normalised text `norm`, shortest first.
    pub(crate) fn starting_with(&self, norm: &str, limit: usize) -> Vec<String> {
        let from = self.terms.partition_point(|t| t.as_str() < norm);
        let mut found: Vec<String> = self.terms[from..]
            .iter()
            .take_while(|t| t.starts_with(norm))
            .take(limit * 8)
            .cloned()
            .collect();
        found.sort_by_key(|t| t.chars().count());
        found.truncate(limit);
        found
    }
}
