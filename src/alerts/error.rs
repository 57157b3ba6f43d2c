//! What can go wrong with saved searches, their alerts and feeds, in their words;
//! `web` maps each to a status once.

#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    /// No such saved search, or another account's (which is not revealed).
    #[error("没有编号为 {0} 的订阅搜索")]
    NotFound(i64),
    /// The account already keeps the most saved searches allowed.
    #[error("每个账号最多保存 {max} 个订阅搜索；请先删除不再需要的订阅搜索")]
    TooMany { max: usize },
    /// Only a signed-in account keeps saved searches (not the background task).
    #[error("只有登录的账号才能保存订阅搜索")]
    NoAccount,
    /// A field of the input is invalid; the message says how.
    #[error("{message}")]
    Invalid { field: String, message: String },
    /// The feed could not be written (ours, not the reader's).
    #[error("Atom feed: {0}")]
    Feed(String),
    #[error(transparent)]
    Search(#[from] crate::search::SearchError),
    #[error(transparent)]
    Catalog(#[from] crate::catalog::CatalogError),
    #[error(transparent)]
    Account(#[from] crate::accounts::AccountError),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

impl AlertError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AlertError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
