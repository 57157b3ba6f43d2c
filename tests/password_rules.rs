//! Password rules on every way a password is set, sign-out's cookie, and where the
//! loan forms may send the browser next (issue 14).

use jingshi::accounts::Role;
use serde_json::{Value, json};

use crate::common::lending::{day, lendable, requested};
use crate::common::process::{Proc, free_addr, jingshi, open_db, query_i64};
use crate::common::web::{csrf_of, form_body};
use crate::common::{TestApp, USER_PASSWORD};
use crate::hostile_signin::{client_from, signed_in_from};

/// Passwords every rule refuses, with the words the message must contain.
const WEAK: [(&str, &str); 6] = [
    ("short-pw", "至少 10 个字符"),
    ("            ", "不能只有空白"),
    ("NEW-OFFICER", "不能与用户名相同"),
    ("1234567890", "常见密码"),
    ("qwertyuiop", "常见密码"),
    ("Password123", "常见密码"),
];

fn assert_refused(status: u16, body: &Value, words: &str) {
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.starts_with("password: "), "field named: {message}");
    assert!(message.contains(words), "{words}: {message}");
}

#[tokio::test]
async fn weak_passwords_are_refused_when_accounts_are_created_reset_or_changed() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (password, words) in WEAK {
        let account = json!({"username": "new-officer", "password": password, "roles": ["borrower"], "unit": "yn-tax"});
        let (status, body) = admin.post_json("/api/v1/users", &account).await;
        assert_refused(status, &body, words);
    }
    let oversized = "长".repeat(2000);
    let account = json!({"username": "new-officer", "password": oversized, "roles": ["borrower"], "unit": "yn-tax"});
    let (status, body) = admin.post_json("/api/v1/users", &account).await;
    assert_refused(status, &body, "最长");
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'new-officer'"),
        0
    );
    // Markup and spaces inside a long password are fine.
    let account = json!({"username": "new-officer", "password": "<b>我的 密码</b>&amp;", "roles": ["borrower"], "unit": "yn-tax"});
    let (status, created) = admin.post_json("/api/v1/users", &account).await;
    assert_eq!(status, 201, "{created}");

    // An admin's reset follows the same rules, and changes nothing when refused.
    let path = format!("/api/v1/users/{}", created["id"]);
    for (password, words) in WEAK {
        let password = password.replace("NEW-OFFICER", "New-Officer");
        let (status, body) = admin
            .send_json(
                reqwest::Method::PATCH,
                &path,
                &json!({"password": password}),
            )
            .await;
        assert_refused(status, &body, words);
    }
    app.login("new-officer", "<b>我的 密码</b>&amp;").await;

    // A borrower (another unit's officer) may not reset anyone's password or create accounts.
    let borrower = app.borrower("tax-officer", "yn-tax").await;
    let (status, _) = borrower
        .send_json(
            reqwest::Method::PATCH,
            &path,
            &json!({"password": "a-very-strong-one"}),
        )
        .await;
    assert_eq!(status, 403);
    let account =
        json!({"username": "sneaky", "password": "a-very-strong-one", "roles": ["admin"]});
    assert_eq!(borrower.post_json("/api/v1/users", &account).await.0, 403);

    // Changing one's own password: the same rules; the username is the borrower's.
    for (password, words) in WEAK {
        let password = password.replace("NEW-OFFICER", "TAX-officer");
        let change = json!({"current": USER_PASSWORD, "new": password});
        let (status, body) = borrower
            .post_json("/api/v1/session/password", &change)
            .await;
        assert_refused(status, &body, words);
    }
    assert_eq!(
        borrower.get_json("/api/v1/session").await.0,
        200,
        "still signed in"
    );
}

