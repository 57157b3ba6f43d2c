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

/// Calls `f` with each word token of already normalised text, in order.
///
/// Search mode offers the 2- and 3-character dictionary words inside a longer word; the
/// longer ones are added here too, so 中央八项规定精神 also gives 八项规定.
pub(crate) fn for_each_word(norm: &str, mut f: impl FnMut(&str)) {
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
                    let sub = &word[bounds[start]..bounds[start + len]];
                    if jieba.has_word(sub) {
                        f(sub);
                    }
                }
            }
        }
        f(truncate(word, MAX_WORD_BYTES));
    }
}

/// The word tokens of already normalised text.
pub(crate) fn words(norm: &str) -> Vec<String> {
    let mut out = Vec::new();
    for_each_word(norm, |w| out.push(w.to_owned()));
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
pub(crate) fn for_each_char_gram(norm: &str, mut f: impl FnMut(&str, usize)) {
    let units = normalize::units(norm);
    let mut pos = 0usize;
    for (i, unit) in units.iter().enumerate() {
        if i > 0 {
            pos += if unit.gap_before { 2 } else { 1 };
        }
        f(&norm[unit.start..unit.end], pos);
        if let Some(next) = units.get(i + 1)
            && !next.gap_before
        {
            f(&norm[unit.start..next.end], pos);
        }
    }
}

/// A token stream over a prepared vector of tokens.
pub(crate) struct VecTokenStream {
    tokens: std::vec::IntoIter<Token>,
    current: Token,
}

impl VecTokenStream {
    fn new(tokens: Vec<Token>) -> Self {
        VecTokenStream {
            tokens: tokens.into_iter(),
            current: Token::default(),
        }
    }
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        match self.tokens.next() {
            Some(token) => {
                self.current = token;
                true
            }
            None => false,
        }
    }

    fn token(&self) -> &Token {
        &self.current
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.current
    }
}

fn token(text: &str, position: usize) -> Token {
    Token {
        offset_from: 0,
        offset_to: 0,
        position,
        text: text.to_owned(),
        position_length: 1,
    }
}

/// tantivy tokenizer for the word fields.
#[derive(Clone, Default)]
pub(crate) struct WordTokenizer;

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let norm = normalize(text);
        let mut tokens = Vec::with_capacity(norm.len() / 4 + 1);
        for_each_word(&norm, |w| {
            let position = tokens.len();
            tokens.push(token(w, position));
        });
        VecTokenStream::new(tokens)
    }
}

/// tantivy tokenizer for the character n-gram fields.
#[derive(Clone, Default)]
pub(crate) struct CharTokenizer;

impl Tokenizer for CharTokenizer {
    type TokenStream<'a> = VecTokenStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        let norm = normalize(text);
        let mut tokens = Vec::with_capacity(norm.len() / 2 + 1);
        for_each_char_gram(&norm, |t, pos| tokens.push(token(t, pos)));
        VecTokenStream::new(tokens)
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
    for byte in DOMAIN_DICT.bytes() {
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
