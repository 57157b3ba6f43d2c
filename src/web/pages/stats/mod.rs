//! `/stats`: the statistics page (SPEC §6) — per-unit figures with the gaps first,
//! charts drawn on the server as inline SVG (bars per unit, the monthly trend, the
//! sector × kind table), sectors, kinds, the most used resources, visits to bases
//! beside the loan figures (with the units without a visit listed apart), what units
//! shared (共享贡献: contributions, and loans of them by other units), and the CSV
//! download. Librarians see every unit (`?unit=CODE` focuses on one), a borrower their
//! own unit. Links its own stylesheet (a static asset), and renders the "for your unit"
//! recommendations partial used by the home and resource pages.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::extract::{PageQuery, PageUser};
use super::url::Query;
use super::{Chrome, PageError, Section, assets, pages};
use crate::accounts::SessionUser;
use crate::app::AppState;
use crate::recommend::Recommendation;
use crate::stats::chart::{self, MonthlyTrend, SectorKindTable, UnitBars};
use crate::stats::{
    KindStats, MonthStats, Overview, ResourceUse, SectorStats, StatsPeriod, Totals, UnitStats,
};
use crate::web::shared::stats::{StatsParams, overview_for, recommendations_for};

mod charts;

pub use charts::{MonthChartSvg, SectorChartSvg, UnitChartSvg};

/// How many units the bar chart draws; the table lists them all.
const CHART_UNITS: usize = 40;

pub fn router() -> Router<AppState> {
    Router::new().route("/stats", get(show_stats))
}

pub struct Link {
    pub label: String,
    pub href: String,
    pub current: bool,
}

pub struct Tile {
    pub label: &'static str,
    pub value: u64,
    pub gap: bool,
}

#[derive(Clone)]
pub struct UnitRow {
    pub code: String,
    pub name: String,
    pub sector: String,
    pub requests: u64,
    pub loans: u64,
    pub reports: u64,
    pub sessions: u64,
    pub participants: u64,
    pub kinds: String,
    pub violations: String,
    pub gap: bool,
    pub visits: u64,
    pub visitors: u64,
    pub visits_booked: u64,
    pub visit_gap: bool,
    pub contributions_submitted: u64,
    pub contributions_published: u64,
    pub contributed_loans: u64,
    /// The unit's own statistics (librarians).
    pub href: Option<String>,
}

impl UnitRow {
    /// Whether the unit shared anything in the period (the "共享贡献" table).
    pub fn shared(&self) -> bool {
        self.contributions_submitted + self.contributions_published + self.contributed_loans > 0
    }
}

pub struct ResourceRow {
    pub href: String,
    pub title: String,
    pub kind_label: &'static str,
    pub loans: u64,
    pub units: u64,
    pub reports: u64,
    pub participants: u64,
}

/// A contributed resource other units borrowed.
pub struct ContributionRow {
    pub href: String,
    pub title: String,
    pub kind_label: &'static str,
    pub unit_name: String,
    pub loans: u64,
    pub units: u64,
}

/// What is shown once the period is valid.
pub struct Figures {
    pub tiles: Vec<Tile>,
    pub totals: Totals,
    pub gaps: Vec<UnitRow>,
    /// Units without a visit attended in the period (apart from the loan gaps).
    pub visit_gaps: Vec<UnitRow>,
    pub units: Vec<UnitRow>,
    pub unit_chart: UnitBars,
    pub month_chart: MonthlyTrend,
    pub months: Vec<MonthStats>,
    pub sector_chart: SectorKindTable,
    pub sectors: Vec<SectorStats>,
    pub kinds: Vec<KindStats>,
    pub top: Vec<ResourceRow>,
    /// The units that shared something in the period (all units' overview).
    pub sharing: Vec<UnitRow>,
    pub contributions: Vec<ContributionRow>,
}

#[derive(Template)]
#[template(path = "stats.html")]
pub struct StatsPage {
    chrome: Chrome,
    css: &'static str,
    heading: String,
    /// All units (a librarian's overview) rather than one unit.
    all_units: bool,
    librarian: bool,
    period_label: String,
    from: String,
    to: String,
    unit: String,
    quick: Vec<Link>,
    back: Option<String>,
    csv_href: String,
    error: Option<String>,
    figures: Option<Figures>,
}
pages!(StatsPage);

