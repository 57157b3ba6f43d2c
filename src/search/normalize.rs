//! The one text normalisation used at index and at query time, and the character classes
//! the analyzers cut on.
//!
//! NFKC (full width → half width), lower case, every bracket pair (〔〕［］【】（）[] …)
//! turned into `(` `)`, then traditional → simplified (`fast2s`, MIT). Normalisation is done
//! one character at a time so that a normalised position can be mapped back to the
//! original text for snippets; index and query both use this function, so they agree.
//!
//! Over 400 lines only with its tests, which sit beside the character tables they check.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use unicode_normalization::UnicodeNormalization;

/// Names the rules below; changing them changes what is indexed, so this is part of the
/// analysis fingerprint (an index built under other rules is rebuilt).
pub(crate) const RULES: &str = "nfkc lower brackets t2s marks-between-hanzi";

/// Normalises `text` for indexing or querying.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    normalize_into(text, &mut out);
    out
}

/// Normalises `text` into `out` (cleared first), reusing its allocation.
pub(crate) fn normalize_into(text: &str, out: &mut String) {
    out.clear();
    let mut contextual = false;
    for (offset, c) in text.char_indices() {
        if joins(text, offset, c, out) {
            continue;
        }
        contextual |= push_char(c, out);
    }
    if contextual {
        *out = fast2s::convert(out);
    }
}

/// Normalised text plus, for each normalised character, the byte offset of the original
/// character it came from (and a final entry for the end), so matches found in the
/// normalised text can be highlighted in the original.
pub(crate) struct Mapped {
    pub text: String,
    /// `(normalised byte offset, original byte offset)`, one per normalised char, then
    /// `(text.len(), original.len())`.
    pub map: Vec<(u32, u32)>,
}

impl Mapped {
    /// The original byte offset of the character at normalised byte offset `norm`.
    pub fn original(&self, norm: usize) -> usize {
        let i = self.map.partition_point(|&(n, _)| (n as usize) < norm);
        self.map.get(i).map_or(0, |&(_, o)| o as usize)
    }

    /// The original byte offset just past the character that produced the normalised
    /// character ending at `norm`: a match ending inside an expansion (the `一` of `㈠`)
    /// ends after the whole original character.
    pub fn original_end(&self, norm: usize) -> usize {
        let i = self.map.partition_point(|&(n, _)| (n as usize) < norm);
        let Some(&(_, o)) = i.checked_sub(1).and_then(|k| self.map.get(k)) else {
            return self.original(norm);
        };
        self.map[i..]
            .iter()
            .map(|&(_, e)| e as usize)
            .find(|&e| e > o as usize)
            .unwrap_or(o as usize)
    }
}

/// Like [`normalize`], keeping the offset map (texts over 4 GiB are not expected here).
pub(crate) fn normalize_mapped(text: &str) -> Mapped {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() / 2);
    let mut contextual = false;
    for (offset, c) in text.char_indices() {
        if joins(text, offset, c, &out) {
            continue;
        }
        let before = out.len();
        contextual |= push_char(c, &mut out);
        for (i, _) in out[before..].char_indices() {
            map.push(((before + i) as u32, offset as u32));
        }
    }
    map.push((out.len() as u32, text.len() as u32));
    if contextual {
        // `fast2s` maps three-byte characters to three-byte characters only, so byte
        // offsets survive the conversion.
        out = fast2s::convert(&out);
    }
    Mapped { text: out, map }
}

/// Whether `c`, at byte `offset` of `text`, is a quotation mark or title mark
/// standing between two Chinese characters (after `out` so far, before the next
/// character that is not such a mark): it is then left out, so 严防“天价”月饼 and
/// 《刑法》修正案 hold 天价月饼 and 刑法修正案 as words do. Elsewhere (next to digits
/// or letters, at the edges of a text) the mark stays a separator, so “2023”1号 never
/// becomes the number 20231.
fn joins(text: &str, offset: usize, c: char, out: &str) -> bool {
    if !is_inline_mark(c)
        || !out
            .chars()
            .next_back()
            .is_some_and(|p| class(p) == CharClass::Cjk)
    {
        return false;
    }
    text[offset + c.len_utf8()..]
        .chars()
        .find(|&n| !is_inline_mark(n))
        .is_some_and(|n| class(n) == CharClass::Cjk)
}

