//! The one place where domain errors become HTTP responses:
//! `{"error": {"code", "message"}}` with a fitting status.

use crate::access::AccessError;
use crate::alerts::AlertError;
use crate::stats::StatsError;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::accounts::AccountError;
use crate::catalog::CatalogError;
use crate::collections::CollectionError;
use crate::content::ContentError;
use crate::db::DbError;
use crate::loans::LoanError;
use crate::marks::MarkError;
use crate::marks::trace::TraceError;
use crate::recommend::RecommendError;
use crate::search::SearchError;
use crate::seasons::SeasonError;
use crate::visits::VisitError;

/// An error on its way to the client.
#[derive(Debug)]
pub struct AppError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// What failed below us, for the log only: written once, inside the request's
    /// span, when the answer is sent; never shown to the user.
    pub detail: Option<String>,
    /// Seconds the client should wait before trying again (`Retry-After`).
    pub retry_after: Option<u64>,
    /// The item of a list the error is about (a loan batch's), for programs.
    pub item: Option<Box<ErrorItem>>,
}

/// Which item of a request's list was refused: its 0-based index and resource.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ErrorItem {
    pub index: usize,
    pub resource_id: String,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            detail: None,
            retry_after: None,
            item: None,
        }
    }

    /// The same error, telling the client when to try again.
    pub fn retry_after(mut self, secs: Option<u64>) -> Self {
        self.retry_after = secs;
        self
    }

    fn with_detail(mut self, detail: String) -> Self {
        self.detail = Some(detail);
        self
    }

    /// The message for a page that shows it beside a form (what failed below us is
    /// logged first).
    pub fn into_message(self) -> String {
        self.log();
        self.message
    }

    /// Logs what failed below us (server errors only), inside the request's span.
    pub(crate) fn log(&self) {
        if let Some(detail) = &self.detail {
            tracing::error!(status = self.status.as_u16(), code = self.code, error = %detail, "request failed");
        }
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// A failure below us: a full disk or a read-only data folder is said in words
    /// (the operator can fix it); anything else is an internal error.
    pub fn failure<E: std::error::Error + 'static>(err: E) -> Self {
        match storage_problem(&err) {
            Some(Storage::Full) => Self::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "storage_full",
                "服务器磁盘空间不足，本次更改未保存；请联系管理员清理空间后重试",
            )
            .with_detail(format!("storage full: {err}")),
            Some(Storage::ReadOnly) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "read_only",
                "数据文件夹当前只读，本次更改未保存；请联系管理员",
            )
            .with_detail(format!("data folder read-only: {err}")),
            None => Self::internal(err),
        }
    }

    /// A failure of ours: logged in full, shown to the user without internals.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "服务器内部错误，请稍后重试；如果问题持续，请联系管理员",
        )
        .with_detail(detail.to_string())
    }
}

enum Storage {
    Full,
    ReadOnly,
}

/// Looks through an error and its sources for a full disk or a read-only file system,
/// as SQLite or the operating system reports them.
fn storage_problem(err: &(dyn std::error::Error + 'static)) -> Option<Storage> {
    use rusqlite::ErrorCode;
    let mut current = Some(err);
    while let Some(err) = current {
        let sqlite_code = err
            .downcast_ref::<rusqlite::Error>()
            .and_then(rusqlite::Error::sqlite_error_code)
            .or_else(|| err.downcast_ref::<rusqlite::ffi::Error>().map(|e| e.code));
        match sqlite_code {
            Some(ErrorCode::DiskFull) => return Some(Storage::Full),
            Some(ErrorCode::ReadOnly) => return Some(Storage::ReadOnly),
            _ => {}
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            match io.kind() {
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded => {
                    return Some(Storage::Full);
                }
                std::io::ErrorKind::ReadOnlyFilesystem => return Some(Storage::ReadOnly),
                _ => {}
            }
            // Errors wrapped by `io::Error::other` hide behind `get_ref`.
            if let Some(inner) = io.get_ref() {
                current = Some(inner);
                continue;
            }
        }
        current = err.source();
    }
    None
}

/// The body of every error answer of the API.
#[derive(serde::Serialize, utoipa::ToSchema, utoipa::ToResponse)]
#[response(description = "错误：`{\"error\": {\"code\", \"message\"}}`")]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// A stable code for programs (`not_found`, `invalid`, `no_capacity`, …).
    pub code: String,
    /// What went wrong, in words for people.
    pub message: String,
    /// For a refused item of a list (a loan batch): which one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<ErrorItem>,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.log();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                item: self.item.map(|item| *item),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

impl From<CatalogError> for AppError {
    fn from(err: CatalogError) -> Self {
        match err {
            // A refused file is named in the message itself.
            CatalogError::Invalid { field, message } if field == "file" => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", message)
            }
            CatalogError::Invalid { field, message } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid",
                format!("{field}: {message}"),
            ),
            CatalogError::NotFound(_) | CatalogError::FileNotFound => {
                Self::not_found(err.to_string())
            }
            CatalogError::LibrariansOnly | CatalogError::NotYourUnit => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            CatalogError::WrongState(_) => {
                Self::new(StatusCode::CONFLICT, "illegal_transition", err.to_string())
            }
            CatalogError::PrivacyFindings(_) => {
                Self::new(StatusCode::CONFLICT, "privacy_findings", err.to_string())
            }
            CatalogError::DuplicateBarcode(_) | CatalogError::Conflict(_) => {
                Self::new(StatusCode::CONFLICT, "conflict", err.to_string())
            }
            CatalogError::File(content) => content.into(),
            CatalogError::Db(db) => Self::failure(db),
            CatalogError::Open(open) => Self::failure(open),
        }
    }
}

