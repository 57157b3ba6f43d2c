//! One unit cannot block a resource for everyone (issue 14): a limit of open requests
//! per unit and resource (default 1), and a maximum loan length (default 30 days
//! digital, 60 physical) that renewals respect too; both are loan settings that only
//! librarians change. Run with `-- --nocapture` to see the figures the probes reach.

use jingshi::loans::{self, Command, LoanId, LoanRequest, RenewRequest};
use serde_json::{Value, json};

use crate::common::lending::{MONDAY, act, act_ok, day, request, requested};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp};

/// How far the probes reach: more than any limit, old or new.
const PROBE_REQUESTS: usize = 20;
const PROBE_DAYS: i64 = 120;

pub fn officer(unit: &str, librarian: bool) -> jingshi::actor::Actor {
    jingshi::actor::Actor {
        user_id: None,
        username: format!("officer-{unit}"),
        unit: (!librarian).then(|| unit.to_owned()),
        librarian,
        admin: false,
    }
}

pub fn loan_input(unit: Option<&str>, start: i64, end: i64) -> LoanRequest {
    LoanRequest {
        resource_id: Some("film".into()),
        format: Some("digital".into()),
        start: Some(day(start)),
        end: Some(day(end)),
        purpose: Some("专题警示教育大会".into()),
        audience: Some(80),
        unit: unit.map(str::to_owned),
    }
}

/// A fixed Monday, a librarian and a film with unlimited licences and two copies.
pub async fn library() -> (TestApp, Session) {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib").await;
    // Not the `lendable` fixture: that one lifts the limits under test.
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "film", "kind": "video", "title": "测试警示片", "access": "loan",
                    "status": "published", "licences": null, "copies": 2}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (app, librarian)
}

/// `PUT /api/v1/resources/film/loan-settings` with `body`.
pub async fn put_settings(session: &Session, body: Value) -> (u16, Value) {
    let path = "/api/v1/resources/film/loan-settings";
    session.send_json(reqwest::Method::PUT, path, &body).await
}

pub fn assert_error(status: u16, body: &Value, want_status: u16, code: &str, words: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains(words), "{message}");
}

#[tokio::test]
async fn one_unit_holds_one_open_request_per_resource_over_http() {
    let (app, librarian) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    let (mut accepted, mut first, mut refusal) = (0, None, None);
    for _ in 0..PROBE_REQUESTS {
        match request(&tax, "film", "digital", &day(7), &day(9)).await {
            (201, loan) => {
                accepted += 1;
                first = first.or(Some(loan));
            }
            other => refusal = refusal.or(Some(other)),
        }
    }
    println!("open requests one unit held on one resource: {accepted} (probe of {PROBE_REQUESTS})");
    assert_eq!(accepted, 1);
    let (status, body) = refusal.unwrap();
    assert_error(status, &body, 409, "too_many_open_requests", "未结束");
    let loans_before = app.count("SELECT count(*) FROM loans");
    // The other format of the same resource counts too, and so does a librarian
    // filing for the unit: the rule protects the other units.
    let (status, body) = request(&tax, "film", "physical", &day(20), &day(21)).await;
    assert_error(status, &body, 409, "too_many_open_requests", "yn-tax");
    let (status, body) = librarian
        .post_json(
            "/api/v1/loans",
            &json!({"resource_id": "film", "format": "physical", "start": day(20), "end": day(21),
                    "purpose": "代为申请", "audience": 10, "unit": "yn-tax"}),
        )
        .await;
    assert_error(status, &body, 409, "too_many_open_requests", "未结束");
    assert_eq!(app.count("SELECT count(*) FROM loans"), loans_before);
    // Another unit is not held back by yn-tax's request.
    let customs = app.borrower("customs", "kunming-customs").await;
    requested(&customs, "film", "digital", &day(7), &day(9)).await;
    // A cancelled request is no longer open.
    act_ok(&tax, &first.unwrap(), "cancel", json!({})).await;
    requested(&tax, "film", "digital", &day(7), &day(9)).await;
}

