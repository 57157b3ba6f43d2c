//! What units share (SPEC §9 in the statistics): per unit, the contributions it
//! submitted and had published in the period, and the loans of its published
//! material by other units; per contributed resource, those loans and the units
//! that borrowed it.
//!
//! Definitions:
//! - A contribution counts as submitted in the period its first submission falls in
//!   (sending it back after a return is not a new contribution).
//! - A contribution counts as published in the period a librarian published it in,
//!   when it is still published.
//! - A loan of a contribution counts, like every loan, in the period its start date
//!   falls in and when it was lent (approved, whatever happened after); only loans
//!   by another unit than the contributor count: a unit borrowing its own material
//!   shares nothing.

use rusqlite::{Connection, params};
use serde::Serialize;

use super::scan::{FastMap, LENT};
use super::{Scope, StatsError, StatsPeriod};
use crate::catalog::Kind;

/// How many contributed resources the statistics list.
pub const TOP_CONTRIBUTIONS: usize = 10;

/// One unit's sharing figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Shared {
    pub submitted: u64,
    pub published: u64,
    pub lent_to_others: u64,
}

/// A contributed resource borrowed by other units in the period.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ContributionUse {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub kind_label: &'static str,
    /// The contributing unit's code and name.
    pub unit: String,
    pub unit_name: String,
    /// Approved loans by other units starting in the period.
    pub loans: u64,
    /// The other units among them.
    pub units: u64,
}

/// The sharing figures of the units in `units` (code → position), and the resources
/// they contributed that others borrowed, the most borrowed first.
pub(super) fn tally(
    conn: &Connection,
    period: &StatsPeriod,
    scope: &Scope,
    units: &FastMap<String, usize>,
) -> Result<(Vec<Shared>, Vec<ContributionUse>), StatsError> {
    let mut shared = vec![Shared::default(); units.len()];
    let (made_from, made_before) = period.moment_bounds();
    // Few resources are contributions (the partial index on `contributed_by`), so
    // each query starts from them.
    let mut stmt = conn.prepare_cached(
        "SELECT r.contributed_by,
            (SELECT min(e.at) FROM contribution_events e
              WHERE e.resource_id = r.id AND e.action = 'submitted'),
            r.status = 'published' AND EXISTS (SELECT 1 FROM contribution_events e
              WHERE e.resource_id = r.id AND e.action = 'published'
                AND e.at >= ?2 AND e.at < ?3)
         FROM resources r
         WHERE r.contributed_by IS NOT NULL AND (?1 IS NULL OR r.contributed_by = ?1)",
    )?;
    let mut rows = stmt.query(params![scope.unit(), made_from, made_before])?;
    while let Some(row) = rows.next()? {
        let Some(&u) = row.get_ref(0)?.as_str().ok().and_then(|c| units.get(c)) else {
            continue;
        };
        let first: Option<String> = row.get(1)?;
        if first.is_some_and(|at| at.as_str() >= made_from.as_str() && at < made_before) {
            shared[u].submitted += 1;
        }
        shared[u].published += u64::from(row.get::<_, bool>(2)?);
    }

    let [a, b, c, d, e] = LENT.map(|s| s.as_str());
    let (from, to) = period.bounds();
    let mut stmt = conn.prepare_cached(
        "SELECT r.id, r.title, r.kind, r.contributed_by, coalesce(u.name, r.contributed_by),
                count(*), count(DISTINCT l.unit_code)
         FROM resources r
         CROSS JOIN loans l ON l.resource_id = r.id
         LEFT JOIN units u ON u.code = r.contributed_by
         WHERE r.contributed_by IS NOT NULL AND (?3 IS NULL OR r.contributed_by = ?3)
           AND l.unit_code != r.contributed_by
           AND l.status IN (?4, ?5, ?6, ?7, ?8)
           AND l.start_date BETWEEN ?1 AND ?2
         GROUP BY r.id",
    )?;
    let mut rows = stmt.query(params![from, to, scope.unit(), a, b, c, d, e])?;
    let mut used = Vec::new();
    while let Some(row) = rows.next()? {
        let unit: String = row.get(3)?;
        let Some(&u) = units.get(&unit) else {
            continue;
        };
        let loans = u64::try_from(row.get::<_, i64>(5)?).unwrap_or(0);
        shared[u].lent_to_others += loans;
        let kind = Kind::parse(row.get_ref(2)?.as_str().unwrap_or("")).ok();
        used.push(ContributionUse {
            id: row.get(0)?,
            title: row.get(1)?,
            kind: kind.map(Kind::as_str).unwrap_or_default().to_owned(),
            kind_label: kind.map(Kind::label).unwrap_or("其他"),
            unit,
            unit_name: row.get(4)?,
            loans,
            units: u64::try_from(row.get::<_, i64>(6)?).unwrap_or(0),
        });
    }
    used.sort_by(|a, b| {
        b.loans
            .cmp(&a.loans)
            .then_with(|| b.units.cmp(&a.units))
            .then_with(|| a.id.cmp(&b.id))
    });
    used.truncate(TOP_CONTRIBUTIONS);
    Ok((shared, used))
}
