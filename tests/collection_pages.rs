//! Collections as pages: the home page's 专题 block (the coming season's first, then
//! the viewer's sector's, at most six), the 专题 block above search results, the list
//! with its season filter, a collection's page with availability for a period and the
//! whole-set basket form, and the librarian's editor with its refusals kept beside the
//! form.

use jiff::civil::date;
use serde_json::json;

use crate::collections::{created, resource, step};
use crate::common::lending::{day, lendable_titled, requested, set_today};
use crate::common::web::{csrf_of, encode, form_body, page, post_form, signed_in_no_redirects};
use crate::common::{Session, TestApp, USER_PASSWORD};

/// Where each of `titles` first appears in `html` (panics when one is missing).
fn order_of(html: &str, titles: &[&str]) -> Vec<usize> {
    titles
        .iter()
        .map(|t| html.find(t).unwrap_or_else(|| panic!("{t} missing")))
        .collect()
}

/// The home page's 专题 block.
async fn home_block(session: &Session) -> String {
    let (status, html) = page(session, "/").await;
    assert_eq!(status, 200);
    let start = html.find("id=\"collections-heading\"").expect("专题 block");
    let end = html[start..].find("</section>").expect("block end") + start;
    html[start..end].to_owned()
}

async fn published(librarian: &Session, title: &str, season: Option<&str>, sectors: &[&str]) {
    let collection = created(
        librarian,
        json!({"title": title, "season": season, "sectors": sectors,
               "items": [{"resource_id": "case-a", "note": "会前通报"}]}),
    )
    .await;
    assert_eq!(step(librarian, &collection, "publish").await.0, 200);
}

#[tokio::test]
async fn the_home_page_leads_with_the_coming_season_then_the_viewers_sector() {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(date(2027, 8, 20));
    let librarian = app.librarian("curator").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    resource(&librarian, "case-a", "case", "案例甲").await;
    // Oldest first: the list's own order is newest first.
    published(&librarian, "中秋专题", Some("zhongqiu"), &[]).await;
    published(&librarian, "税务行业专题", None, &["税务"]).await;
    for n in 1..=4 {
        published(&librarian, &format!("综合专题{n}"), None, &[]).await;
    }
    published(&librarian, "春节专题", Some("chunjie"), &[]).await;
    created(
        &librarian,
        json!({"title": "草稿专题", "season": "zhongqiu", "items": [{"resource_id": "case-a"}]}),
    )
    .await;

    // Late August: 中秋 comes next.
    let block = home_block(&tax).await;
    let shown = [
        "中秋专题",
        "税务行业专题",
        "春节专题",
        "综合专题4",
        "综合专题3",
        "综合专题2",
    ];
    let at = order_of(&block, &shown);
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "order {at:?} in {block}"
    );
    assert!(!block.contains("综合专题1"), "at most six");
    assert!(!block.contains("草稿专题"));
    assert!(block.contains("即将到来的是中秋"));
    assert!(block.contains("/collections?season=zhongqiu"));
    // 2 March: 清明 next, no collection of it, so no link to its (empty) list.
    app.state.clock.set_date(date(2028, 3, 2));
    let block = home_block(&tax).await;
    assert!(block.contains("即将到来的是清明"));
    assert!(!block.contains("season=qingming"));
    app.state.clock.set_date(date(2027, 8, 20));
    let block = home_block(&customs).await;
    let shown = [
        "中秋专题",
        "春节专题",
        "综合专题4",
        "综合专题3",
        "综合专题2",
        "综合专题1",
    ];
    let at = order_of(&block, &shown);
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "order {at:?} in {block}"
    );
    assert!(!block.contains("税务行业专题"));

    // In January 春节 leads, and 中秋 is only the oldest of the rest.
    app.state.clock.set_date(date(2028, 1, 10));
    let block = home_block(&customs).await;
    let shown = [
        "春节专题",
        "综合专题4",
        "综合专题3",
        "综合专题2",
        "综合专题1",
        "税务行业专题",
    ];
    let at = order_of(&block, &shown);
    assert!(
        at.windows(2).all(|w| w[0] < w[1]),
        "order {at:?} in {block}"
    );
    assert!(!block.contains("中秋专题"));
    assert!(block.contains("即将到来的是春节"));
}

