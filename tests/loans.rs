//! Loans against the real app and SQLite file: capacity under concurrency, the
//! transition table, digital access windows, the waitlist, renewals, closed days,
//! unit walls, physical copies, the queue and calendar.

use std::collections::HashMap;

use jiff::civil::date;
use serde_json::{Value, json};

use crate::common::lending::{
    FIVE_UNITS, MONDAY, act, act_ok, approved, assert_never_over_capacity, barcodes,
    borrower_per_unit, day, issued, lendable, librarian_and_three_units, lift_unit_limits,
    queue_place, request, requested, set_today, show,
};
use crate::common::{Session, TestApp};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_requests_for_one_licence_approve_exactly_one() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib").await;
    lendable(&librarian, "one-licence-film", Some(1), 0).await;
    let borrowers = borrower_per_unit(&app, &FIVE_UNITS).await;
    let librarian = std::sync::Arc::new(librarian);
    let mut tasks = Vec::new();
    for i in 0..100 {
        let borrower = borrowers[i % borrowers.len()].clone();
        let librarian = librarian.clone();
        tasks.push(tokio::spawn(async move {
            let created =
                requested(&borrower, "one-licence-film", "digital", &day(7), &day(9)).await;
            let (status, _) = act(&librarian, &created, "approve", json!({})).await;
            (created, status)
        }));
    }
    let mut outcomes = Vec::new();
    for task in tasks {
        outcomes.push(task.await.unwrap());
    }
    let approvals = outcomes.iter().filter(|(_, s)| *s == 200).count();
    assert_eq!(approvals, 1, "exactly one approval succeeds");
    assert!(outcomes.iter().all(|(_, s)| *s == 200 || *s == 409));
    let created_requested: Vec<_> = outcomes
        .iter()
        .filter(|(c, _)| c["status"] == "requested")
        .collect();
    assert_eq!(created_requested.len(), 1);

    let (_, all) = librarian
        .get_json("/api/v1/loans?resource_id=one-licence-film&limit=1000")
        .await;
    let mut all = all.as_array().unwrap().clone();
    assert_eq!(all.len(), 100);
    all.sort_by_key(|l| l["id"].as_i64().unwrap());
    // The first to arrive holds the licence; the others wait in arrival order.
    assert_eq!(all[0]["status"], "approved");
    assert_eq!(all[0]["id"], created_requested[0].0["id"]);
    for (position, loan) in all[1..].iter().enumerate() {
        assert_eq!(loan["status"], "waitlisted", "{loan}");
        assert_eq!(loan["queue_position"], position as u64 + 1, "{loan}");
        // The earliest free period of the same length starts after the approved loan.
        assert_eq!(loan["earliest_free"]["start"], day(10));
    }
    let times: Vec<&str> = all
        .iter()
        .map(|l| l["created_at"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]), "ids follow arrival");
    assert_never_over_capacity(&app);
}

/// The actions SPEC §5 allows from each state (others must answer 409).
fn allowed(status: &str, format: &str) -> &'static [&'static str] {
    match (status, format) {
        ("requested", _) => &["approve", "reject", "cancel", "move"],
        ("waitlisted", _) => &["reject", "cancel", "move"],
        ("approved", "physical") => &["issue", "cancel", "renew", "move"],
        ("approved", _) => &["cancel", "renew", "move"],
        ("active", _) => &["return", "renew", "report"],
        ("overdue", _) => &["return", "report"],
        ("returned" | "expired", _) => &["report"],
        _ => &[],
    }
}

