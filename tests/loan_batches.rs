//! Loan batches (SPEC §10, issue 19): `POST /api/v1/loan-batches` files every item in
//! one transaction with the rules of a single request, or nothing when one item is
//! refused (named by its index and resource); `POST /api/v1/loan-batches/{id}/approve`
//! approves the loans of a batch that fit and says why the others were not.

use jingshi::loans::{self, BatchItem, BatchRequest, LoanError};
use serde_json::{Value, json};

use crate::common::collecting::{batch_library, loan_statuses};
use crate::common::lending::{act_ok, day, lendable, requested};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp};
use crate::queue_table::no_more_licences;

/// What a refused batch must leave exactly as it was.
fn footprint(app: &TestApp) -> (i64, i64, i64, i64) {
    (
        app.count("SELECT count(*) FROM loans"),
        app.count("SELECT count(*) FROM loan_batches"),
        app.count("SELECT count(*) FROM audit_log"),
        app.count("SELECT count(*) FROM notifications"),
    )
}

fn item(resource: &str, format: &str) -> Value {
    json!({"resource_id": resource, "format": format})
}

fn batch(items: Vec<Value>, start: i64, end: i64) -> Value {
    json!({"items": items, "start": day(start), "end": day(end),
           "purpose": "节前集中警示教育", "audience": 60})
}

/// [`batch_library`] and two borrowers of two units.
async fn library() -> (TestApp, Session, Session, Session) {
    let (app, lib) = batch_library("测试警示片 one").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    (app, lib, tax, customs)
}

fn assert_refused_item(status: u16, body: &Value, index: usize, resource: &str, words: &str) {
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "invalid_item", "{body}");
    assert_eq!(body["error"]["item"]["index"], index, "{body}");
    assert_eq!(body["error"]["item"]["resource_id"], resource, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("第 {} 项", index + 1)) && message.contains(words),
        "{message}"
    );
}

#[tokio::test]
async fn a_batch_files_every_item_in_one_go_or_nothing() {
    let (app, _lib, tax, _customs) = library().await;
    let before = footprint(&app);
    // The third item is a draft: the first two must not be filed either.
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(
                vec![
                    item("one", "digital"),
                    item("copy", "physical"),
                    item("draft", "digital"),
                ],
                3,
                5,
            ),
        )
        .await;
    assert_refused_item(status, &body, 2, "draft", "没有编号为“draft”的资源");
    assert_eq!(
        footprint(&app),
        before,
        "a refused batch left something behind"
    );

    // A wrong format is named too, before anything is looked up.
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(vec![item("one", "digital"), item("many", "vhs")], 3, 5),
        )
        .await;
    assert_refused_item(status, &body, 1, "many", "不是有效的借阅形式");
    // A format the resource has none of.
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(vec![item("copy", "digital")], 3, 5),
        )
        .await;
    assert_refused_item(status, &body, 0, "copy", "没有可借的数字许可");
    assert_eq!(footprint(&app), before);

    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(
                vec![
                    item("one", "digital"),
                    item("copy", "physical"),
                    item("many", "digital"),
                ],
                3,
                5,
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let loans = body["loans"].as_array().unwrap();
    assert_eq!(loans.len(), 3);
    for (loan, resource) in loans.iter().zip(["one", "copy", "many"]) {
        assert_eq!(loan["resource_id"], resource);
        assert_eq!(loan["status"], "requested", "{loan}");
        assert_eq!(loan["batch_id"], id);
        assert_eq!(loan["start"], day(3));
        assert_eq!(loan["purpose"], "节前集中警示教育");
        assert_eq!(loan["unit"], "yn-tax");
    }
    assert_eq!(body["unit"], "yn-tax");
    assert_eq!(
        app.count(&format!("SELECT count(*) FROM loans WHERE batch_id = {id}")),
        3
    );
    // One audit row per loan and one for the batch.
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'loan_requested'"),
        3
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'loan_batch_requested'
               AND detail LIKE '%3 项%'"
        ),
        1
    );
    // The unit reads its batch back.
    let (status, shown) = tax.get_json(&format!("/api/v1/loan-batches/{id}")).await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["loans"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn an_item_without_room_waits_while_the_others_are_requested() {
    let (app, _lib, tax, customs) = library().await;
    // Customs holds the only licence of `one` for the days asked.
    requested(&customs, "one", "digital", &day(4), &day(6)).await;
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(vec![item("one", "digital"), item("many", "digital")], 3, 5),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(loan_statuses(&body), ["waitlisted", "requested"]);
    let waiting = &body["loans"][0];
    assert_eq!(waiting["queue_position"], 1);
    assert!(waiting["earliest_free"]["start"].is_string(), "{waiting}");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'loan_waitlisted'"),
        1
    );
    crate::common::lending::assert_never_over_capacity(&app);
}