/// Quotation marks and title marks as written in raw text. Brackets are not among them:
/// 刑法修正案(十一) must not hold 刑法修正案十, the name of another amendment.
pub(crate) const INLINE_MARKS: &str = "\"'‘’‚‛“”〈〉《》「」『』〝〞〟﹁﹂﹃﹄＂＇";

/// Whether `c` is one of [`INLINE_MARKS`], by ranges: every character normalised asks.
fn is_inline_mark(c: char) -> bool {
    matches!(
        c,
        '"' | '\''
            | '\u{2018}'..='\u{201D}'
            | '\u{3008}'..='\u{300F}'
            | '\u{301D}'..='\u{301F}'
            | '\u{FE41}'..='\u{FE44}'
            | '\u{FF02}'
            | '\u{FF07}'
    )
}

/// Marks a character [`push_char`] must normalise the slow way.
const COMPLEX: u32 = u32::MAX;

/// Traditional characters `fast2s` converts depending on their neighbours.
const CONTEXTUAL: &str = "兒覆夥藉瞭麽幺於乾著苧闔鍾讎畫";

/// The normalised form of every character of the basic multilingual plane that maps to
/// exactly one character without context (NFKC, lower case, brackets, traditional →
/// simplified), or [`COMPLEX`]. One table look-up per character instead of the NFKC
/// iterator and a hash look-up: snippets normalise long texts per request.
fn table() -> &'static [u32] {
    static TABLE: OnceLock<Vec<u32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table = vec![COMPLEX; 0x10000];
        let mut one = String::new();
        for code in 0u32..0x10000 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            if CONTEXTUAL.contains(c) {
                continue;
            }
            one.clear();
            push_slow(c, &mut one);
            let converted = if one.is_ascii() {
                one.clone()
            } else {
                fast2s::convert(&one)
            };
            let mut chars = converted.chars();
            if let (Some(n), None) = (chars.next(), chars.next()) {
                table[code as usize] = n as u32;
            }
        }
        table
    })
}

/// Appends the normalised form of `c`; true if it is a traditional character whose
/// conversion depends on its neighbours (the caller then converts the whole text).
fn push_char(c: char, out: &mut String) -> bool {
    if c.is_ascii() {
        out.push(ascii_fold(c));
        return false;
    }
    if let Some(&n) = table().get(c as usize)
        && n != COMPLEX
        && let Some(n) = char::from_u32(n)
    {
        out.push(n);
        return false;
    }
    if CONTEXTUAL.contains(c) {
        out.push(c);
        return true;
    }
    let start = out.len();
    push_slow(c, out);
    if !out[start..].is_ascii() {
        let converted = fast2s::convert(&out[start..]);
        out.truncate(start);
        out.push_str(&converted);
    }
    false
}

/// Contextual characters' conversions that only happen next to certain neighbours
/// (`fast2s`'s special cases), besides the character itself and its plain conversion.
const CONTEXTUAL_SPECIAL: [(char, char); 7] = [
    ('藉', '借'),
    ('著', '着'),
    ('苧', '苎'),
    ('闔', '合'),
    ('鍾', '锺'),
    ('讎', '雠'),
    ('畫', '划'),
];

/// The raw characters that normalise to a given one: alone ([`Spellings::single`]), or as
/// part of several ([`Spellings::expanding`], like ① for `1` or ㈠ for `一`).
#[derive(Debug, Default, Clone)]
pub(crate) struct Spellings {
    /// `target` itself first.
    pub single: Vec<char>,
    pub expanding: Vec<char>,
}

/// How `target` (a normalised character) can be written in raw text. Snippets look for
/// these with a byte search and normalise only the lines that have one.
pub(crate) fn spellings(target: char) -> Cow<'static, Spellings> {
    static SPELLINGS: OnceLock<HashMap<char, Spellings>> = OnceLock::new();
    match SPELLINGS.get_or_init(build_spellings).get(&target) {
        Some(found) => Cow::Borrowed(found),
        None => Cow::Owned(Spellings {
            single: vec![target],
            expanding: Vec::new(),
        }),
    }
}

/// Builds the spellings table once for the process (about 0.1 s).
pub(crate) fn warm_spellings() {
    let _ = spellings('a');
}

