//! The figures: a handful of grouped queries over loans and reports (each one pass over
//! the period's rows), put together per unit, sector, kind, month and resource.

use std::collections::{BTreeSet, HashMap};

use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::{Scope, StatsError, StatsPeriod};
use crate::catalog::Kind;
use crate::loans::LoanStatus;

/// The states in which a loan counts as approved (lent): it was approved, whatever
/// happened after.
const LENT: [LoanStatus; 5] = [
    LoanStatus::Approved,
    LoanStatus::Active,
    LoanStatus::Returned,
    LoanStatus::Expired,
    LoanStatus::Overdue,
];

/// How many resources the "most used" list shows.
pub const TOP_RESOURCES: usize = 10;

/// What sector a unit without one is listed under.
pub const NO_SECTOR: &str = "未填写行业";

fn lent_sql() -> String {
    let states: Vec<String> = LENT.iter().map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", states.join(", "))
}

/// One unit's figures for the period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
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
    /// Days with education held (场次).
    pub sessions: u64,
    /// Participants over those sessions (人次).
    pub participants: u64,
    /// Kinds of the material used (`video`, `case`, …), in catalogue order.
    pub kinds: Vec<String>,
    /// Violation types of the material used, most frequent first.
    pub violations: Vec<String>,
    /// No request and no report in the period: to follow up.
    pub gap: bool,
}

impl UnitStats {
    /// The kinds as Chinese names.
    pub fn kind_labels(&self) -> Vec<&'static str> {
        self.kinds.iter().map(|k| kind_label(k)).collect()
    }
}

/// Sums over the units listed.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Totals {
    pub units: u64,
    pub active_units: u64,
    pub gap_units: u64,
    pub requests: u64,
    pub loans: u64,
    pub reports: u64,
    pub sessions: u64,
    pub participants: u64,
}

