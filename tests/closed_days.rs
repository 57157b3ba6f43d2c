//! Closed days: filling a year from the State Council's holiday notice (API, page and
//! domain), the year view, and who may change the calendar.

use jingshi::actor::Actor;
use jingshi::loans::days::{DayKind, list_days};
use jingshi::loans::notice::{SHIPPED, apply_notice};
use serde_json::json;

use crate::common::TestApp;
use crate::common::process::query_i64;
use crate::common::web::{csrf_of, page, post_form};

const NOTICE_2027: &str = "国务院办公厅关于2027年部分节假日安排的通知\n\
    一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n\
    二、春节：2月6日（农历腊月三十、周六）至12日（周五）放假调休，共7天。2月14日（周日）上班。\n\
    各地区、各部门要妥善安排好值班工作。";

fn audit_rows(app: &TestApp, action: &str) -> i64 {
    let conn = rusqlite::Connection::open(app.data().join("content/jingshi.db")).unwrap();
    query_i64(
        &conn,
        &format!("SELECT count(*) FROM audit_log WHERE action = '{action}'"),
    )
}

#[tokio::test]
async fn a_pasted_notice_fills_the_year_and_a_bad_one_changes_nothing() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let shipped = audit_rows(&app, "holiday_notice_applied");
    // A day typed by hand that the notice does not list is replaced.
    let (status, _) = lib
        .post_json(
            "/api/v1/holidays",
            &json!({"date": "2027-03-08", "kind": "holiday", "name": "手工"}),
        )
        .await;
    assert_eq!(status, 201);

    let (status, applied) = lib
        .post_json("/api/v1/holidays/notice", &json!({"text": NOTICE_2027}))
        .await;
    assert_eq!(status, 200, "{applied}");
    assert_eq!(
        applied,
        json!({"year": 2027, "holidays": 10, "workdays": 1, "replaced": 1})
    );
    let (_, listed) = officer.get_json("/api/v1/holidays?year=2027").await;
    let listed = listed.as_array().unwrap();
    assert_eq!(listed.len(), 11);
    assert!(
        listed
            .iter()
            .any(|d| d["date"] == "2027-02-14" && d["kind"] == "workday")
    );
    assert!(!listed.iter().any(|d| d["date"] == "2027-03-08"));
    assert_eq!(audit_rows(&app, "holiday_notice_applied"), shipped + 1);

    // A notice with a mistake names its line and leaves the year as it was.
    let wrong = NOTICE_2027.replace("共7天", "共8天");
    let (status, body) = lib
        .post_json("/api/v1/holidays/notice", &json!({"text": wrong}))
        .await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("第 3 行") && message.contains("共8天"),
        "{message}"
    );
    let (_, again) = officer.get_json("/api/v1/holidays?year=2027").await;
    assert_eq!(again.as_array().unwrap().len(), 11);
    // The wrong year, an oversized paste, and no dates at all.
    for (body, why) in [
        (json!({"text": NOTICE_2027, "year": 2028}), "2027"),
        (json!({"text": "一".repeat(30_000)}), "过长"),
        (
            json!({"text": "<script>alert(1)</script>", "year": 2027}),
            "没有读出",
        ),
    ] {
        let (status, answer) = lib.post_json("/api/v1/holidays/notice", &body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer["error"]["message"].as_str().unwrap().contains(why),
            "{answer}"
        );
    }
    assert_eq!(audit_rows(&app, "holiday_notice_applied"), shipped + 1);

    // A borrower may read the calendar but not change it.
    let (status, _) = officer
        .post_json("/api/v1/holidays/notice", &json!({"text": NOTICE_2027}))
        .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn the_domain_refuses_borrowers_and_keeps_the_year_on_a_bad_notice() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let borrower = crate::common::officer_actor();
    assert!(apply_notice(&mut conn, &borrower, NOTICE_2027, None, at).is_err());
    assert!(list_days(&conn, Some(2027)).unwrap().is_empty());
    let librarian = Actor {
        librarian: true,
        unit: None,
        ..borrower
    };
    apply_notice(&mut conn, &librarian, NOTICE_2027, None, at).unwrap();
    let before = list_days(&conn, Some(2027)).unwrap();
    let bad = NOTICE_2027.replace("2月14日", "2月31日");
    assert!(apply_notice(&mut conn, &librarian, &bad, None, at).is_err());
    assert_eq!(list_days(&conn, Some(2027)).unwrap(), before);
    // The shipped schedules read cleanly.
    for (year, text) in SHIPPED {
        let applied = apply_notice(&mut conn, &librarian, text, Some(year), at).unwrap();
        assert!(
            applied.holidays >= 28 && applied.workdays >= 5,
            "{applied:?}"
        );
    }
    let spring = list_days(&conn, Some(2026)).unwrap();
    assert!(
        spring
            .iter()
            .any(|d| d.date.to_string() == "2026-02-23" && d.kind == DayKind::Holiday)
    );
}

