//! What can go wrong with a collection, in the curator's words; `web` maps each to a
//! status once.

use super::model::CollectionStatus;

#[derive(Debug, thiserror::Error)]
pub enum CollectionError {
    /// No such collection, or one the viewer may not see (a borrower and a draft).
    #[error("没有编号为“{0}”的专题")]
    NotFound(String),
    /// Only a librarian may do this.
    #[error("{task}仅限工委资料室的管理员办理")]
    LibrariansOnly { task: &'static str },
    /// The step does not apply to the collection's state (publishing it twice).
    #[error("该专题{}，不能{action}", from.phrase())]
    WrongState {
        from: CollectionStatus,
        action: &'static str,
    },
    /// A field of the input is invalid; the message says which and how (an item is
    /// named by its place in the list and its resource id).
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

impl CollectionError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        CollectionError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<crate::catalog::CatalogError> for CollectionError {
    fn from(err: crate::catalog::CatalogError) -> Self {
        match err {
            crate::catalog::CatalogError::Db(db) => CollectionError::Db(db),
            crate::catalog::CatalogError::Open(open) => CollectionError::Open(open),
            other => CollectionError::invalid("items", other.to_string()),
        }
    }
}

impl From<crate::loans::LoanError> for CollectionError {
    fn from(err: crate::loans::LoanError) -> Self {
        match err {
            crate::loans::LoanError::Db(db) => CollectionError::Db(db),
            crate::loans::LoanError::Open(open) => CollectionError::Open(open),
            crate::loans::LoanError::Invalid { field, message } => {
                CollectionError::Invalid { field, message }
            }
            other => CollectionError::invalid("period", other.to_string()),
        }
    }
}

/// The holiday periods belong to `seasons`; reading them fails only in storage.
impl From<crate::seasons::SeasonError> for CollectionError {
    fn from(err: crate::seasons::SeasonError) -> Self {
        match err {
            crate::seasons::SeasonError::Db(db) => CollectionError::Db(db),
            crate::seasons::SeasonError::Open(open) => CollectionError::Open(open),
            other => CollectionError::invalid("season", other.to_string()),
        }
    }
}
