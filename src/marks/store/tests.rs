//! Marks on a real database: one per loan, one per account without a loan.

use jiff::civil::date;
use rusqlite::{Connection, params};

use super::*;
use crate::accounts::{NewUser, Role, create_unit, create_user};
use crate::actor::Actor;

const TODAY: jiff::civil::Date = date(2026, 12, 1);

fn library() -> (tempfile::TempDir, crate::db::Database) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
    let mut conn = db.get().expect("connection");
    let (operator, at) = (Actor::operator("test"), Moment::noon_of(TODAY));
    for code in ["u1", "u2", "u3"] {
        create_unit(&mut conn, &operator, code, code, "", at).expect("unit");
    }
    let input = serde_json::json!({"id": "r1", "kind": "confession", "title": "忏悔录",
        "access": "loan", "status": "published"});
    let create = crate::catalog::curation::CurationCommand::Create(
        serde_json::from_value(input).expect("input"),
    );
    crate::catalog::curation::curate(&mut conn, &operator, create, at).expect("resource");
    for unit in ["u1", "u2"] {
        lend(&conn, unit, "2026-11-30", "2026-12-03");
    }
    drop(conn);
    (dir, db)
}

fn lend(conn: &Connection, unit: &str, start: &str, end: &str) -> i64 {
    conn.execute(
        "INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
            requested_end, status, purpose, audience, created_at, updated_at)
         VALUES ('r1', ?1, 'digital', ?2, ?3, ?3, 'active', '警示教育', 10, '', '')",
        params![unit, start, end],
    )
    .expect("loan");
    conn.last_insert_rowid()
}

fn person(conn: &mut Connection, name: &str, role: Role, unit: Option<&str>) -> SessionUser {
    let user_id = create_user(
        conn,
        &Actor::operator("test"),
        &NewUser {
            username: name,
            password_hash: crate::accounts::users::NO_PASSWORD,
            roles: &[role],
            unit,
            email: None,
        },
        Moment::noon_of(TODAY),
    )
    .expect("user");
    crate::accounts::sessions::load_user(conn, user_id)
        .expect("load")
        .expect("active")
}

fn marks(conn: &Connection) -> i64 {
    conn.query_row("SELECT count(*) FROM loan_marks", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn one_loan_one_code_whoever_reads_and_however_often() {
    let (_dir, db) = library();
    let mut conn = db.get().expect("connection");
    let first = person(&mut conn, "a1", Role::Borrower, Some("u1"));
    let second = person(&mut conn, "a2", Role::Borrower, Some("u1"));
    let at = Moment::noon_of(TODAY);
    let mark = mark_for(&conn, &first, "r1", at).expect("mark");
    assert!(mark.loan_id.is_some());
    assert_eq!(mark.unit_code.as_deref(), Some("u1"));
    assert_eq!(mark.user_id, first.user_id);
    // The next day of the same loan, another reader of the unit: the same mark.
    let tomorrow = Moment::noon_of(date(2026, 12, 2));
    assert_eq!(
        mark_for(&conn, &second, "r1", tomorrow).expect("again"),
        mark
    );
    assert_eq!(mark_for(&conn, &first, "r1", at).expect("again"), mark);
    assert_eq!(marks(&conn), 1, "one row per loan, not per fetch");
    assert_eq!(find_by_code(&conn, &mark.code).expect("find"), Some(mark));
}

#[test]
fn another_unit_and_another_loan_get_another_code() {
    let (_dir, db) = library();
    let mut conn = db.get().expect("connection");
    let one = person(&mut conn, "b1", Role::Borrower, Some("u1"));
    let two = person(&mut conn, "b2", Role::Borrower, Some("u2"));
    let at = Moment::noon_of(TODAY);
    let mark_one = mark_for(&conn, &one, "r1", at).expect("u1");
    let mark_two = mark_for(&conn, &two, "r1", at).expect("u2");
    assert_ne!(mark_one.code, mark_two.code);
    assert_ne!(mark_one.loan_id, mark_two.loan_id);
    // u1's next loan of the resource is another loan: another mark.
    let later = lend(&conn, "u1", "2026-12-10", "2026-12-12");
    let then = mark_for(&conn, &one, "r1", Moment::noon_of(date(2026, 12, 11))).expect("later");
    assert_eq!(then.loan_id.map(|id| id.0), Some(later));
    assert_ne!(then.code, mark_one.code);
}

#[test]
fn a_librarian_and_a_reader_without_a_loan_get_their_own_code() {
    let (_dir, db) = library();
    let mut conn = db.get().expect("connection");
    let librarian = person(&mut conn, "lib", Role::Librarian, None);
    let colleague = person(&mut conn, "lib2", Role::Librarian, None);
    let outsider = person(&mut conn, "c3", Role::Borrower, Some("u3"));
    let at = Moment::noon_of(TODAY);
    let own = mark_for(&conn, &librarian, "r1", at).expect("librarian");
    assert_eq!((own.loan_id, own.unit_code.as_deref()), (None, None));
    assert_eq!(own.user_id, librarian.user_id);
    assert_eq!(mark_for(&conn, &librarian, "r1", at).expect("again"), own);
    assert_ne!(
        mark_for(&conn, &colleague, "r1", at).expect("2").code,
        own.code
    );
    let open = mark_for(&conn, &outsider, "r1", at).expect("no loan");
    assert_eq!(
        (open.loan_id, open.unit_code.as_deref()),
        (None, Some("u3"))
    );
    assert_eq!(marks(&conn), 3);
    assert_eq!(
        own.label(TODAY),
        format!("JS-{} u{:04} 2026-12-01", own.code, own.user_id)
    );
    assert_eq!(open.label(TODAY), format!("JS-{} u3 2026-12-01", open.code));
}

#[test]
fn unknown_codes_find_nothing() {
    let (_dir, db) = library();
    let conn = db.get().expect("connection");
    assert_eq!(find_by_code(&conn, "00000000").expect("find"), None);
    assert_eq!(find_by_code(&conn, "' OR 1=1 --").expect("find"), None);
}
