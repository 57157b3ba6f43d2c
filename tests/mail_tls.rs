//! Notification mail over TLS: STARTTLS (required) and TLS from the start to a relay
//! whose self-signed certificate the library is told to trust; a relay it does not
//! trust gets nothing, and the outbox says why; a CA file without a certificate stops
//! the mail task from starting.

use std::time::Duration;

use jingshi::accounts::Role;
use jingshi::config::MailSettings;

use crate::common::lending::{approved, lendable_titled};
use crate::common::smtp::{RelayTls, SmtpServer, TestCertificate};
use crate::common::{TestApp, USER_PASSWORD};
use crate::mail::FROM;

/// Requests and approves a loan for a unit borrower with an address: one mail queued.
async fn approve_one_loan(app: &TestApp) {
    app.add_user_with_email(
        "tax-officer",
        &[Role::Borrower],
        Some("yn-tax"),
        Some("tax@example.cn"),
    );
    let librarian = app.librarian("lib").await;
    lendable_titled(&librarian, "tls-film", "加密邮件测试片", Some(2), 0).await;
    let tax = app.login("tax-officer", USER_PASSWORD).await;
    approved(
        &librarian,
        &tax,
        "tls-film",
        "digital",
        "2027-03-08",
        "2027-03-10",
    )
    .await;
}

fn settings(relay: &SmtpServer, ca_file: Option<std::path::PathBuf>) -> MailSettings {
    MailSettings {
        poll: Duration::from_millis(100),
        retry_base: Duration::from_millis(300),
        ca_file,
        ..MailSettings::parse(&relay.url(), FROM).expect("settings")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mail_goes_over_starttls_and_over_tls_to_a_trusted_relay() {
    let certificate = TestCertificate::new();
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), &certificate.pem).unwrap();
    for tls in [
        RelayTls::StartTls(certificate.acceptor.clone()),
        RelayTls::Implicit(certificate.acceptor.clone()),
    ] {
        let relay = SmtpServer::start_with(0, tls).await;
        let app = TestApp::spawn_with_demo_on(jiff::civil::date(2027, 3, 1)).await;
        let _mail = jingshi::mail::spawn(
            app.state.db.clone(),
            settings(&relay, Some(ca.path().to_owned())),
        )
        .expect("mail task");
        approve_one_loan(&app).await;
        let received = relay.wait_for(1, 30).await;
        let url = relay.url();
        assert!(received[0].over_tls, "{url}: the mail came in the clear");
        assert_eq!(received[0].rcpt_to, ["tax@example.cn"], "{url}");
        assert_eq!(received[0].subject(), "【警示教育资源库】借阅申请已批准");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_with_an_untrusted_certificate_gets_nothing_and_the_outbox_says_why() {
    let certificate = TestCertificate::new();
    let relay = SmtpServer::start_with(0, RelayTls::Implicit(certificate.acceptor)).await;
    let app = TestApp::spawn_with_demo_on(jiff::civil::date(2027, 3, 1)).await;
    // Only the system's authorities: the self-signed certificate is not among them.
    let _mail =
        jingshi::mail::spawn(app.state.db.clone(), settings(&relay, None)).expect("mail task");
    approve_one_loan(&app).await;

    let failed = "SELECT count(*) FROM mail_outbox WHERE attempts >= 1 AND sent_ms IS NULL";
    // Up to 30 s: the send is tried eventually.
    for _ in 0..600 {
        if app.count(failed) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(failed), 1, "the send was tried and failed");
    let error: String = app
        .state
        .db
        .get()
        .unwrap()
        .query_row("SELECT last_error FROM mail_outbox", [], |r| r.get(0))
        .unwrap();
    assert!(error.to_lowercase().contains("certificate"), "{error}");
    assert!(relay.received().is_empty());
}

#[tokio::test]
async fn a_ca_file_without_a_certificate_stops_mail_from_starting() {
    let relay =
        SmtpServer::start_with(0, RelayTls::Implicit(TestCertificate::new().acceptor)).await;
    let app = TestApp::spawn().await;
    let not_pem = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(not_pem.path(), "this is not a certificate").unwrap();
    let refused = jingshi::mail::spawn(
        app.state.db.clone(),
        settings(&relay, Some(not_pem.path().to_owned())),
    )
    .err()
    .expect("refused");
    let message = refused.to_string();
    assert!(message.contains("没有证书"), "{message}");
    assert!(
        message.contains(&not_pem.path().display().to_string()),
        "{message}"
    );
    let missing = jingshi::mail::spawn(
        app.state.db.clone(),
        settings(&relay, Some("/nonexistent/ca.pem".into())),
    )
    .err()
    .expect("refused");
    assert!(
        missing.to_string().contains("/nonexistent/ca.pem"),
        "{missing}"
    );
}
