//! `GET /api/v1/stats/units` (SPEC §7: JSON, or CSV with `Accept: text/csv` or
//! `format=csv`), `GET /api/v1/stats/overview` (everything the statistics page shows),
//! `GET /api/v1/recommendations` ("for your unit"), and the "my sector first" search
//! helper the search handlers call.
//!
//! Who sees what: librarians every unit (`unit=CODE` narrows to one); a borrower only
//! their own unit — their figures, months, kinds and resources are computed over their
//! unit alone, and asking for another unit is a 403, not a silent switch.

use crate::web::api::openapi::routes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;

use crate::app::AppState;
use crate::recommend::{self, Recommendation};
use crate::stats::{self, Overview, Scope, StatsPeriod, UnitsReport};
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};
use crate::web::shared::stats::{StatsParams, overview_for};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(unit_stats))
        .routes(routes!(stats_overview))
        .routes(routes!(list_recommendations))
}

/// Whether the answer should be CSV: `format=csv`, or an `Accept` header that ranks
/// `text/csv` at least as high as JSON.
fn wants_csv(params: &StatsParams, headers: &HeaderMap) -> Result<bool, AppError> {
    match params.format.as_deref().map(str::trim) {
        Some("csv") => return Ok(true),
        Some("json") => return Ok(false),
        None | Some("") => {}
        Some(other) => {
            return Err(AppError::bad_request(format!(
                "参数 format 应为 csv 或 json，收到“{}”",
                other.chars().take(40).collect::<String>()
            )));
        }
    }
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(false);
    };
    let (mut csv, mut json) = (0.0f32, 0.0f32);
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse().ok()))
            .unwrap_or(1.0f32);
        match media.as_str() {
            "text/csv" => csv = csv.max(q),
            "application/json" => json = json.max(q),
            _ => {}
        }
    }
    Ok(csv > 0.0 && csv >= json)
}

/// `attachment; filename="…"; filename*=UTF-8''…`: an ASCII name for old clients, the
/// Chinese one for the rest.
fn attachment(period: &StatsPeriod) -> String {
    let range = format!("{}_{}", period.from, period.to);
    let chinese = format!("单位警示教育统计_{range}.csv");
    let encoded: String = chinese
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("attachment; filename=\"jingshi-units-{range}.csv\"; filename*=UTF-8''{encoded}")
}

fn csv_response(report: &UnitsReport) -> Response {
    let period = StatsPeriod {
        from: report.from,
        to: report.to,
    };
    let mut response = stats::units_csv(report).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(value) = HeaderValue::from_str(&attachment(&period)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    response
}

/// `GET /api/v1/stats/units?from=&to=`: one row per unit, gaps first.
#[utoipa::path(get, path = "/api/v1/stats/units", tag = "stats", params(StatsParams),
    responses((status = 200, description = "JSON, or CSV with `Accept: text/csv` or `format=csv`",
        content((UnitsReport = "application/json"), (String = "text/csv"))), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn unit_stats(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> Result<Response, AppError> {
    let csv = wants_csv(&params, &headers)?;
    let period = params.period(&state)?;
    let scope = Scope::for_viewer(&user, params.unit.as_deref())?;
    let report = state
        .with_conn(move |conn| stats::units_report(conn, period, &scope))
        .await?;
    let mut response = if csv {
        csv_response(&report)
    } else {
        ApiJson(report).into_response()
    };
    response
        .headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// `GET /api/v1/stats/overview?from=&to=`: units, sectors, kinds, months, resources.
#[utoipa::path(get, path = "/api/v1/stats/overview", tag = "stats", params(StatsParams),
    responses((status = 200, body = Overview), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn stats_overview(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<StatsParams>,
) -> Result<ApiJson<Overview>, AppError> {
    Ok(ApiJson(overview_for(&state, &user, &params).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
struct RecommendParams {
    /// How many, 1 to the maximum.
    limit: Option<String>,
    /// A resource to leave out (the one being viewed).
    exclude: Option<String>,
    /// Librarians: recommendations for this unit.
    unit: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Recommendations {
    /// The unit recommended for; `null` for committee staff without a unit.
    unit: Option<String>,
    items: Vec<Recommendation>,
}

/// `GET /api/v1/recommendations?limit=&exclude=`: "for your unit".
#[utoipa::path(get, path = "/api/v1/recommendations", tag = "stats", params(RecommendParams),
    responses((status = 200, body = Recommendations), (status = "4XX", response = ErrorBody), (status = "5XX", response = ErrorBody)))]
async fn list_recommendations(
    State(state): State<AppState>,
    CurrentUser(user): CurrentUser,
    ApiQuery(params): ApiQuery<RecommendParams>,
) -> Result<ApiJson<Recommendations>, AppError> {
    let limit = match params.limit.as_deref().map(str::trim) {
        None | Some("") => recommend::DEFAULT_LIMIT,
        Some(text) => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=recommend::MAX_LIMIT).contains(n))
            .ok_or_else(|| {
                AppError::bad_request(format!(
                    "参数 limit 应为 1 到 {} 之间的数字",
                    recommend::MAX_LIMIT
                ))
            })?,
    };
    let unit = match Scope::for_viewer(&user, params.unit.as_deref())? {
        Scope::Unit(code) => Some(code),
        Scope::All => None,
    };
    let exclude = params
        .exclude
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let items = match &unit {
        Some(code) => {
            let (code, exclude) = (code.clone(), exclude.map(str::to_owned));
            state
                .with_conn(move |conn| recommend::for_unit(conn, &code, limit, exclude.as_deref()))
                .await?
        }
        None => Vec::new(),
    };
    Ok(ApiJson(Recommendations { unit, items }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::ACCEPT, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn csv_by_accept_or_format() {
        let none = StatsParams::default();
        assert!(wants_csv(&none, &accept("text/csv")).unwrap());
        assert!(wants_csv(&none, &accept("text/csv;q=0.9, */*;q=0.1")).unwrap());
        assert!(!wants_csv(&none, &accept("application/json")).unwrap());
        assert!(!wants_csv(&none, &accept("application/json, text/csv;q=0.5")).unwrap());
        assert!(!wants_csv(&none, &HeaderMap::new()).unwrap());
        let csv = StatsParams {
            format: Some("csv".into()),
            ..StatsParams::default()
        };
        assert!(wants_csv(&csv, &HeaderMap::new()).unwrap());
        let bad = StatsParams {
            format: Some("xlsx".into()),
            ..StatsParams::default()
        };
        assert!(wants_csv(&bad, &HeaderMap::new()).is_err());
    }

    #[test]
    fn attachment_names_are_ascii_and_utf8() {
        let period = StatsPeriod::parse(None, None, jiff::civil::date(2026, 5, 1)).unwrap();
        let value = attachment(&period);
        assert!(value.is_ascii());
        assert!(value.starts_with(
            "attachment; filename=\"jingshi-units-2026-01-01_2026-12-31.csv\"; filename*=UTF-8''%E5%8D%95"
        ));
    }
}