/// `GET /api/v1/stats/units`: every unit in scope, gaps first.
#[derive(Debug, Clone, Serialize)]
pub struct UnitsReport {
    pub from: Date,
    pub to: Date,
    pub units: Vec<UnitStats>,
    pub totals: Totals,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SectorStats {
    pub sector: String,
    pub units: u64,
    pub active_units: u64,
    pub requests: u64,
    pub loans: u64,
    pub sessions: u64,
    pub participants: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
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

/// Approved loans by the borrowing unit's sector and the material's kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SectorKindRow {
    pub sector: String,
    /// In the order of [`Overview::kinds`].
    pub counts: Vec<u64>,
    pub total: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct MonthStats {
    /// `YYYY-MM`.
    pub month: String,
    pub requests: u64,
    pub loans: u64,
    pub sessions: u64,
    pub participants: u64,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
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
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    #[serde(flatten)]
    pub report: UnitsReport,
    pub by_sector: Vec<SectorStats>,
    pub by_kind: Vec<KindStats>,
    /// The kind codes heading the columns of `sector_kind`.
    pub kinds: Vec<&'static str>,
    pub sector_kind: Vec<SectorKindRow>,
    pub months: Vec<MonthStats>,
    pub top_resources: Vec<ResourceUse>,
}

fn kind_label(kind: &str) -> &'static str {
    Kind::parse(kind).map(Kind::label).unwrap_or("其他")
}

fn kind_index(kind: &str) -> usize {
    Kind::ALL
        .iter()
        .position(|k| k.as_str() == kind)
        .unwrap_or(Kind::ALL.len())
}

fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// The per-unit figures only (the API's table and the CSV).
pub fn units_report(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
) -> Result<UnitsReport, StatsError> {
    Ok(overview(conn, period, scope)?.report)
}

/// What the catalogue says about a resource that was used.
struct ResourceMeta {
    kind: String,
    title: String,
    violations: Vec<String>,
}

#[derive(Default)]
struct ResourceTally {
    loans: u64,
    reports: u64,
    participants: u64,
    units: BTreeSet<String>,
}

/// Every figure for the period, limited to `scope`.
pub fn overview(
    conn: &Connection,
    period: StatsPeriod,
    scope: &Scope,
) -> Result<Overview, StatsError> {
    scope.check(conn)?;
    let (from, to) = period.bounds();
    let unit = scope.unit();
    let lent = lent_sql();

    let mut units: Vec<UnitStats> = {
        let mut stmt = conn.prepare_cached(
            "SELECT code, name, sector, region FROM units WHERE (?1 IS NULL OR code = ?1)
             ORDER BY code",
        )?;
        stmt.query_map([unit], |row| {
            Ok(UnitStats {
                code: row.get(0)?,
                name: row.get(1)?,
                sector: row.get(2)?,
                region: row.get(3)?,
                ..UnitStats::default()
            })
        })?
        .collect::<Result<_, _>>()?
    };
    let index: HashMap<String, usize> = units
        .iter()
        .enumerate()
        .map(|(i, u)| (u.code.clone(), i))
        .collect();
    let resources = resource_meta(conn)?;

    // What each unit used: (unit index, resource id).
    let mut used: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut by_resource: HashMap<String, ResourceTally> = HashMap::new();
    let mut by_kind: Vec<KindStats> = Kind::ALL
        .iter()
        .map(|k| KindStats {
            kind: k.as_str(),
            label: k.label(),
            ..KindStats::default()
        })
        .collect();
    // (unit index, kind index) -> approved loans, for the sector × kind table.
    let mut unit_kind_loans: HashMap<(usize, usize), u64> = HashMap::new();

    // Loans by unit and resource.
    {
        let sql = format!(
            "SELECT unit_code, resource_id, count(*), sum(status IN {lent})
             FROM loans
             WHERE start_date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR unit_code = ?3)
             GROUP BY unit_code, resource_id"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![from, to, unit])?;
        while let Some(row) = rows.next()? {
            let code: String = row.get(0)?;
            let Some(&u) = index.get(&code) else { continue };
            let resource: String = row.get(1)?;
            let (requests, loans) = (count(row.get(2)?), count(row.get(3)?));
            units[u].requests += requests;
            units[u].loans += loans;
            if loans > 0 {
                let tally = by_resource.entry(resource.clone()).or_default();
                tally.loans += loans;
                tally.units.insert(code);
                if let Some(meta) = resources.get(&resource) {
                    let k = kind_index(&meta.kind);
                    if let Some(kind) = by_kind.get_mut(k) {
                        kind.loans += loans;
                    }
                    *unit_kind_loans.entry((u, k)).or_default() += loans;
                }
                used.insert((u, resource));
            }
        }
    }

    // Reports by unit and resource.
    {
        let mut stmt = conn.prepare_cached(
            "SELECT l.unit_code, l.resource_id, count(*), sum(r.participants)
             FROM loan_reports r JOIN loans l ON l.id = r.loan_id
             WHERE r.held_on BETWEEN ?1 AND ?2 AND (?3 IS NULL OR l.unit_code = ?3)
             GROUP BY l.unit_code, l.resource_id",
        )?;
        let mut rows = stmt.query(params![from, to, unit])?;
        while let Some(row) = rows.next()? {
            let code: String = row.get(0)?;
            let Some(&u) = index.get(&code) else { continue };
            let resource: String = row.get(1)?;
            let (reports, participants) = (count(row.get(2)?), count(row.get(3)?));
            units[u].reports += reports;
            let tally = by_resource.entry(resource.clone()).or_default();
            tally.reports += reports;
            tally.participants += participants;
            tally.units.insert(code);
            if let Some(kind) = resources
                .get(&resource)
                .and_then(|meta| by_kind.get_mut(kind_index(&meta.kind)))
            {
                kind.reports += reports;
                kind.participants += participants;
            }
            used.insert((u, resource));
        }
    }

    // Sessions: one per unit and day, with the day's largest participant count.
    let months = period.months();
    let mut by_month: Vec<MonthStats> = months
        .iter()
        .map(|m| MonthStats {
            month: m.clone(),
            ..MonthStats::default()
        })
        .collect();
    let month_index: HashMap<&str, usize> = months
        .iter()
        .enumerate()
        .map(|(i, m)| (m.as_str(), i))
        .collect();
    {
        let mut stmt = conn.prepare_cached(
            "SELECT unit_code, substr(held_on, 1, 7), count(*), sum(day_participants)
             FROM (SELECT l.unit_code AS unit_code, r.held_on AS held_on,
                          max(r.participants) AS day_participants
                   FROM loan_reports r JOIN loans l ON l.id = r.loan_id
                   WHERE r.held_on BETWEEN ?1 AND ?2 AND (?3 IS NULL OR l.unit_code = ?3)
                   GROUP BY l.unit_code, r.held_on)
             GROUP BY unit_code, substr(held_on, 1, 7)",
        )?;
        let mut rows = stmt.query(params![from, to, unit])?;
        while let Some(row) = rows.next()? {
            let code: String = row.get(0)?;
            let month: String = row.get(1)?;
            let (sessions, participants) = (count(row.get(2)?), count(row.get(3)?));
            if let Some(&u) = index.get(&code) {
                units[u].sessions += sessions;
                units[u].participants += participants;
            }
            if let Some(&m) = month_index.get(month.as_str()) {
                by_month[m].sessions += sessions;
                by_month[m].participants += participants;
            }
        }
    }

    // Requests and approved loans by the month they start.
    {
        let sql = format!(
            "SELECT substr(start_date, 1, 7), count(*), sum(status IN {lent})
             FROM loans
             WHERE start_date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR unit_code = ?3)
             GROUP BY substr(start_date, 1, 7)"
        );
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![from, to, unit])?;
        while let Some(row) = rows.next()? {
            let month: String = row.get(0)?;
            if let Some(&m) = month_index.get(month.as_str()) {
                by_month[m].requests += count(row.get(1)?);
                by_month[m].loans += count(row.get(2)?);
            }
        }
    }

    // Kinds and violation types covered.
    let mut violation_counts: Vec<HashMap<&str, u64>> = vec![HashMap::new(); units.len()];
    let mut kinds: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); units.len()];
    for (u, resource) in &used {
        if let Some(meta) = resources.get(resource) {
            kinds[*u].insert(kind_index(&meta.kind));
            for violation in &meta.violations {
                *violation_counts[*u].entry(violation.as_str()).or_default() += 1;
            }
        }
    }
    for (u, stats) in units.iter_mut().enumerate() {
        stats.kinds = kinds[u]
            .iter()
            .filter_map(|&k| Kind::ALL.get(k).map(|k| k.as_str().to_owned()))
            .collect();
        let mut violations: Vec<(&str, u64)> =
            violation_counts[u].iter().map(|(v, n)| (*v, *n)).collect();
        violations.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        stats.violations = violations.into_iter().map(|(v, _)| v.to_owned()).collect();
        stats.gap = stats.requests == 0 && stats.reports == 0;
    }

    let by_sector = sector_figures(&units);
    let sector_kind = sector_kind_rows(&units, &unit_kind_loans, &by_sector);
    let top_resources = top_resources(by_resource, &resources);

    let mut totals = Totals::default();
    for u in &units {
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
    }
    // Gaps first (to follow up), then the most active.
    units.sort_by(|a, b| {
        b.gap
            .cmp(&a.gap)
            .then_with(|| b.sessions.cmp(&a.sessions))
            .then_with(|| b.participants.cmp(&a.participants))
            .then_with(|| b.loans.cmp(&a.loans))
            .then_with(|| b.requests.cmp(&a.requests))
            .then_with(|| a.code.cmp(&b.code))
    });

    Ok(Overview {
        report: UnitsReport {
            from: period.from,
            to: period.to,
            units,
            totals,
        },
        by_sector,
        by_kind,
        kinds: Kind::ALL.iter().map(|k| k.as_str()).collect(),
        sector_kind,
        months: by_month,
        top_resources,
    })
}

