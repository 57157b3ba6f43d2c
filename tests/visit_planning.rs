//! Visitor lists, the proposed schedule (一键排期) and calendar feeds (SPEC §8,
//! issue 17), over HTTP and through the domain functions.

use serde_json::{Value, json};

use crate::common::lending::{day, set_today};
use crate::common::visiting::{act, act_ok, base, id_number, requested, session, setup};
use crate::common::{Session, TestApp};

/// The same number with a wrong check character.
fn wrong_check(id: &str) -> String {
    let last = id.chars().last().unwrap();
    let other = if last == '0' { '1' } else { '0' };
    format!("{}{other}", &id[..17])
}

async fn put_list(session: &Session, visit: &Value, visitors: Value) -> (u16, Value) {
    session
        .send_json(
            reqwest::Method::PUT,
            &format!("/api/v1/visits/{}/visitors", visit["id"]),
            &json!({"visitors": visitors}),
        )
        .await
}

#[tokio::test]
async fn a_visitor_list_is_checked_row_by_row_stored_whole_and_shown_masked() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "prison", true).await;
    let slot = session(&librarian, "prison", 7, 60).await;
    let visit = requested(&officer, "prison", &[&slot], 3, true).await;
    let (first, second) = (id_number("19800101", 12), id_number("19751231", 345));
    let (status, body) = put_list(
        &officer,
        &visit,
        json!([{"name": "张三", "id_number": first}, {"name": "李四", "id_number": wrong_check(&second)},
               {"name": "", "id_number": second}]),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("第 2 行") && message.contains("第 3 行"),
        "{message}"
    );
    assert!(!message.contains("第 1 行"), "{message}");
    assert_eq!(
        app.count("SELECT count(*) FROM visitors"),
        0,
        "all or nothing"
    );

    let (status, body) = put_list(
        &officer,
        &visit,
        json!([{"name": "张三", "id_number": first}, {"name": "<b>李四</b>", "id_number": second.to_lowercase()}]),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let masked = format!("{}********{}", &first[..6], &first[14..]);
    assert_eq!(body["visitors"][0]["id_number"], masked);
    assert_eq!(body["visitors"][1]["name"], "<b>李四</b>");
    let (_, read) = officer
        .get_json(&format!("/api/v1/visits/{}/visitors", visit["id"]))
        .await;
    assert_eq!(read, body);
    let (_, shown) = officer
        .get_json(&format!("/api/v1/visits/{}", visit["id"]))
        .await;
    assert_eq!(shown["visitors"], 2);
    assert!(
        !shown.to_string().contains(&first),
        "the visit never shows a full number"
    );
    let audit = app.count(&format!(
        "SELECT count(*) FROM audit_log WHERE action = 'visitor_list_set' AND detail NOT LIKE '%{}%'",
        &first[..10]
    ));
    assert_eq!(audit, 1, "audited without the numbers");

    let four: Vec<Value> = (0..4)
        .map(|n| json!({"name": format!("人{n}"), "id_number": id_number("19900101", n)}))
        .collect();
    let (status, body) = put_list(&officer, &visit, json!(four)).await;
    assert_eq!(status, 422);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("超过本次参观的 3 人"),
        "{body}"
    );
    let stranger = app.borrower("stranger", "kunming-customs").await;
    let (status, _) = put_list(
        &stranger,
        &visit,
        json!([{"name": "王五", "id_number": first}]),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = stranger
        .get_json(&format!("/api/v1/visits/{}/visitors", visit["id"]))
        .await;
    assert_eq!(status, 404);

    // The base needs the list before the unit confirms.
    base(&app, &librarian, "hall", false).await;
    let open_slot = session(&librarian, "hall", 8, 60).await;
    let other = requested(&officer, "hall", &[&open_slot], 3, true).await;
    let (status, body) = put_list(
        &officer,
        &other,
        json!([{"name": "张三", "id_number": first}]),
    )
    .await;
    assert_eq!(
        status, 422,
        "a base without a list stores no ID numbers: {body}"
    );
}

