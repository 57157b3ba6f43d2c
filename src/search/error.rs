//! Search errors: the user's (a query that cannot be answered, shown as is) and ours.

use std::path::PathBuf;

/// A request the user can fix; the message is shown to them (Chinese UI).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("检索式过长：最多 {max} 个字符，收到 {got} 个")]
    TooLong { max: usize, got: usize },
    #[error("检索式中没有可检索的文字（只有标点、符号或表情）")]
    NothingSearchable,
    #[error("年份范围无效：起始年份 {from} 晚于截止年份 {to}")]
    YearRange { from: i32, to: i32 },
    #[error("未知的排序方式「{0}」：可用 relevance、newest、most_borrowed")]
    UnknownSort(String),
    #[error("参数 {name} 应为数字，收到“{got}”")]
    NotANumber { name: &'static str, got: String },
    #[error("参数 {name} 应为 true 或 false，收到“{got}”")]
    NotAFlag { name: &'static str, got: String },
    #[error("参数 {name} 应在 1 到 {max} 之间")]
    OutOfRange { name: &'static str, max: usize },
    #[error("参数 kind 应为 {allowed}之一，收到“{got}”")]
    UnknownKind { allowed: String, got: String },
    /// The query string itself cannot be read (a parameter given twice).
    #[error("检索条件无法解析：{0}")]
    Malformed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The user's fault (maps to 400).
    #[error(transparent)]
    Query(#[from] QueryError),
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Another process holds the index writer (a server while `jingshi reindex` runs).
    #[error("the search index is being written by another process")]
    Locked,
    /// The server is stopping and has released the index.
    #[error("the search index is closed: the server is stopping")]
    Closed,
}

/// Why a rebuild stopped; the index is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum RebuildError<E> {
    /// The documents could not be read.
    #[error("reading the documents to index: {0}")]
    Source(E),
    #[error(transparent)]
    Index(#[from] SearchError),
}

impl SearchError {
    /// Whether the request, not the system, is at fault.
    pub fn is_user_error(&self) -> bool {
        matches!(self, SearchError::Query(_))
    }
}
