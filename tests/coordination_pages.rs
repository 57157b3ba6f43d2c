//! The coordinator's pages for bases and visits (issue 17): the bases list, a base's
//! week view (sessions, seats, groups, pending requests with their preferences,
//! conflicts), the schedule/reject/close/cancel/one-off/template forms with refusals
//! beside them and the typed values kept, the reception sheet, and who may use them.

use jingshi::actor::Actor;
use jingshi::visits::{VisitError, coordination};
use serde_json::{Value, json};

use crate::common::lending::{MONDAY, day};
use crate::common::visiting::{act_ok, base, requested, session};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp};

async fn setup() -> (TestApp, Session, Session) {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(MONDAY);
    let librarian = app.librarian("coord").await;
    let officer = app.borrower("officer", "yn-tax").await;
    (app, librarian, officer)
}

/// A session of `base` on `day(offset)` from `start` to `end`.
async fn session_at(
    librarian: &Session,
    base: &str,
    offset: i64,
    (start, end): (&str, &str),
    seats: u32,
    label: &str,
) -> Value {
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/bases/{base}/sessions"),
            &json!({"date": day(offset), "start": start, "end": end, "capacity": seats, "label": label}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

fn id(value: &Value) -> String {
    value["id"].to_string()
}

async fn visit_status(session: &Session, visit: &Value) -> String {
    let (_, body) = session
        .get_json(&format!("/api/v1/visits/{}", visit["id"]))
        .await;
    body["status"].as_str().unwrap_or_default().to_owned()
}

async fn session_status(session: &Session, base: &str, offset: i64, id: &Value) -> String {
    let (_, body) = session
        .get_json(&format!(
            "/api/v1/bases/{base}/sessions?from={}&to={}",
            day(offset),
            day(offset)
        ))
        .await;
    body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == *id)
        .map(|s| s["status"].as_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// The week of 8 March 2027 at base `jidi`: one group seated, a request that fits
/// nowhere, a request that does not share against a seated group, and a unit with
/// two requests on one day.
struct Week {
    seated: Value,
    small: Value,
    morning: Value,
    afternoon: Value,
    too_big: Value,
    alone: Value,
    same_day: Value,
}

async fn busy_week(app: &TestApp, librarian: &Session, officer: &Session) -> Week {
    base(app, librarian, "jidi", false).await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let grain = app.borrower("grain", "yn-grain").await;
    let morning = session(librarian, "jidi", 7, 60).await;
    let small = session(librarian, "jidi", 8, 30).await;
    let afternoon = session_at(librarian, "jidi", 7, ("14:00", "16:00"), 40, "下午场").await;
    let seated = requested(officer, "jidi", &[&morning, &small], 25, true).await;
    act_ok(
        librarian,
        &seated,
        "schedule",
        json!({"session_id": morning["id"]}),
    )
    .await;
    // The same unit's second group fills part of Tuesday's session.
    let second = requested(officer, "jidi", &[&small], 12, true).await;
    act_ok(
        librarian,
        &second,
        "schedule",
        json!({"session_id": small["id"]}),
    )
    .await;
    let too_big = requested(&customs, "jidi", &[&small], 20, true).await;
    let alone = requested(&grain, "jidi", &[&morning], 10, false).await;
    let same_day = requested(&grain, "jidi", &[&afternoon], 12, true).await;
    Week {
        seated,
        small,
        morning,
        afternoon,
        too_big,
        alone,
        same_day,
    }
}

#[tokio::test]
async fn the_week_view_shows_sessions_groups_requests_and_conflicts() {
    let (app, lib, officer) = setup().await;
    let week = busy_week(&app, &lib, &officer).await;

    let (status, html) = page(&lib, "/librarian/bases").await;
    assert_eq!(status, 200);
    assert!(html.contains("测试基地 jidi"), "{html}");
    assert!(html.contains("href=\"/librarian/bases/jidi\""));
    assert!(html.contains("3 条"), "three requests wait: {html}");
    // 参观协调 in the navigation, with the requests waiting.
    assert!(
        html.contains("参观协调 <span class=\"nav-count\" title=\"3 条参观申请待安排\""),
        "{html}"
    );

    let (status, html) = page(&lib, &format!("/librarian/bases/jidi?week={}", day(9))).await;
    assert_eq!(status, 200);
    for words in [
        "2027-03-08 至 2027-03-14",
        "周一 3月8日",
        "09:00–11:00",
        "14:00–16:00",
        "下午场",
        "已占 25 / 60 座，余 35",
        "已占 12 / 30 座，余 18",
        "国家税务总局云南省税务局",
        "已安排待确认",
        "本周待安排的申请（3）",
        "只剩 18 个座位，容纳不下 20 人",
        "已有其他单位，本团不接受联合参观",
        "所选场次均无法安排",
        "也选了 2027-03-08，同一天只能安排一次参观",
        "首选此场次的申请共 20 人，只剩 18 个座位",
    ] {
        assert!(html.contains(words), "{words}:\n{html}");
    }
    assert!(html.contains(&format!("id=\"session-{}\"", id(&week.small))));
    assert!(html.contains(&format!("id=\"visit-{}\"", id(&week.too_big))));
    // The one schedulable preference offers its button; blocked ones say why instead.
    assert!(html.contains(&format!(
        "name=\"session_id\" value=\"{}\">安排到此场次",
        id(&week.afternoon)
    )));
    assert!(!html.contains(&format!(
        "name=\"session_id\" value=\"{}\">安排到此场次",
        id(&week.small)
    )));
    // 一键排期 offers to propose the week.
    assert!(html.contains("<section id=\"proposal\""));
    assert!(html.contains("生成本周排期方案"));
    // The week before and after, and the current week.
    assert!(html.contains("?week=2027-03-01\" rel=\"prev\""));
    assert!(html.contains("?week=2027-03-15\" rel=\"next\""));
    let (_, this_week) = page(&lib, "/librarian/bases/jidi").await;
    assert!(this_week.contains("2027-03-01 至 2027-03-07"));
    assert!(this_week.contains("其他有待安排申请的周"), "{this_week}");
    assert!(this_week.contains("2027-03-08 起（3 条）"), "{this_week}");
    // A week that is not a date is said so, and the current week shown.
    let (status, html) = page(&lib, "/librarian/bases/jidi?week=%3Cb%3Ex").await;
    assert_eq!(status, 422);
    assert!(html.contains("日期“&#60;b&#62;x”无效"), "{html}");
    let _ = (&week.seated, &week.alone, &week.same_day, &week.morning);
}

#[tokio::test]
async fn scheduling_and_rejecting_from_the_week_refuse_in_words_and_keep_what_was_typed() {
    let (app, lib, officer) = setup().await;
    let week = busy_week(&app, &lib, &officer).await;
    let here = format!("/librarian/bases/jidi?week={}", day(7));
    let (_, html) = page(&lib, &here).await;
    let csrf = csrf_of(&html);

    // Onto a session too small: 409, the reason beside the request, the choice kept.
    let small = id(&week.small);
    let (status, _, html) = post_form(
        &lib,
        &format!("/librarian/visits/{}/schedule", week.too_big["id"]),
        &[("csrf", &csrf), ("week", &day(7)), ("session_id", &small)],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("场次 2027-03-09 09:00 只剩 18 个座位，容纳不下 20 人的参观团"),
        "{html}"
    );
    assert!(
        html.contains(&format!("<option value=\"{small}\" selected>")),
        "{html}"
    );
    assert_eq!(visit_status(&lib, &week.too_big).await, "requested");
    // Not a session number.
    let (status, _, html) = post_form(
        &lib,
        &format!("/librarian/visits/{}/schedule", week.too_big["id"]),
        &[("csrf", &csrf), ("week", &day(7)), ("session_id", "abc")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("场次编号“abc”应为整数"), "{html}");

    // Onto its preferred session: back to the week with a notice; seats held.
    let (status, url, html) = post_form(
        &lib,
        &format!("/librarian/visits/{}/schedule", week.same_day["id"]),
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("session_id", &id(&week.afternoon)),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=schedule"), "{url}");
    assert!(html.contains(&format!("已安排参观申请 #{}", week.same_day["id"])));
    assert!(html.contains("已占 12 / 40 座"), "{html}");
    assert_eq!(visit_status(&lib, &week.same_day).await, "scheduled");

    // Reject: no reason, then an oversized one, each refused beside the form.
    let reject = format!("/librarian/visits/{}/reject", week.alone["id"]);
    let (status, _, html) = post_form(
        &lib,
        &reject,
        &[("csrf", &csrf), ("week", &day(7)), ("reason", "  ")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("请填写"), "{html}");
    let long = "长".repeat(300);
    let (status, _, html) = post_form(
        &lib,
        &reject,
        &[("csrf", &csrf), ("week", &day(7)), ("reason", &long)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("不能超过 200 个字符"), "{html}");
    assert!(
        html.contains(&format!("value=\"{long}\"")),
        "the reason is kept"
    );
    assert_eq!(visit_status(&lib, &week.alone).await, "requested");
    let (status, url, _) = post_form(
        &lib,
        &reject,
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("reason", "本周名额已满 <b>请改期</b>"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("done=reject"));
    let (_, body) = lib
        .get_json(&format!("/api/v1/visits/{}", week.alone["id"]))
        .await;
    assert_eq!(body["status"], "rejected");
    assert_eq!(body["reason"], "本周名额已满 <b>请改期</b>");
    let _ = (&week.seated, &week.morning);
}

#[tokio::test]
async fn sessions_are_closed_cancelled_and_added_from_the_week() {
    let (app, lib, officer) = setup().await;
    let week = busy_week(&app, &lib, &officer).await;
    let (_, html) = page(&lib, &format!("/librarian/bases/jidi?week={}", day(7))).await;
    let csrf = csrf_of(&html);

    // Cancel without a reason: refused beside that session's form, which stays open.
    let cancel = format!("/librarian/sessions/{}/cancel", week.morning["id"]);
    let (status, _, html) = post_form(
        &lib,
        &cancel,
        &[("csrf", &csrf), ("week", &day(7)), ("reason", "")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("请填写原因"), "{html}");
    assert!(html.contains("<details class=\"session-action\" open>"));
    assert_eq!(visit_status(&lib, &week.seated).await, "scheduled");
    // With a reason (markup shown as text): the group on it is cancelled and told.
    let (status, url, html) = post_form(
        &lib,
        &cancel,
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("reason", "基地<script>检修</script>"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=cancel"), "{url}");
    assert!(
        html.contains("原因：基地&#60;script&#62;检修&#60;/script&#62;"),
        "{html}"
    );
    assert!(!html.contains("<script>检修"));
    assert_eq!(visit_status(&lib, &week.seated).await, "cancelled");
    assert_eq!(
        session_status(&lib, "jidi", 7, &week.morning["id"]).await,
        "cancelled"
    );
    // Cancelling it again is refused in words.
    let (status, _, html) = post_form(
        &lib,
        &cancel,
        &[("csrf", &csrf), ("week", &day(7)), ("reason", "再次")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("<p class=\"error\" role=\"alert\">场次 2027-03-08 09:00–11:00 已取消</p>"),
        "{html}"
    );

    // Close the small session.
    let close = format!("/librarian/sessions/{}/close", week.small["id"]);
    let (status, url, _) = post_form(
        &lib,
        &close,
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("reason", "接待人员外出"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("done=close"));
    assert_eq!(
        session_status(&lib, "jidi", 8, &week.small["id"]).await,
        "closed"
    );
    let (status, _, html) = post_form(
        &lib,
        &close,
        &[("csrf", &csrf), ("week", &day(7)), ("reason", "再次")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("已停止预约"), "{html}");

    // A one-off session: a bad seat count and an oversized label are refused with
    // the typed values kept; a good one lands in its own week.
    let add = "/librarian/bases/jidi/sessions";
    let label = "庭审旁听：<b>某案</b>";
    let fields = |capacity: &'static str, label: &'static str| {
        vec![
            ("week", day(7)),
            ("date", day(16)),
            ("start", "09:30".to_owned()),
            ("end", "11:30".to_owned()),
            ("capacity", capacity.to_owned()),
            ("label", label.to_owned()),
            ("sectors", "税务、海关".to_owned()),
        ]
    };
    let send = |pairs: Vec<(&'static str, String)>| {
        let mut all = vec![("csrf", csrf.clone())];
        all.extend(pairs);
        all
    };
    let pairs = send(fields("三十", label));
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post_form(&lib, add, &borrowed).await;
    assert_eq!(status, 422);
    assert!(html.contains("每场人数“三十”应为整数"), "{html}");
    assert!(
        html.contains("value=\"庭审旁听：&#60;b&#62;某案&#60;/b&#62;\""),
        "{html}"
    );
    assert!(html.contains("value=\"三十\""));
    let long: &'static str = Box::leak("案".repeat(81).into_boxed_str());
    let pairs = send(fields("30", long));
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, _, html) = post_form(&lib, add, &borrowed).await;
    assert_eq!(status, 422);
    assert!(html.contains("场次名称不能超过 80 个字符"), "{html}");
    let pairs = send(fields("30", label));
    let borrowed: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, url, html) = post_form(&lib, add, &borrowed).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        url.contains("week=2027-03-17") && url.contains("done=session"),
        "{url}"
    );
    assert!(html.contains("2027-03-15 至 2027-03-21"));
    assert!(
        html.contains("庭审旁听：&#60;b&#62;某案&#60;/b&#62;"),
        "{html}"
    );
    assert!(!html.contains("<b>某案</b>"));
    assert!(html.contains("优先行业：税务、海关"));

    // A weekly template: an end before its start is refused, then one is added.
    let template = "/librarian/bases/jidi/templates";
    let (status, _, html) = post_form(
        &lib,
        template,
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("weekday", "3"),
            ("start", "15:00"),
            ("end", "14:00"),
            ("capacity", "30"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("结束时间应晚于开始时间"), "{html}");
    assert!(
        html.contains("<option value=\"3\" selected>周三</option>"),
        "{html}"
    );
    assert!(html.contains("value=\"15:00\""));
    let (status, url, html) = post_form(
        &lib,
        template,
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("weekday", "3"),
            ("start", "14:00"),
            ("end", "16:00"),
            ("capacity", "30"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=template"), "{url}");
    assert!(html.contains("每周三 14:00–16:00，每场 30 人"), "{html}");
    // Its session on Wednesday 10 March is in the week.
    assert!(html.contains("已占 0 / 30 座"), "{html}");
}

#[tokio::test]
async fn the_reception_sheet_lists_the_groups_and_prints_on_a4() {
    let (app, lib, officer) = setup().await;
    let week = busy_week(&app, &lib, &officer).await;
    act_ok(&officer, &week.seated, "confirm", json!({})).await;
    act_ok(
        &lib,
        &week.same_day,
        "schedule",
        json!({"session_id": week.afternoon["id"]}),
    )
    .await;
    let (status, html) = page(
        &lib,
        &format!("/librarian/sessions/{}/sheet", week.morning["id"]),
    )
    .await;
    assert_eq!(status, 200);
    for words in [
        "参观接待单",
        "测试基地 jidi",
        "昆明市示例路 1 号",
        "2027-03-08（周一） 09:00–11:00",
        "国家税务总局云南省税务局",
        "李联络 13800138000",
        "已确认",
        "合计",
        "基地接待人签字",
        "张老师 0871-65123456",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    let (_, other) = page(
        &lib,
        &format!("/librarian/sessions/{}/sheet", week.afternoon["id"]),
    )
    .await;
    assert!(other.contains("待确认"), "{other}");
    let nobody = session(&lib, "jidi", 11, 10).await;
    let (_, empty) = page(&lib, &format!("/librarian/sessions/{}/sheet", nobody["id"])).await;
    assert!(empty.contains("此场次尚未安排参观团组"));
    // The print style: A4, the site's header and navigation hidden.
    let css_path = html
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("stylesheet");
    let css = lib.get(css_path).await.text().await.unwrap();
    assert!(css.contains("@page sheet { size: A4;"), "A4 page");
    assert!(css.contains("page: sheet;"));
    assert!(css.contains("header.site, footer.site, .skip, .no-print"));
    // No such session, or not a number.
    for path in [
        "/librarian/sessions/999999/sheet",
        "/librarian/sessions/..%2F1/sheet",
    ] {
        let (status, html) = page(&lib, path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("场次"), "{html}");
    }
}

#[tokio::test]
async fn markup_in_purposes_and_unit_text_is_shown_escaped() {
    let (app, lib, officer) = setup().await;
    base(&app, &lib, "jidi", false).await;
    let first = session(&lib, "jidi", 7, 60).await;
    let mut body = crate::common::visiting::visit_body("jidi", &[&first], 5, true);
    body["purpose"] = json!("<script>alert('目的')</script>");
    body["liaison_name"] = json!("<img src=x onerror=alert(1)>");
    let (status, visit) = officer.post_json("/api/v1/visits", &body).await;
    assert_eq!(status, 201, "{visit}");
    let (_, html) = page(&lib, &format!("/librarian/bases/jidi?week={}", day(7))).await;
    assert!(html.contains("参观目的：&#60;script&#62;alert("), "{html}");
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    act_ok(&lib, &visit, "schedule", json!({"session_id": first["id"]})).await;
    let (_, sheet) = page(&lib, &format!("/librarian/sessions/{}/sheet", first["id"])).await;
    assert!(
        sheet.contains("&#60;img src=x onerror=alert(1)&#62;"),
        "{sheet}"
    );
    assert!(!sheet.contains("<img src=x"));
}

#[tokio::test]
async fn borrowers_are_turned_away_from_every_coordinator_page_and_form() {
    let (app, lib, officer) = setup().await;
    let week = busy_week(&app, &lib, &officer).await;
    let sessions_before = app.count("SELECT count(*) FROM base_sessions");
    for path in [
        "/librarian/bases".to_owned(),
        "/librarian/bases/jidi".to_owned(),
        format!("/librarian/bases/jidi?week={}", day(7)),
        format!("/librarian/sessions/{}/sheet", week.morning["id"]),
    ] {
        let (status, html) = page(&officer, &path).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains("仅限工委资料室"), "{html}");
    }
    // The borrower's own token, on every form.
    let (_, home) = page(&officer, "/").await;
    let csrf = csrf_of(&home);
    let forms: Vec<(String, Vec<(&str, String)>)> = vec![
        (
            format!("/librarian/visits/{}/schedule", week.same_day["id"]),
            vec![("session_id", id(&week.afternoon))],
        ),
        (
            format!("/librarian/visits/{}/reject", week.alone["id"]),
            vec![("reason", "不要".to_owned())],
        ),
        (
            format!("/librarian/sessions/{}/close", week.small["id"]),
            vec![("reason", "x".to_owned())],
        ),
        (
            format!("/librarian/sessions/{}/cancel", week.morning["id"]),
            vec![("reason", "x".to_owned())],
        ),
        (
            "/librarian/bases/jidi/sessions".to_owned(),
            vec![
                ("date", day(20)),
                ("start", "09:00".to_owned()),
                ("end", "10:00".to_owned()),
                ("capacity", "10".to_owned()),
            ],
        ),
        (
            "/librarian/bases/jidi/templates".to_owned(),
            vec![
                ("weekday", "2".to_owned()),
                ("start", "09:00".to_owned()),
                ("end", "10:00".to_owned()),
            ],
        ),
    ];
    for (path, fields) in &forms {
        let mut pairs: Vec<(&str, &str)> = vec![("csrf", &csrf), ("week", "2027-03-08")];
        pairs.extend(fields.iter().map(|(k, v)| (*k, v.as_str())));
        let (status, _, html) = post_form(&officer, path, &pairs).await;
        assert_eq!(status, 403, "{path}: {html}");
    }
    assert_eq!(visit_status(&lib, &week.same_day).await, "requested");
    assert_eq!(visit_status(&lib, &week.alone).await, "requested");
    assert_eq!(visit_status(&lib, &week.seated).await, "scheduled");
    assert_eq!(
        session_status(&lib, "jidi", 8, &week.small["id"]).await,
        "open"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM base_sessions"),
        sessions_before
    );
    assert_eq!(app.count("SELECT count(*) FROM base_templates"), 0);

    // A librarian's form without the token, or with another's, is refused too.
    let (_, html) = page(&lib, "/librarian/bases/jidi").await;
    let good = csrf_of(&html);
    for token in ["", csrf.as_str()] {
        let (status, _, html) = post_form(
            &lib,
            &format!("/librarian/sessions/{}/cancel", week.morning["id"]),
            &[("csrf", token), ("reason", "无令牌")],
        )
        .await;
        assert_eq!(status, 403, "{html}");
        assert!(html.contains("表单已过期或来源不明"), "{html}");
    }
    assert_eq!(visit_status(&lib, &week.seated).await, "scheduled");
    assert!(!good.is_empty());

    // The domain refuses a borrower on its own, too.
    let conn = app.state.db.get().unwrap();
    let borrower = crate::common::officer_actor();
    assert!(matches!(
        coordination::week(&conn, &borrower, "jidi", MONDAY, MONDAY),
        Err(VisitError::LibrariansOnly { .. })
    ));
    assert!(matches!(
        coordination::bases_overview(&conn, &borrower, MONDAY),
        Err(VisitError::LibrariansOnly { .. })
    ));
    assert!(matches!(
        coordination::reception_sheet(&conn, &borrower, week.morning["id"].as_i64().unwrap()),
        Err(VisitError::LibrariansOnly { .. })
    ));
}

#[tokio::test]
async fn the_domain_week_flags_what_the_page_shows() {
    let (app, lib, officer) = setup().await;
    let week = busy_week(&app, &lib, &officer).await;
    let conn = app.state.db.get().unwrap();
    let librarian = Actor {
        user_id: Some(1),
        username: "coord".into(),
        unit: None,
        librarian: true,
        admin: false,
    };
    let seen = coordination::week(
        &conn,
        &librarian,
        "jidi",
        MONDAY.checked_add(jiff::Span::new().days(10)).unwrap(),
        MONDAY,
    )
    .unwrap();
    assert_eq!(seen.monday.to_string(), "2027-03-08");
    assert_eq!(seen.days.len(), 7);
    assert_eq!(seen.pending.len(), 3);
    let by_id = |v: &Value| {
        seen.pending
            .iter()
            .find(|p| p.visit.id == v["id"].as_i64().unwrap())
            .unwrap()
    };
    assert!(
        by_id(&week.too_big).choices[0]
            .blocked
            .as_deref()
            .unwrap()
            .contains("只剩 18 个座位")
    );
    assert!(
        by_id(&week.alone)
            .conflicts
            .iter()
            .any(|c| c.contains("所选场次均无法安排"))
    );
    assert!(by_id(&week.same_day).choices[0].blocked.is_none());
    assert!(
        by_id(&week.same_day)
            .conflicts
            .iter()
            .any(|c| c.contains("同一天只能安排一次参观"))
    );
    let monday = &seen.days[0];
    assert_eq!(monday.sessions.len(), 2);
    assert_eq!(monday.sessions[0].groups.len(), 1);
    assert_eq!(coordination::requested_count(&conn).unwrap(), 3);
    // An unknown base.
    assert!(matches!(
        coordination::week(&conn, &librarian, "nope", MONDAY, MONDAY),
        Err(VisitError::BaseNotFound(_))
    ));
    // The week starts on Monday whatever day is asked for.
    let sunday = MONDAY.checked_add(jiff::Span::new().days(6)).unwrap();
    assert_eq!(coordination::monday_of(sunday), MONDAY);
}