#[tokio::test]
async fn a_visitor_sheet_uploads_as_csv_or_xlsx_and_a_bad_row_is_named_with_its_number() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "prison", true).await;
    let slot = session(&librarian, "prison", 7, 60).await;
    let visit = requested(&officer, "prison", &[&slot], 5, true).await;
    let upload = |name: &'static str, bytes: Vec<u8>| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name),
        );
        officer
            .client
            .put(officer.url(&format!("/api/v1/visits/{}/visitors", visit["id"])))
            .multipart(form)
            .send()
    };
    let good = id_number("19880808", 7);
    let csv = format!(
        "\u{feff}姓名,身份证号\r\n赵六,{good}\r\n钱七,{}\r\n",
        wrong_check(&good)
    );
    let resp = upload("名单.csv", csv.into_bytes()).await.expect("upload");
    assert_eq!(resp.status(), 422);
    let body: Value = resp.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("第 3 行"),
        "{body}"
    );
    let xlsx = jingshi::spreadsheet::xlsx_bytes(
        "名单",
        &["姓名", "身份证号"],
        vec![
            vec!["赵六".to_owned(), good.clone()],
            vec!["钱七".to_owned(), id_number("19920202", 8)],
        ],
    )
    .expect("xlsx");
    let resp = upload("名单.xlsx", xlsx).await.expect("upload");
    assert_eq!(resp.status(), 200);
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["visitors"].as_array().unwrap().len(), 2);
    let resp = upload("evil.exe", b"MZ".to_vec()).await.expect("upload");
    assert_eq!(resp.status(), 415);
    let resp = upload("../../big.csv", vec![b'a'; 2 * 1024 * 1024])
        .await
        .expect("upload");
    assert_eq!(resp.status(), 413);
    assert_eq!(
        app.count("SELECT count(*) FROM visitors"),
        2,
        "refusals changed nothing"
    );
}

#[tokio::test]
async fn the_coordinator_exports_full_numbers_audited_and_they_are_deleted_after_the_retention() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "prison", true).await;
    let slot = session(&librarian, "prison", 7, 60).await;
    let visit = requested(&officer, "prison", &[&slot], 2, true).await;
    let number = id_number("19700707", 70);
    let (status, _) = put_list(
        &officer,
        &visit,
        json!([{"name": "孙八", "id_number": number}]),
    )
    .await;
    assert_eq!(status, 200);
    act_ok(
        &librarian,
        &visit,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    act_ok(&officer, &visit, "confirm", json!({})).await;
    let path = format!("/librarian/sessions/{}/visitors.xlsx", slot["id"]);
    assert_eq!(officer.get(&path).await.status(), 403);
    let resp = librarian.get(&path).await;
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.unwrap().to_vec();
    let rows = jingshi::spreadsheet::read_rows("名单.xlsx", &bytes).expect("a workbook");
    assert!(
        rows.iter()
            .any(|row| row.iter().any(|cell| cell == &number)),
        "{rows:?}"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'visitor_list_exported'"),
        1
    );

    set_today(&app, 8);
    act_ok(&officer, &visit, "report", json!({"attended": 1})).await;
    let sweep = |app: &TestApp| {
        let mut conn = app.state.db.get().expect("connection");
        jingshi::visits::sweep::run(&mut conn, app.state.clock.moment()).expect("sweep")
    };
    // The visit was on day 7; thirty days later the numbers are still kept.
    set_today(&app, 37);
    assert_eq!(sweep(&app).lists_deleted, 0);
    set_today(&app, 38);
    assert_eq!(sweep(&app).lists_deleted, 1);
    assert_eq!(
        app.count("SELECT count(*) FROM visitors WHERE id_number IS NOT NULL"),
        0
    );
    assert_eq!(
        app.count("SELECT count(*) FROM visitors"),
        1,
        "the names stay for the record"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'visitor_ids_deleted'"),
        1
    );
    let (_, list) = officer
        .get_json(&format!("/api/v1/visits/{}/visitors", visit["id"]))
        .await;
    assert!(list["visitors"][0]["id_number"].is_null());
    assert!(list["deleted_at"].is_string());
}

