//! The figures agree with a straightforward recomputation from the loans and reports
//! themselves, on varied data: loans in every state over two years, asked for ahead,
//! reports held weeks after the loan starts, periods that cut months in half, and
//! units with no activity at all.

use jiff::civil::{Date, date};
use rusqlite::{Connection, params};

use super::*;
use crate::actor::Actor;
use crate::clock::Moment;
use crate::loans::LoanStatus;

const UNITS: [&str; 6] = ["u0", "u1", "u2", "u3", "u4", "u5"];
const KINDS: [&str; 4] = ["video", "case", "confession", "textbook"];
const VIOLATIONS: [&str; 5] = ["受贿", "贪污", "挪用公款", "违反八项规定", "失职渎职"];
const LENT_SQL: &str = "('approved', 'active', 'returned', 'expired', 'overdue')";

/// The `n`th of a fixed scatter of numbers below `below` (splitmix64's finaliser):
/// varied data that is the same on every run.
fn scatter(n: u64, below: u64) -> u64 {
    let mut z = n.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    (z ^ (z >> 31)) % below
}

fn plus_days(day: Date, days: i64) -> Date {
    day.checked_add(jiff::Span::new().days(days)).expect("date")
}

/// A loan as the workflow would have left it, written directly: history to count.
fn add_loan(conn: &Connection, resource: &str, unit: &str, start: Date, status: &str, made: &str) {
    conn.execute(
        "INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
            requested_end, status, purpose, audience, created_at, updated_at, reject_reason)
         VALUES (?1, ?2, 'digital', ?3, ?3, ?3, ?4, '测试', 10, ?5, ?5,
                 CASE WHEN ?4 = 'rejected' THEN '不符合' END)",
        params![resource, unit, start.to_string(), status, made],
    )
    .expect("loan");
}

fn library(resources: usize) -> (tempfile::TempDir, crate::db::Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
    let mut conn = db.get().expect("connection");
    let (operator, at) = (Actor::operator("test"), Moment::noon_of(date(2024, 1, 2)));
    for (i, code) in UNITS.iter().enumerate() {
        let sector = ["税务", "金融", ""][i % 3];
        crate::accounts::create_unit(&mut conn, &operator, code, code, sector, at).expect("unit");
    }
    for i in 0..resources {
        let violations: Vec<&str> = (0..i % 4).map(|v| VIOLATIONS[(i + v) % 5]).collect();
        let input = serde_json::json!({"id": format!("r{i:02}"), "kind": KINDS[i % 4],
            "title": format!("资料 {i:02}"), "violations": violations, "status": "published"});
        let input = serde_json::from_value(input).expect("input");
        let create = crate::catalog::curation::CurationCommand::Create(input);
        crate::catalog::curation::curate(&mut conn, &operator, create, at).expect("resource");
    }
    drop(conn);
    (dir, db)
}

/// Loans of units u0–u3 over 2025 and 2026 in every state, some reported on; u4 only
/// asks (in March 2025) for a loan starting a year later; u5 does nothing.
fn history(conn: &Connection, resources: u64) {
    let mut drawn = 0u64;
    let mut rng = |below: u64| {
        drawn += 1;
        scatter(drawn, below)
    };
    let statuses = LoanStatus::ALL;
    for n in 0..400 {
        let unit = if n == 0 { "u4" } else { UNITS[rng(4) as usize] };
        let start = if n == 0 {
            date(2026, 3, 20)
        } else {
            plus_days(date(2025, 1, 1), rng(730) as i64)
        };
        let made = if n == 0 {
            date(2025, 3, 1)
        } else {
            plus_days(start, -(rng(40) as i64))
        };
        let status = statuses[rng(statuses.len() as u64) as usize].as_str();
        let resource = format!("r{:02}", rng(resources));
        let made = format!("{made}T{:02}:30:00Z", rng(24));
        add_loan(conn, &resource, unit, start, status, &made);
        if LENT_SQL.contains(&format!("'{status}'")) && rng(3) > 0 {
            let held = plus_days(start, rng(45) as i64);
            conn.execute(
                "INSERT INTO loan_reports (loan_id, held_on, participants, sessions,
                    reported_by, reported_at) VALUES (?1, ?2, ?3, ?4, 'test', '')",
                params![
                    conn.last_insert_rowid(),
                    held.to_string(),
                    rng(60),
                    1 + rng(2)
                ],
            )
            .expect("report");
        }
    }
}

