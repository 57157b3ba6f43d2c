//! Issue 12, "a test for every promise": the loan and import promises of SPEC §3, §5
//! and §7 as a user meets them, over HTTP or through the `jingshi` binary. A digital
//! return frees the file and the licence, physical renewal, waitlist promotion on
//! return and on expiry, physical-copy capacity under 100 concurrent requests, and
//! the defaults of an import manifest (id, access, status).

use std::collections::HashSet;
use std::process::Stdio;
use std::sync::Arc;

use serde_json::{Value, json};

use crate::common::lending::{
    FIVE_UNITS, MONDAY, act, act_ok, approved, assert_never_over_capacity, barcodes,
    borrower_per_unit, day, issued, lendable, librarian_and_three_units, queue_place, request,
    requested, set_today, show,
};
use crate::common::process::{admin_at, jingshi, sign_in, start_server};
use crate::common::web::upload;
use crate::common::{Session, TestApp, USER_PASSWORD};

/// A renewal without a chosen end adds a week (`DEFAULT_RENEWAL_DAYS` in src/loans/steps.rs).
const RENEWAL_DAYS: i64 = 7;

/// Status and queue position, the pair the waitlist promises are about.
async fn place(session: &Session, loan: &Value) -> (String, Option<u64>) {
    let now = show(session, loan).await;
    (
        now["status"].as_str().unwrap().to_owned(),
        now["queue_position"].as_u64(),
    )
}

fn waiting(position: u64) -> (String, Option<u64>) {
    ("waitlisted".to_owned(), Some(position))
}

fn holding(status: &str) -> (String, Option<u64>) {
    (status.to_owned(), None)
}

