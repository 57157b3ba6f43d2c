//! The use tables the triggers keep agree with the loans they summarise, and the
//! short way to the recommendations (same-sector material only) answers what the
//! long way over the whole catalogue answers.

use rusqlite::{Connection, params};

use super::*;
use crate::actor::Actor;
use crate::clock::Moment;

const LENT: &str = "('approved', 'active', 'returned', 'expired', 'overdue')";

type UnitRows = Vec<(String, String, i64, i64, i64, i64)>;
type SectorRows = Vec<(String, String, i64, i64, i64, bool)>;

fn catalogue(resources: usize) -> (tempfile::TempDir, crate::db::Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
    let mut conn = db.get().expect("connection");
    let (operator, at) = (
        Actor::operator("test"),
        Moment::noon_of(jiff::civil::date(2026, 5, 1)),
    );
    for (code, sector) in [
        ("tax-a", "税务"),
        ("tax-b", "税务"),
        ("tax-c", "税务"),
        ("bank", "金融"),
    ] {
        crate::accounts::create_unit(&mut conn, &operator, code, code, sector, at).expect("unit");
    }
    for i in 0..resources {
        let sectors = if i % 3 == 0 {
            vec!["税务", "金融"]
        } else {
            vec!["税务"]
        };
        let input = serde_json::json!({"id": format!("r{i:02}"), "kind": "case",
            "title": format!("案例 {i:02}"), "sectors": sectors, "status": "published", "date": format!("2020-01-{:02}", 1 + i % 28)});
        let input = serde_json::from_value(input).expect("input");
        let create = crate::catalog::curation::CurationCommand::Create(input);
        crate::catalog::curation::curate(&mut conn, &operator, create, at).expect("resource");
    }
    drop(conn);
    (dir, db)
}

fn lend(conn: &Connection, unit: &str, resource: &str, status: &str) -> i64 {
    conn.execute(
        "INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
            requested_end, status, purpose, audience, created_at, updated_at, reject_reason)
         VALUES (?1, ?2, 'digital', '2026-05-04', '2026-05-06', '2026-05-06', ?3, '测试', 10, '', '',
                 CASE WHEN ?3 = 'rejected' THEN '不符合' END)",
        params![resource, unit, status],
    )
    .expect("loan");
    conn.last_insert_rowid()
}

fn unit_rows(conn: &Connection, sql: &str) -> UnitRows {
    conn.prepare(sql)
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

fn sector_rows(conn: &Connection, sql: &str) -> SectorRows {
    conn.prepare(sql)
        .unwrap()
        .query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
            ))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap()
}

/// The tables as the migration's backfill would compute them from the loans now.
fn recomputed(conn: &Connection) -> (UnitRows, SectorRows) {
    let units = unit_rows(
        conn,
        &format!(
            "SELECT l.unit_code, l.resource_id, sum(l.status NOT IN ('rejected', 'cancelled')),
                    sum(l.status IN {LENT}), count(r.loan_id), coalesce(sum(r.participants), 0)
               FROM loans l LEFT JOIN loan_reports r ON r.loan_id = l.id
              GROUP BY 1, 2 ORDER BY 1, 2"
        ),
    );
    let sectors = sector_rows(
        conn,
        &format!(
            "SELECT u.sector, l.resource_id, count(DISTINCT l.unit_code), count(r.loan_id),
                    coalesce(sum(r.participants), 0),
                    EXISTS (SELECT 1 FROM resource_labels x WHERE x.resource_id = l.resource_id
                             AND x.facet = 'sector' AND x.value = u.sector)
               FROM loans l JOIN units u ON u.code = l.unit_code
               LEFT JOIN loan_reports r ON r.loan_id = l.id
              WHERE l.status IN {LENT} AND u.sector != ''
              GROUP BY 1, 2 ORDER BY 1, 2"
        ),
    );
    (units, sectors)
}

/// The tables as the triggers kept them (rows of nothing left out).
fn kept(conn: &Connection) -> (UnitRows, SectorRows) {
    let units = unit_rows(
        conn,
        "SELECT unit_code, resource_id, asked, lent, reports, participants FROM resource_use
          WHERE asked != 0 OR lent != 0 OR reports != 0 OR participants != 0
             OR (unit_code, resource_id) IN (SELECT unit_code, resource_id FROM loans)
          ORDER BY 1, 2",
    );
    let sectors = sector_rows(
        conn,
        "SELECT sector, resource_id, units, reports, participants, labelled FROM sector_use
          WHERE units != 0 OR reports != 0 OR participants != 0 ORDER BY 1, 2",
    );
    (units, sectors)
}

