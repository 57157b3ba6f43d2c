//! Statistics for both front ends: the query string, the overview and the
//! recommendations, each read once for the JSON API and the statistics page.

use serde::Deserialize;

use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::recommend::{self, Recommendation};
use crate::stats::{self, Overview, Scope, StatsError, StatsPeriod};
use crate::web::error::AppError;

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

/// Computes the statistics page's figures for `user` (shared with the page).
pub async fn overview_for(
    state: &AppState,
    user: &SessionUser,
    params: &StatsParams,
) -> Result<Overview, AppError> {
    let period = params.period(state)?;
    let scope = Scope::for_viewer(user, params.unit.as_deref())?;
    let viewer = user.clone();
    state
        .with_conn(move |conn| stats::overview(conn, period, &scope, &viewer))
        .await
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
