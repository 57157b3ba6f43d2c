//! Personal names. jieba's part-of-speech tagging (`nr`) proposes them; the context
//! decides: a surname with one or two characters right after a title or a word such as
//! 犯罪嫌疑人 or 其妻, right before a title or 同志/先生/女士, or listed with another
//! name (王建国、李秀英). Anonymised forms (王某, 张某某, 李××, 张三（化名）) are clean.
//!
//! The text is tagged twice: with the dictionary alone, whose word boundaries are
//! reliable (an unknown name falls apart into single characters, 罗/军/蕾), and with
//! jieba's HMM, which guesses unknown words and tags many unknown names `nr` but also
//! glues a neighbouring character to them (请罗军蕾).

use std::collections::HashSet;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, MatchKind};
use jieba_rs::Jieba;

mod guess;
mod shape;

use super::FindingKind;
use super::lexicon;
use super::scan::Hit;
use guess::{extend_lists, guessed_name, listed_with, weakly_confirmed};
use shape::{name_after, name_before};

/// The segmenter with the domain dictionary of the search analyzer, so the field's
/// terms (甘于被围猎, 违规收受购物卡) stay whole instead of offering a surname.
pub(super) static TAGGER: LazyLock<Jieba> = LazyLock::new(|| {
    let mut jieba = Jieba::new();
    for line in include_str!("../../search/dict/domain.txt").lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split_whitespace();
        if let Some(word) = parts.next() {
            let freq = parts.next().and_then(|f| f.parse::<usize>().ok());
            jieba.add_word(word, freq, parts.next());
        }
    }
    jieba
});

pub(super) struct Lexicon {
    pub(super) surnames: HashSet<char>,
    titles: AhoCorasick,
    cues_before: AhoCorasick,
    cues_after: AhoCorasick,
    followers: AhoCorasick,
    preceders: AhoCorasick,
    public: HashSet<&'static str>,
}

pub(super) static LEXICON: LazyLock<Lexicon> = LazyLock::new(|| {
    let ac = |words: &[String]| {
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .build(words)
            .expect("the word lists are valid patterns")
    };
    let owned = |words: &[&str]| words.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    // 副局长, 常务副县长: the name sits before the prefix.
    let titles: Vec<String> = lexicon::TITLES
        .iter()
        .flat_map(|t| [(*t).to_owned(), format!("副{t}"), format!("常务副{t}")])
        .collect();
    Lexicon {
        surnames: lexicon::SURNAMES.chars().collect(),
        titles: ac(&titles),
        cues_before: ac(&owned(lexicon::CUES_BEFORE)),
        cues_after: ac(&owned(lexicon::CUES_AFTER)),
        followers: ac(&owned(lexicon::PERSON_FOLLOWERS)),
        preceders: ac(&owned(lexicon::PERSON_PRECEDERS)),
        public: lexicon::PUBLIC_FIGURES.iter().copied().collect(),
    }
});

/// A word of the tagged text, offsets in characters.
#[derive(Clone)]
pub(super) struct Tok<'a> {
    pub(super) word: &'a str,
    pub(super) tag: &'a str,
    pub(super) start: usize,
    pub(super) end: usize,
    byte_start: usize,
}

/// The text as the dictionary segments it, with lookups by character position, and
/// the HMM's guesses.
pub(super) struct Tagged<'a> {
    pub(super) chars: &'a [char],
    words: Vec<Tok<'a>>,
    /// For each character position, the word starting there (`usize::MAX`: none).
    starts: Vec<usize>,
    /// For each character position, whether a word ends there.
    ends: Vec<bool>,
    pub(super) guesses: Vec<Tok<'a>>,
}

/// `text` tagged with the dictionary alone; `offset` is added to the positions (in
/// characters and bytes).
fn tag<'a>(text: &'a str, hmm: bool, offset: (usize, usize)) -> impl Iterator<Item = Tok<'a>> {
    TAGGER.tag(text, hmm).into_iter().map(move |t| Tok {
        word: t.word,
        tag: t.tag,
        start: t.start + offset.0,
        end: t.end + offset.0,
        byte_start: t.byte_start + offset.1,
    })
}

/// What jieba's HMM makes of the text, from the dictionary's segmentation: the HMM only
/// ever rejoins runs of single characters the dictionary does not know as a word, so
/// only those runs are tagged again (the whole text twice would cost twice as much).
fn guesses<'a>(text: &'a str, words: &[Tok<'a>]) -> Vec<Tok<'a>> {
    let single = |t: &Tok<'_>| t.end - t.start == 1 && t.word.chars().all(is_han);
    let mut out = Vec::with_capacity(words.len());
    let mut i = 0;
    while i < words.len() {
        let mut j = i;
        while j < words.len() && single(&words[j]) {
            j += 1;
        }
        if j - i < 2 {
            out.push(words[i].clone());
            i += 1;
            continue;
        }
        let (first, last) = (&words[i], &words[j - 1]);
        let run = &text[first.byte_start..last.byte_start + last.word.len()];
        if TAGGER.has_word(run) {
            out.extend(words[i..j].iter().cloned());
        } else {
            out.extend(tag(run, true, (first.start, first.byte_start)));
        }
        i = j;
    }
    out
}

impl<'a> Tagged<'a> {
    fn new(text: &'a str, chars: &'a [char]) -> Self {
        let words: Vec<Tok<'a>> = tag(text, false, (0, 0)).collect();
        let mut starts = vec![usize::MAX; chars.len() + 1];
        let mut ends = vec![false; chars.len() + 1];
        for (i, t) in words.iter().enumerate() {
            starts[t.start] = i;
            ends[t.end] = true;
        }
        let guesses = guesses(text, &words);
        Tagged {
            chars,
            words,
            starts,
            ends,
            guesses,
        }
    }

    pub(super) fn word_at(&self, at: usize) -> Option<&Tok<'a>> {
        self.words.get(*self.starts.get(at)?)
    }

    pub(super) fn ends_at(&self, at: usize) -> bool {
        self.ends.get(at).copied().unwrap_or(false)
    }
}

