//! The marks table: a viewer's mark made once (the first fetch writes it, every later
//! fetch only reads it) and a mark found by its code.

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::code::random_code;
use super::{Mark, MarkError};
use crate::accounts::SessionUser;
use crate::clock::Moment;
use crate::loans::{self, LoanId};

/// Fresh codes tried when one is taken: one collision in 2^40 draws is already rare.
const CODE_TRIES: usize = 8;

const COLUMNS: &str = "code, loan_id, unit_code, user_id, resource_id, created_at";

/// The mark `viewer`'s copies of `resource_id` carry at `at`: the mark of the loan
/// that lends it to the viewer's unit today, or (librarians, open material) the mark
/// of the viewer's account. Made on first need; whether the viewer may read the
/// content at all is `access`'s decision, taken before.
pub fn mark_for(
    conn: &Connection,
    viewer: &SessionUser,
    resource_id: &str,
    at: Moment,
) -> Result<Mark, MarkError> {
    // A librarian's copy is the committee's own, whatever their unit borrowed.
    let loan = match &viewer.unit {
        Some(unit) if !viewer.is_librarian() => {
            loans::readable_loan(conn, unit, resource_id, at.today())?
        }
        _ => None,
    };
    let owner = Owner {
        loan,
        user_id: viewer.user_id,
        resource_id,
    };
    if let Some(mark) = owner.existing(conn)? {
        return Ok(mark);
    }
    for _ in 0..CODE_TRIES {
        // Ignored when another request made the mark meanwhile (or, rarely, when the
        // code is taken): the read after it tells which.
        conn.execute(
            "INSERT OR IGNORE INTO loan_marks
                 (code, loan_id, user_id, unit_code, resource_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                random_code(),
                loan.map(|id| id.0),
                viewer.user_id,
                viewer.unit,
                resource_id,
                at.stamp()
            ],
        )?;
        if let Some(mark) = owner.existing(conn)? {
            return Ok(mark);
        }
    }
    Err(MarkError::NoFreeCode(CODE_TRIES))
}

/// The mark with `code` (as stored: see [`super::canonical_code`]), for the tracer.
pub fn find_by_code(conn: &Connection, code: &str) -> Result<Option<Mark>, MarkError> {
    Ok(conn
        .prepare_cached(&format!("SELECT {COLUMNS} FROM loan_marks WHERE code = ?1"))?
        .query_row([code], mark_from_row)
        .optional()?)
}

/// Whose mark is wanted: a loan's, or an account's for one resource.
struct Owner<'a> {
    loan: Option<LoanId>,
    user_id: i64,
    resource_id: &'a str,
}

impl Owner<'_> {
    fn existing(&self, conn: &Connection) -> Result<Option<Mark>, MarkError> {
        let found = match self.loan {
            Some(loan) => conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM loan_marks WHERE loan_id = ?1"
                ))?
                .query_row([loan.0], mark_from_row),
            None => conn
                .prepare_cached(&format!(
                    "SELECT {COLUMNS} FROM loan_marks
                     WHERE user_id = ?1 AND resource_id = ?2 AND loan_id IS NULL"
                ))?
                .query_row(params![self.user_id, self.resource_id], mark_from_row),
        };
        Ok(found.optional()?)
    }
}

fn mark_from_row(row: &Row<'_>) -> rusqlite::Result<Mark> {
    Ok(Mark {
        code: row.get(0)?,
        loan_id: row.get::<_, Option<i64>>(1)?.map(LoanId),
        unit_code: row.get(2)?,
        user_id: row.get(3)?,
        resource_id: row.get(4)?,
        created_at: row.get(5)?,
    })
}

#[cfg(test)]
mod tests;
