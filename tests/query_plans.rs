//! Every statement on the hot paths uses an index: the requests a unit and the
//! committee make all day (a loan request, an approval, a renewal, the home page,
//! `/loans`, a resource page, the queue, a resource's calendar, search for what is
//! available now, a lent PDF fetched with its loan's mark) are made over HTTP while the database records each distinct
//! statement it runs; then `EXPLAIN QUERY PLAN` of each must not scan the tables that
//! grow with history (`loans`, `notifications`, `audit_log`, `visits`).
//!
//! Its own test binary: the record is process-wide, so no other test may run beside it.

#![allow(clippy::unwrap_used, clippy::too_many_lines)]

mod common;

use std::collections::BTreeSet;

use common::TestApp;
use common::lending::{MONDAY, act_ok, day, lendable, request, requested, set_today};
use jingshi::db::observe;
use serde_json::json;

/// Tables whose rows accumulate for ever: a full scan of one grows with history.
const GROWING: [&str; 4] = ["loans", "notifications", "audit_log", "visits"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hot_statements_use_an_index() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("plans-librarian").await;
    let borrower = app.borrower("plans-tax", "yn-tax").await;
    let other = app.borrower("plans-customs", "kunming-customs").await;
    lendable(&librarian, "plans-film", Some(1), 1).await;
    let pdf = common::marking::pdf_pages(2, "plans");
    let (status, pdf) = common::web::upload(&librarian, "plans-film", "plans.pdf", pdf).await;
    assert_eq!(status, 201, "{pdf}");
    // History to look through: loans of several units in several states.
    let earlier = requested(&other, "plans-film", "digital", &day(1), &day(2)).await;
    act_ok(&librarian, &earlier, "approve", json!({})).await;

    observe::start_recording();
    walk_hot_paths(&app, &librarian, &borrower, &other).await;
    // A lent PDF fetched twice: the loan's mark made, then found.
    let pdf = format!("/api/v1/files/{}", pdf["id"].as_str().unwrap());
    for _ in 0..2 {
        assert_eq!(borrower.get(&pdf).await.status(), 200, "{pdf}");
    }
    let loan_marks = "SELECT count(*) FROM loan_marks WHERE loan_id IS NOT NULL";
    assert_eq!(
        app.count(loan_marks),
        1,
        "the fetch was stamped for the loan"
    );
    let recorded = observe::take_recorded();

    let conn = rusqlite::Connection::open(app.data().join("content/jingshi.db")).unwrap();
    let mut scans = Vec::new();
    let mut checked = 0;
    for tally in &recorded {
        let Some(plan) = plan_of(&conn, &tally.sql) else {
            continue;
        };
        checked += 1;
        for line in full_scans_of_growing_tables(&tally.sql, &plan) {
            if walks_open_rows_only(&conn, &line) {
                continue;
            }
            scans.push(format!(
                "{line}\n    in: {}\n    plan: {}",
                observe::one_line(&tally.sql),
                plan.join(" | ")
            ));
        }
    }
    assert!(
        checked >= 30,
        "the walk should run many distinct statements, it ran {checked}"
    );
    assert!(
        scans.is_empty(),
        "hot statements scan a growing table:\n{}",
        scans.join("\n")
    );
}

/// The day's work of a unit and of the committee, each request once or twice.
async fn walk_hot_paths(
    app: &TestApp,
    librarian: &common::Session,
    borrower: &common::Session,
    other: &common::Session,
) {
    let loan = requested(borrower, "plans-film", "digital", &day(3), &day(5)).await;
    let (status, waiting) = request(other, "plans-film", "digital", &day(3), &day(4)).await;
    assert_eq!(status, 201, "{waiting}");
    assert_eq!(waiting["status"], "waitlisted");
    for path in [
        "/api/v1/loans?status=requested",
        "/librarian/queue",
        "/librarian/resources/plans-film/calendar",
    ] {
        assert_eq!(librarian.get(path).await.status(), 200, "{path}");
    }
    act_ok(librarian, &loan, "approve", json!({})).await;
    let (status, body) = act_cancel(other, &waiting).await;
    assert_eq!(status, 200, "{body}");
    act_ok(borrower, &loan, "renew", json!({})).await;
    // The loan starts: a digital loan becomes active by itself.
    set_today(app, 3);
    for path in [
        "/",
        "/loans",
        "/resources/plans-film",
        "/resources/demo-video-official-car",
        "/search?q=%E5%8F%97%E8%B4%BF&available=1",
        "/api/v1/search?q=%E5%8F%97%E8%B4%BF&available=true",
        "/api/v1/loans",
    ] {
        assert_eq!(borrower.get(path).await.status(), 200, "{path}");
    }
}