/// Every personal name in `chars` (folded to half width; `text` is the same as a string).
pub(super) fn find(text: &str, chars: &[char], out: &mut Vec<Hit>) {
    let lex = &*LEXICON;
    let tagged = Tagged::new(text, chars);
    let bytes_at: Vec<usize> = text.char_indices().map(|(b, _)| b).collect();
    let span = |m: aho_corasick::Match| char_span(&bytes_at, m.start(), m.end());
    let mut names: Vec<(usize, usize)> = Vec::new();
    // A title or cue right before or after a name; it must be a word of its own, not
    // part of a longer one (委员 in 委员会).
    for (s, e) in lex.titles.find_iter(text).map(span) {
        if !tagged.ends_at(e) {
            continue;
        }
        names.extend(name_after(&tagged, e));
        if tagged.word_at(s).is_some() {
            names.extend(name_before(&tagged, s));
        }
    }
    for (_, e) in lex.cues_before.find_iter(text).map(span) {
        if tagged.ends_at(e) {
            names.extend(name_after(&tagged, e));
        }
    }
    for (s, _) in lex.cues_after.find_iter(text).map(span) {
        if tagged.word_at(s).is_some() {
            names.extend(name_before(&tagged, s));
        }
    }
    // Weaker context: what people do after a name, what introduces one before it.
    for (s, _) in lex.followers.find_iter(text).map(span) {
        if tagged.word_at(s).is_some() {
            let found = name_before(&tagged, s).filter(|&n| weakly_confirmed(&tagged, n, true));
            names.extend(found);
        }
    }
    for (_, e) in lex.preceders.find_iter(text).map(span) {
        if tagged.ends_at(e) {
            let found = name_after(&tagged, e).filter(|&n| weakly_confirmed(&tagged, n, false));
            names.extend(found);
        }
    }
    // 责任人（郑贵）: a name alone in parentheses after a word for a person.
    for (at, _) in chars.iter().enumerate().filter(|(_, c)| **c == '(') {
        if at > 0 && lexicon::PERSON_WORD_ENDS.contains(chars[at - 1]) {
            let found = name_after(&tagged, at + 1).filter(|&(_, e)| chars.get(e) == Some(&')'));
            names.extend(found);
        }
    }
    let mut unsure = Vec::new();
    for (i, t) in tagged.guesses.iter().enumerate() {
        match guessed_name(&tagged, i, t) {
            Some(g) if g.sure => names.push(g.span),
            Some(g) if g.common => unsure.push(g.span),
            _ => {}
        }
    }
    names.retain(|&(s, e)| is_clean_name(&tagged, s, e));
    // Two guesses that would not stand alone confirm each other when listed together
    // (戴祥与孔家, 晏萍与雷兰兰).
    for span in unsure {
        if is_clean_name(&tagged, span.0, span.1) {
            let listed = listed_with(&tagged, span);
            if !listed.is_empty() {
                names.push(span);
                names.extend(listed);
            }
        }
    }
    extend_lists(&tagged, &mut names);
    for (s, e) in names {
        out.push(Hit::new(FindingKind::PersonName, s, e));
    }
}

/// Character offsets of a byte range of `text`, by the byte offset of every character.
fn char_span(bytes_at: &[usize], start: usize, end: usize) -> (usize, usize) {
    let at = |b: usize| bytes_at.partition_point(|&x| x < b);
    (at(start), at(end))
}

/// Characters that stand for a hidden part of a name.
pub(super) fn is_mask(c: char) -> bool {
    matches!(
        c,
        '某' | '×' | 'X' | 'x' | '*' | '＊' | '○' | '〇' | 'Ｘ' | '✕' | '╳'
    )
}

/// Rejects what only looks like a name: anonymised forms, pseudonyms (化名), public
/// figures, places named after a family, and spans holding anything but Chinese
/// characters.
pub(super) fn is_clean_name(tagged: &Tagged<'_>, s: usize, e: usize) -> bool {
    let chars = tagged.chars;
    let span = &chars[s..e];
    if span.len() < 2 || span.len() > 4 || !span.iter().all(|&c| is_han(c)) {
        return false;
    }
    if span.iter().any(|&c| is_mask(c)) || chars.get(e).is_some_and(|&c| is_mask(c)) {
        return false;
    }
    let word: String = span.iter().collect();
    if LEXICON.public.contains(word.as_str()) {
        return false;
    }
    let after: String = chars[e..chars.len().min(e + 5)].iter().collect();
    // 王家坝村, 张家湾镇: a place, unless a title follows (王伟县长).
    let place = after.starts_with(|c| lexicon::PLACE_SUFFIXES.contains(c))
        && !lexicon::TITLES.iter().any(|t| after.starts_with(t));
    if place || after.starts_with(['〔', '[', '【']) {
        return false;
    }
    let before: String = chars[s.saturating_sub(3)..s].iter().collect();
    let pseudonym = after.starts_with("(化名")
        || after.starts_with("（化名")
        || before.ends_with("化名")
        || before.ends_with("化名为");
    !pseudonym
}

pub(super) fn is_han(c: char) -> bool {
    matches!(c, '\u{4e00}'..='\u{9fff}' | '\u{3400}'..='\u{4dbf}')
}
