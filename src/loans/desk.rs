//! The circulation desk: the day's work with physical copies (copies to hand out in
//! their issue window, copies due back today, overdue copies), which copies of a
//! resource are out and with whom, the copies on the shelf the issue form offers, and
//! the loan slip (出借凭证) of a copy handed out.

use jiff::civil::Date;
use rusqlite::{Connection, params};

use super::LoanError;
use super::days::{add_days, parse_date};
use super::model::{Action, Actor, Format, Loan, LoanId, LoanStatus};
use super::read::view;
use super::settings::{LoanSettings, settings_of};
use super::store;
use crate::catalog::holdings;

/// A copy waiting to be handed out, and the first day it may be.
#[derive(Debug, Clone)]
pub struct Pickup {
    pub loan: Loan,
    pub from: Date,
}

/// The desk's day.
#[derive(Debug, Clone)]
pub struct DeskDay {
    pub today: Date,
    /// Approved physical loans whose issue window is open, by start date.
    pub pickups: Vec<Pickup>,
    /// Copies out whose loan ends today.
    pub due_today: Vec<Loan>,
    /// Copies out past their loan's end, longest overdue first.
    pub overdue: Vec<Loan>,
}

/// At most this many loans in each list of the day (a desk never has more).
const DAY_LIMIT: u32 = 500;

fn loans_where(
    conn: &Connection,
    actor: &Actor,
    condition: &str,
    values: impl rusqlite::Params,
    today: Date,
) -> Result<Vec<Loan>, LoanError> {
    let sql = format!(
        "SELECT {} FROM loans WHERE format = 'physical' AND {condition} LIMIT {DAY_LIMIT}",
        store::ROW_COLUMNS
    );
    let raw = {
        let mut stmt = conn.prepare_cached(&sql)?;
        stmt.query_map(values, store::row_from)?
            .collect::<Result<Vec<_>, _>>()?
    };
    raw.into_iter()
        .map(|raw| view(conn, &raw.parse()?, actor, today))
        .collect()
}

/// What the desk has to do on `today`, for librarians.
pub fn desk_day(conn: &Connection, actor: &Actor, today: Date) -> Result<DeskDay, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "查看今日出借与归还",
        });
    }
    let day = today.to_string();
    let default_lead = LoanSettings::default().issue_lead_days;
    // The window opens `issue_lead_days` before the start and closes after the end.
    let waiting = loans_where(
        conn,
        actor,
        "status = 'approved' AND end_date >= ?1
           AND date(start_date, '-' || coalesce(
                 (SELECT s.issue_lead_days FROM loan_settings s
                   WHERE s.resource_id = loans.resource_id), ?2) || ' days') <= ?1
         ORDER BY start_date, id",
        params![day, default_lead],
        today,
    )?;
    let mut pickups = Vec::with_capacity(waiting.len());
    for loan in waiting {
        let lead = settings_of(conn, &loan.resource_id)?.issue_lead_days;
        pickups.push(Pickup {
            from: add_days(loan.start, -i64::from(lead)),
            loan,
        });
    }
    let due_today = loans_where(
        conn,
        actor,
        "status = 'active' AND end_date = ?1 ORDER BY id",
        [&day],
        today,
    )?;
    let overdue = loans_where(
        conn,
        actor,
        "(status = 'overdue' OR (status = 'active' AND end_date < ?1)) ORDER BY end_date, id",
        [&day],
        today,
    )?;
    Ok(DeskDay {
        today,
        pickups,
        due_today,
        overdue,
    })
}

/// A copy that is out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyOut {
    pub barcode: String,
    /// The loan holding it, for those told the unit.
    pub loan: Option<LoanId>,
    /// The unit holding it, for librarians and for that unit's own people only.
    pub unit: Option<String>,
    pub unit_name: Option<String>,
    /// The loan's end: when the copy is due back.
    pub until: Date,
    pub overdue: bool,
}