impl From<ContentError> for AppError {
    fn from(err: ContentError) -> Self {
        match err {
            ContentError::TooLarge { .. } => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", err.to_string())
            }
            ContentError::TypeMismatch { .. } | ContentError::NotAllowed { .. } => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                err.to_string(),
            ),
            ContentError::Io(io) => Self::failure(io),
            _ => Self::bad_request(err.to_string()),
        }
    }
}

impl From<AccessError> for AppError {
    fn from(err: AccessError) -> Self {
        match err {
            AccessError::NotFound | AccessError::ResourceNotFound(_) => {
                Self::not_found(err.to_string())
            }
            AccessError::LoanRequired => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            AccessError::OriginalForLibrarians => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            AccessError::Unstampable(_) | AccessError::Unmarkable(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "unstampable",
                err.to_string(),
            ),
            AccessError::Db(db) => Self::failure(db),
            AccessError::Catalog(catalog) => catalog.into(),
            AccessError::Loans(loans) => loans.into(),
            AccessError::Marks(marks) => marks.into(),
            AccessError::Content(content) => content.into(),
        }
    }
}

impl From<MarkError> for AppError {
    fn from(err: MarkError) -> Self {
        match err {
            MarkError::Loans(loans) => loans.into(),
            MarkError::Db(_) | MarkError::NoFreeCode(_) => Self::failure(err),
        }
    }
}

impl From<TraceError> for AppError {
    fn from(err: TraceError) -> Self {
        match err {
            TraceError::LibrariansOnly => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            TraceError::Empty => Self::bad_request(err.to_string()),
            TraceError::NotPdf => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_type",
                err.to_string(),
            ),
            TraceError::TextTooLong => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", err.to_string())
            }
            TraceError::Io(_) => Self::failure(err),
            TraceError::Marks(marks) => marks.into(),
        }
    }
}

impl From<StatsError> for AppError {
    fn from(err: StatsError) -> Self {
        match err {
            StatsError::InvalidParameter { .. } => Self::bad_request(err.to_string()),
            StatsError::OtherUnit | StatsError::NoUnit => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            StatsError::UnknownUnit(_) => Self::not_found(err.to_string()),
            StatsError::Db(_) => Self::internal(err),
        }
    }
}

