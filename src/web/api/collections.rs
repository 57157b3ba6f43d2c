//! Collections (专题, SPEC §10). Each handler extracts, calls one `collections`
//! function, and answers JSON; writes are for librarians (the domain checks it too).

use crate::web::api::openapi::routes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::actor::Actor;
use crate::app::AppState;
use crate::collections::{
    self, Collection, CollectionId, CollectionInput, CollectionPatch, CollectionStatus,
    CollectionSummary, ListFilter, Revision,
};
use crate::web::auth::{CurrentUser, Librarian};
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_collections, create_collection))
        .routes(routes!(show_collection, update_collection))
        .routes(routes!(publish_collection))
        .routes(routes!(withdraw_collection))
        .routes(routes!(collection_history))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct ListParams {
    /// A holiday period: `yuandan`, `chunjie`, `qingming`, `wuyi`, `duanwu`,
    /// `zhongqiu` or `guoqing`.
    season: Option<String>,
    /// Librarians: `draft`, `published` or `withdrawn` (borrowers see published
    /// collections only).
    status: Option<String>,
    /// Words matched against titles, introductions, item notes and item titles.
    q: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct CollectionList {
    collections: Vec<CollectionSummary>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct RevisionList {
    revisions: Vec<Revision>,
}

fn present(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl ListParams {
    fn filter(self) -> Result<ListFilter, AppError> {
        let season = match present(self.season) {
            None => None,
            Some(text) => Some(
                crate::seasons::Season::parse(&text).ok_or_else(|| {
                    AppError::bad_request(format!(
                        "参数 season 应为 yuandan、chunjie、qingming、wuyi、duanwu、zhongqiu 或 guoqing，收到“{}”",
                        text.chars().take(40).collect::<String>()
                    ))
                })?,
            ),
        };
        let status = match present(self.status) {
            None => None,
            Some(text) => Some(
                CollectionStatus::parse(&text)
                    .map_err(|err| AppError::bad_request(err.to_string()))?,
            ),
        };
        Ok(ListFilter {
            season,
            status,
            q: present(self.q),
        })
    }
}

/// The collections the user may see: published ones (and, for librarians, drafts
/// and withdrawn ones), most recently published first.
#[utoipa::path(get, path = "/api/v1/collections", tag = "collections", params(ListParams),
    responses((status = 200, body = CollectionList), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_collections(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<ApiJson<CollectionList>, AppError> {
    let filter = params.filter()?;
    let actor = Actor::user(&user);
    let collections = state
        .with_conn(move |conn| collections::list(conn, &actor, &filter))
        .await?;
    Ok(ApiJson(CollectionList { collections }))
}

/// A librarian creates a draft collection; 422 names the item that is refused.
#[utoipa::path(post, path = "/api/v1/collections", tag = "collections",
    request_body = CollectionInput,
    responses((status = 201, body = Collection), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn create_collection(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiJson(input): ApiJson<CollectionInput>,
) -> Result<Response, AppError> {
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let collection = state
        .with_conn(move |conn| {
            let id = collections::create(conn, &actor, input, at)?;
            collections::get(conn, &actor, id)
        })
        .await?;
    Ok((StatusCode::CREATED, ApiJson(collection)).into_response())
}

/// A collection with its items in order (a borrower sees published collections and
/// only the items shared with their unit).
#[utoipa::path(get, path = "/api/v1/collections/{id}", tag = "collections",
    params(("id" = String, Path, description = "专题编号")),
    responses((status = 200, body = Collection), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_collection(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(raw): ApiPath<String>,
) -> Result<ApiJson<Collection>, AppError> {
    let id = CollectionId::parse(&raw)?;
    let actor = Actor::user(&user);
    let collection = state
        .with_conn(move |conn| collections::get(conn, &actor, id))
        .await?;
    Ok(ApiJson(collection))
}

/// A librarian changes the fields given; `items` replaces the list in its order.
#[utoipa::path(patch, path = "/api/v1/collections/{id}", tag = "collections",
    params(("id" = String, Path, description = "专题编号")),
    request_body = CollectionPatch,
    responses((status = 200, body = Collection), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn update_collection(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(raw): ApiPath<String>,
    ApiJson(patch): ApiJson<CollectionPatch>,
) -> Result<ApiJson<Collection>, AppError> {
    let id = CollectionId::parse(&raw)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let collection = state
        .with_conn(move |conn| {
            collections::update(conn, &actor, id, patch, at)?;
            collections::get(conn, &actor, id)
        })
        .await?;
    Ok(ApiJson(collection))
}

/// Publishes a draft or withdrawn collection (409 when already published).
#[utoipa::path(post, path = "/api/v1/collections/{id}/publish", tag = "collections",
    params(("id" = String, Path, description = "专题编号")),
    responses((status = 200, body = Collection), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn publish_collection(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(raw): ApiPath<String>,
) -> Result<ApiJson<Collection>, AppError> {
    change_status(state, user, &raw, collections::publish).await
}

/// Withdraws a published collection (409 otherwise): units no longer see it.
#[utoipa::path(post, path = "/api/v1/collections/{id}/withdraw", tag = "collections",
    params(("id" = String, Path, description = "专题编号")),
    responses((status = 200, body = Collection), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn withdraw_collection(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(raw): ApiPath<String>,
) -> Result<ApiJson<Collection>, AppError> {
    change_status(state, user, &raw, collections::withdraw).await
}

async fn change_status(
    state: AppState,
    user: crate::accounts::SessionUser,
    raw: &str,
    step: collections::StatusStep,
) -> Result<ApiJson<Collection>, AppError> {
    let id = CollectionId::parse(raw)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let collection = state
        .with_conn(move |conn| {
            step(conn, &actor, id, at)?;
            collections::get(conn, &actor, id)
        })
        .await?;
    Ok(ApiJson(collection))
}

/// The edit history, newest first: who changed what, and the whole collection after.
#[utoipa::path(get, path = "/api/v1/collections/{id}/history", tag = "collections",
    params(("id" = String, Path, description = "专题编号")),
    responses((status = 200, body = RevisionList), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn collection_history(
    State(state): State<AppState>,
    Librarian(user): Librarian,
    ApiPath(raw): ApiPath<String>,
) -> Result<ApiJson<RevisionList>, AppError> {
    let id = CollectionId::parse(&raw)?;
    let actor = Actor::user(&user);
    let revisions = state
        .with_conn(move |conn| collections::history(conn, &actor, id))
        .await?;
    Ok(ApiJson(RevisionList { revisions }))
}