/// The copies of a resource that are out, by barcode, for a page that shows the
/// resource to `actor`: which unit holds each, and its loan, is told to librarians
/// and to that unit only.
pub fn copies_out(
    conn: &Connection,
    actor: &Actor,
    resource_id: &str,
    today: Date,
) -> Result<Vec<CopyOut>, LoanError> {
    let rows: Vec<(i64, Option<i64>, String, String, String, String)> = {
        let mut stmt = conn.prepare_cached(
            "SELECT l.id, l.copy_id, l.unit_code, coalesce(u.name, ''), l.end_date, l.status
             FROM loans l LEFT JOIN units u ON u.code = l.unit_code
             WHERE l.resource_id = ?1 AND l.format = 'physical'
               AND l.status IN ('active', 'overdue') AND l.copy_id IS NOT NULL",
        )?;
        stmt.query_map([resource_id], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
                row.get(5)?,
            ))
        })?
        .collect::<Result<_, _>>()?
    };
    let mut out = Vec::with_capacity(rows.len());
    for (id, copy, unit, unit_name, end, status) in rows {
        let Some(barcode) = copy
            .map(|c| holdings::barcode(conn, c))
            .transpose()?
            .flatten()
        else {
            continue;
        };
        let until = parse_date("end", &end)?;
        let told = actor.sees_unit(&unit);
        out.push(CopyOut {
            barcode,
            loan: told.then_some(LoanId(id)),
            unit: told.then(|| unit.clone()),
            unit_name: told.then_some(unit_name),
            until,
            overdue: status == LoanStatus::Overdue.as_str() || until < today,
        });
    }
    out.sort_by(|a, b| a.barcode.cmp(&b.barcode));
    Ok(out)
}

/// The barcodes of a resource's copies on the shelf (in circulation and not out),
/// which the issue form offers.
pub fn shelf_copies(conn: &Connection, resource_id: &str) -> Result<Vec<String>, LoanError> {
    // Asked of each copy rather than of the resource's loans: the index of copies out
    // answers in one step, where the resource's loans are its whole history.
    let mut out = conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM loans WHERE copy_id = ?1
                          AND status IN ('active', 'overdue'))",
    )?;
    let mut shelf = Vec::new();
    for copy in holdings::copies_of(conn, resource_id)? {
        if copy.in_circulation && !out.query_row([copy.id], |row| row.get::<_, bool>(0))? {
            shelf.push(copy.barcode);
        }
    }
    Ok(shelf)
}

/// At most this many loans of each state in the list of copies to handle.
const HANDLE_LIMIT: u32 = 500;

/// Physical loans waiting to be handed out (approved) or checked in (active or
/// overdue), oldest first, for the librarian's queue: of the newest
/// [`HANDLE_LIMIT`] loans showing each of those states today, those the actor may
/// issue or return.
pub fn physical_to_handle(
    conn: &Connection,
    actor: &Actor,
    today: Date,
) -> Result<Vec<Loan>, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "查看待出借与待归还的实体拷贝",
        });
    }
    let can = |loan: &Loan, action: Action| loan.actions.contains(&action.as_str());
    let mut out = Vec::new();
    for shown in [
        LoanStatus::Approved,
        LoanStatus::Active,
        LoanStatus::Overdue,
    ] {
        // Our own words, so they may stand in the statement as they are.
        let stored = store::stored_states_showing(shown)
            .iter()
            .map(|s| format!("'{}'", s.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        // The first state condition is `loans_physical_open`'s own, which SQLite must
        // see word for word to read that index instead of every loan in these states.
        let sql = format!(
            "SELECT {} FROM loans
             WHERE format = 'physical' AND status IN ('approved', 'active', 'overdue')
               AND status IN ({stored})
             ORDER BY id DESC LIMIT {HANDLE_LIMIT}",
            store::ROW_COLUMNS
        );
        let raw = {
            let mut stmt = conn.prepare_cached(&sql)?;
            stmt.query_map([], store::row_from)?
                .collect::<Result<Vec<_>, _>>()?
        };
        for raw in raw {
            let loan = raw.parse()?;
            if store::status_on(&loan, today) != shown {
                continue;
            }
            let loan = view(conn, &loan, actor, today)?;
            if can(&loan, Action::Issue) || can(&loan, Action::Return) {
                out.push(loan);
            }
        }
    }
    out.sort_by_key(|l| l.id.0);
    Ok(out)
}

/// The loan a slip is printed for: a physical loan whose copy was handed out
/// (also after its return, to print it again). Librarians only.
pub fn slip(conn: &Connection, actor: &Actor, id: LoanId, today: Date) -> Result<Loan, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "打印出借凭证",
        });
    }
    let row = store::find(conn, id)?.ok_or(LoanError::NotFound(id))?;
    let loan = view(conn, &row, actor, today)?;
    if row.format == Format::Digital {
        return Err(LoanError::NoSlip {
            id,
            why: "这是数字借阅，没有实体拷贝".to_owned(),
        });
    }
    if row.copy_id.is_none() {
        return Err(LoanError::NoSlip {
            id,
            why: format!(
                "实体拷贝尚未出借（当前状态：{}），出借后才能打印",
                loan.status_label
            ),
        });
    }
    Ok(loan)
}
