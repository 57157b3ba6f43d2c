//! What can go wrong in the catalogue, in catalogue words.

use crate::content::ContentError;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// A field of the input is invalid; the message says how.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("没有编号为“{0}”的资源")]
    NotFound(String),
    /// The resource has no such file (never had, or it was removed or replaced).
    #[error("该资源没有这个文件（可能已被删除或替换，请刷新页面）")]
    FileNotFound,
    #[error("条码“{0}”已被其他资源使用")]
    DuplicateBarcode(String),
    /// The file was refused by the store (type, size) or could not be read.
    #[error(transparent)]
    File(#[from] ContentError),
    #[error("{0}")]
    Conflict(String),
    /// Curation is for librarians.
    #[error("编目仅限管理员操作")]
    LibrariansOnly,
    /// A contribution is changed only by its own unit's borrowers (and librarians).
    #[error("只能修改本单位的投稿")]
    NotYourUnit,
    /// The contribution's state does not allow the step; the message says why.
    #[error("{0}")]
    WrongState(String),
    /// Personal data found by the privacy check is neither redacted nor acknowledged.
    #[error("脱敏检查发现 {0} 处个人信息尚未处理：请先脱敏，或逐条说明理由后确认，再发布")]
    PrivacyFindings(usize),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

impl CatalogError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        CatalogError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// True when the caller's input was at fault (as opposed to the system).
    pub fn is_user_error(&self) -> bool {
        match self {
            CatalogError::Invalid { .. }
            | CatalogError::NotFound(_)
            | CatalogError::FileNotFound
            | CatalogError::DuplicateBarcode(_)
            | CatalogError::Conflict(_)
            | CatalogError::LibrariansOnly
            | CatalogError::NotYourUnit
            | CatalogError::WrongState(_)
            | CatalogError::PrivacyFindings(_) => true,
            CatalogError::File(err) => !matches!(err, ContentError::Io(_)),
            CatalogError::Db(_) | CatalogError::Open(_) => false,
        }
    }
}