#[tokio::test]
async fn the_unit_limits_hold_for_every_item() {
    let (app, lib, tax, _customs) = library().await;
    // `limited` keeps the defaults: one open loan per unit, 30 days digital.
    let (status, body) = lib
        .post_json(
            "/api/v1/resources",
            &json!({"id": "limited", "kind": "video", "title": "限借片", "access": "loan",
                    "status": "published", "licences": null}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    requested(&tax, "limited", "digital", &day(10), &day(12)).await;
    let before = footprint(&app);
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(
                vec![item("many", "digital"), item("limited", "digital")],
                3,
                5,
            ),
        )
        .await;
    assert_refused_item(status, &body, 1, "limited", "最多 1 笔");
    assert_eq!(footprint(&app), before);
    // The same period is fine for a resource whose limits allow it (`many`: 92
    // days), but not for `limited` (30 days digital).
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(vec![item("many", "digital")], 20, 20 + 40),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let after_one = footprint(&app);
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(
                vec![item("one", "digital"), item("limited", "digital")],
                20,
                20 + 40,
            ),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["item"]["index"], 1, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("最长"),
        "{body}"
    );
    assert_eq!(footprint(&app), after_one);
}

#[tokio::test]
async fn a_whole_batch_is_refused_for_what_it_shares_and_for_its_shape() {
    let (app, lib, tax, _customs) = library().await;
    let before = footprint(&app);
    let cases: Vec<(Value, &str)> = vec![
        (batch(vec![], 3, 5), "借阅清单是空的"),
        (
            batch(
                (0..51).map(|i| item(&format!("r{i}"), "digital")).collect(),
                3,
                5,
            ),
            "一次最多申请 50 项",
        ),
        (
            batch(
                (0..1000)
                    .map(|i| item(&format!("r{i}"), "digital"))
                    .collect(),
                3,
                5,
            ),
            "本次有 1000 项",
        ),
        (batch(vec![item("one", "digital")], -1, 2), "已过"),
        (batch(vec![item("one", "digital")], 5, 3), "不能早于"),
        (
            json!({"items": [item("one", "digital")], "start": day(3), "end": day(5),
                   "purpose": "长".repeat(201), "audience": 5}),
            "用途不能超过 200 个字符",
        ),
        (
            json!({"items": [item("one", "digital")], "start": day(3), "end": day(5),
                   "purpose": "学习", "audience": 0}),
            "预计参加人数",
        ),
    ];
    for (body, words) in cases {
        let (status, answer) = tax.post_json("/api/v1/loan-batches", &body).await;
        assert_eq!(status, 422, "{words}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{words}: {message}");
    }
    // The same resource and format twice is named by its second place.
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(
                vec![
                    item("one", "digital"),
                    item("many", "digital"),
                    item("one", "digital"),
                ],
                3,
                5,
            ),
        )
        .await;
    assert_refused_item(status, &body, 2, "one", "与第 1 项重复");
    // Malformed JSON and mistyped fields.
    let resp = tax
        .post_raw_json("/api/v1/loan-batches", "{\"items\": [")
        .await;
    assert_eq!(resp.status(), 400);
    let (status, _) = tax
        .post_json("/api/v1/loan-batches", &json!({"items": "one"}))
        .await;
    assert_eq!(status, 422);
    // A librarian must name the unit; a borrower may not name another.
    let (status, body) = lib
        .post_json(
            "/api/v1/loan-batches",
            &batch(vec![item("one", "digital")], 3, 5),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("哪个单位")
    );
    let mut other = batch(vec![item("one", "digital")], 3, 5);
    other["unit"] = json!("kunming-customs");
    let (status, _) = tax.post_json("/api/v1/loan-batches", &other).await;
    assert_eq!(status, 403);
    assert_eq!(footprint(&app), before);
}