#[tokio::test]
async fn search_shows_matching_published_collections_above_the_results() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    let officer = app.borrower("officer", "yn-tax").await;
    resource(&librarian, "film-banquet", "video", "警示片《饭局背后》").await;
    resource(&librarian, "case-a", "case", "案例甲").await;
    let collection = created(
        &librarian,
        json!({"title": "元旦春节廉洁过节专题", "intro": "节前集中学习",
               "items": [{"resource_id": "film-banquet", "note": "建议在会前播放"}]}),
    )
    .await;
    assert_eq!(step(&librarian, &collection, "publish").await.0, 200);
    created(
        &librarian,
        json!({"title": "饭局问题草稿专题", "items": [{"resource_id": "case-a"}]}),
    )
    .await;
    for n in 1..=4 {
        published(&librarian, &format!("会前学习专题{n}"), None, &[]).await;
    }

    // An item's title finds the collection; the draft is not shown.
    let (status, html) = page(&officer, &format!("/search?q={}", encode("饭局"))).await;
    assert_eq!(status, 200);
    let block_at = html.find("id=\"collections-heading\"").expect("专题 block");
    assert!(html[block_at..].contains("元旦春节廉洁过节专题"));
    assert!(block_at < html.find("id=\"results-heading\"").unwrap());
    assert!(!html.contains("饭局问题草稿专题"));
    // Every word must match (an item note and the intro here).
    let (_, html) = page(
        &officer,
        &format!("/search?q={}", encode("会前播放 集中学习")),
    )
    .await;
    assert!(html.contains("元旦春节廉洁过节专题"));
    // At most three.
    let (_, html) = page(&officer, &format!("/search?q={}", encode("会前"))).await;
    assert_eq!(html.matches("class=\"collection-card\"").count(), 3);
    // No words, or words no collection has: no block.
    for q in ["", "受贿"] {
        let (status, html) = page(&officer, &format!("/search?q={}", encode(q))).await;
        assert_eq!(status, 200);
        assert!(!html.contains("collections-heading"), "{q}");
    }
}

#[tokio::test]
async fn a_collection_page_shows_each_items_availability_and_the_basket_form() {
    let app = TestApp::spawn().await;
    set_today(&app, 0);
    let librarian = app.librarian("curator").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let other = app.borrower("other", "kunming-customs").await;
    // One licence, no copy: taken over the period by another unit.
    lendable_titled(
        &librarian,
        "film-busy",
        "警示片《一盒月饼的分量》",
        Some(1),
        0,
    )
    .await;
    lendable_titled(&librarian, "film-free", "警示片《饭局背后》", None, 2).await;
    crate::common::visiting::base(&app, &librarian, "base-hall", false).await;
    requested(&other, "film-busy", "digital", &day(7), &day(9)).await;
    let collection = created(
        &librarian,
        json!({"title": "<b>节前</b>专题", "intro": "第一段。\n\n第二段<script>x</script>",
               "items": [{"resource_id": "film-busy", "note": "<i>会前</i>播放"},
                         {"resource_id": "film-free"},
                         {"resource_id": "base-hall", "note": "组织参观"}]}),
    )
    .await;
    assert_eq!(step(&librarian, &collection, "publish").await.0, 200);
    let path = format!("/collections/{}", collection["id"]);

    let (status, html) = page(&officer, &path).await;
    assert_eq!(status, 200);
    assert!(html.contains("&#60;b&#62;节前&#60;/b&#62;专题"));
    assert!(html.contains("第二段&#60;script&#62;x&#60;/script&#62;"));
    assert!(html.contains("&#60;i&#62;会前&#60;/i&#62;播放"));
    assert!(!html.contains("<script>x"));
    // Items in order; the base is booked as a visit.
    let at = order_of(&html, &["一盒月饼的分量", "饭局背后", "测试基地 base-hall"]);
    assert!(at[0] < at[1] && at[1] < at[2]);
    assert!(html.contains("/visits/new?base=base-hall"));
    // The whole set: the two films, not the base, back to this page.
    let form_at = html.find("action=\"/basket/items\"").expect("basket form");
    let form = &html[form_at..html[form_at..].find("</form>").unwrap() + form_at];
    assert_eq!(form.matches("name=\"resource_id\"").count(), 2, "{form}");
    assert!(form.contains("value=\"film-busy\"") && form.contains("value=\"film-free\""));
    assert!(form.contains(&format!("name=\"back\" value=\"{path}\"")));
    assert!(form.contains(&format!("name=\"csrf\" value=\"{}\"", csrf_of(&html))));
    assert!(form.contains("整套加入借阅清单"));

    // A period: the busy film's licence is taken, it has no copy; the other fits.
    let (status, html) = page(&officer, &format!("{path}?start={}&end={}", day(8), day(8))).await;
    assert_eq!(status, 200);
    let busy = &html
        [html.find("id=\"item-film-busy\"").unwrap()..html.find("id=\"item-film-free\"").unwrap()];
    assert!(busy.contains("该时段已借满；最近可借"), "{busy}");
    assert!(busy.contains("本馆没有实体拷贝"), "{busy}");
    let free = &html
        [html.find("id=\"item-film-free\"").unwrap()..html.find("id=\"item-base-hall\"").unwrap()];
    assert_eq!(free.matches("该时段可借").count(), 2, "{free}");
    // A period that cannot be asked for is said beside the form, dates kept.
    let (status, html) = page(&officer, &format!("{path}?start={}&end={}", day(9), day(8))).await;
    assert_eq!(status, 422);
    assert!(html.contains("结束日期不能早于开始日期"));
    assert!(html.contains(&format!("value=\"{}\"", day(9))));
    let (status, html) = page(&officer, &format!("{path}?start=..%2F..&end=x")).await;
    assert_eq!(status, 422, "{html}");

    // Librarians see no basket form; ids that are no collection are a 404 page.
    let (_, html) = page(&librarian, &path).await;
    assert!(!html.contains("/basket/items"));
    assert!(html.contains("编辑专题"));
    for raw in ["0", "..%2F..%2Fetc%2Fpasswd", "abc", "99999"] {
        let (status, html) = page(&officer, &format!("/collections/{raw}")).await;
        assert_eq!(status, 404, "{raw}");
        assert!(html.contains("专题"), "{raw}");
    }
}

