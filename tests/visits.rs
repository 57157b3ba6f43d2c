//! Visits to warning-education bases (SPEC §8, issue 17): sessions, requests, the
//! states of a visit, seats never oversold, one visit a unit a day, lead time and
//! group size, sharing, session cancellation, and who may do what.

use serde_json::{Value, json};

use crate::common::lending::{day, set_today};
use crate::common::visiting::{act, act_ok, base, requested, session, setup, visit_body};
use crate::common::{Session, TestApp};

async fn show(session: &Session, visit: &Value) -> (u16, Value) {
    session
        .get_json(&format!("/api/v1/visits/{}", visit["id"]))
        .await
}

#[tokio::test]
async fn a_visit_goes_from_request_to_report_and_the_unit_is_told_each_step() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let first = session(&librarian, "jidi", 7, 60).await;
    let second = session(&librarian, "jidi", 8, 60).await;
    let visit = requested(&officer, "jidi", &[&first, &second], 25, true).await;
    assert_eq!(visit["preferences"][0]["session"]["id"], first["id"]);
    assert_eq!(visit["preferences"][1]["rank"], 2);
    assert_eq!(visit["unit"], "yn-tax");
    assert_eq!(visit["liaison_phone"], "13800138000");

    let scheduled = act_ok(
        &librarian,
        &visit,
        "schedule",
        json!({"session_id": second["id"]}),
    )
    .await;
    assert_eq!(scheduled["status"], "scheduled");
    assert_eq!(scheduled["session"]["booked"], 25);
    let (_, sessions) = officer
        .get_json(&format!(
            "/api/v1/bases/jidi/sessions?from={}&to={}",
            day(0),
            day(14)
        ))
        .await;
    let booked: Vec<_> = sessions["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["booked"].clone())
        .collect();
    assert_eq!(booked, vec![json!(0), json!(25)]);

    let confirmed = act_ok(&officer, &visit, "confirm", json!({})).await;
    assert_eq!(confirmed["status"], "confirmed");
    // Too early to report: the visit has not taken place.
    let (status, body) = act(&officer, &visit, "report", json!({"attended": 24})).await;
    assert_eq!(status, 422, "{body}");
    set_today(&app, 8);
    let reported = act_ok(
        &officer,
        &visit,
        "report",
        json!({"attended": 24, "reflections": "深受教育"}),
    )
    .await;
    assert_eq!(reported["status"], "attended");
    assert_eq!(reported["attended"], 24);

    let (_, notes) = officer.get_json("/api/v1/notifications").await;
    let kinds: Vec<&str> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        vec!["visit_scheduled"],
        "the unit is told what the committee did, not what it did itself"
    );
    assert_eq!(notes["items"][0]["visit_id"], visit["id"]);
    assert!(
        notes["items"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with(&format!("参观 #{}：", visit["id"]))
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'visit_%'"),
        4
    );
}

#[tokio::test]
async fn illegal_transitions_are_409_and_change_nothing() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 60).await;
    let visit = requested(&officer, "jidi", &[&slot], 10, false).await;
    for (who, action, body) in [
        (&officer, "confirm", json!({})),
        (&officer, "report", json!({"attended": 5})),
        (&librarian, "no-show", json!({})),
    ] {
        let (status, answer) = act(who, &visit, action, body).await;
        assert_eq!(status, 409, "{action}: {answer}");
        assert_eq!(answer["error"]["code"], "illegal_transition");
    }
    act_ok(&librarian, &visit, "reject", json!({"reason": "该周已满"})).await;
    let (status, _) = act(
        &librarian,
        &visit,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    assert_eq!(status, 409);
    let (_, read) = show(&officer, &visit).await;
    assert_eq!(read["status"], "rejected");
    assert_eq!(read["reason"], "该周已满");
    assert!(read["session"].is_null());
    let (status, _) = act(&librarian, &visit, "dance", json!({})).await;
    assert_eq!(status, 404);
}