#[tokio::test]
async fn hostile_ids_are_named_short_and_nothing_is_created() {
    let (app, _lib, tax, _customs) = library().await;
    let before = footprint(&app);
    let long = "x".repeat(5000);
    for (hostile, shown) in [
        ("../../etc/passwd", "../../etc/passwd"),
        ("<script>alert(1)</script>", "<script>alert(1)</script>"),
        ("one%00", "one%00"),
        (long.as_str(), "xxxxxxxx…"),
    ] {
        let (status, body) = tax
            .post_json(
                "/api/v1/loan-batches",
                &batch(
                    vec![item("many", "digital"), item(hostile, "digital")],
                    3,
                    5,
                ),
            )
            .await;
        assert_eq!(status, 422, "{body}");
        assert_eq!(body["error"]["item"]["index"], 1);
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(shown), "{message}");
        assert!(message.chars().count() < 200, "{message}");
    }
    assert_eq!(footprint(&app), before);
}

#[tokio::test]
async fn the_domain_function_refuses_a_bad_item_and_writes_nothing() {
    let (app, _lib, _tax, _customs) = library().await;
    let before = footprint(&app);
    let mut conn = app.state.db.get().unwrap();
    let officer = jingshi::actor::Actor {
        user_id: None,
        username: "officer".into(),
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
    };
    let input = BatchRequest {
        items: vec![
            BatchItem {
                resource_id: Some("many".into()),
                format: Some("digital".into()),
            },
            BatchItem {
                resource_id: Some("nowhere".into()),
                format: Some("digital".into()),
            },
        ],
        start: Some(day(3)),
        end: Some(day(4)),
        purpose: Some("学习".into()),
        audience: Some(10),
        unit: None,
    };
    let at = app.state.clock.moment();
    let refused = loans::create_batch(&mut conn, &officer, input.clone(), at);
    assert!(
        matches!(&refused, Err(LoanError::BadItem { index: 1, resource_id, .. }) if resource_id == "nowhere"),
        "{refused:?}"
    );
    drop(conn);
    assert_eq!(footprint(&app), before);
    let mut conn = app.state.db.get().unwrap();
    let mut good = input;
    good.items.truncate(1);
    let filed = loans::create_batch(&mut conn, &officer, good, at).expect("batch");
    assert_eq!(filed.loans.len(), 1);
    assert_eq!(filed.loans[0].batch_id, Some(filed.id));
}