#[tokio::test]
async fn a_random_password_passes_the_rules() {
    for _ in 0..50 {
        let password = jingshi::accounts::password::random_password();
        assert_eq!(password.chars().count(), 20);
        jingshi::accounts::users::validate_new_password(&password, "admin").unwrap();
    }
    let refused = jingshi::accounts::users::validate_new_password("q1w2e3r4t5", "x").unwrap_err();
    assert!(refused.to_string().contains("常见密码"), "{refused}");
}

#[test]
fn the_command_line_refuses_a_weak_password() {
    let dir = tempfile::tempdir().unwrap();
    let output = jingshi(dir.path())
        .args(["unit", "add", "--code", "cli-unit", "--name", "命令行单位"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let output = jingshi(dir.path())
        .args([
            "user",
            "add",
            "--username",
            "cli-user",
            "--role",
            "borrower",
        ])
        .args(["--unit", "cli-unit", "--password", "1234567890"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(stderr.contains("常见密码"), "{stderr}");
    let conn = open_db(dir.path());
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM users WHERE username = 'cli-user'"
        ),
        0
    );
}

#[test]
fn a_weak_admin_password_stops_the_first_start() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("start.log");
    let child = jingshi(dir.path())
        .env("JINGSHI_ADMIN_PASSWORD", "admin")
        .args(["serve", "--addr", &free_addr().to_string()])
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut server = Proc(child);
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = server.0.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "the server started with a weak password"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    let stderr = std::fs::read_to_string(&log).unwrap();
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains("JINGSHI_ADMIN_PASSWORD"), "{stderr}");
    assert!(stderr.contains("至少 10 个字符"), "{stderr}");
}

fn set_cookie(resp: &reqwest::Response) -> String {
    resp.headers()["set-cookie"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn signing_out_removes_the_cookie_with_its_attributes() {
    let app = TestApp::spawn().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    for https in [false, true] {
        let client = client_from([127, 0, 40, 1], app.addr);
        let with_proto = |request: reqwest::RequestBuilder| {
            if https {
                request.header("x-forwarded-proto", "https")
            } else {
                request
            }
        };
        let resp = with_proto(client.post(app.url("/api/v1/session")))
            .json(&json!({"username": "officer", "password": USER_PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        let resp = with_proto(client.delete(app.url("/api/v1/session")))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 204);
        let cookie = set_cookie(&resp);
        for attribute in [
            "jingshi_session=;",
            "Max-Age=0",
            "Path=/",
            "HttpOnly",
            "SameSite=Lax",
        ] {
            assert!(cookie.contains(attribute), "{attribute}: {cookie}");
        }
        assert_eq!(cookie.contains("Secure"), https, "{cookie}");
        assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
    }
    // The page's sign-out form does the same.
    let session = signed_in_from(&app, [127, 0, 40, 2], "officer").await;
    let csrf = csrf_of(&session.get("/").await.text().await.unwrap());
    let resp = session
        .client
        .post(app.url("/logout"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[("csrf", &csrf)]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let cookie = set_cookie(&resp);
    assert!(
        cookie.contains("Max-Age=0")
            && cookie.contains("HttpOnly")
            && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
}

#[tokio::test]
async fn loan_forms_send_the_browser_only_to_this_site() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    lendable(&librarian, "next-film", Some(10), 0).await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let officer = signed_in_from(&app, [127, 0, 41, 1], "officer").await;
    let csrf = csrf_of(&officer.get("/loans").await.text().await.unwrap());
    for next in [
        "/\t/evil.example",
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "/loans\\x",
        "/\n/evil.example",
    ] {
        let loan = requested(&officer, "next-film", "digital", &day(3), &day(5)).await;
        let resp = officer
            .client
            .post(app.url(&format!("/loans/{}/cancel", loan["id"])))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form_body(&[("csrf", &csrf), ("next", next)]))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 303, "{next:?}");
        let location = resp.headers()["location"].to_str().unwrap();
        assert!(
            location.starts_with("/loans?done=cancel"),
            "{next:?} sent the browser to {location:?}"
        );
    }
}
