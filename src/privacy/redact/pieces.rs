//! Masking a text that a file holds in pieces: a Word paragraph split into runs, a
//! subtitle cue split by its tags and lines. The pieces are joined (with breaks that
//! stand for a tab or a line end) and scanned as one text, so a name split over three
//! runs is still one name; each finding's mask then goes into the first piece it
//! touches and its other characters leave the pieces that held them.

use std::cmp::Reverse;
use std::ops::Range;

use super::Redaction;
use super::mask::mask;
use crate::privacy::Finding;

/// A stretch of the joined text, `start..end` in characters, that becomes `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Replacement {
    start: usize,
    end: usize,
    with: String,
}

/// The masks for `findings` in `text`, in order and never overlapping. A finding
/// whose range is not in the text, or whose text is not what lies there (stale), is
/// ignored; where two overlap, the later one masks only what the earlier left.
fn replacements(text: &str, findings: &[Finding], how: Redaction) -> Vec<Replacement> {
    let chars: Vec<char> = text.chars().collect();
    let mut valid: Vec<&Finding> = findings
        .iter()
        .filter(|f| {
            f.start < f.end
                && f.end <= chars.len()
                && chars[f.start..f.end].iter().copied().eq(f.text.chars())
        })
        .collect();
    valid.sort_by_key(|f| (f.start, Reverse(f.end)));
    let mut out = Vec::new();
    let mut done = 0;
    for finding in valid {
        if finding.end <= done {
            continue;
        }
        let start = finding.start.max(done);
        let original: String = chars[start..finding.end].iter().collect();
        out.push(Replacement {
            start,
            end: finding.end,
            with: mask(finding.kind, &original, how),
        });
        done = finding.end;
    }
    out
}

/// A text built from pieces, remembering where each piece lies in it.
#[derive(Debug, Default)]
pub(super) struct Assembly {
    text: String,
    chars: usize,
    /// Each piece's start in bytes and in characters of `text`, and its length in characters.
    pieces: Vec<(usize, usize, usize)>,
}

impl Assembly {
    /// Appends a piece of the file's text; pieces are numbered from 0 in this order.
    pub(super) fn push_piece(&mut self, piece: &str) {
        let length = piece.chars().count();
        self.pieces.push((self.text.len(), self.chars, length));
        self.text.push_str(piece);
        self.chars += length;
    }

    /// Appends a character that separates pieces but belongs to none (a tab, a line end).
    pub(super) fn push_break(&mut self, c: char) {
        self.text.push(c);
        self.chars += 1;
    }

    /// The joined text, to scan.
    pub(super) fn text(&self) -> &str {
        &self.text
    }

    /// The new text of every piece that `findings` (of [`Self::text`]) change, by
    /// piece number, in order.
    pub(super) fn rewrite(&self, findings: &[Finding], how: Redaction) -> Vec<(usize, String)> {
        let replacements = replacements(&self.text, findings, how);
        if replacements.is_empty() {
            return Vec::new();
        }
        let mut changed = Vec::new();
        let mut next = 0;
        let mut placed = None;
        for (number, &(byte, first, length)) in self.pieces.iter().enumerate() {
            let piece = &self.text[byte..];
            let mut out = String::new();
            let mut touched = false;
            for (position, c) in (first..first + length).zip(piece.chars()) {
                while replacements.get(next).is_some_and(|r| r.end <= position) {
                    next += 1;
                }
                match replacements.get(next) {
                    Some(r) if r.start <= position => {
                        touched = true;
                        if placed != Some(next) {
                            out.push_str(&r.with);
                            placed = Some(next);
                        }
                    }
                    _ => out.push(c),
                }
            }
            if touched {
                changed.push((number, out));
            }
        }
        changed
    }
}

