//! Units' contributions and the privacy check (SPEC §9). Each handler extracts, calls
//! one `catalog::contributions`, `catalog::privacy` or `catalog::redaction` function,
//! and answers JSON.

use crate::web::api::openapi::routes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::catalog::contributions::{
    self, ContributionEvent, ContributionInput, ContributionSummary,
};
use crate::catalog::privacy::StoredFinding;
use crate::catalog::redaction::{self, Redacted};
use crate::catalog::{self, Resource, ResourceId, Status};
use crate::loans::Actor;
use crate::privacy::{self, Finding, Redaction};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

use crate::web::shared::resource_id;

/// The most text `POST /api/v1/privacy/scan` reads, in characters.
pub const MAX_SCAN_CHARS: usize = 2_000_000;

/// The largest body `POST /api/v1/privacy/scan` reads: [`MAX_SCAN_CHARS`] of Chinese
/// text (3 bytes each in UTF-8) and the JSON around it. Other JSON routes keep the
/// server's smaller limit.
const MAX_SCAN_BODY_BYTES: usize = 8 * 1024 * 1024;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit, list))
        .routes(routes!(resubmit))
        .routes(routes!(withdraw))
        .routes(routes!(events))
        .routes(routes!(return_to_unit))
        .routes(routes!(scan_text).layer(DefaultBodyLimit::max(MAX_SCAN_BODY_BYTES)))
        .routes(routes!(show_findings))
        .routes(routes!(acknowledge))
        .routes(routes!(redact))
}

/// The resource as `user` may see it (a redacted copy in place of its original for a
/// borrower), after the index has caught up with the change.
async fn resource_now(
    state: &AppState,
    user: &SessionUser,
    id: ResourceId,
) -> Result<Resource, AppError> {
    state.refresh_index_now();
    let mut resource = state
        .with_conn(move |conn| catalog::get_resource(conn, &id))
        .await?;
    if !user.is_librarian() {
        resource.files_for_borrowers();
    }
    Ok(resource)
}

