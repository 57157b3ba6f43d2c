//! The query language and its translation into tantivy queries.
//!
//! Words separated by spaces must all occur (AND), each as a verbatim substring of the
//! normalised text (through the character n-gram field); `"exact phrase"` keeps spaces
//! inside one word; `-word` / `-"phrase"` excludes. Anything else is plain text: field-like
//! `title:foo`, lone `-` or `"`, unbalanced quotes, control characters. The jieba word
//! fields add BM25 ranking. When the AND finds nothing, [`or_query`] answers with the
//! best partial matches.
//!
//! Over 400 lines only with its tests, one per rule of the query language.

use std::collections::HashSet;

use tantivy::Term;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use super::QueryError;
use super::analyzer;
use super::expand;
use super::normalize::{self, normalize};
use super::phrase::SafePhraseQuery;
use super::schema::Fields;

/// Longest query accepted, in characters (a long sentence pasted from a bulletin fits).
pub const MAX_QUERY_CHARS: usize = 256;

/// Word-field boosts for keyword queries: title, tags + summary, full text + cues.
const AND_BOOSTS: [f32; 3] = [3.0, 1.75, 1.0];
/// A query word found verbatim in the title.
const TITLE_SUBSTRING_BOOST: f32 = 3.0;
/// Word-field boosts for the OR fallback. Natural questions name many things besides the
/// resource's subject, so the title counts less there (tuned on CMRC 2018: MRR@10 0.983
/// with the keyword boosts, 0.990 with these).
const OR_BOOSTS: [f32; 3] = [1.5, 1.25, 1.0];
/// Character bigrams in the OR fallback, next to the jieba words: they score what the
/// segmenter cut differently in the question and in the text.
const OR_BIGRAM_BOOST: f32 = 1.0;

/// One query word (or quoted phrase), normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct QueryWord {
    pub norm: String,
    pub units: Vec<normalize::Unit>,
    /// Written in quotes: exact text, never expanded.
    pub quoted: bool,
    /// Other forms that match in its place: the dictionary's expansions ([`expand`]).
    pub alternatives: Vec<QueryWord>,
}

impl QueryWord {
    pub(crate) fn new(norm: &str) -> Option<QueryWord> {
        let norm = norm.trim().to_owned();
        let units = normalize::units(&norm);
        if units.is_empty() {
            return None;
        }
        Some(QueryWord {
            norm,
            units,
            quoted: false,
            alternatives: Vec::new(),
        })
    }

    fn unit(&self, i: usize) -> &str {
        let u = self.units[i];
        &self.norm[u.start..u.end]
    }

    /// The separators before the first unit and after the last one.
    pub fn edges(&self) -> (&str, &str) {
        match (self.units.first(), self.units.last()) {
            (Some(first), Some(last)) => (&self.norm[..first.start], &self.norm[last.end..]),
            _ => ("", ""),
        }
    }

    /// The pieces of the word between separators, as the highlighter looks for them.
    pub fn segments(&self) -> Vec<&str> {
        let mut out = Vec::new();
        let mut start = 0;
        for (i, u) in self.units.iter().enumerate() {
            if i > 0 && u.gap_before {
                out.push(&self.norm[self.units[start].start..self.units[i - 1].end]);
                start = i;
            }
        }
        if let (Some(first), Some(last)) = (self.units.get(start), self.units.last()) {
            out.push(&self.norm[first.start..last.end]);
        }
        out
    }
}

/// A parsed query: what must occur and what must not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ParsedQuery {
    pub include: Vec<QueryWord>,
    pub exclude: Vec<QueryWord>,
}

impl ParsedQuery {
    pub fn is_empty(&self) -> bool {
        self.include.is_empty() && self.exclude.is_empty()
    }
}

