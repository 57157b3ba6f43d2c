//! Completions for the search box: titles containing what was typed, dictionary terms
//! starting with it, and, when it is pinyin (`bxgd`, `baxiangguiding`, `shou hui`),
//! titles, words of titles and tags, and dictionary terms whose pinyin or initials start
//! with it.
//!
//! A title is offered only to an audience that may find its resource (published, within
//! the audience's scope), and a word of titles only when one of its resources may be
//! found; dictionary terms are public.

use std::cmp::Reverse;
use std::collections::HashMap;

use tantivy::TantivyDocument;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, Occur, Query};

use super::SearchError;
use super::exec::published;
use super::index::SearchIndex;
use super::normalize::normalize;
use super::pinyin::{self, KeyMatch};
use super::pinyin_table::Target;
use super::query;
use super::request::{Audience, Suggestion};
use super::stored::text;

/// Longest prefix considered for suggestions, in characters.
const MAX_SUGGEST_CHARS: usize = 64;
/// Keys read per table for one look-up: a one-letter prefix matches most of them.
const MAX_KEYS_READ: usize = 1_000;
/// Letters typed before titles and their words are looked up by pinyin (one letter
/// matches most of them; the dictionary answers it alone).
const MIN_TITLE_LETTERS: usize = 2;
/// Dictionary terms offered beside titles for Chinese text.
const MAX_TERMS_BESIDE_TITLES: usize = 3;
/// The `kind` of a suggestion that is a word to search for rather than a resource.
pub const TERM_KIND: &str = "term";

impl SearchIndex {
    /// Completions of what has been typed, best first, at most `limit` (1 to 20).
    ///
    /// Chinese text: titles containing it (those starting with it first) and dictionary
    /// terms starting with it. Pinyin: titles, words of titles and tags, and dictionary
    /// terms whose full pinyin or initials start with it, then titles containing it as
    /// typed. A suggestion of kind [`TERM_KIND`] is a word to search for: its `id` is
    /// empty and its `title` is the word.
    pub fn suggest(
        &self,
        prefix: &str,
        audience: &Audience,
        limit: usize,
    ) -> Result<Vec<Suggestion>, SearchError> {
        let limit = limit.clamp(1, 20);
        let prefix: String = prefix
            .chars()
            .filter(|c| !c.is_control())
            .take(MAX_SUGGEST_CHARS)
            .collect();
        let mut out = Vec::new();
        if let Some(key) = pinyin::typed(&prefix) {
            out = self.pinyin_suggest(&key, audience, limit)?;
            if out.len() < limit {
                let titles = self.title_suggest(&prefix, audience, limit)?;
                push_new(&mut out, titles, limit);
            }
            return Ok(out);
        }
        let (version, synonyms) = self.synonyms();
        let norm = normalize(prefix.trim());
        let terms = if norm.is_empty() {
            Vec::new()
        } else {
            self.pinyin
                .dictionary(version, &synonyms)
                .starting_with(&norm, MAX_TERMS_BESIDE_TITLES)
        };
        let titles = self.title_suggest(&prefix, audience, limit)?;
        push_new(&mut out, titles, limit - terms.len().min(limit / 2));
        push_new(&mut out, terms.into_iter().map(term), limit);
        Ok(out)
    }

    /// Builds the pinyin tables of the current segments and dictionary now rather than
    /// in the next completion; answers their number of keys and bytes held.
    pub fn warm_suggestions(&self) -> Result<(usize, usize), SearchError> {
        let searcher = self.reader.searcher();
        let (version, synonyms) = self.synonyms();
        let dictionary = self.pinyin.dictionary(version, &synonyms);
        let (mut keys, mut bytes) = dictionary.size();
        for table in self
            .pinyin
            .segments(&searcher, &self.fields, true)?
            .into_iter()
            .flatten()
        {
            let (k, b) = table.size();
            keys += k;
            bytes += b;
        }
        Ok((keys, bytes))
    }

    /// Pinyin completions: the best matches of every segment's table and of the
    /// dictionary's.
    fn pinyin_suggest(
        &self,
        key: &str,
        audience: &Audience,
        limit: usize,
    ) -> Result<Vec<Suggestion>, SearchError> {
        let searcher = self.reader.searcher();
        let tables = if key.len() >= MIN_TITLE_LETTERS {
            self.pinyin.segments(&searcher, &self.fields, false)?
        } else {
            Vec::new()
        };
        let (version, synonyms) = self.synonyms();
        let dictionary = self.pinyin.dictionary(version, &synonyms);
        let scope = audience.scope_terms();
        let mut found: Vec<(Target, KeyMatch)> = Vec::new();
        for (table, segment) in tables.iter().zip(searcher.segment_readers()) {
            if let Some(table) = table {
                found.extend(table.look_up(segment, key, scope.as_deref(), MAX_KEYS_READ));
            }
        }
        found.extend(dictionary.look_up(key, MAX_KEYS_READ));
        Ok(best(found, limit))
    }

