//! Collections (专题, SPEC §10) over the API and through the domain functions: a
//! librarian's journey (create, edit, reorder, publish, withdraw, the history and the
//! audit), borrowers kept to reading published collections and the items shared with
//! their unit, the list's filters, hostile input refused with the item named and
//! nothing half-written, and the demo's two collections on first start.

use jingshi::actor::Actor;
use jingshi::collections::{self, CollectionError, CollectionId, CollectionInput, ItemInput};
use serde_json::{Value, json};

use crate::common::contributing::contribution;
use crate::common::lending::lendable_titled;
use crate::common::{Session, TestApp};

/// A published resource of `kind` (open to read).
pub(crate) async fn resource(librarian: &Session, id: &str, kind: &str, title: &str) {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": kind, "title": title, "access": "open",
                    "status": "published", "licences": 2}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Creates a collection through the API; answers its JSON.
pub(crate) async fn created(librarian: &Session, body: Value) -> Value {
    let (status, answer) = librarian.post_json("/api/v1/collections", &body).await;
    assert_eq!(status, 201, "{answer}");
    answer
}

pub(crate) async fn step(session: &Session, collection: &Value, action: &str) -> (u16, Value) {
    session
        .post_json(
            &format!("/api/v1/collections/{}/{action}", collection["id"]),
            &json!({}),
        )
        .await
}

async fn patch(session: &Session, collection: &Value, body: Value) -> (u16, Value) {
    session
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/collections/{}", collection["id"]),
            &body,
        )
        .await
}

fn item_ids(collection: &Value) -> Vec<String> {
    collection["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["resource_id"].as_str().expect("id").to_owned())
        .collect()
}

fn titles(list: &Value) -> Vec<String> {
    list["collections"]
        .as_array()
        .expect("collections")
        .iter()
        .map(|c| c["title"].as_str().expect("title").to_owned())
        .collect()
}

/// The rows a refused step must not have written.
fn written(app: &TestApp) -> [i64; 4] {
    [
        app.count("SELECT count(*) FROM collections"),
        app.count("SELECT count(*) FROM collection_items"),
        app.count("SELECT count(*) FROM collection_revisions"),
        app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'collection_%'"),
    ]
}

#[tokio::test]
async fn a_librarian_curates_a_collection_and_the_history_tells_each_step() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    lendable_titled(&librarian, "film-banquet", "警示片《饭局背后》", Some(2), 1).await;
    resource(
        &librarian,
        "case-mooncake",
        "case",
        "月饼背后的违纪问题通报",
    )
    .await;
    resource(&librarian, "book-rules", "textbook", "八项规定学习读本").await;

    let collection = created(
        &librarian,
        json!({"title": "  元旦春节廉洁过节专题 ", "intro": "节前集中学习。",
               "items": [{"resource_id": "film-banquet", "note": "建议在会前播放"},
                         {"resource_id": "case-mooncake"}],
               "sectors": [" 税务 ", "海关", "税务", ""], "season": "春节"}),
    )
    .await;
    assert_eq!(collection["title"], "元旦春节廉洁过节专题");
    assert_eq!(collection["status"], "draft");
    assert_eq!(collection["season"], "chunjie");
    assert_eq!(collection["season_label"], "春节");
    assert_eq!(collection["sectors"], json!(["税务", "海关"]));
    assert_eq!(item_ids(&collection), ["film-banquet", "case-mooncake"]);
    assert_eq!(collection["items"][0]["note"], "建议在会前播放");
    assert_eq!(collection["items"][0]["kind"], "video");
    assert_eq!(collection["items"][1]["note"], "");
    assert!(collection["published_at"].is_null());

    // Reorder and add: the list replaces the old one, in its order.
    let (status, reordered) = patch(
        &librarian,
        &collection,
        json!({"items": [{"resource_id": "book-rules", "note": "集中学习"},
                         {"resource_id": "case-mooncake", "note": "分组讨论"},
                         {"resource_id": "film-banquet", "note": "建议在会前播放"}]}),
    )
    .await;
    assert_eq!(status, 200, "{reordered}");
    assert_eq!(
        item_ids(&reordered),
        ["book-rules", "case-mooncake", "film-banquet"]
    );
    assert_eq!(
        reordered["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["position"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [0, 1, 2]
    );
    // Only the title: everything else stays.
    let (status, renamed) = patch(&librarian, &collection, json!({"title": "廉洁过节专题"})).await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(renamed["title"], "廉洁过节专题");
    assert_eq!(item_ids(&renamed), item_ids(&reordered));
    assert_eq!(renamed["season"], "chunjie");
    // `null` clears the season; the same values again change nothing.
    let (status, cleared) = patch(&librarian, &collection, json!({"season": null})).await;
    assert_eq!(status, 200, "{cleared}");
    assert!(cleared["season"].is_null());
    let before = written(&app);
    let (status, same) = patch(
        &librarian,
        &collection,
        json!({"title": "廉洁过节专题", "sectors": ["税务", "海关"]}),
    )
    .await;
    assert_eq!(status, 200, "{same}");
    assert_eq!(
        written(&app),
        before,
        "an edit that changes nothing writes nothing"
    );

    let (status, published) = step(&librarian, &collection, "publish").await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["status"], "published");
    assert!(published["published_at"].is_string());
    let (status, again) = step(&librarian, &collection, "publish").await;
    assert_eq!(status, 409, "{again}");
    assert!(
        again["error"]["message"]
            .as_str()
            .unwrap()
            .contains("已发布")
    );
    let (status, withdrawn) = step(&librarian, &collection, "withdraw").await;
    assert_eq!(status, 200, "{withdrawn}");
    assert_eq!(withdrawn["status"], "withdrawn");
    let (status, again) = step(&librarian, &collection, "withdraw").await;
    assert_eq!(status, 409, "{again}");

    let (status, history) = librarian
        .get_json(&format!("/api/v1/collections/{}/history", collection["id"]))
        .await;
    assert_eq!(status, 200, "{history}");
    let revisions = history["revisions"].as_array().unwrap();
    let summaries: Vec<&str> = revisions
        .iter()
        .map(|r| r["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "撤回",
            "发布",
            "取消节点",
            "标题改为《廉洁过节专题》",
            "资源：新增 1 项、调整顺序、修改 1 条说明",
            "新建专题，共 2 项",
        ]
    );
    assert!(revisions.iter().all(|r| r["revised_by"] == "curator"));
    // Each snapshot is the whole collection after its change.
    let after_reorder = &revisions[4]["snapshot"];
    assert_eq!(after_reorder["title"], "元旦春节廉洁过节专题");
    assert_eq!(after_reorder["items"][0]["resource_id"], "book-rules");
    assert_eq!(after_reorder["status"], "draft");
    assert_eq!(revisions[0]["snapshot"]["status"], "withdrawn");

    // One audit row per change, in words the audit page shows.
    let (status, audit) = librarian
        .get_json("/api/v1/audit?action=collection_updated")
        .await;
    assert_eq!(status, 200, "{audit}");
    assert_eq!(audit.as_array().map(Vec::len), Some(3), "{audit}");
    assert_eq!(written(&app)[3], 6);
}

