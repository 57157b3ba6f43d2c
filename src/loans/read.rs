//! Reading loans: one loan as shown, a unit's (or everyone's) loans, the librarian's
//! queue with conflicts and suggestions, and what the file access check and the
//! search index need to know.

use jiff::civil::Date;
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;

use super::LoanError;
use super::capacity;
use super::days::{OpeningDays, parse_date};
use super::model::{
    Action, Actor, Format, HELD_FROM_SQL, HOLDING_SQL, LENT_SQL, Loan, LoanId, LoanStatus, Period,
    Report,
};
use super::store::{self, LoanRow};
use super::transitions::{MAX_RENEWALS, available_actions};
use crate::catalog::holdings;

/// The loan as the API shows it to `actor`, in its state as of `today`.
pub(crate) fn view(
    conn: &Connection,
    loan: &LoanRow,
    actor: &Actor,
    today: Date,
) -> Result<Loan, LoanError> {
    let status = store::status_on(loan, today);
    let details = details(conn, loan.id)?;
    // The title, its status and the copy's barcode are the catalogue's.
    let resource = holdings::lendable(conn, &loan.resource_id)?;
    let resource_withdrawn = resource.as_ref().is_some_and(|r| r.status == "withdrawn");
    let title = resource.map(|r| r.title).unwrap_or_default();
    let barcode = match loan.copy_id {
        Some(copy) => holdings::barcode(conn, copy)?,
        None => None,
    };
    let (queue_position, earliest_free) = if loan.status == LoanStatus::Waitlisted {
        (
            Some(queue_position(conn, loan)?),
            earliest_free(conn, loan, today)?,
        )
    } else {
        (None, None)
    };
    let report = report_of(&details)?;
    let mut actions = available_actions(actor, status, loan.format);
    // A recalled loan is wanted back, and a withdrawn resource's loans run to their
    // end: neither is offered a renewal (nor a second recall).
    // Nor is one offered with none left, though the state would allow it.
    if loan.recalled || resource_withdrawn || loan.renewals >= MAX_RENEWALS {
        actions.retain(|a| *a != Action::Renew.as_str());
    }
    if loan.recalled {
        actions.retain(|a| *a != Action::Recall.as_str());
    }
    Ok(Loan {
        id: loan.id,
        resource_id: loan.resource_id.clone(),
        resource_title: title,
        unit: loan.unit.clone(),
        unit_name: details.unit_name,
        format: loan.format,
        format_label: loan.format.label(),
        start: loan.start,
        end: loan.end,
        requested_end: loan.requested_end,
        status,
        status_label: status.label(),
        queue_position,
        earliest_free,
        purpose: details.purpose,
        audience: details.audience,
        renewals: loan.renewals,
        renewals_left: MAX_RENEWALS.saturating_sub(loan.renewals),
        barcode,
        issued_at: details.issued_at,
        issued_by: details.issued_by.filter(|name| !name.is_empty()),
        reject_reason: details.reject_reason,
        cancel_reason: details.cancel_reason,
        recalled_at: details.recalled_at,
        recall_reason: details.recall_reason,
        resource_withdrawn,
        return_condition: details.return_condition,
        returned_on: details
            .returned_on
            .as_deref()
            .map(|d| parse_date("returned_on", d))
            .transpose()?,
        report,
        requested_by: details.requested_by,
        created_at: details.created_at,
        updated_at: details.updated_at,
        actions,
        batch_id: details.batch_id,
    })
}

