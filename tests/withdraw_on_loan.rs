//! Withdrawing a resource that is on loan (issue 15): the librarian is told how many
//! loans are open and lets them run to their end (the default, also of a plain API
//! call) or recalls them; requests are cancelled either way; every unit touched is
//! notified and its loan page says "该资源已撤回".

use serde_json::{Value, json};

use crate::common::lending::{
    MONDAY, act, act_ok, approved, barcodes, day, issued, lendable, notifications, requested, show,
};
use crate::common::web::{csrf_of, page, post_form, upload};
use crate::common::{Session, TestApp};

const FILM: &str = "withdrawn-film";

/// The loans of one resource in every open state, held by three units.
struct OnLoan {
    lib: Session,
    tax: Session,
    customs: Session,
    grain: Session,
    stranger: Session,
    requested: Value,
    waitlisted: Value,
    approved: Value,
    lent: Value,
    digital: Value,
    file: String,
}

/// Three copies and two licences: a copy lent to the tax bureau (days 0–9), a digital
/// loan of customs running now, an approved copy of the grain bureau (days 7–9), a
/// request of the tax bureau for the last copy and customs waitlisted behind it.
async fn on_loan(app: &TestApp) -> OnLoan {
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let grain = app.borrower("grain", "yn-grain").await;
    let stranger = app.borrower("stranger", "yn-tobacco").await;
    let resource = lendable(&lib, FILM, Some(2), 3).await;
    let (status, file) = upload(&lib, FILM, "讲稿.txt", "以案为鉴。".as_bytes().to_vec()).await;
    assert_eq!(status, 201, "{file}");
    let copies = barcodes(&resource);
    let lent = issued(&lib, &tax, FILM, &day(0), &day(9), &copies[0]).await;
    let digital = approved(&lib, &customs, FILM, "digital", &day(0), &day(9)).await;
    assert_eq!(digital["status"], "active");
    let approved = approved(&lib, &grain, FILM, "physical", &day(7), &day(9)).await;
    let requested = requested(&tax, FILM, "physical", &day(7), &day(9)).await;
    assert_eq!(requested["status"], "requested");
    let waitlisted =
        crate::common::lending::requested(&customs, FILM, "physical", &day(7), &day(9)).await;
    assert_eq!(waitlisted["status"], "waitlisted");
    OnLoan {
        lib,
        tax,
        customs,
        grain,
        stranger,
        requested,
        waitlisted,
        approved,
        lent,
        digital,
        file: format!("/api/v1/files/{}", file["id"].as_str().unwrap()),
    }
}

/// A withdrawal's (cancelled, recalled, running).
fn counts(w: &Value) -> (u64, u64, u64) {
    let n = |key: &str| w[key].as_u64().unwrap();
    (n("cancelled"), n("recalled"), n("running"))
}

fn told(notes: &[(String, String)], kind: &str, text: &str) -> bool {
    notes.iter().any(|(k, m)| k == kind && m.contains(text))
}

/// The `<article>` of loan `loan` on a loans page.
fn article<'a>(html: &'a str, loan: &Value) -> &'a str {
    let start = html
        .find(&format!("id=\"loan-{}\"", loan["id"]))
        .unwrap_or_else(|| panic!("loan {} on the page", loan["id"]));
    let rest = &html[start..];
    &rest[..rest.find("</article>").unwrap()]
}

