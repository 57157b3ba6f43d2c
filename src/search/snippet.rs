//! Highlighting: find the query words (normalised) in normalised text, map the matches back
//! to the original, escape everything and wrap the matches in `<mark>`.
//!
//! tantivy's snippet generator works on one field's tokens, which for character n-grams
//! gives odd fragments, so passages are chosen here: the window of about
//! [`SNIPPET_CHARS`] characters with the most distinct query words, then the most matches.
//!
//! Over 400 lines on purpose: highlighting is one algorithm (normalise, match, map back, escape) whose steps share their offsets.

use aho_corasick::{AhoCorasick, Input, MatchKind, Span, packed};
use memchr::{memchr, memmem, memrchr};

use super::expand;
use super::normalize::{self, CharClass, class, normalize, normalize_into, normalize_mapped};
use super::query::QueryWord;

/// Length of a passage, in characters.
pub const SNIPPET_CHARS: usize = 120;
/// Characters of context shown before the first match of a passage.
const CONTEXT_BEFORE: usize = 24;
/// Matches closer than this (bytes of normalised text) count as one window.
const WINDOW_BYTES: usize = 240;
/// Text scanned for a passage; beyond it the best passage so far (or the lead) is taken.
/// Bounds the cost of a hit on a very long document.
const MAX_SCAN_BYTES: usize = 256 * 1024;
/// Text scanned after the first match for a window with more of the query words.
const SCAN_AFTER_MATCH_BYTES: usize = 16 * 1024;

#[derive(Debug, Clone, Copy)]
struct Match {
    start: usize,
    end: usize,
    needle: usize,
}

/// One query word: its pieces between separators, and a searcher for the first piece.
struct Needle {
    segments: Vec<String>,
    first: memmem::Finder<'static>,
    /// Punctuation the word starts or ends with (the `)` of `刑法修正案(十一)`): not
    /// searched, but marked too where the text has it.
    head: String,
    tail: String,
    /// The query word this is a form of (a word and its dictionary expansions count as
    /// one word when passages are scored).
    group: usize,
}

/// The query words to mark.
pub(crate) struct Highlighter {
    needles: Vec<Needle>,
    /// Number of query words (groups of needles).
    groups: usize,
    /// Finds the raw spellings of a segment of every word ([`raw_patterns`]): a line
    /// without one cannot match, so it is not normalised.
    probe: Option<Probe>,
}

