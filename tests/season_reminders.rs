//! Reminders before the holiday periods (issue 19), with the test clock: the lead
//! time before a confirmed period every active unit that booked nothing for it is
//! told once — a notification linking the season's collections, a mail to its
//! liaison, an audit row — and nobody else; running the sweep again sends nothing.

use jiff::civil::{Date, date};
use serde_json::{Value, json};

use crate::common::lending::{lendable, requested};
use crate::common::web::page;
use crate::common::{Session, TestApp};

const PUT: reqwest::Method = reqwest::Method::PUT;

/// Runs the reminders for the clock's day, as the background task does.
fn remind(app: &TestApp) -> usize {
    let mut conn = app.state.db.get().unwrap();
    jingshi::seasons::remind(&mut conn, app.state.clock.moment()).unwrap()
}

/// The reminders of `unit` in each place they leave a trace: notifications, mail,
/// `season_reminders` rows and audit rows.
fn traces(app: &TestApp, unit: &str) -> [i64; 4] {
    [
        app.count(&format!(
                "SELECT count(*) FROM notifications WHERE unit_code = '{unit}' AND kind = 'season_reminder'"
            ),
        ),
        app.count(&format!(
                "SELECT count(*) FROM mail_outbox o JOIN notifications n ON n.id = o.notification_id
                 WHERE n.unit_code = '{unit}' AND n.kind = 'season_reminder'"
            ),
        ),
        app.count(&format!("SELECT count(*) FROM season_reminders WHERE unit_code = '{unit}'"),
        ),
        app.count(&format!(
                "SELECT count(*) FROM audit_log WHERE action = 'season_reminder_sent' AND unit_code = '{unit}'"
            ),
        ),
    ]
}

async fn confirm(lib: &Session, year: i16, periods: Value, weeks: Option<u8>) {
    let mut body = json!({ "periods": periods });
    if let Some(weeks) = weeks {
        body["reminder_weeks"] = json!(weeks);
    }
    let (status, answer) = lib
        .send_json(PUT, &format!("/api/v1/seasons/{year}"), &body)
        .await;
    assert_eq!(status, 200, "{answer}");
}

async fn patch_unit(admin: &Session, unit: &str, change: Value) {
    let (status, answer) = admin
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/units/{unit}"),
            &change,
        )
        .await;
    assert_eq!(status, 200, "{answer}");
}

fn set_today(app: &TestApp, day: Date) {
    app.state.clock.set_date(day);
}

/// 春节 2027: 6 to 12 February; three weeks before is 16 January.
const SPRING_START: Date = date(2027, 2, 6);

