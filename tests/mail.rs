//! Notification mail (issue 6) against a real SMTP conversation on loopback: the
//! approval of a loan mails the unit's borrowers that have an address (and nobody
//! else), with a Chinese subject; a temporary refusal is retried; the `jingshi`
//! binary reads `JINGSHI_SMTP_URL`/`JINGSHI_MAIL_FROM` and `user add --email`.

use std::process::Stdio;
use std::time::Duration;

use jingshi::accounts::Role;
use jingshi::config::MailSettings;
use serde_json::json;

use crate::common::lending::{act_ok, approved, lendable_titled, requested};
use crate::common::process::{jingshi, open_db, query_i64, sign_in, start_bare_server_with};
use crate::common::smtp::SmtpServer;
use crate::common::{TestApp, USER_PASSWORD};

pub(crate) const FROM: &str = "警示教育资源库 <jingshi@example.cn>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_is_mailed_to_the_units_borrowers_with_an_address_after_a_retry() {
    // The relay refuses the first message with a temporary 451.
    let smtp = SmtpServer::start(1).await;
    let app = TestApp::spawn_with_demo_on(jiff::civil::date(2027, 3, 1)).await;
    let mut settings = MailSettings::parse(&smtp.url(), FROM).expect("settings");
    settings.poll = Duration::from_millis(100);
    settings.retry_base = Duration::from_millis(300);
    let _mail = jingshi::mail::spawn(app.state.db.clone(), settings).expect("mail task");

    app.add_user_with_email(
        "tax-officer",
        &[Role::Borrower],
        Some("yn-tax"),
        Some("tax@example.cn"),
    );
    app.add_user_with_email("tax-clerk", &[Role::Borrower], Some("yn-tax"), None);
    app.add_user_with_email(
        "customs",
        &[Role::Borrower],
        Some("kunming-customs"),
        Some("customs@example.cn"),
    );
    let librarian = app.librarian("lib").await;
    lendable_titled(&librarian, "mail-film", "邮件通知测试片", Some(2), 0).await;
    let tax = app.login("tax-officer", USER_PASSWORD).await;
    let loan = requested(&tax, "mail-film", "digital", "2027-03-08", "2027-03-10").await;
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox"),
        0,
        "a request mails nobody"
    );

    act_ok(&librarian, &loan, "approve", json!({})).await;
    // Queued with the notification, in the approval's transaction.
    assert_eq!(
        app.count(
            "SELECT count(*) FROM mail_outbox o JOIN notifications n ON n.id = o.notification_id
                   WHERE n.kind = 'approved' AND o.recipient = 'tax@example.cn'"
        ),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox"),
        1,
        "only the address of the unit"
    );

    let received = smtp.wait_for(1, 30).await;
    let mail = &received[0];
    assert_eq!(mail.rcpt_to, ["tax@example.cn"]);
    assert_eq!(mail.mail_from, "jingshi@example.cn");
    assert_eq!(mail.subject(), "【警示教育资源库】借阅申请已批准");
    assert!(mail.header("To").unwrap().contains("tax@example.cn"));
    let body = mail.body();
    assert!(
        body.contains("《邮件通知测试片》的借阅申请（2027-03-08 至 2027-03-10）已批准"),
        "{body}"
    );
    assert!(body.contains("本单位借阅"), "{body}");

    // The refusal was logged on the row and the message sent on the second try (the
    // row is marked once the relay's 250 is read, just after the relay kept the mail).
    let sent = "SELECT count(*) FROM mail_outbox WHERE sent_ms IS NOT NULL AND attempts = 1";
    // Polled for up to 30 s: only the outcome matters here, not the pace.
    for _ in 0..600 {
        if app.count(sent) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(sent), 1);
    let error: String = app
        .state
        .db
        .get()
        .unwrap()
        .query_row("SELECT last_error FROM mail_outbox", [], |r| r.get(0))
        .unwrap();
    assert!(error.contains("451"), "{error}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(smtp.received().len(), 1, "sent once, to nobody else");

    // The in-app notification is there as before.
    let (_, notes) = tax.get_json("/api/v1/notifications").await;
    assert!(notes.to_string().contains("已批准"), "{notes}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bare_binary_mails_with_smtp_settings_and_users_get_an_address_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        jingshi(dir.path())
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run jingshi")
    };
    let user_add = |username: &str, role: &str, more: &[&str]| {
        let mut args = vec!["user", "add", "--username", username, "--role", role];
        args.extend(["--password", USER_PASSWORD]);
        args.extend(more);
        run(&args)
    };
    let unit = [
        "--code",
        "mail-unit",
        "--name",
        "邮件测试单位",
        "--sector",
        "税务",
    ];
    let out = run(&[&["unit", "add"][..], &unit].concat());
    assert!(out.status.success(), "{out:?}");
    let borrower = ["--unit", "mail-unit", "--email"];
    let out = user_add(
        "officer",
        "borrower",
        &[&borrower[..], &["officer@example.cn"]].concat(),
    );
    assert!(out.status.success(), "{out:?}");
    let out = user_add(
        "typo",
        "borrower",
        &[&borrower[..], &["not an address"]].concat(),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("邮箱地址"),
        "{out:?}"
    );
    // Accounts made before the first start mean no `admin`: a librarian of our own.
    let out = user_add("lib", "librarian", &[]);
    assert!(out.status.success(), "{out:?}");
    let conn = open_db(dir.path());
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM users WHERE email = 'officer@example.cn'"
        ),
        1
    );
    assert_eq!(
        query_i64(&conn, "SELECT count(*) FROM users WHERE username = 'typo'"),
        0
    );

    // A relay without a sender is refused at start, in words.
    let out = jingshi(dir.path())
        .env("JINGSHI_SMTP_URL", "smtp://127.0.0.1:25")
        .args(["serve", "--addr", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .output()
        .expect("run jingshi");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("JINGSHI_MAIL_FROM"),
        "{out:?}"
    );

    // Bare `jingshi` (as `cargo run --release` starts it) reads the same environment.
    let smtp = SmtpServer::start(0).await;
    let url = smtp.url();
    let (_server, addr) = start_bare_server_with(
        dir.path(),
        &[("JINGSHI_SMTP_URL", &url), ("JINGSHI_MAIL_FROM", FROM)],
    )
    .await;
    let admin = sign_in(addr, "lib", USER_PASSWORD).await;
    lendable_titled(&admin, "cli-mail-film", "命令行邮件测试片", Some(2), 0).await;
    let officer = sign_in(addr, "officer", USER_PASSWORD).await;
    let today = jingshi::clock::Clock::system().today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    approved(
        &admin,
        &officer,
        "cli-mail-film",
        "digital",
        &day(20),
        &day(22),
    )
    .await;
    let received = smtp.wait_for(1, 30).await;
    assert_eq!(received[0].rcpt_to, ["officer@example.cn"]);
    assert_eq!(received[0].subject(), "【警示教育资源库】借阅申请已批准");
    assert!(
        received[0]
            .body()
            .contains("《命令行邮件测试片》的借阅申请")
    );
}