#[tokio::test]
async fn borrowers_read_published_collections_only_and_change_nothing() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    let officer = app.borrower("officer", "yn-tax").await;
    resource(&librarian, "case-a", "case", "案例甲").await;
    let collection = created(
        &librarian,
        json!({"title": "中秋国庆节前警示教育专题", "items": [{"resource_id": "case-a"}]}),
    )
    .await;
    let path = format!("/api/v1/collections/{}", collection["id"]);

    // A draft does not exist for a borrower.
    let (status, body) = officer.get_json(&path).await;
    assert_eq!(status, 404, "{body}");
    let (_, list) = officer.get_json("/api/v1/collections").await;
    assert_eq!(titles(&list), Vec::<String>::new());
    let (_, drafts) = officer.get_json("/api/v1/collections?status=draft").await;
    assert_eq!(titles(&drafts), Vec::<String>::new());

    // Every write is the librarians' (403), and writes nothing.
    let before = written(&app);
    let (status, body) = officer
        .post_json(
            "/api/v1/collections",
            &json!({"title": "本单位专题", "items": [{"resource_id": "case-a"}]}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = patch(&officer, &collection, json!({"title": "改"})).await;
    assert_eq!(status, 403, "{body}");
    for action in ["publish", "withdraw"] {
        let (status, body) = step(&officer, &collection, action).await;
        assert_eq!(status, 403, "{action}: {body}");
    }
    let (status, body) = officer.get_json(&format!("{path}/history")).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(written(&app), before);

    // The domain functions refuse a borrower too, whoever calls them.
    let borrower = Actor {
        user_id: None,
        username: "officer".to_owned(),
        unit: Some("yn-tax".to_owned()),
        librarian: false,
        admin: false,
    };
    let id = CollectionId(collection["id"].as_i64().unwrap());
    {
        let mut conn = app.state.db.get().unwrap();
        let at = app.state.clock.moment();
        let input = CollectionInput {
            title: "本单位专题".to_owned(),
            ..CollectionInput::default()
        };
        assert!(matches!(
            collections::create(&mut conn, &borrower, input, at),
            Err(CollectionError::LibrariansOnly { .. })
        ));
        assert!(matches!(
            collections::publish(&mut conn, &borrower, id, at),
            Err(CollectionError::LibrariansOnly { .. })
        ));
        assert!(matches!(
            collections::get(&conn, &borrower, id),
            Err(CollectionError::NotFound(_))
        ));
    }
    assert_eq!(written(&app), before);

    // Published, it is theirs to read; withdrawn, it is gone again.
    assert_eq!(step(&librarian, &collection, "publish").await.0, 200);
    let (status, seen) = officer.get_json(&path).await;
    assert_eq!(status, 200, "{seen}");
    assert_eq!(item_ids(&seen), ["case-a"]);
    let (_, list) = officer.get_json("/api/v1/collections").await;
    assert_eq!(titles(&list), ["中秋国庆节前警示教育专题"]);
    assert_eq!(step(&librarian, &collection, "withdraw").await.0, 200);
    assert_eq!(officer.get_json(&path).await.0, 404);
}

#[tokio::test]
async fn a_borrower_never_sees_a_draft_item_nor_another_units_scoped_contribution() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    let contributor = app.borrower("tax-officer", "yn-tax").await;
    let other = app.borrower("customs-officer", "kunming-customs").await;
    resource(&librarian, "case-open", "case", "公开的案例通报").await;
    let (status, draft) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "case-draft", "kind": "case", "title": "尚未发布的草稿通报",
                    "status": "draft"}),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    // yn-tax's contribution, shared with the committee only, published.
    let (status, scoped) = contributor
        .post_json(
            "/api/v1/contributions",
            &contribution("税务局内部查处的礼金案", "committee"),
        )
        .await;
    assert_eq!(status, 201, "{scoped}");
    let scoped_id = scoped["id"].as_str().unwrap().to_owned();
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/resources/{scoped_id}/publish"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    let collection = created(
        &librarian,
        json!({"title": "节前警示教育专题",
               "items": [{"resource_id": scoped_id, "note": "内部礼金案"},
                         {"resource_id": "case-open"},
                         {"resource_id": "case-draft", "note": "草稿说明"}]}),
    )
    .await;
    assert_eq!(step(&librarian, &collection, "publish").await.0, 200);
    let path = format!("/api/v1/collections/{}", collection["id"]);

    let (_, seen) = other.get_json(&path).await;
    assert_eq!(item_ids(&seen), ["case-open"]);
    let (_, seen) = contributor.get_json(&path).await;
    assert_eq!(item_ids(&seen), [scoped_id.as_str(), "case-open"]);
    let (_, seen) = librarian.get_json(&path).await;
    assert_eq!(
        item_ids(&seen),
        [scoped_id.as_str(), "case-open", "case-draft"]
    );
    assert_eq!(seen["items"][2]["resource_status"], "draft");

    // The list counts what each sees, and a hidden item's words find nothing.
    let (_, list) = other.get_json("/api/v1/collections").await;
    assert_eq!(list["collections"][0]["item_count"], 1);
    for words in ["礼金案", "草稿说明", "内部", "尚未发布"] {
        let (status, found) = other
            .get_json(&format!(
                "/api/v1/collections?q={}",
                crate::common::web::encode(words)
            ))
            .await;
        assert_eq!(status, 200, "{found}");
        assert_eq!(titles(&found), Vec::<String>::new(), "{words}");
        let (_, found) = contributor
            .get_json(&format!(
                "/api/v1/collections?q={}",
                crate::common::web::encode(words)
            ))
            .await;
        let expected = usize::from(words == "礼金案" || words == "内部");
        assert_eq!(titles(&found).len(), expected, "{words}");
    }
}

