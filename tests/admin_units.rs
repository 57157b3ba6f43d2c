//! Units in the browser (issue 15): an admin creates a unit with its liaison, edits
//! it, deactivates it (its accounts are signed out and can neither sign in nor
//! borrow; its history stays) and reactivates it. Who may reach `/admin/` at all:
//! every admin page and form answers 403 to a borrower and to a librarian who is not
//! an admin, and sends a visitor to sign in.

use jingshi::accounts::units::{self, UnitInput};
use jingshi::accounts::{AccountError, Liaison, Role};
use jingshi::actor::Actor;
use serde_json::json;

use crate::common::admin::{csrf, escaped, post_with_token, sign_in_answer};
use crate::common::lending::lendable;
use crate::common::web::{no_redirects, page};
use crate::common::{TestApp, USER_PASSWORD};

fn unit_count(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM units")
}

#[tokio::test]
async fn an_admin_creates_edits_deactivates_and_reactivates_a_unit() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let before = unit_count(&app);

    // Refused: a bad mobile number, with the typed values kept beside the message.
    let (status, _, html) = post_with_token(
        &admin,
        "/admin/units",
        &[
            ("code", "yn-audit"),
            ("name", "审计署驻昆明特派员办事处"),
            ("sector", "审计"),
            ("liaison_name", "王五"),
            ("liaison_mobile", "12345"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("11 位手机号"), "{html}");
    assert!(
        html.contains("value=\"审计署驻昆明特派员办事处\""),
        "typed name kept"
    );
    assert!(html.contains("value=\"12345\""), "typed mobile kept");
    assert_eq!(unit_count(&app), before, "nothing created");
    // A taken code and a bad e-mail address are named too.
    for (pairs, said) in [
        (vec![("code", "yn-tax"), ("name", "重复")], "已存在"),
        (
            vec![("code", "yn-x"), ("name", "甲"), ("liaison_email", "a@b")],
            "邮箱地址",
        ),
        (vec![("code", "Bad Code"), ("name", "甲")], "单位代码"),
        (vec![("code", "yn-y"), ("name", "  ")], "单位名称不能为空"),
    ] {
        let (status, _, html) = post_with_token(&admin, "/admin/units", &pairs).await;
        assert!([409, 422].contains(&status), "{pairs:?}: {status}");
        assert!(html.contains(said), "{pairs:?}: {html}");
    }
    assert_eq!(unit_count(&app), before);

    // Created: markup in the name is shown as text; the number is written one way.
    let (status, url, html) = post_with_token(
        &admin,
        "/admin/units",
        &[
            ("code", "yn-audit"),
            ("name", "<script>alert(1)</script>审计办"),
            ("sector", "审计"),
            ("liaison_name", "王五"),
            ("liaison_mobile", "138 0013 8000"),
            ("liaison_email", "wangwu@example.cn"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.ends_with("/admin/units/yn-audit?done=created"), "{url}");
    assert!(html.contains(&escaped("<script>alert(1)</script>审计办")));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("value=\"13800138000\""), "{html}");
    assert_eq!(unit_count(&app), before + 1);
    let (_, list) = page(&admin, "/admin/units").await;
    assert!(list.contains(&escaped("<script>")) && !list.contains("<script>alert"));

    // Edited: the audit row lists what changed.
    let (status, url, html) = post_with_token(
        &admin,
        "/admin/units/yn-audit",
        &[
            ("name", "审计署驻昆明特派员办事处"),
            ("sector", "审计"),
            ("liaison_name", "王五"),
            ("liaison_mobile", "(0871) 6512 3456"),
            ("liaison_email", ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.ends_with("?done=saved"), "{url}");
    let conn = app.state.db.get().unwrap();
    let liaison = units::liaison_of(&conn, "yn-audit").unwrap().unwrap();
    assert_eq!(
        liaison,
        Liaison {
            name: "王五".into(),
            mobile: "0871-65123456".into(),
            email: String::new()
        }
    );
    let detail: String = conn
        .query_row(
            "SELECT detail FROM audit_log WHERE action = 'unit_updated'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        detail.contains("yn-audit") && detail.contains("手机：13800138000 → 0871-65123456"),
        "{detail}"
    );
    drop(conn);
    // A refused edit keeps the typed values and changes nothing.
    let (status, _, html) = post_with_token(
        &admin,
        "/admin/units/yn-audit",
        &[("name", "新名字"), ("liaison_mobile", "0871-651")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("value=\"新名字\"") && html.contains("11 位手机号"));
    let (_, units) = admin.get_json("/api/v1/units").await;
    let audit_unit = units
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "yn-audit")
        .unwrap()
        .clone();
    assert_eq!(
        audit_unit,
        json!({"code": "yn-audit", "name": "审计署驻昆明特派员办事处", "sector": "审计", "active": true})
    );

    // Deactivated: the unit's borrower is signed out, cannot sign in (and is told
    // why) nor borrow; the loans stay.
    app.add_user("audit-officer", &[Role::Borrower], Some("yn-audit"));
    let officer = app.login("audit-officer", USER_PASSWORD).await;
    let librarian = app.librarian("lib").await;
    lendable(&librarian, "audit-film", Some(3), 0).await;
    let start = app
        .state
        .clock
        .today()
        .checked_add(jiff::Span::new().days(10))
        .unwrap();
    let end = start.checked_add(jiff::Span::new().days(2)).unwrap();
    let loan_request = json!({"resource_id": "audit-film", "format": "digital",
        "start": start.to_string(), "end": end.to_string(), "purpose": "专题警示教育", "audience": 30});
    let (status, loan) = officer.post_json("/api/v1/loans", &loan_request).await;
    assert_eq!(status, 201, "{loan}");
    let (status, url, html) =
        post_with_token(&admin, "/admin/units/yn-audit/deactivate", &[]).await;
    assert_eq!(status, 200);
    assert!(url.ends_with("?done=deactivated"), "{url}");
    assert!(html.contains("已停用"));
    assert_eq!(officer.get_json("/api/v1/session").await.0, 401);
    let (status, body) = sign_in_answer(&app, "audit-officer", USER_PASSWORD).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "unit_inactive");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("审计署驻昆明特派员办事处") && message.contains("已停用"));
    // Through the domain too (a librarian filing for the unit, or a stale actor).
    let mut conn = app.state.db.get().unwrap();
    let stale = Actor {
        user_id: None,
        username: "audit-officer".into(),
        unit: Some("yn-audit".into()),
        librarian: false,
        admin: false,
    };
    let refused = jingshi::loans::create(
        &mut conn,
        &stale,
        serde_json::from_value(loan_request.clone()).unwrap(),
        app.state.clock.moment(),
    )
    .unwrap_err();
    assert!(refused.to_string().contains("已停用"), "{refused}");
    drop(conn);
    let (status, loans) = librarian.get_json("/api/v1/loans?unit=yn-audit").await;
    assert_eq!(status, 200);
    assert_eq!(
        loans.as_array().unwrap().len(),
        1,
        "the history stays: {loans}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'unit_deactivated'"),
        1
    );
    // The list shows it as deactivated; deactivating again changes nothing.
    let (_, list) = page(&admin, "/admin/units").await;
    assert!(list.contains("已停用"));
    post_with_token(&admin, "/admin/units/yn-audit/deactivate", &[]).await;
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'unit_deactivated'"),
        1
    );
    // No new account may be put in a deactivated unit.
    let (status, _, html) = post_with_token(
        &admin,
        "/admin/accounts",
        &[
            ("username", "late"),
            ("roles", "borrower"),
            ("unit", "yn-audit"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("已停用"), "{html}");

    // Reactivated: sign-in works again.
    let (status, url, _) = post_with_token(&admin, "/admin/units/yn-audit/reactivate", &[]).await;
    assert_eq!(status, 200);
    assert!(url.ends_with("?done=reactivated"));
    assert_eq!(
        sign_in_answer(&app, "audit-officer", USER_PASSWORD).await.0,
        200
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'unit_reactivated'"),
        1
    );

    // An unknown or hostile code is a 404 page, not an error.
    for path in [
        "/admin/units/no-such",
        "/admin/units/%3Cscript%3E",
        "/admin/units/..%2F..%2Fetc",
    ] {
        let (status, html) = page(&admin, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!html.contains("<script>"), "{path}");
    }
}

#[tokio::test]
async fn the_domain_refuses_everyone_but_admins_and_keeps_bad_input_out() {
    let app = TestApp::spawn().await;
    let recorded = app.count("SELECT count(*) FROM audit_log");
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let borrower = Actor {
        user_id: Some(7),
        username: "officer".into(),
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
    };
    let librarian = Actor {
        librarian: true,
        unit: None,
        ..borrower.clone()
    };
    let input = UnitInput {
        name: "新单位".into(),
        sector: "税务".into(),
        liaison: Liaison::default(),
    };
    for actor in [&borrower, &librarian] {
        assert!(matches!(
            units::add_unit(&mut conn, actor, "yn-new", &input, at),
            Err(AccountError::AdminsOnly)
        ));
        assert!(matches!(
            units::update_unit(&mut conn, actor, "yn-tax", &input, at),
            Err(AccountError::AdminsOnly)
        ));
        assert!(matches!(
            units::set_unit_active(&mut conn, actor, "yn-tax", false, at),
            Err(AccountError::AdminsOnly)
        ));
    }
    assert!(units::is_active(&conn, "yn-tax").unwrap().unwrap());
    assert!(units::unit_detail(&conn, "yn-new").unwrap().is_none());

    let admin = Actor::operator("admin");
    let bad = UnitInput {
        liaison: Liaison {
            mobile: "138001380001".into(),
            ..Liaison::default()
        },
        ..input.clone()
    };
    let err = units::add_unit(&mut conn, &admin, "yn-new", &bad, at).unwrap_err();
    assert!(matches!(&err, AccountError::Invalid { field, .. } if field == "liaison_mobile"));
    assert!(units::unit_detail(&conn, "yn-new").unwrap().is_none());
    let err = units::update_unit(&mut conn, &admin, "nowhere", &input, at).unwrap_err();
    assert!(matches!(err, AccountError::UnknownUnit(_)));
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log"),
        recorded,
        "refusals leave no audit rows"
    );
    let made = units::add_unit(&mut conn, &admin, "yn-new", &input, at).unwrap();
    assert!(made.unit.active);
    assert_eq!(app.count("SELECT count(*) FROM audit_log"), recorded + 1);
}

/// Every admin page and form, with a form's fields.
const PAGES: &[&str] = &[
    "/admin/",
    "/admin/units",
    "/admin/units/yn-tax",
    "/admin/accounts",
    "/admin/accounts/1",
    "/admin/import",
    "/admin/import/units.xlsx",
    "/admin/import/accounts.xlsx",
];
const FORMS: &[(&str, &[(&str, &str)])] = &[
    ("/admin/units", &[("code", "yn-evil"), ("name", "恶意")]),
    ("/admin/units/yn-tax", &[("name", "改名")]),
    ("/admin/units/yn-tax/deactivate", &[]),
    ("/admin/units/yn-tax/reactivate", &[]),
    (
        "/admin/accounts",
        &[("username", "evil"), ("roles", "admin")],
    ),
    ("/admin/accounts/1", &[("roles", "borrower")]),
    ("/admin/accounts/1/disable", &[]),
    ("/admin/accounts/1/enable", &[]),
    ("/admin/accounts/1/link", &[]),
    ("/admin/accounts/1/unlock", &[]),
];

#[tokio::test]
async fn only_admins_reach_the_admin_pages_and_forms() {
    let app = TestApp::spawn().await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let librarian = app.librarian("plain-librarian").await;
    let others = "SELECT count(*) FROM audit_log WHERE action != 'sign_in'";
    let recorded = app.count(others);
    for session in [&borrower, &librarian] {
        for path in PAGES {
            let (status, html) = page(session, path).await;
            assert_eq!(status, 403, "{path}");
            assert!(html.contains("仅限系统管理员"), "{path}: {html}");
        }
        for (path, pairs) in FORMS {
            let (status, _, html) = post_with_token(session, path, pairs).await;
            assert_eq!(status, 403, "{path}");
            assert!(html.contains("仅限系统管理员"), "{path}");
        }
        // The sheet upload too.
        let (status, _) = crate::common::admin::upload_sheet(
            session,
            "units.csv",
            "单位代码,单位名称\nyn-evil,恶意\n".as_bytes().to_vec(),
        )
        .await;
        assert_eq!(status, 403);
    }
    assert_eq!(
        units::is_active(&app.state.db.get().unwrap(), "yn-evil").unwrap(),
        None
    );
    assert!(
        units::is_active(&app.state.db.get().unwrap(), "yn-tax")
            .unwrap()
            .unwrap()
    );
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'evil'"),
        0
    );
    assert_eq!(app.count(others), recorded, "nothing recorded but sign-ins");

    // A visitor is sent to sign in, and a form without a session changes nothing.
    let visitor = no_redirects(&app);
    for path in PAGES {
        let resp = visitor.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{path}");
        let location = resp.headers()["location"].to_str().unwrap();
        assert!(location.starts_with("/login?next="), "{path}: {location}");
    }
    for (path, _) in FORMS {
        let resp = visitor
            .post(app.url(path))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("csrf=x")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{path}");
    }
    // An admin's form without the session's token is refused.
    let admin = app.admin().await;
    let token = csrf(&admin).await;
    assert!(!token.is_empty());
    let (status, _, html) = crate::common::web::post_form(
        &admin,
        "/admin/units",
        &[("csrf", "forged"), ("code", "yn-forged"), ("name", "伪造")],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert_eq!(
        units::is_active(&app.state.db.get().unwrap(), "yn-forged").unwrap(),
        None
    );
}
