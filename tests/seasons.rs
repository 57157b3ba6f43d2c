//! The holiday periods of a year (SPEC §10, issue 19): proposed from the closed-days
//! calendar until the committee confirms them, kept by librarians (API, page and
//! domain), every mistake refused by name with nothing half-saved, and who may
//! read and change them.

use jingshi::actor::Actor;
use jingshi::seasons::{self, PeriodInput, SeasonError, SeasonsChange};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::common::admin::escaped;
use crate::common::web::{csrf_of, encode, page, post_form};

const PUT: reqwest::Method = reqwest::Method::PUT;

/// The period of `season` in an answer.
fn period<'a>(year: &'a Value, season: &str) -> &'a Value {
    year["periods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["season"] == season)
        .unwrap_or_else(|| panic!("no {season} in {year}"))
}

fn stored(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM seasons")
}

fn saved_rows(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM audit_log WHERE action = 'seasons_saved'")
}

#[tokio::test]
async fn the_calendar_proposes_a_librarian_confirms_and_any_borrower_reads() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("officer-tax", "yn-tax").await;
    let customs = app.borrower("officer-customs", "kunming-customs").await;

    // 2026's closed days ship with the library: every season is proposed from them.
    let (status, year) = tax.get_json("/api/v1/seasons/2026").await;
    assert_eq!(status, 200, "{year}");
    assert_eq!(year["year"], 2026);
    assert_eq!(year["reminder_weeks"], 3);
    let codes: Vec<&str> = year["periods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["season"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "yuandan", "chunjie", "qingming", "wuyi", "duanwu", "zhongqiu", "guoqing"
        ]
    );
    let spring = period(&year, "chunjie");
    assert_eq!(
        (
            &spring["label"],
            &spring["start"],
            &spring["end"],
            &spring["confirmed"]
        ),
        (
            &json!("春节"),
            &json!("2026-02-15"),
            &json!("2026-02-23"),
            &json!(false)
        )
    );
    assert_eq!(spring["source"], "closed_days");
    assert_eq!(
        period(&year, "wuyi")["start"],
        "2026-05-01",
        "劳动节 is 五一"
    );
    // A year the calendar does not know has no dates.
    let (_, empty) = tax.get_json("/api/v1/seasons/2031").await;
    assert!(
        empty["periods"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["start"].is_null() && p["source"] == "missing"),
        "{empty}"
    );

    // A librarian moves 春节 by a day (by its name) and the lead time to 4 weeks.
    let (status, saved) = lib
        .send_json(
            PUT,
            "/api/v1/seasons/2026",
            &json!({"periods": [{"season": "春节", "start": "2026-02-14", "end": "2026-02-22"}],
                    "reminder_weeks": 4}),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let spring = period(&saved, "chunjie");
    assert_eq!(
        (&spring["start"], &spring["end"], &spring["confirmed"]),
        (&json!("2026-02-14"), &json!("2026-02-22"), &json!(true))
    );
    assert_eq!(saved["reminder_weeks"], 4);
    assert_eq!(
        period(&saved, "guoqing")["confirmed"],
        false,
        "a season not listed stays as it was"
    );
    // Another unit's borrower reads the same.
    let (status, seen) = customs.get_json("/api/v1/seasons/2026").await;
    assert_eq!((status, &seen), (200, &saved));
    let detail = app.text("SELECT detail FROM audit_log WHERE action = 'seasons_saved'");
    assert!(
        detail.contains("春节 2026-02-14 至 2026-02-22")
            && detail.contains("推算")
            && detail.contains("3 → 4 周"),
        "{detail}"
    );

    // Cleared, it is proposed by the calendar again.
    let (status, cleared) = lib
        .send_json(
            PUT,
            "/api/v1/seasons/2026",
            &json!({"periods": [{"season": "chunjie", "start": null, "end": ""}]}),
        )
        .await;
    assert_eq!(status, 200, "{cleared}");
    let spring = period(&cleared, "chunjie");
    assert_eq!(
        (&spring["start"], &spring["confirmed"]),
        (&json!("2026-02-15"), &json!(false))
    );
    assert_eq!(
        cleared["reminder_weeks"], 4,
        "left out, the lead time stays"
    );
    assert_eq!(stored(&app), 0);
    assert_eq!(saved_rows(&app), 2);
}

