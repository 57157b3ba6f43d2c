//! Loan fixtures shared by the loan test modules: a fixed Monday and days around it,
//! a lendable resource, requests and actions over the API, and the capacity check
//! every concurrency test ends with.

use jiff::civil::{Date, date};
use serde_json::{Value, json};

use super::{Session, TestApp};

/// Monday 1 March 2027: "today" in most tests.
pub const MONDAY: Date = date(2027, 3, 1);

pub fn day(offset: i64) -> String {
    MONDAY
        .checked_add(jiff::Span::new().days(offset))
        .unwrap()
        .to_string()
}

pub fn set_today(app: &TestApp, offset: i64) {
    app.state
        .clock
        .set_date(MONDAY.checked_add(jiff::Span::new().days(offset)).unwrap());
}

/// A published `loan` resource with the given licences (None: unlimited) and copies.
pub async fn lendable(librarian: &Session, id: &str, licences: Option<u32>, copies: u32) -> Value {
    lendable_titled(librarian, id, &format!("测试警示片 {id}"), licences, copies).await
}

/// [`lendable`] with a chosen title (for tests that look for it in pages or mail).
pub async fn lendable_titled(
    librarian: &Session,
    id: &str,
    title: &str,
    licences: Option<u32>,
    copies: u32,
) -> Value {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "video", "title": title,
                    "access": "loan", "status": "published",
                    "licences": licences, "copies": copies}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    lift_unit_limits(librarian, id).await;
    body
}