/// What the loan row leaves to other tables: the unit's name and the report.
fn details(conn: &Connection, id: LoanId) -> Result<Details, LoanError> {
    Ok(conn.query_row(
        "SELECT coalesce(u.name, ''), l.purpose, l.audience, l.reject_reason,
                l.return_condition, l.returned_on, l.requested_by_name, l.created_at, l.updated_at,
                p.held_on, p.participants, p.feedback, p.reported_by, p.reported_at,
                l.issued_at, l.issued_by_name, l.cancel_reason, l.recalled_at, l.recall_reason,
                p.sessions, l.batch_id
         FROM loans l
         LEFT JOIN units u ON u.code = l.unit_code
         LEFT JOIN loan_reports p ON p.loan_id = l.id
         WHERE l.id = ?1",
        [id.0],
        |row| {
            Ok(Details {
                unit_name: row.get(0)?,
                purpose: row.get(1)?,
                audience: row.get(2)?,
                reject_reason: row.get(3)?,
                return_condition: row.get(4)?,
                returned_on: row.get(5)?,
                requested_by: row.get(6)?,
                created_at: row.get(7)?,
                updated_at: row.get(8)?,
                held_on: row.get(9)?,
                participants: row.get(10)?,
                feedback: row.get(11)?,
                reported_by: row.get(12)?,
                reported_at: row.get(13)?,
                issued_at: row.get(14)?,
                issued_by: row.get(15)?,
                cancel_reason: row.get(16)?,
                recalled_at: row.get(17)?,
                recall_reason: row.get(18)?,
                sessions: row.get(19)?,
                batch_id: row.get(20)?,
            })
        },
    )?)
}

fn report_of(details: &Details) -> Result<Option<Report>, LoanError> {
    Ok(match (&details.held_on, details.participants) {
        (Some(held_on), Some(participants)) => Some(Report {
            held_on: parse_date("held_on", held_on)?,
            sessions: details.sessions.unwrap_or(1),
            participants,
            feedback: details.feedback.clone().unwrap_or_default(),
            reported_by: details.reported_by.clone().unwrap_or_default(),
            reported_at: details.reported_at.clone().unwrap_or_default(),
        }),
        _ => None,
    })
}

struct Details {
    unit_name: String,
    purpose: String,
    audience: u32,
    reject_reason: Option<String>,
    return_condition: Option<String>,
    returned_on: Option<String>,
    requested_by: String,
    created_at: String,
    updated_at: String,
    held_on: Option<String>,
    participants: Option<u32>,
    feedback: Option<String>,
    reported_by: Option<String>,
    reported_at: Option<String>,
    issued_at: Option<String>,
    issued_by: Option<String>,
    cancel_reason: Option<String>,
    recalled_at: Option<String>,
    recall_reason: Option<String>,
    sessions: Option<u32>,
    batch_id: Option<i64>,
}

/// 1 + the waitlisted requests that arrived earlier for the same resource, format
/// and at least one of the same days.
fn queue_position(conn: &Connection, loan: &LoanRow) -> Result<u32, LoanError> {
    let ahead: u32 = conn.query_row(
        "SELECT count(*) FROM loans WHERE resource_id = ?1 AND format = ?2 AND status = 'waitlisted'
           AND id < ?3 AND start_date <= ?5 AND end_date >= ?4",
        params![
            loan.resource_id,
            loan.format.as_str(),
            loan.id.0,
            loan.start.to_string(),
            loan.end.to_string()
        ],
        |row| row.get(0),
    )?;
    Ok(ahead + 1)
}

/// The earliest period of the loan's length, from its start (or today) on, that fits.
fn earliest_free(
    conn: &Connection,
    loan: &LoanRow,
    today: Date,
) -> Result<Option<Period>, LoanError> {
    let days = OpeningDays::load(conn)?;
    let period = Period {
        start: loan.start,
        end: loan.requested_end.max(loan.start),
    };
    capacity::suggest(
        conn,
        &loan.resource_id,
        loan.format,
        period,
        loan.start.max(today),
        Some(loan.id),
        |d| days.next_open(d),
    )
}

/// One loan, if the actor may see it.
pub fn get(conn: &Connection, actor: &Actor, id: LoanId, today: Date) -> Result<Loan, LoanError> {
    let loan = store::find_visible(conn, id, actor)?;
    view(conn, &loan, actor, today)
}

