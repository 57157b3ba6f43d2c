//! Names with little or no context: jieba's HMM guesses, names beside a person's verb
//! or preposition, and names listed together (王建国、李秀英).

use std::collections::HashSet;

use super::shape::{
    COMMON_WORD_FREQ, common_given, given_end, is_function, len, name_after, name_before,
    opens_name, surname_len,
};
use super::{TAGGER, Tagged, Tok, is_clean_name, is_han};
use crate::privacy::lexicon;

/// A name found by a person's verb after it (`by_follower`) or a word introducing a
/// person before it: its given name is of common characters, and it has three
/// characters or a person's word on its other side too.
pub(super) fn weakly_confirmed(
    tagged: &Tagged<'_>,
    (s, e): (usize, usize),
    by_follower: bool,
) -> bool {
    let chars = tagged.chars;
    let sl = surname_len(chars, s).unwrap_or(1);
    let other_side = if by_follower {
        let before: String = chars[s.saturating_sub(4)..s].iter().collect();
        lexicon::PERSON_PRECEDERS
            .iter()
            .any(|w| before.ends_with(w))
    } else {
        let after: String = chars[e..chars.len().min(e + 4)].iter().collect();
        lexicon::PERSON_FOLLOWERS
            .iter()
            .any(|w| after.starts_with(w))
    };
    common_given(&chars[s + sl..e]) && (e - s >= 3 || other_side)
}

/// A name the HMM guessed, with no context to confirm it, so its given name must be
/// made of characters common in names. The guess is an unknown word tagged `nr` (or
/// `ns`, as the HMM tags many unknown names) beginning with a surname, perhaps with one
/// character before it glued on (据常忠浩 → 常忠浩); a dictionary name that is no common
/// word; or a surname and the word after it (周 + 海涛). A strong guess of three
/// characters stands alone; a two-character one (普惠金融, 欧尚超市 look the same) or a
/// weak one needs a person's verb or preposition beside it.
pub(super) fn guessed_name(tagged: &Tagged<'_>, i: usize, t: &Tok<'_>) -> Option<Guess> {
    let chars = tagged.chars;
    // The HMM tags `x` what it cannot read, such as rare characters in names (韩玥湉).
    let name_tag =
        |t: &Tok<'_>| t.tag.starts_with("nr") || (t.tag == "x" && t.word.chars().all(is_han));
    let known = TAGGER.has_word(t.word);
    let (start, strong) = match surname_len(chars, t.start) {
        Some(sl) if len(t) == sl => {
            let next = tagged.guesses.get(i + 1)?;
            if !(1..=2).contains(&len(next)) || is_function(next) {
                return None;
            }
            (t.start, name_tag(t) && name_tag(next))
        }
        // A dictionary word tagged as a name (纪念章, 石英岩 are) is only a weak guess.
        Some(sl) if len(t) > sl && (name_tag(t) || (t.tag == "ns" && !known)) => {
            if known && TAGGER.suggest_freq(t.word) > COMMON_WORD_FREQ {
                return None;
            }
            (t.start, !known)
        }
        _ if len(t) >= 3 && name_tag(t) && !known && surname_len(chars, t.start + 1).is_some() => {
            (t.start + 1, true)
        }
        _ => return None,
    };
    let sl = surname_len(chars, start)?;
    if !tagged.word_at(start).is_some_and(|w| opens_name(w, sl)) {
        return None;
    }
    let end = given_end(chars, start, sl)?;
    // 迟发性: the guess runs past what can be a name, unless by a grammatical
    // character the HMM glued on (葛庆泽将, 姚婷系).
    let overshoot = chars[end..t.end.max(end)]
        .iter()
        .all(|&c| lexicon::GLUED_CHARS.contains(c));
    if !overshoot || t.end > end + 1 {
        return None;
    }
    // Without a person's word beside it, the given name must be of common characters.
    let common = common_given(&chars[start + sl..end]);
    let alone = strong && end - start >= 3 && common;
    let sure = alone || beside_person_words(chars, start, end);
    Some(Guess {
        span: (start, end),
        sure,
        common,
    })
}

/// A name the HMM guessed: `sure` when it stands on its own, else it needs another name
/// beside it (`common`: of common characters, as the other name must be).
pub(super) struct Guess {
    pub(super) span: (usize, usize),
    pub(super) sure: bool,
    pub(super) common: bool,
}

/// Whether what follows `end` is what people do (利用, 交代, 多次 …) or what precedes
/// `start` introduces a person (据, 交给 …). Prepositions such as 与, 向, 由 are not
/// enough: organisations and things stand beside them as often.
fn beside_person_words(chars: &[char], start: usize, end: usize) -> bool {
    let after: String = chars[end..chars.len().min(end + 4)].iter().collect();
    let before: String = chars[start.saturating_sub(4)..start].iter().collect();
    lexicon::PERSON_FOLLOWERS
        .iter()
        .any(|w| after.starts_with(w))
        || lexicon::PERSON_PRECEDERS
            .iter()
            .any(|w| before.ends_with(w))
}

/// The names written right before and after `(s, e)`, joined by 、 和 与 及: a surname
/// and a given name of common characters.
pub(super) fn listed_with(tagged: &Tagged<'_>, (s, e): (usize, usize)) -> Vec<(usize, usize)> {
    let chars = tagged.chars;
    let mut found = Vec::new();
    if let Some(joint) = tagged.word_at(e)
        && is_joint(joint.word)
    {
        found.extend(name_after(tagged, joint.end));
    }
    if s > 0 && is_joint(&chars[s - 1].to_string()) {
        found.extend(name_before(tagged, s - 1));
    }
    found.retain(|&(s, e)| {
        let sl = surname_len(chars, s).unwrap_or(1);
        common_given(&chars[s + sl..e]) && is_clean_name(tagged, s, e)
    });
    found
}

/// Names written right before or after another name, joined by 、 和 与 及.
pub(super) fn extend_lists(tagged: &Tagged<'_>, names: &mut Vec<(usize, usize)>) {
    let mut known: HashSet<(usize, usize)> = names.iter().copied().collect();
    let mut todo: Vec<(usize, usize)> = names.clone();
    while let Some(span) = todo.pop() {
        for found in listed_with(tagged, span) {
            if known.insert(found) {
                names.push(found);
                todo.push(found);
            }
        }
    }
}

fn is_joint(word: &str) -> bool {
    matches!(word, "、" | "和" | "与" | "及" | "," | "，")
}