#[tokio::test]
async fn every_illegal_transition_answers_409_and_changes_nothing() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let resource = lendable(&lib, "state-film", Some(50), 6).await;
    let scarce = lendable(&lib, "scarce-film", Some(1), 0).await;
    let copies = barcodes(&resource);
    let r = "state-film";

    let mut loans: Vec<(String, Value)> = Vec::new();
    loans.push((
        "requested".into(),
        requested(&officer, r, "digital", &day(14), &day(16)).await,
    ));
    let holder = requested(&officer, "scarce-film", "digital", &day(14), &day(16)).await;
    let waiting = requested(&officer, "scarce-film", "digital", &day(14), &day(16)).await;
    assert_eq!(waiting["status"], "waitlisted");
    let _ = (holder, scarce);
    loans.push(("waitlisted".into(), waiting));
    loans.push((
        "approved".into(),
        approved(&lib, &officer, r, "digital", &day(14), &day(16)).await,
    ));
    loans.push((
        "approved".into(),
        approved(&lib, &officer, r, "physical", &day(14), &day(16)).await,
    ));
    let rejected = requested(&officer, r, "digital", &day(14), &day(16)).await;
    loans.push((
        "rejected".into(),
        act_ok(&lib, &rejected, "reject", json!({"reason": "片源维护中"})).await,
    ));
    let cancelled = requested(&officer, r, "digital", &day(14), &day(16)).await;
    loans.push((
        "cancelled".into(),
        act_ok(&officer, &cancelled, "cancel", json!({})).await,
    ));
    // Started today: digital becomes active on approval; physical once issued.
    let digital_now = approved(&lib, &officer, r, "digital", &day(0), &day(4)).await;
    assert_eq!(digital_now["status"], "active");
    loans.push(("active".into(), digital_now));
    loans.push((
        "active".into(),
        issued(&lib, &officer, r, &day(0), &day(4), &copies[0]).await,
    ));
    let back = issued(&lib, &officer, r, &day(0), &day(4), &copies[1]).await;
    loans.push((
        "returned".into(),
        act_ok(&lib, &back, "return", json!({"condition": "good"})).await,
    ));
    // Ending tomorrow, then looked at three days later: expired and overdue.
    let expiring = approved(&lib, &officer, r, "digital", &day(0), &day(1)).await;
    let late = issued(&lib, &officer, r, &day(0), &day(1), &copies[2]).await;
    set_today(&app, 3);
    app.sweep();
    loans.push(("expired".into(), show(&lib, &expiring).await));
    loans.push(("overdue".into(), show(&lib, &late).await));

    let free_copy = copies[5].clone();
    let bodies: HashMap<&str, Value> = HashMap::from([
        ("approve", json!({})),
        ("reject", json!({"reason": "不符合借阅条件"})),
        ("issue", json!({"barcode": free_copy})),
        ("return", json!({"condition": "good"})),
        ("renew", json!({})),
        ("cancel", json!({})),
        (
            "report",
            json!({"held_on": day(3), "participants": 80, "feedback": "触动很大"}),
        ),
        ("move", json!({"start": day(30), "end": day(32)})),
    ]);
    let audit_count = || app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'loan_%'");
    let notice_count = || app.count("SELECT count(*) FROM notifications");
    let mut refused = 0;
    for (expected_status, loan) in &loans {
        let before = show(&lib, loan).await;
        assert_eq!(before["status"], expected_status.as_str(), "{before}");
        let format = before["format"].as_str().unwrap().to_owned();
        for action in [
            "approve", "reject", "issue", "return", "renew", "cancel", "report", "move",
        ] {
            if allowed(expected_status, &format).contains(&action) {
                continue;
            }
            let (audits, notices) = (audit_count(), notice_count());
            let (status, body) = act(&lib, loan, action, bodies[action].clone()).await;
            assert_eq!(
                status, 409,
                "{action} from {expected_status} ({format}): {body}"
            );
            assert_eq!(body["error"]["code"], "illegal_transition");
            let message = body["error"]["message"].as_str().unwrap();
            assert!(
                message.contains(before["status_label"].as_str().unwrap()),
                "the message names the current state: {message}"
            );
            assert_eq!(
                show(&lib, loan).await,
                before,
                "{action} from {expected_status} changed the loan"
            );
            assert_eq!((audit_count(), notice_count()), (audits, notices));
            refused += 1;
        }
    }
    // 11 loans in 9 states, 8 actions each, minus the allowed ones.
    assert!(refused >= 60, "{refused}");
    // Unit borrowers meet the same wall on their own actions.
    let (status, _) = act(&officer, &loans[5].1, "cancel", json!({})).await;
    assert_eq!(status, 409);
}

#[tokio::test]
async fn digital_file_opens_only_during_the_active_window() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("customs", "kunming-customs").await;
    let outsider = app.borrower("taxman", "yn-tax").await;
    let resource = "demo-customs-inspection-case";
    let (_, body) = lib.get_json(&format!("/api/v1/resources/{resource}")).await;
    let file = body["files"][0]["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/files/{file}");

    // Wednesday to Friday.
    let loan = approved(&lib, &officer, resource, "digital", &day(2), &day(4)).await;
    for (today, expected) in [
        (0, 403),
        (1, 403),
        (2, 200),
        (3, 200),
        (4, 200),
        (5, 403),
        (6, 403),
    ] {
        set_today(&app, today);
        assert_eq!(officer.get(&url).await.status(), expected, "day {today}");
        // Another unit never reads through this loan.
        assert_eq!(
            outsider.get(&url).await.status(),
            403,
            "outsider on day {today}"
        );
        if today == 3 {
            app.sweep();
            assert_eq!(show(&officer, &loan).await["status"], "active");
        }
    }
    app.sweep();
    assert_eq!(show(&officer, &loan).await["status"], "expired");
    assert_eq!(officer.get(&url).await.status(), 403);
}