/// Filters of `GET /api/v1/loans`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct LoanFilter {
    pub status: Option<String>,
    pub unit: Option<String>,
    pub resource_id: Option<String>,
    pub format: Option<String>,
    pub limit: Option<u32>,
    /// Only loans with a smaller id: the next page of this newest-first list starts
    /// below the last id of the page before.
    pub before: Option<i64>,
}

/// Loans newest first: a borrower's own unit's only (asking for another unit is
/// refused), any unit's for librarians.
pub fn list(
    conn: &Connection,
    actor: &Actor,
    filter: &LoanFilter,
    today: Date,
) -> Result<Vec<Loan>, LoanError> {
    let named_unit = filter
        .unit
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty());
    let unit = if actor.librarian {
        named_unit.map(str::to_owned)
    } else {
        let own = actor.unit.clone().ok_or(LoanError::OtherUnit)?;
        if named_unit.is_some_and(|u| u != own) {
            return Err(LoanError::OtherUnit);
        }
        Some(own)
    };
    let status = filter
        .status
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(LoanStatus::parse)
        .transpose()?;
    let format = filter
        .format
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(Format::parse)
        .transpose()?;
    // Only the filters given go into the statement: `?1 IS NULL OR …` would keep
    // SQLite from using an index, and a poll for the few requested loans walked them all.
    let mut conditions: Vec<&str> = Vec::new();
    let mut values: Vec<SqlValue> = Vec::new();
    let mut condition = |sql, value: SqlValue| {
        conditions.push(sql);
        values.push(value);
    };
    let unit_and_state = unit.is_some() && status.is_some();
    if let Some(unit) = unit {
        condition("unit_code = ?", unit.into());
    }
    if let Some(status) = status {
        // The stored states that may show as the asked one today.
        let states = store::stored_states_showing(status).iter();
        let states = serde_json::Value::from(states.map(|s| s.as_str()).collect::<Vec<_>>());
        condition(
            "status IN (SELECT value FROM json_each(?))",
            states.to_string().into(),
        );
    }
    if let Some(resource) = filter
        .resource_id
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
    {
        condition("resource_id = ?", resource.to_owned().into());
    }
    if let Some(format) = format {
        condition("format = ?", format.as_str().to_owned().into());
    }
    if let Some(before) = filter.before {
        condition("id < ?", before.into());
    }
    values.push(i64::from(filter.limit.unwrap_or(200).clamp(1, 1000)).into());
    let sql = newest_first_sql(&conditions, unit_and_state);
    let rows = {
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(rusqlite::params_from_iter(values), store::row_from)?
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut loans = Vec::with_capacity(rows.len());
    for raw in rows {
        let loan = raw.parse()?;
        // Filter on the state as shown, which the date may have moved on.
        if status.is_none_or(|s| store::status_on(&loan, today) == s) {
            loans.push(view(conn, &loan, actor, today)?);
        }
    }
    Ok(loans)
}

/// The statement of [`list`] for `conditions` (joined by AND), newest first;
/// `unit_and_state` when they name both a unit and a state.
fn newest_first_sql(conditions: &[&str], unit_and_state: bool) -> String {
    // A unit's loans newest first walk `loans_unit_newest` and stop at the limit; with a
    // state too, the unit's loans in that state are few, and `loans_unit` finds them
    // directly (SQLite, without statistics, would walk every loan of the unit instead).
    format!(
        "SELECT {} FROM loans {} WHERE {} ORDER BY id DESC LIMIT ?",
        store::ROW_COLUMNS,
        if unit_and_state {
            "INDEXED BY loans_unit"
        } else {
            ""
        },
        if conditions.is_empty() {
            "1".to_owned()
        } else {
            conditions.join(" AND ")
        }
    )
}

