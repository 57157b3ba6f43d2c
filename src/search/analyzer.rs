//! The two analyzers: jieba words (search mode, HMM off, domain dictionary) for ranking,
//! and character unigrams + bigrams with positions so every verbatim substring is found.
//! Both normalise first (see [`normalize`]), so callers may pass raw text.

use std::sync::OnceLock;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

use super::normalize::{self, normalize};

/// Tokenizer name of the jieba word fields.
pub(crate) const WORD_TOKENIZER: &str = "jingshi_word";
/// Tokenizer name of the character n-gram fields.
pub(crate) const CHAR_TOKENIZER: &str = "jingshi_char";

/// The shipped domain dictionary (discipline-inspection terms).
pub(crate) const DOMAIN_DICT: &str = include_str!("dict/domain.txt");

/// Longest word token kept, in bytes; jieba can return long runs of Latin letters.
const MAX_WORD_BYTES: usize = 64;
/// Longest word (in characters) searched for dictionary words of 4+ characters inside it.
const MAX_SUBWORD_SCAN: usize = 16;

static JIEBA: OnceLock<Jieba> = OnceLock::new();

/// The process-wide segmenter; building it loads the dictionaries (~0.2 s), so it is done
/// once.
pub(crate) fn jieba() -> &'static Jieba {
    JIEBA.get_or_init(|| {
        let mut jieba = Jieba::new();
        for line in DOMAIN_DICT.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let mut parts = line.split_whitespace();
            let Some(word) = parts.next() else { continue };
            let freq = parts.next().and_then(|f| f.parse::<usize>().ok());
            let tag = parts.next();
            jieba.add_word(&normalize(word), freq, tag);
        }
        jieba
    })
}

/// Calls `f(start, end)` with the byte range of each word token of already normalised
/// text, in order.
///
/// Search mode offers the 2- and 3-character dictionary words inside a longer word; the
/// longer ones are added here too, so 中央八项规定精神 also gives 八项规定.
pub(crate) fn for_each_word_span(norm: &str, mut f: impl FnMut(usize, usize)) {
    let jieba = jieba();
    for token in jieba.cut_for_search(norm, false) {
        let word = token.word;
        if !word
            .chars()
            .any(|c| normalize::class(c) != normalize::CharClass::Sep)
        {
            continue;
        }
        let n = token.end - token.start;
        if (5..=MAX_SUBWORD_SCAN).contains(&n) {
            let bounds: Vec<usize> = word
                .char_indices()
                .map(|(i, _)| i)
                .chain([word.len()])
                .collect();
            for len in 4..n {
                for start in 0..=n - len {
                    let (a, b) = (bounds[start], bounds[start + len]);
                    if jieba.has_word(&word[a..b]) {
                        f(token.byte_start + a, token.byte_start + b);
                    }
                }
            }
        }
        let kept = truncate(word, MAX_WORD_BYTES).len();
        f(token.byte_start, token.byte_start + kept);
    }
}