/// The kinds of the unit's notifications about one loan, oldest first.
async fn notices_about(session: &Session, loan: &Value) -> Vec<String> {
    let (status, body) = session.get_json("/api/v1/notifications").await;
    assert_eq!(status, 200, "{body}");
    let mut kinds: Vec<String> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["loan_id"] == loan["id"])
        .map(|n| n["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.reverse();
    kinds
}

/// Whether a request for the period now would be `requested` (the form's check).
async fn fits(session: &Session, resource: &str, format: &str, start: &str, end: &str) -> bool {
    let (status, body) = session
        .get_json(&format!(
            "/api/v1/resources/{resource}/availability?format={format}&start={start}&end={end}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    body["fits"].as_bool().unwrap()
}

#[tokio::test]
async fn a_returned_digital_loan_closes_the_file_and_frees_the_licence() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let holder = app.borrower("holder", "yn-tax").await;
    let next = app.borrower("next", "kunming-customs").await;
    let r = "return-film";
    lendable(&lib, r, Some(1), 0).await;
    let (status, body) = upload(
        &lib,
        r,
        "讲稿.md",
        "# 警示教育讲稿\n\n以案为鉴，警钟长鸣。".into(),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let file = body["id"].as_str().unwrap().to_owned();
    let url = format!("/api/v1/files/{file}");

    let loan = approved(&lib, &holder, r, "digital", &day(0), &day(4)).await;
    assert_eq!(loan["status"], "active");
    set_today(&app, 1);
    assert_eq!(holder.get(&url).await.status(), 200, "open during the loan");
    assert!(
        !fits(&next, r, "digital", &day(1), &day(4)).await,
        "the only licence is taken"
    );

    // Ending a digital loan early is a librarian's step (Action::librarian_only).
    let returned = act_ok(&lib, &loan, "return", json!({})).await;
    assert_eq!(
        (
            returned["status"].as_str(),
            returned["returned_on"].as_str()
        ),
        (Some("returned"), Some(day(1).as_str()))
    );
    assert_eq!(show(&holder, &loan).await["status"], "returned");
    assert_eq!(holder.get(&url).await.status(), 403, "closed after return");
    assert_eq!(
        notices_about(&holder, &loan).await,
        ["approved", "returned"],
        "the unit is told"
    );

    // The rest of the period is free again: another unit's request for it fits.
    assert!(fits(&next, r, "digital", &day(1), &day(4)).await);
    let after = requested(&next, r, "digital", &day(1), &day(4)).await;
    assert_eq!(queue_place(&after), (Some("requested"), None));
    // Once approved, the new holder reads the file and the old one still does not.
    act_ok(&lib, &after, "approve", json!({})).await;
    assert_eq!(next.get(&url).await.status(), 200);
    assert_eq!(holder.get(&url).await.status(), 403);
    assert_never_over_capacity(&app);
}

/// SPEC §2 lists "returns" among the borrower's actions; for a digital loan there is
/// nothing to hand to a librarian, so the unit ends it itself.
#[tokio::test]
async fn the_unit_returns_its_own_digital_loan() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let holder = app.borrower("holder", "yn-tax").await;
    lendable(&lib, "self-return-film", Some(1), 0).await;
    let loan = approved(
        &lib,
        &holder,
        "self-return-film",
        "digital",
        &day(0),
        &day(4),
    )
    .await;
    // The unit's loans page offers it; a physical loan's page would not.
    let html = holder.get("/loans").await.text().await.unwrap();
    assert!(
        html.contains(&format!("action=\"/loans/{}/return\"", loan["id"])),
        "{html}"
    );
    let (status, body) = act(&holder, &loan, "return", json!({})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "returned");
    assert!(fits(&holder, "self-return-film", "digital", &day(0), &day(4)).await);
}

/// Hostile input on the unit's own return: a condition past its 100 characters (full of
/// markup) is refused in words with nothing written; markup within the limit is kept
/// as text in the JSON and never reaches a page as markup.
#[tokio::test]
async fn a_borrowers_return_with_an_oversized_or_marked_up_condition_is_refused_or_kept_as_text() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let holder = app.borrower("holder", "yn-tax").await;
    let r = "hostile-return-film";
    lendable(&lib, r, Some(1), 0).await;
    let loan = approved(&lib, &holder, r, "digital", &day(0), &day(4)).await;
    assert_eq!(loan["status"], "active");
    let before = show(&holder, &loan).await;
    let writes = || {
        app.count(
            "SELECT (SELECT count(*) FROM audit_log WHERE action = 'loan_return')
                  + (SELECT count(*) FROM notifications WHERE kind = 'returned')
                  + (SELECT count(*) FROM loans WHERE returned_on IS NOT NULL
                                                 OR return_condition IS NOT NULL)",
        )
    };
    assert_eq!(writes(), 0);

    let markup = "<script>alert('损坏')</script>";
    for oversized in [
        markup.repeat(400),
        "损".repeat(101),
        format!("{}\u{0}<img src=x onerror=alert(1)>", "a".repeat(100)),
    ] {
        let (status, body) = act(&holder, &loan, "return", json!({"condition": oversized})).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (422, Some("invalid")),
            "{body}"
        );
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains("100"), "{message}");
        assert!(
            !message.contains("<script"),
            "the input is not echoed: {message}"
        );
        assert_eq!(show(&holder, &loan).await, before, "nothing half-written");
        assert_eq!(writes(), 0, "no audit row, notice or return written");
    }
    assert!(
        !fits(&holder, r, "digital", &day(0), &day(4)).await,
        "the licence is still held"
    );

    // Within the limit, markup is only text: stored as sent, escaped wherever shown.
    let returned = act_ok(&holder, &loan, "return", json!({"condition": markup})).await;
    assert_eq!(
        (
            returned["status"].as_str(),
            returned["return_condition"].as_str()
        ),
        (Some("returned"), Some(markup))
    );
    assert_eq!(writes(), 3);
    for path in ["/loans", &format!("/resources/{r}")] {
        let html = holder.get(path).await.text().await.unwrap();
        assert!(!html.contains("<script>alert"), "{path}: {html}");
    }
    let html = lib.get("/librarian/queue").await.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "{html}");
}