impl From<AccountError> for AppError {
    fn from(err: AccountError) -> Self {
        match err {
            AccountError::Invalid { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", err.to_string())
            }
            AccountError::UnitExists(_) | AccountError::UserExists(_) => {
                Self::new(StatusCode::CONFLICT, "conflict", err.to_string())
            }
            AccountError::UnknownUnit(_) => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", err.to_string())
            }
            AccountError::UnknownUser(_) => Self::not_found(err.to_string()),
            AccountError::AdminsOnly => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            AccountError::BadCredentials { .. } => {
                Self::new(StatusCode::UNAUTHORIZED, "bad_credentials", err.to_string())
            }
            AccountError::Locked { .. } => {
                Self::new(StatusCode::TOO_MANY_REQUESTS, "locked", err.to_string())
                    .retry_after(err.retry_after_secs())
            }
            AccountError::Busy { .. } => {
                Self::new(StatusCode::SERVICE_UNAVAILABLE, "busy", err.to_string())
                    .retry_after(err.retry_after_secs())
            }
            AccountError::WrongPassword => {
                Self::new(StatusCode::FORBIDDEN, "wrong_password", err.to_string())
            }
            AccountError::SessionEnded => {
                Self::new(StatusCode::UNAUTHORIZED, "session_ended", err.to_string())
            }
            AccountError::AccountDisabled => Self::new(
                StatusCode::UNAUTHORIZED,
                "account_disabled",
                err.to_string(),
            ),
            AccountError::UnitInactive(_) => {
                Self::new(StatusCode::FORBIDDEN, "unit_inactive", err.to_string())
            }
            AccountError::OwnAccount(_) => {
                Self::new(StatusCode::CONFLICT, "own_account", err.to_string())
            }
            AccountError::Link(problem) => {
                let status = match problem {
                    crate::accounts::LinkProblem::Unknown => StatusCode::NOT_FOUND,
                    crate::accounts::LinkProblem::AccountDisabled => StatusCode::FORBIDDEN,
                    _ => StatusCode::GONE,
                };
                Self::new(status, problem.code(), err.to_string())
            }
            AccountError::SheetRows(_) | AccountError::Sheet(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_sheet",
                err.to_string(),
            ),
            AccountError::SheetTooLarge(_) => {
                Self::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", err.to_string())
            }
            AccountError::Db(db) => Self::failure(db),
            AccountError::Open(open) => Self::failure(open),
            AccountError::Hash(_) => Self::internal(err),
        }
    }
}

impl From<DbError> for AppError {
    fn from(err: DbError) -> Self {
        Self::failure(err)
    }
}

impl From<SearchError> for AppError {
    fn from(err: SearchError) -> Self {
        match err {
            SearchError::Query(query) => Self::bad_request(query.to_string()),
            other => Self::internal(other),
        }
    }
}

impl From<LoanError> for AppError {
    fn from(err: LoanError) -> Self {
        match err {
            LoanError::IllegalTransition { .. } => {
                Self::new(StatusCode::CONFLICT, "illegal_transition", err.to_string())
            }
            LoanError::NoCapacity { .. } => {
                Self::new(StatusCode::CONFLICT, "no_capacity", err.to_string())
            }
            LoanError::RenewalRefused { .. } => {
                Self::new(StatusCode::CONFLICT, "renewal_refused", err.to_string())
            }
            LoanError::CopyUnavailable { .. } => {
                Self::new(StatusCode::CONFLICT, "copy_unavailable", err.to_string())
            }
            LoanError::Timing(_) => Self::new(StatusCode::CONFLICT, "wrong_time", err.to_string()),
            LoanError::NoSlip { .. } => Self::new(StatusCode::CONFLICT, "no_slip", err.to_string()),
            LoanError::AlreadyRecalled { .. } => {
                Self::new(StatusCode::CONFLICT, "already_recalled", err.to_string())
            }
            LoanError::TooManyOpen { .. } => Self::new(
                StatusCode::CONFLICT,
                "too_many_open_requests",
                err.to_string(),
            ),
            LoanError::TooLong { .. } => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "loan_too_long",
                err.to_string(),
            ),
            LoanError::NotFound(_)
            | LoanError::ResourceNotFound(_)
            | LoanError::DayNotListed(_) => Self::not_found(err.to_string()),
            LoanError::UnitInactive(_) => {
                Self::new(StatusCode::FORBIDDEN, "unit_inactive", err.to_string())
            }
            LoanError::OtherUnit
            | LoanError::NoUnit
            | LoanError::LibrarianOnly { .. }
            | LoanError::LibrariansOnly { .. } => {
                Self::new(StatusCode::FORBIDDEN, "forbidden", err.to_string())
            }
            LoanError::Invalid { .. } => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", err.to_string())
            }
            LoanError::BadItem {
                index,
                ref resource_id,
                ..
            } => {
                let item = ErrorItem {
                    index,
                    resource_id: resource_id.chars().take(200).collect(),
                };
                let mut refused = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "invalid_item",
                    err.to_string(),
                );
                refused.item = Some(Box::new(item));
                refused
            }
            LoanError::BatchNotFound(_) | LoanError::NotInBasket(_) => {
                Self::not_found(err.to_string())
            }
            LoanError::NoBasket => Self::new(StatusCode::FORBIDDEN, "no_basket", err.to_string()),
            LoanError::Db(db) => Self::failure(db),
            LoanError::Open(open) => Self::failure(open),
        }
    }
}