#[tokio::test]
async fn a_plain_withdrawal_lets_granted_loans_run_and_cancels_the_requests() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let s = on_loan(&app).await;

    // Borrowers may not withdraw; an unknown resource is not found.
    let (status, _) = s
        .tax
        .post_json(&format!("/api/v1/resources/{FILM}/withdraw"), &json!({}))
        .await;
    assert_eq!(status, 403);
    let (status, _) = s
        .lib
        .post_json("/api/v1/resources/no-such-film/withdraw", &json!({}))
        .await;
    assert_eq!(status, 404);

    // The plain call: no body at all.
    let resp = s
        .lib
        .client
        .post(s.lib.url(&format!("/api/v1/resources/{FILM}/withdraw")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["status"], "withdrawn");
    assert_eq!(body["id"], FILM);
    assert_eq!(body["open_loans"], 5);
    let w = &body["withdrawal"];
    assert_eq!(w["on_loans"], "run");
    assert_eq!(
        w["open_loans"],
        json!({"requested": 1, "waitlisted": 1, "approved": 1, "active": 2, "total": 5})
    );
    assert_eq!(counts(w), (2, 0, 3));

    // Requests cancelled with the reason; granted loans as they were, not renewable.
    for loan in [&s.requested, &s.waitlisted] {
        let now = show(&s.lib, loan).await;
        assert_eq!(now["status"], "cancelled", "{now}");
        assert_eq!(now["cancel_reason"], "该资源已撤回");
    }
    for (loan, status) in [
        (&s.approved, "approved"),
        (&s.lent, "active"),
        (&s.digital, "active"),
    ] {
        let now = show(&s.lib, loan).await;
        assert_eq!(now["status"], status, "{now}");
        assert_eq!(now["resource_withdrawn"], true);
        assert!(!now["actions"].as_array().unwrap().contains(&json!("renew")));
    }
    let (status, body) = act(&s.tax, &s.lent, "renew", json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("撤回"));

    // Every unit touched is told, each about its own loans.
    let tax = notifications(&s.tax).await;
    assert!(told(&tax, "cancelled", "该资源已撤回"), "{tax:?}");
    assert!(
        told(
            &tax,
            "withdrawn",
            &format!("请于 {} 前归还实体拷贝", day(9))
        ),
        "{tax:?}"
    );
    let customs = notifications(&s.customs).await;
    assert!(
        told(&customs, "withdrawn", &format!("可使用至 {}", day(9))),
        "{customs:?}"
    );
    assert!(told(&customs, "cancelled", "该资源已撤回"), "{customs:?}");
    assert!(told(
        &notifications(&s.grain).await,
        "withdrawn",
        "照常进行"
    ));
    assert!(notifications(&s.stranger).await.is_empty());

    // The unit's loan page says so on those loans.
    let (_, html) = page(&s.tax, "/loans").await;
    assert!(
        article(&html, &s.lent).contains("该资源已撤回：本笔借阅照常进行至"),
        "{html}"
    );
    assert!(article(&html, &s.requested).contains("该资源已撤回"));
    assert!(!article(&html, &s.requested).contains("照常进行"));

    // A running digital loan still opens its file and page; nobody else sees them.
    assert_eq!(s.customs.get(&s.file).await.status(), 200);
    assert_eq!(page(&s.customs, &format!("/resources/{FILM}")).await.0, 200);
    assert_eq!(s.stranger.get(&s.file).await.status(), 404);
    assert_eq!(
        page(&s.stranger, &format!("/resources/{FILM}")).await.0,
        404
    );
    // The approved copy can still be handed out; no new request is taken.
    let copies = barcodes(&s.lib.get_json(&format!("/api/v1/resources/{FILM}")).await.1);
    crate::common::lending::set_today(&app, 7);
    let out = act_ok(&s.lib, &s.approved, "issue", json!({"barcode": copies[1]})).await;
    assert_eq!(out["status"], "active");
    let (status, _) =
        crate::common::lending::request(&s.stranger, FILM, "digital", &day(8), &day(9)).await;
    assert_eq!(status, 404);

    // The audit row says how many loans were open and what was chosen.
    let (_, rows) = s
        .lib
        .get_json(&format!(
            "/api/v1/audit?action=resource_withdrawn&resource_id={FILM}"
        ))
        .await;
    let detail = rows[0]["detail"].as_str().unwrap();
    assert!(
        detail.contains("未结束的借阅 5 笔") && detail.contains("照常进行"),
        "{detail}"
    );
}