#[tokio::test]
async fn the_list_filters_by_season_status_and_words() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    let officer = app.borrower("officer", "yn-tax").await;
    resource(&librarian, "film-a", "video", "警示片《一盒月饼的分量》").await;
    resource(&librarian, "case-b", "case", "公款吃喝问题通报").await;
    let spring = created(
        &librarian,
        json!({"title": "春节专题", "season": "chunjie", "intro": "节前提醒",
               "items": [{"resource_id": "case-b", "note": "用于分组讨论"}]}),
    )
    .await;
    let autumn = created(
        &librarian,
        json!({"title": "中秋专题", "season": "zhongqiu",
               "items": [{"resource_id": "film-a", "note": "建议在会前播放"}]}),
    )
    .await;
    created(&librarian, json!({"title": "还在编排的专题"})).await;
    assert_eq!(step(&librarian, &spring, "publish").await.0, 200);
    assert_eq!(step(&librarian, &autumn, "publish").await.0, 200);

    let list = |session: &'static str, query: &str| {
        let who = if session == "lib" {
            &librarian
        } else {
            &officer
        };
        let path = format!("/api/v1/collections{query}");
        async move {
            let (status, body) = who.get_json(&path).await;
            assert_eq!(status, 200, "{path}: {body}");
            titles(&body)
        }
    };
    assert_eq!(
        list("lib", "").await,
        ["中秋专题", "春节专题", "还在编排的专题"]
    );
    assert_eq!(list("officer", "").await, ["中秋专题", "春节专题"]);
    assert_eq!(list("officer", "?season=chunjie").await, ["春节专题"]);
    assert_eq!(
        list("officer", "?season=%E4%B8%AD%E7%A7%8B").await,
        ["中秋专题"]
    );
    assert_eq!(list("lib", "?status=draft").await, ["还在编排的专题"]);
    assert_eq!(list("officer", "?status=draft").await, Vec::<String>::new());
    // Words: title, intro, item notes and item titles, every word, none excluded.
    assert_eq!(list("officer", "?q=%E6%9C%88%E9%A5%BC").await, ["中秋专题"]); // 月饼
    assert_eq!(
        list("officer", "?q=%E5%88%86%E7%BB%84%20%E6%8F%90%E9%86%92").await, // 分组 提醒
        ["春节专题"]
    );
    assert_eq!(
        list("officer", "?q=%E5%88%86%E7%BB%84%20%E6%9C%88%E9%A5%BC").await, // 分组 月饼
        Vec::<String>::new()
    );
    assert_eq!(
        list("officer", "?q=%E4%B8%93%E9%A2%98%20-%E6%98%A5%E8%8A%82").await, // 专题 -春节
        ["中秋专题"]
    );
    for bad in ["?season=christmas", "?status=lost"] {
        let (status, body) = officer.get_json(&format!("/api/v1/collections{bad}")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body["error"]["message"].as_str().unwrap().contains("应为"));
    }
}