async fn act_cancel(
    session: &common::Session,
    loan: &serde_json::Value,
) -> (u16, serde_json::Value) {
    common::lending::act(session, loan, "cancel", json!({})).await
}

/// The plan's lines, or None for statements that have none worth reading
/// (transactions, pragmas).
fn plan_of(conn: &rusqlite::Connection, sql: &str) -> Option<Vec<String>> {
    let head = sql.trim_start().to_ascii_uppercase();
    if !["SELECT", "WITH", "UPDATE", "DELETE", "INSERT"]
        .iter()
        .any(|verb| head.starts_with(verb))
    {
        return None;
    }
    let mut stmt = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
        .unwrap_or_else(|e| panic!("cannot explain {sql}: {e}"));
    // Unbound parameters plan as NULL; the plan depends on where they are, not on them.
    let nulls = vec![rusqlite::types::Null; stmt.parameter_count()];
    let lines = stmt
        .query_map(rusqlite::params_from_iter(nulls), |row| {
            row.get::<_, String>(3)
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    Some(lines)
}

/// Plan lines that walk a whole growing table (or a whole index of one), under its
/// name or an alias the statement gives it.
fn full_scans_of_growing_tables(sql: &str, plan: &[String]) -> Vec<String> {
    let names = growing_names(sql);
    plan.iter()
        .filter(|line| {
            line.strip_prefix("SCAN ").is_some_and(|rest| {
                let scanned = rest.split_whitespace().next().unwrap_or_default();
                names.contains(scanned)
            })
        })
        .cloned()
        .collect()
}

/// Whether a scan line walks a partial index that holds open rows only (loans not yet
/// finished, unread notifications): rows leave it as they finish, so its size follows
/// the lending in progress, not the history.
fn walks_open_rows_only(conn: &rusqlite::Connection, line: &str) -> bool {
    let Some(index) = line
        .split(" INDEX ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
    else {
        return false;
    };
    let sql: Option<String> = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?1",
            [index],
            |row| row.get(0),
        )
        .ok();
    let Some(condition) = sql
        .as_deref()
        .and_then(|sql| sql.split_once(" WHERE "))
        .map(|(_, c)| c)
    else {
        return false;
    };
    let finished = ["returned", "expired", "rejected", "cancelled"];
    (condition.contains("status") && !finished.iter().any(|state| condition.contains(state)))
        || condition.contains("read_at IS NULL")
}

/// The growing tables a statement names and the aliases it gives them.
fn growing_names(sql: &str) -> BTreeSet<String> {
    let words: Vec<&str> = sql
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut names: BTreeSet<String> = GROWING.iter().map(|t| (*t).to_owned()).collect();
    for (i, word) in words.iter().enumerate() {
        if GROWING.contains(word) {
            let alias = match words.get(i + 1) {
                Some(w) if w.eq_ignore_ascii_case("AS") => words.get(i + 2),
                other => other,
            };
            if let Some(alias) = alias {
                names.insert((*alias).to_owned());
            }
        }
    }
    names
}

#[test]
fn aliases_of_growing_tables_are_recognised() {
    let sql = "SELECT l.id FROM loans l JOIN resources r ON r.id = l.resource_id \
               LEFT JOIN notifications AS n ON n.loan_id = l.id";
    let names = growing_names(sql);
    assert!(names.contains("l") && names.contains("n") && names.contains("loans"));
    let plan = vec![
        "SCAN l".to_owned(),
        "SEARCH r USING INDEX sqlite_autoindex_resources_1 (id=?)".to_owned(),
        "SEARCH n USING INDEX notifications_dedupe (loan_id=?)".to_owned(),
    ];
    assert_eq!(full_scans_of_growing_tables(sql, &plan), vec!["SCAN l"]);
    let resources_only = vec!["SCAN r".to_owned()];
    assert!(full_scans_of_growing_tables(sql, &resources_only).is_empty());
}