/// SPEC §8 and the issue: 40 simultaneous schedules of 10 people onto a 60-seat
/// session seat exactly 6 groups, through the domain function on separate
/// connections and threads.
#[tokio::test]
async fn forty_simultaneous_schedules_of_ten_onto_sixty_seats_seat_exactly_six() {
    let (app, librarian, _) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 60).await;
    let mut visits = Vec::new();
    {
        let mut conn = app.state.db.get().expect("connection");
        let operator = jingshi::loans::Actor::operator("test");
        let at = app.state.clock.moment();
        for n in 0..40 {
            let unit = format!("unit{n}");
            jingshi::accounts::create_unit(
                &mut conn,
                &operator,
                &unit,
                &format!("单位{n}"),
                "测试",
                at,
            )
            .expect("unit");
            let input: jingshi::visits::VisitRequest = serde_json::from_value(json!({
                "base_id": "jidi", "session_ids": [slot["id"]], "headcount": 10,
                "liaison_name": "联络员", "liaison_phone": "13800138000",
                "purpose": "警示教育", "share": true, "unit": unit
            }))
            .expect("input");
            visits.push(
                jingshi::visits::request(&mut conn, &operator, input, at)
                    .expect("request")
                    .id,
            );
        }
    }
    let session_id = slot["id"].as_i64().unwrap();
    let threads: Vec<_> = visits
        .into_iter()
        .map(|id| {
            let (db, at) = (app.state.db.clone(), app.state.clock.moment());
            std::thread::spawn(move || {
                let mut conn = db.get().expect("connection");
                let command =
                    jingshi::visits::VisitCommand::Schedule(jingshi::visits::ScheduleInput {
                        session_id: Some(session_id),
                    });
                jingshi::visits::act(
                    &mut conn,
                    &jingshi::loans::Actor::operator("lib"),
                    id,
                    command,
                    at,
                )
            })
        })
        .collect();
    let mut seated = 0;
    for thread in threads {
        match thread.join().expect("thread") {
            Ok(_) => seated += 1,
            Err(jingshi::visits::VisitError::SessionFull { .. }) => {}
            Err(other) => panic!("unexpected refusal: {other}"),
        }
    }
    assert_eq!(seated, 6);
    assert_eq!(
        app.count(&format!(
            "SELECT sum(headcount) FROM visits WHERE session_id = {session_id} AND status = 'scheduled'"
        )),
        60
    );
}

#[tokio::test]
async fn a_full_session_answers_session_full_over_http_and_seats_nobody() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 30).await;
    let other = app.borrower("customs", "kunming-customs").await;
    let first = requested(&officer, "jidi", &[&slot], 20, true).await;
    let second = requested(&other, "jidi", &[&slot], 20, true).await;
    act_ok(
        &librarian,
        &first,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    let (status, body) = act(
        &librarian,
        &second,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "session_full");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("只剩 10 个座位")
    );
    let (_, read) = show(&other, &second).await;
    assert_eq!(read["status"], "requested");
}