/// Parses the user's query. Never fails on syntax; fails only on a query that is too long
/// or has text but nothing searchable in it (only punctuation, symbols, emoji).
pub(crate) fn parse(q: &str) -> Result<ParsedQuery, QueryError> {
    let got = q.chars().count();
    if got > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong {
            max: MAX_QUERY_CHARS,
            got,
        });
    }
    let cleaned: String = q
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let text = normalize(&cleaned);

    let mut parsed = ParsedQuery::default();
    let mut seen = HashSet::new();
    let mut chars = text.chars().peekable();
    let mut had_text = false;
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        had_text = true;
        let mut negative = false;
        if c == '-' {
            chars.next();
            match chars.peek() {
                Some(&n) if !n.is_whitespace() => negative = true,
                _ => continue, // a lone `-`
            }
        }
        let mut word = String::new();
        let quoted = matches!(chars.peek(), Some('"' | '“' | '”'));
        if quoted {
            chars.next();
            // An unclosed quote runs to the end of the query.
            for c in chars.by_ref() {
                if matches!(c, '"' | '“' | '”') {
                    break;
                }
                word.push(c);
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        let Some(word) = QueryWord::new(&word).map(|w| QueryWord { quoted, ..w }) else {
            continue;
        };
        if !seen.insert((negative, word.norm.clone())) {
            continue;
        }
        if negative {
            parsed.exclude.push(word);
        } else {
            parsed.include.push(word);
        }
    }
    if had_text && parsed.is_empty() {
        return Err(QueryError::NothingSearchable);
    }
    Ok(parsed)
}

/// What to highlight for an OR-fallback answer: the query's jieba words of two or more
/// characters (all of them if there are none), since the whole words did not occur.
pub(crate) fn fallback_words(q: &ParsedQuery) -> Vec<QueryWord> {
    const MAX: usize = 16;
    let words = query_words(&q.include);
    let long: Vec<&String> = words.iter().filter(|w| w.chars().count() >= 2).collect();
    let chosen: Vec<&String> = if long.is_empty() {
        words.iter().collect()
    } else {
        long
    };
    chosen
        .into_iter()
        .filter_map(|w| QueryWord::new(w))
        .take(MAX)
        .collect()
}

/// Matches documents whose `field` (a character n-gram field) contains `word` verbatim.
///
/// Each run of units between separators is covered by bigrams at every other position
/// (and one more at the end of an odd run): 人民共和国 is 人民@0 共和@2 和国@3. Positions
/// leave a hole at every separator, so two bigrams two positions apart are always
/// adjacent text; half the bigrams means half the position lists to read.
pub(crate) fn substring_query(field: Field, word: &QueryWord) -> Box<dyn Query> {
    let mut terms: Vec<(usize, Term)> = Vec::with_capacity(word.units.len());
    let mut pos = 0usize;
    let mut run: Vec<(usize, usize)> = Vec::new(); // (position, unit index) of the current run
    let flush = |run: &mut Vec<(usize, usize)>, terms: &mut Vec<(usize, Term)>| {
        let m = run.len();
        let bigram = |k: usize| {
            let (p, i) = run[k];
            let (a, b) = (word.units[i], word.units[i + 1]);
            (p, Term::from_field_text(field, &word.norm[a.start..b.end]))
        };
        match m {
            0 => {}
            1 => {
                let (p, i) = run[0];
                terms.push((p, Term::from_field_text(field, word.unit(i))));
            }
            _ => {
                for k in (0..m - 1).step_by(2) {
                    terms.push(bigram(k));
                }
                if m % 2 == 1 {
                    terms.push(bigram(m - 2));
                }
            }
        }
        run.clear();
    };
    for (i, unit) in word.units.iter().enumerate() {
        if i > 0 {
            if unit.gap_before {
                flush(&mut run, &mut terms);
                pos += 2;
            } else {
                pos += 1;
            }
        }
        run.push((pos, i));
    }
    flush(&mut run, &mut terms);
    if terms.len() == 1 {
        let (_, term) = terms.remove(0);
        Box::new(TermQuery::new(term, IndexRecordOption::WithFreqs))
    } else {
        Box::new(SafePhraseQuery::new(terms))
    }
}

fn term(field: Field, text: &str, boost: f32) -> (Occur, Box<dyn Query>) {
    let q = TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    );
    (Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost)))
}

/// The jieba words of the query words, each once.
fn query_words(words: &[QueryWord]) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for w in expand::all_forms(words) {
        for token in analyzer::words(&w.norm) {
            if seen.insert(token.clone()) {
                out.push(token);
            }
        }
    }
    out
}

