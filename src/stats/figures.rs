//! The figures per unit, sector, kind, month and resource, put together from the
//! tallies of the two passes in [`scan`].

use jiff::civil::Date;
use rusqlite::Connection;
use serde::Serialize;

use super::contributions::{self, ContributionUse};
use super::scan::{self, Catalog, FastMap, LENT_KINDS, Tally};
use super::sectors::{SectorKindRow, SectorStats, sector_figures, sector_kind_rows};
use super::{Scope, StatsError, StatsPeriod, scope};
use crate::accounts::SessionUser;
use crate::catalog::Kind;

/// How many resources the "most used" list shows.
pub const TOP_RESOURCES: usize = 10;

/// One unit's figures for the period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct UnitStats {
    pub code: String,
    pub name: String,
    pub sector: String,
    pub region: String,
    /// Loans asked for (any outcome) starting in the period.
    pub requests: u64,
    /// Of those, the ones approved (lent).
    pub loans: u64,
    /// Reports of education held in the period.
    pub reports: u64,
    /// Sessions held (场次): per day of education, the most one report of the day counts.
    pub sessions: u64,
    /// Participants over those sessions (人次).
    pub participants: u64,
    /// Kinds of the material used (`video`, `case`, …), in catalogue order.
    pub kinds: Vec<String>,
    /// Violation types of the material used, most frequent first.
    pub violations: Vec<String>,
    /// No request made or starting in the period and no report: to follow up.
    pub gap: bool,
    /// Visits to bases attended on a day of the period (参观场次): sessions the unit's
    /// groups attended.
    pub visits: u64,
    /// People present at those visits (参观人次).
    pub visitors: u64,
    /// Visits scheduled or confirmed for a session in the period, not attended yet.
    pub visits_booked: u64,
    /// No visit attended in the period: listed apart from the loan gaps.
    pub visit_gap: bool,
    /// Contributions the unit submitted in the period (first submissions).
    pub contributions_submitted: u64,
    /// Its contributions published in the period (and published still).
    pub contributions_published: u64,
    /// Approved loans starting in the period, by other units, of material the unit
    /// contributed.
    pub contributed_loans: u64,
}

impl UnitStats {
    /// The kinds as Chinese names.
    pub fn kind_labels(&self) -> Vec<&'static str> {
        self.kinds.iter().map(|k| kind_label(k)).collect()
    }
}

/// Sums over the units listed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Totals {
    pub units: u64,
    pub active_units: u64,
    pub gap_units: u64,
    pub requests: u64,
    pub loans: u64,
    pub reports: u64,
    pub sessions: u64,
    pub participants: u64,
    pub visits: u64,
    pub visitors: u64,
    /// Units without a visit attended in the period.
    pub visit_gap_units: u64,
    pub contributions_submitted: u64,
    pub contributions_published: u64,
    pub contributed_loans: u64,
}

/// `GET /api/v1/stats/units`: every unit in scope, gaps first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnitsReport {
    #[schema(value_type = String, format = Date)]
    pub from: Date,
    #[schema(value_type = String, format = Date)]
    pub to: Date,
    pub units: Vec<UnitStats>,
    pub totals: Totals,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct KindStats {
    pub kind: &'static str,
    pub label: &'static str,
    /// Approved loans of material of this kind starting in the period.
    pub loans: u64,
    /// Reports on material of this kind held in the period.
    pub reports: u64,
    /// Participants of those reports (each report counts toward its material's kind).
    pub participants: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct MonthStats {
    /// `YYYY-MM`.
    pub month: String,
    pub requests: u64,
    pub loans: u64,
    pub sessions: u64,
    pub participants: u64,
    /// Visits attended on a day of the month, and the people present.
    pub visits: u64,
    pub visitors: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ResourceUse {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub loans: u64,
    /// Units that borrowed or reported on it in the period.
    pub units: u64,
    pub reports: u64,
    pub participants: u64,
}

/// Everything the statistics page shows.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    #[serde(flatten)]
    pub report: UnitsReport,
    pub by_sector: Vec<SectorStats>,
    pub by_kind: Vec<KindStats>,
    /// The kind codes heading the columns of `sector_kind`.
    pub kinds: Vec<&'static str>,
    pub sector_kind: Vec<SectorKindRow>,
    pub months: Vec<MonthStats>,
    /// The most used resources the viewer may see.
    pub top_resources: Vec<ResourceUse>,
    /// Contributed resources of the units in scope that other units borrowed.
    pub contributions: Vec<ContributionUse>,
}

fn kind_label(kind: &str) -> &'static str {
    Kind::parse(kind).map(Kind::label).unwrap_or("其他")
}