impl Highlighter {
    pub fn new(words: &[QueryWord]) -> Self {
        let needles = words
            .iter()
            .enumerate()
            .flat_map(|(group, w)| expand::forms(w).map(move |form| (group, form)))
            .filter_map(|(group, w)| {
                let segments: Vec<String> = w.segments().into_iter().map(str::to_owned).collect();
                let first = memmem::Finder::new(segments.first()?.as_bytes()).into_owned();
                let (head, tail) = w.edges();
                Some(Needle {
                    segments,
                    first,
                    head: head.to_owned(),
                    tail: tail.to_owned(),
                    group,
                })
            })
            .collect::<Vec<Needle>>();
        let mut patterns: Vec<String> = Vec::new();
        for needle in &needles {
            // Every segment of a word is in a matching line, so the one with the fewest
            // raw spellings is the sharpest filter (中组发 rather than 2023).
            let Some(sharpest) = needle
                .segments
                .iter()
                .map(|segment| raw_patterns(segment))
                .min_by_key(Vec::len)
            else {
                continue;
            };
            for pattern in sharpest {
                if !patterns.contains(&pattern) {
                    patterns.push(pattern);
                }
            }
        }
        let probe = Probe::new(&patterns);
        Highlighter {
            needles,
            groups: words.len(),
            probe,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    /// Whether any query word occurs in `text` (raw).
    pub fn matches(&self, text: &str) -> bool {
        if self
            .probe
            .as_ref()
            .is_some_and(|p| p.find(text, 0).is_none())
        {
            return false;
        }
        let norm = normalize(text);
        let mut found = Vec::new();
        self.find(&norm, &mut found);
        !found.is_empty()
    }

    /// `text` as HTML with every query word marked.
    pub fn highlight(&self, text: &str) -> String {
        if self.needles.is_empty() {
            return escape(text);
        }
        let mapped = normalize_mapped(text);
        let mut found = Vec::new();
        self.find(&mapped.text, &mut found);
        let marks = to_original(&mapped, &found);
        render(text, 0, text.len(), &marks)
    }

    /// The best passage of `summary` and `body` as HTML, or their beginning if no query
    /// word occurs in them. Only lines holding a spelling of some word's first character
    /// are normalised and searched; none beyond [`MAX_SCAN_BYTES`], nor more than
    /// [`SCAN_AFTER_MATCH_BYTES`] after the first match, which bounds the cost of a hit on
    /// a long law.
    pub fn snippet(&self, summary: &str, body: &str) -> String {
        let Some(probe) = &self.probe else {
            return lead(summary, body);
        };
        // (score, text, line range, window start in normalised line bytes)
        let mut best: Option<(u64, usize, (usize, usize), usize)> = None;
        let mut found = Vec::new();
        let mut norm = String::new();
        let all = if self.groups >= 64 {
            u64::MAX
        } else {
            (1u64 << self.groups) - 1
        };
        let mut limit = MAX_SCAN_BYTES;
        let mut passed = 0usize;
        'texts: for (t, text) in [summary, body].into_iter().enumerate() {
            let mut cursor = 0usize;
            while let Some(hit) = probe.find(text, cursor) {
                let (from, to) = line_around(text, hit);
                cursor = (to + 1).min(text.len());
                if passed + to > limit {
                    break 'texts;
                }
                normalize_into(&text[from..to], &mut norm);
                found.clear();
                self.find(&norm, &mut found);
                if found.is_empty() {
                    continue;
                }
                found.sort_by_key(|m| m.start);
                let (score, mask, start) = best_window(&found);
                if best.is_none() {
                    limit = limit.min(passed + to + SCAN_AFTER_MATCH_BYTES);
                }
                if best.is_none_or(|(s, ..)| score > s) {
                    best = Some((score, t, (from, to), start));
                }
                if mask == all {
                    break 'texts;
                }
            }
            passed += text.len() + 1;
        }
        let Some((_, t, (from, to), start)) = best else {
            return lead(summary, body);
        };
        let line = if t == 0 { summary } else { body }
            .get(from..to)
            .unwrap_or_default();
        let mapped = normalize_mapped(line);
        found.clear();
        self.find(&mapped.text, &mut found);
        let marks = to_original(&mapped, &found);
        let first = mapped.original(start);
        let from = back_chars(line, first, CONTEXT_BEFORE);
        let to = forward_chars(line, from, SNIPPET_CHARS);
        let mut html = String::new();
        if from > 0 {
            html.push('…');
        }
        html.push_str(&render(line, from, to, &marks));
        if to < line.len() {
            html.push('…');
        }
        html
    }

    /// How often the query words occur in `text`, overlapping occurrences once, and
    /// whether that is all of them: only the first [`MAX_SCAN_BYTES`] are searched, so
    /// the count of a longer text is a lower bound. Only lines the probe picks are
    /// normalised, as for [`Self::snippet`].
    pub fn count(&self, text: &str) -> (u32, bool) {
        let Some(probe) = &self.probe else {
            return (0, true);
        };
        let complete = text.len() <= MAX_SCAN_BYTES;
        let text = &text[..floor_char_boundary(text, MAX_SCAN_BYTES)];
        let (mut count, mut cursor) = (0u32, 0usize);
        let (mut found, mut norm) = (Vec::new(), String::new());
        while let Some(hit) = probe.find(text, cursor) {
            let (from, to) = line_around(text, hit);
            cursor = (to + 1).min(text.len());
            normalize_into(&text[from..to], &mut norm);
            found.clear();
            self.find(&norm, &mut found);
            found.sort_by_key(|m| m.start);
            let mut end = 0;
            for m in &found {
                if m.start >= end {
                    count = count.saturating_add(1);
                    end = m.end;
                }
            }
        }
        (count, complete)
    }

    fn find(&self, norm: &str, out: &mut Vec<Match>) {
        for needle in &self.needles {
            let Some(first) = needle.segments.first() else {
                continue;
            };
            for pos in needle.first.find_iter(norm.as_bytes()) {
                if starts_inside_run(norm, pos) {
                    continue;
                }
                let mut cursor = pos + first.len();
                let mut ok = true;
                for seg in &needle.segments[1..] {
                    let rest = &norm[cursor..];
                    let skipped: usize = rest
                        .chars()
                        .take_while(|&c| class(c) == CharClass::Sep)
                        .map(char::len_utf8)
                        .sum();
                    if skipped == 0 || !rest[skipped..].starts_with(seg.as_str()) {
                        ok = false;
                        break;
                    }
                    cursor += skipped + seg.len();
                }
                if ok && !ends_inside_run(norm, cursor) {
                    let mut start = pos;
                    if !needle.head.is_empty() && norm[..pos].ends_with(needle.head.as_str()) {
                        start -= needle.head.len();
                    }
                    if norm[cursor..].starts_with(needle.tail.as_str()) {
                        cursor += needle.tail.len();
                    }
                    out.push(Match {
                        start,
                        end: cursor,
                        needle: needle.group,
                    });
                }
            }
        }
    }
}

/// Most raw spellings of one segment spelled out in full; beyond, only its first character.
const MAX_SPELLED_SEGMENTS: usize = 32;

/// Byte strings of which raw text must hold one where its normalised form holds
/// `segment` (normalised). Normalisation maps each raw character to one or more characters
/// on its own, so a raw occurrence is either a sequence of one-to-one spellings of the
/// segment's characters, or involves a character that expands to several (①, ㈠), which
/// is a pattern of its own.
fn raw_patterns(segment: &str) -> Vec<String> {
    let mut expanding: Vec<String> = Vec::new();
    let mut one_to_one: Vec<Vec<char>> = Vec::new();
    let chars: Vec<char> = segment.chars().collect();
    // A quotation mark or bracket may stand between two Chinese characters of the raw
    // text (`normalize` leaves it out): spell up to the first such pair, and let a mark
    // take the place of its second character.
    let joinable = chars
        .windows(2)
        .position(|w| class(w[0]) == CharClass::Cjk && class(w[1]) == CharClass::Cjk);
    let spelled_len = joinable.map_or(chars.len(), |k| k + 2);
    for &t in chars.iter().take(spelled_len) {
        let spellings = normalize::spellings(t);
        for c in &spellings.expanding {
            let c = c.to_string();
            if !expanding.contains(&c) {
                expanding.push(c);
            }
        }
        one_to_one.push(spellings.single.clone());
    }
    let combinations = one_to_one
        .iter()
        .try_fold(1usize, |n, s| n.checked_mul(s.len()))
        .unwrap_or(usize::MAX);
    if combinations > MAX_SPELLED_SEGMENTS {
        one_to_one.truncate(1);
    } else if let Some(second) = joinable.and_then(|k| one_to_one.get_mut(k + 1)) {
        second.extend(normalize::INLINE_MARKS.chars());
    }
    let mut spelled = vec![String::new()];
    for singles in &one_to_one {
        spelled = spelled
            .iter()
            .flat_map(|prefix| {
                singles.iter().map(move |c| {
                    let mut s = prefix.clone();
                    s.push(*c);
                    s
                })
            })
            .collect();
    }
    spelled.retain(|s| !s.is_empty());
    spelled.extend(expanding);
    spelled
}

/// Finds the next place where a line may hold a query word.
enum Probe {
    /// SIMD (Teddy) over the first bytes of each pattern: a CJK character's three bytes
    /// make a selective fingerprint.
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Probe {
    fn new(patterns: &[String]) -> Option<Probe> {
        if patterns.is_empty() {
            return None;
        }
        if let Some(searcher) = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(patterns)
            .build()
        {
            return Some(Probe::Packed(searcher));
        }
        // Building fails only for absurd pattern sets; every line is then searched.
        AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(patterns)
            .ok()
            .map(Probe::Automaton)
    }

    /// Start of the first pattern occurrence in `text[from..]`.
    fn find(&self, text: &str, from: usize) -> Option<usize> {
        match self {
            Probe::Packed(s) => s.find_in(text, Span::from(from..text.len())),
            Probe::Automaton(a) => a.find(Input::new(text).span(from..text.len())),
        }
        .map(|m| m.start())
    }
}

/// The byte range of the line of `text` holding byte `at`, without its line break.
fn line_around(text: &str, at: usize) -> (usize, usize) {
    let bytes = text.as_bytes();
    let from = memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
    let to = memchr(b'\n', &bytes[at..]).map_or(text.len(), |i| at + i);
    (from, to)
}

/// The largest char boundary of `text` at or before byte `at`.
fn floor_char_boundary(text: &str, at: usize) -> usize {
    if at >= text.len() {
        return text.len();
    }
    (0..=at)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0)
}

/// A match must not cut a run of letters/digits, which the index treats as one unit.
fn starts_inside_run(norm: &str, pos: usize) -> bool {
    let before = norm[..pos].chars().next_back();
    let at = norm[pos..].chars().next();
    matches!(
        (before.map(class), at.map(class)),
        (Some(CharClass::Alnum), Some(CharClass::Alnum))
    )
}

fn ends_inside_run(norm: &str, end: usize) -> bool {
    let before = norm[..end].chars().next_back();
    let at = norm[end..].chars().next();
    matches!(
        (before.map(class), at.map(class)),
        (Some(CharClass::Alnum), Some(CharClass::Alnum))
    )
}

/// The best window among sorted matches: `(score, needles bitmask, start)`.
fn best_window(found: &[Match]) -> (u64, u64, usize) {
    let mut best = (0u64, 0u64, 0usize);
    for (i, m) in found.iter().enumerate() {
        let mut mask = 0u64;
        let mut count = 0u64;
        for n in found[i..]
            .iter()
            .take_while(|n| n.start < m.start + WINDOW_BYTES)
        {
            mask |= 1u64 << (n.needle % 64);
            count += 1;
        }
        let score = u64::from(mask.count_ones()) * 1000 + count.min(999);
        if score > best.0 {
            best = (score, mask, m.start);
        }
    }
    best
}

/// Matches as sorted, merged byte ranges of the original text.
fn to_original(mapped: &normalize::Mapped, found: &[Match]) -> Vec<(usize, usize)> {
    let mut marks: Vec<(usize, usize)> = found
        .iter()
        .map(|m| (mapped.original(m.start), mapped.original_end(m.end)))
        .filter(|(s, e)| e > s)
        .collect();
    marks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(marks.len());
    for (s, e) in marks {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    merged
}

/// `text[from..to]` escaped, with the parts inside `marks` wrapped in `<mark>`.
fn render(text: &str, from: usize, to: usize, marks: &[(usize, usize)]) -> String {
    let mut html = String::with_capacity(to - from + 32);
    let mut at = from;
    for &(s, e) in marks {
        let (s, e) = (s.max(from), e.min(to));
        if s >= e || s < at {
            continue;
        }
        escape_into(&text[at..s], &mut html);
        html.push_str("<mark>");
        escape_into(&text[s..e], &mut html);
        html.push_str("</mark>");
        at = e;
    }
    escape_into(&text[at..to], &mut html);
    html
}

/// The beginning of the summary (or of the body), escaped, on one line.
fn lead(summary: &str, body: &str) -> String {
    let text = if summary.trim().is_empty() {
        body
    } else {
        summary
    };
    let text = text.trim();
    let end = forward_chars(text, 0, SNIPPET_CHARS);
    let flat: String = text[..end]
        .chars()
        .map(|c| if c == '\n' || c == '\r' { ' ' } else { c })
        .collect();
    let mut html = escape(&flat);
    if end < text.len() {
        html.push('…');
    }
    html
}

fn back_chars(text: &str, at: usize, n: usize) -> usize {
    text[..at]
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(at, |(i, _)| i)
}

fn forward_chars(text: &str, at: usize, n: usize) -> usize {
    text[at..]
        .char_indices()
        .nth(n)
        .map_or(text.len(), |(i, _)| at + i)
}

/// HTML-escapes text for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(text, &mut out);
    out
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn hl(q: &str) -> Highlighter {
        Highlighter::new(&parse(q).unwrap_or_default().include)
    }

    #[test]
    fn marks_matches_and_escapes_the_rest() {
        let h = hl("受贿");
        assert_eq!(
            h.highlight("<b>受贿罪</b> & 受賄"),
            "&lt;b&gt;<mark>受贿</mark>罪&lt;/b&gt; &amp; <mark>受賄</mark>"
        );
    }

    #[test]
    fn marks_across_brackets_and_full_width() {
        let h = hl("刑法修正案(十一)");
        assert_eq!(
            h.highlight("《刑法修正案（十一）》"),
            "《<mark>刑法修正案（十一）</mark>》"
        );
        let h = hl("2023");
        assert_eq!(
            h.highlight("２０２３年；12023"),
            "<mark>２０２３</mark>年；12023"
        );
    }

    #[test]
    fn snippet_picks_the_window_with_most_words() {
        let h = hl("月饼 八项规定");
        let body = format!(
            "{}\n中秋节前收受月饼。\n{}违反中央八项规定精神，违规收受月饼礼盒。{}",
            "无关内容。".repeat(50),
            "前文".repeat(30),
            "后文".repeat(100)
        );
        let s = h.snippet("", &body);
        assert!(s.contains("<mark>八项规定</mark>"), "{s}");
        assert!(s.contains("<mark>月饼</mark>"), "{s}");
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        assert!(s.chars().count() < SNIPPET_CHARS + 40, "{s}");
    }

    #[test]
    fn words_held_apart_by_quotation_marks_are_marked_whole() {
        let h = hl("天价月饼");
        assert_eq!(
            h.highlight("严防“天价”月饼反弹"),
            "严防“<mark>天价”月饼</mark>反弹"
        );
        let s = h.snippet("", "前言\n今年中秋，“天价”月饼又现身\n");
        assert!(s.contains("<mark>天价”月饼</mark>"), "{s}");
        let h = hl("刑法修正案");
        assert!(h.matches("《刑法》修正案（十一）"));
    }

    #[test]
    fn raw_patterns_cover_traditional_full_width_and_expanding_forms() {
        let p = raw_patterns("贪污");
        assert!(
            p.contains(&"贪污".to_owned()) && p.contains(&"貪污".to_owned()),
            "{p:?}"
        );
        let p = raw_patterns("2023");
        assert!(p.iter().any(|s| s.starts_with('２')), "{p:?}");
        assert!(raw_patterns("1").contains(&"①".to_owned()));
        let h = hl("一");
        let s = h.snippet("", "前言\n㈠ 不相干\n");
        assert!(s.contains("<mark>㈠</mark>"), "{s}");
        let h = hl("贪污");
        assert!(
            h.snippet("", "前言\n其貪污行为\n")
                .contains("<mark>貪污</mark>")
        );
    }

    #[test]
    fn counts_occurrences_once_and_bounds_the_scan() {
        let h = hl("备付资金 资金");
        assert_eq!(
            h.count("管理备付资金。\n无关\n備付資金和资金"),
            (3, true),
            "the overlapping 资金 of 备付资金 is not counted again"
        );
        assert_eq!(hl("不存在").count("备付资金"), (0, true));
        let long = format!("资金{}资金", "案".repeat(MAX_SCAN_BYTES / 3));
        assert_eq!(
            hl("资金").count(&long),
            (1, false),
            "one line longer than the scan"
        );
    }

    #[test]
    fn snippet_without_match_is_the_lead() {
        let h = hl("不存在");
        assert_eq!(h.snippet("摘要<文本>", "正文"), "摘要&lt;文本&gt;");
    }
}