fn build_spellings() -> HashMap<char, Spellings> {
    let mut table: HashMap<char, Spellings> = HashMap::new();
    let mut one = String::new();
    let mut record = |from: char, to: &str| {
        let single = to.chars().count() == 1;
        for t in to.chars().filter(|&t| t != from) {
            let entry = table.entry(t).or_insert_with(|| Spellings {
                single: vec![t],
                expanding: Vec::new(),
            });
            let list = if single {
                &mut entry.single
            } else {
                &mut entry.expanding
            };
            if !list.contains(&from) {
                list.push(from);
            }
        }
    };
    for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
        if CONTEXTUAL.contains(c) {
            record(c, &fast2s::convert(&c.to_string()));
            for &(_, special) in CONTEXTUAL_SPECIAL.iter().filter(|(from, _)| *from == c) {
                record(c, &special.to_string());
            }
            continue;
        }
        one.clear();
        push_char(c, &mut one);
        if !one.starts_with(c) || one.len() != c.len_utf8() {
            // A text with a contextual character is converted once more as a whole.
            let again = fast2s::convert(&one);
            record(c, &one);
            record(c, &again);
        }
    }
    table
}

/// NFKC, lower case and brackets for one character.
fn push_slow(c: char, out: &mut String) {
    if let Some(b) = bracket(c) {
        out.push(b);
        return;
    }
    for d in std::iter::once(c).nfkc() {
        for l in d.to_lowercase() {
            out.push(bracket(l).unwrap_or(l));
        }
    }
}

fn ascii_fold(c: char) -> char {
    match c {
        '[' => '(',
        ']' => ')',
        _ => c.to_ascii_lowercase(),
    }
}

fn bracket(c: char) -> Option<char> {
    match c {
        '(' | '[' | '〔' | '【' | '〖' | '〘' | '（' | '［' | '﹝' | '⦅' => Some('('),
        ')' | ']' | '〕' | '】' | '〗' | '〙' | '）' | '］' | '﹞' | '⦆' => Some(')'),
        _ => None,
    }
}

/// How the analyzers see a (normalised) character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CharClass {
    /// A character of a script written without spaces: each one is a unit.
    Cjk,
    /// A letter or digit of other scripts: a run of them is one unit.
    Alnum,
    /// Punctuation, spaces, symbols, emoji: dropped, and they break phrases.
    Sep,
}

pub(crate) fn class(c: char) -> CharClass {
    if c.is_ascii() {
        return if c.is_ascii_alphanumeric() {
            CharClass::Alnum
        } else {
            CharClass::Sep
        };
    }
    match c {
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}'
        | '\u{3005}'..='\u{3007}'
        | '\u{3021}'..='\u{3029}'
        | '\u{3041}'..='\u{309F}'
        | '\u{30A0}'..='\u{30FA}'
        | '\u{30FC}'..='\u{30FF}'
        | '\u{AC00}'..='\u{D7A3}' => CharClass::Cjk,
        _ if c.is_alphanumeric() => CharClass::Alnum,
        _ => CharClass::Sep,
    }
}

/// Longest run of letters/digits kept as one unit; longer runs are cut into pieces of this
/// many characters (identically at index and query time) to keep terms short.
pub(crate) const MAX_ALNUM_RUN: usize = 32;

/// One analysis unit of normalised text: a CJK character or a run of letters/digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Unit {
    pub start: usize,
    pub end: usize,
    /// Separators (punctuation, spaces) come between this unit and the previous one.
    pub gap_before: bool,
}

