//! The use cases called directly, as a third caller (a command, a background job)
//! would: each decides permission itself, writes its audit row in the transaction of
//! its change, and stamps everything with the moment it is given.

use jingshi::access::{self, AccessError, Purpose};
use jingshi::accounts::{self, AccountError, NewUser, Role};
use jingshi::actor::Actor;
use jingshi::catalog::CatalogError;
use jingshi::catalog::curation::{self, CurationCommand};
use jingshi::catalog::write::NewFile;
use jingshi::catalog::{ResourceId, ResourceInput};
use jingshi::clock::Moment;
use jingshi::content::Extraction;
use jingshi::loans::days::{DayKind, LibraryDay};
use jingshi::loans::{self, Command, LoanError, LoanId};
use serde_json::json;

use crate::common::TestApp;
use crate::common::lending::{MONDAY, day, lendable, requested, set_today};
use crate::common::process::{jingshi, open_db, query_i64};

/// Row counts of every table a refused use case could have touched.
fn snapshot(app: &TestApp) -> Vec<i64> {
    [
        "audit_log",
        "resources",
        "resource_history",
        "catalog_changes",
        "files",
        "library_days",
        "loan_settings",
        "units",
        "users",
        "loans",
        "notifications",
    ]
    .iter()
    .map(|table| app.count(&format!("SELECT count(*) FROM {table}")))
    .collect()
}

fn officer() -> Actor {
    Actor {
        user_id: None,
        username: "officer".into(),
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
    }
}

/// A librarian who is not an admin.
fn desk() -> Actor {
    Actor {
        librarian: true,
        ..officer()
    }
}

#[tokio::test]
async fn a_borrower_is_refused_every_librarian_use_case_and_nothing_is_written() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib").await;
    lendable(&librarian, "film", Some(1), 1).await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let loan = requested(&borrower, "film", "physical", &day(7), &day(9)).await;
    let loan = LoanId(loan["id"].as_i64().unwrap());
    let blob = {
        let source = app.data().join("note.txt");
        std::fs::write(&source, "警示教育笔记").unwrap();
        app.state.store.put_path(&source, "note.txt").unwrap()
    };
    let (officer, at) = (officer(), app.state.clock.moment());
    let film = || ResourceId::parse("film").unwrap();
    let before = snapshot(&app);
    let mut conn = app.state.db.get().unwrap();

    let create: ResourceInput =
        serde_json::from_value(json!({"kind": "video", "title": "新片"})).unwrap();
    let patch = serde_json::from_value(json!({"title": "改名"})).unwrap();
    for command in [
        CurationCommand::Create(create),
        CurationCommand::Update(film(), patch),
        CurationCommand::Publish(film()),
        CurationCommand::Withdraw(film()),
    ] {
        let refused = curation::curate(&mut conn, &officer, command, at);
        assert!(
            matches!(refused, Err(CatalogError::LibrariansOnly)),
            "{refused:?}"
        );
    }
    let file = NewFile {
        blob: &blob,
        original_name: "note.txt",
        extraction: &Extraction::NotApplicable,
        duration: None,
    };
    let refused = curation::attach_upload(&mut conn, &officer, &film(), file, at);
    assert!(
        matches!(refused, Err(CatalogError::LibrariansOnly)),
        "{refused:?}"
    );

    let holiday = LibraryDay {
        date: MONDAY,
        kind: DayKind::Holiday,
        name: "测试".into(),
    };
    let refused = loans::days::set_day(&mut conn, &officer, &holiday, at);
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );
    let refused = loans::days::remove_day(&mut conn, &officer, MONDAY, at);
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );
    let refused = loans::set_auto_approve(&mut conn, &officer, "film", true, at);
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );

    let reject = serde_json::from_value(json!({"reason": "不符合"})).unwrap();
    let moved = serde_json::from_value(json!({"start": day(8), "end": day(9)})).unwrap();
    let returned = serde_json::from_value(json!({"condition": "完好"})).unwrap();
    for command in [
        Command::Approve,
        Command::Reject(reject),
        Command::Issue(Default::default()),
        Command::Move(moved),
        // A physical copy comes back through the desk.
        Command::Return(returned),
    ] {
        let action = command.action();
        let refused = loans::act(&mut conn, &officer, loan, command, at);
        assert!(
            matches!(refused, Err(LoanError::LibrarianOnly { action: a }) if a == action),
            "{action:?}: {refused:?}"
        );
    }
    drop(conn);
    assert_eq!(snapshot(&app), before, "a refused use case wrote something");
}

#[tokio::test]
async fn only_admins_manage_units_and_accounts_and_a_refusal_writes_nothing() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    app.add_user("someone", &[Role::Borrower], Some("yn-tax"));
    let someone = app.count("SELECT id FROM users WHERE username = 'someone'");
    let at = app.state.clock.moment();
    let before = snapshot(&app);
    let mut conn = app.state.db.get().unwrap();
    for actor in [officer(), desk()] {
        let refused = accounts::create_unit(&mut conn, &actor, "new-unit", "新单位", "", at);
        assert!(
            matches!(refused, Err(AccountError::AdminsOnly)),
            "{refused:?}"
        );
        let user = NewUser {
            username: "intruder",
            password_hash: "x",
            roles: &[Role::Admin],
            unit: None,
            email: None,
        };
        let refused = accounts::create_user(&mut conn, &actor, &user, at);
        assert!(
            matches!(refused, Err(AccountError::AdminsOnly)),
            "{refused:?}"
        );
        let refused =
            accounts::users::reset_password(&mut conn, &actor, someone, "new-secret-1", at);
        assert!(
            matches!(refused, Err(AccountError::AdminsOnly)),
            "{refused:?}"
        );
        let refused = accounts::users::set_active(&mut conn, &actor, someone, false, at);
        assert!(
            matches!(refused, Err(AccountError::AdminsOnly)),
            "{refused:?}"
        );
    }
    drop(conn);
    assert_eq!(snapshot(&app), before);
}

