//! The HTML pages over HTTP: sign-in and redirects, roles, escaping, search marks and
//! facets, the editor's forms and CSRF tokens, subtitles as WebVTT, security and cache
//! headers, error pages.

use jingshi::accounts::Role;
use reqwest::StatusCode;
use reqwest::header;

use crate::common::web::{csrf_of, form_body, no_redirects};
use crate::common::{ADMIN_PASSWORD, TestApp, USER_PASSWORD};

async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    pairs: &[(&str, &str)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(pairs))
        .send()
        .await
        .expect("post")
}

async fn get(client: &reqwest::Client, app: &TestApp, path: &str) -> (StatusCode, String) {
    let resp = client.get(app.url(path)).send().await.expect("get");
    let status = resp.status();
    (status, resp.text().await.expect("body"))
}

/// Signs in through the sign-in form.
async fn sign_in(app: &TestApp, username: &str, password: &str) -> reqwest::Client {
    let client = no_redirects(app);
    let resp = post_form(
        &client,
        app,
        "/login",
        &[
            ("username", username),
            ("password", password),
            ("next", "/"),
        ],
    )
    .await;
    assert_eq!(
        resp.status(),
        StatusCode::SEE_OTHER,
        "sign-in of {username}"
    );
    client
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn anonymous_visitors_are_sent_to_sign_in_and_come_back() {
    let app = TestApp::spawn_with_demo().await;
    let client = no_redirects(&app);
    for (path, next) in [
        ("/", "/login"),
        (
            "/search?q=%E5%8F%97%E8%B4%BF",
            "/login?next=%2Fsearch%3Fq%3D%25E5%258F%2597%25E8%25B4%25BF",
        ),
        (
            "/resources/demo-video-mooncake",
            "/login?next=%2Fresources%2Fdemo-video-mooncake",
        ),
        ("/librarian/", "/login?next=%2Flibrarian%2F"),
    ] {
        let resp = client.get(app.url(path)).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&resp), next, "{path}");
    }
    let (status, html) = get(&client, &app, "/login?next=%2Fsearch%3Fq%3D1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<form method=\"post\" action=\"/login\""));
    assert!(html.contains("value=\"/search?q=1\""), "next is kept");

    // A wrong password keeps the typed name and says what failed.
    let resp = post_form(
        &client,
        &app,
        "/login",
        &[
            ("username", "admin"),
            ("password", "wrong"),
            ("next", "/search?q=1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let html = resp.text().await.expect("body");
    assert!(html.contains("用户名或密码错误"), "{html}");
    assert!(html.contains("value=\"admin\""));

    // The right one goes where the visitor wanted, never off-site.
    let resp = post_form(
        &client,
        &app,
        "/login",
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "/search?q=1"),
        ],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/search?q=1");
    let (status, html) = get(&client, &app, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("最新资源") && html.contains("按行业浏览"));
    let evil = no_redirects(&app);
    let resp = post_form(
        &evil,
        &app,
        "/login",
        &[
            ("username", "admin"),
            ("password", ADMIN_PASSWORD),
            ("next", "//evil.example/"),
        ],
    )
    .await;
    assert_eq!(location(&resp), "/");

    // Signing out needs the form token and ends the session.
    let resp = post_form(&client, &app, "/logout", &[("csrf", "forged")]).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let (_, html) = get(&client, &app, "/").await;
    let resp = post_form(&client, &app, "/logout", &[("csrf", &csrf_of(&html))]).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/login?signed_out=1");
    let resp = client.get(app.url("/")).send().await.expect("get");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_locked_account_is_told_when_to_try_again() {
    let app = TestApp::spawn().await;
    app.add_user("locked", &[Role::Librarian], None);
    {
        let conn = app.state.db.get().expect("connection");
        conn.execute(
            "INSERT INTO sign_in_failures (key, failures, first_at, locked_until) VALUES ('pair:127.0.0.1 locked', 5, ?1, ?2)",
            [jingshi::web::auth::unix_now(), jingshi::web::auth::unix_now() + 600],
        )
        .expect("lock");
    }
    let client = no_redirects(&app);
    let resp = post_form(
        &client,
        &app,
        "/login",
        &[("username", "locked"), ("password", USER_PASSWORD)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    let html = resp.text().await.expect("body");
    assert!(
        html.contains("登录失败次数过多，请 10 分钟后再试"),
        "{html}"
    );
    assert!(html.contains("value=\"locked\""));
}

#[tokio::test]
async fn borrowers_get_a_403_page_on_librarian_pages() {
    let app = TestApp::spawn_with_demo().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let client = sign_in(&app, "officer", USER_PASSWORD).await;
    for path in [
        "/librarian/",
        "/librarian/resources/new",
        "/librarian/resources/demo-video-mooncake",
        "/librarian/audit",
    ] {
        let resp = client.get(app.url(path)).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::FORBIDDEN, "{path}");
        assert!(
            resp.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = resp.text().await.expect("body");
        assert!(html.contains("没有权限") && html.contains("仅限"), "{html}");
    }
    // Posting to the editor with a valid token is refused too.
    let (_, home) = get(&client, &app, "/").await;
    let resp = post_form(
        &client,
        &app,
        "/librarian/resources",
        &[("csrf", &csrf_of(&home)), ("kind", "case"), ("title", "x")],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    // Drafts do not exist for borrowers; a loan resource says how to get it.
    let (status, _) = get(&client, &app, "/resources/demo-grain-reserve-case").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, html) = get(&client, &app, "/resources/demo-video-banquet").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("仅限借阅查看") && html.contains("id=\"loan\""));
    assert!(!html.contains("<video"), "no player without access");
    assert!(!html.contains("/subtitles/"));
}

#[tokio::test]
async fn titles_with_markup_are_escaped_everywhere() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.admin().await;
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &serde_json::json!({
                "kind": "case",
                "title": "<script>alert('x')</script>廉洁通报",
                "summary": "<img src=x onerror=alert(1)>",
                "tags": ["<b>标签</b>"],
                "access": "open",
                "status": "published"
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let client = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let mut pages = vec![
        format!("/resources/{id}"),
        format!("/librarian/resources/{id}"),
        format!("/librarian/resources/{id}/history"),
    ];
    // The index follows the catalogue eventually (up to 30 s: generous on purpose).
    let mut found = String::new();
    for _ in 0..600 {
        let (_, html) = get(
            &client,
            &app,
            "/search?q=%E5%BB%89%E6%B4%81%E9%80%9A%E6%8A%A5",
        )
        .await;
        if html.contains(&id) {
            found = html;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(!found.is_empty(), "indexed");
    pages.push("/librarian/".to_owned());
    let mut bodies = vec![found];
    for path in &pages {
        let (status, html) = get(&client, &app, path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        bodies.push(html);
    }
    for html in &bodies {
        assert!(!html.contains("<script>alert"), "raw script in {html}");
        assert!(!html.contains("<img src=x"), "raw img");
        assert!(!html.contains("<b>标签"), "raw tag");
        assert!(html.contains("&lt;script&gt;") || html.contains("&#60;script&#62;"));
    }
}

/// The facet links of a search page: group title, address and the count shown.
fn facet_options(html: &str) -> Vec<(String, String, u64)> {
    let start = html.find("<aside class=\"facets\"").expect("facets");
    let aside = &html[start..start + html[start..].find("</aside>").expect("facets end")];
    let mut options = Vec::new();
    for section in aside.split("<section class=\"facet\">").skip(1) {
        let title = section["<h2>".len() + section.find("<h2>").expect("group title")..]
            .split("</h2>")
            .next()
            .unwrap()
            .trim()
            .to_owned();
        for item in section.split("<li><a href=\"").skip(1) {
            let href = item.split('"').next().unwrap().replace("&#38;", "&");
            let count = item
                .split("<span class=\"count\">")
                .nth(1)
                .and_then(|rest| rest.split("</span>").next())
                .expect("count")
                .parse()
                .expect("numeric count");
            options.push((title.clone(), href, count));
        }
    }
    options
}

/// The total a search page announces.
fn total_of(html: &str) -> u64 {
    let marker = "共找到 <strong>";
    let start = html.find(marker).expect("a total") + marker.len();
    html[start..]
        .split('<')
        .next()
        .unwrap()
        .parse()
        .expect("numeric total")
}

#[tokio::test]
async fn search_page_marks_matches_and_narrows_by_facets() {
    let app = TestApp::spawn_with_demo().await;
    let client = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let (status, html) = get(
        &client,
        &app,
        "/search?q=%E5%85%AB%E9%A1%B9%E8%A7%84%E5%AE%9A",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<mark>"), "highlighted");
    assert!(html.contains("共找到 <strong>"));
    // A facet link adds its filter and keeps the words; the chosen one removes it.
    let facet = "/search?q=%E5%85%AB%E9%A1%B9%E8%A7%84%E5%AE%9A&#38;kind=video";
    assert!(html.contains(facet), "kind facet link");
    let (status, narrowed) = get(&client, &app, &facet.replace("&#38;", "&")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(narrowed.contains("类型：警示教育片"));
    assert!(narrowed.contains("aria-current=\"true\" class=\"selected\""));
    assert!(
        !narrowed.contains("demo-tax-invoice-case"),
        "cases filtered out"
    );
    // Every facet link leads to as many results as its count said, in every group.
    let options = facet_options(&html);
    for group in ["类型", "行业", "违纪违法类型", "年份"] {
        assert!(
            options.iter().any(|(g, _, _)| g == group),
            "no {group} options: {options:?}"
        );
    }
    for (group, href, count) in &options {
        let (status, page) = get(&client, &app, href).await;
        assert_eq!(status, StatusCode::OK, "{href}");
        assert_eq!(total_of(&page), *count, "{group} {href}");
    }
    // Cue hits open the player at their moment.
    let (_, cues) = get(&client, &app, "/search?q=%E8%B4%AD%E7%89%A9%E5%8D%A1").await;
    assert!(cues.contains("/resources/demo-video-mooncake?t="), "{cues}");
    // Nothing found: a clear page.
    let (status, empty) = get(&client, &app, "/search?q=zzzzqqqq").await;
    assert_eq!(status, StatusCode::OK);
    assert!(empty.contains("没有找到与“zzzzqqqq”相符的资源"));
    // A bad parameter is explained on the page.
    let (status, bad) = get(&client, &app, "/search?q=x&year_from=abc").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("year_from"), "{bad}");
}

#[tokio::test]
async fn pages_carry_security_headers_and_assets_are_cached() {
    let app = TestApp::spawn_with_demo().await;
    let client = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    for path in ["/", "/login", "/api/v1/search?q=x", "/no-such-page"] {
        let resp = client.get(app.url(path)).send().await.expect("get");
        let h = resp.headers();
        let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"));
        assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
        assert!(h.contains_key(header::REFERRER_POLICY), "{path}");
    }
    let (_, html) = get(&client, &app, "/").await;
    assert!(!html.contains("<script>"), "no inline script");
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "no external asset"
    );
    let css = html
        .split("href=\"")
        .find_map(|rest| {
            let url = rest.split('"').next()?;
            (url.starts_with("/static/") && url.ends_with(".css")).then(|| url.to_owned())
        })
        .expect("stylesheet link");
    let resp = client
        .get(app.url(&css))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .expect("css");
    assert_eq!(resp.status(), StatusCode::OK);
    let h = resp.headers().clone();
    assert_eq!(
        h[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(h[header::CONTENT_ENCODING], "gzip");
    let etag = h[header::ETAG].to_str().unwrap().to_owned();
    let resp = client
        .get(app.url(&css))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .expect("css");
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    let (status, _) = get(&client, &app, "/static/app.000000000000.css").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Pages are compressed too; file downloads never are (they answer Range).
    let resp = client
        .get(app.url("/"))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .expect("home");
    assert_eq!(resp.headers()[header::CONTENT_ENCODING], "br");
}

#[tokio::test]
async fn unknown_addresses_get_an_html_404_and_the_api_json() {
    let app = TestApp::spawn_with_demo().await;
    let client = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    for path in [
        "/no-such-page",
        "/resources/no-such-resource",
        "/resources/..%2F..%2Fetc",
    ] {
        let resp = client.get(app.url(path)).send().await.expect("get");
        assert_eq!(resp.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            resp.headers()[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        let html = resp.text().await.expect("body");
        assert!(html.contains("404") && html.contains("返回首页"));
    }
    let resp = client
        .get(app.url("/api/v1/no-such-thing"))
        .send()
        .await
        .expect("get");
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);
    let body: serde_json::Value = resp.json().await.expect("json");
    assert_eq!(body["error"]["code"], "not_found");
}

#[tokio::test]
async fn the_editor_checks_its_token_and_keeps_what_was_typed() {
    let app = TestApp::spawn_with_demo().await;
    let client = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let (status, form) = get(&client, &app, "/librarian/resources/new").await;
    assert_eq!(status, StatusCode::OK);
    for choice in ["税务", "海关", "违反中央八项规定精神", "市场监管"] {
        assert!(
            form.contains(&format!("value=\"{choice}\"")),
            "{choice} offered"
        );
    }
    let csrf = csrf_of(&form);
    let fields = |csrf: &str, date: &str| -> Vec<(String, String)> {
        [
            ("csrf", csrf),
            ("kind", "textbook"),
            ("title", "新编廉洁教材"),
            ("summary", "摘要<b>"),
            ("sectors", "税务"),
            ("sectors", "海关"),
            ("date", date),
            ("access", "open"),
            ("licences", ""),
            ("copies", "JS-T1 | 资料室 | 完好"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let send = |pairs: Vec<(String, String)>| {
        let client = client.clone();
        let url = app.url("/librarian/resources");
        async move {
            let body = form_body(
                &pairs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
            );
            client
                .post(url)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("post")
        }
    };
    // No token or a wrong one: refused, nothing created.
    let before = app.count("SELECT count(*) FROM resources");
    let resp = send(fields("forged", "2024")).await;
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    assert!(resp.text().await.unwrap().contains("表单已过期"));
    // A bad date: the form comes back with everything typed and the reason.
    let resp = send(fields(&csrf, "2024-13-40")).await;
    assert_eq!(resp.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = resp.text().await.expect("body");
    assert!(html.contains("value=\"新编廉洁教材\""), "title kept");
    assert!(html.contains("摘要&lt;b&gt;") || html.contains("摘要&#60;b&#62;"));
    assert!(html.contains("日期“2024-13-40”无效"), "{html}");
    assert!(html.contains("value=\"海关\" checked"), "checkboxes kept");
    assert!(html.contains("JS-T1 | 资料室 | 完好"));
    assert_eq!(app.count("SELECT count(*) FROM resources"), before);
    // Fixed: created as a draft, then published through its form.
    let resp = send(fields(&csrf, "2024-05")).await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let editor = location(&resp);
    assert!(
        editor.starts_with("/librarian/resources/textbook-") && editor.ends_with("?notice=created")
    );
    let (_, page) = get(&client, &app, &editor).await;
    assert!(page.contains("已创建草稿") && page.contains("草稿"));
    let id = editor
        .trim_start_matches("/librarian/resources/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let resp = post_form(
        &client,
        &app,
        &format!("/librarian/resources/{id}/publish"),
        &[("csrf", &csrf)],
    )
    .await;
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let (_, page) = get(&client, &app, &location(&resp)).await;
    assert!(page.contains("已发布"));
    // Editing keeps the other values; the history says what changed.
    let mut edit = fields(&csrf, "2024-05");
    edit.retain(|(k, _)| k != "title");
    edit.push(("title".into(), "新编廉洁教材（修订）".into()));
    let resp = client
        .post(app.url(&format!("/librarian/resources/{id}")))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(
            &edit
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert!(location(&resp).ends_with("?notice=saved"));
    let (_, history) = get(&client, &app, &format!("/librarian/resources/{id}/history")).await;
    assert!(
        history.contains("新编廉洁教材（修订）") && history.contains("<del>新编廉洁教材</del>")
    );
    assert!(history.contains("发布") && history.contains("创建"));
    let (_, audit) = get(&client, &app, "/librarian/audit?action=resource_published").await;
    assert!(audit.contains(&id) && !audit.contains("登录</td>"));
    let (status, bad) = get(&client, &app, "/librarian/audit?from=yesterday").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(bad.contains("起始日期应为日期"));
}

#[tokio::test]
async fn subtitles_are_served_as_webvtt_to_those_who_may_see_them() {
    let app = TestApp::spawn_with_demo().await;
    let client = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let (_, page) = get(&client, &app, "/resources/demo-video-safety-line?t=93").await;
    assert!(page.contains("<video") && page.contains("srclang=\"zh\""));
    assert!(page.contains("data-start=\"93\"") && page.contains("#t=93"));
    let track = page
        .split("src=\"/subtitles/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("track")
        .to_owned();
    let resp = client
        .get(app.url(&format!("/subtitles/{track}")))
        .send()
        .await
        .expect("vtt");
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(
        resp.headers()[header::CONTENT_TYPE],
        "text/vtt; charset=utf-8"
    );
    let vtt = resp.text().await.expect("body");
    assert!(
        vtt.starts_with("WEBVTT\n\n00:00:01.000 --> 00:00:05.500\n"),
        "{vtt}"
    );
    assert!(!vtt.contains(','), "SRT commas converted");

    // A borrower may not read the subtitles of a loan-only video.
    let (_, banquet) = get(&client, &app, "/resources/demo-video-banquet").await;
    let loan_track = banquet
        .split("src=\"/subtitles/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("track")
        .to_owned();
    app.add_user("officer", &[Role::Borrower], Some("yn-comms"));
    let officer = sign_in(&app, "officer", USER_PASSWORD).await;
    let (status, html) = get(&officer, &app, &format!("/subtitles/{loan_track}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(html.contains("借阅"));
    let (status, _) = get(&officer, &app, &format!("/subtitles/{track}")).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = get(&officer, &app, "/subtitles/fnotafileid00000").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'file_access' AND detail LIKE 'denied; as WebVTT%'")
            >= 1
    );
}

#[tokio::test]
async fn documents_render_as_escaped_text_and_pdfs_in_the_viewer() {
    let app = TestApp::spawn_with_demo().await;
    let client = sign_in(&app, "admin", ADMIN_PASSWORD).await;
    let (status, page) = get(&client, &app, "/resources/demo-tax-invoice-case").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("<article class=\"reader marked\">"));
    assert!(!page.contains("\n# "), "markdown headings read");
    let (_, pdf) = get(&client, &app, "/resources/demo-tobacco-procurement-case").await;
    assert!(pdf.contains("<iframe class=\"pdf\" src=\"/api/v1/files/"));
    // The GBK text file is shown decoded.
    let (_, gbk) = get(&client, &app, "/resources/demo-market-supervision-case").await;
    assert!(gbk.contains("<article class=\"reader marked\">"));
    assert!(
        !gbk.contains('\u{fffd}'),
        "decoded without replacement characters"
    );
    // Phrases from the start, middle and end of the file, decoded here independently.
    let bytes = std::fs::read(
        crate::common::repo_root().join("content/demo/files/market-supervision-case-gbk.txt"),
    )
    .unwrap();
    let (source, _, malformed) = encoding_rs::GBK.decode(&bytes);
    assert!(!malformed, "the demo file is GBK");
    for phrase in [
        "滥用职权、玩忽职守案通报",
        "撤回停产整顿意见",
        "在全系统组织学习讨论",
    ] {
        assert!(source.contains(phrase), "the demo file says {phrase}");
        assert!(gbk.contains(phrase), "{phrase} shown: {gbk}");
    }
}
