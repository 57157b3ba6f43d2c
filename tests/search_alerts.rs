//! Saved searches alert (issue 19): when a resource is published for the first time
//! and the index holds it, every saved search is run against that one document with
//! its owner's sharing scope. A match is an in-app alert (the navigation's count, the
//! `/searches` page) until read, and a line of the daily mail digest. Imports by
//! another process and publications made while the server was down alert too.

use std::time::Duration;

use jingshi::accounts::Role;
use serde_json::{Value, json};

use crate::common::collecting::save_search;
use crate::common::process::jingshi;
use crate::common::web::page;
use crate::common::{Session, TestApp};

async fn save(session: &Session, name: &str, query: &str) -> i64 {
    let (status, body) = save_search(session, name, query).await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap()
}

/// Creates a case bulletin in `status` as the librarian.
async fn case(librarian: &Session, id: &str, title: &str, status: &str) {
    let (code, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "case", "title": title, "access": "open",
                    "status": status, "summary": "用于订阅提醒测试的案例通报。"}),
        )
        .await;
    assert_eq!(code, 201, "{body}");
}

async fn publish(librarian: &Session, id: &str) {
    let (status, body) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The resources that matched saved search `id`, in the order the API lists them.
async fn matched(session: &Session, id: i64) -> Vec<(String, bool)> {
    let (status, body) = session
        .get_json(&format!("/api/v1/saved-searches/{id}"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["resource_id"].as_str().unwrap().to_owned(),
                m["read"].as_bool().unwrap(),
            )
        })
        .collect()
}