#[test]
fn the_use_tables_follow_every_change_of_loans_reports_and_sectors() {
    let (_dir, db) = catalogue(4);
    let conn = db.get().unwrap();
    let check = |what: &str| assert_eq!(kept(&conn), recomputed(&conn), "after {what}");
    let a = lend(&conn, "tax-a", "r00", "requested");
    let b = lend(&conn, "tax-b", "r00", "returned");
    let c = lend(&conn, "tax-b", "r00", "expired");
    lend(&conn, "bank", "r01", "rejected");
    let d = lend(&conn, "bank", "r00", "active");
    check("new loans");
    conn.execute("UPDATE loans SET status = 'approved' WHERE id = ?1", [a])
        .unwrap();
    conn.execute("UPDATE loans SET status = 'cancelled' WHERE id = ?1", [d])
        .unwrap();
    check("state changes");
    for (loan, people) in [(b, 30), (c, 12)] {
        conn.execute(
            "INSERT INTO loan_reports (loan_id, held_on, participants, reported_by, reported_at)
             VALUES (?1, '2026-05-05', ?2, 'x', '')",
            params![loan, people],
        )
        .unwrap();
    }
    conn.execute(
        "UPDATE loan_reports SET participants = 40 WHERE loan_id = ?1",
        [b],
    )
    .unwrap();
    check("reports");
    conn.execute("DELETE FROM loan_reports WHERE loan_id = ?1", [c])
        .unwrap();
    conn.execute("DELETE FROM loans WHERE id = ?1", [c])
        .unwrap();
    check("removals");
    conn.execute("UPDATE units SET sector = '金融' WHERE code = 'tax-b'", [])
        .unwrap();
    check("a unit changing sector");
    conn.execute("UPDATE units SET sector = '' WHERE code = 'tax-b'", [])
        .unwrap();
    check("a unit leaving its sector");
    lend(&conn, "bank", "r01", "returned");
    check("material borrowed from another sector");
    let label = |sql: &str| conn.execute(sql, []).unwrap();
    label(
        "INSERT INTO resource_labels (resource_id, facet, position, value)
         VALUES ('r01', 'sector', 5, '金融')",
    );
    check("a sector label added");
    label("DELETE FROM resource_labels WHERE resource_id = 'r00' AND value = '税务'");
    check("a sector label removed");
    label("UPDATE resource_labels SET value = '交通' WHERE resource_id = 'r01' AND value = '金融'");
    check("a sector label changed");
    label("UPDATE resource_labels SET value = '金融' WHERE resource_id = 'r01' AND value = '交通'");
    label("DELETE FROM resources WHERE id = 'r02'");
    check("a label changed back and a resource removed");
}

#[test]
fn the_short_way_answers_what_the_whole_catalogue_answers() {
    let (_dir, db) = catalogue(14);
    let conn = db.get().unwrap();
    let mut reported = Vec::new();
    for (unit, resource, status) in [
        ("tax-b", "r03", "returned"),
        ("tax-c", "r03", "active"),
        ("tax-b", "r05", "expired"),
        ("tax-a", "r07", "approved"),
        ("tax-c", "r09", "rejected"),
        ("bank", "r11", "returned"),
        // Ties on units, broken by reports, participants, sector count and date.
        ("tax-b", "r01", "returned"),
        ("tax-b", "r02", "returned"),
        ("tax-c", "r04", "returned"),
        ("tax-c", "r06", "expired"),
        ("tax-b", "r08", "returned"),
        // Used by the sector but no longer published, or not labelled with it.
        ("tax-b", "r10", "returned"),
        ("tax-c", "r13", "returned"),
    ] {
        reported.push(lend(&conn, unit, resource, status));
    }
    for (at, people) in [(6, 25), (7, 25), (8, 9), (11, 40), (12, 40)] {
        conn.execute(
            "INSERT INTO loan_reports (loan_id, held_on, participants, reported_by, reported_at)
             VALUES (?1, '2026-05-05', ?2, 'x', '')",
            params![reported[at], people],
        )
        .unwrap();
    }
    conn.execute(
        "UPDATE resources SET status = 'withdrawn' WHERE id = 'r10'",
        [],
    )
    .unwrap();
    conn.execute(
        "UPDATE resource_labels SET value = '金融' WHERE resource_id = 'r13' AND facet = 'sector'",
        [],
    )
    .unwrap();
    for limit in [1, 2, 3, 4, 5, 6, 7, 12, 13, 20] {
        for exclude in [None, Some("r03"), Some("r00")] {
            let short = for_unit(&conn, "tax-a", limit, exclude).unwrap();
            let long = rank_whole_catalogue(&conn, "tax-a", limit, exclude).unwrap();
            let ids = |found: &[Recommendation]| {
                found
                    .iter()
                    .map(|r| (r.id.clone(), r.detail.clone()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(
                ids(&short),
                ids(&long),
                "limit {limit}, leaving out {exclude:?}"
            );
            assert!(short.iter().all(|r| r.id != "r07"), "asked for already");
        }
    }
    let first = for_unit(&conn, "tax-a", 1, None).unwrap();
    assert_eq!(first[0].id, "r03", "two peers used it: {first:?}");
    assert!(
        first[0].detail.contains("2 个同类单位借阅过"),
        "{}",
        first[0].detail
    );
}
