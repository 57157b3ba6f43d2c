//! Accounts in the browser (issue 15): an admin creates an account without a
//! password and hands its owner a one-time link (24 hours by the library's clock,
//! stored only as a hash); the owner sets a password and signs in, and the header
//! shows their name. Editing, disabling, an admin's own account, unlocking a locked
//! sign-in, and changing one's own password at `/account/password`.

use jingshi::accounts::links::{self, Purpose};
use jingshi::accounts::manage::{self, AccountChange, AccountInput};
use jingshi::accounts::sheet;
use jingshi::accounts::throttle::{self, Attempt};
use jingshi::accounts::{AccountError, Role, users};
use jingshi::actor::Actor;

use crate::common::admin::{escaped, link_token, post_with_token, sign_in_answer};
use crate::common::web::{page, post_form};
use crate::common::{ADMIN_PASSWORD, Session, TestApp, USER_PASSWORD, client_for};

const NEW_PASSWORD: &str = "春城无处不飞花2027";

fn user_id(app: &TestApp, username: &str) -> i64 {
    app.count(&format!(
        "SELECT id FROM users WHERE username = '{username}'"
    ))
}

fn audit_count(app: &TestApp, action: &str) -> i64 {
    app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = '{action}'"
    ))
}

/// A session of nobody (own cookies, our Origin), for the link pages.
fn stranger(app: &TestApp) -> Session {
    Session {
        client: client_for(app.addr),
        base: app.url(""),
    }
}

/// Opens a link and sets `password` with it; answers the final status, address and page.
async fn use_link(app: &TestApp, token: &str, password: &str) -> (u16, String, String) {
    post_form(
        &stranger(app),
        &format!("/account/reset/{token}"),
        &[("new", password), ("confirm", password)],
    )
    .await
}

#[tokio::test]
async fn a_new_account_sets_its_password_through_a_link_shown_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, _, html) = post_with_token(
        &admin,
        "/admin/accounts",
        &[
            ("username", "tax-li"),
            ("display_name", "<b>李</b>四"),
            ("unit", "yn-tax"),
            ("roles", "borrower"),
            ("email", "li@example.cn"),
        ],
    )
    .await;
    assert_eq!(status, 201, "{html}");
    assert!(html.contains("此链接只显示这一次"), "{html}");
    assert!(html.contains(&escaped("<b>李</b>四")) && !html.contains("<b>李"));
    let token = link_token(&html);
    // Only the hash is kept; the account has no password yet.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM password_links WHERE token_hash = '{token}'"
        )),
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM password_links"), 1);
    assert_eq!(
        sign_in_answer(&app, "tax-li", NEW_PASSWORD).await.0,
        401,
        "no password yet"
    );
    // Shown once: the account page does not show it again.
    let id = user_id(&app, "tax-li");
    let (_, again) = page(&admin, &format!("/admin/accounts/{id}")).await;
    assert!(!again.contains(&token));
    assert!(again.contains("尚未设置密码"));

    // The owner opens the link (no session), is refused a weak or mistyped password,
    // then sets one and signs in; the header shows the display name.
    let owner = stranger(&app);
    let (status, html) = page(&owner, &format!("/account/reset/{token}")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("tax-li") && html.contains("设置登录密码"),
        "{html}"
    );
    let (status, _, html) = use_link(&app, &token, "12345678").await;
    assert_eq!(status, 422);
    assert!(html.contains("至少 10 个字符"), "{html}");
    let (status, _, html) = post_form(
        &owner,
        &format!("/account/reset/{token}"),
        &[("new", NEW_PASSWORD), ("confirm", "别的密码别的密码")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("两次输入的新密码不一致"));
    let (status, url, html) = use_link(&app, &token, NEW_PASSWORD).await;
    assert_eq!(status, 200);
    assert!(url.contains("/login?password=set"), "{url}");
    assert!(html.contains("密码已设置"));
    let officer = app.login("tax-li", NEW_PASSWORD).await;
    let (_, home) = page(&officer, "/").await;
    assert!(
        home.contains(&escaped("<b>李</b>四")),
        "the display name in the header"
    );
    assert!(home.contains("title=\"登录名：tax-li\""));
    assert!(home.contains("href=\"/account/password\""));
    assert!(
        !home.contains("href=\"/admin/\""),
        "no admin entry for a borrower"
    );
    let (_, me) = officer.get_json("/api/v1/session").await;
    assert_eq!(me["user"]["display_name"], "<b>李</b>四");

    // Spent: the same link again is a clear page, and changes nothing.
    let (status, html) = page(&stranger(&app), &format!("/account/reset/{token}")).await;
    assert_eq!(status, 410);
    assert!(html.contains("已经用过"), "{html}");
    let (status, _, _) = use_link(&app, &token, "另一个足够长的新密码啊").await;
    assert_eq!(status, 410);
    app.login("tax-li", NEW_PASSWORD).await;
    // Unknown and hostile tokens.
    for bad in [
        "0000",
        "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
        &"f".repeat(64),
    ] {
        let (status, html) = page(&stranger(&app), &format!("/account/reset/{bad}")).await;
        assert_eq!(status, 404, "{bad}");
        assert!(
            html.contains("链接无效") && !html.contains("<script>alert"),
            "{bad}"
        );
    }
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'user_created' AND detail = 'tax-li'"
        ),
        1
    );
    for action in ["password_link_issued", "password_set_by_link"] {
        assert_eq!(audit_count(&app, action), 1, "{action}");
    }

    // An admin's own header: no display name, so the username; the admin entry.
    let (_, home) = page(&admin, "/").await;
    assert!(home.contains("href=\"/admin/\""));
    assert!(home.contains("<span class=\"user\">admin"), "{home}");
}

