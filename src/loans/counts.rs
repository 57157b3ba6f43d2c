//! How much each resource is in demand, for the librarian's catalogue list: its open
//! loans (requested, waitlisted, approved, active, overdue) and every loan ever filed.

use std::collections::HashMap;

use rusqlite::Connection;

use super::model::HOLDING_SQL;

/// A resource's loans: those not yet over, and all of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoanCounts {
    /// Requested, waitlisted, approved, active or overdue.
    pub open: u64,
    /// Every loan ever filed for it, whatever became of it.
    pub total: u64,
}

/// The loan counts of each of `resource_ids` (a resource never lent counts zero).
pub fn loan_counts(
    conn: &Connection,
    resource_ids: &[String],
) -> rusqlite::Result<HashMap<String, LoanCounts>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT coalesce(sum(status IN {HOLDING_SQL} OR status = 'waitlisted'), 0), count(*)
         FROM loans WHERE resource_id = ?1"
    ))?;
    let mut counts = HashMap::with_capacity(resource_ids.len());
    for id in resource_ids {
        let (open, total) = stmt.query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))?;
        counts.insert(id.clone(), LoanCounts { open, total });
    }
    Ok(counts)
}