#[tokio::test]
async fn a_physical_loan_renews_twice_within_the_only_copys_bookings() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let holder = app.borrower("holder", "yn-tax").await;
    let other = app.borrower("other", "yn-finance").await;
    let r = "renew-copy-film";
    let resource = lendable(&lib, r, Some(0), 1).await;
    let copy = barcodes(&resource)[0].clone();

    // Monday to Friday, issued today.
    let loan = issued(&lib, &holder, r, &day(0), &day(4), &copy).await;
    assert_eq!(loan["status"], "active");
    // Another unit books the copy for Monday and Tuesday of the third week.
    let booked = requested(&other, r, "physical", &day(14), &day(15)).await;
    assert_eq!(booked["status"], "requested");

    // A renewal adds a week: Friday to Friday, still clear of the booking.
    let once = act_ok(&holder, &loan, "renew", json!({})).await;
    assert_eq!(
        (
            once["status"].as_str(),
            once["end"].as_str(),
            once["renewals"].as_u64(),
            once["renewals_left"].as_u64()
        ),
        (
            Some("active"),
            Some(day(4 + RENEWAL_DAYS).as_str()),
            Some(1),
            Some(1)
        )
    );
    // The next week would run over the booking of the only copy.
    let (status, body) = act(&holder, &loan, "renew", json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("no_capacity")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("实体拷贝"),
        "{body}"
    );
    let unchanged = show(&holder, &loan).await;
    assert_eq!(
        (unchanged["end"].as_str(), unchanged["renewals"].as_u64()),
        (Some(day(4 + RENEWAL_DAYS).as_str()), Some(1)),
        "a refused renewal changes nothing"
    );

    // Without the booking, the second renewal goes through; a third never does.
    act_ok(&other, &booked, "cancel", json!({})).await;
    let twice = act_ok(&holder, &loan, "renew", json!({})).await;
    let final_end = day(4 + 2 * RENEWAL_DAYS);
    assert_eq!(
        (
            twice["end"].as_str(),
            twice["renewals"].as_u64(),
            twice["renewals_left"].as_u64()
        ),
        (Some(final_end.as_str()), Some(2), Some(0))
    );
    let (status, body) = act(&holder, &loan, "renew", json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("renewal_refused")),
        "{body}"
    );
    assert_eq!(
        body["error"]["message"],
        format!(
            "每笔借阅最多续借 {} 次，已达上限",
            jingshi::loans::MAX_RENEWALS
        )
    );
    assert_eq!(show(&holder, &loan).await["end"], final_end);
    // The unit renewed itself: nobody is told of their own doing.
    assert_eq!(notices_about(&holder, &loan).await, ["approved", "issued"]);

    // The added days count: a request inside them waits, one after them does not.
    assert!(!fits(&other, r, "physical", &day(15), &day(16)).await);
    let inside = requested(&other, r, "physical", &day(15), &day(16)).await;
    assert_eq!(queue_place(&inside), (Some("waitlisted"), Some(1)));
    let after = requested(&other, r, "physical", &day(21), &day(22)).await;
    assert_eq!(after["status"], "requested");
    let (_, month) = lib
        .get_json(&format!("/api/v1/resources/{r}/calendar?month=2027-03"))
        .await;
    for (offset, used) in [(0, 1), (11, 1), (18, 1), (19, 0), (21, 1)] {
        assert_eq!(
            month["days"][offset]["physical"]["used"], used,
            "day {offset}"
        );
    }
    assert_never_over_capacity(&app);
}

