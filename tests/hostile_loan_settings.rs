//! The loan settings that keep one unit from blocking a resource (issue 14), through
//! the domain functions: the open-request limit applies to whoever files, only
//! librarians change the settings, and out-of-range or non-numeric values change
//! nothing (no setting, no audit row).

use jingshi::loans::{self, LoanError};
use serde_json::{Value, json};

use crate::common::Session;
use crate::hostile_loans::{library, loan_input, officer, put_settings};

#[tokio::test]
async fn the_domain_function_applies_the_limit_to_whoever_files() {
    let (app, librarian) = library().await;
    let at = app.state.clock.moment();
    let file = |unit: &str, librarian: bool| {
        let mut conn = app.state.db.get().unwrap();
        let named = librarian.then_some("yn-tax");
        loans::create(
            &mut conn,
            &officer(unit, librarian),
            loan_input(named, 7, 9),
            at,
        )
    };
    file("yn-tax", false).unwrap();
    let again = file("yn-tax", false);
    assert!(
        matches!(again, Err(LoanError::TooManyOpen { limit: 1, .. })),
        "{again:?}"
    );
    let desk = file("desk", true);
    assert!(
        matches!(desk, Err(LoanError::TooManyOpen { .. })),
        "{desk:?}"
    );
    // Raised to three by a librarian: two more, then refused again.
    let (status, body) = put_settings(&librarian, json!({"max_open_per_unit": 3})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["max_open_per_unit"], 3);
    for _ in 0..2 {
        file("yn-tax", false).unwrap();
    }
    let fourth = file("yn-tax", false);
    assert!(
        matches!(fourth, Err(LoanError::TooManyOpen { limit: 3, .. })),
        "{fourth:?}"
    );
}

#[tokio::test]
async fn only_librarians_change_the_settings_and_bad_values_change_nothing() {
    let (app, librarian) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    let path = "/api/v1/resources/film/loan-settings";
    // Raw bodies: some of the numbers are beyond what `serde_json::Value` holds.
    let put = |session: &Session, body: &str| {
        let request = session
            .client
            .put(format!("http://{}{path}", app.addr))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_owned());
        async move {
            let resp = request.send().await.unwrap();
            let status = resp.status().as_u16();
            (status, resp.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let audits =
        || app.count("SELECT count(*) FROM audit_log WHERE action = 'loan_settings_changed'");
    let (status, _) = put(&tax, r#"{"max_open_per_unit": 50}"#).await;
    assert_eq!(status, 403);
    for bad in [
        r#"{"max_open_per_unit": 0}"#,
        r#"{"max_open_per_unit": -1}"#,
        r#"{"max_open_per_unit": 1e20}"#,
        r#"{"max_days_digital": 99999999999999999999999}"#,
        r#"{"max_days_physical": "<script>alert(1)</script>"}"#,
        r#"{"max_days_digital": 2.5}"#,
        r#"{"max_days_physical": 10000}"#,
    ] {
        let (status, body) = put(&librarian, bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("之间的整数"), "{bad}: {message}");
        assert!(!message.contains("<script>"), "{message}");
    }
    assert_eq!(audits(), 0);
    let (_, now) = librarian.get_json(path).await;
    assert_eq!(
        (
            &now["max_open_per_unit"],
            &now["max_days_digital"],
            &now["max_days_physical"]
        ),
        (&json!(1), &json!(30), &json!(60))
    );
    // Through the domain: a borrower is refused, whatever the values.
    let mut conn = app.state.db.get().unwrap();
    let change = serde_json::from_value(json!({"max_open_per_unit": 5})).unwrap();
    let refused = loans::change_loan_settings(
        &mut conn,
        &officer("yn-tax", false),
        "film",
        change,
        app.state.clock.moment(),
    );
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );
    // A librarian through the domain: a huge number is refused in words.
    let huge = serde_json::from_str(r#"{"max_days_digital": 1e30}"#).unwrap();
    let refused = loans::change_loan_settings(
        &mut conn,
        &officer("desk", true),
        "film",
        huge,
        app.state.clock.moment(),
    );
    assert!(
        matches!(&refused, Err(LoanError::Invalid { field, .. }) if field == "max_days_digital"),
        "{refused:?}"
    );
    drop(conn);
    let (status, body) = put(
        &librarian,
        r#"{"max_open_per_unit": 2, "auto_approve": true}"#,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["max_open_per_unit"].as_i64(),
            body["auto_approve"].as_bool()
        ),
        (Some(2), Some(true))
    );
    assert_eq!(audits(), 1);
}