fn word_field_clauses(
    f: &Fields,
    words: &[String],
    boosts: [f32; 3],
    out: &mut Vec<(Occur, Box<dyn Query>)>,
) {
    for w in words {
        out.push(term(f.title_w, w, boosts[0]));
        out.push(term(f.meta_w, w, boosts[1]));
        out.push(term(f.body_w, w, boosts[2]));
    }
}

fn with_filters(
    mut clauses: Vec<(Occur, Box<dyn Query>)>,
    filters: &[Box<dyn Query>],
    exclude: &[QueryWord],
    f: &Fields,
) -> Box<dyn Query> {
    for filter in filters {
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(filter.box_clone(), 0.0)),
        ));
    }
    for w in exclude {
        clauses.push((Occur::MustNot, expand::substring_any(f.text_c, w)));
    }
    Box::new(BooleanQuery::new(clauses))
}

/// Every included word verbatim somewhere, no excluded word anywhere, all filters; scored
/// by the substring matches, the title, and BM25 over the word fields.
pub(crate) fn and_query(f: &Fields, q: &ParsedQuery, filters: &[Box<dyn Query>]) -> Box<dyn Query> {
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if q.include.is_empty() {
        clauses.push((Occur::Must, Box::new(tantivy::query::AllQuery)));
    }
    for w in &q.include {
        clauses.push((Occur::Must, expand::substring_any(f.text_c, w)));
        clauses.push((
            Occur::Should,
            Box::new(BoostQuery::new(
                expand::substring_any(f.title_c, w),
                TITLE_SUBSTRING_BOOST,
            )),
        ));
    }
    word_field_clauses(f, &query_words(&q.include), AND_BOOSTS, &mut clauses);
    with_filters(clauses, filters, &q.exclude, f)
}

/// Any jieba word or character bigram of the included words, ranked by BM25 with the word
/// fields dominant; for natural-language questions that no document contains verbatim.
pub(crate) fn or_query(f: &Fields, q: &ParsedQuery, filters: &[Box<dyn Query>]) -> Box<dyn Query> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    word_field_clauses(f, &query_words(&q.include), OR_BOOSTS, &mut should);
    let mut seen = HashSet::new();
    for w in expand::all_forms(&q.include) {
        for i in 0..w.units.len() {
            let u = w.units[i];
            let gram = match w.units.get(i + 1) {
                Some(next) if !next.gap_before => &w.norm[u.start..next.end],
                _ if w.units.len() == 1 => &w.norm[u.start..u.end],
                _ => continue,
            };
            if seen.insert(gram.to_owned()) {
                should.push(term(f.text_c, gram, OR_BIGRAM_BOOST));
            }
        }
    }
    let any: Box<dyn Query> = Box::new(BooleanQuery::new(should));
    let mut clauses = vec![(Occur::Must, any)];
    clauses.push((Occur::Must, enough_meaningful_words(f, &q.include)));
    with_filters(clauses, filters, &q.exclude, f)
}

/// Words that say nothing about a resource: pronouns, time words, question words and
/// particles. A natural question is full of them ("我们今天想看关于…的片子"), and a
/// fallback hit that shares only these with the question is noise.
const STOPWORDS: &[&str] = &[
    "的",
    "了",
    "着",
    "过",
    "是",
    "在",
    "有",
    "和",
    "与",
    "及",
    "或",
    "或者",
    "并",
    "并且",
    "而",
    "而且",
    "也",
    "都",
    "就",
    "还",
    "又",
    "很",
    "最",
    "更",
    "把",
    "被",
    "让",
    "给",
    "对",
    "向",
    "从",
    "到",
    "于",
    "以",
    "为",
    "为了",
    "因为",
    "所以",
    "但",
    "但是",
    "如果",
    "关于",
    "有关",
    "对于",
    "什么",
    "怎么",
    "怎样",
    "怎么样",
    "如何",
    "为什么",
    "哪些",
    "哪个",
    "哪里",
    "哪",
    "谁",
    "多少",
    "几",
    "吗",
    "呢",
    "吧",
    "啊",
    "呀",
    "嘛",
    "么",
    "我",
    "你",
    "您",
    "他",
    "她",
    "它",
    "我们",
    "你们",
    "他们",
    "她们",
    "它们",
    "咱们",
    "大家",
    "自己",
    "这",
    "那",
    "这个",
    "那个",
    "这些",
    "那些",
    "这样",
    "那样",
    "一个",
    "一些",
    "一下",
    "今天",
    "明天",
    "昨天",
    "今年",
    "去年",
    "明年",
    "现在",
    "最近",
    "时候",
    "想",
    "要",
    "想要",
    "需要",
    "能",
    "能够",
    "可以",
    "会",
    "请",
    "请问",
    "看",
    "看看",
    "找",
    "查",
    "一",
    "个",
    "些",
    "等",
    "等等",
    "之",
    "其",
    "中",
    "上",
    "下",
    "里",
];

