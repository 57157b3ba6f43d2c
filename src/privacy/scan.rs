//! Finding personal data in text: every kind's finder proposes hits on the text folded
//! to half width, and where hits overlap the longer one (then the more specific kind)
//! is kept.

use super::{Finding, FindingKind, contact, names, numbers};

/// A proposed finding, offsets in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Hit {
    pub kind: FindingKind,
    pub start: usize,
    pub end: usize,
}

impl Hit {
    pub(super) fn new(kind: FindingKind, start: usize, end: usize) -> Self {
        Hit { kind, start, end }
    }
}

/// Every piece of personal data in `text`, in order of `start`, none overlapping.
pub fn scan(text: &str) -> Vec<Finding> {
    let chars: Vec<char> = text.chars().collect();
    let folded: Vec<char> = chars.iter().map(|&c| fold(c)).collect();
    let mut hits = Vec::new();
    numbers::find(&folded, &mut hits);
    contact::find_emails(&folded, &mut hits);
    contact::find_plates(&folded, &mut hits);
    let folded_text: String = folded.iter().collect();
    names::find(&folded_text, &folded, &mut hits);
    every_mention(&folded, &mut hits);
    resolve(hits, chars.len())
        .into_iter()
        .map(|h| Finding {
            kind: h.kind,
            start: h.start,
            end: h.end,
            text: chars[h.start..h.end].iter().collect(),
        })
        .collect()
}

/// A name found once, beside a title or a cue, is a name wherever else the text
/// repeats it ("局长李建华……李建华的联系电话"): a redaction that masked only the mention
/// with context would leave the others readable.
fn every_mention(chars: &[char], hits: &mut Vec<Hit>) {
    let mut names: Vec<Vec<char>> = hits
        .iter()
        .filter(|h| h.kind == FindingKind::PersonName && h.end - h.start >= 2)
        .map(|h| chars[h.start..h.end].to_vec())
        .collect();
    names.sort();
    names.dedup();
    for name in names {
        let mut at = 0;
        while at + name.len() <= chars.len() {
            if chars[at..at + name.len()] == name[..] {
                hits.push(Hit::new(FindingKind::PersonName, at, at + name.len()));
                at += name.len();
            } else {
                at += 1;
            }
        }
    }
}

/// Full-width digits, letters and the signs numbers and addresses use, as ASCII; one
/// character for one, so offsets stay those of the original text.
fn fold(c: char) -> char {
    match c {
        '０'..='９'
        | 'Ａ'..='Ｚ'
        | 'ａ'..='ｚ'
        | '＠'
        | '．'
        | '－'
        | '＋'
        | '（'
        | '）'
        | '＿'
        | '％' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{a0}' => ' ',
        '‐' | '‑' | '‒' | '–' | '﹣' => '-',
        _ => c,
    }
}

/// The hits to keep: longer ones first, then by kind (an ID number before a card number
/// before a phone number), each kept when it overlaps none kept before; in text order.
fn resolve(mut hits: Vec<Hit>, len: usize) -> Vec<Hit> {
    hits.sort_by_key(|h| (std::cmp::Reverse(h.end - h.start), h.kind, h.start));
    let mut taken = vec![false; len];
    let mut kept = Vec::new();
    for h in hits {
        if h.start < h.end && h.end <= len && !taken[h.start..h.end].iter().any(|&t| t) {
            taken[h.start..h.end].iter_mut().for_each(|t| *t = true);
            kept.push(h);
        }
    }
    kept.sort_by_key(|h| h.start);
    kept
}