#[tokio::test]
async fn the_year_page_shows_and_edits_the_calendar() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let (status, html) = page(&lib, "/librarian/closed-days?year=2027").await;
    assert_eq!(status, 200);
    assert!(html.contains("还没有列出"));
    let csrf = csrf_of(&html);

    // Pasting the notice on the page fills the year and comes back to it.
    let (status, url, html) = post_form(
        &lib,
        "/librarian/closed-days/notice",
        &[("csrf", &csrf), ("year", "2027"), ("notice", NOTICE_2027)],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("year=2027"), "{url}");
    assert!(html.contains("已按放假通知设置"));
    assert!(html.contains(r#"<td class="holiday" data-date="2027-02-08" title="春节">"#));
    assert!(html.contains(r#"<td class="workday" data-date="2027-02-14" title="春节">"#));
    assert!(html.contains(r#"<td class="weekend" data-date="2027-02-20">"#));
    assert!(html.contains(r#"<td class="open" data-date="2027-02-15">"#));

    // A refused paste comes back beside its form with the text kept, escaped.
    let bad = "一、<b>节</b>：2月30日放假。";
    let (status, _, html) = post_form(
        &lib,
        "/librarian/closed-days/notice",
        &[("csrf", &csrf), ("year", "2027"), ("notice", bad)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("不是真实的日期"), "{html}");
    let kept = &html[html.find("notice-text").unwrap()..];
    assert!(kept.contains("&#60;b&#62;节&#60;/b&#62;"));
    assert!(!html.contains("<b>节</b>"));

    // One day added, then removed.
    let (status, _, html) = post_form(
        &lib,
        "/librarian/closed-days",
        &[
            ("csrf", &csrf),
            ("date", "2027-03-08"),
            ("kind", "holiday"),
            ("name", "<i>妇女节</i>"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("&#60;i&#62;妇女节&#60;/i&#62;"));
    let (status, _, html) = post_form(
        &lib,
        "/librarian/closed-days",
        &[
            ("csrf", &csrf),
            ("date", "2027-13-08"),
            ("kind", "holiday"),
            ("name", "x"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"value="2027-13-08""#), "typed date kept");
    let (status, _, html) = post_form(
        &lib,
        "/librarian/closed-days/remove",
        &[("csrf", &csrf), ("date", "2027-03-08")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("已取消该日期"));

    // Without the form token nothing changes.
    let (status, _, _) = post_form(
        &lib,
        "/librarian/closed-days/remove",
        &[("csrf", "forged"), ("date", "2027-02-14")],
    )
    .await;
    assert_eq!(status, 403);

    // A borrower sees neither the page nor may post its forms.
    let officer = app.borrower("officer", "yn-tax").await;
    let (status, _) = page(&officer, "/librarian/closed-days").await;
    assert_eq!(status, 403);
    let (_, html) = page(&officer, "/loans").await;
    let (status, _, _) = post_form(
        &officer,
        "/librarian/closed-days/notice",
        &[
            ("csrf", &csrf_of(&html)),
            ("year", "2027"),
            ("notice", NOTICE_2027),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let (_, listed) = officer.get_json("/api/v1/holidays?year=2027").await;
    assert_eq!(listed.as_array().unwrap().len(), 11);
}

#[tokio::test]
async fn the_shipped_schedules_are_loaded_into_years_not_yet_kept() {
    let app = TestApp::spawn().await;
    let officer = app.borrower("officer", "yn-tax").await;
    let (_, days) = officer.get_json("/api/v1/holidays?year=2026").await;
    let days = days.as_array().unwrap();
    let closed = days.iter().filter(|d| d["kind"] == "holiday").count();
    assert_eq!((closed, days.len() - closed), (33, 6));
    assert!(
        days.iter()
            .any(|d| d["date"] == "2026-10-07" && d["name"] == "国庆节")
    );
    let (_, days) = officer.get_json("/api/v1/holidays?year=2025").await;
    assert_eq!(days.as_array().unwrap().len(), 28 + 5);
    assert_eq!(audit_rows(&app, "holiday_notice_applied"), 2);

    // A year a librarian has kept is left alone on the next start, even if it now
    // differs from the shipped schedule.
    let lib = app.librarian("lib").await;
    let status = lib
        .client
        .delete(lib.url("/api/v1/holidays/2026-10-07"))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 204);
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir).await;
    let officer = app.login("officer", crate::common::USER_PASSWORD).await;
    let (_, days) = officer.get_json("/api/v1/holidays?year=2026").await;
    assert_eq!(days.as_array().unwrap().len(), 38);
    assert_eq!(audit_rows(&app, "holiday_notice_applied"), 2);
}