#[tokio::test]
async fn groups_share_a_session_only_when_both_accept() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 60).await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let tobacco = app.borrower("tobacco", "yn-tobacco").await;
    let alone = requested(&officer, "jidi", &[&slot], 10, false).await;
    let sharing = requested(&customs, "jidi", &[&slot], 10, true).await;
    let also = requested(&tobacco, "jidi", &[&slot], 10, true).await;
    act_ok(
        &librarian,
        &alone,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    let (status, body) = act(
        &librarian,
        &sharing,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "session_not_shared");
    act_ok(&officer, &alone, "cancel", json!({})).await;
    act_ok(
        &librarian,
        &sharing,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    act_ok(
        &librarian,
        &also,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
}

#[tokio::test]
async fn a_unit_never_holds_two_visits_on_one_day() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    base(&app, &librarian, "prison", false).await;
    let morning = session(&librarian, "jidi", 7, 60).await;
    let elsewhere = session(&librarian, "prison", 7, 60).await;
    let first = requested(&officer, "jidi", &[&morning], 10, true).await;
    let second = requested(&officer, "prison", &[&elsewhere], 10, true).await;
    act_ok(
        &librarian,
        &first,
        "schedule",
        json!({"session_id": morning["id"]}),
    )
    .await;
    let (status, body) = act(
        &librarian,
        &second,
        "schedule",
        json!({"session_id": elsewhere["id"]}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "same_day");
    // Once the first is cancelled the day is free again.
    act_ok(&officer, &first, "cancel", json!({})).await;
    act_ok(
        &librarian,
        &second,
        "schedule",
        json!({"session_id": elsewhere["id"]}),
    )
    .await;
}

#[tokio::test]
async fn lead_time_and_group_size_are_enforced_in_words() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    // Monday: three working days ahead is Thursday.
    let wednesday = session(&librarian, "jidi", 2, 60).await;
    let thursday = session(&librarian, "jidi", 3, 60).await;
    let (status, body) = officer
        .post_json(
            "/api/v1/visits",
            &visit_body("jidi", &[&wednesday], 10, true),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("提前 3 个工作日") && message.contains(&day(3)),
        "{message}"
    );
    requested(&officer, "jidi", &[&thursday], 10, true).await;
    let (status, body) = officer
        .post_json(
            "/api/v1/visits",
            &visit_body("jidi", &[&thursday], 61, true),
        )
        .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("每批最多接待 60 人"),
        "{body}"
    );
    let (status, body) = officer
        .post_json(
            "/api/v1/visits",
            &visit_body("jidi", &[&thursday, &thursday], 10, true),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let four = [&thursday, &thursday, &thursday, &thursday];
    let (status, _) = officer
        .post_json("/api/v1/visits", &visit_body("jidi", &four, 10, true))
        .await;
    assert_eq!(status, 422);
    assert_eq!(
        app.count("SELECT count(*) FROM visits"),
        1,
        "refusals write nothing"
    );
}

#[tokio::test]
async fn templates_make_sessions_on_open_days_only() {
    let (app, librarian, _) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    // Thursday 4 March is a holiday; Saturday 6 March a make-up working day.
    for (date, kind) in [(day(3), "holiday"), (day(5), "workday")] {
        let (status, body) = librarian
            .post_json(
                "/api/v1/holidays",
                &json!({"date": date, "kind": kind, "name": "测试"}),
            )
            .await;
        assert!(status == 200 || status == 201, "{body}");
    }
    for weekday in [4, 6] {
        let (status, body) = librarian
            .post_json(
                "/api/v1/bases/jidi/templates",
                &json!({"weekday": weekday, "start": "14:00", "end": "16:30"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["capacity"], 60, "the base's default");
    }
    let (_, list) = librarian
        .get_json(&format!(
            "/api/v1/bases/jidi/sessions?from={}&to={}",
            day(0),
            day(13)
        ))
        .await;
    let dates: Vec<&str> = list["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["date"].as_str().unwrap())
        .collect();
    // Thursdays 4 (holiday) and 11; Saturdays 6 (make-up day) and 13 (weekend).
    assert_eq!(dates, vec![day(5).as_str(), day(10).as_str()]);
    assert_eq!(list["sessions"][0]["start"], "14:00");
    assert_eq!(list["sessions"][0]["end"], "16:30");
    let (status, _) = librarian
        .post_json(
            "/api/v1/bases/jidi/templates",
            &json!({"weekday": 4, "start": "14:00", "end": "16:30"}),
        )
        .await;
    assert_eq!(status, 422, "the same weekly session twice");
    for bad in [
        json!({"weekday": 8, "start": "09:00", "end": "10:00"}),
        json!({"weekday": 1, "start": "25:00", "end": "26:00"}),
        json!({"weekday": 1, "start": "10:00", "end": "09:00"}),
        json!({"weekday": 1, "start": "09:00", "end": "10:00", "capacity": 0}),
    ] {
        let (status, body) = librarian
            .post_json("/api/v1/bases/jidi/templates", &bad)
            .await;
        assert_eq!(status, 422, "{bad}: {body}");
    }
}

#[tokio::test]
async fn cancelling_a_session_cancels_its_groups_and_offers_the_nearest_sessions_with_room() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let called_off = session(&librarian, "jidi", 8, 60).await;
    let full = session(&librarian, "jidi", 9, 10).await;
    let roomy = session(&librarian, "jidi", 10, 60).await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let held = requested(&officer, "jidi", &[&called_off], 30, true).await;
    let waiting = requested(&customs, "jidi", &[&called_off, &roomy], 20, true).await;
    act_ok(
        &librarian,
        &held,
        "schedule",
        json!({"session_id": called_off["id"]}),
    )
    .await;
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/sessions/{}/cancel", called_off["id"]),
            &json!({"reason": "基地设备检修"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "cancelled");
    assert_eq!(body["booked"], 0);
    let (_, read) = show(&officer, &held).await;
    assert_eq!(read["status"], "cancelled");
    assert!(read["reason"].as_str().unwrap().contains("基地设备检修"));
    let (_, notes) = officer.get_json("/api/v1/notifications").await;
    let message = notes["items"][0]["message"].as_str().unwrap();
    assert!(
        message.contains("基地设备检修") && message.contains(&day(10)),
        "{message}"
    );
    assert!(
        !message.contains(&day(9)),
        "a session without room for 30 is not offered: {message}"
    );
    let (_, read) = show(&customs, &waiting).await;
    assert_eq!(
        read["status"], "requested",
        "a pending request is told, and still waits"
    );
    let (_, notes) = customs.get_json("/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "visit_cancelled");
    let (status, _) = act(&officer, &waiting, "confirm", json!({})).await;
    assert_eq!(status, 404, "another unit's visit is not there for them");
    let _ = full;
}

#[tokio::test]
async fn borrowers_see_their_own_units_visits_and_take_no_librarian_action() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 60).await;
    let visit = requested(&officer, "jidi", &[&slot], 10, true).await;
    let stranger = app.borrower("stranger", "kunming-customs").await;
    let (status, _) = show(&stranger, &visit).await;
    assert_eq!(status, 404);
    let (status, list) = stranger.get_json("/api/v1/visits").await;
    assert_eq!((status, list), (200, json!([])));
    let (status, _) = stranger.get_json("/api/v1/visits?unit=yn-tax").await;
    assert_eq!(status, 403);
    for (action, body) in [("cancel", json!({})), ("confirm", json!({}))] {
        let (status, _) = act(&stranger, &visit, action, body).await;
        assert_eq!(status, 404, "{action}");
    }
    for (action, body) in [
        ("schedule", json!({"session_id": slot["id"]})),
        ("reject", json!({"reason": "x"})),
        ("no-show", json!({})),
    ] {
        let (status, answer) = act(&officer, &visit, action, body).await;
        assert_eq!(status, 403, "{action}: {answer}");
    }
    for (path, body) in [
        (
            "/api/v1/bases/jidi/sessions".to_owned(),
            json!({"date": day(9), "start": "09:00", "end": "10:00", "capacity": 10}),
        ),
        (
            "/api/v1/bases/jidi/templates".to_owned(),
            json!({"weekday": 2, "start": "09:00", "end": "10:00"}),
        ),
        (
            format!("/api/v1/sessions/{}/cancel", slot["id"]),
            json!({"reason": "x"}),
        ),
    ] {
        let (status, _) = officer.post_json(&path, &body).await;
        assert_eq!(status, 403, "{path}");
    }
    // The same refusals through the domain functions.
    let mut conn = app.state.db.get().expect("connection");
    let borrower = jingshi::loans::Actor {
        user_id: None,
        username: "officer".into(),
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
    };
    let at = app.state.clock.moment();
    let id = visit["id"].as_i64().unwrap();
    let refused = jingshi::visits::act(
        &mut conn,
        &borrower,
        id,
        jingshi::visits::VisitCommand::NoShow,
        at,
    );
    assert!(matches!(
        refused,
        Err(jingshi::visits::VisitError::LibrariansOnly { .. })
    ));
    let other = jingshi::loans::Actor {
        unit: Some("kunming-customs".into()),
        ..borrower.clone()
    };
    let refused = jingshi::visits::act(
        &mut conn,
        &other,
        id,
        jingshi::visits::VisitCommand::Confirm,
        at,
    );
    assert!(matches!(
        refused,
        Err(jingshi::visits::VisitError::NotFound(_))
    ));
    let refused =
        jingshi::visits::add_session(&mut conn, &borrower, "jidi", Default::default(), at);
    assert!(matches!(
        refused,
        Err(jingshi::visits::VisitError::LibrariansOnly { .. })
    ));
    assert_eq!(
        app.count("SELECT count(*) FROM visits WHERE status != 'requested'"),
        0
    );
}

#[tokio::test]
async fn hostile_input_is_refused_in_words_or_kept_as_text() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 60).await;
    let mut body = visit_body("jidi", &[&slot], 10, true);
    body["purpose"] = json!("警".repeat(201));
    let (status, answer) = officer.post_json("/api/v1/visits", &body).await;
    assert_eq!(status, 422);
    assert!(
        answer["error"]["message"].as_str().unwrap().contains("200"),
        "{answer}"
    );
    body["purpose"] = json!("<script>alert(1)</script>");
    body["liaison_phone"] = json!("12345");
    let (status, answer) = officer.post_json("/api/v1/visits", &body).await;
    assert_eq!(status, 422, "{answer}");
    body["liaison_phone"] = json!("138 0013 8000");
    let (status, answer) = officer.post_json("/api/v1/visits", &body).await;
    assert_eq!(status, 201, "{answer}");
    assert_eq!(
        answer["purpose"], "<script>alert(1)</script>",
        "kept as typed, escaped where shown"
    );
    assert_eq!(answer["liaison_phone"], "13800138000");
    body["base_id"] = json!("../../etc/passwd");
    let (status, _) = officer.post_json("/api/v1/visits", &body).await;
    assert_eq!(status, 404);
    let (status, _) = officer
        .get_json("/api/v1/bases/..%2F..%2Fetc/sessions")
        .await;
    assert_eq!(status, 404);
    let (status, _) = officer
        .get_json(&format!(
            "/api/v1/bases/jidi/sessions?from={}&to=2030-01-01",
            day(0)
        ))
        .await;
    assert_eq!(status, 422, "more than a year at once");
    let (status, _) = officer.get_json("/api/v1/visits/abc").await;
    assert_eq!(status, 404);
    let (status, _) = librarian
        .post_json(
            "/api/v1/bases/jidi/sessions",
            &json!({"date": day(9), "start": "09:00", "end": "10:00", "label": "庭".repeat(81)}),
        )
        .await;
    assert_eq!(status, 422);
    let big = format!("{{\"purpose\": \"{}\"}}", "x".repeat(3 * 1024 * 1024));
    let resp = officer
        .client
        .post(officer.url("/api/v1/visits"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(big)
        .send()
        .await
        .expect("request");
    assert!(
        resp.status() == 413 || resp.status() == 422,
        "{}",
        resp.status()
    );
    assert_eq!(app.count("SELECT count(*) FROM visits"), 1);
}

fn sweep_visits(app: &TestApp) -> jingshi::visits::sweep::VisitSweep {
    let mut conn = app.state.db.get().expect("connection");
    jingshi::visits::sweep::run(&mut conn, app.state.clock.moment()).expect("sweep")
}

#[tokio::test]
async fn the_unit_is_reminded_two_working_days_before_and_asked_for_its_report_after_once() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    // Thursday 11 March.
    let slot = session(&librarian, "jidi", 10, 60).await;
    let visit = requested(&officer, "jidi", &[&slot], 20, true).await;
    act_ok(
        &librarian,
        &visit,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    act_ok(&officer, &visit, "confirm", json!({})).await;
    let kinds = |notes: &Value| -> Vec<String> {
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    // Monday 8 March: three working days ahead, no reminder yet.
    set_today(&app, 7);
    assert_eq!(sweep_visits(&app).reminded, 0);
    // Tuesday 9 March: two working days ahead.
    set_today(&app, 8);
    assert_eq!(sweep_visits(&app).reminded, 1);
    assert_eq!(sweep_visits(&app).reminded, 0, "once");
    let (_, notes) = officer.get_json("/api/v1/notifications").await;
    assert_eq!(kinds(&notes)[0], "visit_reminder");
    assert!(
        notes["items"][0]["message"]
            .as_str()
            .unwrap()
            .contains(&day(10))
    );
    set_today(&app, 10);
    assert_eq!(sweep_visits(&app).reports_asked, 0, "not on the day itself");
    set_today(&app, 11);
    assert_eq!(sweep_visits(&app).reports_asked, 1);
    assert_eq!(sweep_visits(&app).reports_asked, 0, "once");
    let (_, notes) = officer.get_json("/api/v1/notifications").await;
    assert_eq!(kinds(&notes)[0], "visit_report");
    act_ok(&officer, &visit, "report", json!({"attended": 19})).await;
}

#[tokio::test]
async fn the_sweep_keeps_template_sessions_made_half_a_year_ahead() {
    let (app, librarian, _) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let (status, made) = librarian
        .post_json(
            "/api/v1/bases/jidi/templates",
            &json!({"weekday": 2, "start": "09:00", "end": "11:00"}),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    let before = app.count("SELECT count(*) FROM base_sessions");
    assert_eq!(before, made["sessions_made"].as_i64().unwrap());
    assert_eq!(
        sweep_visits(&app).sessions_made,
        0,
        "nothing new on the same day"
    );
    set_today(&app, 14);
    assert_eq!(
        sweep_visits(&app).sessions_made,
        2,
        "two weeks later, two more Tuesdays"
    );
    assert_eq!(app.count("SELECT count(*) FROM base_sessions"), before + 2);
}

#[tokio::test]
async fn the_demo_has_weekly_sessions_at_its_two_bases_and_a_sample_trial() {
    let app = TestApp::spawn_with_demo().await;
    let officer = app.borrower("officer", "yn-tax").await;
    let today = app.state.clock.today();
    let range = format!(
        "from={today}&to={}",
        today.checked_add(jiff::Span::new().days(35)).unwrap()
    );
    for base in ["demo-base-integrity-hall", "demo-base-prison"] {
        let (status, body) = officer
            .get_json(&format!("/api/v1/bases/{base}/sessions?{range}"))
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["sessions"].as_array().unwrap().len() >= 4,
            "{base}: {body}"
        );
    }
    let (_, body) = officer
        .get_json(&format!("/api/v1/bases/demo-base-prison/sessions?{range}"))
        .await;
    let trials: Vec<&Value> = body["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["label"].as_str().unwrap().contains("庭审旁听"))
        .collect();
    assert_eq!(trials.len(), 1, "{body}");
    assert!(trials[0]["label"].as_str().unwrap().contains("示例"));
    assert_eq!(trials[0]["sectors"], json!(["烟草"]));
}

#[tokio::test]
async fn a_no_show_frees_its_seats_and_its_day() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 60).await;
    let visit = requested(&officer, "jidi", &[&slot], 20, true).await;
    act_ok(
        &librarian,
        &visit,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    act_ok(&officer, &visit, "confirm", json!({})).await;
    let (status, _) = act(&librarian, &visit, "no-show", json!({})).await;
    assert_eq!(status, 422, "not before the day");
    set_today(&app, 7);
    let (status, _) = act(&officer, &visit, "no-show", json!({})).await;
    assert_eq!(status, 403, "the committee records a no-show");
    let gone = act_ok(&librarian, &visit, "no-show", json!({})).await;
    assert_eq!(gone["status"], "no_show");
    assert_eq!(gone["session"]["booked"], 0, "its seats are free");
    assert_eq!(
        app.count("SELECT count(*) FROM visits WHERE held_date IS NOT NULL"),
        0
    );
    let (status, _) = act(&officer, &visit, "report", json!({"attended": 3})).await;
    assert_eq!(status, 409);
}
