//! The figures by sector: each sector's units and activity, and the approved loans
//! by the borrowing unit's sector and the material's kind.

use std::collections::HashMap;

use serde::Serialize;

use super::UnitStats;
use super::scan::LENT_KINDS;

/// What sector a unit without one is listed under.
pub const NO_SECTOR: &str = "未填写行业";

#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SectorStats {
    pub sector: String,
    pub units: u64,
    pub active_units: u64,
    pub requests: u64,
    pub loans: u64,
    pub sessions: u64,
    pub participants: u64,
    /// Visits to bases attended, and the people present.
    pub visits: u64,
    pub visitors: u64,
}

/// Approved loans by the borrowing unit's sector and the material's kind.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SectorKindRow {
    pub sector: String,
    /// In the order of [`Overview::kinds`](super::Overview::kinds).
    pub counts: Vec<u64>,
    pub total: u64,
}

fn sector_name(unit: &UnitStats) -> &str {
    if unit.sector.trim().is_empty() {
        NO_SECTOR
    } else {
        unit.sector.as_str()
    }
}

/// The figures per sector, the most active first.
pub(super) fn sector_figures(units: &[UnitStats]) -> Vec<SectorStats> {
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
        s.visits += unit.visits;
        s.visitors += unit.visitors;
    }
    let mut sectors: Vec<SectorStats> = sectors.into_values().collect();
    sectors.sort_by(|a, b| {
        b.loans
            .cmp(&a.loans)
            .then_with(|| b.sessions.cmp(&a.sessions))
            .then_with(|| b.requests.cmp(&a.requests))
            .then_with(|| b.visits.cmp(&a.visits))
            .then_with(|| a.sector.cmp(&b.sector))
    });
    sectors
}

/// Approved loans per sector (rows in the order of `sectors`) and kind (columns).
pub(super) fn sector_kind_rows(
    units: &[UnitStats],
    unit_kind_loans: &[[u64; LENT_KINDS.len()]],
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
            counts: vec![0; LENT_KINDS.len()],
            total: 0,
        })
        .collect();
    for (unit, loans) in units.iter().zip(unit_kind_loans) {
        let Some(&row) = position.get(sector_name(unit)) else {
            continue;
        };
        let row = &mut rows[row];
        for (cell, n) in row.counts.iter_mut().zip(loans) {
            *cell += n;
        }
        row.total += loans.iter().sum::<u64>();
    }
    rows
}
