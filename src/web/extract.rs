//! Extractors whose rejections are our own error type, so that every bad request
//! answers `{"error": …}`.

use axum::extract::FromRequest;
use axum::extract::FromRequestParts;

use super::error::AppError;

/// JSON body; malformed or mistyped bodies answer 400/415/422 naming the problem.
#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

impl<T: serde::Serialize> axum::response::IntoResponse for ApiJson<T> {
    fn into_response(self) -> axum::response::Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string with our error on rejection.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// Path parameters with our error on rejection.
#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);
