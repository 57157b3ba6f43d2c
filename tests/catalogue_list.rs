//! The librarian's catalogue list `/librarian/` (issue 15): filters by status, kind and
//! sector in the URL, each row's loan counts, the filtered list exported to CSV and
//! XLSX (read back as a person's spreadsheet would be), and the selected rows
//! published or withdrawn one by one, with what was refused and why. Borrowers of any
//! unit get none of it.

use jingshi::spreadsheet;
use reqwest::header;
use serde_json::json;

use crate::common::lending::{act_ok, day, lift_unit_limits, requested, set_today};
use crate::common::web::{csrf_of, encode, form_body, hit_ids, no_redirects, page};
use crate::common::{Session, TestApp, USER_PASSWORD};

/// A resource made through the API; answers its id.
async fn made(librarian: &Session, id: &str, kind: &str, status: &str, sectors: &[&str]) {
    let (code, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": kind, "title": format!("目录测试 {id}"),
                    "status": status, "access": "loan", "sectors": sectors,
                    "licences": 10}),
        )
        .await;
    assert_eq!(code, 201, "{body}");
}

/// The resource ids listed on a page of the catalogue, in order.
fn listed(html: &str) -> Vec<String> {
    html.split("name=\"ids\" value=\"")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// A row's (open, total) loan counts as the page shows them.
fn counts_of(html: &str, id: &str) -> (u64, u64) {
    let row = html
        .split(&format!("id=\"sel-{id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("row {id}"))
        .split("</tr>")
        .next()
        .unwrap();
    let cell = |class: &str| -> u64 {
        row.split(&format!("class=\"num {class}\""))
            .nth(1)
            .and_then(|rest| rest.split('>').nth(1))
            .and_then(|rest| rest.split('<').next())
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{class} of {id}"))
    };
    (cell("loans-open"), cell("loans-total"))
}

/// Waits until the list with `query` shows exactly `ids` (new resources reach the
/// index within moments).
async fn until_listed(session: &Session, query: &str, ids: &[&str]) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (status, html) = page(session, &format!("/librarian/?{query}")).await;
        assert_eq!(status, 200);
        let mut got = listed(&html);
        got.sort();
        let mut want: Vec<String> = ids.iter().map(|s| (*s).to_owned()).collect();
        want.sort();
        if got == want {
            return html;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{query}: {got:?} instead of {want:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Gives resource `id` another title.
async fn retitle(librarian: &Session, id: &str, title: &str) {
    let (status, body) = librarian
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            &json!({ "title": title }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// Waits until the page at `path` contains `needle` (the index follows within
/// moments); answers the page.
async fn until_page_has(session: &Session, path: &str, needle: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, html) = page(session, path).await;
        if html.contains(needle) {
            return html;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never showed {needle}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Six resources over the statuses, kinds and sectors.
async fn catalogue(librarian: &Session) {
    made(librarian, "cat-draft-video", "video", "draft", &["税务"]).await;
    made(librarian, "cat-draft-case", "case", "draft", &["海关"]).await;
    made(
        librarian,
        "cat-pub-video",
        "video",
        "published",
        &["税务", "海关"],
    )
    .await;
    made(librarian, "cat-pub-case", "case", "published", &["烟草"]).await;
    made(
        librarian,
        "cat-gone-book",
        "textbook",
        "withdrawn",
        &["税务"],
    )
    .await;
    made(librarian, "cat-pub-book", "textbook", "published", &[]).await;
}

#[tokio::test]
async fn filters_narrow_the_list_in_the_url_and_rows_show_their_loans() {
    let app = TestApp::spawn().await;
    set_today(&app, 0);
    let librarian = app.librarian("lib").await;
    catalogue(&librarian).await;
    let all = [
        "cat-draft-video",
        "cat-draft-case",
        "cat-pub-video",
        "cat-pub-case",
        "cat-gone-book",
        "cat-pub-book",
    ];
    until_listed(&librarian, "", &all).await;
    until_listed(
        &librarian,
        "status=draft",
        &["cat-draft-video", "cat-draft-case"],
    )
    .await;
    until_listed(&librarian, "status=withdrawn", &["cat-gone-book"]).await;
    until_listed(
        &librarian,
        "kind=video",
        &["cat-draft-video", "cat-pub-video"],
    )
    .await;
    let taxed = until_listed(
        &librarian,
        &format!("sector={}", encode("税务")),
        &["cat-draft-video", "cat-pub-video", "cat-gone-book"],
    )
    .await;
    // The chosen filters show as chosen; the export links carry them.
    assert!(
        taxed.contains("<option value=\"税务\" selected>"),
        "sector kept"
    );
    assert!(taxed.contains(&format!(
        "/librarian/catalogue.csv?sector={}",
        encode("税务")
    )));
    until_listed(
        &librarian,
        &format!("status=published&kind=video&sector={}", encode("海关")),
        &["cat-pub-video"],
    )
    .await;
    until_listed(
        &librarian,
        "status=published&kind=textbook",
        &["cat-pub-book"],
    )
    .await;
    // Unknown values are no filter; a query narrows by words.
    until_listed(&librarian, "status=lost&kind=film", &all).await;
    until_listed(
        &librarian,
        &format!("q={}", encode("cat-pub-case")),
        &["cat-pub-case"],
    )
    .await;

    // Loans: two open (one requested, one approved), one cancelled; none elsewhere.
    lift_unit_limits(&librarian, "cat-pub-video").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let first = requested(&officer, "cat-pub-video", "digital", &day(7), &day(9)).await;
    act_ok(&librarian, &first, "approve", json!({})).await;
    requested(&officer, "cat-pub-video", "digital", &day(14), &day(15)).await;
    let cancelled = requested(&officer, "cat-pub-video", "digital", &day(20), &day(21)).await;
    act_ok(&officer, &cancelled, "cancel", json!({})).await;
    let (_, html) = page(&librarian, "/librarian/?kind=video").await;
    assert_eq!(counts_of(&html, "cat-pub-video"), (2, 3));
    assert_eq!(counts_of(&html, "cat-draft-video"), (0, 0));
    assert!(html.contains("进行中借阅") && html.contains("累计借阅"));
}

#[tokio::test]
async fn the_list_pages_when_it_is_long() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    for n in 0..55 {
        made(&librarian, &format!("many-{n:02}"), "case", "draft", &[]).await;
    }
    let html = until_page_has(&librarian, "/librarian/?status=draft", "共 55 份").await;
    assert_eq!(listed(&html).len(), 50);
    assert!(html.contains("第 1/2 页"));
    assert!(
        html.contains("href=\"/librarian/?status=draft&amp;page=2\"")
            || html.contains("href=\"/librarian/?status=draft&#38;page=2\""),
        "next keeps the filter"
    );
    let (_, second) = page(&librarian, "/librarian/?status=draft&page=2").await;
    assert_eq!(listed(&second).len(), 5);
    let mut both = listed(&html);
    both.extend(listed(&second));
    both.sort();
    both.dedup();
    assert_eq!(both.len(), 55, "every row on one page or the other");
    // A page past the end or out of range is no error.
    let (status, far) = page(&librarian, "/librarian/?status=draft&page=99999").await;
    assert_eq!(status, 200);
    assert_eq!(
        listed(&far).len(),
        50,
        "out of range reads as the first page"
    );
}

#[tokio::test]
async fn the_filtered_list_exports_to_csv_and_xlsx() {
    let app = TestApp::spawn().await;
    set_today(&app, 0);
    let librarian = app.librarian("lib").await;
    catalogue(&librarian).await;
    // A title a spreadsheet would run as a formula.
    retitle(&librarian, "cat-draft-video", "=HYPERLINK(\"http://x\")").await;
    lift_unit_limits(&librarian, "cat-pub-video").await;
    let officer = app.borrower("officer", "yn-tax").await;
    requested(&officer, "cat-pub-video", "digital", &day(3), &day(4)).await;
    until_listed(
        &librarian,
        "kind=video",
        &["cat-draft-video", "cat-pub-video"],
    )
    .await;
    until_page_has(&librarian, "/librarian/?q=HYPERLINK", "cat-draft-video").await;

    for (path, name) in [
        ("/librarian/catalogue.csv?kind=video", "catalogue.csv"),
        ("/librarian/catalogue.xlsx?kind=video", "catalogue.xlsx"),
    ] {
        let resp = librarian.get(path).await;
        assert_eq!(resp.status(), 200, "{path}");
        let disposition = resp.headers()[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(disposition.contains(name), "{disposition}");
        let bytes = resp.bytes().await.unwrap();
        let rows = spreadsheet::read_rows(name, &bytes).expect("readable sheet");
        assert_eq!(rows[0][0], "编号", "{name}");
        assert_eq!(rows[0][8..10], ["进行中借阅", "累计借阅"]);
        let mut ids: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
        ids.sort_unstable();
        assert_eq!(
            ids,
            ["cat-draft-video", "cat-pub-video"],
            "{name}: only the filter's rows"
        );
        let video = rows.iter().find(|r| r[0] == "cat-pub-video").unwrap();
        assert_eq!(
            (video[2].as_str(), video[3].as_str(), video[6].as_str()),
            ("警示教育片", "已发布", "税务、海关")
        );
        assert_eq!((video[8].as_str(), video[9].as_str()), ("1", "1"));
        let draft = rows.iter().find(|r| r[0] == "cat-draft-video").unwrap();
        assert_eq!(draft[1], "'=HYPERLINK(\"http://x\")", "{name}: no formula");
    }
    // The whole catalogue when nothing is filtered.
    let bytes = librarian
        .get("/librarian/catalogue.csv")
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(spreadsheet::read_rows("all.csv", &bytes).unwrap().len(), 7);
}

/// Posts the bulk form as `session` with `csrf`, the action and the ticked ids.
async fn bulk(
    client: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    action: &str,
    ids: &[&str],
) -> reqwest::Response {
    let mut pairs = vec![("csrf", csrf), ("status", "draft"), ("action", action)];
    pairs.extend(ids.iter().map(|id| ("ids", *id)));
    client
        .post(app.url("/librarian/catalogue"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(&pairs))
        .send()
        .await
        .unwrap()
}

async fn signed_in(app: &TestApp, username: &str) -> (reqwest::Client, String) {
    let client = no_redirects(app);
    let resp = client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": username, "password": USER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let html = client
        .get(app.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    (client, csrf_of(&html))
}

async fn borrower_finds(officer: &Session, id: &str) -> bool {
    let (_, body) = officer
        .get_json(&format!(
            "/api/v1/search?q={}",
            encode(&format!("目录测试 {id}"))
        ))
        .await;
    hit_ids(&body).contains(&id.to_owned())
}

#[tokio::test]
async fn selected_rows_are_published_or_withdrawn_each_on_its_own() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    catalogue(&librarian).await;
    app.add_user("lib2", &[jingshi::accounts::Role::Librarian], None);
    let (client, csrf) = signed_in(&app, "lib2").await;
    let officer = app.borrower("officer", "yn-tax").await;

    // Two drafts and a row that no longer exists: two published, one refused and why.
    let resp = bulk(
        &client,
        &app,
        &csrf,
        "publish",
        &["cat-draft-video", "cat-draft-case", "cat-vanished"],
    )
    .await;
    assert_eq!(resp.status(), 409);
    let html = resp.text().await.unwrap();
    assert!(html.contains("已发布 2 份资源"), "{html}");
    assert!(html.contains("目录测试 cat-draft-video") && html.contains("目录测试 cat-draft-case"));
    assert!(html.contains("1 份未能发布"));
    assert!(
        html.contains("没有编号为“cat-vanished”的资源"),
        "the reason"
    );
    assert!(
        html.contains("<option value=\"draft\" selected>"),
        "filters kept"
    );
    assert_eq!(
        app.count("SELECT count(*) FROM resources WHERE status = 'published'"),
        5
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'resource_published' AND username = 'lib2'"),
        2
    );
    // Borrowers find them at once.
    assert!(borrower_finds(&officer, "cat-draft-video").await);

    // All fine: back to the list (post/redirect/get), which names what was done.
    let resp = bulk(
        &client,
        &app,
        &csrf,
        "withdraw",
        &["cat-draft-video", "cat-gone-book"],
    )
    .await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        location.starts_with("/librarian/?status=draft&done=withdraw"),
        "{location}"
    );
    let html = client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("已撤回 1 份资源") && html.contains("目录测试 cat-draft-video"),
        "{html}"
    );
    assert!(html.contains("1 份原本就是该状态") && html.contains("目录测试 cat-gone-book"));
    assert!(!borrower_finds(&officer, "cat-draft-video").await);
    assert_eq!(
        app.count("SELECT count(*) FROM resources WHERE status = 'withdrawn'"),
        2
    );

    // Nothing ticked, an unknown action, too many rows: the form is refused.
    let resp = bulk(&client, &app, &csrf, "publish", &[]).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("请先勾选"));
    let resp = bulk(&client, &app, &csrf, "delete", &["cat-pub-case"]).await;
    assert_eq!(resp.status(), 422);
    let many: Vec<String> = (0..201).map(|n| format!("x-{n}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let resp = bulk(&client, &app, &csrf, "publish", &many).await;
    assert_eq!(resp.status(), 422);
    assert!(resp.text().await.unwrap().contains("一次最多处理 200 份"));
}

#[tokio::test]
async fn borrowers_and_forged_forms_get_nothing_and_markup_stays_text() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    made(&librarian, "cat-markup", "case", "draft", &["<b>行业</b>"]).await;
    retitle(&librarian, "cat-markup", "<script>alert('目录')</script>").await;
    let html = until_page_has(&librarian, "/librarian/?q=alert", "cat-markup").await;
    assert!(!html.contains("<script>alert"));
    assert!(html.contains("&lt;script&gt;alert") || html.contains("&#60;script&#62;alert"));
    assert!(!html.contains("<b>行业</b>"));

    for (name, unit) in [("officer", "yn-tax"), ("stranger", "kunming-customs")] {
        app.add_user(name, &[jingshi::accounts::Role::Borrower], Some(unit));
        let (client, csrf) = signed_in(&app, name).await;
        for path in [
            "/librarian/",
            "/librarian/?status=draft",
            "/librarian/catalogue.csv",
            "/librarian/catalogue.xlsx?kind=case",
        ] {
            let resp = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(resp.status(), 403, "{name} {path}");
            let body = resp.text().await.unwrap();
            assert!(!body.contains("cat-markup"), "{name} {path}");
        }
        let resp = bulk(&client, &app, &csrf, "publish", &["cat-markup"]).await;
        assert_eq!(resp.status(), 403, "{name}");
    }
    // Signed out: to the sign-in page; a librarian's form without its token: refused.
    let anonymous = no_redirects(&app);
    let resp = anonymous
        .get(app.url("/librarian/catalogue.csv"))
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_redirection());
    let (client, _) = signed_in(&app, "lib").await;
    let resp = bulk(&client, &app, "forged-token", "publish", &["cat-markup"]).await;
    assert_eq!(resp.status(), 403);
    // A hostile id is refused by name, escaped, and nothing changes.
    let (client, csrf) = signed_in(&app, "lib").await;
    let resp = bulk(
        &client,
        &app,
        &csrf,
        "publish",
        &["<img src=x onerror=alert(1)>", "../etc"],
    )
    .await;
    assert_eq!(resp.status(), 409);
    let html = resp.text().await.unwrap();
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("2 份未能发布"));
    assert_eq!(
        app.count("SELECT count(*) FROM resources WHERE status = 'published'"),
        0
    );
}
