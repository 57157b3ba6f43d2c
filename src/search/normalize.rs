//! The one text normalisation used at index and at query time, and the character classes
//! the analyzers cut on.
//!
//! NFKC (full width → half width), lower case, every bracket pair (〔〕［］【】（）[] …)
//! turned into `(` `)`, then traditional → simplified (`fast2s`, MIT). Normalisation is done
//! one character at a time so that a normalised position can be mapped back to the
//! original text for snippets; index and query both use this function, so they agree.

use unicode_normalization::UnicodeNormalization;

/// Normalises `text` for indexing or querying.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_normalized(c, &mut out);
    }
    to_simplified(out)
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
}

/// Like [`normalize`], keeping the offset map (texts over 4 GiB are not expected here).
pub(crate) fn normalize_mapped(text: &str) -> Mapped {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len() / 2);
    for (offset, c) in text.char_indices() {
        let before = out.len();
        push_normalized(c, &mut out);
        for (i, _) in out[before..].char_indices() {
            map.push(((before + i) as u32, offset as u32));
        }
    }
    map.push((out.len() as u32, text.len() as u32));
    // `fast2s` maps three-byte characters to three-byte characters only, so byte offsets
    // survive the conversion.
    Mapped {
        text: to_simplified(out),
        map,
    }
}

fn to_simplified(s: String) -> String {
    // Pure-ASCII text (most English words, numbers) has nothing to convert.
    if s.is_ascii() { s } else { fast2s::convert(&s) }
}

fn push_normalized(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(ascii_fold(c));
    } else if is_common_han(c) {
        out.push(c);
    } else if ('\u{FF01}'..='\u{FF5E}').contains(&c) {
        // Full-width ASCII variants: exactly what NFKC does, without the tables.
        let half = char::from_u32(c as u32 - 0xFEE0).unwrap_or(c);
        out.push(ascii_fold(half));
    } else if c == '\u{3000}' {
        out.push(' ');
    } else if let Some(b) = bracket(c) {
        out.push(b);
    } else {
        for d in std::iter::once(c).nfkc() {
            for l in d.to_lowercase() {
                out.push(bracket(l).unwrap_or(l));
            }
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

/// CJK unified ideographs (and extension A): NFKC leaves them alone and they have no case.
fn is_common_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
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