#[tokio::test]
async fn a_physical_return_promotes_the_waitlist_in_order() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let (lib, [holder, first, second]) = librarian_and_three_units(&app).await;
    let r = "promote-copy-film";
    let resource = lendable(&lib, r, Some(0), 1).await;
    let copy = barcodes(&resource)[0].clone();

    let out = issued(&lib, &holder, r, &day(0), &day(4), &copy).await;
    // Both waiters share Thursday with the loan and with each other.
    let b = requested(&first, r, "physical", &day(3), &day(4)).await;
    let c = requested(&second, r, "physical", &day(4), &day(4)).await;
    assert_eq!(queue_place(&b), (Some("waitlisted"), Some(1)));
    assert_eq!(queue_place(&c), (Some("waitlisted"), Some(2)));

    // Back on Tuesday: the first in line gets the copy, the second moves up.
    set_today(&app, 1);
    act_ok(&lib, &out, "return", json!({"condition": "good"})).await;
    assert_eq!(place(&first, &b).await, holding("requested"));
    assert_eq!(place(&second, &c).await, waiting(1));
    assert_eq!(notices_about(&first, &b).await, ["promoted"]);
    assert!(notices_about(&second, &c).await.is_empty());

    // The promoted request runs its course; its return promotes the next one.
    set_today(&app, 3);
    act_ok(&lib, &b, "approve", json!({})).await;
    act_ok(&lib, &b, "issue", json!({"barcode": copy})).await;
    assert_eq!(place(&second, &c).await, waiting(1));
    act_ok(&lib, &b, "return", json!({"condition": "good"})).await;
    assert_eq!(place(&second, &c).await, holding("requested"));
    assert_eq!(notices_about(&second, &c).await, ["promoted"]);
    assert_never_over_capacity(&app);
}

#[tokio::test]
async fn a_digital_expiry_promotes_the_waitlist_in_order() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let (lib, [holder, first, second]) = librarian_and_three_units(&app).await;
    let r = "expiry-film";
    lendable(&lib, r, Some(1), 0).await;

    let loan = approved(&lib, &holder, r, "digital", &day(0), &day(2)).await;
    assert_eq!(loan["status"], "active");
    let b = requested(&first, r, "digital", &day(1), &day(4)).await;
    let c = requested(&second, r, "digital", &day(2), &day(4)).await;
    assert_eq!(queue_place(&b), (Some("waitlisted"), Some(1)));
    assert_eq!(queue_place(&c), (Some("waitlisted"), Some(2)));

    // On its last day the loan still holds the licence.
    set_today(&app, 2);
    assert_eq!(app.sweep().promoted, 0);
    assert_eq!(place(&first, &b).await, waiting(1));

    // The day after, it expires and the first in line is promoted, only it.
    set_today(&app, 3);
    let summary = app.sweep();
    assert_eq!((summary.advanced, summary.promoted), (1, 1), "{summary:?}");
    assert_eq!(show(&holder, &loan).await["status"], "expired");
    assert_eq!(place(&first, &b).await, holding("requested"));
    assert_eq!(place(&second, &c).await, waiting(1));
    assert_eq!(notices_about(&first, &b).await, ["promoted"]);
    assert!(notices_about(&second, &c).await.is_empty());
    // The sweep is idempotent: nothing more to promote.
    assert_eq!(app.sweep().promoted, 0);
    assert_never_over_capacity(&app);
}

