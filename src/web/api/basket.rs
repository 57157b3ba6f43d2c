//! The request basket and loan batches (SPEC §10): `POST /api/v1/loan-batches` files
//! many loans in one transaction, `…/{id}/approve` approves those that fit; the
//! basket (`/api/v1/basket`) collects items and terms per account and is sent as a
//! batch. Each handler extracts, calls one `loans` function, answers JSON.

use crate::web::api::openapi::routes;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;

use super::loans::parse_body;
use crate::app::AppState;
use crate::loans::{
    self, Actor, Addition, Basket, BasketAddition, BasketTerms, BatchApproval, BatchRequest,
    ItemFormat, LoanBatch,
};
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_batch))
        .routes(routes!(show_batch))
        .routes(routes!(approve_batch))
        .routes(routes!(show_basket, set_terms))
        .routes(routes!(add_items))
        .routes(routes!(set_item_format, remove_item))
        .routes(routes!(send_basket))
}

fn batch_id(raw: &str) -> Result<i64, AppError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("没有这个编号的借阅清单"))
}

/// Files every item for the unit in one transaction, each `requested` or
/// `waitlisted` by the usual rules; one refused item (named, 422) files nothing.
#[utoipa::path(post, path = "/api/v1/loan-batches", tag = "loans",
    request_body = BatchRequest,
    responses((status = 201, body = LoanBatch), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn create_batch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Bytes,
) -> Result<Response, AppError> {
    let input: BatchRequest = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let batch = state
        .with_conn(move |conn| loans::create_batch(conn, &actor, input, at))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(batch)).into_response())
}

/// One batch with its loans: the unit's own, any for librarians.
#[utoipa::path(get, path = "/api/v1/loan-batches/{id}", tag = "loans",
    params(("id" = String, Path, description = "借阅清单编号")),
    responses((status = 200, body = LoanBatch), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_batch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<LoanBatch>, AppError> {
    let id = batch_id(&id)?;
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let batch = state
        .with_conn(move |conn| loans::get_batch(conn, &actor, id, today))
        .await?;
    Ok(ApiJson(batch))
}

/// A librarian approves every requested loan of the batch that fits; the answer
/// says which were approved and why each other one was not.
#[utoipa::path(post, path = "/api/v1/loan-batches/{id}/approve", tag = "loans",
    params(("id" = String, Path, description = "借阅清单编号")),
    responses((status = 200, body = BatchApproval), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn approve_batch(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<BatchApproval>, AppError> {
    let id = batch_id(&id)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let approval = state
        .with_conn(move |conn| loans::approve_batch(conn, &actor, id, at))
        .await?;
    Ok(ApiJson(approval))
}

/// The signed-in account's basket, each item checked against the chosen period.
#[utoipa::path(get, path = "/api/v1/basket", tag = "loans",
    responses((status = 200, body = Basket), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn show_basket(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<ApiJson<Basket>, AppError> {
    let (actor, today) = (Actor::user(&user), state.clock.today());
    let basket = state
        .with_conn(move |conn| loans::basket(conn, &actor, today))
        .await?;
    Ok(ApiJson(basket))
}

/// The basket after a change, as `GET /api/v1/basket` answers it.
async fn basket_now(state: &AppState, actor: Actor) -> Result<ApiJson<Basket>, AppError> {
    let today = state.clock.today();
    let basket = state
        .with_conn(move |conn| loans::basket(conn, &actor, today))
        .await?;
    Ok(ApiJson(basket))
}

/// Sets the period, purpose and audience the request will carry.
#[utoipa::path(put, path = "/api/v1/basket", tag = "loans",
    request_body = BasketTerms,
    responses((status = 200, body = Basket), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn set_terms(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Bytes,
) -> Result<ApiJson<Basket>, AppError> {
    let input: BasketTerms = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let writer = actor.clone();
    state
        .with_conn(move |conn| loans::set_terms(conn, &writer, input, at))
        .await?;
    basket_now(&state, actor).await
}

/// Adds resources: those already in are kept, those the unit may not borrow are
/// left out with the reason (422 when nothing could be added).
#[utoipa::path(post, path = "/api/v1/basket/items", tag = "loans",
    request_body = BasketAddition,
    responses((status = 200, body = Addition), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn add_items(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    body: Bytes,
) -> Result<ApiJson<Addition>, AppError> {
    let input: BasketAddition = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let addition = state
        .with_conn(move |conn| loans::add_to_basket(conn, &actor, &input.resource_ids, at))
        .await?;
    Ok(ApiJson(addition))
}

/// Chooses an item's format (`digital` or `physical`).
#[utoipa::path(patch, path = "/api/v1/basket/items/{resource_id}", tag = "loans",
    params(("resource_id" = String, Path, description = "资源编号")),
    request_body = ItemFormat,
    responses((status = 200, body = Basket), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn set_item_format(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(resource_id): ApiPath<String>,
    body: Bytes,
) -> Result<ApiJson<Basket>, AppError> {
    let input: ItemFormat = parse_body(&body)?;
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let writer = actor.clone();
    state
        .with_conn(move |conn| loans::set_item_format(conn, &writer, &resource_id, input, at))
        .await?;
    basket_now(&state, actor).await
}

/// Takes an item out of the basket.
#[utoipa::path(delete, path = "/api/v1/basket/items/{resource_id}", tag = "loans",
    params(("resource_id" = String, Path, description = "资源编号")),
    responses((status = 200, body = Basket), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn remove_item(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(resource_id): ApiPath<String>,
) -> Result<ApiJson<Basket>, AppError> {
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let writer = actor.clone();
    state
        .with_conn(move |conn| loans::remove_from_basket(conn, &writer, &resource_id, at))
        .await?;
    basket_now(&state, actor).await
}

/// Sends the basket as one loan batch (the answer of `POST /api/v1/loan-batches`)
/// and empties it; a refused item sends nothing and keeps the basket.
#[utoipa::path(post, path = "/api/v1/basket/send", tag = "loans",
    responses((status = 201, body = LoanBatch), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn send_basket(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<Response, AppError> {
    let (actor, at) = (Actor::user(&user), state.clock.moment());
    let batch = state
        .with_conn(move |conn| loans::send_basket(conn, &actor, at))
        .await?;
    Ok((StatusCode::CREATED, ApiJson(batch)).into_response())
}
