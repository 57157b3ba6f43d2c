//! The figures per unit, sector, kind, month and resource, put together from the
//! tallies of the two passes in [`scan`].

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

use super::contributions::{self, ContributionUse};
use super::scan::{self, Catalog, FastMap, LENT_KINDS, Tally};
use super::sectors::{SectorKindRow, SectorStats, sector_figures, sector_kind_rows};
use super::{Scope, StatsError, StatsPeriod, scope};
use crate::accounts::SessionUser;
use crate::catalog::{Kind, Share, Status, Visibility};

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

/// Which lists of resources to describe: each described resource costs a look-up of
/// its title and visibility, so they are read only for what is shown.
enum Described<'a> {
    /// None (the per-unit figures name no resource).
    None,
    /// Every resource used, unfiltered (for tests against a recount).
    #[cfg_attr(not(test), allow(dead_code))]
    All,
    /// The first [`TOP_RESOURCES`] of the ranking this viewer may see, and the
    /// contributions they may see.
    For(&'a SessionUser),
}

/// The per-unit figures only (the API's table and the CSV): no resource is named in
/// them, so they do not depend on who looks.
pub fn units_report(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
) -> Result<UnitsReport, StatsError> {
    Ok(compute(conn, period, scope, &Described::None)?.report)
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
    compute(conn, period, scope, &Described::For(viewer))
}

/// Every figure, with the whole ranking of resources used (for tests).
#[cfg(test)]
pub(super) fn figures(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
) -> Result<Overview, StatsError> {
    compute(conn, period, scope, &Described::All)
}

/// Every figure, with the lists of resources `described` asks for.
fn compute(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
    described: &Described,
) -> Result<Overview, StatsError> {
    // Every pass reads one state of the database, whatever commits meanwhile.
    let _snapshot = crate::db::read_snapshot(conn)?;
    scope.check(conn)?;
    let mut units = load_units(conn, scope)?;
    let index: FastMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.clone(), i))
        .collect();
    let catalog = Catalog::current(conn)?;
    let mut tally = scan::tally(conn, &period, scope, &index, &catalog)?;
    let (shared, mut contributions) = contributions::tally(conn, &period, scope, &index)?;

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

    let ranked = Ranked {
        tally: &tally,
        catalog: &catalog,
        resource_units: &resource_units,
    };
    let top_resources = match described {
        Described::None => Vec::new(),
        Described::All => ranked.describe(conn, usize::MAX, |_| true)?,
        Described::For(viewer) => {
            // A borrower's scope is their own unit, whose contributions they always
            // see: this only guards a list that names resources.
            let mut listed = Vec::new();
            for used in contributions {
                if listing(conn, &used.id)?.is_some_and(|(_, v)| scope::may_list(viewer, &v)) {
                    listed.push(used);
                }
            }
            contributions = listed;
            ranked.describe(conn, TOP_RESOURCES, |v| scope::may_list(viewer, v))?
        }
    };
    Ok(Overview {
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
        top_resources,
        months: tally.months,
        contributions,
    })
}

/// A resource's title and who may see it, for a list that names it.
fn listing(conn: &Connection, id: &str) -> Result<Option<(String, Visibility)>, StatsError> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.title, r.status, r.share, r.contributed_by, u.sector
         FROM resources r LEFT JOIN units u ON u.code = r.contributed_by WHERE r.id = ?1",
    )?;
    let found = stmt
        .query_row([id], |row| {
            // The CHECK constraints keep both valid; were one not, the resource is
            // treated as hidden and limited to the committee.
            let text = |i| row.get_ref(i).map(|v| v.as_str().unwrap_or("").to_owned());
            Ok((
                row.get(0)?,
                Visibility {
                    status: Status::parse(&text(1)?).unwrap_or(Status::Draft),
                    share: Share::parse(&text(2)?).unwrap_or(Share::Committee),
                    contributed_by: row.get(3)?,
                    contributor_sector: row.get(4)?,
                },
            ))
        })
        .optional()?;
    Ok(found)
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
            kinds[usize::from(catalog.kinds[r]).min(LENT_KINDS.len())] = true;
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

/// The resources used in the period and their counts, to rank and describe.
struct Ranked<'a> {
    tally: &'a Tally,
    catalog: &'a Catalog,
    resource_units: &'a [u64],
}

impl Ranked<'_> {
    /// Every resource used, the most used first, as positions: ranked by their counts
    /// alone, so that only the ones a list names are looked up.
    fn order(&self) -> Vec<usize> {
        let (uses, resources) = (&self.tally.resources, &self.catalog.resources);
        let mut used: Vec<usize> = (0..uses.len())
            .filter(|&r| uses[r].loans > 0 || uses[r].reports > 0)
            .collect();
        used.sort_by(|&a, &b| {
            let (x, y) = (&uses[a], &uses[b]);
            y.loans
                .cmp(&x.loans)
                .then_with(|| y.reports.cmp(&x.reports))
                .then_with(|| y.participants.cmp(&x.participants))
                .then_with(|| resources[a].id.cmp(&resources[b].id))
        });
        used
    }

    /// The first `limit` resources of the ranking whose visibility `keep` accepts.
    fn describe(
        &self,
        conn: &Connection,
        limit: usize,
        keep: impl Fn(&Visibility) -> bool,
    ) -> Result<Vec<ResourceUse>, StatsError> {
        let mut described = Vec::new();
        for r in self.order() {
            if described.len() >= limit {
                break;
            }
            let meta = &self.catalog.resources[r];
            let Some((title, visibility)) = listing(conn, &meta.id)? else {
                continue;
            };
            if !keep(&visibility) {
                continue;
            }
            let kind = LENT_KINDS.get(usize::from(self.catalog.kinds[r]));
            let counts = self.tally.resources[r];
            described.push(ResourceUse {
                id: meta.id.clone(),
                title,
                kind: kind.map(|k| k.as_str()).unwrap_or_default().to_owned(),
                kind_label: kind.map(|k| k.label()).unwrap_or("其他"),
                loans: counts.loans,
                units: self.resource_units[r],
                reports: counts.reports,
                participants: counts.participants,
            });
        }
        Ok(described)
    }
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