/// Whether `unit` holds a digital loan of the resource that is active on `today`.
/// An approved loan whose period has begun counts too: the background task turns
/// it active within a minute, and access should not wait for it.
pub fn unit_has_active_loan(
    conn: &Connection,
    unit: &str,
    resource_id: &str,
    today: Date,
) -> Result<bool, LoanError> {
    let day = today.to_string();
    Ok(conn
        .query_row(
            "SELECT 1 FROM loans WHERE unit_code = ?1 AND resource_id = ?2 AND format = 'digital'
               AND status IN ('approved', 'active') AND start_date <= ?3 AND end_date >= ?3 LIMIT 1",
            params![unit, resource_id, day],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The loan that lends the resource's content to `unit` on `today` (the one
/// [`unit_has_active_loan`] finds), the earliest made when several overlap, so a
/// unit's copies of one day carry one mark.
pub fn readable_loan(
    conn: &Connection,
    unit: &str,
    resource_id: &str,
    today: Date,
) -> Result<Option<LoanId>, LoanError> {
    let day = today.to_string();
    Ok(conn
        .prepare_cached(
            // The resource's digital loans begun by today and not finished, across
            // units: as many as are lent today (capacity), however many are booked
            // ahead or a unit has open (before: the unit's open loans of the resource,
            // thousands when one unit books far ahead).
            "SELECT id FROM loans INDEXED BY loans_capacity
             WHERE resource_id = ?2 AND format = 'digital'
               AND status IN ('approved', 'active') AND start_date <= ?3
               AND end_date >= ?3 AND unit_code = ?1
             ORDER BY id LIMIT 1",
        )?
        .query_row(params![unit, resource_id, day], |row| {
            row.get(0).map(LoanId)
        })
        .optional()?)
}

/// How often a resource was lent (approved or later), for the most-borrowed sort.
pub fn borrow_count(conn: &Connection, resource_id: &str) -> rusqlite::Result<u64> {
    conn.query_row(
        &format!("SELECT count(*) FROM loans WHERE resource_id = ?1 AND status IN {LENT_SQL}"),
        [resource_id],
        |row| row.get(0),
    )
}

/// The resources with no copy and no licence free on `day`: those whose licences (if
/// limited) and copies in circulation are all held by loans covering the day, and
/// those that have neither. Search judges "available now" by this at query time.
pub fn unavailable_on(conn: &Connection, day: Date) -> Result<Vec<String>, LoanError> {
    let held: Vec<(String, u32, u32)> = {
        let mut stmt = conn.prepare_cached(&format!(
            // Named: without statistics SQLite would take the state index, which
            // holds every booking to come.
            "SELECT resource_id, sum(format = 'digital'), sum(format = 'physical')
             FROM loans INDEXED BY loans_holding
             WHERE status IN {HOLDING_SQL} AND end_date >= ?1 AND {HELD_FROM_SQL} <= ?1
             GROUP BY resource_id"
        ))?;
        stmt.query_map([day.to_string()], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })?
        .collect::<Result<_, _>>()?
    };
    let ids: Vec<&str> = held.iter().map(|(id, ..)| id.as_str()).collect();
    let capacity = holdings::capacities(conn, &ids)?;
    let mut out = holdings::without_capacity(conn)?;
    for (id, digital, physical) in &held {
        if let Some(cap) = capacity.get(id) {
            let digital_full = cap.licences.is_some_and(|n| *digital >= n);
            if digital_full && *physical >= cap.copies {
                out.push(id.clone());
            }
        }
    }
    Ok(out)
}

/// The units with a loan whose period overlaps `from..=to` and that was not refused
/// or given up: requested, waitlisted, approved, active, overdue or returned. A unit
/// in this set has booked material for those days (the holiday reminders ask only
/// the others).
pub fn units_with_loans_between(
    conn: &Connection,
    from: Date,
    to: Date,
) -> Result<std::collections::HashSet<String>, LoanError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT unit_code FROM loans
         WHERE status IN ('requested', 'waitlisted', 'approved', 'active', 'overdue', 'returned')
           AND start_date <= ?2 AND end_date >= ?1",
    )?;
    let units = stmt
        .query_map(params![from.to_string(), to.to_string()], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(units)
}
