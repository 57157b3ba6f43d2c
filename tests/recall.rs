//! The library cancels and recalls loans with a reason (issue 15): over the API and
//! the domain function, the unit told and shown why, a recalled copy still checked in,
//! and the desk page's forms with their refusals beside them.

use jingshi::loans::{self, Actor, CancelRequest, Command, LoanError, LoanId, RecallRequest};
use serde_json::{Value, json};

use crate::common::lending::{
    MONDAY, act, act_ok, approved, barcodes, day, issued, lendable, notifications, requested,
    set_today, show,
};
use crate::common::web::{csrf_of, page, post_form, upload};
use crate::common::{Session, TestApp};

/// The unit's notifications of `kind`, newest first.
async fn notices(session: &Session, kind: &str) -> Vec<String> {
    notifications(session)
        .await
        .into_iter()
        .filter(|(k, _)| k == kind)
        .map(|(_, message)| message)
        .collect()
}

/// The loan's audit rows of `action`, as the API lists them.
async fn audit_details(lib: &Session, action: &str, loan: &Value) -> Vec<String> {
    let (status, rows) = lib
        .get_json(&format!("/api/v1/audit?action={action}&limit=1000"))
        .await;
    assert_eq!(status, 200, "{rows}");
    let prefix = format!("借阅 {}（", loan["id"]);
    rows.as_array()
        .unwrap()
        .iter()
        .map(|r| r["detail"].as_str().unwrap().to_owned())
        .filter(|d| d.starts_with(&prefix))
        .collect()
}

/// The loan as stored, to check nothing moved: state, end, reasons, recall, renewals.
fn snapshot(app: &TestApp, loan: &Value) -> String {
    let conn = app.state.db.get().unwrap();
    conn.query_row(
        "SELECT status || '|' || end_date || '|' || coalesce(cancel_reason, '') || '|' ||
                coalesce(recall_reason, '') || '|' || coalesce(recalled_at, '') || '|' || renewals
                || '|' || (SELECT count(*) FROM notifications) || '|' || (SELECT count(*) FROM audit_log)
         FROM loans WHERE id = ?1",
        [loan["id"].as_i64().unwrap()],
        |r| r.get(0),
    )
    .unwrap()
}

#[tokio::test]
async fn the_library_cancels_an_approved_loan_with_a_reason_and_the_unit_is_told() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let stranger = app.borrower("stranger", "kunming-customs").await;
    lendable(&lib, "cancel-film", Some(1), 1).await;
    let loan = approved(&lib, &officer, "cancel-film", "physical", &day(7), &day(9)).await;
    assert_eq!(loan["status"], "approved");
    assert!(
        loan["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("cancel"))
    );

    // Without a reason, with an oversized one: refused, nothing written.
    let before = snapshot(&app, &loan);
    let (status, body) = act(&lib, &loan, "cancel", json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["message"], "请填写取消理由");
    let (status, body) = act(&lib, &loan, "cancel", json!({"reason": "长".repeat(501)})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("500"));
    assert_eq!(snapshot(&app, &loan), before);
    // Another unit's borrower does not find it.
    let (status, _) = act(&stranger, &loan, "cancel", json!({"reason": "x"})).await;
    assert_eq!(status, 404);
    assert_eq!(snapshot(&app, &loan), before);

    let reason = "<b>片源</b>需送审，本期暂停出借";
    let cancelled = act_ok(&lib, &loan, "cancel", json!({"reason": reason})).await;
    assert_eq!(cancelled["status"], "cancelled");
    assert_eq!(cancelled["cancel_reason"], reason);
    let told = notices(&officer, "cancelled").await;
    assert!(
        told.iter()
            .any(|m| m.contains(reason) && m.contains(&day(7))),
        "{told:?}"
    );
    let logged = audit_details(&lib, "loan_cancel", &loan).await;
    assert!(logged.iter().any(|d| d.contains(reason)), "{logged:?}");
    // The unit's page shows the reason, escaped.
    let (_, html) = page(&officer, "/loans").await;
    assert!(html.contains("取消理由"), "{html}");
    assert!(html.contains("&#60;b&#62;片源&#60;/b&#62;需送审"), "{html}");
    assert!(!html.contains("<b>片源</b>"));

    // The unit's own cancel stays as it was: no body, no reason needed, no notice.
    let mine = requested(&officer, "cancel-film", "digital", &day(14), &day(15)).await;
    let notes = notices(&officer, "cancelled").await.len();
    let own = act_ok(&officer, &mine, "cancel", json!({})).await;
    assert_eq!(own["status"], "cancelled");
    assert_eq!(own["cancel_reason"], Value::Null);
    assert_eq!(notices(&officer, "cancelled").await.len(), notes);
}