#[tokio::test]
async fn a_wrong_period_is_refused_by_name_and_nothing_is_saved() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let good = json!({"season": "chunjie", "start": "2027-02-06", "end": "2027-02-12"});
    let cases = [
        (
            json!({"season": "duanwu", "start": "2027-06-11", "end": "2027-06-09"}),
            "端午：开始日期 2027-06-11 晚于结束日期 2027-06-09",
        ),
        (
            json!({"season": "guoqing", "start": "2028-10-01", "end": "2028-10-07"}),
            "国庆：2027 年的节点应在 2026-12-01 至 2028-01-31 之间",
        ),
        (
            json!({"season": "wuyi", "start": "2027-04-01", "end": "2027-05-05"}),
            "五一：2027-04-01 至 2027-05-05 共 35 天",
        ),
        (
            json!({"season": "qingming", "start": "2027-04-31", "end": "2027-05-02"}),
            "清明的开始日期",
        ),
        (
            json!({"season": "zhongqiu", "start": "2027-09-15"}),
            "中秋：请同时填写开始和结束日期",
        ),
        (
            json!({"season": "<script>alert(1)</script>", "start": "2027-06-01", "end": "2027-06-02"}),
            "不是已知的节点",
        ),
        (
            json!({"season": "chunjie", "start": 20270206, "end": "2027-02-12"}),
            "春节的开始日期应为文字",
        ),
        (good.clone(), "春节出现了两次"),
    ];
    for (bad, words) in cases {
        let body = json!({"periods": [good, bad], "reminder_weeks": 5});
        let (status, answer) = lib.send_json(PUT, "/api/v1/seasons/2027", &body).await;
        assert_eq!(status, 422, "{answer}");
        assert_eq!(answer["error"]["code"], "invalid");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message} should say {words}");
    }
    for weeks in [json!(0), json!(9), json!("三"), json!(-1), json!(2.5)] {
        let body = json!({"periods": [good], "reminder_weeks": weeks});
        let (status, answer) = lib.send_json(PUT, "/api/v1/seasons/2027", &body).await;
        assert_eq!(status, 422, "{answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("1 到 8"),
            "{answer}"
        );
    }
    // Eight periods for seven seasons, and a field that is not ours.
    let eight = json!({"periods": vec![good.clone(); 8]});
    let (status, _) = lib.send_json(PUT, "/api/v1/seasons/2027", &eight).await;
    assert_eq!(status, 422);
    let typo = json!({"period": [good]});
    let (status, _) = lib.send_json(PUT, "/api/v1/seasons/2027", &typo).await;
    assert_eq!(status, 422);
    // The good period of each refused change was not kept, nor the lead time.
    assert_eq!(stored(&app), 0);
    assert_eq!(saved_rows(&app), 0);
    let (_, year) = lib.get_json("/api/v1/seasons/2027").await;
    assert_eq!(year["reminder_weeks"], 3);
    assert_eq!(period(&year, "chunjie")["confirmed"], false);
    // 元旦 may begin in the December before.
    let straddle =
        json!({"periods": [{"season": "yuandan", "start": "2026-12-31", "end": "2027-01-02"}]});
    let (status, answer) = lib.send_json(PUT, "/api/v1/seasons/2027", &straddle).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test]