/// A borrower submits material for their unit; files follow through
/// `POST /api/v1/resources/{id}/files` while it is `submitted` or `returned`.
#[utoipa::path(post, path = "/api/v1/contributions", tag = "contributions",
    request_body = ContributionInput,
    responses((status = 201, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn submit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiJson(input): ApiJson<ContributionInput>,
) -> Result<Response, AppError> {
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let id = state
        .with_conn(move |conn| contributions::submit(conn, &actor, input, at))
        .await?;
    let resource = resource_now(&state, &user, id).await?;
    Ok((StatusCode::CREATED, ApiJson(resource)).into_response())
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListParams {
    /// `submitted`, `returned`, `published` or `withdrawn`.
    #[serde(default)]
    status: Option<String>,
}

/// Contributions: a borrower sees their own unit's, a librarian every unit's (those
/// awaiting review first, oldest first).
#[utoipa::path(get, path = "/api/v1/contributions", tag = "contributions", params(ListParams),
    responses((status = 200, body = Vec<ContributionSummary>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<ApiJson<Vec<ContributionSummary>>, AppError> {
    let status = match params.status.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(status) => Some(Status::parse(status)?),
    };
    let actor = Actor::user(&user);
    let found = state
        .with_conn(move |conn| contributions::list(conn, &actor, status))
        .await?;
    Ok(ApiJson(found))
}

/// The unit sends its returned contribution back for review.
#[utoipa::path(post, path = "/api/v1/contributions/{id}/resubmit", tag = "contributions",
    params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn resubmit(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(&id)?;
    let (actor, at, key) = (Actor::user(&user), state.clock.moment(), id.clone());
    state
        .with_conn(move |conn| contributions::resubmit(conn, &actor, &key, at))
        .await?;
    Ok(ApiJson(resource_now(&state, &user, id).await?))
}

/// The unit withdraws its contribution before it is published.
#[utoipa::path(post, path = "/api/v1/contributions/{id}/withdraw", tag = "contributions",
    params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn withdraw(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(&id)?;
    let (actor, at, key) = (Actor::user(&user), state.clock.moment(), id.clone());
    state
        .with_conn(move |conn| contributions::withdraw(conn, &actor, &key, at))
        .await?;
    Ok(ApiJson(resource_now(&state, &user, id).await?))
}

/// The review's conversation: submitted, returned with comments, published.
#[utoipa::path(get, path = "/api/v1/contributions/{id}/events", tag = "contributions",
    params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Vec<ContributionEvent>), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn events(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Vec<ContributionEvent>>, AppError> {
    let id = resource_id(&id)?;
    let actor = Actor::user(&user);
    let found = state
        .with_conn(move |conn| contributions::events_for(conn, &actor, &id))
        .await?;
    Ok(ApiJson(found))
}

/// A librarian's comments for the unit.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ReturnInput {
    comments: String,
}

/// A librarian sends a submitted contribution back to its unit with comments (the
/// unit is notified).
#[utoipa::path(post, path = "/api/v1/resources/{id}/return", tag = "contributions",
    params(("id" = String, Path, description = "资源编号")),
    request_body = ReturnInput,
    responses((status = 200, body = Resource), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn return_to_unit(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    ApiJson(input): ApiJson<ReturnInput>,
) -> Result<ApiJson<Resource>, AppError> {
    let id = resource_id(&id)?;
    let (actor, at, key) = (Actor::user(&user), state.clock.moment(), id.clone());
    state
        .with_conn(move |conn| {
            contributions::return_to_unit(conn, &actor, &key, &input.comments, at)
        })
        .await?;
    Ok(ApiJson(resource_now(&state, &user, id).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ScanInput {
    text: String,
}

#[derive(Serialize, utoipa::ToSchema)]
struct ScanResult {
    findings: Vec<Finding>,
}

/// Scans a text for personal data; offsets count characters, end exclusive.
#[utoipa::path(post, path = "/api/v1/privacy/scan", tag = "contributions",
    request_body = ScanInput,
    responses((status = 200, body = ScanResult), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn scan_text(
    Librarian(_): Librarian,
    ApiJson(input): ApiJson<ScanInput>,
) -> Result<ApiJson<ScanResult>, AppError> {
    if input.text.chars().count() > MAX_SCAN_CHARS {
        return Err(AppError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("一次最多检查 {MAX_SCAN_CHARS} 个字；请分段检查"),
        ));
    }
    let findings = tokio::task::spawn_blocking(move || privacy::scan(&input.text)).await?;
    Ok(ApiJson(ScanResult { findings }))
}

/// A contribution's findings, per file and field.
#[derive(Serialize, utoipa::ToSchema)]
struct Findings {
    /// Findings neither redacted nor acknowledged: publishing waits for 0.
    open: usize,
    findings: Vec<StoredFinding>,
}

/// The privacy check's findings of a resource, each with its id, where it is and
/// its context.
#[utoipa::path(get, path = "/api/v1/resources/{id}/privacy", tag = "contributions",
    params(("id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Findings), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_findings(
    State(state): State<AppState>,
    Librarian(_): Librarian,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Findings>, AppError> {
    let id = resource_id(&id)?;
    let findings = state
        .with_conn(move |conn| {
            catalog::get_resource(conn, &id)?;
            catalog::privacy::findings(conn, id.as_str())
        })
        .await?;
    Ok(ApiJson(Findings {
        open: findings.iter().filter(|f| f.acknowledged.is_none()).count(),
        findings,
    }))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AckInput {
    reason: String,
}

/// A librarian keeps one finding as it is, with the reason (audited).
#[utoipa::path(post, path = "/api/v1/resources/{id}/privacy/{finding_id}/ack", tag = "contributions",
    params(("id" = String, Path, description = "资源编号"), ("finding_id" = i64, Path, description = "发现编号")),
    request_body = AckInput,
    responses((status = 200, body = StoredFinding), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn acknowledge(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath((id, finding_id)): ApiPath<(String, i64)>,
    ApiJson(input): ApiJson<AckInput>,
) -> Result<ApiJson<StoredFinding>, AppError> {
    let id = resource_id(&id)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let finding = state
        .with_conn(move |conn| {
            catalog::privacy::acknowledge(conn, &actor, &id, finding_id, &input.reason, at)
        })
        .await?;
    Ok(ApiJson(finding))
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
struct RedactInput {
    /// 王建国 → 王某某 instead of 某某.
    keep_surname: bool,
}

/// Writes redacted copies of the contribution's Markdown, text, DOCX and subtitle
/// files (shown to everyone but librarians in place of the originals) and masks its
/// fields; PDF and video files are flagged, not rewritten. The body may be empty.
#[utoipa::path(post, path = "/api/v1/resources/{id}/redact", tag = "contributions",
    params(("id" = String, Path, description = "资源编号")),
    request_body(content = Option<RedactInput>, description = "may be empty"),
    responses((status = 200, body = Redacted), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn redact(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(id): ApiPath<String>,
    body: axum::body::Bytes,
) -> Result<ApiJson<Redacted>, AppError> {
    let id = resource_id(&id)?;
    let input = super::loans::parse_body::<RedactInput>(&body)?;
    let how = Redaction {
        keep_surname: input.keep_surname,
    };
    let (actor, at, store) = (
        Actor::user(&user),
        state.clock.moment(),
        state.store.clone(),
    );
    let done = state
        .with_conn(move |conn| redaction::redact(conn, &store, &actor, &id, how, at))
        .await?;
    state.refresh_index_now();
    Ok(ApiJson(done))
}