/// `text` with the byte ranges of `edits` (which never overlap) replaced.
pub(super) fn splice(text: &str, mut edits: Vec<(Range<usize>, String)>) -> String {
    edits.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    for (range, with) in edits {
        out.push_str(&text[done..range.start]);
        out.push_str(&with);
        done = range.end;
    }
    out.push_str(&text[done..]);
    out
}

/// `text` with every finding masked.
pub fn redact_text(text: &str, findings: &[Finding], how: Redaction) -> String {
    let mut assembly = Assembly::default();
    assembly.push_piece(text);
    match assembly.rewrite(findings, how).pop() {
        Some((_, redacted)) => redacted,
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::privacy::FindingKind;
    use crate::privacy::redact::testing::{finding, fixed_scan};

    const PLAIN: Redaction = Redaction {
        keep_surname: false,
    };

    #[test]
    fn every_finding_is_masked_and_the_rest_kept() {
        let text = "经查，王建国（身份证号53010219800101123X，手机13812345678）收受礼金。";
        let findings = fixed_scan(text);
        assert_eq!(findings.len(), 3);
        assert_eq!(
            redact_text(text, &findings, PLAIN),
            "经查，某某（身份证号530102********123X，手机138****5678）收受礼金。"
        );
        assert_eq!(
            redact_text(text, &findings, Redaction { keep_surname: true }),
            "经查，王某某（身份证号530102********123X，手机138****5678）收受礼金。"
        );
        assert_eq!(redact_text(text, &[], PLAIN), text);
    }

    #[test]
    fn stale_and_out_of_range_findings_are_ignored() {
        let text = "王建国同志";
        let stale = [
            // The text changed since the scan: 李四 is not at 0..2 any more.
            finding(FindingKind::PersonName, 0, 2, "李四"),
            finding(FindingKind::PersonName, 3, 9, "王建国同志啊"),
            finding(FindingKind::PersonName, 2, 2, ""),
            finding(FindingKind::PersonName, 4, 2, "国同"),
        ];
        assert_eq!(redact_text(text, &stale, PLAIN), text);
        // Offsets count characters, not bytes.
        let good = finding(FindingKind::PersonName, 0, 3, "王建国");
        assert_eq!(redact_text(text, &[good], PLAIN), "某某同志");
    }

    #[test]
    fn overlapping_findings_leave_nothing_unmasked() {
        let text = "电话13812345678号";
        let findings = [
            finding(FindingKind::Mobile, 2, 13, "13812345678"),
            // Contained in the first: nothing more to do.
            finding(FindingKind::BankCard, 3, 8, "38123"),
            // Reaches past the first: its tail is masked on its own.
            finding(FindingKind::PersonName, 12, 14, "8号"),
        ];
        assert_eq!(redact_text(text, &findings, PLAIN), "电话138****5678某某");
    }

    #[test]
    fn a_finding_over_several_pieces_goes_into_the_first() {
        let mut assembly = Assembly::default();
        for piece in ["科长", "王", "建", "国同志"] {
            assembly.push_piece(piece);
        }
        assembly.push_break('\t');
        assembly.push_piece("电话13812345678");
        let findings = fixed_scan(assembly.text());
        assert_eq!(assembly.text(), "科长王建国同志\t电话13812345678");
        assert_eq!(
            assembly.rewrite(&findings, Redaction { keep_surname: true }),
            vec![
                (1, "王某某".to_owned()),
                (2, String::new()),
                (3, "同志".to_owned()),
                (4, "电话138****5678".to_owned()),
            ]
        );
    }

    #[test]
    fn a_finding_starting_on_a_break_goes_into_the_next_piece() {
        let mut assembly = Assembly::default();
        assembly.push_piece("甲");
        assembly.push_break('\n');
        assembly.push_piece("乙丙");
        let findings = [finding(FindingKind::PersonName, 1, 3, "\n乙")];
        assert_eq!(
            assembly.rewrite(&findings, PLAIN),
            vec![(1, "某某丙".to_owned())]
        );
    }
}