#[tokio::test]
async fn approving_a_batch_approves_what_fits_and_says_why_not_the_rest() {
    let (app, lib, tax, customs) = library().await;
    lendable(&lib, "shrinks", Some(1), 0).await;
    requested(&customs, "one", "digital", &day(4), &day(4)).await;
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(
                vec![
                    item("many", "digital"),
                    item("one", "digital"),
                    item("shrinks", "digital"),
                    item("copy", "physical"),
                ],
                3,
                5,
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let loan_ids: Vec<i64> = body["loans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    assert_eq!(body["loans"][1]["status"], "waitlisted");
    // Holdings shrink after the request: that request no longer fits.
    no_more_licences(&lib, "shrinks").await;
    // The unit withdraws its request for the copy.
    act_ok(&tax, &body["loans"][3], "cancel", json!({})).await;

    // Neither the unit nor another unit may approve; nothing changes.
    let before = footprint(&app);
    for borrower in [&tax, &customs] {
        let (status, answer) = borrower
            .post_json(&format!("/api/v1/loan-batches/{id}/approve"), &json!({}))
            .await;
        assert_eq!(status, 403, "{answer}");
    }
    assert_eq!(footprint(&app), before);
    // Another unit does not see the batch at all.
    let (status, _) = customs
        .get_json(&format!("/api/v1/loan-batches/{id}"))
        .await;
    assert_eq!(status, 404);

    let (status, answer) = lib
        .post_json(&format!("/api/v1/loan-batches/{id}/approve"), &json!({}))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["approved"], json!([loan_ids[0]]));
    let not: Vec<(i64, String, String)> = answer["not_approved"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["loan_id"].as_i64().unwrap(),
                n["status"].as_str().unwrap().to_owned(),
                n["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(not.len(), 3, "{answer}");
    assert_eq!((not[0].0, not[0].1.as_str()), (loan_ids[1], "waitlisted"));
    assert!(not[0].2.contains("候补"), "{}", not[0].2);
    assert_eq!((not[1].0, not[1].1.as_str()), (loan_ids[2], "requested"));
    assert!(not[1].2.contains("没有空余"), "{}", not[1].2);
    assert_eq!((not[2].0, not[2].1.as_str()), (loan_ids[3], "cancelled"));
    let statuses: Vec<&str> = answer["batch"]["loans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    // `many` is approved and, being digital from day 3, not yet active.
    assert_eq!(
        statuses,
        ["approved", "waitlisted", "requested", "cancelled"]
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'loan_approve'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'loan_batch_approved'"),
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM notifications WHERE unit_code = 'yn-tax' AND kind = 'approved'"
        ),
        1
    );
    // No batch of that number, or none at all.
    for path in [
        "/api/v1/loan-batches/9999/approve",
        "/api/v1/loan-batches/x/approve",
    ] {
        let (status, _) = lib.post_json(path, &json!({})).await;
        assert_eq!(status, 404, "{path}");
    }
}

#[tokio::test]
async fn the_queue_shows_a_batch_as_one_line_and_approves_it_from_the_page() {
    let (app, lib, tax, customs) = library().await;
    let single = requested(&customs, "one", "digital", &day(4), &day(4)).await;
    let (status, body) = tax
        .post_json(
            "/api/v1/loan-batches",
            &batch(
                vec![item("many", "digital"), item("copy", "physical")],
                3,
                4,
            ),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    let ids: Vec<i64> = body["loans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    let (status, html) = page(&lib, "/librarian/queue").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("id=\"batch-{id}\"")), "{html}");
    assert!(html.contains("批准可批准的全部（2 项）"), "{html}");
    assert!(html.contains("节前集中警示教育（60 人）"), "{html}");
    // The batch's loans are not rows of their own in the pending table.
    assert_eq!(
        crate::queue_table::row_ids(&html),
        vec![single["id"].as_i64().unwrap()]
    );
    // 逐项办理: the table narrowed to the batch, each loan with its own buttons.
    let (status, html) = page(&lib, &format!("/librarian/queue?state=all&batch={id}")).await;
    assert_eq!(status, 200);
    assert_eq!(crate::queue_table::row_ids(&html), ids);
    assert!(html.contains(&format!("action=\"/loans/{}/approve\"", ids[0])));
    let (status, html) = page(&lib, "/librarian/queue?batch=%3Cb%3E").await;
    assert_eq!(status, 422, "a bad batch number is said beside the filter");
    assert!(html.contains("&#60;b&#62;"), "{html}");

    // A borrower may not use the librarian's form; nothing changes.
    let csrf = csrf_of(&page(&tax, "/loans").await.1);
    let before = footprint(&app);
    let (status, _, html) = post_form(
        &tax,
        &format!("/librarian/loan-batches/{id}/approve"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(status, 403, "{html}");
    assert_eq!(footprint(&app), before);

    // The librarian approves both; back to the queue saying which.
    let csrf = csrf_of(&page(&lib, "/librarian/queue").await.1);
    for bad in ["0", "x", "99999"] {
        let (status, _, _) = post_form(
            &lib,
            &format!("/librarian/loan-batches/{bad}/approve"),
            &[("csrf", &csrf)],
        )
        .await;
        assert_eq!(status, 404, "{bad}");
    }
    let (status, url, html) = post_form(
        &lib,
        &format!("/librarian/loan-batches/{id}/approve"),
        &[("csrf", &csrf), ("next", "https://evil.example/")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("/librarian/queue?approved="), "{url}");
    assert!(
        html.contains(&format!("已批准 2 笔申请：#{}、#{}", ids[0], ids[1])),
        "{html}"
    );
    assert!(
        !html.contains(&format!("id=\"batch-{id}\"")),
        "nothing of it waits"
    );
}