fn count(conn: &Connection, sql: &str, values: &[&dyn rusqlite::ToSql]) -> u64 {
    conn.query_row(sql, values, |r| r.get::<_, i64>(0))
        .map(|n| n as u64)
        .expect("count")
}

fn texts(conn: &Connection, sql: &str, values: &[&dyn rusqlite::ToSql]) -> Vec<String> {
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map(values, |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The material a unit used in the period, as a SQL set.
fn used_sql() -> String {
    format!(
        "SELECT resource_id FROM loans WHERE unit_code = ?1 AND start_date BETWEEN ?2 AND ?3
            AND status IN {LENT_SQL}
         UNION SELECT l.resource_id FROM loan_reports r JOIN loans l ON l.id = r.loan_id
          WHERE l.unit_code = ?1 AND r.held_on BETWEEN ?2 AND ?3"
    )
}

/// One unit's figures, each counted from the rows by its definition (SPEC §6).
fn recount(conn: &Connection, unit: &str, period: &StatsPeriod) -> UnitStats {
    let (from, to) = period.bounds();
    let (made_from, made_before) = period.moment_bounds();
    let p: [&dyn rusqlite::ToSql; 3] = [&unit, &from, &to];
    let started = "FROM loans WHERE unit_code = ?1 AND start_date BETWEEN ?2 AND ?3";
    let reported = "FROM loan_reports r JOIN loans l ON l.id = r.loan_id
                    WHERE l.unit_code = ?1 AND r.held_on BETWEEN ?2 AND ?3";
    let days =
        format!("(SELECT max(r.sessions) s, max(r.participants) p {reported} GROUP BY r.held_on)");
    let asked = count(
        conn,
        "SELECT count(*) FROM loans WHERE unit_code = ?1 AND created_at >= ?2 AND created_at < ?3",
        &[&unit, &made_from, &made_before],
    );
    let kinds = texts(
        conn,
        &format!(
            "SELECT DISTINCT kind FROM resources WHERE id IN ({})",
            used_sql()
        ),
        &p,
    );
    let mut stats = UnitStats {
        requests: count(conn, &format!("SELECT count(*) {started}"), &p),
        loans: count(
            conn,
            &format!("SELECT count(*) {started} AND status IN {LENT_SQL}"),
            &p,
        ),
        reports: count(conn, &format!("SELECT count(*) {reported}"), &p),
        sessions: count(conn, &format!("SELECT coalesce(sum(s), 0) FROM {days}"), &p),
        participants: count(conn, &format!("SELECT coalesce(sum(p), 0) FROM {days}"), &p),
        kinds: KINDS
            .iter()
            .filter(|k| kinds.iter().any(|f| f == *k))
            .map(|k| (*k).to_owned())
            .collect(),
        violations: texts(
            conn,
            &format!(
                "SELECT value FROM resource_labels WHERE facet = 'violation'
                  AND resource_id IN ({}) GROUP BY value ORDER BY count(*) DESC, value",
                used_sql()
            ),
            &p,
        ),
        ..UnitStats::default()
    };
    stats.gap = stats.requests == 0 && stats.reports == 0 && asked == 0;
    stats
}

/// The periods compared: whole years, months cut in half, one day, before any loan.
fn periods() -> Vec<StatsPeriod> {
    [
        ("2025-01-01", "2025-12-31"),
        ("2025-03-15", "2025-06-10"),
        ("2026-02-01", "2026-02-28"),
        ("2025-07-04", "2025-07-04"),
        ("2024-06-01", "2025-01-31"),
        ("2025-11-20", "2026-12-31"),
        ("2023-01-01", "2024-12-31"),
    ]
    .into_iter()
    .map(|(from, to)| StatsPeriod::parse(Some(from), Some(to), date(2026, 5, 1)).expect("period"))
    .collect()
}

#[test]
fn unit_figures_match_a_recount_from_the_rows() {
    let (_dir, db) = library(24);
    let conn = db.get().expect("connection");
    history(&conn, 24);
    let mut gaps = 0;
    for period in periods() {
        for scope in [
            Scope::All,
            Scope::Unit("u1".into()),
            Scope::Unit("u4".into()),
        ] {
            let report = units_report(&conn, period, &scope).expect("report");
            for unit in &report.units {
                let expected = recount(&conn, &unit.code, &period);
                let found = (
                    unit.requests,
                    unit.loans,
                    unit.reports,
                    unit.sessions,
                    unit.participants,
                );
                let wanted = (
                    expected.requests,
                    expected.loans,
                    expected.reports,
                    expected.sessions,
                    expected.participants,
                );
                assert_eq!(found, wanted, "{} in {period:?}", unit.code);
                assert_eq!(unit.kinds, expected.kinds, "{} in {period:?}", unit.code);
                assert_eq!(
                    unit.violations, expected.violations,
                    "{} in {period:?}",
                    unit.code
                );
                assert_eq!(unit.gap, expected.gap, "{} in {period:?}", unit.code);
                gaps += usize::from(unit.gap);
            }
        }
    }
    assert!(gaps > 7, "the data should hold gaps to tell apart: {gaps}");
}

#[test]
fn material_figures_match_a_recount_from_the_rows() {
    let (_dir, db) = library(24);
    let conn = db.get().expect("connection");
    history(&conn, 24);
    for period in periods() {
        // The whole ranking, before a viewer's lists are cut to what they may see.
        let overview = super::figures::figures(&conn, period, &Scope::All).expect("figures");
        let (from, to) = period.bounds();
        for kind in &overview.by_kind {
            let p: [&dyn rusqlite::ToSql; 3] = [&kind.kind, &from, &to];
            let lent = count(
                &conn,
                &format!(
                    "SELECT count(*) FROM loans l JOIN resources r ON r.id = l.resource_id
                WHERE r.kind = ?1 AND l.start_date BETWEEN ?2 AND ?3 AND l.status IN {LENT_SQL}"
                ),
                &p,
            );
            let reported = "FROM loan_reports x JOIN loans l ON l.id = x.loan_id JOIN resources r ON r.id = l.resource_id
                WHERE r.kind = ?1 AND x.held_on BETWEEN ?2 AND ?3";
            let reports = count(&conn, &format!("SELECT count(*) {reported}"), &p);
            let participants = count(
                &conn,
                &format!("SELECT coalesce(sum(x.participants), 0) {reported}"),
                &p,
            );
            assert_eq!(
                (kind.loans, kind.reports, kind.participants),
                (lent, reports, participants),
                "{} in {period:?}",
                kind.kind
            );
        }
        for used in &overview.top_resources {
            let p: [&dyn rusqlite::ToSql; 3] = [&used.id, &from, &to];
            let lent = count(
                &conn,
                &format!(
                    "SELECT count(*) FROM loans WHERE resource_id = ?1
                AND start_date BETWEEN ?2 AND ?3 AND status IN {LENT_SQL}"
                ),
                &p,
            );
            let units = count(&conn, &format!("SELECT count(DISTINCT unit_code) FROM loans l WHERE resource_id = ?1
                AND (start_date BETWEEN ?2 AND ?3 AND status IN {LENT_SQL}
                     OR EXISTS (SELECT 1 FROM loan_reports x WHERE x.loan_id = l.id AND x.held_on BETWEEN ?2 AND ?3))"), &p);
            assert_eq!(
                (used.loans, used.units),
                (lent, units),
                "{} in {period:?}",
                used.id
            );
        }
        let ranks: Vec<(u64, u64, u64)> = overview
            .top_resources
            .iter()
            .map(|r| (r.loans, r.reports, r.participants))
            .collect();
        assert!(ranks.windows(2).all(|w| w[0] >= w[1]), "{ranks:?}");
    }
}

/// The figures keep the catalogue between reports (issue 22); a resource added, or
/// one whose kind or violation types change, must show in the next report.
#[test]
fn figures_follow_the_catalogue_as_it_changes() {
    use crate::catalog::curation::{CurationCommand, curate};
    let (_dir, db) = library(24);
    let mut conn = db.get().expect("connection");
    history(&conn, 24);
    let period = periods()[0];
    let agrees_with_a_recount = |conn: &Connection| {
        let report = units_report(conn, period, &Scope::All).expect("report");
        for unit in &report.units {
            let expected = recount(conn, &unit.code, &period);
            assert_eq!(unit.kinds, expected.kinds, "{}", unit.code);
            assert_eq!(unit.violations, expected.violations, "{}", unit.code);
        }
        report
    };
    agrees_with_a_recount(&conn);

    let (operator, at) = (Actor::operator("test"), Moment::noon_of(date(2026, 5, 1)));
    let patch = serde_json::json!({"kind": "textbook", "violations": ["新增类型"]});
    let id = crate::catalog::ResourceId::parse("r01").expect("id");
    let update = CurationCommand::Update(id, serde_json::from_value(patch).expect("patch"));
    curate(&mut conn, &operator, update, at).expect("update");
    let input = serde_json::json!({"id": "r24", "kind": "case", "title": "新资料",
        "violations": ["另一类型"], "status": "published"});
    let create = CurationCommand::Create(serde_json::from_value(input).expect("input"));
    curate(&mut conn, &operator, create, at).expect("create");
    let start = date(2025, 5, 5);
    add_loan(
        &conn,
        "r24",
        "u5",
        start,
        "returned",
        "2025-05-01T09:00:00Z",
    );

    let report = agrees_with_a_recount(&conn);
    let newcomer = report.units.iter().find(|u| u.code == "u5").expect("u5");
    assert_eq!(newcomer.kinds, ["case"]);
    assert_eq!(newcomer.violations, ["另一类型"]);
    assert!(
        report
            .units
            .iter()
            .any(|u| u.violations.iter().any(|v| v == "新增类型")),
        "r01's new violation type should be counted"
    );
}

/// The loans pass hands its rows to a second thread in batches (`started.rs`): a
/// history of several batches counts every loan once, whatever batch it falls in.
#[test]
fn figures_agree_over_several_batches_of_loans() {
    let (_dir, db) = library(24);
    let mut conn = db.get().expect("connection");
    let tx = conn.transaction().expect("transaction");
    for n in 0..10_000u64 {
        let start = plus_days(date(2025, 1, 1), scatter(n, 365) as i64);
        let status = LoanStatus::ALL[scatter(n + 1, LoanStatus::ALL.len() as u64) as usize];
        let resource = format!("r{:02}", scatter(n + 2, 24));
        let unit = UNITS[scatter(n + 3, 4) as usize];
        add_loan(
            &tx,
            &resource,
            unit,
            start,
            status.as_str(),
            &format!("{start}T08:00:00Z"),
        );
    }
    tx.commit().expect("commit");
    let period = periods()[0];
    let report = units_report(&conn, period, &Scope::All).expect("report");
    for unit in &report.units {
        let expected = recount(&conn, &unit.code, &period);
        assert_eq!(
            (unit.requests, unit.loans, &unit.kinds),
            (expected.requests, expected.loans, &expected.kinds),
            "{}",
            unit.code
        );
    }
    assert_eq!(report.totals.requests, 10_000);
}
