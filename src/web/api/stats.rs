//! `GET /api/v1/stats/units` (SPEC §7: JSON, or CSV with `Accept: text/csv` or
//! `format=csv`), `GET /api/v1/stats/overview` (everything the statistics page shows),
//! `GET /api/v1/recommendations` ("for your unit"), and the "my sector first" search
//! helper the search handlers call.
//!
//! Who sees what: librarians every unit (`unit=CODE` narrows to one); a borrower only
//! their own unit — their figures, months, kinds and resources are computed over their
//! unit alone, and asking for another unit is a 403, not a silent switch.

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::recommend::{self, Recommendation};
use crate::search::{SearchRequest, SearchResults};
use crate::stats::{self, Overview, Scope, StatsError, StatsPeriod, UnitsReport};
use crate::web::auth::CurrentUser;
use crate::web::error::{AppError, ErrorBody};
use crate::web::extract::{ApiJson, ApiQuery};

/// The OpenAPI description of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(unit_stats, stats_overview, list_recommendations))]
pub(super) struct Doc;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/stats/units", get(unit_stats))
        .route("/stats/overview", get(stats_overview))
        .route("/recommendations", get(list_recommendations))
}

// The statistics domain's errors, mapped once (kept beside the handlers that raise
// them; the other domains' mappings are in `web::error`).
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

/// The query string of the statistics routes; values arrive as text so that a bad
/// one is answered with a message naming the parameter.
#[derive(Debug, Default, Clone, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct StatsParams {
    /// `YYYY-MM-DD`; the start of this year when absent.
    pub from: Option<String>,
    /// `YYYY-MM-DD`; the end of this year when absent.
    pub to: Option<String>,
    /// Librarians: one unit's figures. Borrowers: only their own code is accepted.
    pub unit: Option<String>,
    /// `csv` or `json`; overrides the `Accept` header (for download links).
    pub format: Option<String>,
}

impl StatsParams {
    /// The period asked for (default: this calendar year, in the library's time zone).
    pub fn period(&self, state: &AppState) -> Result<StatsPeriod, StatsError> {
        StatsPeriod::parse(
            self.from.as_deref(),
            self.to.as_deref(),
            state.clock.today(),
        )
    }
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

/// Computes the statistics page's figures for `user` (shared with the page).
pub async fn overview_for(
    state: &AppState,
    user: &SessionUser,
    params: &StatsParams,
) -> Result<Overview, AppError> {
    let period = params.period(state)?;
    let scope = Scope::for_viewer(user, params.unit.as_deref())?;
    state
        .with_conn(move |conn| stats::overview(conn, period, &scope))
        .await
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

/// The recommendations for `unit`, or none without a unit. Never fails a page: an
/// error is logged and answered with no recommendations.
pub async fn recommendations_for(
    state: &AppState,
    unit: Option<&str>,
    limit: usize,
    exclude: Option<&str>,
) -> Vec<Recommendation> {
    let Some(unit) = unit.map(str::to_owned) else {
        return Vec::new();
    };
    let exclude = exclude.map(str::to_owned);
    let found = state
        .with_conn(move |conn| recommend::for_unit(conn, &unit, limit, exclude.as_deref()))
        .await;
    found.unwrap_or_else(|err| {
        err.log();
        tracing::warn!(error = %err.message, "recommendations unavailable");
        Vec::new()
    })
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

/// Reads `sector_first` (`1`/`true`/`yes`/`on` or `0`/`false`/`no`/`off`).
pub fn sector_first_flag(value: &Option<String>) -> Result<bool, AppError> {
    Ok(crate::web::api::search::flag("sector_first", value)?.unwrap_or(false))
}

/// A search, with the user's sector first when `sector_first` is set and the user's
/// unit has a sector; otherwise the plain search.
pub async fn search_sector_first(
    state: &AppState,
    user: &SessionUser,
    request: SearchRequest,
    sector_first: &Option<String>,
) -> Result<SearchResults, AppError> {
    let sector = user
        .unit_sector
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    let sector = match (sector_first_flag(sector_first)?, sector) {
        (true, Some(sector)) => sector.to_owned(),
        _ => return crate::web::api::search::run_search(state, request).await,
    };
    crate::web::api::search::ensure_ready(state)?;
    let (index, state) = (state.search.clone(), state.clone());
    tokio::task::spawn_blocking(move || {
        let request = crate::web::api::search::for_today(&state, request)?;
        Ok(recommend::sector_first(&index, &request, &sector)?)
    })
    .await?
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