#[tokio::test]
async fn the_coming_season_follows_the_periods_the_committee_kept() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    let tax = app.borrower("tax", "yn-tax").await;
    resource(&librarian, "case-a", "case", "案例甲").await;
    published(&librarian, "综合专题", None, &[]).await;
    // 16 September 2027: by the usual calendar 中秋 (15th) is past and 国庆 comes next.
    app.state.clock.set_date(date(2027, 9, 16));
    assert!(home_block(&tax).await.contains("即将到来的是国庆"));
    // The committee keeps 中秋 from the 18th: it leads again.
    let body =
        json!({"periods": [{"season": "zhongqiu", "start": "2027-09-18", "end": "2027-09-20"}]});
    let (status, answer) = librarian
        .send_json(reqwest::Method::PUT, "/api/v1/seasons/2027", &body)
        .await;
    assert_eq!(status, 200, "{answer}");
    assert!(home_block(&tax).await.contains("即将到来的是中秋"));
}

#[tokio::test]
async fn the_list_page_filters_by_season_and_hides_drafts_from_borrowers() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    let officer = app.borrower("officer", "yn-tax").await;
    resource(&librarian, "case-a", "case", "案例甲").await;
    published(&librarian, "中秋专题", Some("zhongqiu"), &[]).await;
    published(&librarian, "春节专题", Some("chunjie"), &["税务"]).await;
    created(&librarian, json!({"title": "编排中的专题"})).await;

    let (status, html) = page(&officer, "/collections").await;
    assert_eq!(status, 200);
    assert!(html.contains("中秋专题") && html.contains("春节专题"));
    assert!(!html.contains("编排中的专题"));
    let (_, html) = page(&officer, "/collections?season=chunjie").await;
    assert!(html.contains("春节专题") && !html.contains("中秋专题"));
    assert!(html.contains("适用行业：税务"));
    let (status, html) = page(&officer, "/collections?season=%3Cscript%3E").await;
    assert_eq!(status, 400);
    assert!(html.contains("没有“&#60;script&#62;”这个节点"));
    let (_, html) = page(&librarian, "/collections").await;
    assert!(html.contains("编排中的专题") && html.contains("草稿"));
}

