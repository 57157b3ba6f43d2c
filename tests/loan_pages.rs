//! The loan pages over HTTP: the request form on the resource page (availability
//! check, POST with the form token), `/loans` for the unit, the librarian's queue and
//! calendar, and the content shown once the unit's loan is active.

use jiff::civil::date;

use crate::common::TestApp;
use crate::common::lending::{MONDAY, day, lendable_titled};
use crate::common::web::{csrf_of, page, post_form};

/// A published resource with one licence and one copy.
pub(crate) async fn lendable(librarian: &crate::common::Session, id: &str) {
    lendable_titled(librarian, id, &format!("借阅页面测试片 {id}"), Some(1), 1).await;
}

#[tokio::test]
async fn a_unit_requests_through_the_form_and_the_librarian_approves_from_the_queue() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib-pages").await;
    lendable(&librarian, "loan-page-film").await;
    let borrower = app.borrower("tax-officer", "yn-tax").await;
    let other = app.borrower("customs-officer", "yn-tobacco").await;

    // The form is on the resource page, and locked content says so.
    let (status, html) = page(&borrower, "/resources/loan-page-film").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("action=\"/resources/loan-page-film/loan\""),
        "{html}"
    );
    assert!(html.contains("查看可借情况"));
    assert!(html.contains("该资源仅限借阅查看"));
    let csrf = csrf_of(&html);

    // The availability check posts the form (no token or purpose in the address) and
    // shows the page with the chosen dates.
    assert!(
        html.contains("formaction=\"/resources/loan-page-film/loan/check#loan\"")
            && !html.contains("formmethod=\"get\""),
        "{html}"
    );
    let (status, url, html) = post_form(
        &borrower,
        "/resources/loan-page-film/loan/check",
        &[
            ("csrf", &csrf),
            ("format", "digital"),
            ("start", &day(7)),
            ("end", &day(9)),
            ("purpose", "<b>中秋</b>专题会"),
            ("audience", "80"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(!url.contains("csrf") && !url.contains("purpose"), "{url}");
    assert!(html.contains("可以借阅"), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", day(7))));
    assert!(
        html.contains("&#60;b&#62;中秋") && !html.contains("<b>中秋"),
        "escaped"
    );
    let (status, _, _) = post_form(
        &other,
        "/resources/loan-page-film/loan/check",
        &[("format", "digital"), ("start", &day(7)), ("end", &day(9))],
    )
    .await;
    assert_eq!(status, 403, "the check needs the form token too");
    let (status, _, _) = post_form(
        &borrower,
        "/resources/..%2F..%2Fetc%2Fpasswd/loan/check",
        &[("csrf", &csrf), ("format", "digital")],
    )
    .await;
    assert!(status == 400 || status == 404, "{status}");
    // The old address still answers, for bookmarks.
    let (status, html) = page(
        &borrower,
        &format!(
            "/resources/loan-page-film?format=digital&start={}&end={}&audience=80&check=1",
            day(7),
            day(9)
        ),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("可以借阅"), "{html}");

    // A refused request comes back with the typed values and the reason.
    let (status, _, html) = post_form(
        &borrower,
        "/resources/loan-page-film/loan",
        &[
            ("csrf", &csrf),
            ("format", "digital"),
            ("start", &day(9)),
            ("end", &day(7)),
            ("purpose", "专题警示教育大会"),
            ("audience", "80"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("专题警示教育大会"));
    assert!(html.contains("class=\"error\""), "{html}");

    // Without the form token nothing is filed.
    let (status, _, _) = post_form(
        &borrower,
        "/resources/loan-page-film/loan",
        &[("format", "digital"), ("start", &day(7)), ("end", &day(9))],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(app.count("SELECT count(*) FROM loans"), 0);

    // The request: redirected to /loans with a notice.
    let (status, url, html) = post_form(
        &borrower,
        "/resources/loan-page-film/loan",
        &[
            ("csrf", &csrf),
            ("format", "digital"),
            ("start", &day(7)),
            ("end", &day(9)),
            ("purpose", "专题警示教育大会"),
            ("audience", "80"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("/loans?created="), "{url}");
    assert!(html.contains("已提交借阅申请"), "{html}");
    assert!(html.contains("借阅页面测试片 loan-page-film"));
    assert!(html.contains("待审批"));
    assert!(html.contains("action=\"/loans/1/cancel\""));
    assert_eq!(
        app.count("SELECT count(*) FROM loans WHERE unit_code = 'yn-tax'"),
        1
    );

    // Another unit does not see it.
    let (status, html) = page(&other, "/loans").await;
    assert_eq!(status, 200);
    assert!(!html.contains("借阅页面测试片"), "{html}");

    // The librarian's queue lists it and approves it.
    let (status, html) = page(&librarian, "/librarian/queue").await;
    assert_eq!(status, 200);
    assert!(html.contains("借阅页面测试片 loan-page-film"), "{html}");
    assert!(html.contains("action=\"/loans/1/approve\""));
    let csrf_lib = csrf_of(&html);
    let (status, url, html) = post_form(
        &librarian,
        "/loans/1/approve",
        &[("csrf", &csrf_lib), ("next", "/librarian/queue")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("/librarian/queue?done=approve"), "{url}");
    assert!(html.contains("已批准"));
    assert_eq!(
        app.count("SELECT count(*) FROM loans WHERE status = 'approved'"),
        1
    );
    // A borrower cannot approve.
    let (status, _, _) = post_form(&other, "/loans/1/approve", &[("csrf", &csrf)]).await;
    assert_eq!(status, 403);

    // The unit sees the approval and its notification.
    let (_, html) = page(&borrower, "/loans").await;
    assert!(html.contains("已批准"), "{html}");
    assert!(html.contains("借阅通知"));

    // The calendar shows the booking.
    let (status, html) = page(
        &librarian,
        &format!(
            "/librarian/resources/loan-page-film/calendar?month={}",
            &day(7)[..7]
        ),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("<table class=\"calendar\">"));
    assert!(
        html.contains(&format!("{} 至 {}", day(7), day(9))),
        "{html}"
    );
    assert!(html.contains("数字 1/1"), "{html}");
    let (status, _) = page(&borrower, "/librarian/resources/loan-page-film/calendar").await;
    assert_eq!(status, 403);

    // Inside the period the unit's borrowers see the content; the other unit does not.
    app.state.clock.set_date(date(2027, 3, 9));
    let (_, html) = page(&borrower, "/resources/loan-page-film").await;
    assert!(!html.contains("该资源仅限借阅查看"), "{html}");
    let (_, html) = page(&other, "/resources/loan-page-film").await;
    assert!(html.contains("该资源仅限借阅查看"));
    // After the period it is locked again.
    app.state.clock.set_date(date(2027, 3, 11));
    let (_, html) = page(&borrower, "/resources/loan-page-film").await;
    assert!(html.contains("该资源仅限借阅查看"));
}

#[tokio::test]
async fn the_unit_cancels_and_reports_from_its_loans_page() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib-pages").await;
    lendable(&librarian, "loan-page-film").await;
    let borrower = app.borrower("tax-officer", "yn-tax").await;
    let (_, html) = page(&borrower, "/resources/loan-page-film").await;
    let csrf = csrf_of(&html);
    for (start, end) in [(day(1), day(2)), (day(14), day(15))] {
        let (status, _, _) = post_form(
            &borrower,
            "/resources/loan-page-film/loan",
            &[
                ("csrf", &csrf),
                ("format", "digital"),
                ("start", &start),
                ("end", &end),
                ("purpose", "警示教育"),
                ("audience", "30"),
            ],
        )
        .await;
        assert_eq!(status, 200);
    }
    let (status, _, html) = post_form(&borrower, "/loans/2/cancel", &[("csrf", &csrf)]).await;
    assert_eq!(status, 200);
    assert!(html.contains("已取消"), "{html}");

    let (status, _, _) = post_form(
        &librarian,
        "/loans/1/approve",
        &[(
            "csrf",
            &csrf_of(&page(&librarian, "/librarian/queue").await.1),
        )],
    )
    .await;
    assert_eq!(status, 200);
    app.state.clock.set_date(date(2027, 3, 5));
    // Two days after its end the digital loan is shown expired and can be reported,
    // even before the background task has written the new state (posting it is in
    // `loan_forms`).
    let (status, html) = page(&borrower, "/loans").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<span class=\"badge status\">已到期</span>"),
        "{html}"
    );
    assert!(html.contains("action=\"/loans/1/report\""), "{html}");
}

#[tokio::test]
async fn the_renew_form_shows_only_while_a_renewal_can_be_made() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("renew-form-lib").await;
    lendable(&librarian, "renew-form-film").await;
    let borrower = app.borrower("renew-form-tax", "yn-tax").await;
    let loan = crate::common::lending::approved(
        &librarian,
        &borrower,
        "renew-form-film",
        "digital",
        &day(2),
        &day(3),
    )
    .await;
    let id = loan["id"].as_i64().unwrap();
    let renew_form = format!("action=\"/loans/{id}/renew\"");

    // Not started yet: nothing to extend. Cancelling asks first.
    let (_, html) = page(&borrower, "/loans").await;
    assert!(!html.contains(&renew_form), "{html}");
    assert!(html.contains("data-confirm=\"确定要取消"), "{html}");
    assert!(
        html.contains("<h1>本单位借阅</h1>"),
        "the unit's name apart: {html}"
    );

    // Running: offered until the renewals are used up, then gone here and in the API.
    crate::common::lending::set_today(&app, 2);
    app.sweep();
    let (_, html) = page(&borrower, "/loans").await;
    assert!(html.contains(&renew_form), "{html}");
    for _ in 0..jingshi::loans::MAX_RENEWALS {
        let shown = crate::common::lending::show(&borrower, &loan).await;
        let end: jiff::civil::Date = shown["end"].as_str().unwrap().parse().unwrap();
        let later = end
            .checked_add(jiff::Span::new().days(1))
            .unwrap()
            .to_string();
        crate::common::lending::act_ok(
            &borrower,
            &loan,
            "renew",
            serde_json::json!({"end": later}),
        )
        .await;
    }
    let (_, html) = page(&borrower, "/loans").await;
    assert!(!html.contains(&renew_form), "{html}");
    let shown = crate::common::lending::show(&borrower, &loan).await;
    assert!(
        !shown["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "renew"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_refused_renewal_comes_back_beside_its_form() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("renew-refused-lib").await;
    lendable(&librarian, "renew-refused-film").await;
    let borrower = app.borrower("renew-refused-tax", "yn-tax").await;
    let loan = crate::common::lending::approved(
        &librarian,
        &borrower,
        "renew-refused-film",
        "digital",
        &day(0),
        &day(2),
    )
    .await;
    let id = loan["id"].as_i64().unwrap();
    app.sweep();
    let (_, html) = page(&borrower, "/loans").await;
    let csrf = csrf_of(&html);
    // Too far: past the longest loan.
    let too_far = day(200);
    let (status, url, html) = post_form(
        &borrower,
        &format!("/loans/{id}/renew"),
        &[("csrf", &csrf), ("end", &too_far), ("next", "/loans")],
    )
    .await;
    assert!(status == 409 || status == 422, "{status}: {html}");
    assert!(url.ends_with(&format!("/loans/{id}/renew")), "{url}");
    assert!(html.contains(&format!("id=\"loan-{id}-error\"")), "{html}");
    assert!(
        html.contains(&format!("value=\"{too_far}\"")),
        "the typed end is kept"
    );
    assert!(!html.contains("返回首页"), "no dead end: {html}");
    // Markup typed into the date is shown escaped, never run.
    let (status, _, html) = post_form(
        &borrower,
        &format!("/loans/{id}/renew"),
        &[("csrf", &csrf), ("end", "<script>x</script>")],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    assert!(!html.contains("<script>x"), "{html}");
    assert_eq!(
        crate::common::lending::show(&borrower, &loan).await["end"],
        day(2),
        "nothing changed"
    );
}

#[tokio::test]
async fn the_request_form_shows_all_its_problems_at_once() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("all-errors-lib").await;
    lendable(&librarian, "all-errors-film").await;
    let borrower = app.borrower("all-errors-tax", "yn-tax").await;
    let (_, html) = page(&borrower, "/resources/all-errors-film").await;
    let csrf = csrf_of(&html);
    let (status, _, html) = post_form(
        &borrower,
        "/resources/all-errors-film/loan",
        &[
            ("csrf", &csrf),
            ("format", "digital"),
            ("start", ""),
            ("end", ""),
            ("purpose", " "),
            ("audience", "<b>many</b>"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    for message in ["请选择开始日期", "请选择结束日期", "请填写用途", "应为整数"]
    {
        assert!(html.contains(message), "{message}: {html}");
    }
    assert!(!html.contains("<b>many</b>"), "escaped: {html}");
    assert_eq!(app.count("SELECT count(*) FROM loans"), 0);
}
