//! The unit's notifications: list (newest first, with the unread count) and mark read.

use crate::web::api::openapi::routes;
use axum::extract::State;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::loans::notify::{self, NotificationList};
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

/// How many notifications were marked read.
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Marked {
    pub marked: u64,
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications))
        .routes(routes!(read_all_notifications))
        .routes(routes!(read_notification))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct NotificationQuery {
    unread: Option<bool>,
    limit: Option<u32>,
}

/// The unit's notifications, newest first, with the unread count.
#[utoipa::path(get, path = "/api/v1/notifications", tag = "loans", params(NotificationQuery),
    responses((status = 200, body = NotificationList), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_notifications(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(query): ApiQuery<NotificationQuery>,
) -> Result<ApiJson<NotificationList>, AppError> {
    let Some(unit) = user.unit else {
        // Notifications go to units; staff without a unit have none.
        return Ok(ApiJson(NotificationList {
            unread: 0,
            items: Vec::new(),
        }));
    };
    let list = state
        .with_conn(move |conn| {
            notify::list(
                conn,
                &unit,
                query.unread.unwrap_or(false),
                query.limit.unwrap_or(50),
            )
        })
        .await?;
    Ok(ApiJson(list))
}

/// Marks one notification read.
#[utoipa::path(post, path = "/api/v1/notifications/{id}/read", tag = "loans",
    params(("id" = String, Path, description = "通知编号")),
    responses((status = 200, body = Marked), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn read_notification(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<Marked>, AppError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::not_found("没有这条通知"))?;
    mark_read(state, user.unit, Some(id)).await
}

/// Marks all the unit's notifications read.
#[utoipa::path(post, path = "/api/v1/notifications/read-all", tag = "loans",
    responses((status = 200, body = Marked), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn read_all_notifications(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<ApiJson<Marked>, AppError> {
    mark_read(state, user.unit, None).await
}

async fn mark_read(
    state: AppState,
    unit: Option<String>,
    id: Option<i64>,
) -> Result<ApiJson<Marked>, AppError> {
    let Some(unit) = unit else {
        return Ok(ApiJson(Marked { marked: 0 }));
    };
    let at = state.clock.moment();
    let marked = state
        .with_conn(move |conn| notify::mark_read(conn, &unit, id, at))
        .await?;
    Ok(ApiJson(Marked {
        marked: marked as u64,
    }))
}