/// Lifts `resource`'s per-unit limits to their ceilings (1000 open loans, 92 days).
/// The loan fixtures test capacity, the waitlist and the transitions, often with one
/// unit queueing against itself; they were written before these limits (issue 14),
/// which `hostile_loans` tests on their defaults.
pub async fn lift_unit_limits(librarian: &Session, resource: &str) {
    let (status, body) = librarian
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/resources/{resource}/loan-settings"),
            &json!({"max_open_per_unit": 1000, "max_days_digital": 92, "max_days_physical": 92}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

pub async fn request(
    session: &Session,
    resource: &str,
    format: &str,
    start: &str,
    end: &str,
) -> (u16, Value) {
    session
        .post_json(
            "/api/v1/loans",
            &json!({"resource_id": resource, "format": format, "start": start, "end": end,
                    "purpose": "专题警示教育大会", "audience": 120}),
        )
        .await
}

pub async fn requested(
    session: &Session,
    resource: &str,
    format: &str,
    start: &str,
    end: &str,
) -> Value {
    let (status, body) = request(session, resource, format, start, end).await;
    assert_eq!(status, 201, "{body}");
    body
}

pub async fn act(session: &Session, loan: &Value, action: &str, body: Value) -> (u16, Value) {
    session
        .post_json(&format!("/api/v1/loans/{}/{action}", loan["id"]), &body)
        .await
}

pub async fn act_ok(session: &Session, loan: &Value, action: &str, body: Value) -> Value {
    let (status, answer) = act(session, loan, action, body).await;
    assert_eq!(status, 200, "{action}: {answer}");
    answer
}

pub async fn show(session: &Session, loan: &Value) -> Value {
    let (status, body) = session
        .get_json(&format!("/api/v1/loans/{}", loan["id"]))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub fn barcodes(resource: &Value) -> Vec<String> {
    resource["holdings"]["copies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["barcode"].as_str().unwrap().to_owned())
        .collect()
}

/// A loan's id, resource, format, start, end, licences and copies in circulation.
pub type LoanCapacityRow = (i64, String, String, String, String, Option<i64>, i64);

/// Checks in the database that no day of any loan carries more holding loans
/// than the capacity, for every resource and format.
pub fn assert_never_over_capacity(app: &TestApp) {
    let conn = app.state.db.get().unwrap();
    let mut stmt = conn
        .prepare(
            "SELECT l.id, l.resource_id, l.format, l.start_date, l.end_date, r.licences,
                    (SELECT count(*) FROM copies c WHERE c.resource_id = l.resource_id AND c.in_circulation = 1)
             FROM loans l JOIN resources r ON r.id = l.resource_id",
        )
        .unwrap();
    let loans: Vec<LoanCapacityRow> = stmt
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
            ))
        })
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    // A check over no loans, or only unlimited ones, would prove nothing.
    assert!(!loans.is_empty(), "no loans to check");
    let mut days_checked = 0;
    for (id, resource, format, start, end, licences, copies) in &loans {
        let capacity = if format == "digital" {
            *licences
        } else {
            Some(*copies)
        };
        let Some(capacity) = capacity else { continue };
        let (start, end): (Date, Date) = (start.parse().unwrap(), end.parse().unwrap());
        let mut d = start;
        while d <= end {
            let used: i64 = conn
                .query_row(
                    "SELECT count(*) FROM loans WHERE resource_id = ?1 AND format = ?2
                       AND status IN ('requested', 'approved', 'active', 'overdue')
                       AND start_date <= ?3 AND end_date >= ?3",
                    rusqlite::params![resource, format, d.to_string()],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(
                used <= capacity,
                "loan {id}: {used} loans on {d} > {capacity}"
            );
            let approved: i64 = conn
                .query_row(
                    "SELECT count(*) FROM loans WHERE resource_id = ?1 AND format = ?2
                       AND status IN ('approved', 'active', 'overdue')
                       AND start_date <= ?3 AND end_date >= ?3",
                    rusqlite::params![resource, format, d.to_string()],
                    |r| r.get(0),
                )
                .unwrap();
            assert!(approved <= capacity);
            days_checked += 1;
            d = d.tomorrow().unwrap();
        }
    }
    assert!(days_checked > 0, "no loan had a limited capacity");
}

/// A loan of `borrower` for the period, approved by `librarian`: `active` if it is
/// digital and starts today, else `approved`. Answers the approval.
pub async fn approved(
    librarian: &Session,
    borrower: &Session,
    resource: &str,
    format: &str,
    start: &str,
    end: &str,
) -> Value {
    let loan = requested(borrower, resource, format, start, end).await;
    assert_eq!(loan["status"], "requested", "{loan}");
    act_ok(librarian, &loan, "approve", json!({})).await
}

/// A physical loan of `borrower` for the period, approved and issued with the copy
/// `barcode` by `librarian`: `active`. Answers the issue.
pub async fn issued(
    librarian: &Session,
    borrower: &Session,
    resource: &str,
    start: &str,
    end: &str,
    barcode: &str,
) -> Value {
    let loan = approved(librarian, borrower, resource, "physical", start, end).await;
    act_ok(librarian, &loan, "issue", json!({"barcode": barcode})).await
}

/// A loan's status and queue position, as the waitlist promises compare them.
pub fn queue_place(loan: &Value) -> (Option<&str>, Option<u64>) {
    (loan["status"].as_str(), loan["queue_position"].as_u64())
}

/// The five demo units the concurrency tests spread their requests over.
pub const FIVE_UNITS: [&str; 5] = [
    "yn-tax",
    "kunming-customs",
    "yn-tobacco",
    "yn-finance",
    "yn-grain",
];

/// One signed-in borrower `officer{i}` for each of `units`, shareable across tasks.
pub async fn borrower_per_unit(app: &TestApp, units: &[&str]) -> Vec<std::sync::Arc<Session>> {
    let mut borrowers = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        borrowers.push(std::sync::Arc::new(
            app.borrower(&format!("officer{i}"), unit).await,
        ));
    }
    borrowers
}

/// A signed-in librarian `lib` and one signed-in borrower in each of three units
/// (yn-tax, kunming-customs, yn-grain), in the order the waitlist tests queue them.
pub async fn librarian_and_three_units(app: &TestApp) -> (Session, [Session; 3]) {
    let lib = app.librarian("lib").await;
    let borrowers = [
        app.borrower("officer-yn-tax", "yn-tax").await,
        app.borrower("officer-kunming-customs", "kunming-customs")
            .await,
        app.borrower("officer-yn-grain", "yn-grain").await,
    ];
    (lib, borrowers)
}

/// The notifications of `session`'s unit as `(kind, message)`, newest first.
pub async fn notifications(session: &Session) -> Vec<(String, String)> {
    let (status, body) = session.get_json("/api/v1/notifications").await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
