//! Saved searches (SPEC §10): `POST`/`GET /api/v1/saved-searches`, `DELETE …/{id}`,
//! through the domain function and over HTTP; the search page's "保存此搜索" form
//! (`POST /searches`) and the `/searches` page. Another account's saved search does
//! not exist for anyone else; a query the search would refuse is refused here too.

use jingshi::actor::Actor;
use jingshi::alerts::{AlertError, MAX_SAVED, SavedSearchInput, saved};
use serde_json::json;

use crate::common::admin::post_with_token;
use crate::common::collecting::{actor_of, save_search};
use crate::common::web::{page, post_form, signed_in_no_redirects};
use crate::common::{Session, TestApp, USER_PASSWORD};

/// `DELETE /api/v1/saved-searches/{id}` as `session`; answers the status.
pub(crate) async fn delete(session: &Session, id: i64) -> u16 {
    let path = format!("/api/v1/saved-searches/{id}");
    session
        .send_json(reqwest::Method::DELETE, &path, &json!({}))
        .await
        .0
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_account_saves_lists_and_deletes_only_its_own_searches() {
    let app = TestApp::spawn().await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;

    let (status, body) = save_search(&tax, "中秋月饼案例", "q=月饼&kind=case&page=3").await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_eq!(body["name"], "中秋月饼案例");
    // Kept in a fixed order, without paging; the rerun link is the search page's.
    assert_eq!(body["query"], "q=%E6%9C%88%E9%A5%BC&kind=case");
    assert_eq!(body["search_url"], "/search?q=%E6%9C%88%E9%A5%BC&kind=case");
    let feed = body["feed_url"].as_str().unwrap();
    assert!(
        feed.starts_with(&app.url("/feeds/")) && feed.ends_with(".atom"),
        "{feed}"
    );
    assert_eq!(body["unread"], 0);
    // A whole search address is taken for its query string.
    let (status, body) = save_search(&tax, "税务", "/search?sector=%E7%A8%8E%E5%8A%A1").await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["query"], "sector=%E7%A8%8E%E5%8A%A1");

    let (status, listed) = tax.get_json("/api/v1/saved-searches").await;
    assert_eq!(status, 200);
    let names: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["中秋月饼案例", "税务"]);

    // Another unit's officer sees none of it, and cannot delete or rotate it.
    let (_, theirs) = customs.get_json("/api/v1/saved-searches").await;
    assert_eq!(theirs, json!([]));
    for (method, path) in [
        (reqwest::Method::GET, format!("/api/v1/saved-searches/{id}")),
        (
            reqwest::Method::DELETE,
            format!("/api/v1/saved-searches/{id}"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/saved-searches/{id}/rotate"),
        ),
        (
            reqwest::Method::POST,
            format!("/api/v1/saved-searches/{id}/read"),
        ),
    ] {
        let (status, body) = customs.send_json(method, &path, &json!({})).await;
        assert_eq!(status, 404, "{path}: {body}");
        assert_eq!(
            body["error"]["message"],
            format!("没有编号为 {id} 的订阅搜索")
        );
    }
    // The domain says the same to another account.
    let mut conn = app.state.db.get().unwrap();
    let other = actor_of(&app, "customs-officer");
    let at = app.state.clock.moment();
    assert!(matches!(
        saved::delete(&mut conn, &other, id, at),
        Err(AlertError::NotFound(found)) if found == id
    ));
    // The background task is no account.
    assert!(matches!(
        saved::list(&conn, &Actor::system()),
        Err(AlertError::NoAccount)
    ));
    drop(conn);

    assert_eq!(delete(&tax, id).await, 204);
    assert_eq!(delete(&tax, id).await, 404, "deleted once");
    let (_, listed) = tax.get_json("/api/v1/saved-searches").await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'saved_search_created'"),
        2
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM audit_log WHERE action = 'saved_search_deleted'
             AND username = 'tax-officer' AND detail LIKE '%中秋月饼案例%'"
        ),
        1
    );

    // Signed out: the API says who may, the page sends to sign-in.
    let (status, _) = app.get_json("/api/v1/saved-searches").await;
    assert_eq!(status, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_query_the_search_would_refuse_and_oversized_input_are_refused_in_words() {
    let app = TestApp::spawn().await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let long_name = "名".repeat(101);
    let long_query = format!("q={}", "a".repeat(2000));
    let cases: [(&str, &str, &str); 9] = [
        ("类型错", "q=月饼&kind=film", "参数 kind 应为"),
        ("年份", "year_from=2024&year_to=2020", "年份范围无效"),
        ("年份字", "year_from=去年", "参数 year_from 应为数字"),
        ("表情", "q=😀😀", "没有可检索的文字"),
        ("重复", "q=a&q=b", "检索条件无法解析"),
        ("过长", &long_query, "检索条件过长：最多 2000 个字符"),
        ("", "q=月饼", "请填写订阅搜索的名称"),
        (&long_name, "q=月饼", "名称最多 100 个字"),
        ("换\n行", "q=月饼", "名称中不能有换行"),
    ];
    for (name, query, expected) in cases {
        let (status, body) = save_search(&tax, name, query).await;
        assert_eq!(status, 422, "{name} {query}: {body}");
        assert_eq!(body["error"]["code"], "invalid");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{query}: {message}");
    }
    // A body that is not the contract is refused before the domain.
    let (status, _) = tax
        .post_json("/api/v1/saved-searches", &json!({"name": 1}))
        .await;
    assert_eq!(status, 422);
    assert_eq!(app.count("SELECT count(*) FROM saved_searches"), 0);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'saved_search_created'"),
        0,
        "nothing half-done"
    );

    // The domain function refuses the same way.
    let mut conn = app.state.db.get().unwrap();
    let actor = actor_of(&app, "tax-officer");
    let refused = saved::save(
        &mut conn,
        &actor,
        &SavedSearchInput {
            name: "类型错".into(),
            query: "kind=film".into(),
        },
        app.state.clock.moment(),
    );
    assert!(
        matches!(&refused, Err(AlertError::Invalid { field, .. }) if field == "query"),
        "{refused:?}"
    );
    // An empty query is a search too: every new resource.
    let everything = saved::save(
        &mut conn,
        &actor,
        &SavedSearchInput {
            name: "全部".into(),
            query: String::new(),
        },
        app.state.clock.moment(),
    )
    .unwrap();
    assert_eq!(everything.query, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_fifty_first_saved_search_is_refused() {
    let app = TestApp::spawn().await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let actor = actor_of(&app, "tax-officer");
    {
        let mut conn = app.state.db.get().unwrap();
        for n in 0..MAX_SAVED {
            let input = SavedSearchInput {
                name: format!("订阅 {n}"),
                query: format!("q=%E6%A1%88{n}"),
            };
            saved::save(&mut conn, &actor, &input, app.state.clock.moment()).unwrap();
        }
    }
    let (status, body) = save_search(&tax, "第五十一个", "q=月饼").await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "too_many");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("最多保存 50 个订阅搜索"),
        "{body}"
    );
    assert_eq!(app.count("SELECT count(*) FROM saved_searches"), 50);
    // Another account has its own fifty.
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let (status, _) = save_search(&customs, "海关", "q=月饼").await;
    assert_eq!(status, 201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_page_saves_by_form_and_the_page_shows_markup_as_text() {
    let app = TestApp::spawn().await;
    app.add_user(
        "tax-officer",
        &[jingshi::accounts::Role::Borrower],
        Some("yn-tax"),
    );
    let tax = signed_in_no_redirects(&app, "tax-officer", USER_PASSWORD).await;

    // The results page offers to save what is searched for, without the page number.
    let (status, html) = page(&tax, "/search?q=%E6%9C%88%E9%A5%BC&kind=case&page=2").await;
    assert_eq!(status, 200);
    assert!(html.contains("action=\"/searches\""), "save form");
    assert!(
        html.contains("name=\"query\" value=\"q=%E6%9C%88%E9%A5%BC&#38;kind=case\""),
        "the query to save"
    );
    assert!(
        html.contains("name=\"name\" value=\"月饼\""),
        "a name to start from"
    );

    let (status, _, _) = post_with_token(
        &tax,
        "/searches",
        &[
            ("name", "月饼 <script>alert(1)</script>"),
            ("query", "q=%3Cb%3E月饼%3C%2Fb%3E&kind=case"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, listed) = tax.get_json("/api/v1/saved-searches").await;
    let id = listed[0]["id"].as_i64().unwrap();
    let (status, html) = page(&tax, "/searches?done=saved").await;
    assert_eq!(status, 200);
    assert!(html.contains("已保存"), "{html}");
    assert!(html.contains("月饼 &#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(html.contains("检索词：&#60;b&#62;月饼&#60;/b&#62; · 类型：典型案例通报"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<b>月饼"));
    assert!(html.contains(&format!("id=\"search-{id}\"")));
    assert!(html.contains("/feeds/"), "its feed address");
    assert!(html.contains("全库新资源订阅源"));

    // Refused: the page says why, beside the form, with what was typed.
    let (status, _, html) = post_with_token(
        &tax,
        "/searches",
        &[("name", "错的类型"), ("query", "kind=film")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("参数 kind 应为"), "{html}");
    assert!(html.contains("value=\"错的类型\""));
    assert!(html.contains("value=\"kind=film\""));
    // Without the form token nothing is saved.
    let (status, _, _) = post_form(&tax, "/searches", &[("name", "x"), ("query", "q=x")]).await;
    assert_eq!(status, 403);
    assert_eq!(app.count("SELECT count(*) FROM saved_searches"), 1);

    // Another account's saved search cannot be deleted from the page either.
    app.add_user(
        "customs-officer",
        &[jingshi::accounts::Role::Borrower],
        Some("kunming-customs"),
    );
    let customs = signed_in_no_redirects(&app, "customs-officer", USER_PASSWORD).await;
    let (status, _, _) = post_with_token(&customs, &format!("/searches/{id}/delete"), &[]).await;
    assert_eq!(status, 404);
    let (status, _, _) = post_with_token(&tax, &format!("/searches/{id}/delete"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(app.count("SELECT count(*) FROM saved_searches"), 0);

    // Signed out, the page asks to sign in.
    let anonymous = crate::common::web::no_redirects(&app);
    let resp = anonymous.get(app.url("/searches")).send().await.unwrap();
    assert_eq!(resp.status(), 303);
}