#[tokio::test]
async fn waitlist_is_promoted_in_order_after_a_cancellation() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let (lib, [first, second, third]) = librarian_and_three_units(&app).await;
    lendable(&lib, "queue-film", Some(1), 0).await;
    let a = requested(&first, "queue-film", "digital", &day(7), &day(11)).await;
    let b = requested(&second, "queue-film", "digital", &day(8), &day(9)).await;
    let c = requested(&third, "queue-film", "digital", &day(9), &day(10)).await;
    assert_eq!(a["status"], "requested");
    assert_eq!(queue_place(&b), (Some("waitlisted"), Some(1)));
    assert_eq!(queue_place(&c), (Some("waitlisted"), Some(2)));
    // Two days from Saturday the 13th end on Sunday, which moves to Monday.
    assert_eq!(
        b["earliest_free"],
        json!({"start": day(12), "end": day(14)})
    );
    act_ok(&lib, &a, "approve", json!({})).await;

    // The approved loan is cancelled: the first in line gets the licence, the next
    // moves up.
    act_ok(&first, &a, "cancel", json!({})).await;
    assert_eq!(show(&second, &b).await["status"], "requested");
    let c_now = show(&third, &c).await;
    assert_eq!(queue_place(&c_now), (Some("waitlisted"), Some(1)));
    let (_, notices) = second.get_json("/api/v1/notifications").await;
    assert_eq!(notices["unread"], 1);
    assert_eq!(notices["items"][0]["kind"], "promoted");
    assert_eq!(notices["items"][0]["loan_id"], b["id"]);
    let (_, mine) = third.get_json("/api/v1/notifications").await;
    assert_eq!(mine["unread"], 0);

    // The promoted request is turned down: the next one is promoted.
    act_ok(&lib, &b, "reject", json!({"reason": "时间冲突"})).await;
    assert_eq!(show(&third, &c).await["status"], "requested");
    let (_, notices) = second.get_json("/api/v1/notifications").await;
    assert_eq!(notices["items"][0]["kind"], "rejected");
    assert!(
        notices["items"][0]["message"]
            .as_str()
            .unwrap()
            .contains("时间冲突")
    );
    let (_, marked) = second
        .post_json("/api/v1/notifications/read-all", &json!({}))
        .await;
    assert_eq!(marked["marked"], 2);
    assert_eq!(
        second.get_json("/api/v1/notifications?unread=true").await.1["unread"],
        0
    );
    assert_never_over_capacity(&app);
}

#[tokio::test]
async fn renewal_is_refused_while_someone_waits_and_after_two() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let holder = app.borrower("holder", "yn-tax").await;
    let other = app.borrower("other", "yn-finance").await;
    lendable(&lib, "renew-film", Some(1), 0).await;
    let loan = approved(&lib, &holder, "renew-film", "digital", &day(0), &day(4)).await;
    assert_eq!(loan["status"], "active");
    let waiting = requested(&other, "renew-film", "digital", &day(3), &day(4)).await;
    assert_eq!(waiting["status"], "waitlisted");

    let (status, body) = act(&holder, &loan, "renew", json!({})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "renewal_refused");
    assert!(body["error"]["message"].as_str().unwrap().contains("候补"));
    assert_eq!(show(&holder, &loan).await["end"], day(4));

    act_ok(&other, &waiting, "cancel", json!({})).await;
    // Friday + 7 days is Friday again; then a chosen end on a Sunday moves to Monday.
    let once = act_ok(&holder, &loan, "renew", json!({})).await;
    assert_eq!(
        (once["end"].as_str(), once["renewals"].as_u64()),
        (Some(day(11).as_str()), Some(1))
    );
    let twice = act_ok(&holder, &loan, "renew", json!({"end": day(13)})).await;
    assert_eq!(
        (twice["end"].as_str(), twice["renewals"].as_u64()),
        (Some(day(14).as_str()), Some(2))
    );
    assert_eq!(twice["renewals_left"], 0);
    let (status, body) = act(&holder, &loan, "renew", json!({})).await;
    assert_eq!(status, 409);
    assert_eq!(body["error"]["code"], "renewal_refused");
    assert_eq!(show(&holder, &loan).await["end"], day(14));
    assert_never_over_capacity(&app);
}