#[tokio::test]
async fn a_reset_link_lasts_24_hours_by_the_clock_and_a_newer_one_replaces_it() {
    let app = TestApp::spawn().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let id = user_id(&app, "officer");
    let admin = app.admin().await;
    let officer = app.login("officer", USER_PASSWORD).await;
    let start: jiff::Timestamp = "2027-03-01T02:00:00Z".parse().unwrap();
    app.state.clock.set(start);

    // The page with the link is kept in no cache.
    let token = crate::common::admin::csrf(&admin).await;
    let resp = admin
        .client
        .post(admin.url(&format!("/admin/accounts/{id}/link")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("csrf={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["cache-control"], "no-store");
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("2027-03-02 10:00 前有效"),
        "Beijing time: {html}"
    );
    let first = link_token(&html);
    // A newer link replaces it.
    let (_, _, html) = post_with_token(&admin, &format!("/admin/accounts/{id}/link"), &[]).await;
    let second = link_token(&html);
    assert_ne!(first, second);
    let (status, html) = page(&stranger(&app), &format!("/account/reset/{first}")).await;
    assert_eq!(status, 410);
    assert!(html.contains("已被新的链接取代"), "{html}");
    // Making a link changes no password: the old one still signs in meanwhile.
    assert_eq!(officer.get_json("/api/v1/session").await.0, 200);

    // One second before 24 hours it opens; at 24 hours it is expired, also for a post.
    app.state.clock.set(
        start
            .checked_add(jiff::SignedDuration::from_secs(24 * 3600 - 1))
            .unwrap(),
    );
    assert_eq!(
        page(&stranger(&app), &format!("/account/reset/{second}"))
            .await
            .0,
        200
    );
    app.state.clock.set(
        start
            .checked_add(jiff::SignedDuration::from_hours(24))
            .unwrap(),
    );
    let (status, html) = page(&stranger(&app), &format!("/account/reset/{second}")).await;
    assert_eq!(status, 410);
    assert!(html.contains("已过期"), "{html}");
    let (status, _, html) = use_link(&app, &second, NEW_PASSWORD).await;
    assert_eq!(status, 410);
    assert!(html.contains("已过期"));
    assert_eq!(
        sign_in_answer(&app, "officer", USER_PASSWORD).await.0,
        200,
        "unchanged"
    );
    assert_eq!(sign_in_answer(&app, "officer", NEW_PASSWORD).await.0, 401);

    // A fresh link works once; the sessions of the account end.
    let (_, _, html) = post_with_token(&admin, &format!("/admin/accounts/{id}/link"), &[]).await;
    let third = link_token(&html);
    let (status, _, _) = use_link(&app, &third, NEW_PASSWORD).await;
    assert_eq!(status, 200);
    assert_eq!(
        officer.get_json("/api/v1/session").await.0,
        401,
        "signed out everywhere"
    );
    assert_eq!(sign_in_answer(&app, "officer", USER_PASSWORD).await.0, 401);
    assert_eq!(sign_in_answer(&app, "officer", NEW_PASSWORD).await.0, 200);
    assert_eq!(
        use_link(&app, &third, "又一个足够长的新密码啊").await.0,
        410
    );

    // A link of an account disabled meanwhile cannot be used.
    let (_, _, html) = post_with_token(&admin, &format!("/admin/accounts/{id}/link"), &[]).await;
    let fourth = link_token(&html);
    post_with_token(&admin, &format!("/admin/accounts/{id}/disable"), &[]).await;
    let (status, html) = page(&stranger(&app), &format!("/account/reset/{fourth}")).await;
    assert_eq!(status, 403);
    assert!(html.contains("已停用"));
}

#[tokio::test]
async fn an_admin_edits_disables_and_enables_accounts_but_never_locks_themselves_out() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let admin_id = user_id(&app, "admin");
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let id = user_id(&app, "officer");
    let officer = app.login("officer", USER_PASSWORD).await;

    // Edited: name, roles, unit, e-mail; the audit row lists what changed.
    let (status, url, html) = post_with_token(
        &admin,
        &format!("/admin/accounts/{id}"),
        &[
            ("display_name", "赵六"),
            ("roles", "borrower"),
            ("roles", "librarian"),
            ("unit", "kunming-customs"),
            ("email", "zhao@example.cn"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.ends_with("?done=saved"), "{url}");
    let (_, me) = officer.get_json("/api/v1/session").await;
    assert_eq!(me["user"]["display_name"], "赵六");
    assert_eq!(me["user"]["unit"], "kunming-customs");
    assert_eq!(me["user"]["roles"].as_array().unwrap().len(), 2);
    let detail = app.text("SELECT detail FROM audit_log WHERE action = 'user_updated'");
    assert!(
        detail.contains("officer") && detail.contains("单位：yn-tax → kunming-customs"),
        "{detail}"
    );
    // Refused edits keep what was typed and change nothing.
    for (pairs, said) in [
        (
            vec![
                ("display_name", "赵六"),
                ("roles", "borrower"),
                ("unit", "kunming-customs"),
                ("email", "not-an-address"),
            ],
            "邮箱地址",
        ),
        (
            vec![
                ("display_name", "赵六"),
                ("roles", "borrower"),
                ("unit", ""),
            ],
            "借阅人必须属于一个单位",
        ),
        (
            vec![("display_name", "赵六"), ("unit", "kunming-customs")],
            "至少需要一个角色",
        ),
        (
            vec![
                ("display_name", "赵六"),
                ("roles", "borrower"),
                ("unit", "no-such-unit"),
            ],
            "no-such-unit",
        ),
    ] {
        let (status, _, html) =
            post_with_token(&admin, &format!("/admin/accounts/{id}"), &pairs).await;
        assert_eq!(status, 422, "{pairs:?}");
        assert!(html.contains(said), "{pairs:?}: {html}");
    }
    assert_eq!(audit_count(&app, "user_updated"), 1);

    // The admin may not disable their own account nor drop their own admin role.
    let (status, _, html) =
        post_with_token(&admin, &format!("/admin/accounts/{admin_id}/disable"), &[]).await;
    assert_eq!(status, 409);
    assert!(html.contains("不能停用自己的账号"), "{html}");
    let (status, _, html) = post_with_token(
        &admin,
        &format!("/admin/accounts/{admin_id}"),
        &[("roles", "librarian")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("不能取消自己的系统管理员角色"), "{html}");
    let (_, me) = admin.get_json("/api/v1/session").await;
    assert!(
        me["user"]["roles"]
            .as_array()
            .unwrap()
            .contains(&"admin".into())
    );
    let (_, own_page) = page(&admin, &format!("/admin/accounts/{admin_id}")).await;
    assert!(
        !own_page.contains("id=\"disable\""),
        "no disable button on one's own page"
    );

    // Disabled: the session ends and sign-in is refused in words; enabled again.
    let (status, url, _) =
        post_with_token(&admin, &format!("/admin/accounts/{id}/disable"), &[]).await;
    assert_eq!(status, 200);
    assert!(url.ends_with("?done=disabled"));
    assert_eq!(officer.get_json("/api/v1/session").await.0, 401);
    let (status, body) = sign_in_answer(&app, "officer", USER_PASSWORD).await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "account_disabled");
    let (_, list) = page(&admin, "/admin/accounts?state=disabled").await;
    assert!(list.contains("赵六") && list.contains("已停用"));
    post_with_token(&admin, &format!("/admin/accounts/{id}/enable"), &[]).await;
    assert_eq!(sign_in_answer(&app, "officer", USER_PASSWORD).await.0, 200);
    assert_eq!(audit_count(&app, "user_disabled"), 1);
    assert_eq!(audit_count(&app, "user_enabled"), 1);
    // A number that is no account is a 404 page.
    assert_eq!(page(&admin, "/admin/accounts/999999").await.0, 404);
    assert_eq!(page(&admin, "/admin/accounts/abc").await.0, 404);
}

#[tokio::test]
async fn an_admin_lifts_a_sign_in_lock() {
    let app = TestApp::spawn().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let id = user_id(&app, "officer");
    {
        // Five failures from this machine lock the account here.
        let conn = app.state.db.get().unwrap();
        let now = jiff::Timestamp::now().as_second();
        for _ in 0..throttle::LOCK_AFTER {
            let attempt = Attempt {
                username: "officer",
                addr: "127.0.0.1",
                now,
            };
            throttle::record_failure(&conn, &attempt).unwrap();
        }
    }
    let (status, body) = sign_in_answer(&app, "officer", USER_PASSWORD).await;
    assert_eq!(status, 429, "{body}");
    let admin = app.admin().await;
    let (_, html) = page(&admin, &format!("/admin/accounts/{id}")).await;
    assert!(
        html.contains("已被锁定") && html.contains("127.0.0.1"),
        "{html}"
    );
    let (status, url, html) =
        post_with_token(&admin, &format!("/admin/accounts/{id}/unlock"), &[]).await;
    assert_eq!(status, 200);
    assert!(url.ends_with("?done=unlocked"));
    assert!(html.contains("最近没有登录失败记录"));
    assert_eq!(sign_in_answer(&app, "officer", USER_PASSWORD).await.0, 200);
    assert_eq!(audit_count(&app, "sign_in_unlocked"), 1);
}

#[tokio::test]
async fn everyone_changes_their_own_password_on_the_page() {
    let app = TestApp::spawn().await;
    let officer = app.borrower("officer", "yn-tax").await;
    let (status, html) = page(&officer, "/account/password").await;
    assert_eq!(status, 200);
    assert!(html.contains("修改密码") && html.contains("officer"));
    // Wrong current password, a weak new one, and a mistyped confirmation.
    for (pairs, status_wanted, said) in [
        (
            [
                ("current", "not-my-password"),
                ("new", NEW_PASSWORD),
                ("confirm", NEW_PASSWORD),
            ],
            403,
            "当前密码不正确",
        ),
        (
            [
                ("current", USER_PASSWORD),
                ("new", "password123"),
                ("confirm", "password123"),
            ],
            422,
            "常见密码",
        ),
        (
            [
                ("current", USER_PASSWORD),
                ("new", NEW_PASSWORD),
                ("confirm", "别的"),
            ],
            422,
            "不一致",
        ),
    ] {
        let (status, _, html) = post_with_token(&officer, "/account/password", &pairs).await;
        assert_eq!(status, status_wanted, "{said}");
        assert!(html.contains(said), "{said}: {html}");
    }
    // Changed: every session ends, the sign-in page says so, the new one works.
    let other = app.login("officer", USER_PASSWORD).await;
    let (status, url, html) = post_with_token(
        &officer,
        "/account/password",
        &[
            ("current", USER_PASSWORD),
            ("new", NEW_PASSWORD),
            ("confirm", NEW_PASSWORD),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("/login?password=changed"), "{url}");
    assert!(html.contains("密码已修改"));
    assert_eq!(other.get_json("/api/v1/session").await.0, 401);
    assert_eq!(officer.get_json("/api/v1/session").await.0, 401);
    let again = app.login("officer", NEW_PASSWORD).await;

    // Guessing the current password ends the session after the fifth try.
    let mut last = (0, String::new());
    for _ in 0..throttle::LOCK_AFTER {
        let (status, url, _) = post_with_token(
            &again,
            "/account/password",
            &[
                ("current", "guess-guess-1"),
                ("new", "另一个足够长的新密码啊"),
                ("confirm", "另一个足够长的新密码啊"),
            ],
        )
        .await;
        last = (status, url);
    }
    assert_eq!(last.0, 200);
    assert!(last.1.contains("/login?password=ended"), "{}", last.1);
    assert_eq!(again.get_json("/api/v1/session").await.0, 401);
    // A visitor is sent to sign in.
    let resp = crate::common::web::no_redirects(&app)
        .get(app.url("/account/password"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
}

#[tokio::test]
async fn the_account_functions_refuse_everyone_but_admins() {
    let app = TestApp::spawn().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let id = user_id(&app, "officer");
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let borrower = Actor {
        user_id: Some(id),
        username: "officer".into(),
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
    };
    let librarian = Actor {
        librarian: true,
        unit: None,
        user_id: None,
        ..borrower.clone()
    };
    let input = AccountInput {
        username: "evil".into(),
        roles: vec![Role::Admin],
        ..AccountInput::default()
    };
    let change = AccountChange {
        roles: vec![Role::Admin],
        ..AccountChange::default()
    };
    let rows = vec![
        (1, vec!["用户名".to_owned()]),
        (2, vec!["evil2".to_owned()]),
    ];
    for actor in [&borrower, &librarian] {
        let refusals = [
            manage::create_account(&mut conn, actor, &input, None, at).map(|_| ()),
            manage::update_account(&mut conn, actor, id, &change, at).map(|_| ()),
            manage::unlock_sign_in(&mut conn, actor, id, 0, at).map(|_| ()),
            users::set_active(&mut conn, actor, id, false, at),
            users::reset_password(&mut conn, actor, id, NEW_PASSWORD, at),
            links::issue_link(&mut conn, actor, id, Purpose::Reset, None, at).map(|_| ()),
            sheet::import_sheet(&mut conn, actor, "a.csv", &rows, None, at).map(|_| ()),
        ];
        for refused in refusals {
            assert!(
                matches!(refused, Err(AccountError::AdminsOnly)),
                "{refused:?}"
            );
        }
    }
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username LIKE 'evil%'"),
        0
    );
    assert_eq!(app.count("SELECT count(*) FROM password_links"), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM user_roles WHERE role = 'admin'"),
        1
    );
    drop(conn);
    assert_eq!(sign_in_answer(&app, "officer", USER_PASSWORD).await.0, 200);
    assert_eq!(sign_in_answer(&app, "admin", ADMIN_PASSWORD).await.0, 200);
}

#[tokio::test]
async fn the_json_api_changes_units_and_accounts_for_admins_only() {
    use reqwest::Method;
    use serde_json::json;
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let admin_id = user_id(&app, "admin");
    let officer = app.borrower("officer", "yn-tax").await;
    let id = user_id(&app, "officer");
    let librarian = app.librarian("plain-librarian").await;
    let calls: Vec<(Method, String, serde_json::Value)> = vec![
        (Method::GET, "/api/v1/units/yn-tax".into(), json!(null)),
        (
            Method::PATCH,
            "/api/v1/units/yn-tax".into(),
            json!({"active": false}),
        ),
        (
            Method::PATCH,
            format!("/api/v1/users/{id}"),
            json!({"roles": ["admin"]}),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{id}/password-link"),
            json!({}),
        ),
        (
            Method::POST,
            format!("/api/v1/users/{id}/unlock"),
            json!({}),
        ),
    ];
    for session in [&officer, &librarian] {
        for (method, path, body) in &calls {
            let (status, answer) = session.send_json(method.clone(), path, body).await;
            assert_eq!(status, 403, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["code"], "forbidden");
        }
    }
    assert_eq!(
        officer.get_json("/api/v1/session").await.0,
        200,
        "nothing changed"
    );

    // Units: the liaison is checked and written, deactivation signs the unit out.
    let (status, unit) = admin
        .send_json(
            Method::PATCH,
            "/api/v1/units/yn-tax",
            &json!({"liaison": {"name": "张三", "mobile": "138-0013-8000", "email": ""}}),
        )
        .await;
    assert_eq!(status, 200, "{unit}");
    assert_eq!(unit["liaison"]["mobile"], "13800138000");
    assert_eq!(unit["name"], "国家税务总局云南省税务局");
    assert_eq!(unit["accounts"], 1);
    let (status, answer) = admin
        .send_json(
            Method::PATCH,
            "/api/v1/units/yn-tax",
            &json!({"liaison": {"mobile": "<script>"}}),
        )
        .await;
    assert_eq!(status, 422, "{answer}");
    assert_eq!(answer["error"]["code"], "invalid");
    let (status, unit) = admin
        .send_json(
            Method::PATCH,
            "/api/v1/units/yn-tax",
            &json!({"active": false}),
        )
        .await;
    assert_eq!((status, &unit["active"]), (200, &json!(false)));
    assert_eq!(officer.get_json("/api/v1/session").await.0, 401);
    assert_eq!(admin.get_json("/api/v1/units/no-such").await.0, 404);
    admin
        .send_json(
            Method::PATCH,
            "/api/v1/units/yn-tax",
            &json!({"active": true}),
        )
        .await;

    // Accounts: name and roles, never one's own admin role; a link and an unlock.
    let path = format!("/api/v1/users/{id}");
    let (status, user) = admin
        .send_json(
            Method::PATCH,
            &path,
            &json!({"display_name": "钱八", "roles": ["borrower", "librarian"]}),
        )
        .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["display_name"], "钱八");
    assert_eq!(user["roles"], json!(["borrower", "librarian"]));
    assert_eq!(user["unit"], "yn-tax", "kept");
    let (status, answer) = admin
        .send_json(
            Method::PATCH,
            &format!("/api/v1/users/{admin_id}"),
            &json!({"roles": ["librarian"]}),
        )
        .await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(answer["error"]["code"], "own_account");
    let (status, link) = admin
        .post_json(&format!("/api/v1/users/{id}/password-link"), &json!({}))
        .await;
    assert_eq!(status, 201, "{link}");
    let link_path = link["path"].as_str().unwrap();
    let (status, _, _) = post_form(
        &stranger(&app),
        link_path,
        &[("new", NEW_PASSWORD), ("confirm", NEW_PASSWORD)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(sign_in_answer(&app, "officer", NEW_PASSWORD).await.0, 200);
    let (status, unlocked) = admin
        .post_json(&format!("/api/v1/users/{id}/unlock"), &json!({}))
        .await;
    assert_eq!((status, &unlocked["cleared"]), (200, &json!(0)));
}
