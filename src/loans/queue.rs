//! The librarian's queue: pending requests oldest first, each with the loans it
//! shares days with and the earliest free period of its length.

use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde::{Deserialize, Serialize};

use super::LoanError;
use super::capacity::{self, Capacity};
use super::days::{OpeningDays, parse_date};
use super::model::{Actor, Loan, LoanId, LoanStatus, Period};
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

/// The states of a request waiting for a librarian, as SQL.
const PENDING_SQL: &str = "('requested', 'waitlisted')";

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

/// How many loans are in `states`, read from the counts the triggers of
/// `loan_state_counts` keep (of loans outside any batch only, when `unbatched`):
/// a few rows, however many requests wait.
fn counted(conn: &Connection, states: &str, unbatched: bool) -> Result<u64, LoanError> {
    let sql = format!(
        "SELECT coalesce(sum(loans), 0) FROM loan_state_counts
          WHERE status IN {states} AND (?1 = 0 OR batched = 0)"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    Ok(stmt.query_row([unbatched], |row| row.get(0))?)
}

/// How many requests wait for a librarian (requested and waitlisted).
pub fn pending_count(conn: &Connection) -> Result<u64, LoanError> {
    counted(conn, PENDING_SQL, false)
}

/// How many pending requests (requested and waitlisted) the queue's table lists:
/// all of them, or those outside a batch when each batch is a line of its own.
pub(crate) fn pending_listed(conn: &Connection, batches_apart: bool) -> Result<u64, LoanError> {
    counted(conn, PENDING_SQL, batches_apart)
}

/// How many requests wait for a librarian's decision (requested; a waitlisted one
/// waits for room first): the count on the librarian's 借阅审批 navigation link.
pub fn requested_count(conn: &Connection) -> Result<u64, LoanError> {
    counted(conn, "('requested')", false)
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
    let others = capacity::DayTally::counted(
        loan.start,
        capacity::day_use(
            conn,
            &loan.resource_id,
            loan.format,
            loan.start,
            loan.end,
            Some(loan.id),
        )?,
    );
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
        peak_used: others.peak(period),
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
    // The states as one list: SQLite then walks the capacity index per state up to
    // the period's end (before: every loan the resource ever had, with an `OR`).
    let mut stmt = conn.prepare_cached(
        "SELECT l.id, l.unit_code, coalesce(u.name, ''), l.status, l.start_date, l.end_date
         FROM loans l LEFT JOIN units u ON u.code = l.unit_code
         WHERE l.resource_id = ?1 AND l.format = ?2 AND l.id != ?3
           AND l.status IN ('requested', 'approved', 'active', 'overdue', 'waitlisted')
           AND l.start_date <= ?5 AND l.end_date >= ?4
         ORDER BY l.start_date, l.id LIMIT 100",
    )?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::table::{TableFilter, loan_table};

    type StateRows = Vec<(String, bool, i64)>;

    /// A database with a unit, a resource and two batches of that unit.
    fn library() -> (tempfile::TempDir, crate::db::Database) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
        db.get()
            .expect("connection")
            .execute_batch(
                "INSERT INTO units (code, name, created_at) VALUES ('yn-tax', '税务局', 't');
                 INSERT INTO resources (id, kind, title, created_at, updated_at)
                        VALUES ('film', 'video', '警示片', 't', 't');
                 INSERT INTO loan_batches (id, unit_code, start_date, end_date, purpose,
                                           audience, created_at)
                 VALUES (1, 'yn-tax', '2027-03-01', '2027-03-03', '教育', 10, 't'),
                        (2, 'yn-tax', '2027-03-01', '2027-03-03', '教育', 10, 't');",
            )
            .expect("rows");
        (dir, db)
    }

    /// Adds a digital loan in `status`, in `batch` if one is given.
    fn lend(conn: &Connection, status: LoanStatus, batch: Option<i64>) -> i64 {
        conn.execute(
            "INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
                requested_end, status, purpose, audience, reject_reason, batch_id,
                created_at, updated_at)
             VALUES ('film', 'yn-tax', 'digital', '2027-03-01', '2027-03-03', '2027-03-03',
                     ?1, '教育', 10, '不符合', ?2, 't', 't')",
            params![status.as_str(), batch],
        )
        .expect("loan");
        conn.last_insert_rowid()
    }

    fn rows(conn: &Connection, sql: &str) -> StateRows {
        conn.prepare(sql)
            .expect("statement")
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows")
    }

    /// The counts the triggers keep, those of states no loan is in left out, against
    /// a recount of the loans; and the figures read from them against counts of
    /// the loans.
    fn check(conn: &Connection, after: &str) {
        let kept = rows(
            conn,
            "SELECT status, batched, loans FROM loan_state_counts WHERE loans != 0 ORDER BY 1, 2",
        );
        let recounted = rows(
            conn,
            "SELECT status, batch_id IS NOT NULL, count(*) FROM loans GROUP BY 1, 2 ORDER BY 1, 2",
        );
        assert_eq!(kept, recounted, "after {after}");
        let count = |condition: &str| -> u64 {
            conn.query_row(
                &format!("SELECT count(*) FROM loans WHERE {condition}"),
                [],
                |r| r.get(0),
            )
            .expect("count")
        };
        let pending = "status IN ('requested', 'waitlisted')";
        let unbatched = format!("{pending} AND batch_id IS NULL");
        assert_eq!(pending_count(conn).ok(), Some(count(pending)), "{after}");
        assert_eq!(
            requested_count(conn).ok(),
            Some(count("status = 'requested'")),
            "{after}"
        );
        let librarian = Actor {
            user_id: Some(1),
            username: "lib".into(),
            unit: None,
            librarian: true,
            admin: false,
        };
        for (batches_apart, condition) in [(false, pending), (true, unbatched.as_str())] {
            let filter = TableFilter {
                batches_apart,
                ..TableFilter::default()
            };
            let today = jiff::civil::date(2027, 2, 1);
            let table = loan_table(conn, &librarian, &filter, today).expect("table");
            assert_eq!(table.total, count(condition), "{after}, {batches_apart}");
        }
    }

    /// Every way a loan changes: added in each state in and out of a batch, its state
    /// changed, moved into, between and out of batches, both at once, another column
    /// changed, removed.
    #[test]
    fn the_state_counts_follow_every_change_of_loans() {
        let (_dir, db) = library();
        let conn = db.get().expect("connection");
        check(&conn, "the migration");
        let mut ids = Vec::new();
        for (i, status) in LoanStatus::ALL.into_iter().enumerate() {
            ids.push(lend(&conn, status, None));
            ids.push(lend(&conn, status, Some(1 + i as i64 % 2)));
        }
        check(&conn, "new loans");
        let set = |sql: &str, id: i64| {
            conn.execute(sql, [id]).expect("update");
        };
        for (i, id) in ids.iter().enumerate() {
            let next = LoanStatus::ALL[(i / 2 + 1) % LoanStatus::ALL.len()];
            set(
                &format!(
                    "UPDATE loans SET status = '{}' WHERE id = ?1",
                    next.as_str()
                ),
                *id,
            );
        }
        check(&conn, "state changes");
        set("UPDATE loans SET batch_id = 2 WHERE id = ?1", ids[0]);
        set("UPDATE loans SET batch_id = 2 WHERE id = ?1", ids[1]);
        set("UPDATE loans SET batch_id = NULL WHERE id = ?1", ids[3]);
        check(&conn, "moves between batches");
        set(
            "UPDATE loans SET status = 'waitlisted', batch_id = NULL WHERE id = ?1",
            ids[5],
        );
        set(
            "UPDATE loans SET status = 'requested', batch_id = 1 WHERE id = ?1",
            ids[6],
        );
        set("UPDATE loans SET purpose = '学习' WHERE id = ?1", ids[7]);
        check(&conn, "a state and a batch at once");
        for id in ids.iter().step_by(3) {
            set("DELETE FROM loans WHERE id = ?1", *id);
        }
        check(&conn, "removals");
    }
}
