//! Where a name begins and ends: a surname (compound ones first), then one or two
//! characters that may stand in a given name, stopping before an ordinary word.

use super::{LEXICON, TAGGER, Tagged, Tok, is_han, is_mask};
use crate::privacy::lexicon;

/// Dictionary words more frequent than this are ordinary words (文明, 高明, 江山), even
/// when jieba's dictionary also tags them as names.
pub(super) const COMMON_WORD_FREQ: usize = 60;
/// A dictionary word at least this frequent right after a surname and one character
/// ends the name there (王伟 + 利用), rarer ones (国利, 华明) do not.
const COMMON_WORD_FREQ_AFTER: usize = 300;
/// The same for a character seldom in names.
const WORD_FREQ_AFTER_RARE_CHAR: usize = 30;
/// Names in jieba's dictionary are rarer than this (李娜 438); 陈述 (763), 许可 (623) and
/// 文明 are words first.
const NAME_WORD_FREQ: usize = 500;
/// A word this frequent right after a surname-like character is no given name (管理).
const VERY_COMMON_WORD_FREQ: usize = 5000;

pub(super) fn surname_len(chars: &[char], at: usize) -> Option<usize> {
    let two: String = chars.get(at..at + 2)?.iter().collect();
    if lexicon::COMPOUND_SURNAMES.contains(&two.as_str()) {
        return Some(2);
    }
    LEXICON.surnames.contains(chars.get(at)?).then_some(1)
}

pub(super) fn len(t: &Tok<'_>) -> usize {
    t.end - t.start
}

/// Prepositions, conjunctions and particles: 向, 于 and 和 are surnames too, but not
/// where they are used as such words.
pub(super) fn is_function(t: &Tok<'_>) -> bool {
    lexicon::FUNCTION_TAGS.contains(&t.tag)
}

/// A character that may stand in a given name: a Chinese character that is not a mask,
/// a function word or a word-forming suffix.
pub(super) fn given_char(c: char) -> bool {
    is_han(c) && !is_mask(c) && !lexicon::NOT_GIVEN_CHARS.contains(c)
}

/// 周先生, 王局长: a surname with a title is no name.
fn title_or_cue_at(chars: &[char], at: usize) -> bool {
    let rest: String = chars[at..chars.len().min(at + 5)].iter().collect();
    lexicon::TITLES
        .iter()
        .chain(lexicon::CUES_AFTER)
        .any(|w| rest.starts_with(w))
}

/// 任 + 管理, 华 + 设立: a surname-like character before a very common word is that
/// word's neighbour, not a name (建国, 秀英 are rarer).
fn very_common_word_at(chars: &[char], at: usize) -> bool {
    chars.get(at..at + 2).is_some_and(|w| {
        let w: String = w.iter().collect();
        TAGGER.has_word(&w) && TAGGER.suggest_freq(&w) >= VERY_COMMON_WORD_FREQ
    })
}

/// Whether an ordinary word starts at `at`, ending a name before it: 王伟 + 利用, 张华 +
/// 担任. A character common in names must begin a frequent word to be cut off (顾志贵 +
/// 在 is not 顾志 + 贵在); others a less frequent one (诸葛轩 + 共谋).
fn word_starts_at(chars: &[char], at: usize) -> bool {
    let least = match chars.get(at) {
        Some(&c) if lexicon::GIVEN_NAME_CHARS.contains(c) => COMMON_WORD_FREQ_AFTER,
        _ => WORD_FREQ_AFTER_RARE_CHAR,
    };
    (2..=4).any(|n| {
        chars.get(at..at + n).is_some_and(|w| {
            let w: String = w.iter().collect();
            TAGGER.has_word(&w) && TAGGER.suggest_freq(&w) >= least
        })
    })
}

/// Whether the dictionary's word at a surname lets a name begin there: the surname
/// alone and not a preposition or conjunction (向, 于, 和), or a name in the dictionary
/// that is not also a common word (陈述, 许可 are tagged names too).
pub(super) fn opens_name(word: &Tok<'_>, sl: usize) -> bool {
    match len(word).cmp(&sl) {
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => !is_function(word),
        // Besides names, the dictionary holds many names as places or adjectives (白洋,
        // 严明); nouns and verbs (高度, 全面, 文职) are what stands after a title instead.
        std::cmp::Ordering::Greater => {
            let given: Vec<char> = word.word.chars().skip(sl).collect();
            let tag_ok = word.tag.starts_with("nr") || matches!(word.tag, "ns" | "nz" | "a");
            tag_ok && TAGGER.suggest_freq(word.word) <= NAME_WORD_FREQ && common_given(&given)
        }
    }
}

/// Whether every character of a given name is one common in names.
pub(super) fn common_given(given: &[char]) -> bool {
    given.iter().all(|&c| lexicon::GIVEN_NAME_CHARS.contains(c))
}

/// Where a name starting at `s` with a surname of `sl` characters ends: one given
/// character, and a second unless an ordinary word starts there.
pub(super) fn given_end(chars: &[char], s: usize, sl: usize) -> Option<usize> {
    let g1 = s + sl;
    if !chars.get(g1).is_some_and(|&c| given_char(c))
        || title_or_cue_at(chars, g1)
        || very_common_word_at(chars, g1)
    {
        return None;
    }
    let g2 = g1 + 1;
    let second = chars.get(g2).is_some_and(|&c| given_char(c)) && !word_starts_at(chars, g2);
    Some(if second { g2 + 1 } else { g2 })
}

/// The name starting at `s`, if one does: a surname beginning a word and one or two
/// characters, not an ordinary word that happens to begin with a surname (局长高度重视,
/// 书记全面负责).
pub(super) fn name_after(tagged: &Tagged<'_>, s: usize) -> Option<(usize, usize)> {
    let sl = surname_len(tagged.chars, s)?;
    if !opens_name(tagged.word_at(s)?, sl) {
        return None;
    }
    let end = given_end(tagged.chars, s, sl)?;
    Some((s, end))
}

/// The name ending at `e`, if one does: three characters when the one before the
/// last two is a surname beginning a word, else two (four or three with a compound
/// surname).
pub(super) fn name_before(tagged: &Tagged<'_>, e: usize) -> Option<(usize, usize)> {
    let chars = tagged.chars;
    let fits = |s: usize| {
        let sl = surname_len(chars, s)?;
        let word = tagged.word_at(s)?;
        if !opens_name(word, sl) {
            return None;
        }
        let given = e.checked_sub(s + sl)?;
        let ok = (1..=2).contains(&given)
            && chars[s + sl..e].iter().all(|&c| given_char(c))
            && !very_common_word_at(chars, s + sl);
        ok.then_some(s)
    };
    let start = [4, 3, 2]
        .into_iter()
        .filter_map(|n| e.checked_sub(n))
        .find_map(fits)?;
    Some((start, e))
}