#[tokio::test]
async fn the_editor_saves_publishes_and_keeps_what_was_typed_when_refused() {
    let app = TestApp::spawn().await;
    let librarian_api = app.librarian("curator").await;
    resource(&librarian_api, "case-a", "case", "案例甲").await;
    resource(&librarian_api, "case-b", "case", "案例乙").await;
    let librarian = signed_in_no_redirects(&app, "curator", USER_PASSWORD).await;
    let (status, html) = page(&librarian, "/librarian/collections/new").await;
    assert_eq!(status, 200);
    let csrf = csrf_of(&html);

    // Refused: the unknown item is named beside the box, everything typed is kept.
    let typed_items = "case-a | 会前播放\ncase-nope | 讨论";
    let (status, _, html) = post_form(
        &librarian,
        "/librarian/collections",
        &[
            ("csrf", csrf.as_str()),
            ("title", "<b>节前</b>专题"),
            ("intro", "简介"),
            ("season", "zhongqiu"),
            ("sectors", "税务、海关"),
            ("items", typed_items),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"e-items\""));
    assert!(html.contains("第 2 项：没有编号为“case-nope”的资源"));
    assert!(html.contains("value=\"&#60;b&#62;节前&#60;/b&#62;专题\""));
    assert!(html.contains("case-nope | 讨论"));
    assert!(html.contains("value=\"zhongqiu\" selected"));
    assert!(html.contains("税务、海关"));
    assert_eq!(app.count("SELECT count(*) FROM collections"), 0);

    // Saved: post/redirect/get to the editor of the new draft.
    let resp = librarian
        .client
        .post(librarian.url("/librarian/collections"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(&[
            ("csrf", csrf.as_str()),
            ("title", "节前专题"),
            ("intro", ""),
            ("season", "zhongqiu"),
            ("sectors", "税务"),
            ("items", "case-b | 分组讨论\n\ncase-a"),
        ]))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap().to_owned();
    assert!(location.ends_with("?notice=created"), "{location}");
    let editor = location.split('?').next().unwrap().to_owned();
    let (status, html) = page(&librarian, &location).await;
    assert_eq!(status, 200);
    assert!(html.contains("已新建专题"));
    assert!(html.contains("case-b | 分组讨论\ncase-a"));
    assert!(
        html.find("案例乙") < html.find("案例甲"),
        "the preview in order"
    );
    assert!(html.contains("新建专题，共 2 项"), "the history");

    // Reordered through the form; then published from its button.
    let (status, _, html) = post_form(
        &librarian,
        &editor,
        &[
            ("csrf", &csrf),
            ("title", "节前专题"),
            ("intro", ""),
            ("season", ""),
            ("sectors", "税务"),
            ("items", "case-a\ncase-b | 分组讨论"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{html}");
    let (_, html) = page(&librarian, &editor).await;
    assert!(
        html.contains("资源：调整顺序；") || html.contains("取消节点；资源：调整顺序"),
        "{html}"
    );
    let (status, _, _) =
        post_form(&librarian, &format!("{editor}/publish"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 303);
    let (_, html) = page(&librarian, &editor).await;
    assert!(html.contains("badge status-published"));
    // Publishing again is refused beside the buttons, not on a bare error page.
    let (status, _, html) =
        post_form(&librarian, &format!("{editor}/publish"), &[("csrf", &csrf)]).await;
    assert_eq!(status, 409);
    assert!(html.contains("id=\"status-error\"") && html.contains("已发布"));

    // A borrower is kept out of the editor and its forms.
    let officer = app.borrower("officer", "yn-tax").await;
    let (status, _) = page(&officer, "/librarian/collections").await;
    assert_eq!(status, 403);
    let (_, home) = page(&officer, "/").await;
    let officer_csrf = csrf_of(&home);
    let paths = [
        "/librarian/collections".to_owned(),
        editor.clone(),
        format!("{editor}/withdraw"),
    ];
    for path in &paths {
        let (status, _, _) = post_form(
            &officer,
            path,
            &[
                ("csrf", &officer_csrf),
                ("title", "改"),
                ("items", "case-a"),
            ],
        )
        .await;
        assert_eq!(status, 403, "{path}");
    }
    let (_, json) = librarian_api
        .get_json(&format!(
            "/api/v1/collections/{}",
            editor.rsplit('/').next().unwrap()
        ))
        .await;
    assert_eq!(json["status"], "published");
    assert_eq!(json["title"], "节前专题");
    // Without the form token nothing is saved.
    let (status, _, _) = post_form(&librarian, &editor, &[("title", "无令牌")]).await;
    assert_eq!(status, 403);
}