#[tokio::test]
async fn a_proposal_seats_the_requests_and_applies_in_one_transaction_unless_one_changed() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let tuesday = session(&librarian, "jidi", 8, 40).await;
    let wednesday = session(&librarian, "jidi", 9, 40).await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let tobacco = app.borrower("tobacco", "yn-tobacco").await;
    let a = requested(&officer, "jidi", &[&tuesday, &wednesday], 30, false).await;
    let b = requested(&customs, "jidi", &[&tuesday, &wednesday], 30, false).await;
    let c = requested(&tobacco, "jidi", &[&tuesday], 10, true).await;
    let range = format!("from={}&to={}", day(7), day(13));
    let (status, proposal) = librarian
        .post_json(&format!("/api/v1/bases/jidi/proposal?{range}"), &json!({}))
        .await;
    assert_eq!(status, 200, "{proposal}");
    let lines = proposal["assignments"].as_array().unwrap();
    assert_eq!(
        lines.len(),
        2,
        "two non-sharing groups of 30 on two 40-seat sessions: {proposal}"
    );
    assert_eq!(proposal["unassigned"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM visits WHERE status = 'scheduled'"),
        0,
        "proposing changes nothing"
    );
    let (status, _) = officer
        .post_json(&format!("/api/v1/bases/jidi/proposal?{range}"), &json!({}))
        .await;
    assert_eq!(status, 403);

    // Someone cancels a proposed request meanwhile: applying is refused whole.
    let first = lines[0]["visit_id"].clone();
    let owner = [(&a, &officer), (&b, &customs), (&c, &tobacco)]
        .into_iter()
        .find(|(v, _)| v["id"] == first)
        .map(|(_, s)| s)
        .unwrap();
    act_ok(owner, &json!({"id": first}), "cancel", json!({})).await;
    let (status, body) = librarian
        .post_json(
            "/api/v1/bases/jidi/proposal/apply",
            &json!({"assignments": lines, "token": proposal["token"]}),
        )
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "stale_proposal");
    assert_eq!(
        app.count("SELECT count(*) FROM visits WHERE status = 'scheduled'"),
        0
    );

    // A fresh proposal, with one line changed by the librarian, applies.
    let (_, proposal) = librarian
        .post_json(&format!("/api/v1/bases/jidi/proposal?{range}"), &json!({}))
        .await;
    let mut lines = proposal["assignments"].as_array().unwrap().clone();
    assert!(!lines.is_empty(), "{proposal}");
    lines.truncate(1);
    let (status, body) = librarian
        .post_json(
            "/api/v1/bases/jidi/proposal/apply",
            &json!({"assignments": lines, "token": proposal["token"]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["scheduled"][0]["status"], "scheduled");
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'visit_proposal_applied'"),
        1
    );
    // Over capacity by hand is refused as any schedule is.
    let (status, body) = librarian
        .post_json(
            "/api/v1/bases/jidi/proposal/apply",
            &json!({"assignments": [{"visit_id": 999999, "session_id": tuesday["id"]}], "token": "999999.0"}),
        )
        .await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = librarian
        .post_json(
            "/api/v1/bases/jidi/proposal/apply",
            &json!({"assignments": lines, "token": "garbage<script>"}),
        )
        .await;
    assert_eq!(status, 422);
}

