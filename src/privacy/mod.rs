//! The privacy check (脱敏检查, SPEC §9): finding personal data in text a unit
//! contributes, and writing redacted copies of the files that hold it. Pure: no
//! database, no HTTP; `catalog::contributions` stores the findings and decides.

mod contact;
mod lexicon;
mod names;
mod numbers;
mod redact;
mod scan;

pub use redact::{
    RedactError, Redaction, Scan, mask, redact_docx, redact_plain, redact_subtitle, redact_text,
};
pub use scan::scan;

use serde::{Deserialize, Serialize};

/// What kind of personal data a finding is (the JSON `kind` of SPEC §9).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    IdNumber,
    Mobile,
    Landline,
    BankCard,
    Email,
    Plate,
    PersonName,
}

impl FindingKind {
    pub const ALL: [FindingKind; 7] = [
        FindingKind::IdNumber,
        FindingKind::Mobile,
        FindingKind::Landline,
        FindingKind::BankCard,
        FindingKind::Email,
        FindingKind::Plate,
        FindingKind::PersonName,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::IdNumber => "id_number",
            FindingKind::Mobile => "mobile",
            FindingKind::Landline => "landline",
            FindingKind::BankCard => "bank_card",
            FindingKind::Email => "email",
            FindingKind::Plate => "plate",
            FindingKind::PersonName => "person_name",
        }
    }

    pub fn parse(s: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The Chinese name shown on the review page.
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::IdNumber => "身份证号",
            FindingKind::Mobile => "手机号",
            FindingKind::Landline => "固定电话",
            FindingKind::BankCard => "银行卡号",
            FindingKind::Email => "电子邮箱",
            FindingKind::Plate => "车牌号",
            FindingKind::PersonName => "人名",
        }
    }
}

/// One piece of personal data in a text. `start` and `end` count characters (Unicode
/// scalar values, not bytes) of the scanned text, `end` exclusive; `text` is what lies
/// between them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Finding {
    pub kind: FindingKind,
    pub start: usize,
    pub end: usize,
    pub text: String,
}
#[cfg(test)]
mod tests;
