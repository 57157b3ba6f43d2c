//! A stand-in scanner for the redaction tests: it finds a fixed list of fictional
//! people and numbers wherever they occur, so the tests do not depend on the real
//! scanner's judgement.

use crate::privacy::{Finding, FindingKind};

/// What the stand-in scanner finds.
pub(super) const KNOWN: [(&str, FindingKind); 9] = [
    ("王建国", FindingKind::PersonName),
    ("欧阳明", FindingKind::PersonName),
    ("李红梅", FindingKind::PersonName),
    ("53010219800101123X", FindingKind::IdNumber),
    ("13812345678", FindingKind::Mobile),
    ("0871-63101234", FindingKind::Landline),
    ("6222021234567890123", FindingKind::BankCard),
    ("zhangsan@example.com", FindingKind::Email),
    ("云A12345", FindingKind::Plate),
];

pub(super) fn finding(kind: FindingKind, start: usize, end: usize, text: &str) -> Finding {
    Finding {
        kind,
        start,
        end,
        text: text.to_owned(),
    }
}

/// Every occurrence of a [`KNOWN`] text, with character offsets, in order.
pub(super) fn fixed_scan(text: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (needle, kind) in KNOWN {
        for (byte, _) in text.match_indices(needle) {
            let start = text[..byte].chars().count();
            let end = start + needle.chars().count();
            findings.push(finding(kind, start, end, needle));
        }
    }
    findings.sort_by_key(|f| f.start);
    findings
}