#[tokio::test]
async fn three_weeks_before_spring_festival_each_unbooked_unit_is_told_once() {
    let app = TestApp::spawn_on(date(2027, 1, 4)).await;
    let admin = app.admin().await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("officer-tax", "yn-tax").await;
    let customs = app.borrower("officer-customs", "kunming-customs").await;
    let grain = app.borrower("officer-grain", "yn-grain").await;
    let tobacco = app.borrower("officer-tobacco", "yn-tobacco").await;
    confirm(
        &lib,
        2027,
        json!([{"season": "chunjie", "start": "2027-02-06", "end": "2027-02-12"}]),
        None,
    )
    .await;
    patch_unit(
        &admin,
        "yn-tax",
        json!({"liaison": {"name": "李联络", "mobile": "13800138000", "email": "lianluo@tax.example.cn"}}),
    )
    .await;
    patch_unit(&admin, "yn-comms", json!({"active": false})).await;
    let units = app.count("SELECT count(*) FROM units");
    let active = app.count("SELECT count(*) FROM units WHERE active = 1");
    assert_eq!(active, units - 1);

    // Customs has a loan running into the holiday; grain's request was cancelled.
    lendable(&lib, "chunjie-film", None, 1).await;
    requested(
        &customs,
        "chunjie-film",
        "digital",
        "2027-02-01",
        "2027-02-10",
    )
    .await;
    let dropped = requested(
        &grain,
        "chunjie-film",
        "digital",
        "2027-02-01",
        "2027-02-10",
    )
    .await;
    let (status, _) = grain
        .post_json(
            &format!("/api/v1/loans/{}/cancel", dropped["id"]),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    // Tobacco asks to visit a base on a day before the holiday.
    let base = crate::common::visiting::base(&app, &lib, "spring-base", false).await;
    let (status, session) = lib
        .post_json(
            &format!("/api/v1/bases/{}/sessions", base["id"].as_str().unwrap()),
            &json!({"date": "2027-02-03", "start": "09:00", "end": "11:00", "capacity": 60}),
        )
        .await;
    assert_eq!(status, 201, "{session}");
    crate::common::visiting::requested(&tobacco, "spring-base", &[&session], 20, false).await;

    // A day too early, nothing; three weeks before, every unit that needs it.
    set_today(&app, date(2027, 1, 15));
    assert_eq!(remind(&app), 0);
    set_today(&app, date(2027, 1, 16));
    let told = remind(&app);
    assert_eq!(
        told as i64,
        active - 2,
        "all active units but customs and tobacco"
    );
    assert_eq!(traces(&app, "yn-tax"), [1, 1, 1, 1]);
    assert_eq!(
        traces(&app, "yn-grain"),
        [1, 0, 1, 1],
        "no address, no mail"
    );
    assert_eq!(traces(&app, "kunming-customs"), [0; 4], "booked a loan");
    assert_eq!(traces(&app, "yn-tobacco"), [0; 4], "asked for a visit");
    assert_eq!(traces(&app, "yn-comms"), [0; 4], "inactive");
    let recipient = app.text(
        "SELECT o.recipient || ' ' || o.subject || ' ' || o.body FROM mail_outbox o
         JOIN notifications n ON n.id = o.notification_id WHERE n.unit_code = 'yn-tax'",
    );
    assert!(
        recipient.starts_with("lianluo@tax.example.cn")
            && recipient.contains("春节")
            && recipient.contains("/collections?season=chunjie"),
        "{recipient}"
    );

    // Again the same day, the next day, and after the unit booked: nothing more.
    assert_eq!(remind(&app), 0);
    set_today(&app, date(2027, 1, 20));
    assert_eq!(remind(&app), 0);
    assert_eq!(traces(&app, "yn-tax"), [1, 1, 1, 1]);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'season_reminder_sent'"),
        active - 2
    );

    // The unit sees it among its notifications, with no loan and the season's link.
    let (status, listed) = tax.get_json("/api/v1/notifications").await;
    assert_eq!(status, 200);
    let reminder = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "season_reminder")
        .unwrap_or_else(|| panic!("no reminder in {listed}"));
    assert_eq!(reminder["season"], "2027:chunjie");
    assert!(reminder["loan_id"].is_null());
    let message = reminder["message"].as_str().unwrap();
    assert!(
        message.contains("春节（2027-02-06 至 2027-02-12）将至") && message.contains("尚未预约"),
        "{message}"
    );
    let (status, html) = page(&tax, "/loans").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<a href=\"/collections?season=chunjie\">查看春节专题</a>"),
        "{html}"
    );
    // Customs' notifications hold no reminder.
    let (_, theirs) = customs.get_json("/api/v1/notifications").await;
    assert!(!theirs.to_string().contains("season_reminder"), "{theirs}");
    // The committee's page lists whom it reminded; the audit log names each.
    let (_, html) = page(&lib, "/librarian/seasons?year=2027").await;
    assert!(
        html.contains("国家税务总局云南省税务局")
            && html.contains(&format!("已发送的提醒（{}）", active - 2)),
        "{html}"
    );
    assert!(
        !html.contains("昆明海关 <code>"),
        "customs was not reminded"
    );
    let (_, audit) = lib
        .get_json("/api/v1/audit?action=season_reminder_sent&unit=yn-tax")
        .await;
    let entries = audit.as_array().unwrap_or_else(|| panic!("{audit}"));
    assert_eq!(entries.len(), 1, "{audit}");
    assert!(
        entries[0]["detail"].as_str().unwrap().contains("2027 春节"),
        "{audit}"
    );
    // Once the holiday has begun, no more reminders for it, even for a new unit.
    set_today(&app, SPRING_START);
    let (status, _) = admin
        .post_json(
            "/api/v1/units",
            &json!({"code": "yn-new", "name": "新设单位", "sector": "测试"}),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(remind(&app), 0);
}

#[tokio::test]
async fn the_lead_time_sets_the_day_and_a_proposed_period_waits_for_confirmation() {
    // 2026's closed days ship with the library: 春节 is proposed from 15 February.
    let app = TestApp::spawn_on(date(2026, 1, 20)).await;
    let lib = app.librarian("lib").await;
    let units = app.count("SELECT count(*) FROM units WHERE active = 1");
    let (_, year) = lib.get_json("/api/v1/seasons/2026").await;
    assert_eq!(year["periods"][1]["start"], "2026-02-15");
    assert_eq!(year["periods"][1]["confirmed"], false);
    // Within three weeks of the proposed 春节, but it is not confirmed.
    set_today(&app, date(2026, 1, 30));
    assert_eq!(remind(&app), 0);
    // Confirmed as proposed, with a one-week lead: not yet.
    confirm(
        &lib,
        2026,
        json!([{"season": "chunjie", "start": "2026-02-15", "end": "2026-02-23"}]),
        Some(1),
    )
    .await;
    assert_eq!(remind(&app), 0);
    set_today(&app, date(2026, 2, 7));
    assert_eq!(remind(&app), 0, "eight days before");
    set_today(&app, date(2026, 2, 8));
    assert_eq!(remind(&app) as i64, units, "seven days before");

    // Five weeks before 国庆: not at four weeks' lead, then at five.
    confirm(
        &lib,
        2026,
        json!([{"season": "guoqing", "start": "2026-10-01", "end": "2026-10-07"}]),
        Some(4),
    )
    .await;
    set_today(&app, date(2026, 8, 27));
    assert_eq!(remind(&app), 0, "35 days before, 4 weeks' lead");
    confirm(&lib, 2026, json!([]), Some(5)).await;
    assert_eq!(remind(&app) as i64, units, "35 days before, 5 weeks' lead");
    assert_eq!(remind(&app), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM notifications WHERE season = '2026:guoqing'"),
        units
    );
    // 元旦 2027 begins in 2026: reminded from the year before.
    confirm(
        &lib,
        2027,
        json!([{"season": "yuandan", "start": "2026-12-31", "end": "2027-01-02"}]),
        Some(3),
    )
    .await;
    set_today(&app, date(2026, 12, 10));
    assert_eq!(remind(&app) as i64, units);
    assert_eq!(
        app.count("SELECT count(*) FROM season_reminders WHERE year = 2027 AND season = 'yuandan'"),
        units
    );
}