/// Splits normalised text into units.
pub(crate) fn units(text: &str) -> Vec<Unit> {
    let mut out = Vec::with_capacity(text.len() / 3 + 1);
    let mut gap = false;
    let mut run: Option<(usize, usize)> = None; // (start byte, chars so far)
    for (i, c) in text.char_indices() {
        match class(c) {
            CharClass::Alnum => match run {
                Some((start, n)) if n < MAX_ALNUM_RUN => run = Some((start, n + 1)),
                Some((start, _)) => {
                    out.push(Unit {
                        start,
                        end: i,
                        gap_before: gap,
                    });
                    gap = false;
                    run = Some((i, 1));
                }
                None => run = Some((i, 1)),
            },
            other => {
                if let Some((start, _)) = run.take() {
                    out.push(Unit {
                        start,
                        end: i,
                        gap_before: gap,
                    });
                    gap = false;
                }
                if other == CharClass::Cjk {
                    out.push(Unit {
                        start: i,
                        end: i + c.len_utf8(),
                        gap_before: gap,
                    });
                    gap = false;
                } else if !out.is_empty() {
                    gap = true;
                }
            }
        }
    }
    if let Some((start, _)) = run {
        out.push(Unit {
            start,
            end: text.len(),
            gap_before: gap,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_brackets_and_script() {
        assert_eq!(normalize("ＡＢＣ１２３"), "abc123");
        assert_eq!(normalize("中组发〔2023〕6号"), "中组发(2023)6号");
        assert_eq!(normalize("中组发[2023]6号"), "中组发(2023)6号");
        assert_eq!(normalize("刑法修正案（十一）"), "刑法修正案(十一)");
        assert_eq!(normalize("【通报】"), "(通报)");
        assert_eq!(normalize("貪污受賄"), "贪污受贿");
        assert_eq!(normalize("ＡＢＣ　Ｄ"), "abc d");
        assert_eq!(normalize("看著"), "看着", "contextual conversion");
        assert_eq!(normalize("①㈱ﬁ"), "1(株)fi", "multi-character NFKC");
        assert_eq!(normalize("ΣΑΣ"), "σασ");
    }

    #[test]
    fn the_mark_ranges_are_the_listed_marks() {
        for c in (0..0x1_0000).filter_map(char::from_u32) {
            assert_eq!(is_inline_mark(c), INLINE_MARKS.contains(c), "{c:?}");
        }
    }

    #[test]
    fn marks_between_chinese_characters_are_left_out() {
        assert_eq!(normalize("严防“天价”月饼"), "严防天价月饼");
        assert_eq!(normalize("《刑法》修正案"), "《刑法修正案");
        assert_eq!(normalize("贯彻“八项规定””精神"), "贯彻八项规定精神");
        // Beside digits, letters and other punctuation a mark stays a separator.
        assert_eq!(normalize("中纪发“2023”1号"), "中纪发“2023”1号");
        assert_eq!(normalize("“ai”技术"), "“ai”技术");
        assert_eq!(normalize("他说：“好”。"), "他说:“好”。");
        let mapped = normalize_mapped("严防“天价”月饼");
        assert_eq!(mapped.text, "严防天价月饼");
        assert_eq!(mapped.original("严防".len()), "严防“".len());
    }

    #[test]
    fn spellings_are_every_raw_form_of_a_character() {
        for (target, raw) in [
            ('贿', '賄'),
            ('(', '〔'),
            ('(', '（'),
            ('2', '２'),
            ('a', 'Ａ'),
        ] {
            assert!(spellings(target).single.contains(&raw), "{raw} → {target}");
            assert_eq!(normalize(&raw.to_string()), target.to_string());
        }
        assert!(spellings('1').expanding.contains(&'①') || spellings('1').single.contains(&'①'));
        assert!(spellings('一').expanding.contains(&'㈠'));
        assert!(
            spellings('着').single.contains(&'著'),
            "contextual conversion"
        );
        assert_eq!(
            spellings('贿').single[0],
            '贿',
            "the character itself first"
        );
        assert_eq!(spellings('\u{E000}').single, ['\u{E000}']);
        let all = spellings('贪');
        assert!(
            all.single
                .iter()
                .all(|&c| normalize(&c.to_string()) == "贪")
        );
    }

    #[test]
    fn mapped_offsets_point_into_the_original() {
        let original = "ＡＢ貪污";
        let m = normalize_mapped(original);
        assert_eq!(m.text, "ab贪污");
        let at = m.text.find('贪').unwrap_or(0);
        assert_eq!(&original[m.original(at)..], "貪污");
        assert_eq!(m.original(m.text.len()), original.len());
    }

    #[test]
    fn units_cut_cjk_chars_and_alnum_runs() {
        let t = normalize("2023年，abc中");
        let u: Vec<&str> = units(&t).iter().map(|u| &t[u.start..u.end]).collect();
        assert_eq!(u, ["2023", "年", "abc", "中"]);
        let gaps: Vec<bool> = units(&t).iter().map(|u| u.gap_before).collect();
        assert_eq!(gaps, [false, false, true, false]);
    }
}