#[tokio::test]
async fn renewal_that_does_not_fit_is_refused() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let holder = app.borrower("holder", "yn-tax").await;
    let other = app.borrower("other", "yn-finance").await;
    lendable(&lib, "tight-film", Some(1), 0).await;
    let loan = approved(&lib, &holder, "tight-film", "digital", &day(0), &day(4)).await;
    let next = requested(&other, "tight-film", "digital", &day(7), &day(8)).await;
    assert_eq!(next["status"], "requested");
    let (status, body) = act(&holder, &loan, "renew", json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_capacity")),
        "{body}"
    );
    // Even to Sunday: the end moves to Monday, which is taken.
    let (status, _) = act(&holder, &loan, "renew", json!({"end": day(6)})).await;
    assert_eq!(status, 409);
    assert_eq!(show(&holder, &loan).await["renewals"], 0);
    act_ok(&other, &next, "cancel", json!({})).await;
    let renewed = act_ok(&holder, &loan, "renew", json!({"end": day(6)})).await;
    assert_eq!(
        (renewed["end"].as_str(), renewed["requested_end"].as_str()),
        (Some(day(7).as_str()), Some(day(6).as_str()))
    );
}

#[tokio::test]
async fn end_dates_on_closed_days_move_to_the_next_open_day() {
    let app = TestApp::spawn_with_demo_on(date(2027, 9, 27)).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    // National Day: Friday 1 to Thursday 7 October off, Saturday 9 October worked.
    for d in 1..=7 {
        let (status, body) = lib
            .post_json(
                "/api/v1/holidays",
                &json!({"date": format!("2027-10-0{d}"), "kind": "holiday", "name": "国庆节"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, _) = lib
        .post_json(
            "/api/v1/holidays",
            &json!({"date": "2027-10-09", "kind": "workday", "name": "国庆调休"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, _) = officer
        .post_json(
            "/api/v1/holidays",
            &json!({"date": "2027-10-11", "kind": "holiday"}),
        )
        .await;
    assert_eq!(status, 403, "only librarians keep the calendar");
    let (_, listed) = officer.get_json("/api/v1/holidays?year=2027").await;
    assert_eq!(listed.as_array().unwrap().len(), 8);

    let r = "demo-textbook-sanctions";
    // One unit files a request per end date (issue 14's default is one open request).
    lift_unit_limits(&lib, r).await;
    for (asked, expected) in [
        ("2027-09-30", "2027-09-30"), // an ordinary Thursday
        ("2027-10-01", "2027-10-08"), // holiday through the weekend to Friday
        ("2027-10-06", "2027-10-08"),
        ("2027-10-09", "2027-10-09"), // the make-up Saturday is open
        ("2027-10-10", "2027-10-11"), // an ordinary Sunday
    ] {
        let loan = requested(&officer, r, "digital", "2027-09-29", asked).await;
        assert_eq!(
            (loan["end"].as_str(), loan["requested_end"].as_str()),
            (Some(expected), Some(asked))
        );
        let (_, avail) = officer
            .get_json(&format!(
                "/api/v1/resources/{r}/availability?format=digital&start=2027-09-29&end={asked}"
            ))
            .await;
        assert_eq!(avail["end"], expected, "{avail}");
        assert_eq!(avail["fits"], true);
    }
    // Without the make-up day, Saturday's end moves to Monday.
    let resp = lib
        .client
        .delete(lib.url("/api/v1/holidays/2027-10-09"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 204);
    let loan = requested(&officer, r, "digital", "2027-09-29", "2027-10-09").await;
    assert_eq!(loan["end"], "2027-10-11");
    // The calendar marks the closed days.
    let (_, month) = officer
        .get_json(&format!("/api/v1/resources/{r}/calendar?month=2027-10"))
        .await;
    let days = month["days"].as_array().unwrap();
    assert_eq!(days.len(), 31);
    assert_eq!(
        (days[0]["open"].as_bool(), days[0]["note"].as_str()),
        (Some(false), Some("国庆节"))
    );
    assert_eq!(days[7]["open"], true);
    assert_eq!(
        days[8]["open"], false,
        "9 October is an ordinary Saturday again"
    );
}

#[tokio::test]
async fn another_units_borrower_can_neither_see_nor_act_on_the_loan() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let owner = app.borrower("owner", "yn-tax").await;
    let colleague = app.borrower("colleague", "yn-tax").await;
    let stranger = app.borrower("stranger", "kunming-customs").await;
    // The other unit has a loan of its own, so its list cannot pass by being empty.
    let own = requested(
        &stranger,
        "demo-customs-inspection-case",
        "digital",
        &day(0),
        &day(2),
    )
    .await;
    let loan = requested(&owner, "demo-video-banquet", "digital", &day(0), &day(2)).await;
    let path = format!("/api/v1/loans/{}", loan["id"]);

    assert_eq!(
        colleague.get_json(&path).await.0,
        200,
        "the same unit sees it"
    );
    let (status, body) = stranger.get_json(&path).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let (status, listed) = stranger.get_json("/api/v1/loans").await;
    assert_eq!(status, 200, "{listed}");
    let listed = listed.as_array().expect("a list of loans");
    let ids: Vec<&Value> = listed.iter().map(|l| &l["id"]).collect();
    assert_eq!(ids, [&own["id"]], "exactly its own loan: {listed:?}");
    assert!(listed.iter().all(|l| l["unit"] == "kunming-customs"));
    // The unit's page lists its own loan and not the other unit's.
    let html = stranger.get("/loans").await.text().await.unwrap();
    assert!(
        html.contains(&format!("id=\"loan-{}\"", own["id"])),
        "{html}"
    );
    assert!(
        !html.contains(&format!("id=\"loan-{}\"", loan["id"])),
        "{html}"
    );
    assert!(!html.contains("demo-video-banquet"), "{html}");
    assert_eq!(stranger.get_json("/api/v1/loans?unit=yn-tax").await.0, 403);
    assert_eq!(
        owner
            .get_json("/api/v1/loans?unit=yn-tax")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Every action on another unit's loan finds nothing (404): the loan is hidden
    // before the action is weighed, librarians' actions included.
    for action in [
        "cancel", "renew", "report", "return", "approve", "reject", "issue", "move",
    ] {
        let (status, _) = act(
            &stranger,
            &loan,
            action,
            json!({"held_on": day(0), "participants": 1}),
        )
        .await;
        assert_eq!(status, 404, "{action}");
    }
    for action in ["approve", "reject", "issue", "move"] {
        assert_eq!(
            act(&owner, &loan, action, json!({})).await.0,
            403,
            "{action} is for librarians"
        );
    }
    // A borrower cannot file a request in another unit's name.
    let (status, _) = stranger
        .post_json(
            "/api/v1/loans",
            &json!({"resource_id": "demo-video-banquet", "format": "digital",
            "start": day(0), "end": day(1), "purpose": "x", "audience": 5, "unit": "yn-tax"}),
        )
        .await;
    assert_eq!(status, 403);
    // Calendars show others' use as counts only.
    let (_, month) = stranger
        .get_json("/api/v1/resources/demo-video-banquet/calendar?month=2027-03")
        .await;
    assert_eq!(month["days"][0]["digital"]["used"], 1);
    assert!(month["bookings"].as_array().unwrap().is_empty());
    let (_, month) = lib
        .get_json("/api/v1/resources/demo-video-banquet/calendar?month=2027-03")
        .await;
    assert_eq!(month["bookings"][0]["unit"], "yn-tax");
    // Notifications stay with the unit.
    act_ok(&lib, &loan, "approve", json!({})).await;
    assert_eq!(owner.get_json("/api/v1/notifications").await.1["unread"], 1);
    assert_eq!(
        stranger.get_json("/api/v1/notifications").await.1["unread"],
        0
    );
    let id = owner.get_json("/api/v1/notifications").await.1["items"][0]["id"].clone();
    let (_, marked) = stranger
        .post_json(&format!("/api/v1/notifications/{id}/read"), &json!({}))
        .await;
    assert_eq!(marked["marked"], 0);
    assert_eq!(loan_unchanged_status(&owner, &loan).await, "active");
    let _ = act(&stranger, &loan, "cancel", json!({})).await;
    assert_eq!(loan_unchanged_status(&owner, &loan).await, "active");
}

async fn loan_unchanged_status(session: &Session, loan: &Value) -> String {
    show(session, loan).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn physical_copies_are_issued_reminded_overdue_returned_and_reported() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tobacco").await;
    let r = "demo-tobacco-procurement-case";
    // The unit holds two copies at once (issue 14's default is one open loan).
    lift_unit_limits(&lib, r).await;
    let loan = approved(&lib, &officer, r, "physical", &day(0), &day(3)).await;
    let (status, body) = act(&lib, &loan, "issue", json!({"barcode": "JS-0001"})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("copy_unavailable")),
        "another resource's copy"
    );
    let (status, _) = act(&lib, &loan, "issue", json!({"barcode": "NO-SUCH"})).await;
    assert_eq!(status, 422);
    let issued = act_ok(&lib, &loan, "issue", json!({"barcode": "JS-0004"})).await;
    assert_eq!(
        (issued["status"].as_str(), issued["barcode"].as_str()),
        (Some("active"), Some("JS-0004"))
    );
    // The same copy cannot go out twice.
    let second = approved(&lib, &officer, r, "physical", &day(0), &day(1)).await;
    let (status, _) = act(&lib, &second, "issue", json!({"barcode": "JS-0004"})).await;
    assert_eq!(status, 409);
    act_ok(&officer, &second, "cancel", json!({})).await;

    // Two days before the end: reminded once, however often the task runs.
    set_today(&app, 1);
    app.sweep();
    app.sweep();
    let (_, notices) = officer.get_json("/api/v1/notifications").await;
    let due: Vec<_> = notices["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "due_soon")
        .collect();
    assert_eq!(due.len(), 1, "{notices}");
    // The day after the end: overdue, told once.
    set_today(&app, 4);
    let first = app.sweep();
    assert!(first.advanced >= 1);
    let again = app.sweep();
    assert_eq!(
        (again.advanced, again.reminded, again.lapsed, again.promoted),
        (0, 0, 0, 0),
        "idempotent"
    );
    assert_eq!(show(&officer, &loan).await["status"], "overdue");
    let (_, notices) = officer.get_json("/api/v1/notifications").await;
    assert_eq!(
        notices["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "overdue")
            .count(),
        1
    );
    assert_eq!(
        lib.get_json("/api/v1/loans?status=overdue")
            .await
            .1
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let returned = act_ok(&lib, &loan, "return", json!({"condition": "worn"})).await;
    assert_eq!(
        (
            returned["status"].as_str(),
            returned["returned_on"].as_str()
        ),
        (Some("returned"), Some(day(4).as_str()))
    );
    let (_, resource) = lib.get_json(&format!("/api/v1/resources/{r}")).await;
    let copy = resource["holdings"]["copies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["barcode"] == "JS-0004")
        .unwrap()
        .clone();
    assert_eq!(copy["condition"], "worn");

    let (status, body) = act(
        &officer,
        &loan,
        "report",
        json!({"held_on": day(9), "participants": 5}),
    )
    .await;
    assert_eq!(status, 422, "a future date: {body}");
    let reported = act_ok(
        &officer,
        &loan,
        "report",
        json!({"held_on": day(1), "participants": 86, "feedback": "以案为鉴，警钟长鸣"}),
    )
    .await;
    assert_eq!(reported["report"]["participants"], 86);
    assert_eq!(reported["report"]["held_on"], day(1));
    // Every step is in the audit log.
    let actions: Vec<String> = {
        let conn = app.state.db.get().unwrap();
        let mut stmt = conn
            .prepare("SELECT action FROM audit_log WHERE action LIKE 'loan_%' AND detail LIKE ?1")
            .unwrap();
        stmt.query_map([format!("借阅 {}（%", loan["id"])], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    for expected in [
        "loan_requested",
        "loan_approve",
        "loan_issue",
        "loan_overdue",
        "loan_return",
        "loan_report",
    ] {
        assert!(
            actions.iter().any(|a| a == expected),
            "{expected} in {actions:?}"
        );
    }
}

#[tokio::test]
async fn queue_shows_conflicts_and_a_suggestion_and_moving_promotes() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let a = app.borrower("a", "yn-tax").await;
    let b = app.borrower("b", "yn-comms").await;
    lendable(&lib, "coord-film", None, 1).await;
    let first = requested(&a, "coord-film", "physical", &day(7), &day(9)).await;
    let second = requested(&b, "coord-film", "physical", &day(8), &day(8)).await;
    assert_eq!(second["status"], "waitlisted");
    assert_eq!(b.get_json("/api/v1/loans/queue").await.0, 403);
    let (status, queue) = lib.get_json("/api/v1/loans/queue").await;
    assert_eq!(status, 200);
    let items = queue.as_array().unwrap();
    assert_eq!(items[0]["loan"]["id"], first["id"], "oldest first");
    let item = items
        .iter()
        .find(|i| i["loan"]["id"] == second["id"])
        .unwrap();
    assert_eq!(item["capacity"], 1);
    assert_eq!(item["peak_used"], 1);
    assert_eq!(item["conflicts"][0]["id"], first["id"]);
    assert_eq!(
        item["suggestion"],
        json!({"start": day(10), "end": day(10)})
    );

    // Moving the waitlisted request to the suggested day promotes it and tells the unit.
    let moved = act_ok(
        &lib,
        &second,
        "move",
        json!({"start": day(10), "end": day(10)}),
    )
    .await;
    assert_eq!(
        (moved["status"].as_str(), moved["start"].as_str()),
        (Some("requested"), Some(day(10).as_str()))
    );
    let kinds: Vec<Value> = b.get_json("/api/v1/notifications").await.1["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].clone())
        .collect();
    assert!(
        kinds.contains(&json!("moved")) && kinds.contains(&json!("promoted")),
        "{kinds:?}"
    );
    // Moving a request onto a full day is refused and changes nothing.
    let (status, body) = act(
        &lib,
        &first,
        "move",
        json!({"start": day(10), "end": day(11)}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_capacity"))
    );
    assert_eq!(show(&lib, &first).await["start"], day(7));
    // Auto-approval for a resource: requests that fit are approved at once.
    let (status, _) = lib
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/resources/coord-film/loan-settings",
            &json!({"auto_approve": true}),
        )
        .await;
    assert_eq!(status, 200);
    let auto = requested(&a, "coord-film", "physical", &day(20), &day(21)).await;
    assert_eq!(auto["status"], "approved");
    assert_never_over_capacity(&app);
}

#[tokio::test]
async fn bad_requests_are_answered_in_words() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let officer = app.borrower("officer", "yn-tax").await;
    let r = "demo-bank-loan-case";
    for (start, end, field) in [
        (day(-1), day(1), "开始日期"),
        (day(3), day(1), "结束日期"),
        ("2027-02-30".to_owned(), day(1), "日期"),
        (day(0), day(200), "最长"),
    ] {
        let (status, body) = request(&officer, r, "digital", &start, &end).await;
        assert_eq!(status, 422, "{body}");
        assert!(
            body["error"]["message"].as_str().unwrap().contains(field),
            "{body}"
        );
    }
    let (status, body) = request(&officer, r, "physical", &day(1), &day(2)).await;
    assert_eq!(status, 422, "no copies: {body}");
    let (status, body) = request(&officer, r, "paper", &day(1), &day(2)).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        request(
            &officer,
            "demo-grain-reserve-case",
            "digital",
            &day(1),
            &day(2)
        )
        .await
        .0,
        404,
        "draft"
    );
    assert_eq!(
        request(&officer, "no-such-thing", "digital", &day(1), &day(2))
            .await
            .0,
        404
    );
    let (status, body) = officer
        .post_json("/api/v1/loans", &json!({"resource_id": r}))
        .await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("请填写"),
        "{body}"
    );
    let resp = officer.post_raw_json("/api/v1/loans", "{not json").await;
    assert_eq!(resp.status(), 400);
    assert_eq!(officer.get_json("/api/v1/loans/abc").await.0, 404);
    assert_eq!(officer.get_json("/api/v1/loans/999999").await.0, 404);
    assert_eq!(
        officer
            .post_json("/api/v1/loans/1/explode", &json!({}))
            .await
            .0,
        404
    );
    assert_eq!(
        officer
            .get_json("/api/v1/resources/demo-bank-loan-case/calendar?month=2027-13")
            .await
            .0,
        422
    );
    assert_eq!(app.count("SELECT count(*) FROM loans"), 0);
}

#[tokio::test]
async fn what_can_no_longer_happen_is_cancelled_and_the_unit_told() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("grain", "yn-grain").await;
    lendable(&lib, "lapse-film", Some(1), 1).await;
    let undecided = requested(&officer, "lapse-film", "digital", &day(0), &day(1)).await;
    let waiting = requested(&officer, "lapse-film", "digital", &day(1), &day(1)).await;
    assert_eq!(waiting["status"], "waitlisted");
    let unclaimed = approved(&lib, &officer, "lapse-film", "physical", &day(0), &day(1)).await;
    let later = requested(&officer, "lapse-film", "digital", &day(7), &day(8)).await;

    set_today(&app, 2);
    let summary = app.sweep();
    assert_eq!(summary.lapsed, 3);
    for loan in [&undecided, &waiting, &unclaimed] {
        assert_eq!(show(&officer, loan).await["status"], "cancelled");
    }
    assert_eq!(show(&officer, &later).await["status"], "requested");
    let (_, notices) = officer.get_json("/api/v1/notifications").await;
    let cancelled = notices["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "cancelled")
        .count();
    assert_eq!(cancelled, 3);
    assert_eq!(app.sweep().lapsed, 0);
    assert!(
        lib.get_json("/api/v1/loans/queue")
            .await
            .1
            .as_array()
            .unwrap()
            .len()
            == 1,
        "only the future request is pending"
    );
}

#[tokio::test]
async fn search_sees_borrow_counts_and_whether_a_licence_is_free_today() {
    // The real clock: "free today" follows the app's clock on any date, and the
    // borrow count reaches the index through the change log.
    let app = TestApp::spawn_with_demo().await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    for (id, title) in [
        ("stats-film-one", "借阅统计样片一号"),
        ("stats-film-two", "借阅统计样片二号"),
    ] {
        let (status, body) = lib
            .post_json(
                "/api/v1/resources",
                &json!({"id": id, "kind": "video", "title": title, "access": "loan",
                        "status": "published", "licences": 1}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let today = app.state.clock.today().to_string();
    approved(&lib, &officer, "stats-film-one", "digital", &today, &today).await;
    let mut last = Value::Null;
    // The borrow count follows eventually; up to 30 s so a loaded machine does not fail it.
    for _ in 0..600 {
        let (_, free) = officer
            .get_json("/api/v1/search?q=借阅统计样片&available=true")
            .await;
        let (_, borrowed) = officer
            .get_json("/api/v1/search?q=借阅统计样片&sort=most_borrowed")
            .await;
        if free["total"] == 1
            && free["hits"][0]["id"] == "stats-film-two"
            && borrowed["hits"][0]["id"] == "stats-film-one"
        {
            return;
        }
        last = json!([free, borrowed]);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the index did not follow the loan: {last}");
}

/// "Available now" is judged on the request's date, at query time: a loan covering
/// the day takes the one copy out, and moving the clock past the loan (also across
/// midnight) gives it back with no re-indexing and no loan sweep.
#[tokio::test]
async fn search_judges_free_on_the_request_date_without_reindexing() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    lendable(&lib, "one-copy-film", Some(0), 1).await;
    let search = |filter: &'static str| {
        let officer = &officer;
        async move {
            let (status, body) = officer
                .get_json(&format!("/api/v1/search?q=测试警示片{filter}"))
                .await;
            assert_eq!(status, 200, "{body}");
            let ids: Vec<String> = body["hits"]
                .as_array()
                .expect("hits")
                .iter()
                .map(|h| h["id"].as_str().unwrap_or("").to_owned())
                .collect();
            (ids, body["facets"]["available"].as_u64().expect("facet"))
        }
    };
    let mut indexed = false;
    for _ in 0..600 {
        if search("").await.0 == ["one-copy-film"] {
            indexed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(indexed, "the new resource is searchable");
    assert_eq!(
        search("&available=true").await,
        (vec!["one-copy-film".into()], 1)
    );

    requested(&officer, "one-copy-film", "physical", &day(0), &day(2)).await;
    let seq = app.state.search.applied_seq();
    // With no match left, `available=true` answers with the partial matches of other
    // resources (the OR fallback), so the check is that this one is not among them.
    let out = || async {
        assert_eq!(search("").await, (vec!["one-copy-film".into()], 0));
        assert_eq!(
            search("&available=false").await,
            (vec!["one-copy-film".into()], 0)
        );
        let (free, _) = search("&available=true").await;
        assert!(!free.contains(&"one-copy-film".to_owned()), "{free:?}");
    };
    let free = || async {
        let expected = (vec!["one-copy-film".to_owned()], 1);
        assert_eq!(search("").await, expected);
        assert_eq!(search("&available=true").await, expected);
    };
    out().await;
    // The last minute of the loan's last day, then the first of the day after.
    app.state
        .clock
        .set("2027-03-03T15:59:30Z".parse().expect("timestamp"));
    assert_eq!(app.state.clock.today(), MONDAY + jiff::Span::new().days(2));
    out().await;
    app.state
        .clock
        .set("2027-03-03T16:00:30Z".parse().expect("timestamp"));
    free().await;
    set_today(&app, 7);
    free().await;
    assert_eq!(
        app.state.search.applied_seq(),
        seq,
        "nothing was re-indexed for the date"
    );
    // Back on a booked day, a second copy makes room: the catalogue's change is seen
    // at once, though the day and the loans are as before.
    set_today(&app, 0);
    out().await;
    let (status, body) = lib
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/one-copy-film",
            &serde_json::json!({"copies": [{"barcode": "ONE-1"}, {"barcode": "ONE-2"}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    free().await;
}