/// The word tokens of already normalised text.
pub(crate) fn words(norm: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word_span(norm, |s, e| out.push(norm[s..e].to_owned()));
    out
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// Calls `f(term, position)` with each character unigram and bigram of normalised text.
///
/// Unit `i` sits at position `p(i)`, which grows by 1 from unit to unit and by 2 across
/// separators; the unigram of unit `i` and the bigram of units `i, i+1` (only when nothing
/// separates them) both sit at `p(i)`. A substring of one or two units is then one term,
/// and a longer one a phrase of bigrams.
#[cfg(test)]
pub(crate) fn for_each_char_gram(norm: &str, mut f: impl FnMut(&str, usize)) {
    for (s, e, pos) in CharGrams::new(normalize::units(norm)) {
        f(&norm[s..e], pos);
    }
}

/// The unigram/bigram sequence over units, as `(start, end, position)`.
struct CharGrams {
    units: Vec<normalize::Unit>,
    next: usize,
    pos: usize,
    bigram: Option<(usize, usize, usize)>,
}

impl CharGrams {
    fn new(units: Vec<normalize::Unit>) -> Self {
        CharGrams {
            units,
            next: 0,
            pos: 0,
            bigram: None,
        }
    }
}

impl Iterator for CharGrams {
    type Item = (usize, usize, usize);

    fn next(&mut self) -> Option<(usize, usize, usize)> {
        if let Some(b) = self.bigram.take() {
            return Some(b);
        }
        let i = self.next;
        let unit = *self.units.get(i)?;
        if i > 0 {
            self.pos += if unit.gap_before { 2 } else { 1 };
        }
        if let Some(next) = self.units.get(i + 1)
            && !next.gap_before
        {
            self.bigram = Some((unit.start, next.end, self.pos));
        }
        self.next += 1;
        Some((unit.start, unit.end, self.pos))
    }
}

/// Token streams own the normalised text and hand out one reused token, so indexing does
/// not allocate per token.
pub(crate) struct WordTokenStream {
    norm: String,
    spans: std::vec::IntoIter<(usize, usize)>,
    token: Token,
}

impl TokenStream for WordTokenStream {
    fn advance(&mut self) -> bool {
        let Some((s, e)) = self.spans.next() else {
            return false;
        };
        self.token.position = self.token.position.wrapping_add(1);
        self.token.offset_from = s;
        self.token.offset_to = e;
        self.token.text.clear();
        self.token.text.push_str(&self.norm[s..e]);
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

pub(crate) struct CharTokenStream {
    norm: String,
    grams: CharGrams,
    token: Token,
}

impl TokenStream for CharTokenStream {
    fn advance(&mut self) -> bool {
        let Some((s, e, pos)) = self.grams.next() else {
            return false;
        };
        self.token.position = pos;
        self.token.offset_from = s;
        self.token.offset_to = e;
        self.token.text.clear();
        self.token.text.push_str(&self.norm[s..e]);
        true
    }

    fn token(&self) -> &Token {
        &self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// tantivy tokenizer for the word fields.
#[derive(Clone, Default)]
pub(crate) struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream {
        let norm = normalize(text);
        let mut spans = Vec::with_capacity(norm.len() / 4 + 1);
        for_each_word_span(&norm, |s, e| spans.push((s, e)));
        WordTokenStream {
            norm,
            spans: spans.into_iter(),
            // `usize::MAX` so the first token gets position 0.
            token: Token::default(),
        }
    }
}

/// tantivy tokenizer for the character n-gram fields.
#[derive(Clone, Default)]
pub(crate) struct CharTokenizer;

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = CharTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> CharTokenStream {
        let norm = normalize(text);
        let units = normalize::units(&norm);
        CharTokenStream {
            norm,
            grams: CharGrams::new(units),
            token: Token::default(),
        }
    }
}

/// Registers both tokenizers on an index under their names.
pub(crate) fn register(index: &tantivy::Index) {
    index.tokenizers().register(WORD_TOKENIZER, WordTokenizer);
    index.tokenizers().register(CHAR_TOKENIZER, CharTokenizer);
}

/// A short fingerprint of everything that changes what the analyzers emit, kept in the
/// index so an index built with another dictionary is rebuilt.
pub(crate) fn fingerprint() -> String {
    // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in DOMAIN_DICT.bytes().chain(normalize::RULES.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grams(text: &str) -> Vec<(String, usize)> {
        let mut out = Vec::new();
        for_each_char_gram(&normalize(text), |t, p| out.push((t.to_owned(), p)));
        out
    }

    #[test]
    fn char_grams_have_positions_and_gaps() {
        let g = grams("受贿罪，2023年");
        let expect = [
            ("受", 0),
            ("受贿", 0),
            ("贿", 1),
            ("贿罪", 1),
            ("罪", 2),
            ("2023", 4),
            ("2023年", 4),
            ("年", 5),
        ];
        let expect: Vec<(String, usize)> =
            expect.iter().map(|(t, p)| (t.to_string(), *p)).collect();
        assert_eq!(g, expect);
    }

    #[test]
    fn domain_terms_are_words() {
        let w = words(&normalize(
            "严格落实中央八项规定精神，坚决纠治四风，风腐同查",
        ));
        for term in ["中央八项规定精神", "八项规定", "四风", "风腐同查"] {
            assert!(w.iter().any(|x| x == term), "{term} missing from {w:?}");
        }
        assert!(!w.iter().any(|x| x == "，"));
    }
}
