//! The unit officers' visit pages over HTTP (issue 17): booking a visit through
//! `/visits/new`, confirming, cancelling and reporting from `/visits` and
//! `/visits/{id}`, the confirmation letter, refusals shown in words beside the form
//! with the values as typed, another unit's visit answered 404, and forms without
//! their token refused.

use serde_json::{Value, json};

use crate::common::admin::escaped;
use crate::common::lending::{MONDAY, day, set_today};
use crate::common::visiting::{act_ok, base, requested, session};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp};

struct Fixture {
    app: TestApp,
    librarian: Session,
    officer: Session,
    /// Too near for the base's three working days' lead.
    near: Value,
    first: Value,
    second: Value,
}

async fn setup() -> Fixture {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(MONDAY);
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    base(&app, &librarian, "jidi", false).await;
    let near = session(&librarian, "jidi", 1, 60).await;
    let first = session(&librarian, "jidi", 7, 60).await;
    let second = session(&librarian, "jidi", 8, 60).await;
    Fixture {
        app,
        librarian,
        officer,
        near,
        first,
        second,
    }
}

fn id_of(value: &Value) -> String {
    value["id"].to_string()
}

/// The booking form's fields for `sessions`, with the page's token.
fn booking<'a>(csrf: &'a str, prefs: [&'a str; 3], headcount: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("base_id", "jidi"),
        ("pref1", prefs[0]),
        ("pref2", prefs[1]),
        ("pref3", prefs[2]),
        ("headcount", headcount),
        ("liaison_name", "李联络"),
        ("liaison_phone", "13800138000"),
        ("purpose", "党风廉政警示教育"),
        ("share", "1"),
    ]
}

/// The booking form for session `first`, ten people, with `name` set to `value`.
fn booking_with<'a>(
    csrf: &'a str,
    first: &'a str,
    name: &str,
    value: &'a str,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = booking(csrf, [first, "", ""], "10");
    if let Some(field) = fields.iter_mut().find(|(n, _)| *n == name) {
        field.1 = value;
    }
    fields
}

/// The visit number at the end of `/visits/{id}?created=1`.
fn visit_id_in(url: &str) -> i64 {
    url.split("/visits/")
        .nth(1)
        .and_then(|rest| rest.split('?').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("no visit in {url}"))
}

/// Reports visit `id` from its page: 24 people, markup in the reflections.
async fn report(officer: &Session, csrf: &str, id: i64) -> (u16, String) {
    let (status, _, html) = post_form(
        officer,
        &format!("/visits/{id}/report"),
        &[
            ("csrf", csrf),
            ("next", &format!("/visits/{id}")),
            ("attended", "24"),
            ("reflections", "<script>alert(1)</script>深受教育"),
        ],
    )
    .await;
    (status, html)
}

/// Posts the booking form expecting a refusal; answers the page.
async fn refused(officer: &Session, fields: &[(&str, &str)]) -> String {
    let (status, _, html) = post_form(officer, "/visits/new", fields).await;
    assert_eq!(status, 422, "{fields:?}: {html}");
    html
}