/// The query's jieba words that count towards a fallback match: the stopwords left out.
pub(crate) fn meaningful_words(include: &[QueryWord]) -> Vec<String> {
    query_words(include)
        .into_iter()
        .filter(|w| !STOPWORDS.contains(&w.as_str()))
        .collect()
}

/// A fallback hit must contain at least a third (rounded down, at least one) of the
/// query's meaningful words, each as a word or verbatim. A query of only stopwords
/// finds nothing this way. Scored zero: the ranking is the OR query's.
fn enough_meaningful_words(f: &Fields, include: &[QueryWord]) -> Box<dyn Query> {
    let words = meaningful_words(include);
    let needed = (words.len() / 3).max(1);
    let per_word: Vec<(Occur, Box<dyn Query>)> = words
        .iter()
        .map(|w| {
            let mut any_field: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            word_field_clauses(f, std::slice::from_ref(w), [1.0; 3], &mut any_field);
            if let Some(word) = QueryWord::new(w) {
                any_field.push((Occur::Should, substring_query(f.text_c, &word)));
            }
            let one: Box<dyn Query> = Box::new(BooleanQuery::new(any_field));
            (Occur::Should, one)
        })
        .collect();
    if per_word.is_empty() {
        return Box::new(tantivy::query::EmptyQuery);
    }
    Box::new(ConstScoreQuery::new(
        Box::new(BooleanQuery::with_minimum_required_clauses(
            per_word, needed,
        )),
        0.0,
    ))
}

