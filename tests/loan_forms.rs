//! The circulation forms of the pages over HTTP (issue 6): the unit's report after
//! use on `/loans` (also after the loan's end, refused input shown beside the form
//! with nothing stored), and the librarian's issue (barcode), return (condition) and
//! move forms on `/librarian/queue`.

use serde_json::{Value, json};

use crate::browser::with_browser;
use crate::common::lending::{MONDAY, day};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp, USER_PASSWORD};
use crate::loan_pages::lendable;

async fn loan(session: &Session, id: u32) -> Value {
    let (status, body) = session.get_json(&format!("/api/v1/loans/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Files a request through the resource page's form; answers the page's token.
async fn request(
    session: &Session,
    resource: &str,
    format: &str,
    start: &str,
    end: &str,
) -> String {
    let (_, html) = page(session, &format!("/resources/{resource}")).await;
    let csrf = csrf_of(&html);
    let (status, url, html) = post_form(
        session,
        &format!("/resources/{resource}/loan"),
        &[
            ("csrf", &csrf),
            ("format", format),
            ("start", start),
            ("end", end),
            ("purpose", "专题警示教育大会"),
            ("audience", "120"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("/loans?created="), "{url}");
    csrf
}

async fn approve_in_queue(librarian: &Session, id: u32) -> String {
    let (_, html) = page(librarian, "/librarian/queue").await;
    let csrf = csrf_of(&html);
    let (status, url, _) = post_form(
        librarian,
        &format!("/loans/{id}/approve"),
        &[("csrf", &csrf), ("next", "/librarian/queue")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("done=approve"), "{url}");
    csrf
}

/// The tax bureau's digital loan #1 of 2027-03-02 to 03-03, approved; today is
/// 2027-03-05. Answers the borrower's session and form token.
async fn expired_loan(app: &TestApp) -> (Session, String) {
    app.state.clock.set_date(MONDAY);
    let librarian = app.librarian("lib").await;
    lendable(&librarian, "report-film").await;
    let borrower = app.borrower("tax-officer", "yn-tax").await;
    let csrf = request(&borrower, "report-film", "digital", &day(1), &day(2)).await;
    approve_in_queue(&librarian, 1).await;
    // Before the loan starts there is nothing to report.
    let (_, html) = page(&borrower, "/loans").await;
    assert!(!html.contains("action=\"/loans/1/report\""), "{html}");
    app.state.clock.set_date(jiff::civil::date(2027, 3, 5));
    (borrower, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_reports_after_the_end_and_bad_input_is_shown_not_stored() {
    let app = TestApp::spawn_with_demo().await;
    let (borrower, csrf) = expired_loan(&app).await;

    // Two days after the end: expired, reportable, on the page and in the API.
    let shown = loan(&borrower, 1).await;
    assert_eq!(shown["status"], "expired", "{shown}");
    assert!(
        shown["actions"]
            .as_array()
            .unwrap()
            .contains(&json!("report")),
        "{shown}"
    );
    // Filtering the list goes by the state as shown.
    for (status, count) in [("expired", 1), ("approved", 0), ("active", 0)] {
        let (_, list) = borrower
            .get_json(&format!("/api/v1/loans?status={status}"))
            .await;
        assert_eq!(
            list.as_array().map(Vec::len),
            Some(count),
            "{status}: {list}"
        );
    }
    let (status, html) = page(&borrower, "/loans").await;
    assert_eq!(status, 200);
    assert!(html.contains("action=\"/loans/1/report\""), "{html}");
    assert!(html.contains("<legend>提交使用报告</legend>"));
    assert!(html.contains(&format!("min=\"{}\" max=\"2027-03-05\"", day(1))));

    let bad: [(&str, &str, &str); 5] = [
        ("", "30", "请填写举办日期"),
        (&day(5), "30", "举办日期不能晚于今天"),
        (&day(0), "30", "举办日期不能早于借阅开始日期 2027-03-02"),
        (&day(2), "0", "参加人数应在 1 到 100000 之间"),
        (&day(2), "三十", "参加人数“三十”应为整数"),
    ];
    for (held_on, participants, message) in bad {
        let (status, url, html) = post_form(
            &borrower,
            "/loans/1/report",
            &[
                ("csrf", &csrf),
                ("next", "/loans#loan-1"),
                ("held_on", held_on),
                ("participants", participants),
                ("feedback", "受到深刻教育"),
            ],
        )
        .await;
        assert_eq!(status, 422, "{held_on}/{participants}: {html}");
        assert!(url.ends_with("/loans/1/report"), "no redirect: {url}");
        assert!(
            html.contains(&format!(
                "<p class=\"error\" role=\"alert\" id=\"report-1-error\">{message}</p>"
            )),
            "{message}: {html}"
        );
        // The typed values come back, the loan list around them.
        assert!(html.contains(&format!("name=\"participants\" min=\"1\" max=\"100000\" required inputmode=\"numeric\" value=\"{participants}\"")), "{html}");
        assert!(html.contains(">受到深刻教育</textarea>"));
        assert!(html.contains("<h1>本单位借阅"));
        assert_eq!(
            app.count("SELECT count(*) FROM loan_reports"),
            0,
            "{message}"
        );
    }
    assert!(loan(&borrower, 1).await["report"].is_null());

    let (status, url, html) = post_form(
        &borrower,
        "/loans/1/report",
        &[
            ("csrf", &csrf),
            ("next", "/loans#loan-1"),
            ("held_on", &day(2)),
            ("participants", "120"),
            ("feedback", "以案为鉴，警钟长鸣"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("/loans?done=report"), "{url}");
    assert!(html.contains("已提交使用报告。"), "{html}");
    assert!(
        html.contains("2027-03-03 组织观看，120 人参加。以案为鉴，警钟长鸣"),
        "{html}"
    );
    assert!(html.contains("<legend>修改使用报告</legend>"), "{html}");
    let report = &loan(&borrower, 1).await["report"];
    assert_eq!(report["held_on"], "2027-03-03");
    assert_eq!(report["participants"], 120);
    assert_eq!(report["feedback"], "以案为鉴，警钟长鸣");
    assert_eq!(report["reported_by"], "tax-officer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_librarian_issues_returns_and_moves_from_the_queue() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib").await;
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "copy-film", "kind": "video", "title": "实体拷贝测试片",
                    "access": "loan", "status": "published", "licences": 0,
                    "copies": [{"barcode": "PF-0001", "location": "工委资料室", "condition": "good"}]}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    request(&tax, "copy-film", "physical", &day(0), &day(3)).await;
    request(&customs, "copy-film", "physical", &day(7), &day(8)).await;
    let csrf = approve_in_queue(&librarian, 1).await;

    // The approved physical loan waits for its copy; the other request can be moved.
    let (_, html) = page(&librarian, "/librarian/queue").await;
    assert!(html.contains("action=\"/loans/1/issue\""), "{html}");
    assert!(html.contains("action=\"/loans/2/move\""), "{html}");
    assert!(!html.contains("action=\"/loans/1/return\""));

    // A barcode that is not a copy is refused and changes nothing.
    let form = |extra: &[(&'static str, &'static str)]| {
        let mut pairs = vec![
            ("csrf", csrf.clone()),
            ("next", "/librarian/queue".to_owned()),
        ];
        pairs.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        pairs
    };
    let post = |path: String, pairs: Vec<(&'static str, String)>| {
        let librarian = &librarian;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(librarian, &path, &pairs).await
        }
    };
    let (status, _, html) = post("/loans/1/issue".into(), form(&[("barcode", "NOPE-9")])).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("没有条码为“NOPE-9”的拷贝"), "{html}");
    assert_eq!(loan(&librarian, 1).await["status"], "approved");

    let (status, url, html) = post("/loans/1/issue".into(), form(&[("barcode", "PF-0001")])).await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("/librarian/queue?done=issue"), "{url}");
    assert!(html.contains("action=\"/loans/1/return\""), "{html}");
    assert!(html.contains("拷贝 <code>PF-0001</code>"));
    let issued = loan(&librarian, 1).await;
    assert_eq!(issued["status"], "active");
    assert_eq!(issued["barcode"], "PF-0001");

    let (status, url, html) = post("/loans/1/return".into(), form(&[("condition", "worn")])).await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=return"), "{url}");
    assert!(!html.contains("action=\"/loans/1/return\""));
    let returned = loan(&librarian, 1).await;
    assert_eq!(returned["status"], "returned");
    assert_eq!(returned["return_condition"], "worn");
    let (_, resource) = librarian.get_json("/api/v1/resources/copy-film").await;
    assert_eq!(resource["holdings"]["copies"][0]["condition"], "worn");
    // The catalogue records the new condition in the resource's edit history.
    let (_, history) = librarian
        .get_json("/api/v1/resources/copy-film/history")
        .await;
    let last = history.as_array().and_then(|h| h.last()).expect("history");
    assert_eq!(last["action"], "copies", "{history}");
    assert_eq!(last["changes"]["copies"][0]["barcode"], "PF-0001", "{last}");
    assert_eq!(last["changes"]["copies"][0]["condition"], "worn", "{last}");
    assert_eq!(last["actor"], "lib", "{last}");

    // Moving a booking: refused dates change nothing, good ones are kept.
    let (status, _, html) = post(
        "/loans/2/move".into(),
        form(&[("start", "2027-03-20"), ("end", "2027-03-18")]),
    )
    .await;
    assert_eq!(status, 422, "{html}");
    let moved = loan(&customs, 2).await;
    assert_eq!(
        (moved["start"].as_str(), moved["end"].as_str()),
        (Some(day(7).as_str()), Some(day(8).as_str()))
    );
    let (status, url, _) = post(
        "/loans/2/move".into(),
        form(&[("start", "2027-03-15"), ("end", "2027-03-16")]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("done=move"), "{url}");
    let moved = loan(&customs, 2).await;
    assert_eq!(moved["start"], "2027-03-15");
    assert_eq!(moved["end"], "2027-03-16");
    assert_eq!(moved["status"], "requested");

    // Once approved, the booking is moved from the resource's calendar.
    approve_in_queue(&librarian, 2).await;
    let calendar = "/librarian/resources/copy-film/calendar?month=2027-03";
    let (status, html) = page(&librarian, calendar).await;
    assert_eq!(status, 200);
    assert!(html.contains("action=\"/loans/2/move\""), "{html}");
    assert!(
        !html.contains("action=\"/loans/1/move\""),
        "a returned loan stays put"
    );
    let (status, url, html) = post(
        "/loans/2/move".into(),
        vec![
            ("csrf", csrf.clone()),
            ("next", calendar.to_owned()),
            ("start", "2027-03-22".to_owned()),
            ("end", "2027-03-23".to_owned()),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("calendar?month=2027-03&done=move"), "{url}");
    assert!(html.contains("已调整借阅日期。"), "{html}");
    assert!(html.contains("2027-03-22 至 2027-03-23"), "{html}");
    let moved = loan(&customs, 2).await;
    assert_eq!(moved["start"], "2027-03-22");
    assert_eq!(moved["status"], "approved");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrower_reports_in_the_browser_and_sees_a_refusal_beside_the_form() {
    let app = TestApp::spawn_with_demo().await;
    expired_loan(&app).await;
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "tax-officer", USER_PASSWORD).await;
        b.goto(&app, "/loans").await;
        b.wait_path("/loans").await;
        let fill = |held_on: &str, participants: &str| {
            format!(
                "const f = document.getElementById('report-1'); f.noValidate = true; \
                 f.held_on.value = '{held_on}'; f.participants.value = '{participants}'; \
                 f.feedback.value = '以案为鉴，警钟长鸣'; return true;"
            )
        };
        // The browser would stop 0 itself; without that check the server says why.
        b.js(&fill(&day(2), "0")).await;
        b.click("#report-1 button[type=submit]").await;
        b.wait_js(
            "return document.getElementById('report-1-error') !== null",
            "the refusal beside the form",
            30,
        )
        .await;
        assert_eq!(b.text("#report-1-error").await, "参加人数应在 1 到 100000 之间");
        let kept = b
            .js("return document.getElementById('report-1').feedback.value")
            .await;
        assert_eq!(kept, "以案为鉴，警钟长鸣");

        b.js(&fill(&day(2), "120")).await;
        b.click("#report-1 button[type=submit]").await;
        b.wait_path("done=report").await;
        let facts = b.text("#loan-1 .facts").await;
        assert!(
            facts.contains("2027-03-03 组织观看，120 人参加。以案为鉴，警钟长鸣"),
            "{facts}"
        );
        // The refused post is answered 422 on purpose; nothing else may complain.
        b.assert_console_clean("on the loans page", &["/loans/1/report - Failed to load resource: the server responded with a status of 422"]).await;
    })
    .await;
}
