//! What can go wrong with a loan, in loan words; `web` maps each to a status once.

use jiff::civil::Date;

use super::model::{Action, LoanId, LoanStatus};

#[derive(Debug, thiserror::Error)]
pub enum LoanError {
    /// The action is not one of SPEC §5's transitions from the loan's current state.
    #[error("这笔借阅当前状态为“{}”（{}），不能{}", from.label(), from.as_str(), action.label())]
    IllegalTransition { from: LoanStatus, action: Action },
    #[error("没有编号为 {0} 的借阅")]
    NotFound(LoanId),
    #[error("没有编号为“{0}”的资源，或该资源未发布")]
    ResourceNotFound(String),
    /// The period does not fit the free copies or licences (move, renewal, approval).
    #[error("{start} 至 {end} 期间已没有空余的{what}，请换一个时间段")]
    NoCapacity {
        start: Date,
        end: Date,
        what: &'static str,
    },
    /// Renewal refused: someone waits, or the limit is reached.
    #[error("{0}")]
    RenewalRefused(String),
    /// The named copy cannot be handed out for this loan.
    #[error("{0}")]
    CopyUnavailable(String),
    /// Too early or too late for the step (e.g. issuing before the start date).
    #[error("{0}")]
    Timing(String),
    /// The loan belongs to another unit (used where existence is not hidden).
    #[error("只能查看和办理本单位的借阅")]
    OtherUnit,
    /// The user's role does not allow the action.
    #[error("{0}")]
    Forbidden(String),
    /// Only a librarian may do this to a loan (approve, reject, issue, return, move).
    #[error("{}借阅仅限管理员办理", action.label())]
    LibrarianOnly { action: Action },
    /// A field of the input is invalid; the message says how.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

impl LoanError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        LoanError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<crate::catalog::CatalogError> for LoanError {
    fn from(err: crate::catalog::CatalogError) -> Self {
        match err {
            crate::catalog::CatalogError::Db(db) => LoanError::Db(db),
            crate::catalog::CatalogError::NotFound(id) => LoanError::ResourceNotFound(id),
            crate::catalog::CatalogError::Invalid { field, message } => {
                LoanError::Invalid { field, message }
            }
            other => LoanError::Invalid {
                field: "resource".to_owned(),
                message: other.to_string(),
            },
        }
    }
}
