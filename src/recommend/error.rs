//! What can go wrong when recommending resources to a unit; `web` maps each to a
//! status once.

#[derive(Debug, thiserror::Error)]
pub enum RecommendError {
    /// No unit has the code asked about.
    #[error("没有代码为“{0}”的单位")]
    UnknownUnit(String),
    #[error("recommendation query failed: {0}")]
    Db(#[from] rusqlite::Error),
}