#[tokio::test]
async fn hostile_input_is_refused_naming_the_item_and_nothing_is_half_written() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("curator").await;
    resource(&librarian, "case-a", "case", "案例甲").await;
    resource(&librarian, "case-b", "case", "案例乙").await;
    let item = |id: &str| json!({"resource_id": id, "note": ""});
    let many: Vec<Value> = (0..101).map(|i| item(&format!("case-{i}"))).collect();
    let refused = [
        (json!({"title": "字".repeat(201)}), "200"),
        (json!({"title": "   "}), "标题"),
        (json!({"title": "专题", "intro": "字".repeat(5001)}), "5000"),
        (json!({"title": "专题", "items": many}), "100"),
        (
            json!({"title": "专题", "items": [item("case-a"), {"resource_id": "case-b", "note": "字".repeat(201)}]}),
            "第 2 项（case-b）的说明最多 200",
        ),
        (
            json!({"title": "专题", "items": [item("case-a"), item("../x")]}),
            "第 2 项：没有编号为“../x”的资源",
        ),
        (
            json!({"title": "专题", "items": [item("case-a"), item("no-such-case")]}),
            "第 2 项：没有编号为“no-such-case”的资源",
        ),
        (
            json!({"title": "专题", "items": [item("case-a"), item("case-b"), item("case-a")]}),
            "第 3 项与第 1 项是同一资源“case-a”",
        ),
        (json!({"title": "专题", "season": "圣诞"}), "节点“圣诞”无效"),
        (
            json!({"title": "专题", "sectors": ["行".repeat(51)]}),
            "太长",
        ),
    ];
    for (body, says) in &refused {
        let (status, answer) = librarian.post_json("/api/v1/collections", body).await;
        assert_eq!(status, 422, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap();
        assert!(message.contains(says), "{message} should say {says}");
    }
    // Unknown fields and wrong types are refused before anything is read.
    for body in [
        json!({"title": "专题", "status": "published"}),
        json!({"title": "专题", "items": "case-a"}),
    ] {
        let (status, answer) = librarian.post_json("/api/v1/collections", &body).await;
        assert_eq!(status, 422, "{answer}");
    }
    assert_eq!(written(&app), [0, 0, 0, 0], "refusals write nothing");

    // Markup is kept as text, and shown escaped.
    let collection = created(
        &librarian,
        json!({"title": "<script>alert(1)</script>专题",
               "items": [{"resource_id": "case-a", "note": "<img src=x onerror=alert(2)>"}]}),
    )
    .await;
    assert_eq!(collection["title"], "<script>alert(1)</script>专题");
    let before = written(&app);
    let snapshot = collection.clone();
    // A refused edit leaves the collection as it was, even with valid fields beside.
    for body in [
        json!({"title": "新标题", "items": [item("case-a"), item("case-a")]}),
        json!({"intro": "新简介", "season": "lunar"}),
        json!({"items": [item("case-b"), item("..%2Fetc")]}),
    ] {
        let (status, answer) = patch(&librarian, &collection, body).await;
        assert_eq!(status, 422, "{answer}");
    }
    assert_eq!(written(&app), before);
    let (_, now) = librarian
        .get_json(&format!("/api/v1/collections/{}", collection["id"]))
        .await;
    assert_eq!(now, snapshot);
    // An empty collection cannot be published.
    let empty = created(&librarian, json!({"title": "空专题"})).await;
    let (status, answer) = step(&librarian, &empty, "publish").await;
    assert_eq!(status, 422, "{answer}");

    // Ids that are no collection's: 404 from the handler, never a 500.
    for raw in [
        "0",
        "-1",
        "x1",
        "..%2F..%2Fetc",
        "99999999",
        "1%27%20OR%201%3D1",
    ] {
        let (status, answer) = librarian
            .get_json(&format!("/api/v1/collections/{raw}"))
            .await;
        assert_eq!(status, 404, "{raw}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap()
                .contains("专题")
        );
        let (status, _) = librarian
            .post_json(&format!("/api/v1/collections/{raw}/publish"), &json!({}))
            .await;
        assert_eq!(status, 404, "{raw}");
    }

    // The domain function names the item too, and writes nothing.
    let mut conn = app.state.db.get().unwrap();
    let curator = Actor::operator("curator");
    let input = CollectionInput {
        title: "专题".to_owned(),
        items: vec![ItemInput {
            resource_id: "../../etc/passwd".to_owned(),
            note: None,
        }],
        ..CollectionInput::default()
    };
    let refusal = collections::create(&mut conn, &curator, input, app.state.clock.moment())
        .expect_err("refused");
    assert!(
        refusal
            .to_string()
            .contains("第 1 项：没有编号为“../../etc/passwd”的资源"),
        "{refusal}"
    );
    drop(conn);
    // Since `before`, only the empty collection (its row, revision and audit row).
    let expected = [before[0] + 1, before[1], before[2] + 1, before[3] + 1];
    assert_eq!(written(&app), expected);
}