/// Documents holding any of `values` in `field`, each term read from its posting list
/// (a few terms: tantivy's term-set query builds an automaton per segment per search,
/// most of a search's allocations in the soak's profile).
pub(crate) fn any_term(field: Field, values: &[String]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|value| {
                let term = TermQuery::new(
                    Term::from_field_text(field, value),
                    IndexRecordOption::Basic,
                );
                (Occur::Should, Box::new(term) as Box<dyn Query>)
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(q: &ParsedQuery) -> (Vec<&str>, Vec<&str>) {
        (
            q.include.iter().map(|w| w.norm.as_str()).collect(),
            q.exclude.iter().map(|w| w.norm.as_str()).collect(),
        )
    }

    #[test]
    fn parses_words_phrases_and_exclusions() {
        let q = parse(r#"八项规定  "公款 吃喝" -月饼 -"违规 收受""#).unwrap_or_default();
        assert_eq!(
            words(&q),
            (vec!["八项规定", "公款 吃喝"], vec!["月饼", "违规 收受"])
        );
    }

    #[test]
    fn odd_syntax_is_plain_text() {
        let q = parse(r#"title:foo - " 受贿"#).unwrap_or_default();
        assert_eq!(words(&q), (vec!["title:foo", "受贿"], vec![]));
        let q = parse("“全角引号”　ＡＢＣ").unwrap_or_default();
        assert_eq!(words(&q), (vec!["全角引号", "abc"], vec![]));
        assert_eq!(parse("   ").map(|q| q.is_empty()), Ok(true));
        assert_eq!(parse("-").err(), Some(QueryError::NothingSearchable));
        assert_eq!(parse("😀🎉").err(), Some(QueryError::NothingSearchable));
        assert!(matches!(
            parse(&"贪".repeat(10_000)),
            Err(QueryError::TooLong { .. })
        ));
    }

    #[test]
    fn substrings_become_every_other_bigram() {
        let terms = |q: &str| {
            let parsed = parse(q).unwrap_or_default();
            let (schema, f) = crate::search::schema::build();
            let query = substring_query(f.text_c, &parsed.include[0]);
            let mut out = Vec::new();
            query.query_terms(&mut |t, _| {
                out.push(t.value().as_str().unwrap_or_default().to_owned())
            });
            drop(schema);
            out
        };
        assert_eq!(terms("贿"), ["贿"]);
        assert_eq!(terms("受贿"), ["受贿"]);
        assert_eq!(terms("受贿罪"), ["受贿", "贿罪"]);
        assert_eq!(terms("人民共和国"), ["人民", "共和", "和国"]);
        assert_eq!(terms("中组发[2023]6号"), ["中组", "组发", "2023", "6号"]);
    }

    #[test]
    fn the_or_fallback_scores_bigrams_within_words_not_across_separators() {
        let (schema, f) = crate::search::schema::build();
        let query = or_query(&f, &parse("受贿罪 刑法，十一").unwrap_or_default(), &[]);
        let (mut grams, mut title_words) = (Vec::new(), Vec::new());
        query.query_terms(&mut |t, _| {
            let text = t.value().as_str().unwrap_or_default().to_owned();
            if t.field() == f.text_c {
                grams.push(text);
            } else if t.field() == f.title_w {
                title_words.push(text);
            }
        });
        drop(schema);
        // The words score in the title (and the other word fields) too.
        assert!(title_words.contains(&"刑法".to_owned()), "{title_words:?}");
        // (The meaningful-word requirement reads the same bigrams again.)
        grams.sort();
        grams.dedup();
        assert_eq!(grams, ["刑法", "十一", "受贿", "贿罪"]);
        // A one-character word is scored as itself.
        let query = or_query(&f, &parse("贿").unwrap_or_default(), &[]);
        let mut single = Vec::new();
        query.query_terms(&mut |t, _| {
            if t.field() == f.text_c {
                single.push(t.value().as_str().unwrap_or_default().to_owned());
            }
        });
        single.dedup();
        assert_eq!(single, ["贿"]);
    }

    #[test]
    fn segments_split_at_separators() {
        let q = parse("刑法修正案，十一").unwrap_or_default();
        assert_eq!(q.include[0].segments(), vec!["刑法修正案", "十一"]);
        // A word that starts with a separator has no empty segment before it.
        let q = parse("、监察法、实施条例").unwrap_or_default();
        assert_eq!(q.include[0].segments(), vec!["监察法", "实施条例"]);
        // Quotation marks between Chinese characters are left out; brackets are not.
        let q = parse("《监察法》实施条例").unwrap_or_default();
        assert_eq!(q.include[0].segments(), vec!["监察法实施条例"]);
        let q = parse("刑法修正案(十一)").unwrap_or_default();
        assert_eq!(q.include[0].segments(), vec!["刑法修正案", "十一"]);
    }

    #[test]
    fn the_fallback_highlights_words_of_two_or_more_characters() {
        let norms = |q: &str| -> Vec<String> {
            fallback_words(&parse(q).unwrap_or_default())
                .into_iter()
                .map(|w| w.norm)
                .collect()
        };
        let long = norms("领导干部的受贿");
        assert!(!long.is_empty());
        assert!(long.iter().all(|w| w.chars().count() >= 2), "{long:?}");
        assert!(long.contains(&"受贿".to_owned()), "{long:?}");
        // Only single characters: all of them.
        assert_eq!(norms("贿 贪"), ["贿", "贪"]);
    }

    #[test]
    fn the_longest_query_is_accepted_and_one_more_character_is_not() {
        let longest = "贪".repeat(MAX_QUERY_CHARS);
        assert_eq!(parse(&longest).map(|q| q.include.len()), Ok(1));
        assert_eq!(
            parse(&format!("{longest}腐")).err(),
            Some(QueryError::TooLong {
                max: MAX_QUERY_CHARS,
                got: MAX_QUERY_CHARS + 1
            })
        );
    }
}
