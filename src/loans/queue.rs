//! The librarian's queue: pending requests oldest first, each with the loans it
//! shares days with and the earliest free period of its length.

use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::LoanError;
use super::capacity::{self, Capacity};
use super::days::{OpeningDays, parse_date};
use super::model::{Actor, HOLDING_SQL, Loan, LoanId, LoanStatus, Period};
use super::read::view;
use super::store::{self, LoanRow};

/// Another loan sharing days with a queued request.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Conflict {
    pub id: LoanId,
    pub unit: String,
    pub unit_name: String,
    pub status: LoanStatus,
    #[schema(value_type = String, format = Date)]
    pub start: Date,
    #[schema(value_type = String, format = Date)]
    pub end: Date,
}

/// A pending request in the librarian's queue.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    pub loan: Loan,
    /// `null` is unlimited.
    #[schema(value_type = Option<u32>)]
    pub capacity: Capacity,
    /// The most other loans holding a slot on one day of the period.
    pub peak_used: u32,
    /// Loans of the same resource and format (holding a slot or waiting) that share days.
    pub conflicts: Vec<Conflict>,
    /// The earliest period of the same length that fits (its own, if it fits).
    pub suggestion: Option<Period>,
}

/// Which part of the queue to show: at most `limit` requests (default 50), those
/// after the loan id `after` (the last one of the page before).
#[derive(Debug, Clone, Copy, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct QueueSlice {
    pub after: Option<i64>,
    pub limit: Option<u32>,
}

/// How many requests wait for a librarian (requested and waitlisted).
pub fn pending_count(conn: &Connection) -> Result<u64, LoanError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM loans WHERE status IN ('requested', 'waitlisted')",
        [],
        |row| row.get(0),
    )?)
}

/// How many requests wait for a librarian's decision (requested; a waitlisted one
/// waits for room first): the count on the librarian's 借阅审批 navigation link.
pub fn requested_count(conn: &Connection) -> Result<u64, LoanError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM loans WHERE status = 'requested'",
        [],
        |row| row.get(0),
    )?)
}

/// What deciding a pending request needs: the room left, the loans it shares days
/// with, and the earliest free period of its length.
#[derive(Debug, Clone)]
pub struct Review {
    pub capacity: Capacity,
    pub peak_used: u32,
    pub conflicts: Vec<Conflict>,
    pub suggestion: Option<Period>,
}

/// The [`Review`] of one request.
pub(crate) fn review(
    conn: &Connection,
    loan: &LoanRow,
    today: Date,
    days: &OpeningDays,
) -> Result<Review, LoanError> {
    let period = Period {
        start: loan.start,
        end: loan.end,
    };
    let capacity = capacity::capacity_of(conn, &loan.resource_id, loan.format)?;
    let others = capacity::holders(
        conn,
        &loan.resource_id,
        loan.format,
        loan.start,
        loan.end,
        Some(loan.id),
    )?;
    let suggestion = capacity::suggest(
        conn,
        &loan.resource_id,
        loan.format,
        Period {
            start: loan.start,
            end: loan.requested_end.max(loan.start),
        },
        loan.start.max(today),
        Some(loan.id),
        |d| days.next_open(d),
    )?;
    Ok(Review {
        capacity,
        peak_used: capacity::peak(&others, period),
        conflicts: conflicts(conn, loan)?,
        suggestion,
    })
}

/// Pending requests (requested and waitlisted), oldest first, one slice at a time:
/// each one costs a few capacity look-ups, and a long waitlist must not make the
/// queue slow to open.
pub fn queue(
    conn: &Connection,
    actor: &Actor,
    today: Date,
    slice: QueueSlice,
) -> Result<Vec<QueueItem>, LoanError> {
    let sql = format!(
        "SELECT {} FROM loans WHERE status IN ('requested', 'waitlisted')
           AND (?1 IS NULL OR id > ?1) ORDER BY id LIMIT ?2",
        store::ROW_COLUMNS
    );
    let rows = {
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(
            params![slice.after, slice.limit.unwrap_or(50).clamp(1, 1000)],
            store::row_from,
        )?
        .collect::<Result<Vec<_>, _>>()?
    };
    let days = OpeningDays::load(conn)?;
    let mut items = Vec::with_capacity(rows.len());
    for raw in rows {
        let loan = raw.parse()?;
        let Review {
            capacity,
            peak_used,
            conflicts,
            suggestion,
        } = review(conn, &loan, today, &days)?;
        items.push(QueueItem {
            capacity,
            peak_used,
            conflicts,
            suggestion,
            loan: view(conn, &loan, actor, today)?,
        });
    }
    Ok(items)
}

fn conflicts(conn: &Connection, loan: &LoanRow) -> Result<Vec<Conflict>, LoanError> {
    let sql = format!(
        "SELECT l.id, l.unit_code, coalesce(u.name, ''), l.status, l.start_date, l.end_date
         FROM loans l LEFT JOIN units u ON u.code = l.unit_code
         WHERE l.resource_id = ?1 AND l.format = ?2 AND l.id != ?3
           AND (l.status IN {HOLDING_SQL} OR l.status = 'waitlisted')
           AND l.start_date <= ?5 AND l.end_date >= ?4
         ORDER BY l.start_date, l.id LIMIT 100"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(
            params![
                loan.resource_id,
                loan.format.as_str(),
                loan.id.0,
                loan.start.to_string(),
                loan.end.to_string()
            ],
            |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, String>(4)?,
                    row.get::<_, String>(5)?,
                ))
            },
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, unit, unit_name, status, start, end)| {
            Ok(Conflict {
                id: LoanId(id),
                unit,
                unit_name,
                status: LoanStatus::parse(&status)?,
                start: parse_date("start", &start)?,
                end: parse_date("end", &end)?,
            })
        })
        .collect()
}