#[tokio::test]
async fn the_loan_form_page_shows_the_refusal_and_stores_nothing() {
    let (app, _librarian) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    requested(&tax, "film", "digital", &day(7), &day(9)).await;
    let before = app.count("SELECT count(*) FROM loans");
    let (_, html) = page(&tax, "/resources/film").await;
    let csrf = csrf_of(&html);
    let (status, _, html) = post_form(
        &tax,
        "/resources/film/loan",
        &[
            ("csrf", &csrf),
            ("format", "digital"),
            ("start", &day(14)),
            ("end", &day(15)),
            ("purpose", "<script>alert(1)</script>"),
            ("audience", "30"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("未结束"), "{html}");
    assert!(
        !html.contains("<script>alert(1)"),
        "markup echoed unescaped"
    );
    assert_eq!(app.count("SELECT count(*) FROM loans"), before);
}

/// The longest period (in days) a request of `format` is accepted for, probing from
/// [`PROBE_DAYS`] down; the accepted request is cancelled again.
async fn longest_accepted(session: &Session, format: &str) -> Option<i64> {
    for days in (1..=PROBE_DAYS).rev() {
        if let (201, loan) = request(session, "film", format, &day(7), &day(7 + days - 1)).await {
            act_ok(session, &loan, "cancel", json!({})).await;
            return Some(days);
        }
    }
    None
}

#[tokio::test]
async fn a_loan_is_at_most_the_longest_period_of_its_format() {
    let (app, librarian) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    let digital = longest_accepted(&tax, "digital").await;
    let physical = longest_accepted(&tax, "physical").await;
    println!("longest loan accepted: digital {digital:?} days, physical {physical:?} days");
    assert_eq!((digital, physical), (Some(30), Some(60)));
    let (status, body) = request(&tax, "film", "digital", &day(7), &day(7 + 30)).await;
    assert_error(status, &body, 422, "loan_too_long", "30 天");
    // A librarian shortens the digital period; the physical one stays.
    let (status, body) = put_settings(&librarian, json!({"max_days_digital": 10})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["max_days_digital"].as_i64(),
            body["max_days_physical"].as_i64()
        ),
        (Some(10), Some(60))
    );
    assert_eq!(longest_accepted(&tax, "digital").await, Some(10));
}

/// The longest total period `loan` reaches with one renewal, probing from far down.
async fn longest_renewal(session: &Session, loan: &Value) -> Option<i64> {
    for days in (1..=3 * PROBE_DAYS).rev() {
        let end = day(days - 1);
        if end.as_str() <= loan["end"].as_str().unwrap() {
            return None;
        }
        if let (200, _) = act(session, loan, "renew", json!({"end": end})).await {
            return Some(days);
        }
    }
    None
}

#[tokio::test]
async fn renewals_stay_within_the_longest_period() {
    let (app, librarian) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    let loan = requested(&tax, "film", "digital", &day(0), &day(19)).await;
    let loan = act_ok(&librarian, &loan, "approve", json!({})).await;
    let first = longest_renewal(&tax, &loan).await;
    let renewed = crate::common::lending::show(&tax, &loan).await;
    let second = longest_renewal(&tax, &renewed).await;
    println!("longest digital loan reached with renewals: {first:?} then {second:?} days");
    assert_eq!((first, second), (Some(30), None));
    // Through the domain: the refusal names the limit and changes nothing.
    let mut conn = app.state.db.get().unwrap();
    let id = LoanId(loan["id"].as_i64().unwrap());
    let refused = loans::act(
        &mut conn,
        &officer("yn-tax", false),
        id,
        Command::Renew(RenewRequest { end: Some(day(40)) }),
        app.state.clock.moment(),
    );
    let message = refused.unwrap_err().to_string();
    assert!(message.contains("30 天"), "{message}");
    let renewals = format!("SELECT renewals FROM loans WHERE id = {}", id.0);
    assert_eq!(app.count(&renewals), 1);
}