fn resource_meta(conn: &Connection) -> Result<HashMap<String, ResourceMeta>, StatsError> {
    let mut resources: HashMap<String, ResourceMeta> = HashMap::new();
    let mut stmt = conn.prepare_cached("SELECT id, kind, title FROM resources")?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        resources.insert(
            row.get(0)?,
            ResourceMeta {
                kind: row.get(1)?,
                title: row.get(2)?,
                violations: Vec::new(),
            },
        );
    }
    let mut stmt = conn.prepare_cached(
        "SELECT resource_id, value FROM resource_labels WHERE facet = 'violation'
         ORDER BY resource_id, position",
    )?;
    let mut rows = stmt.query([])?;
    while let Some(row) = rows.next()? {
        let id: String = row.get(0)?;
        if let Some(meta) = resources.get_mut(&id) {
            meta.violations.push(row.get(1)?);
        }
    }
    Ok(resources)
}

fn sector_name(unit: &UnitStats) -> &str {
    if unit.sector.trim().is_empty() {
        NO_SECTOR
    } else {
        unit.sector.as_str()
    }
}

fn sector_figures(units: &[UnitStats]) -> Vec<SectorStats> {
    let mut sectors: HashMap<&str, SectorStats> = HashMap::new();
    for unit in units {
        let name = sector_name(unit);
        let s = sectors.entry(name).or_insert_with(|| SectorStats {
            sector: name.to_owned(),
            ..SectorStats::default()
        });
        s.units += 1;
        if !unit.gap {
            s.active_units += 1;
        }
        s.requests += unit.requests;
        s.loans += unit.loans;
        s.sessions += unit.sessions;
        s.participants += unit.participants;
    }
    let mut sectors: Vec<SectorStats> = sectors.into_values().collect();
    sectors.sort_by(|a, b| {
        b.loans
            .cmp(&a.loans)
            .then_with(|| b.sessions.cmp(&a.sessions))
            .then_with(|| b.requests.cmp(&a.requests))
            .then_with(|| a.sector.cmp(&b.sector))
    });
    sectors
}