/// The per-unit figures only (the API's table and the CSV): no resource is named in
/// them, so they do not depend on who looks.
pub fn units_report(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
) -> Result<UnitsReport, StatsError> {
    Ok(figures(conn, period, scope)?.report)
}

/// Every figure for the period, limited to `scope`, as `viewer` may see it: the
/// lists of resources name only those the viewer may see (SPEC §9: a contribution
/// shared with one sector or with the committee stays out of another unit's lists).
pub fn overview(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
    viewer: &SessionUser,
) -> Result<Overview, StatsError> {
    let (mut overview, catalog) = figures_and_catalog(conn, period, scope)?;
    let listed = |id: &str| {
        catalog
            .index
            .get(id)
            .is_some_and(|&i| scope::may_list(viewer, &catalog.resources[i].visibility))
    };
    overview.top_resources.retain(|r| listed(&r.id));
    overview.top_resources.truncate(TOP_RESOURCES);
    // A borrower's scope is their own unit, whose contributions they always see:
    // this only guards a list that names resources.
    overview.contributions.retain(|r| listed(&r.id));
    Ok(overview)
}

pub(super) fn figures(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
) -> Result<Overview, StatsError> {
    Ok(figures_and_catalog(conn, period, scope)?.0)
}

/// Every figure, each list of resources unfiltered (the whole ranking, so that
/// leaving out what a viewer may not see still leaves [`TOP_RESOURCES`]), and the
/// catalogue they refer to.
fn figures_and_catalog(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
) -> Result<(Overview, Catalog), StatsError> {
    scope.check(conn)?;
    let mut units = load_units(conn, scope)?;
    let index: FastMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.clone(), i))
        .collect();
    let catalog = Catalog::load(conn)?;
    let mut tally = scan::tally(conn, &period, scope, &index, &catalog)?;
    let (shared, contributions) = contributions::tally(conn, &period, scope, &index)?;

    let resource_units = fill_units(&mut units, &mut tally, &catalog);
    for (unit, figures) in units.iter_mut().zip(shared) {
        unit.contributions_submitted = figures.submitted;
        unit.contributions_published = figures.published;
        unit.contributed_loans = figures.lent_to_others;
    }
    let by_sector = sector_figures(&units);
    let sector_kind = sector_kind_rows(&units, &tally.unit_kind_loans, &by_sector);
    let totals = totals(&units);
    // After the sector table: its tally refers to units by their position before
    // sorting.
    sort_units(&mut units);

    let overview = Overview {
        report: UnitsReport {
            from: period.from,
            to: period.to,
            units,
            totals,
        },
        by_sector,
        by_kind: kind_figures(&tally),
        kinds: LENT_KINDS.iter().map(|k| k.as_str()).collect(),
        sector_kind,
        top_resources: ranked_resources(&tally, &catalog, &resource_units),
        months: tally.months,
        contributions,
    };
    Ok((overview, catalog))
}

