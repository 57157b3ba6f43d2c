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

/// The physical loans the queue page shows: the most urgent few, and how many are
/// open in all (the desk page and the loan table list them all).
#[derive(Debug, Clone, Default)]
pub struct CopiesToHandle {
    /// Overdue copies (longest overdue first), then copies out (due back soonest
    /// first), then copies to hand out (oldest loan first).
    pub loans: Vec<Loan>,
    /// Physical loans approved, out or overdue.
    pub open: u64,
}

/// What the queue shows first: copies overdue, then copies out, then copies to hand
/// out.
const URGENCY: [LoanStatus; 3] = [
    LoanStatus::Overdue,
    LoanStatus::Active,
    LoanStatus::Approved,
];

/// Physical loans waiting to be handed out (approved) or checked in (active or
/// overdue) that the actor may issue or return: the `limit` most urgent, and the
/// count of open physical loans. The copies out are walked by end date and the
/// copies to hand out by loan, each only until `limit` are found, so the cost follows
/// the rows shown, not the loans open.
pub fn physical_to_handle(
    conn: &Connection,
    actor: &Actor,
    today: Date,
    limit: usize,
) -> Result<CopiesToHandle, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "查看待出借与待归还的实体拷贝",
        });
    }
    let mut found = Vec::new();
    // The state conditions are the partial indexes' own, which SQLite must see word
    // for word: `loans_physical_due` orders the copies out by end date (overdue ones
    // first), `loans_physical_open` the approved loans by id.
    let walks = [
        "loans INDEXED BY loans_physical_due
         WHERE format = 'physical' AND status IN ('active', 'overdue')
         ORDER BY end_date, id",
        "loans WHERE format = 'physical' AND status IN ('approved', 'active', 'overdue')
           AND status = 'approved'
         ORDER BY id",
    ];
    let mut taken = [0usize; URGENCY.len()];
    for (w, walk) in walks.into_iter().enumerate() {
        // When this walk can add nothing to what is shown: the copies out once the
        // overdue ones fill the list or the due ones have `limit` (in date order, no
        // overdue copy comes after a due one); the approved once they have `limit`.
        let done = |taken: &[usize; 3]| match w {
            0 => taken[0] >= limit || taken[1] >= limit,
            _ => taken[0] + taken[1] >= limit || taken[2] >= limit,
        };
        if done(&taken) {
            continue;
        }
        let sql = format!("SELECT {} FROM {walk}", store::ROW_COLUMNS);
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let raw = store::row_from(row)?.parse()?;
            let shown = store::status_on(&raw, today);
            let Some(u) = URGENCY.iter().position(|&s| s == shown) else {
                continue;
            };
            if taken[u] >= limit {
                continue;
            }
            let loan = view(conn, &raw, actor, today)?;
            let can = |action: Action| loan.actions.contains(&action.as_str());
            if can(Action::Issue) || can(Action::Return) {
                taken[u] += 1;
                found.push((u, found.len(), loan));
                if done(&taken) {
                    break;
                }
            }
        }
    }
    // By urgency, then in the order each walk found them.
    found.sort_by_key(|(u, order, _)| (*u, *order));
    let loans: Vec<Loan> = found.into_iter().map(|(_, _, l)| l).take(limit).collect();
    let open: i64 = conn
        .prepare_cached(
            "SELECT count(*) FROM loans
             WHERE format = 'physical' AND status IN ('approved', 'active', 'overdue')",
        )?
        .query_row([], |row| row.get(0))?;
    Ok(CopiesToHandle {
        loans,
        open: u64::try_from(open).unwrap_or(0),
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A database with one film on the shelf in 40 copies.
    fn library() -> (tempfile::TempDir, crate::db::Database) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
        let conn = db.get().expect("connection");
        conn.execute_batch(
            "INSERT INTO units (code, name, created_at) VALUES ('yn-tax', '税务局', 't');
             INSERT INTO resources (id, kind, title, created_at, updated_at)
                    VALUES ('film', 'video', '警示片', 't', 't');",
        )
        .expect("rows");
        for copy in 1..=40 {
            conn.execute(
                "INSERT INTO copies (id, resource_id, barcode) VALUES (?1, 'film', ?2)",
                params![copy, format!("F-{copy}")],
            )
            .expect("copy");
        }
        (dir, db)
    }

    /// Adds a physical loan in `status` from `start` to `end`, with copy `copy` out.
    fn lend(conn: &Connection, status: &str, start: &str, end: &str, copy: Option<i64>) -> i64 {
        conn.execute(
            "INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
                requested_end, status, purpose, audience, copy_id, created_at, updated_at)
             VALUES ('film', 'yn-tax', 'physical', ?2, ?3, ?3, ?1, '教育', 10, ?4, 't', 't')",
            params![status, start, end, copy],
        )
        .expect("loan");
        conn.last_insert_rowid()
    }

    #[test]
    fn the_queue_shows_the_most_urgent_copies_first_and_counts_the_rest() {
        let (_dir, db) = library();
        let conn = db.get().expect("connection");
        let today = jiff::civil::date(2027, 3, 10);
        let actor = |unit: Option<&str>, librarian| Actor {
            user_id: None,
            username: "desk".to_owned(),
            unit: unit.map(str::to_owned),
            librarian,
            admin: false,
        };
        let librarian = actor(None, true);
        // Twelve copies to hand out from today, one approved for months ahead (listed
        // too: its form says from when it may go out), then copies out: four due later, three overdue (two as
        // stored, one whose end passed before the sweep wrote it).
        let mut pickups: Vec<i64> = (0..12)
            .map(|_| lend(&conn, "approved", "2027-03-10", "2027-03-12", None))
            .collect();
        pickups.push(lend(&conn, "approved", "2027-09-01", "2027-09-03", None));
        let out: Vec<i64> = (1..=4)
            .map(|c| {
                lend(
                    &conn,
                    "active",
                    "2027-03-08",
                    &format!("2027-03-{}", 24 - c),
                    Some(c),
                )
            })
            .collect();
        let stale = lend(&conn, "active", "2027-03-01", "2027-03-05", Some(5));
        let overdue: Vec<i64> = (6..=7)
            .map(|c| lend(&conn, "overdue", "2027-03-01", "2027-03-04", Some(c)))
            .collect();
        lend(&conn, "returned", "2027-03-01", "2027-03-04", None);

        let ids = |limit| -> Vec<i64> {
            let handled = physical_to_handle(&conn, &librarian, today, limit).expect("list");
            assert_eq!(handled.open, 20, "every open physical loan counted");
            handled.loans.iter().map(|l| l.id.0).collect()
        };
        // Longest overdue first (the two ended on the 4th, the stale one on the 5th),
        // then due back soonest (the later copies end sooner), then the oldest
        // approvals.
        let mut expected = overdue.clone();
        expected.push(stale);
        expected.extend(out.iter().rev());
        expected.extend(&pickups);
        for limit in [1, 3, 5, 8, 19, 20, 30] {
            let shown = ids(limit);
            assert_eq!(
                shown,
                expected[..limit.min(expected.len())],
                "limit {limit}"
            );
        }

        let borrower = actor(Some("yn-tax"), false);
        assert!(matches!(
            physical_to_handle(&conn, &borrower, today, 5),
            Err(LoanError::LibrariansOnly { .. })
        ));
    }
}