    /// Titles containing `prefix` (titles that start with it first), as the audience may
    /// find them.
    fn title_suggest(
        &self,
        prefix: &str,
        audience: &Audience,
        limit: usize,
    ) -> Result<Vec<Suggestion>, SearchError> {
        let parsed = match query::parse(&format!("\"{}\"", prefix.replace('"', " "))) {
            Ok(parsed) => parsed,
            Err(_) => return Ok(Vec::new()),
        };
        let Some(word) = parsed.include.first() else {
            return Ok(Vec::new());
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(
            Occur::Must,
            query::substring_query(self.fields.title_c, word),
        )];
        if let Some(terms) = audience.scope_terms() {
            clauses.push((Occur::Must, published(self.fields.status)));
            clauses.push((Occur::Must, self.within(&terms)));
        }
        let searcher = self.reader.searcher();
        let top = searcher.search(
            &BooleanQuery::new(clauses),
            &TopDocs::with_limit(limit * 4).order_by_score(),
        )?;
        let mut found = Vec::with_capacity(top.len());
        for (rank, (_, address)) in top.into_iter().enumerate() {
            let doc: TantivyDocument = searcher.doc(address)?;
            let title = text(&doc, self.fields.title);
            let starts = normalize(&title).starts_with(&word.norm);
            found.push((
                !starts,
                rank,
                Suggestion {
                    id: text(&doc, self.fields.id),
                    title,
                    kind: text(&doc, self.fields.kind),
                },
            ));
        }
        found.sort_by_key(|(later, rank, _)| (*later, *rank));
        Ok(found.into_iter().take(limit).map(|(_, _, s)| s).collect())
    }
}

fn term(text: String) -> Suggestion {
    Suggestion {
        id: String::new(),
        title: text,
        kind: TERM_KIND.to_owned(),
    }
}

/// Appends the suggestions whose text is not shown yet, up to `limit` in all.
fn push_new(out: &mut Vec<Suggestion>, more: impl IntoIterator<Item = Suggestion>, limit: usize) {
    for s in more {
        if out.len() >= limit {
            break;
        }
        if !out.iter().any(|o| o.title == s.title) {
            out.push(s);
        }
    }
}

/// One candidate of the pinyin look-up, merged over keys, readings and segments.
struct Candidate<'a> {
    target: Target<'a>,
    rest_chars: usize,
    /// 0 dictionary term, 1 word, 2 title.
    class: u8,
    weight: u32,
}

impl Candidate<'_> {
    fn text(&self) -> &str {
        match self.target {
            Target::Title { title, .. } => title,
            Target::Word { text, .. } | Target::Term(text) => text,
        }
    }

    fn suggestion(&self) -> Suggestion {
        match self.target {
            Target::Title { id, title, kind } => Suggestion {
                id: id.to_owned(),
                title: title.to_owned(),
                kind: kind.to_owned(),
            },
            Target::Word { text, .. } | Target::Term(text) => term(text.to_owned()),
        }
    }
}

/// Ranks the matches: what was typed in full first, then what needs few more
/// characters; dictionary terms before words before titles; words found in more
/// resources first.
fn best(found: Vec<(Target<'_>, KeyMatch)>, limit: usize) -> Vec<Suggestion> {
    // Titles by resource id, words and terms by their text.
    let mut merged: HashMap<(bool, &str), Candidate<'_>> = HashMap::new();
    for (target, m) in found {
        let (key, class, weight) = match target {
            Target::Title { id, .. } => ((true, id), 2, 0),
            Target::Word { text, weight } => ((false, text), 1, weight),
            Target::Term(text) => ((false, text), 0, 0),
        };
        let entry = merged.entry(key).or_insert(Candidate {
            target,
            rest_chars: m.rest_chars,
            class,
            weight: 0,
        });
        if class < entry.class {
            entry.target = target;
            entry.class = class;
        }
        entry.rest_chars = entry.rest_chars.min(m.rest_chars);
        entry.weight = entry.weight.max(weight);
    }
    let mut ranked: Vec<Candidate<'_>> = merged.into_values().collect();
    let rank = |c: &Candidate<'_>| {
        let near = match c.rest_chars {
            0 => 0,
            1..=2 => 1,
            3..=6 => 2,
            _ => 3,
        };
        (near, c.class, Reverse(c.weight), c.rest_chars)
    };
    ranked.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.text().cmp(b.text())));
    let mut out = Vec::with_capacity(limit);
    push_new(&mut out, ranked.iter().map(Candidate::suggestion), limit);
    out
}