#[tokio::test]
async fn calendar_feeds_are_served_without_a_cookie_at_a_secret_address_that_can_be_replaced() {
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let slot = session(&librarian, "jidi", 7, 60).await;
    let visit = requested(&officer, "jidi", &[&slot], 12, true).await;
    act_ok(
        &librarian,
        &visit,
        "schedule",
        json!({"session_id": slot["id"]}),
    )
    .await;
    act_ok(&officer, &visit, "confirm", json!({})).await;
    let (status, body) = officer.get_json("/api/v1/calendar").await;
    assert_eq!(status, 200, "{body}");
    let url = body["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("http://") && url.ends_with(".ics"), "{url}");
    let (_, again) = officer.get_json("/api/v1/calendar").await;
    assert_eq!(
        again["url"],
        url.as_str(),
        "the same address until replaced"
    );
    let anonymous = reqwest::Client::new();
    let resp = anonymous.get(&url).send().await.expect("feed");
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/calendar")
    );
    let text = resp.text().await.unwrap();
    let events = crate::common::visiting::parse_ical_events(&text);
    assert_eq!(events.len(), 1, "{text}");
    assert!(events[0].summary.contains("测试基地 jidi"), "{events:?}");
    assert_eq!(events[0].start_date, day(7).replace('-', ""));

    let (status, _) = officer.get_json("/api/v1/calendar?base=jidi").await;
    assert_eq!(status, 403, "a base's feed is the committee's");
    let (status, body) = librarian.get_json("/api/v1/calendar?base=jidi").await;
    assert_eq!(status, 200);
    let base_feed = anonymous
        .get(body["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let events = crate::common::visiting::parse_ical_events(&base_feed);
    assert_eq!(events.len(), 1);
    assert!(
        events[0].description.contains("国家税务总局云南省税务局"),
        "{events:?}"
    );

    let (status, rotated) = officer
        .post_json("/api/v1/calendar/rotate", &json!({}))
        .await;
    assert_eq!(status, 200);
    assert_ne!(rotated["url"], url.as_str());
    assert_eq!(
        anonymous.get(&url).send().await.unwrap().status(),
        404,
        "the old address stops working"
    );
    for bad in [
        "/calendar/../../etc/passwd",
        "/calendar/abc.ics",
        "/calendar/%3Cscript%3E.ics",
    ] {
        let status = anonymous.get(app.url(bad)).send().await.unwrap().status();
        assert_eq!(status, 404, "{bad}");
    }
    let _ = act;
}

#[tokio::test]
async fn the_visit_page_takes_a_typed_or_uploaded_list_and_shows_refusals_beside_it() {
    use crate::common::web::{csrf_of, page, post_form};
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "prison", true).await;
    let slot = session(&librarian, "prison", 7, 60).await;
    let visit = requested(&officer, "prison", &[&slot], 4, true).await;
    let path = format!("/visits/{}", visit["id"]);
    let (status, html) = page(&officer, &path).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("id=\"visitor-list\"") && html.contains("上传名单"),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let good = id_number("19660606", 66);
    let typed = format!("周九，{good}\n<i>吴十</i>,{}", wrong_check(&good));
    let (status, _, html) = post_form(
        &officer,
        &format!("{path}/visitors"),
        &[("csrf", &csrf), ("visitors", &typed)],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("第 2 行"), "the bad row is named");
    assert!(
        html.contains("&#60;i&#62;吴十&#60;/i&#62;"),
        "the typed text comes back escaped"
    );
    assert_eq!(app.count("SELECT count(*) FROM visitors"), 0);
    let typed = format!("周九，{good}\n<i>吴十</i>,{}", id_number("19670707", 67));
    let (status, url, html) = post_form(
        &officer,
        &format!("{path}/visitors"),
        &[("csrf", &csrf), ("visitors", &typed)],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=visitors"));
    assert!(html.contains(&format!("{}********{}", &good[..6], &good[14..])));
    assert!(!html.contains(&good), "the page never shows a full number");
    assert!(html.contains("&#60;i&#62;吴十&#60;/i&#62;"));

    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .part(
            "file",
            reqwest::multipart::Part::bytes(format!("姓名,身份证号\n郑一,{good}\n").into_bytes())
                .file_name("名单.csv"),
        );
    let resp = officer
        .client
        .post(officer.url(&format!("{path}/visitors/upload")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        app.count("SELECT count(*) FROM visitors"),
        1,
        "the upload replaced the list"
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("名单.csv"),
    );
    let resp = officer
        .client
        .post(officer.url(&format!("{path}/visitors/upload")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403, "no form token, no upload");
    let stranger = app.borrower("stranger", "kunming-customs").await;
    let (_, other_html) = page(&stranger, "/visits").await;
    let (status, _, _) = post_form(
        &stranger,
        &format!("{path}/visitors"),
        &[("csrf", &csrf_of(&other_html)), ("visitors", &typed)],
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(app.count("SELECT count(*) FROM visitors"), 1);
}

#[tokio::test]
async fn the_week_view_proposes_the_week_and_applies_it_as_the_librarian_changed_it() {
    use crate::common::web::{csrf_of, page, post_form};
    let (app, librarian, officer) = setup().await;
    base(&app, &librarian, "jidi", false).await;
    let tuesday = session(&librarian, "jidi", 8, 40).await;
    let wednesday = session(&librarian, "jidi", 9, 40).await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let a = requested(&officer, "jidi", &[&tuesday, &wednesday], 30, false).await;
    let b = requested(&customs, "jidi", &[&tuesday, &wednesday], 30, false).await;
    let week = format!("/librarian/bases/jidi?week={}", day(7));
    let (_, html) = page(&librarian, &week).await;
    let csrf = csrf_of(&html);
    let (status, _, html) = post_form(
        &librarian,
        "/librarian/bases/jidi/proposal",
        &[("csrf", &csrf), ("week", &day(7))],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("应用方案"), "{html}");
    for visit in [&a, &b] {
        assert!(
            html.contains(&format!("name=\"line_{}\"", visit["id"])),
            "both requests get a line"
        );
    }
    let token = html
        .split("name=\"token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.count("SELECT count(*) FROM visits WHERE status = 'scheduled'"),
        0,
        "proposing changes nothing"
    );
    // The librarian keeps a on Tuesday and leaves b for later.
    let line_a = format!("line_{}", a["id"]);
    let line_b = format!("line_{}", b["id"]);
    let tuesday_id = tuesday["id"].to_string();
    let (status, url, html) = post_form(
        &librarian,
        "/librarian/bases/jidi/proposal/apply",
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("token", &token),
            (&line_a, &tuesday_id),
            (&line_b, ""),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=proposal"), "{url}");
    assert!(html.contains("已应用排期方案，安排 1 个申请"));
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM visits WHERE id = {} AND session_id = {tuesday_id}",
            a["id"]
        )),
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM visits WHERE id = {} AND status = 'requested'",
            b["id"]
        )),
        1
    );
    // The same token again: a has changed since, so nothing is applied.
    let (status, _, html) = post_form(
        &librarian,
        "/librarian/bases/jidi/proposal/apply",
        &[
            ("csrf", &csrf),
            ("week", &day(7)),
            ("token", &token),
            (&line_b, &tuesday_id),
        ],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains("只剩") || html.contains("联合参观") || html.contains("重新生成方案"),
        "{html}"
    );
    let (_, officer_home) = page(&officer, "/visits").await;
    let (status, _, _) = post_form(
        &officer,
        "/librarian/bases/jidi/proposal",
        &[("csrf", &csrf_of(&officer_home)), ("week", &day(7))],
    )
    .await;
    assert_eq!(status, 403);
}