#[tokio::test]
async fn the_demo_collections_are_there_on_first_start() {
    let app = TestApp::spawn_with_demo().await;
    let officer = app.borrower("officer", "yn-tax").await;
    let (status, list) = officer.get_json("/api/v1/collections").await;
    assert_eq!(status, 200, "{list}");
    let mut found = titles(&list);
    found.sort();
    assert_eq!(found, ["中秋国庆节前警示教育专题", "元旦春节廉洁过节专题"]);
    for (season, title) in [
        ("zhongqiu", "中秋国庆节前警示教育专题"),
        ("chunjie", "元旦春节廉洁过节专题"),
    ] {
        let (_, listed) = officer
            .get_json(&format!("/api/v1/collections?season={season}"))
            .await;
        assert_eq!(titles(&listed), [title]);
        let (status, collection) = officer
            .get_json(&format!(
                "/api/v1/collections/{}",
                listed["collections"][0]["id"]
            ))
            .await;
        assert_eq!(status, 200, "{collection}");
        assert_eq!(collection["status"], "published");
        let items = collection["items"].as_array().unwrap();
        assert!((4..=6).contains(&items.len()), "{collection}");
        assert!(
            items
                .iter()
                .all(|i| !i["note"].as_str().unwrap().is_empty())
        );
        assert!(items.iter().any(|i| i["kind"] == "base"), "{collection}");
        assert!(collection["intro"].as_str().unwrap().contains("示例"));
    }
}