fn sector_kind_rows(
    units: &[UnitStats],
    unit_kind_loans: &HashMap<(usize, usize), u64>,
    sectors: &[SectorStats],
) -> Vec<SectorKindRow> {
    let position: HashMap<&str, usize> = sectors
        .iter()
        .enumerate()
        .map(|(i, s)| (s.sector.as_str(), i))
        .collect();
    let mut rows: Vec<SectorKindRow> = sectors
        .iter()
        .map(|s| SectorKindRow {
            sector: s.sector.clone(),
            counts: vec![0; Kind::ALL.len()],
            total: 0,
        })
        .collect();
    for (&(u, k), &loans) in unit_kind_loans {
        let Some(unit) = units.get(u) else { continue };
        let Some(&row) = position.get(sector_name(unit)) else {
            continue;
        };
        if let Some(cell) = rows[row].counts.get_mut(k) {
            *cell += loans;
            rows[row].total += loans;
        }
    }
    rows
}

fn top_resources(
    by_resource: HashMap<String, ResourceTally>,
    resources: &HashMap<String, ResourceMeta>,
) -> Vec<ResourceUse> {
    let mut top: Vec<ResourceUse> = by_resource
        .into_iter()
        .map(|(id, tally)| {
            let (title, kind) = resources
                .get(&id)
                .map(|m| (m.title.clone(), m.kind.clone()))
                .unwrap_or_else(|| (id.clone(), String::new()));
            ResourceUse {
                kind_label: kind_label(&kind),
                id,
                title,
                kind,
                loans: tally.loans,
                units: tally.units.len() as u64,
                reports: tally.reports,
                participants: tally.participants,
            }
        })
        .collect();
    top.sort_by(|a, b| {
        b.loans
            .cmp(&a.loans)
            .then_with(|| b.reports.cmp(&a.reports))
            .then_with(|| b.participants.cmp(&a.participants))
            .then_with(|| a.id.cmp(&b.id))
    });
    top.truncate(TOP_RESOURCES);
    top
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lent_states_are_the_approved_ones() {
        assert_eq!(
            lent_sql(),
            "('approved', 'active', 'returned', 'expired', 'overdue')"
        );
        for status in LoanStatus::ALL {
            let lent = LENT.contains(&status);
            let never_approved = matches!(
                status,
                LoanStatus::Requested
                    | LoanStatus::Rejected
                    | LoanStatus::Cancelled
                    | LoanStatus::Waitlisted
            );
            assert_ne!(lent, never_approved, "{status:?}");
        }
    }
}