/// More licences let the queue through at the next sweep, and only once: the sweep
/// reads the queues of resources the catalogue changed since it last looked.
#[tokio::test]
async fn added_licences_promote_the_waitlist_at_the_next_sweep() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let (lib, [holder, first, second]) = librarian_and_three_units(&app).await;
    let r = "licence-film";
    lendable(&lib, r, Some(1), 0).await;
    approved(&lib, &holder, r, "digital", &day(1), &day(3)).await;
    let b = requested(&first, r, "digital", &day(2), &day(4)).await;
    let c = requested(&second, r, "digital", &day(2), &day(3)).await;
    assert_eq!(place(&first, &b).await, waiting(1));
    assert_eq!(app.sweep().promoted, 0, "nothing changed");

    let (status, body) = lib
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/resources/{r}"),
            &json!({"licences": 2}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(app.sweep().promoted, 1, "one more licence, one more loan");
    assert_eq!(place(&first, &b).await, holding("requested"));
    assert_eq!(place(&second, &c).await, waiting(1));
    assert_eq!(notices_about(&first, &b).await, ["promoted"]);
    assert_eq!(app.sweep().promoted, 0, "the queue was looked at already");
    assert_never_over_capacity(&app);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_requests_for_three_copies_approve_three_per_day() {
    const COPIES: usize = 3;
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = Arc::new(app.librarian("lib").await);
    let r = "three-copy-film";
    lendable(&lib, r, Some(0), COPIES as u32).await;
    let borrowers = borrower_per_unit(&app, &FIVE_UNITS).await;
    // Weekdays of the second week; every period covers Wednesday (day 9).
    let periods = [(7, 9), (8, 10), (9, 11), (7, 11), (9, 9)];

    let mut tasks = Vec::new();
    for i in 0..100 {
        let borrower = borrowers[i % borrowers.len()].clone();
        let (start, end) = periods[i % periods.len()];
        tasks.push(tokio::spawn(async move {
            request(&borrower, r, "physical", &day(start), &day(end)).await
        }));
    }
    let mut created = Vec::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, 201, "{body}");
        created.push(body);
    }
    let first_requested = created
        .iter()
        .filter(|l| l["status"] == "requested")
        .count();
    assert_eq!(first_requested, COPIES, "one request per copy holds it");
    assert!(
        created
            .iter()
            .all(|l| l["status"] == "requested" || l["status"] == "waitlisted")
    );

    // The librarian approves everything at once: only the held requests go through.
    let mut tasks = Vec::new();
    for loan in created.clone() {
        let lib = lib.clone();
        tasks.push(tokio::spawn(async move {
            let (status, body) = act(&lib, &loan, "approve", json!({})).await;
            (loan, status, body)
        }));
    }
    let mut approved = Vec::new();
    for task in tasks {
        let (loan, status, body) = task.await.unwrap();
        match status {
            200 => approved.push(body),
            409 => {
                assert_eq!(loan["status"], "waitlisted", "{body}");
                assert_eq!(body["error"]["code"], "illegal_transition", "{body}");
            }
            other => panic!("approve answered {other}: {body}"),
        }
    }
    assert_eq!(approved.len(), COPIES);
    let held: HashSet<i64> = created
        .iter()
        .filter(|l| l["status"] == "requested")
        .map(|l| l["id"].as_i64().unwrap())
        .collect();
    let passed: HashSet<i64> = approved.iter().map(|l| l["id"].as_i64().unwrap()).collect();
    assert_eq!(
        passed, held,
        "the approved loans are the ones that held a copy"
    );

    // Day by day: the calendar shows exactly the approved loans covering each day,
    // never more than the copies, and all of them on the day every request shares.
    let covering = |offset: i64| {
        approved
            .iter()
            .filter(|l| {
                l["start"].as_str().unwrap() <= day(offset).as_str()
                    && day(offset).as_str() <= l["end"].as_str().unwrap()
            })
            .count()
    };
    assert_eq!(covering(9), COPIES);
    let (_, month) = lib
        .get_json(&format!("/api/v1/resources/{r}/calendar?month=2027-03"))
        .await;
    for offset in 6..=12 {
        let used = month["days"][offset as usize]["physical"]["used"]
            .as_u64()
            .unwrap() as usize;
        assert_eq!(used, covering(offset), "day {offset}");
        assert!(used <= COPIES, "day {offset}");
    }

    // The others wait in arrival order (they all share Wednesday).
    let (_, all) = lib
        .get_json(&format!("/api/v1/loans?resource_id={r}&limit=1000"))
        .await;
    let mut all = all.as_array().unwrap().clone();
    assert_eq!(all.len(), 100);
    all.sort_by_key(|l| l["id"].as_i64().unwrap());
    let waiters: Vec<&Value> = all.iter().filter(|l| l["status"] != "approved").collect();
    assert_eq!(waiters.len(), 100 - COPIES);
    for (index, loan) in waiters.iter().enumerate() {
        assert_eq!(loan["status"], "waitlisted", "{loan}");
        assert_eq!(loan["queue_position"], index as u64 + 1, "{loan}");
    }
    assert_never_over_capacity(&app);
}

