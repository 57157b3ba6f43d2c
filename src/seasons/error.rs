//! What can go wrong with the holiday periods, in the committee's words; `web` maps
//! each to a status once.

#[derive(Debug, thiserror::Error)]
pub enum SeasonError {
    /// A year the library does not keep (outside 2000–2100, or not a number).
    #[error("没有“{0}”年的节点日期：年份应在 2000 到 2100 之间")]
    UnknownYear(String),
    /// Only a librarian may change the periods.
    #[error("{task}仅限工委管理员办理")]
    LibrariansOnly { task: &'static str },
    /// A field of the input is invalid; the message names the period and says how.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

impl SeasonError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        SeasonError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// The closed-days calendar and the notifications belong to `loans`; what they
/// report here is a storage failure (the calendar's own rows are checked on entry).
impl From<crate::loans::LoanError> for SeasonError {
    fn from(err: crate::loans::LoanError) -> Self {
        match err {
            crate::loans::LoanError::Db(db) => SeasonError::Db(db),
            crate::loans::LoanError::Open(open) => SeasonError::Open(open),
            other => SeasonError::invalid("days", other.to_string()),
        }
    }
}

impl From<crate::visits::VisitError> for SeasonError {
    fn from(err: crate::visits::VisitError) -> Self {
        match err {
            crate::visits::VisitError::Db(db) => SeasonError::Db(db),
            crate::visits::VisitError::Open(open) => SeasonError::Open(open),
            other => SeasonError::invalid("visits", other.to_string()),
        }
    }
}

impl From<crate::accounts::AccountError> for SeasonError {
    fn from(err: crate::accounts::AccountError) -> Self {
        match err {
            crate::accounts::AccountError::Db(db) => SeasonError::Db(db),
            crate::accounts::AccountError::Open(open) => SeasonError::Open(open),
            other => SeasonError::invalid("units", other.to_string()),
        }
    }
}