async fn show_stats(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    PageQuery(params): PageQuery<StatsParams>,
) -> Result<Response, PageError> {
    stats_page(state, user.clone(), params)
        .await
        .map_err(|err| err.for_user(&user))
}

fn period_query(from: &str, to: &str, unit: &str) -> Query {
    Query::new()
        .set("from", from)
        .set("to", to)
        .set("unit", unit)
}

async fn stats_page(
    state: AppState,
    user: SessionUser,
    params: StatsParams,
) -> Result<Response, PageError> {
    let librarian = user.is_librarian();
    let unit = params
        .unit
        .as_deref()
        .map(str::trim)
        .unwrap_or("")
        .to_owned();
    let today = state.clock.today();
    let this_year = StatsPeriod::year_of(today);
    let last_year = StatsPeriod::year_of(
        today
            .checked_sub(jiff::Span::new().years(1))
            .unwrap_or(today),
    );
    let mut page = StatsPage {
        chrome: Chrome::for_user(&user, Section::Stats),
        css: assets::urls().stats_css,
        heading: if librarian && unit.is_empty() {
            "警示教育统计".to_owned()
        } else {
            "本单位警示教育统计".to_owned()
        },
        all_units: librarian && unit.is_empty(),
        librarian,
        period_label: String::new(),
        from: params.from.clone().unwrap_or_default(),
        to: params.to.clone().unwrap_or_default(),
        unit: unit.clone(),
        quick: Vec::new(),
        back: (librarian && !unit.is_empty()).then(|| {
            period_query(
                params.from.as_deref().unwrap_or(""),
                params.to.as_deref().unwrap_or(""),
                "",
            )
            .href("/stats")
        }),
        csv_href: String::new(),
        error: None,
        figures: None,
    };
    // A bad date: say so above the form in words, keeping what was typed.
    if let Err(err) = params.period(&state) {
        page.error = Some(err.in_words());
        return Ok((StatusCode::BAD_REQUEST, page).into_response());
    }
    let overview = match overview_for(&state, &user, &params).await {
        Ok(overview) => overview,
        Err(err) if err.status == StatusCode::BAD_REQUEST => {
            page.error = Some(err.into_message());
            return Ok((StatusCode::BAD_REQUEST, page).into_response());
        }
        Err(err) => return Err(err.into()),
    };
    let period = StatsPeriod {
        from: overview.report.from,
        to: overview.report.to,
    };
    let (from, to) = (period.from.to_string(), period.to.to_string());
    page.quick = [("本年度", this_year), ("上一年度", last_year)]
        .into_iter()
        .map(|(label, p)| Link {
            label: label.to_owned(),
            href: period_query(&p.from.to_string(), &p.to.to_string(), &unit).href("/stats"),
            current: p == period,
        })
        .collect();
    page.csv_href = period_query(&from, &to, &unit)
        .set("format", "csv")
        .href("/api/v1/stats/units");
    page.period_label = period.label();
    if let [only] = overview.report.units.as_slice() {
        page.heading = format!("{} · 警示教育统计", only.name);
    }
    page.from = from;
    page.to = to;
    page.figures = Some(figures(&overview, &page));
    Ok(page.into_response())
}

fn figures(overview: &Overview, page: &StatsPage) -> Figures {
    let report = &overview.report;
    let rows = unit_rows(&report.units, page);
    Figures {
        tiles: tiles(&report.totals, page.all_units),
        totals: report.totals.clone(),
        gaps: rows.iter().filter(|r| r.gap).cloned().collect(),
        visit_gaps: visit_gaps(&rows),
        unit_chart: chart::unit_bars(&report.units, CHART_UNITS),
        month_chart: chart::monthly_trend(&overview.months),
        months: overview.months.clone(),
        sector_chart: chart::sector_kind_table(&overview.sector_kind),
        sectors: overview.by_sector.clone(),
        kinds: overview.by_kind.clone(),
        top: overview.top_resources.iter().map(resource_row).collect(),
        sharing: sharing(&rows),
        contributions: overview
            .contributions
            .iter()
            .map(|c| ContributionRow {
                href: format!("/resources/{}", c.id),
                title: c.title.clone(),
                kind_label: c.kind_label,
                unit_name: c.unit_name.clone(),
                loans: c.loans,
                units: c.units,
            })
            .collect(),
        units: rows,
    }
}