#[tokio::test]
async fn a_unit_books_confirms_prints_and_reports_through_the_pages() {
    let f = setup().await;
    let admin = f.app.admin().await;
    let (status, body) = admin
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/units/yn-tax",
            &json!({"liaison": {"name": "王联络", "mobile": "13900139000", "email": ""}}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The header leads to the unit's visits; the form starts with the choice of bases.
    let (status, html) = page(&f.officer, "/visits").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("href=\"/visits\" aria-current=\"page\">参观</a>"),
        "{html}"
    );
    assert!(html.contains("本单位还没有参观记录"));
    let (status, html) = page(&f.officer, "/visits/new").await;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/visits/new?base=jidi\""), "{html}");
    // The base's resource page offers the booking.
    let (_, html) = page(&f.officer, "/resources/jidi").await;
    assert!(html.contains("href=\"/visits/new?base=jidi\""), "{html}");

    // The base's details, its sessions with free seats, the too-near one disabled and
    // why, and the unit's liaison filled in.
    let (status, html) = page(&f.officer, "/visits/new?base=jidi").await;
    assert_eq!(status, 200);
    assert!(html.contains("昆明市示例路 1 号") && html.contains("需提前 3 个工作日预约"));
    assert!(
        html.contains(&format!(
            "<option value=\"{}\" disabled>{}",
            id_of(&f.near),
            day(1)
        )),
        "{html}"
    );
    assert!(html.contains(&format!("<option value=\"{}\">{}", id_of(&f.first), day(7))));
    assert!(html.contains("余 60/60 座"));
    assert!(html.contains("value=\"王联络\"") && html.contains("value=\"13900139000\""));
    let csrf = csrf_of(&html);

    // Booked with the second session preferred: on to the visit's page.
    let (second, first) = (id_of(&f.second), id_of(&f.first));
    let (status, url, html) = post_form(
        &f.officer,
        "/visits/new",
        &booking(&csrf, [&second, &first, ""], "25"),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    let id = visit_id_in(&url);
    assert!(url.ends_with("?created=1"), "{url}");
    assert!(
        html.contains("已提交参观申请") && html.contains("待安排"),
        "{html}"
    );
    assert!(html.contains("<section id=\"visitor-list\""));
    assert!(html.contains("参观人员名单") && html.contains("该基地不要求提供参观人员名单"));
    let (_, visit) = f.officer.get_json(&format!("/api/v1/visits/{id}")).await;
    assert_eq!(visit["preferences"][0]["session"]["id"], f.second["id"]);
    assert_eq!(visit["preferences"][1]["session"]["id"], f.first["id"]);
    assert_eq!(visit["headcount"], 25);
    assert_eq!(visit["share"], true);

    // Not yet scheduled: no letter, said in words.
    let (status, html) = page(&f.officer, &format!("/visits/{id}/letter")).await;
    assert_eq!(status, 409);
    assert!(html.contains("参观确认函暂不可用") && html.contains("安排参观场次后"));

    // The committee schedules it; the unit is told on /visits and confirms there.
    act_ok(
        &f.librarian,
        &visit,
        "schedule",
        json!({"session_id": f.second["id"]}),
    )
    .await;
    let (_, html) = page(&f.officer, "/visits").await;
    assert!(html.contains("已安排待确认"), "{html}");
    assert!(
        html.contains(&format!("参观 #{id}：")),
        "the notification: {html}"
    );
    assert!(html.contains(&format!("<a href=\"/visits/{id}\">查看参观</a>")));
    assert!(html.contains(&format!("action=\"/visits/{id}/confirm\"")));
    let csrf = csrf_of(&html);
    let next = format!("/visits#visit-{id}");
    let (status, url, html) = post_form(
        &f.officer,
        &format!("/visits/{id}/confirm"),
        &[("csrf", &csrf), ("next", &next)],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("/visits?done=confirm"), "{url}");
    assert!(html.contains("已确认参观"), "{html}");

    // The letter: the unit, the base's address, the day and time, the seal's line.
    let (status, html) = page(&f.officer, &format!("/visits/{id}/letter")).await;
    assert_eq!(status, 200);
    for said in [
        "参观确认函",
        "昆明市示例路 1 号",
        "09:00–11:00",
        "25 人",
        "李联络",
        "张老师",
        "盖章",
    ] {
        assert!(html.contains(said), "{said}: {html}");
    }
    assert!(html.contains(&day(8)));

    // A report before the day is refused beside the visit, with what was typed.
    let (status, html) = report(&f.officer, &csrf, id).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("当天或之后才能登记"), "{html}");
    assert!(html.contains("参观当天"));

    // After the day the report is taken, and markup in it is shown as text.
    set_today(&f.app, 8);
    let (_, html) = page(&f.officer, &format!("/visits/{id}")).await;
    assert!(html.contains(&format!("action=\"/visits/{id}/report\"")));
    let (status, html) = report(&f.officer, &csrf, id).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已提交参观情况") && html.contains("已参观"));
    assert!(html.contains(&escaped("<script>alert(1)</script>深受教育")));
    assert!(!html.contains("<script>alert(1)"));
    let (_, visit) = f.officer.get_json(&format!("/api/v1/visits/{id}")).await;
    assert_eq!(visit["status"], "attended");
    assert_eq!(visit["attended"], 24);
    // Past its day the letter is no longer offered.
    let (status, _) = page(&f.officer, &format!("/visits/{id}/letter")).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn refusals_are_said_beside_the_form_with_the_values_kept_and_write_nothing() {
    let f = setup().await;
    let (_, html) = page(&f.officer, "/visits/new?base=jidi").await;
    let csrf = csrf_of(&html);
    let (first, near) = (id_of(&f.first), id_of(&f.near));

    // Everything missing: every problem at once.
    let html = refused(
        &f.officer,
        &[
            ("csrf", &csrf),
            ("base_id", "jidi"),
            ("purpose", "<b>警示</b>教育"),
        ],
    )
    .await;
    for said in [
        "请至少选择一个意向场次",
        "请填写参观人数",
        "请填写联络员姓名",
        "请填写联络员手机号",
    ] {
        assert!(html.contains(said), "{said}: {html}");
    }
    assert!(html.contains(&escaped("<b>警示</b>教育")) && !html.contains("<b>警示"));

    // Too many people for the base, markup in the liaison's name kept as text.
    let mut fields = booking(&csrf, [&first, "", ""], "61");
    fields[6] = ("liaison_name", "<script>x()</script>王");
    let html = refused(&f.officer, &fields).await;
    assert!(html.contains("每批最多接待 60 人"), "{html}");
    assert!(html.contains(&format!("value=\"{}\"", escaped("<script>x()</script>王"))));
    assert!(!html.contains("<script>x()"));
    assert!(html.contains("value=\"61\""));
    assert!(
        html.contains(&format!("<option value=\"{first}\" selected>")),
        "{html}"
    );

    // A session inside the lead time, posted despite the disabled option.
    let html = refused(&f.officer, &booking(&csrf, [&near, "", ""], "10")).await;
    assert!(
        html.contains("需提前 3 个工作日预约") && html.contains("太近"),
        "{html}"
    );

    // Oversized fields are refused in words.
    let long_purpose = "警".repeat(201);
    let html = refused(
        &f.officer,
        &booking_with(&csrf, &first, "purpose", &long_purpose),
    )
    .await;
    assert!(html.contains("不能超过 200 个字符"), "{html}");
    let long_name = "王".repeat(41);
    let html = refused(
        &f.officer,
        &booking_with(&csrf, &first, "liaison_name", &long_name),
    )
    .await;
    assert!(html.contains("联络员姓名不能超过 40 个字符"), "{html}");

    // The same session twice, a session id that is not a number, a bad phone.
    let html = refused(&f.officer, &booking(&csrf, [&first, &first, ""], "10")).await;
    assert!(html.contains("同一场次不能选两次"), "{html}");
    let html = refused(
        &f.officer,
        &booking(&csrf, ["../../etc/passwd", "", ""], "10"),
    )
    .await;
    assert!(html.contains("所选场次无效"), "{html}");
    let html = refused(
        &f.officer,
        &booking_with(&csrf, &first, "liaison_phone", "call me"),
    )
    .await;
    assert!(html.contains("value=\"call me\""), "{html}");

    // A base that does not exist: the choice of bases, with why.
    let html = refused(
        &f.officer,
        &booking_with(&csrf, &first, "base_id", "no-such-base"),
    )
    .await;
    assert!(
        html.contains("选择警示教育基地") && html.contains("no-such-base"),
        "{html}"
    );

    assert_eq!(f.app.count("SELECT count(*) FROM visits"), 0);
    assert_eq!(f.app.count("SELECT count(*) FROM visit_preferences"), 0);
}

