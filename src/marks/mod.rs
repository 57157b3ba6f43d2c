//! Loan marks (SPEC §11, issue 23): every copy of a document fetched by a signed-in
//! viewer carries a short code that traces back to the loan it was lent under (or,
//! without a loan, to the account that fetched it). This module owns the marks table:
//! making a viewer's mark once, and finding a mark by its code for the tracer.

pub mod cache;
mod code;
pub mod document;
pub mod pdf;
mod store;
pub mod trace;

pub use code::{CODE_LEN, canonical_code, random_code};
pub use store::{find_by_code, mark_for};

use jiff::civil::Date;

use crate::loans::{LoanError, LoanId};

/// The prefix of a code in a visible mark (`JS-7KQ2M9XA`).
pub const LABEL_PREFIX: &str = "JS-";

/// The mark one viewer's copies of one resource carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// 8 characters of Crockford base32, unique among all marks.
    pub code: String,
    /// The loan the copies are lent under; `None` for a librarian's own copies and
    /// for open material read without a loan.
    pub loan_id: Option<LoanId>,
    /// The unit of the loan, or of the account for a mark without a loan.
    pub unit_code: Option<String>,
    /// The account whose fetch made the mark (for a loan: its first reader).
    pub user_id: i64,
    pub resource_id: String,
    /// When the mark was made (RFC 3339, UTC).
    pub created_at: String,
}

impl Mark {
    /// The visible text stamped on `day`'s copies: code, unit (or account) and date,
    /// ASCII only since the standard PDF fonts have no Chinese
    /// (`JS-7KQ2M9XA yn-tax 2026-12-01`).
    pub fn label(&self, day: Date) -> String {
        let holder = self
            .unit_code
            .as_deref()
            .filter(|unit| unit.is_ascii() && !unit.is_empty())
            .map_or_else(|| format!("u{:04}", self.user_id), str::to_owned);
        format!("{LABEL_PREFIX}{} {holder} {day}", self.code)
    }
}

/// Why a mark could not be made or found.
#[derive(Debug, thiserror::Error)]
pub enum MarkError {
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Loans(#[from] LoanError),
    /// Fresh random codes kept colliding: practically impossible with 40 bits.
    #[error("no free mark code after {0} tries")]
    NoFreeCode(usize),
}