#[tokio::test]
async fn recalling_on_withdrawal_cancels_what_has_not_started_and_recalls_what_is_out() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let s = on_loan(&app).await;
    let url = format!("/api/v1/resources/{FILM}/withdraw");
    let before = app.count("SELECT count(*) FROM notifications");

    // Hostile choices and reasons are refused whole: nothing withdrawn, nobody told.
    for body in [
        json!({"on_loans": "<script>alert(1)</script>"}),
        json!({"on_loans": "recall", "reason": "长".repeat(501)}),
        json!({"on_loans": "recall", "due": "not-a-day"}),
        json!({"on_loans": 7}),
    ] {
        let (status, answer) = s.lib.post_json(&url, &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(answer["error"]["message"].is_string());
    }
    let (_, resource) = s.lib.get_json(&format!("/api/v1/resources/{FILM}")).await;
    assert_eq!(resource["status"], "published");
    assert_eq!(app.count("SELECT count(*) FROM notifications"), before);

    let reason = "发现涉及个人隐私<需处理>";
    let (status, body) = s
        .lib
        .post_json(&url, &json!({"on_loans": "recall", "reason": reason}))
        .await;
    assert_eq!(status, 200, "{body}");
    let w = &body["withdrawal"];
    assert_eq!(counts(w), (3, 2, 0));

    assert_eq!(show(&s.lib, &s.approved).await["status"], "cancelled");
    assert_eq!(show(&s.lib, &s.approved).await["cancel_reason"], reason);
    let lent = show(&s.tax, &s.lent).await;
    assert_eq!(lent["status"], "active", "the copy is still out: {lent}");
    assert_eq!(lent["end"], day(3));
    assert_eq!(lent["recall_reason"], reason);
    let digital = show(&s.customs, &s.digital).await;
    assert_eq!(digital["status"], "expired");
    assert_eq!(s.customs.get(&s.file).await.status(), 404);

    let tax = notifications(&s.tax).await;
    assert!(
        told(&tax, "recalled", &format!("请于 {} 前归还", day(3))),
        "{tax:?}"
    );
    assert!(told(
        &notifications(&s.customs).await,
        "recalled",
        "停止访问"
    ));
    assert!(told(&notifications(&s.grain).await, "cancelled", reason));

    // The unit's page: withdrawn and recalled, the reason escaped.
    let (_, html) = page(&s.tax, "/loans").await;
    let shown = article(&html, &s.lent);
    assert!(shown.contains("该资源已撤回"), "{shown}");
    assert!(shown.contains("已召回"), "{shown}");
    assert!(shown.contains("&#60;需处理&#62;") && !shown.contains("<需处理>"));
    // The recalled copy is checked in as usual.
    let back = act_ok(&s.lib, &s.lent, "return", json!({"condition": "good"})).await;
    assert_eq!(back["status"], "returned");
}

#[tokio::test]
async fn the_editor_tells_the_open_loans_and_takes_the_choice() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let s = on_loan(&app).await;
    let editor = format!("/librarian/resources/{FILM}");
    let (status, html) = page(&s.lib, &editor).await;
    assert_eq!(status, 200);
    assert!(html.contains("该资源有 5 笔未结束的借阅"), "{html}");
    assert!(
        html.contains("待审批 1 · 候补 1 · 已批准 1 · 借出中 2"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let action = format!("{editor}/withdraw");

    // A refusal comes back beside the withdraw button, nothing done.
    let (status, _, html) = post_form(
        &s.lib,
        &action,
        &[
            ("csrf", &csrf),
            ("on_loans", "recall"),
            ("reason", &"长".repeat(501)),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"withdraw-error\""), "{html}");
    assert!(html.contains("撤回原因不能超过 500 个字符"));
    assert_eq!(show(&s.lib, &s.lent).await["recalled_at"], Value::Null);

    let (status, url, html) = post_form(
        &s.lib,
        &action,
        &[("csrf", &csrf), ("on_loans", "recall"), ("reason", "")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("notice=withdrawn"), "{url}");
    assert!(html.contains("借阅处理：取消 3 笔，召回 2 笔"), "{html}");
    assert_eq!(show(&s.tax, &s.lent).await["recall_reason"], "该资源已撤回");
    // Withdrawn: the form is gone, publish is offered.
    assert!(!html.contains("未结束的借阅</legend>"));
}

#[tokio::test]
async fn requests_for_a_resource_withdrawn_another_way_are_cancelled_by_the_sweep() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    lendable(&lib, "patched-film", Some(1), 0).await;
    let holder = requested(&tax, "patched-film", "digital", &day(7), &day(8)).await;
    let waiting = requested(&tax, "patched-film", "digital", &day(7), &day(8)).await;
    assert_eq!(waiting["status"], "waitlisted");
    let (status, body) = lib
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/patched-film",
            &json!({"status": "withdrawn"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    app.sweep();
    for loan in [&holder, &waiting] {
        assert_eq!(show(&tax, loan).await["status"], "cancelled");
    }
    assert!(told(
        &notifications(&tax).await,
        "cancelled",
        "该资源已撤回"
    ));
    // Running the sweep again changes nothing more.
    let notes = app.count("SELECT count(*) FROM notifications");
    app.sweep();
    assert_eq!(app.count("SELECT count(*) FROM notifications"), notes);
}