/// Every row a use case writes carries the moment of the injected clock, and moving
/// the clock moves the stamps: nothing reads the system time behind its back.
#[tokio::test]
async fn everything_a_use_case_writes_is_stamped_with_the_clocks_moment() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib").await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let monday = Moment::noon_of(MONDAY).stamp();
    lendable(&librarian, "film", Some(1), 1).await;
    let loan = requested(&borrower, "film", "digital", &day(2), &day(4)).await;
    set_today(&app, 1);
    let tuesday = app.state.clock.moment().stamp();
    assert_ne!(tuesday, monday);
    let (status, body) = librarian
        .post_json(&format!("/api/v1/loans/{}/approve", loan["id"]), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let at = |sql: &str| -> Vec<String> {
        let conn = app.state.db.get().unwrap();
        let mut stmt = conn.prepare(sql).unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(
        at("SELECT created_at FROM resources WHERE id = 'film'"),
        std::slice::from_ref(&monday)
    );
    let history = at("SELECT at FROM resource_history WHERE resource_id = 'film'");
    assert!(
        !history.is_empty() && history.iter().all(|stamp| *stamp == monday),
        "{history:?}"
    );
    assert_eq!(
        at(
            "SELECT changed_at FROM catalog_changes WHERE resource_id = 'film' ORDER BY seq LIMIT 1"
        ),
        std::slice::from_ref(&monday)
    );
    assert_eq!(
        at("SELECT at FROM audit_log WHERE resource_id = 'film' ORDER BY id"),
        [
            monday.clone(),
            monday.clone(),
            monday.clone(),
            tuesday.clone()
        ],
        "created, limits lifted by the fixture, requested, approved"
    );
    assert_eq!(
        at("SELECT updated_at FROM loans"),
        std::slice::from_ref(&tuesday)
    );
    assert_eq!(at("SELECT created_at FROM notifications"), [tuesday]);
}

/// A change made at the command line is audited like one made in the browser.
#[tokio::test]
async fn the_command_line_audits_the_units_and_accounts_it_creates() {
    let app = TestApp::spawn().await;
    let data = app.stop().await;
    let status = jingshi(data.path())
        .args(["unit", "add", "--code", "cli-unit", "--name", "命令行单位"])
        .env("USER", "ops")
        .status()
        .unwrap();
    assert!(status.success());
    let status = jingshi(data.path())
        .args([
            "user",
            "add",
            "--username",
            "cli-officer",
            "--role",
            "borrower",
        ])
        .args(["--unit", "cli-unit", "--password", "long-enough-1"])
        .env("USER", "ops")
        .status()
        .unwrap();
    assert!(status.success());
    let conn = open_db(data.path());
    for (action, detail) in [
        ("unit_created", "cli-unit"),
        ("user_created", "cli-officer"),
    ] {
        let sql = format!(
            "SELECT count(*) FROM audit_log WHERE action = '{action}' AND detail = '{detail}'
               AND username = 'cli:ops'"
        );
        assert_eq!(query_i64(&conn, &sql), 1, "{action}");
    }
}

/// Hostile file ids (traversal, markup, a huge string) find nothing, through the use
/// case and over HTTP, and each attempt is still only a read.
#[tokio::test]
async fn hostile_file_ids_find_nothing_and_write_nothing() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let viewer = {
        let conn = app.state.db.get().unwrap();
        let id = conn
            .query_row("SELECT id FROM users WHERE username = 'officer'", [], |r| {
                r.get(0)
            })
            .unwrap();
        jingshi::accounts::sessions::load_user(&conn, id)
            .unwrap()
            .unwrap()
    };
    let huge = "f".repeat(100_000);
    let before = snapshot(&app);
    for hostile in [
        "../../content/jingshi.db",
        "f<script>x</sc",
        "%2e%2e%2f",
        huge.as_str(),
    ] {
        let conn = app.state.db.get().unwrap();
        let refused = access::open_file(
            &conn,
            &viewer,
            hostile,
            Purpose::Subtitles,
            app.state.clock.moment(),
        );
        assert!(matches!(refused, Err(AccessError::NotFound)), "{refused:?}");
    }
    for path in [
        "/api/v1/files/f<script>",
        "/api/v1/files/..%2F..%2Fcontent%2Fjingshi.db",
        "/subtitles/%3Cb%3E",
    ] {
        let response = borrower.get(path).await;
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(status, 404, "{path}: {body}");
        assert!(
            !body.contains("<script>") && !body.contains("<b>"),
            "{body}"
        );
    }
    assert_eq!(snapshot(&app), before);
}