#[tokio::test]
async fn a_recalled_copy_stays_out_until_checked_in_and_cannot_be_renewed() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let stranger = app.borrower("stranger", "kunming-customs").await;
    let resource = lendable(&lib, "recall-film", Some(1), 2).await;
    let copies = barcodes(&resource);
    let loan = issued(&lib, &officer, "recall-film", &day(0), &day(17), &copies[0]).await;
    assert_eq!(loan["status"], "active");
    assert!(
        loan["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("recall"))
    );
    assert!(
        !show(&officer, &loan).await["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("recall"))
    );

    // Who may not: the unit itself (403), another unit (404); bad input: 422.
    let before = snapshot(&app, &loan);
    let (status, body) = act(&officer, &loan, "recall", json!({"reason": "自己召回"})).await;
    assert_eq!(status, 403, "{body}");
    let (status, _) = act(&stranger, &loan, "recall", json!({"reason": "x"})).await;
    assert_eq!(status, 404);
    for (body, message) in [
        (json!({}), "请填写召回理由"),
        (json!({"reason": "   "}), "请填写召回理由"),
        (
            json!({"reason": "长".repeat(501)}),
            "召回理由不能超过 500 个字符",
        ),
        (
            json!({"reason": "x", "due": day(-1)}),
            "召回的归还日期不能早于今天",
        ),
        (
            json!({"reason": "x", "due": day(18)}),
            "召回的归还日期不能晚于原定结束日期",
        ),
        (json!({"reason": "x", "due": "../../etc/passwd"}), "due"),
    ] {
        let (status, answer) = act(&lib, &loan, "recall", body.clone()).await;
        assert_eq!(status, 422, "{body}: {answer}");
        let said = answer["error"]["message"].as_str().unwrap();
        assert!(said.contains(message) || message == "due", "{body}: {said}");
    }
    assert_eq!(snapshot(&app, &loan), before, "refusals change nothing");

    // Recalled with markup in the reason: still active, due in three days (Thursday).
    let reason = "<script>alert('召回')</script>专项检查需要";
    let recalled = act_ok(&lib, &loan, "recall", json!({"reason": reason})).await;
    assert_eq!(recalled["status"], "active");
    assert_eq!(recalled["end"], day(3));
    assert_eq!(recalled["recall_reason"], reason);
    assert!(recalled["recalled_at"].is_string());
    let actions = recalled["actions"].as_array().unwrap();
    assert!(actions.contains(&json!("return")), "{actions:?}");
    assert!(!actions.contains(&json!("renew")) && !actions.contains(&json!("recall")));
    let told = notices(&officer, "recalled").await;
    assert!(
        told.iter()
            .any(|m| m.contains(reason) && m.contains(&day(3))),
        "{told:?}"
    );
    let logged = audit_details(&lib, "loan_recall", &loan).await;
    assert!(
        logged
            .iter()
            .any(|d| d.contains(reason) && d.contains(&day(17))),
        "the old end and the reason are in the log: {logged:?}"
    );
    // Shown to the unit, escaped.
    let (_, html) = page(&officer, "/loans").await;
    assert!(html.contains("已召回"), "{html}");
    assert!(
        html.contains("&#60;script&#62;alert(&#39;召回&#39;)&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));

    // No renewal, no second recall; the copy is still out with this loan.
    let (status, body) = act(&officer, &loan, "renew", json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("召回"));
    let (status, body) = act(&lib, &loan, "recall", json!({"reason": "再次"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "already_recalled");
    let (status, body) = act(
        &lib,
        &requested(&officer, "recall-film", "physical", &day(2), &day(2)).await,
        "approve",
        json!({}),
    )
    .await;
    assert_eq!(status, 200, "the other copy is free: {body}");

    // Past the recall's due day it is overdue like any loan, and is checked in.
    set_today(&app, 4);
    app.sweep();
    assert_eq!(show(&officer, &loan).await["status"], "overdue");
    let back = act_ok(&lib, &loan, "return", json!({"condition": "good"})).await;
    assert_eq!(back["status"], "returned");
    assert_eq!(back["recall_reason"], reason);
}

#[tokio::test]
async fn a_recalled_digital_loan_ends_at_once_and_its_file_closes() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    lendable(&lib, "recall-digital", Some(1), 0).await;
    let (status, file) = upload(
        &lib,
        "recall-digital",
        "讲稿.txt",
        "以案为鉴，警钟长鸣。".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{file}");
    let file = format!("/api/v1/files/{}", file["id"].as_str().unwrap());
    let loan = approved(
        &lib,
        &officer,
        "recall-digital",
        "digital",
        &day(0),
        &day(9),
    )
    .await;
    assert_eq!(loan["status"], "active");
    assert_eq!(officer.get(&file).await.status(), 200);
    // Someone waits for the licence after this loan's days.
    let waiting = requested(&officer, "recall-digital", "digital", &day(5), &day(6)).await;
    assert_eq!(waiting["status"], "waitlisted");

    let recalled = act_ok(&lib, &loan, "recall", json!({"reason": "版权到期"})).await;
    assert_eq!(recalled["status"], "expired");
    assert_eq!(recalled["end"], day(0));
    assert_eq!(officer.get(&file).await.status(), 403);
    // The freed licence goes to the waitlist at once.
    assert_eq!(show(&officer, &waiting).await["status"], "requested");
    assert!(
        notices(&officer, "recalled")
            .await
            .iter()
            .any(|m| m.contains("停止访问") && m.contains("版权到期"))
    );
    // The unit may still report how it used the material.
    let reported = act_ok(
        &officer,
        &loan,
        "report",
        json!({"held_on": day(0), "participants": 40}),
    )
    .await;
    assert_eq!(reported["report"]["sessions"], 1);
}

#[tokio::test]
async fn the_domain_function_refuses_a_borrower_and_writes_nothing() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let resource = lendable(&lib, "domain-recall", None, 1).await;
    let loan = issued(
        &lib,
        &officer,
        "domain-recall",
        &day(0),
        &day(9),
        &barcodes(&resource)[0],
    )
    .await;
    let id = LoanId(loan["id"].as_i64().unwrap());
    let borrower = Actor {
        user_id: None,
        username: "officer".into(),
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
    };
    let other_unit = Actor {
        unit: Some("kunming-customs".into()),
        ..borrower.clone()
    };
    let before = snapshot(&app, &loan);
    let at = app.state.clock.moment();
    let mut conn = app.state.db.get().unwrap();
    let recall = || {
        Command::Recall(RecallRequest {
            reason: Some("收回".into()),
            due: None,
        })
    };
    let refused = loans::act(&mut conn, &borrower, id, recall(), at);
    assert!(
        matches!(refused, Err(LoanError::LibrarianOnly { .. })),
        "{refused:?}"
    );
    let hidden = loans::act(&mut conn, &other_unit, id, recall(), at);
    assert!(matches!(hidden, Err(LoanError::NotFound(_))), "{hidden:?}");
    // An active loan cannot be cancelled, by anyone.
    let cancel = Command::Cancel(CancelRequest {
        reason: Some("不需要了".into()),
    });
    let refused = loans::act(&mut conn, &Actor::system(), id, cancel, at);
    assert!(
        matches!(refused, Err(LoanError::IllegalTransition { .. })),
        "{refused:?}"
    );
    drop(conn);
    assert_eq!(snapshot(&app, &loan), before);
}

#[tokio::test]
async fn the_desk_page_shows_a_refused_recall_beside_its_form() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let resource = lendable(&lib, "desk-film", None, 2).await;
    let copies = barcodes(&resource);
    let loan = issued(&lib, &officer, "desk-film", &day(0), &day(9), &copies[0]).await;
    let path = format!("/librarian/loans/{}", loan["id"]);

    // Borrowers are kept out of the desk page.
    let (status, _) = page(&officer, &path).await;
    assert_eq!(status, 403);
    let (status, html) = page(&lib, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("召回这笔借阅"), "{html}");
    assert!(
        html.contains(&format!("value=\"{}\"", day(3))),
        "default due day"
    );
    let csrf = csrf_of(&html);

    // A due day after the loan's end: refused beside the form, typed values kept.
    let action = format!("/loans/{}/recall", loan["id"]);
    let (status, _, html) = post_form(
        &lib,
        &action,
        &[
            ("csrf", &csrf),
            ("next", &path),
            ("reason", "专项检查<需要>"),
            ("due", &day(12)),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"recall-error\""), "{html}");
    assert!(html.contains("召回的归还日期不能晚于原定结束日期"));
    assert!(html.contains("专项检查&#60;需要&#62;</textarea>"), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", day(12))));
    assert_eq!(show(&lib, &loan).await["recalled_at"], Value::Null);

    // Accepted: back on the page, which now tells it and lists the step.
    let (status, url, html) = post_form(
        &lib,
        &action,
        &[
            ("csrf", &csrf),
            ("next", &path),
            ("reason", "专项检查需要"),
            ("due", &day(2)),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains(&format!("{path}?done=recall")), "{url}");
    assert!(html.contains("已召回。"), "{html}");
    assert!(
        html.contains("召回借阅"),
        "the history names the step: {html}"
    );
    assert!(html.contains("专项检查需要"));
    assert!(
        !html.contains("召回这笔借阅"),
        "no second recall is offered"
    );
    assert_eq!(show(&lib, &loan).await["end"], day(2));

    // The queue offers the library's cancel of an approved copy; a refusal there
    // comes back on the desk page with the message and what was typed.
    let next = approved(&lib, &officer, "desk-film", "physical", &day(7), &day(8)).await;
    let (_, queue) = page(&lib, "/librarian/queue").await;
    assert!(
        queue.contains(&format!("action=\"/loans/{}/cancel\"", next["id"])),
        "{queue}"
    );
    let (status, _, html) = post_form(
        &lib,
        &format!("/loans/{}/cancel", next["id"]),
        &[
            ("csrf", &csrf),
            ("next", "/librarian/queue"),
            ("reason", " "),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"cancel-error\""), "{html}");
    assert!(html.contains("请填写取消理由"));
    let (status, url, _) = post_form(
        &lib,
        &format!("/loans/{}/cancel", next["id"]),
        &[
            ("csrf", &csrf),
            ("next", "/librarian/queue"),
            ("reason", "拷贝送修"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("/librarian/queue?done=cancel"), "{url}");
    assert_eq!(show(&officer, &next).await["cancel_reason"], "拷贝送修");
}