async fn only_librarians_change_and_hostile_addresses_and_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let change =
        json!({"periods": [{"season": "chunjie", "start": "2027-02-06", "end": "2027-02-12"}]});
    let (status, answer) = officer
        .send_json(PUT, "/api/v1/seasons/2027", &change)
        .await;
    assert_eq!(status, 403, "{answer}");
    let anonymous = reqwest::Client::new();
    let resp = anonymous
        .get(app.url("/api/v1/seasons/2027"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    for year in [
        "..%2F1",
        "%2E%2E%2F2027",
        "1999",
        "2101",
        "99999999999999999999999",
        "-2027",
        "2027abc",
        "%3Cscript%3E",
    ] {
        let (status, answer) = officer.get_json(&format!("/api/v1/seasons/{year}")).await;
        assert_eq!(status, 404, "{year}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("2000 到 2100"),
            "{answer}"
        );
        let (status, _) = lib
            .send_json(PUT, &format!("/api/v1/seasons/{year}"), &change)
            .await;
        assert_eq!(status, 404, "{year}");
    }
    // An oversized body is refused before anything is read.
    let huge = json!({"periods": [{"season": "chunjie", "start": "长".repeat(200_000), "end": "2027-02-12"}]});
    let (status, answer) = lib.send_json(PUT, "/api/v1/seasons/2027", &huge).await;
    assert_eq!(status, 413, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("太大")
    );
    let resp = lib
        .client
        .put(lib.url("/api/v1/seasons/2027"))
        .header("content-type", "application/json")
        .body("{\"periods\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(stored(&app), 0);
    assert_eq!(saved_rows(&app), 0);

    // The domain function decides the same for any caller.
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let borrower = crate::common::officer_actor();
    let input = SeasonsChange {
        periods: vec![PeriodInput {
            season: json!("chunjie"),
            start: json!("2027-02-06"),
            end: json!("2027-02-12"),
        }],
        reminder_weeks: None,
    };
    assert!(matches!(
        seasons::save(&mut conn, &borrower, 2027, &input, at),
        Err(SeasonError::LibrariansOnly { .. })
    ));
    let librarian = Actor {
        librarian: true,
        unit: None,
        ..borrower
    };
    assert!(matches!(
        seasons::save(&mut conn, &librarian, 1999, &input, at),
        Err(SeasonError::UnknownYear(_))
    ));
    let saved = seasons::save(&mut conn, &librarian, 2027, &input, at).unwrap();
    assert!(saved.periods[1].confirmed);
    assert_eq!(stored(&app), 1);
}

/// The form's fields for every season of a year: the given dates for `season`, the
/// page's own (proposed or saved) values for the others.
fn form_fields(html: &str, changes: &[(&str, &str, &str)]) -> Vec<(String, String)> {
    let value_of = |name: &str| {
        let marker = format!("name=\"{name}\" value=\"");
        html.find(&marker)
            .map(|at| {
                html[at + marker.len()..]
                    .split('"')
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .unwrap_or_default()
    };
    let mut fields = vec![
        ("csrf".to_owned(), csrf_of(html)),
        ("year".to_owned(), value_of("year")),
        ("reminder_weeks".to_owned(), value_of("reminder_weeks")),
    ];
    for code in [
        "yuandan", "chunjie", "qingming", "wuyi", "duanwu", "zhongqiu", "guoqing",
    ] {
        let (start, end) = changes
            .iter()
            .find(|(c, _, _)| *c == code)
            .map(|(_, s, e)| ((*s).to_owned(), (*e).to_owned()))
            .unwrap_or_else(|| {
                (
                    value_of(&format!("{code}_start")),
                    value_of(&format!("{code}_end")),
                )
            });
        fields.push((format!("{code}_start"), start));
        fields.push((format!("{code}_end"), end));
    }
    fields
}

fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

#[tokio::test]
async fn the_page_confirms_the_proposal_and_keeps_what_was_typed_when_refused() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let (status, html) = page(&lib, "/librarian/seasons?year=2026").await;
    assert_eq!(status, 200);
    assert!(html.contains("节点日期 · 2026 年"), "{html}");
    assert!(html.contains("根据休息日推算，未确认"));
    assert!(html.contains("name=\"chunjie_start\" value=\"2026-02-15\""));
    assert!(html.contains("还没有发送过提醒"));

    // A refused form shows why beside it, keeps every typed value and marks the row.
    let fields = form_fields(
        &html,
        &[
            ("chunjie", "2026-02-14", "2026-02-22"),
            ("duanwu", "2026-06-21", "2026-06-19"),
        ],
    );
    let (status, _, refused) = post_form(&lib, "/librarian/seasons", &pairs(&fields)).await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("端午：开始日期 2026-06-21 晚于结束日期 2026-06-19"),
        "{refused}"
    );
    assert!(refused.contains("name=\"chunjie_start\" value=\"2026-02-14\""));
    assert!(refused.contains(
        "name=\"duanwu_start\" value=\"2026-06-21\" aria-label=\"端午开始日期\" aria-invalid=\"true\""
    ));
    assert_eq!(stored(&app), 0);

    // Markup typed into a date comes back as text.
    let mut hostile = form_fields(&html, &[]);
    hostile.retain(|(k, _)| k.as_str() != "qingming_start");
    hostile.push(("qingming_start".into(), "<script>alert(1)</script>".into()));
    let (status, _, shown) = post_form(&lib, "/librarian/seasons", &pairs(&hostile)).await;
    assert_eq!(status, 422);
    assert!(
        !shown.contains("<script>alert(1)"),
        "markup must be escaped"
    );
    assert!(
        shown.contains(&escaped("<script>alert(1)</script>")),
        "{shown}"
    );

    // Saved: back to the year, every shown period confirmed.
    let good = form_fields(&html, &[("chunjie", "2026-02-14", "2026-02-22")]);
    let (status, url, saved) = post_form(&lib, "/librarian/seasons", &pairs(&good)).await;
    assert_eq!(status, 200, "{saved}");
    assert!(
        url.ends_with("/librarian/seasons?year=2026&done=saved"),
        "{url}"
    );
    assert!(saved.contains("已保存 2026 年的节点日期"));
    assert!(saved.contains("name=\"chunjie_start\" value=\"2026-02-14\""));
    assert!(!saved.contains("根据休息日推算"));
    assert_eq!(stored(&app), 7);

    // The page is the committee's: a borrower is kept out, and so is a stale form.
    let (status, _) = page(&officer, "/librarian/seasons").await;
    assert_eq!(status, 403);
    let mut forged = good.clone();
    forged[0].1 = "forged".into();
    let (status, _, said) = post_form(&lib, "/librarian/seasons", &pairs(&forged)).await;
    assert_eq!(status, 403, "{said}");
    let (_, loans_page) = page(&officer, "/loans").await;
    let mut as_officer = good.clone();
    as_officer[0].1 = csrf_of(&loans_page);
    let (status, _, said) = post_form(&officer, "/librarian/seasons", &pairs(&as_officer)).await;
    assert_eq!(status, 403, "{said}");
    assert!(said.contains("仅限工委管理员"), "{said}");
    // A year outside the kept ones shows this year instead of failing.
    let (status, html) = page(&lib, &format!("/librarian/seasons?year={}", encode("../1"))).await;
    assert_eq!(status, 200);
    assert!(html.contains("节点日期 · "));
}