/// The units in scope, by code, without figures yet.
fn load_units(conn: &Connection, scope: &Scope) -> Result<Vec<UnitStats>, StatsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT code, name, sector, region FROM units WHERE (?1 IS NULL OR code = ?1)
         ORDER BY code",
    )?;
    let units = stmt
        .query_map([scope.unit()], |row| {
            Ok(UnitStats {
                code: row.get(0)?,
                name: row.get(1)?,
                sector: row.get(2)?,
                region: row.get(3)?,
                ..UnitStats::default()
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(units)
}

/// Puts each unit's counts, the kinds and violation types of the material it used,
/// and whether it is a gap into `units`. Returns how many units used each resource.
fn fill_units(units: &mut [UnitStats], tally: &mut Tally, catalog: &Catalog) -> Vec<u64> {
    tally.distinct_used();
    let mut resource_units = vec![0u64; catalog.resources.len()];
    // Per violation position: how many of the unit's resources carry it.
    let mut per_violation = vec![0u64; catalog.violations.len()];
    for (u, stats) in units.iter_mut().enumerate() {
        let mut kinds = [false; LENT_KINDS.len() + 1];
        for &r in &tally.used[u] {
            let meta = &catalog.resources[r];
            kinds[meta.kind] = true;
            for &v in &meta.violations {
                per_violation[v] += 1;
            }
            resource_units[r] += 1;
        }
        stats.kinds = LENT_KINDS
            .iter()
            .zip(kinds)
            .filter(|(_, used)| *used)
            .map(|(k, _)| k.as_str().to_owned())
            .collect();
        let mut found: Vec<(&str, u64)> = Vec::new();
        for (v, n) in per_violation.iter_mut().enumerate() {
            if *n > 0 {
                found.push((catalog.violations[v].as_str(), *n));
                *n = 0;
            }
        }
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        stats.violations = found.into_iter().map(|(v, _)| v.to_owned()).collect();
        let counts = tally.units[u];
        stats.requests = counts.requests;
        stats.loans = counts.loans;
        stats.reports = counts.reports;
        stats.sessions = counts.sessions;
        stats.participants = counts.participants;
        stats.gap = stats.requests == 0 && stats.reports == 0 && !counts.asked;
        stats.visits = counts.visits;
        stats.visitors = counts.visitors;
        stats.visits_booked = counts.visits_booked;
        stats.visit_gap = counts.visits == 0;
    }
    resource_units
}

/// The figures per kind, from the tally.
fn kind_figures(tally: &Tally) -> Vec<KindStats> {
    LENT_KINDS
        .iter()
        .zip(tally.kinds)
        .map(|(k, used)| KindStats {
            kind: k.as_str(),
            label: k.label(),
            loans: used.loans,
            reports: used.reports,
            participants: used.participants,
        })
        .collect()
}

/// Every resource used, the most used first ([`overview`] keeps the first
/// [`TOP_RESOURCES`] the viewer may see): ranked by their counts first, so that only
/// the ones used are described.
fn ranked_resources(tally: &Tally, catalog: &Catalog, resource_units: &[u64]) -> Vec<ResourceUse> {
    let mut used: Vec<usize> = (0..tally.resources.len())
        .filter(|&r| tally.resources[r].loans > 0 || tally.resources[r].reports > 0)
        .collect();
    used.sort_by(|&a, &b| {
        let (x, y) = (&tally.resources[a], &tally.resources[b]);
        y.loans
            .cmp(&x.loans)
            .then_with(|| y.reports.cmp(&x.reports))
            .then_with(|| y.participants.cmp(&x.participants))
            .then_with(|| catalog.resources[a].id.cmp(&catalog.resources[b].id))
    });
    used.into_iter()
        .map(|r| {
            let meta = &catalog.resources[r];
            let kind = LENT_KINDS.get(meta.kind);
            let counts = tally.resources[r];
            ResourceUse {
                id: meta.id.clone(),
                title: meta.title.clone(),
                kind: kind.map(|k| k.as_str()).unwrap_or_default().to_owned(),
                kind_label: kind.map(|k| k.label()).unwrap_or("其他"),
                loans: counts.loans,
                units: resource_units[r],
                reports: counts.reports,
                participants: counts.participants,
            }
        })
        .collect()
}

fn totals(units: &[UnitStats]) -> Totals {
    let mut totals = Totals::default();
    for u in units {
        totals.units += 1;
        if u.gap {
            totals.gap_units += 1;
        } else {
            totals.active_units += 1;
        }
        totals.requests += u.requests;
        totals.loans += u.loans;
        totals.reports += u.reports;
        totals.sessions += u.sessions;
        totals.participants += u.participants;
        totals.visits += u.visits;
        totals.visitors += u.visitors;
        totals.visit_gap_units += u64::from(u.visit_gap);
        totals.contributions_submitted += u.contributions_submitted;
        totals.contributions_published += u.contributions_published;
        totals.contributed_loans += u.contributed_loans;
    }
    totals
}

/// Gaps first (to follow up), then the most active.
fn sort_units(units: &mut [UnitStats]) {
    units.sort_by(|a, b| {
        b.gap
            .cmp(&a.gap)
            .then_with(|| b.sessions.cmp(&a.sessions))
            .then_with(|| b.participants.cmp(&a.participants))
            .then_with(|| b.loans.cmp(&a.loans))
            .then_with(|| b.requests.cmp(&a.requests))
            .then_with(|| b.visits.cmp(&a.visits))
            .then_with(|| a.code.cmp(&b.code))
    });
}