/// The kind of a domain error that maps to its answer the common way: a refusal
/// with its message, or a failure below us.
enum Kind {
    /// 404 `not_found`.
    NotFound,
    /// 403 with this code (`forbidden`, `unit_inactive`, …).
    Forbidden(&'static str),
    /// 422 `invalid`.
    Invalid,
    /// 409 with this code (`illegal_transition`, `too_many`, …).
    Conflict(&'static str),
    /// A failure below us (storage said in words, else internal).
    Failure,
}

impl AppError {
    /// The answer to a domain error of `kind`: its message for a refusal, the log
    /// for a failure.
    fn of_kind<E: std::error::Error + 'static>(kind: Kind, err: E) -> Self {
        match kind {
            Kind::NotFound => Self::not_found(err.to_string()),
            Kind::Forbidden(code) => Self::new(StatusCode::FORBIDDEN, code, err.to_string()),
            Kind::Invalid => {
                Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", err.to_string())
            }
            Kind::Conflict(code) => Self::new(StatusCode::CONFLICT, code, err.to_string()),
            Kind::Failure => Self::failure(err),
        }
    }
}

impl From<VisitError> for AppError {
    fn from(err: VisitError) -> Self {
        let kind = match &err {
            VisitError::IllegalTransition { .. } => Kind::Conflict("illegal_transition"),
            VisitError::SessionFull { .. } => Kind::Conflict("session_full"),
            VisitError::NotShared(_) => Kind::Conflict("session_not_shared"),
            VisitError::SessionNotOpen { .. } => Kind::Conflict("session_not_open"),
            VisitError::SameDay { .. } => Kind::Conflict("same_day"),
            VisitError::StaleProposal(_) => Kind::Conflict("stale_proposal"),
            VisitError::NotFound(_)
            | VisitError::SessionNotFound(_)
            | VisitError::BaseNotFound(_) => Kind::NotFound,
            VisitError::UnitInactive(_) => Kind::Forbidden("unit_inactive"),
            VisitError::OtherUnit | VisitError::NoUnit | VisitError::LibrariansOnly { .. } => {
                Kind::Forbidden("forbidden")
            }
            VisitError::Invalid { .. } => Kind::Invalid,
            VisitError::Db(_) | VisitError::Open(_) => Kind::Failure,
        };
        Self::of_kind(kind, err)
    }
}

impl From<CollectionError> for AppError {
    fn from(err: CollectionError) -> Self {
        let kind = match &err {
            CollectionError::NotFound(_) => Kind::NotFound,
            CollectionError::LibrariansOnly { .. } => Kind::Forbidden("forbidden"),
            CollectionError::WrongState { .. } => Kind::Conflict("illegal_transition"),
            CollectionError::Invalid { .. } => Kind::Invalid,
            CollectionError::Db(_) | CollectionError::Open(_) => Kind::Failure,
        };
        Self::of_kind(kind, err)
    }
}

impl From<AlertError> for AppError {
    fn from(err: AlertError) -> Self {
        let kind = match err {
            AlertError::Search(err) => return err.into(),
            AlertError::Catalog(err) => return err.into(),
            AlertError::Account(err) => return err.into(),
            AlertError::NotFound(_) => Kind::NotFound,
            AlertError::TooMany { .. } => Kind::Conflict("too_many"),
            AlertError::NoAccount => Kind::Forbidden("forbidden"),
            AlertError::Invalid { .. } => Kind::Invalid,
            AlertError::Db(_) | AlertError::Open(_) | AlertError::Feed(_) => Kind::Failure,
        };
        Self::of_kind(kind, err)
    }
}

impl From<SeasonError> for AppError {
    fn from(err: SeasonError) -> Self {
        let kind = match &err {
            SeasonError::UnknownYear(_) => Kind::NotFound,
            SeasonError::LibrariansOnly { .. } => Kind::Forbidden("forbidden"),
            SeasonError::Invalid { .. } => Kind::Invalid,
            SeasonError::Db(_) | SeasonError::Open(_) => Kind::Failure,
        };
        Self::of_kind(kind, err)
    }
}

impl From<RecommendError> for AppError {
    fn from(err: RecommendError) -> Self {
        match err {
            RecommendError::UnknownUnit(_) => Self::not_found(err.to_string()),
            RecommendError::Db(_) => Self::internal(err),
        }
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(err: rusqlite::Error) -> Self {
        Self::failure(err)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(err: tokio::task::JoinError) -> Self {
        Self::internal(err)
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> Self {
        let status = match rejection {
            JsonRejection::MissingJsonContentType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            JsonRejection::BytesRejection(_) => {
                return Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "too_large",
                    "提交的内容太大，超过了允许的大小；请减少内容或分段提交",
                )
                .with_detail(rejection.body_text());
            }
            JsonRejection::JsonDataError(_) => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_REQUEST,
        };
        Self::new(status, "bad_json", rejection.body_text())
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}