/// Whether an id can stand in a URL path as it is.
fn url_safe(id: &str) -> bool {
    !id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[tokio::test]
async fn imported_rows_without_id_get_distinct_url_safe_ids_and_defaults() {
    let data = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    // Two rows alike in every field are still two resources.
    let json_rows = [
        json!({"kind": "case", "title": "无编号导入案例", "summary": "同样的一行"}),
        json!({"kind": "case", "title": "无编号导入案例", "summary": "同样的一行"}),
        json!({"kind": "video", "title": "无编号导入警示片", "access": "open"}),
        json!({"kind": "textbook", "title": "无编号导入教材", "status": "draft"}),
    ];
    let manifest = src.path().join("manifest.json");
    std::fs::write(
        &manifest,
        serde_json::to_vec_pretty(&json!({"resources": json_rows})).unwrap(),
    )
    .unwrap();
    // A CSV with an empty id cell and one without the column at all.
    let csv_with_id = src.path().join("with-id.csv");
    std::fs::write(
        &csv_with_id,
        "id,kind,title\n,confession,无编号导入忏悔录\n",
    )
    .unwrap();
    let csv_without_id = src.path().join("without-id.csv");
    std::fs::write(
        &csv_without_id,
        "kind,title,tags\ncase,无编号导入CSV案例,八项规定;以案促改\n",
    )
    .unwrap();
    for path in [&manifest, &csv_with_id, &csv_without_id] {
        let out = jingshi(data.path())
            .arg("import")
            .arg(path)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    // The ids the import gave, read beside the (not yet running) server.
    let rows: Vec<(String, String, String, String)> = {
        let conn = crate::common::process::open_db(data.path());
        let mut stmt = conn
            .prepare("SELECT id, title, access, status FROM resources")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(rows.len(), json_rows.len() + 2);
    let ids: HashSet<&str> = rows.iter().map(|(id, ..)| id.as_str()).collect();
    assert_eq!(
        ids.len(),
        rows.len(),
        "distinct rows, distinct ids: {rows:?}"
    );
    assert!(rows.iter().all(|(id, ..)| url_safe(id)), "{rows:?}");

    let (_server, addr) = start_server(data.path()).await;
    let admin = admin_at(addr).await;
    let out = jingshi(data.path())
        .args(["user", "add", "--username", "officer", "--role", "borrower"])
        .args(["--unit", "yn-tax", "--password", USER_PASSWORD])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let officer = sign_in(addr, "officer", USER_PASSWORD).await;
    for (id, title, ..) in &rows {
        let (status, body) = admin.get_json(&format!("/api/v1/resources/{id}")).await;
        assert_eq!(status, 200, "{id}: {body}");
        assert_eq!((&body["id"], &body["title"]), (&json!(id), &json!(title)));
        let (expected_access, expected_status) = match title.as_str() {
            "无编号导入警示片" => ("open", "published"),
            "无编号导入教材" => ("loan", "draft"),
            _ => ("loan", "published"),
        };
        assert_eq!(
            (body["access"].as_str(), body["status"].as_str()),
            (Some(expected_access), Some(expected_status)),
            "{id}"
        );
        // Published is what borrowers see; a draft does not exist for them.
        let seen = officer.get_json(&format!("/api/v1/resources/{id}")).await.0;
        assert_eq!(
            seen,
            if expected_status == "published" {
                200
            } else {
                404
            },
            "{id}"
        );
    }

    // The API's create takes the manifest's fields: no id and no access still works.
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "case", "title": "接口新建无编号案例"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    assert!(url_safe(id) && !ids.contains(id), "{id}");
    assert_eq!(created["access"], "loan");
    let (status, shown) = admin.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(
        (status, shown["access"].as_str()),
        (200, Some("loan")),
        "{shown}"
    );
}