/// The units that shared something, the most borrowed material first.
fn sharing(rows: &[UnitRow]) -> Vec<UnitRow> {
    let mut sharing: Vec<UnitRow> = rows.iter().filter(|r| r.shared()).cloned().collect();
    sharing.sort_by(|a, b| {
        b.contributed_loans
            .cmp(&a.contributed_loans)
            .then_with(|| b.contributions_published.cmp(&a.contributions_published))
            .then_with(|| b.contributions_submitted.cmp(&a.contributions_submitted))
            .then_with(|| a.code.cmp(&b.code))
    });
    sharing
}

/// The table rows, each linking to the unit's own statistics on the librarians'
/// overview.
fn unit_rows(units: &[UnitStats], page: &StatsPage) -> Vec<UnitRow> {
    units
        .iter()
        .map(|u| UnitRow {
            code: u.code.clone(),
            name: u.name.clone(),
            sector: u.sector.clone(),
            requests: u.requests,
            loans: u.loans,
            reports: u.reports,
            sessions: u.sessions,
            participants: u.participants,
            kinds: u.kind_labels().join("、"),
            violations: u.violations.join("、"),
            gap: u.gap,
            visits: u.visits,
            visitors: u.visitors,
            visits_booked: u.visits_booked,
            visit_gap: u.visit_gap,
            contributions_submitted: u.contributions_submitted,
            contributions_published: u.contributions_published,
            contributed_loans: u.contributed_loans,
            href: (page.librarian && page.all_units)
                .then(|| period_query(&page.from, &page.to, &u.code).href("/stats")),
        })
        .collect()
}

/// The units without a visit attended: those without loan activity either first,
/// then by code.
fn visit_gaps(rows: &[UnitRow]) -> Vec<UnitRow> {
    let mut gaps: Vec<UnitRow> = rows.iter().filter(|r| r.visit_gap).cloned().collect();
    gaps.sort_by(|a, b| b.gap.cmp(&a.gap).then_with(|| a.code.cmp(&b.code)));
    gaps
}

/// The totals at the top; the overview of all units leads with the active and the
/// inactive units.
fn tiles(totals: &Totals, all_units: bool) -> Vec<Tile> {
    let tile = |label, value| Tile {
        label,
        value,
        gap: false,
    };
    let mut tiles = Vec::with_capacity(10);
    if all_units {
        tiles.push(tile("有活动的单位", totals.active_units));
        tiles.push(Tile {
            gap: totals.gap_units > 0,
            ..tile("未开展活动的单位", totals.gap_units)
        });
    }
    tiles.extend([
        tile("借阅申请", totals.requests),
        tile("批准借阅", totals.loans),
        tile("使用报告", totals.reports),
        tile("教育场次", totals.sessions),
        tile("参加人次", totals.participants),
        tile("参观场次", totals.visits),
        tile("参观人次", totals.visitors),
    ]);
    if all_units {
        tiles.push(Tile {
            gap: totals.visit_gap_units > 0,
            ..tile("期内无参观的单位", totals.visit_gap_units)
        });
    }
    tiles
}

fn resource_row(r: &ResourceUse) -> ResourceRow {
    ResourceRow {
        href: format!("/resources/{}", r.id),
        title: r.title.clone(),
        kind_label: r.kind_label,
        loans: r.loans,
        units: r.units,
        reports: r.reports,
        participants: r.participants,
    }
}

/// The "for your unit" block of the home and resource pages
/// (`partials/recommendations.html`, which reads a `recommendations` field).
pub async fn recommendations(
    state: &AppState,
    user: &SessionUser,
    limit: usize,
    exclude: Option<&str>,
) -> Vec<Recommendation> {
    recommendations_for(state, user.unit.as_deref(), limit, exclude).await
}

/// Renders the recommendations partial on its own (tests, and pages that prefer to
/// embed ready HTML).
#[derive(Template)]
#[template(path = "partials/recommendations.html")]
pub struct RecommendationsBlock {
    pub recommendations: Vec<Recommendation>,
}