/// Waits (up to 30 s) until `sql` counts `expected`.
async fn wait_for_count(app: &TestApp, sql: &str, expected: i64) {
    for _ in 0..600 {
        if app.count(sql) == expected {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.count(sql), expected, "{sql}");
}

/// Waits until every publication so far (the demo catalogue's) has been checked, so
/// that the saved searches made next hear only of what the test publishes.
async fn settled(app: &TestApp) {
    wait_for_count(
        app,
        "SELECT count(*) FROM publications WHERE alerted = 0",
        0,
    )
    .await;
}

/// The count beside 订阅 in the navigation of `session`'s home page.
async fn nav_alerts(session: &Session) -> Option<String> {
    let (status, html) = page(session, "/").await;
    assert_eq!(status, 200);
    let marker = "title=\"订阅搜索有 ";
    html.find(marker).map(|at| {
        html[at + marker.len()..]
            .split(' ')
            .next()
            .unwrap()
            .to_owned()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matching_publication_alerts_once_in_the_app() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let cakes = save(&tax, "中秋月饼", "q=中秋月饼&kind=case").await;
    let films = save(&tax, "月饼警示片", "q=月饼&kind=video").await;
    assert_eq!(nav_alerts(&tax).await, None);

    // Published at once: matched before the answer (the index is refreshed first).
    case(
        &librarian,
        "alert-cake",
        "中秋月饼收受问题典型案例",
        "published",
    )
    .await;
    assert_eq!(
        matched(&tax, cakes).await,
        [("alert-cake".to_owned(), false)]
    );
    assert_eq!(
        matched(&tax, films).await,
        [],
        "another kind does not match"
    );
    // One that does not match alerts nobody; a draft alerts nobody until published.
    case(&librarian, "alert-other", "公车私用典型案例", "published").await;
    case(&librarian, "alert-draft", "中秋月饼违规发放案例", "draft").await;
    assert_eq!(
        app.count("SELECT count(*) FROM saved_search_matches"),
        1,
        "only the match"
    );
    assert_eq!(nav_alerts(&tax).await.as_deref(), Some("1"));
    publish(&librarian, "alert-draft").await;
    let ids: Vec<String> = matched(&tax, cakes)
        .await
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(ids.len(), 2);
    assert!(ids.contains(&"alert-draft".to_owned()));
    assert_eq!(nav_alerts(&tax).await.as_deref(), Some("2"));
    // The page lists them, unread first, with the rerun link.
    let (_, html) = page(&tax, "/searches").await;
    assert!(html.contains("中秋月饼违规发放案例") && html.contains("中秋月饼收受问题典型案例"));
    assert!(
        html.contains("href=\"/search?q=%E4%B8%AD%E7%A7%8B%E6%9C%88%E9%A5%BC&#38;kind=case\""),
        "{}",
        &html[html.find("saved-head").unwrap()..][..600]
    );
    assert!(html.contains("2 条新资源"));

    // Read: out of the count; withdrawn and published again: not news again.
    let (status, body) = tax
        .post_json(&format!("/api/v1/saved-searches/{cakes}/read"), &json!({}))
        .await;
    assert_eq!((status, body["marked"].as_u64()), (200, Some(2)));
    assert_eq!(nav_alerts(&tax).await, None);
    let (status, _) = librarian
        .post_json("/api/v1/resources/alert-cake/withdraw", &json!({}))
        .await;
    assert_eq!(status, 200);
    publish(&librarian, "alert-cake").await;
    assert_eq!(app.count("SELECT count(*) FROM saved_search_matches"), 2);
    assert_eq!(
        app.count("SELECT count(*) FROM saved_search_matches WHERE read_at IS NULL"),
        0
    );
    // Every publication has been checked.
    assert_eq!(
        app.count("SELECT count(*) FROM publications WHERE alerted = 0"),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scoped_contribution_alerts_only_those_it_is_shared_with() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let (status, body) = admin
        .post_json(
            "/api/v1/units",
            &json!({"code": "yn-tax-kunming", "name": "国家税务总局昆明市税务局", "sector": "税务"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let librarian = app.librarian("lib").await;
    let contributor = app.borrower("tax-officer", "yn-tax").await;
    let colleague = app.borrower("tax-colleague", "yn-tax").await;
    let peer = app.borrower("kunming-officer", "yn-tax-kunming").await;
    let other = app.borrower("customs-officer", "kunming-customs").await;
    let query = "q=礼金";
    let searches = [
        (save(&librarian, "礼金", query).await, &librarian),
        (save(&colleague, "礼金", query).await, &colleague),
        (save(&peer, "礼金", query).await, &peer),
        (save(&other, "礼金", query).await, &other),
    ];

    let mut published = Vec::new();
    for (share, title) in [
        ("sector", "本单位收受礼金案（行业内共享）"),
        ("committee", "本单位收受礼金案（仅工委）"),
    ] {
        let (status, body) = contributor
            .post_json(
                "/api/v1/contributions",
                &json!({"kind": "case", "title": title, "summary": "违规收受礼金案件通报（虚构示例）。",
                        "sectors": ["税务"], "access": "open", "share": share, "declaration": true}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        let id = body["id"].as_str().unwrap().to_owned();
        publish(&librarian, &id).await;
        published.push(id);
    }
    let (sector, committee) = (&published[0], &published[1]);
    let heard = |list: Vec<(String, bool)>| list.into_iter().map(|m| m.0).collect::<Vec<_>>();
    let mut seen = Vec::new();
    for (id, session) in &searches {
        let mut ids = heard(matched(session, *id).await);
        ids.sort();
        seen.push(ids);
    }
    let mut both = vec![sector.clone(), committee.clone()];
    both.sort();
    assert_eq!(seen[0], both, "the librarian hears of both");
    assert_eq!(
        seen[1], both,
        "the contributing unit hears of both (its own)"
    );
    assert_eq!(
        seen[2],
        [sector.as_str()],
        "a unit of the sector: the sector's only"
    );
    assert_eq!(seen[3], Vec::<String>::new(), "another sector: nothing");
    assert_eq!(nav_alerts(&other).await, None);
    // Neither in the database: nothing is recorded that they may not see.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM saved_search_matches WHERE saved_search_id = {}",
            searches[3].0
        )),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imports_alert_through_the_follower_also_across_a_restart() {
    let app = TestApp::spawn().await;
    app.add_user("tax-officer", &[Role::Borrower], Some("yn-tax"));
    let tax = app.login("tax-officer", crate::common::USER_PASSWORD).await;
    let search = save(&tax, "公款吃喝", "q=公款吃喝").await;
    let manifest_dir = tempfile::tempdir().unwrap();
    // `jingshi import` of `resources` into the data folder `data`, as another process.
    let import = |data: &std::path::Path, name: &str, resources: Value| {
        let path = manifest_dir.path().join(name);
        std::fs::write(&path, json!({"resources": resources}).to_string()).unwrap();
        let out = jingshi(data).arg("import").arg(&path).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };

    // Another process imports while the server runs: the follower indexes and alerts.
    import(
        app.data(),
        "one.json",
        json!([{"id": "import-1", "kind": "case", "title": "公款吃喝问题通报（导入）", "access": "open"},
               {"id": "import-2", "kind": "case", "title": "违规发放津贴通报（导入）", "access": "open"}]),
    );
    let sql = format!("SELECT count(*) FROM saved_search_matches WHERE saved_search_id = {search}");
    wait_for_count(&app, &sql, 1).await;
    wait_for_count(
        &app,
        "SELECT count(*) FROM publications WHERE alerted = 0",
        0,
    )
    .await;
    assert_eq!(
        matched(&tax, search).await,
        [("import-1".to_owned(), false)]
    );

    // Imported while the server is down: the restarted server alerts.
    let dir = app.stop().await;
    import(
        dir.path(),
        "two.json",
        json!([{"id": "import-3", "kind": "case", "title": "又一起公款吃喝问题通报", "access": "open"}]),
    );
    let app = TestApp::spawn_in(dir).await;
    wait_for_count(&app, &sql, 2).await;
    let tax = app.login("tax-officer", crate::common::USER_PASSWORD).await;
    let ids: Vec<String> = matched(&tax, search)
        .await
        .into_iter()
        .map(|m| m.0)
        .collect();
    assert_eq!(ids, ["import-3", "import-1"], "newest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_mail_digest_goes_at_most_once_a_day_and_only_to_an_address() {
    let start = jiff::civil::date(2027, 3, 1);
    let app = TestApp::spawn_with_demo_on(start).await;
    settled(&app).await;
    let librarian = app.librarian("lib").await;
    app.add_user_with_email(
        "mailed",
        &[Role::Borrower],
        Some("yn-tax"),
        Some("officer@example.cn"),
    );
    app.add_user_with_email("unmailed", &[Role::Borrower], Some("yn-tax"), None);
    let mailed = app.login("mailed", crate::common::USER_PASSWORD).await;
    let unmailed = app.login("unmailed", crate::common::USER_PASSWORD).await;
    let mailed_search = save(&mailed, "八项规定", "q=八项规定精神").await;
    save(&unmailed, "八项规定", "q=八项规定精神").await;
    let read_search = save(&mailed, "婚丧喜庆", "q=大操大办").await;
    let digest = |base: Option<&str>| {
        let mut conn = app.state.db.get().unwrap();
        jingshi::alerts::digest::run(&mut conn, app.state.clock.moment(), base).unwrap()
    };
    let outbox = "SELECT count(*) FROM mail_outbox";

    case(
        &librarian,
        "digest-1",
        "违反中央八项规定精神典型问题（一）",
        "published",
    )
    .await;
    case(
        &librarian,
        "digest-read",
        "大操大办婚丧喜庆问题通报",
        "published",
    )
    .await;
    // Read in the app already: no need to mail it.
    let (status, _) = mailed
        .post_json(
            &format!("/api/v1/saved-searches/{read_search}/read"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    let done = digest(Some("https://jingshi.example.cn"));
    assert_eq!((done.mailed, done.matches), (1, 1));
    assert_eq!(app.count(outbox), 1, "one message, to the address only");
    let (recipient, subject, body): (String, String, String) = app
        .state
        .db
        .get()
        .unwrap()
        .query_row(
            "SELECT recipient, subject, body FROM mail_outbox",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(recipient, "officer@example.cn");
    assert_eq!(subject, "【警示教育资源库】订阅搜索有新资源");
    assert!(body.contains("【八项规定】"), "{body}");
    assert!(
        body.contains(
            "《违反中央八项规定精神典型问题（一）》 https://jingshi.example.cn/resources/digest-1"
        ),
        "{body}"
    );
    assert!(!body.contains("大操大办"), "read in the app: {body}");
    assert!(
        body.contains("https://jingshi.example.cn/searches"),
        "{body}"
    );
    // Marked mailed with the mail; the account without an address keeps its alert.
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM saved_search_matches WHERE saved_search_id = {mailed_search} AND mailed_at IS NOT NULL"
        )),
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM saved_search_matches m JOIN saved_searches s ON s.id = m.saved_search_id
             JOIN users u ON u.id = s.user_id WHERE u.username = 'unmailed' AND m.mailed_at IS NULL"
        ),
        1
    );

    // A new match an hour later waits for the next day.
    app.state
        .clock
        .set(app.state.clock.now() + jiff::SignedDuration::from_hours(1));
    case(
        &librarian,
        "digest-2",
        "违反中央八项规定精神典型问题（二）",
        "published",
    )
    .await;
    assert_eq!(digest(None), Default::default());
    assert_eq!(app.count(outbox), 1);
    app.state
        .clock
        .set(app.state.clock.now() + jiff::SignedDuration::from_hours(22));
    assert_eq!(digest(None).mailed, 0, "23 hours after the last one");
    app.state
        .clock
        .set(app.state.clock.now() + jiff::SignedDuration::from_hours(1));
    let done = digest(None);
    assert_eq!((done.mailed, done.matches), (1, 1));
    let body: String = app
        .state
        .db
        .get()
        .unwrap()
        .query_row(
            "SELECT body FROM mail_outbox ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(
        body.contains("（二）") && !body.contains("（一）"),
        "{body}"
    );
    assert!(body.contains("“订阅”页面"), "no address, no link: {body}");
    assert_eq!(app.count(outbox), 2);
    assert_eq!(digest(None), Default::default(), "nothing left to mail");
    assert_eq!(
        app.count("SELECT count(*) FROM mail_outbox WHERE recipient != 'officer@example.cn'"),
        0
    );
}
