//! The unit's notifications: list (newest first, with the unread count) and mark read.

use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::loans::notify::{self, NotificationList};
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::extract::{ApiJson, ApiPath, ApiQuery};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/notifications", get(list_notifications))
        .route("/notifications/read-all", post(read_all_notifications))
        .route("/notifications/{id}/read", post(read_notification))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NotificationQuery {
    unread: Option<bool>,
    limit: Option<u32>,
}

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

async fn read_notification(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiPath(id): ApiPath<String>,
) -> Result<ApiJson<serde_json::Value>, AppError> {
    let id = id
        .parse::<i64>()
        .map_err(|_| AppError::not_found("没有这条通知"))?;
    mark_read(state, user.unit, Some(id)).await
}

async fn read_all_notifications(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
) -> Result<ApiJson<serde_json::Value>, AppError> {
    mark_read(state, user.unit, None).await
}

async fn mark_read(
    state: AppState,
    unit: Option<String>,
    id: Option<i64>,
) -> Result<ApiJson<serde_json::Value>, AppError> {
    let Some(unit) = unit else {
        return Ok(ApiJson(json!({"marked": 0})));
    };
    let marked = state
        .with_conn(move |conn| notify::mark_read(conn, &unit, id))
        .await?;
    Ok(ApiJson(json!({"marked": marked})))
}