#[tokio::test]
async fn another_unit_sees_nothing_and_forms_need_their_token() {
    let f = setup().await;
    let other = f.app.borrower("tobacco", "yn-tobacco").await;
    let visit = requested(&f.officer, "jidi", &[&f.first], 12, false).await;
    let id = id_of(&visit);

    for path in [format!("/visits/{id}"), format!("/visits/{id}/letter")] {
        let (status, html) = page(&other, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!html.contains("李联络"), "{path}");
    }
    let (_, html) = page(&other, "/visits").await;
    assert!(!html.contains(&format!("visit-{id}")));
    let csrf = csrf_of(&html);
    let (status, _, _) =
        post_form(&other, &format!("/visits/{id}/cancel"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 404);

    // Without the token nothing happens.
    let (status, _, html) = post_form(&f.officer, &format!("/visits/{id}/cancel"), &[]).await;
    assert_eq!(status, 403);
    assert!(html.contains("安全校验未通过"));
    let (_, html) = page(&f.officer, "/visits/new?base=jidi").await;
    let csrf = csrf_of(&html);
    let first = id_of(&f.first);
    let mut fields = booking(&csrf, [&first, "", ""], "10");
    fields[0] = ("csrf", "forged");
    let (status, _, _) = post_form(&f.officer, "/visits/new", &fields).await;
    assert_eq!(status, 403);
    assert_eq!(f.app.count("SELECT count(*) FROM visits"), 1);
    let (_, shown) = f.officer.get_json(&format!("/api/v1/visits/{id}")).await;
    assert_eq!(shown["status"], "requested");

    // The committee's steps are not the unit's, nor are made-up ones.
    for action in ["schedule", "no-show", "reject", "..%2F..%2Fadmin"] {
        let (status, _, _) = post_form(
            &f.officer,
            &format!("/visits/{id}/{action}"),
            &[("csrf", &csrf), ("session_id", &first)],
        )
        .await;
        assert_eq!(status, 404, "{action}");
    }
    for path in ["/visits/abc", "/visits/0/letter", "/visits/-1"] {
        let (status, _) = page(&f.officer, path).await;
        assert_eq!(status, 404, "{path}");
    }

    // The unit cancels with a reason, which the page shows as text.
    let (status, url, html) = post_form(
        &f.officer,
        &format!("/visits/{id}/cancel"),
        &[
            ("csrf", &csrf),
            ("next", &format!("/visits/{id}")),
            ("reason", "<i>会议</i>冲突"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("done=cancel"), "{url}");
    assert!(html.contains("已取消这次参观") && html.contains(&escaped("<i>会议</i>冲突")));
    // A second cancel is refused in words beside the visit.
    let (status, _, html) = post_form(
        &f.officer,
        &format!("/visits/{id}/cancel"),
        &[("csrf", &csrf), ("next", "/visits")],
    )
    .await;
    assert_eq!(status, 409);
    assert!(html.contains("不能取消"), "{html}");
    assert!(html.contains("本单位参观"));
}

#[tokio::test]
async fn librarians_read_every_units_visits_and_officers_only_book() {
    let f = setup().await;
    let other = f.app.borrower("tobacco", "yn-tobacco").await;
    requested(&f.officer, "jidi", &[&f.first], 12, true).await;
    requested(&other, "jidi", &[&f.second], 8, true).await;

    let (status, html) = page(&f.librarian, "/visits").await;
    assert_eq!(status, 200);
    assert!(html.contains("各单位参观"));
    assert_eq!(html.matches("<article class=\"visit ").count(), 2, "{html}");
    assert!(!html.contains("action=\"/visits/1/cancel\""), "read only");
    let (_, html) = page(&f.librarian, "/visits?unit=yn-tax").await;
    assert_eq!(html.matches("<article class=\"visit ").count(), 1);
    assert!(html.contains("<option value=\"yn-tax\" selected>"));
    let (_, html) = page(&f.officer, "/visits?unit=yn-tobacco").await;
    assert_eq!(
        html.matches("<article class=\"visit ").count(),
        1,
        "an officer's filter is ignored: only the own unit's"
    );

    let (status, html) = page(&f.librarian, "/visits/new").await;
    assert_eq!(status, 403);
    assert!(html.contains("各单位的账号"));
}
