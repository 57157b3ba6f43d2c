//! Warning-education bases (警示教育基地, SPEC §8) in the catalogue: the `base` object
//! through the API, the domain function, the manifest and the editor; its checks; a
//! base is visited, not lent; search finds it by its address; the demo's two bases.

use jingshi::actor::Actor;
use jingshi::catalog::curation::{CurationCommand, ResourcePatch, curate};
use jingshi::catalog::{self, BaseInput, CatalogError, ResourceId, ResourceInput};
use serde_json::{Value, json};

use crate::common::web::{csrf_of, encode, hit_ids, page, post_form};
use crate::common::{Session, TestApp};

fn base_object() -> Value {
    json!({
        "address": "某市某区清风路 88 号（测试）",
        "directions": "乘地铁至清风路站，步行 8 分钟",
        "capacity": 60,
        "lead_days": 3,
        "max_group": 40,
        "requirements": "携带身份证；着装整洁",
        "contact_name": "李老师",
        "contact_phone": "0871 6512 3456",
        "needs_visitor_list": false
    })
}

fn base_body(id: &str) -> Value {
    json!({"id": id, "kind": "base", "title": "廉政教育基地（测试）",
           "summary": "三个展厅", "base": base_object()})
}

/// Creates and publishes a base over the API; answers the resource.
async fn published_base(librarian: &Session, id: &str, body: Value) -> Value {
    let (status, created) = librarian.post_json("/api/v1/resources", &body).await;
    assert_eq!(status, 201, "{created}");
    let (status, published) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{published}");
    published
}

/// Whether `html` shows `text` as text: its `<` and `>` escaped (either way).
fn shown_escaped(html: &str, text: &str) -> bool {
    let named = text.replace('<', "&lt;").replace('>', "&gt;");
    let numbered = text.replace('<', "&#60;").replace('>', "&#62;");
    html.contains(&named) || html.contains(&numbered)
}

fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("SELECT count(*) FROM resources"),
        app.count("SELECT count(*) FROM base_details"),
        app.count("SELECT count(*) FROM resource_history"),
    )
}

#[tokio::test]
async fn a_base_is_created_read_and_patched_over_the_api() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let created = published_base(&librarian, "base-qingfeng", base_body("base-qingfeng")).await;
    assert_eq!(created["kind"], "base");
    assert_eq!(created["kind_label"], "警示教育基地");
    let base = &created["base"];
    assert_eq!(base["address"], "某市某区清风路 88 号（测试）");
    assert_eq!(
        (&base["capacity"], &base["lead_days"], &base["max_group"]),
        (&json!(60), &json!(3), &json!(40))
    );
    // The number is written one way, as units' liaison numbers are.
    assert_eq!(base["contact_phone"], "0871-65123456");
    assert_eq!(base["needs_visitor_list"], false);
    // A base lends nothing: no licence (not "unlimited") and no copy; open by default.
    assert_eq!(created["holdings"]["licences"], 0);
    assert_eq!(created["holdings"]["copies"], json!([]));
    assert_eq!(created["access"], "open");

    // A borrower reads it like any published resource.
    let borrower = app.borrower("officer", "yn-tax").await;
    let (status, shown) = borrower.get_json("/api/v1/resources/base-qingfeng").await;
    assert_eq!(status, 200, "{shown}");
    assert_eq!(shown["base"], created["base"]);

    // A patch changes only the base fields it names.
    let (status, patched) = librarian
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/base-qingfeng",
            &json!({"base": {"capacity": 80, "needs_visitor_list": true}}),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["base"]["capacity"], 80);
    assert_eq!(patched["base"]["needs_visitor_list"], true);
    assert_eq!(patched["base"]["max_group"], 40);
    assert_eq!(patched["base"]["address"], base["address"]);
    assert_eq!(
        app.count("SELECT capacity FROM base_details WHERE resource_id = 'base-qingfeng'"),
        80
    );
    // The edit history names what changed.
    let (_, history) = librarian
        .get_json("/api/v1/resources/base-qingfeng/history")
        .await;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "update", "{history}");
    assert_eq!(last["changes"]["base"][1]["capacity"], 80, "{last}");

    // Other kinds carry no `base` at all; their JSON is as before.
    let (status, case) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "case-plain", "kind": "case", "title": "案例", "licences": 2}),
        )
        .await;
    assert_eq!(status, 201, "{case}");
    assert!(case.get("base").is_none(), "{case}");
    assert_eq!(case["holdings"]["licences"], 2);
    assert_eq!(case["access"], "loan");
    assert_eq!(app.count("SELECT count(*) FROM base_details"), 1);
}

#[tokio::test]
async fn refused_bases_say_why_and_write_nothing() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    published_base(&librarian, "base-ok", base_body("base-ok")).await;
    let (status, _) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "case-ok", "kind": "case", "title": "案例"}),
        )
        .await;
    assert_eq!(status, 201);
    let before = counts(&app);
    let with = |change: Value| {
        let mut body = base_body("base-new");
        for (key, value) in change.as_object().unwrap() {
            body["base"][key] = value.clone();
        }
        body
    };
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"id": "base-new", "kind": "base", "title": "无基地信息"}),
            "必须填写基地信息",
        ),
        (
            json!({"id": "case-new", "kind": "case", "title": "案例", "base": base_object()}),
            "只有警示教育基地",
        ),
        (
            with(json!({"capacity": 0})),
            "每场可接待人数应在 1 至 10000 之间",
        ),
        (
            with(json!({"capacity": 10001})),
            "每场可接待人数应在 1 至 10000 之间",
        ),
        (with(json!({"capacity": null})), "请填写每场可接待人数"),
        (
            with(json!({"lead_days": 91})),
            "提前预约的工作日数应在 0 至 90 之间",
        ),
        (with(json!({"lead_days": -1})), "提前预约的工作日数"),
        (
            with(json!({"max_group": 61})),
            "单个团组人数上限应在 1 至每场可接待人数（60）之间",
        ),
        (with(json!({"max_group": 0})), "单个团组人数上限"),
        (with(json!({"contact_phone": "12345"})), "格式不正确"),
        (with(json!({"address": " "})), "请填写基地地址"),
        (
            with(json!({"address": "路".repeat(201)})),
            "基地地址不能超过 200 个字符",
        ),
        (
            with(json!({"requirements": "纪".repeat(2001)})),
            "参观要求不能超过 2000 个字符",
        ),
        (
            with(json!({"directions": "<script>".repeat(300)})),
            "交通指引不能超过 2000 个字符",
        ),
        (
            {
                let mut body = base_body("base-new");
                body["licences"] = json!(3);
                body
            },
            "不能设置数字许可",
        ),
        (
            {
                let mut body = base_body("base-new");
                body["copies"] = json!(2);
                body
            },
            "不能登记实体副本",
        ),
    ];
    for (body, message) in cases {
        let (status, answer) = librarian.post_json("/api/v1/resources", &body).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid");
        let said = answer["error"]["message"].as_str().unwrap();
        assert!(said.contains(message), "{said} should say {message}");
    }
    // An unknown field of the base object is refused, not ignored.
    let (status, answer) = librarian
        .post_json("/api/v1/resources", &with(json!({"colour": "red"})))
        .await;
    assert!(matches!(status, 400 | 422), "{answer}");

    // Patches: a base keeps its kind, a case does not become a base, bounds hold.
    for (id, patch, message) in [
        ("base-ok", json!({"kind": "case"}), "不能改为其他类型"),
        (
            "case-ok",
            json!({"kind": "base", "base": base_object()}),
            "不能改为警示教育基地",
        ),
        ("base-ok", json!({"base": null}), "必须填写基地信息"),
        (
            "base-ok",
            json!({"base": {"max_group": 61}}),
            "单个团组人数上限",
        ),
        ("base-ok", json!({"licences": 5}), "不能设置数字许可"),
        (
            "case-ok",
            json!({"base": {"capacity": 10}}),
            "只有警示教育基地",
        ),
    ] {
        let (status, answer) = librarian
            .send_json(
                reqwest::Method::PATCH,
                &format!("/api/v1/resources/{id}"),
                &patch,
            )
            .await;
        assert_eq!(status, 422, "{patch}: {answer}");
        let said = answer["error"]["message"].as_str().unwrap();
        assert!(said.contains(message), "{said} should say {message}");
    }
    assert_eq!(counts(&app), before, "nothing half-done");
    assert_eq!(
        app.count("SELECT max_group FROM base_details WHERE resource_id = 'base-ok'"),
        40
    );
}

#[tokio::test]
async fn only_librarians_curate_bases() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    published_base(&librarian, "base-ok", base_body("base-ok")).await;
    let before = counts(&app);
    // A borrower of another unit than any the base is tied to: still not a curator.
    let borrower = app.borrower("other", "yn-tobacco").await;
    let (status, answer) = borrower
        .post_json("/api/v1/resources", &base_body("base-evil"))
        .await;
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = borrower
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/base-ok",
            &json!({"base": {"capacity": 1}}),
        )
        .await;
    assert_eq!(status, 403, "{answer}");
    // Nor through the editor's form.
    let (_, html) = page(&borrower, "/").await;
    let csrf = csrf_of(&html);
    let (status, _, _) = post_form(
        &borrower,
        "/librarian/resources/base-ok",
        &[
            ("csrf", &csrf),
            ("kind", "base"),
            ("title", "改名"),
            ("base_address", "别处"),
            ("base_capacity", "1"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(counts(&app), before);

    // The domain function says the same to a borrower actor.
    let mut conn = app.state.db.get().unwrap();
    let actor = Actor {
        user_id: None,
        username: "other".into(),
        unit: Some("yn-tobacco".into()),
        librarian: false,
        admin: false,
    };
    let input: ResourceInput = serde_json::from_value(base_body("base-evil")).unwrap();
    let refused = curate(
        &mut conn,
        &actor,
        CurationCommand::Create(input),
        app.state.clock.moment(),
    );
    assert!(
        matches!(refused, Err(CatalogError::LibrariansOnly)),
        "{refused:?}"
    );
}

#[tokio::test]
async fn the_domain_function_writes_the_base_with_the_resource() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let librarian = Actor::operator("lib");
    let input = ResourceInput {
        id: Some("base-domain".into()),
        kind: "base".into(),
        title: "监狱警示教育基地（测试）".into(),
        base: Some(BaseInput {
            address: Some("某县监狱路 1 号".into()),
            capacity: Some(30),
            lead_days: Some(10),
            contact_phone: Some("13800138000".into()),
            needs_visitor_list: Some(true),
            ..Default::default()
        }),
        ..Default::default()
    };
    curate(&mut conn, &librarian, CurationCommand::Create(input), at).unwrap();
    let id = ResourceId::parse("base-domain").unwrap();
    let resource = catalog::get_resource(&conn, &id).unwrap();
    let base = resource.base.expect("base details");
    assert_eq!(
        (base.capacity, base.max_group, base.lead_days),
        (30, 30, 10)
    );
    assert!(base.needs_visitor_list);
    assert_eq!(resource.status, catalog::Status::Draft);
    let audit: i64 = conn
        .query_row(
            "SELECT count(*) FROM audit_log WHERE resource_id = 'base-domain'",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(audit, 1);

    let patch: ResourcePatch =
        serde_json::from_value(json!({"base": {"lead_days": 5, "directions": "县城东"}})).unwrap();
    let done = curate(
        &mut conn,
        &librarian,
        CurationCommand::Update(id.clone(), patch),
        at,
    )
    .unwrap();
    assert!(done.changed);
    let base = catalog::get_resource(&conn, &id).unwrap().base.unwrap();
    assert_eq!((base.lead_days, base.directions.as_str()), (5, "县城东"));
    assert_eq!(base.capacity, 30);
    // The same patch again changes nothing and records nothing.
    let patch: ResourcePatch = serde_json::from_value(json!({"base": {"lead_days": 5}})).unwrap();
    let again = curate(
        &mut conn,
        &librarian,
        CurationCommand::Update(id, patch),
        at,
    )
    .unwrap();
    assert!(!again.changed);
}

#[tokio::test]
async fn manifests_import_bases_from_json_and_csv() {
    let app = TestApp::spawn().await;
    let src = tempfile::tempdir().unwrap();
    let manifest = src.path().join("manifest.json");
    let doc = json!({"resources": [
        base_body("base-imported"),
        {"id": "base-bad", "kind": "base", "title": "坏基地", "base": {"address": "某地", "capacity": 0}},
        {"id": "case-with-base", "kind": "case", "title": "案例", "base": base_object()},
        {"id": "case-fine", "kind": "case", "title": "案例"}
    ]});
    std::fs::write(&manifest, serde_json::to_vec(&doc).unwrap()).unwrap();
    let import = |path: &std::path::Path| {
        catalog::import_manifest(
            &app.state.db,
            &app.state.store,
            path,
            &Actor::operator("test"),
            app.state.clock.moment(),
            &mut |_, _| {},
        )
        .unwrap()
    };
    let summary = import(&manifest);
    assert_eq!(summary.created, 2, "{summary:?}");
    assert_eq!(summary.failures.len(), 2, "{summary:?}");
    assert!(
        summary.failures[0].reason.contains("每场可接待人数"),
        "{summary:?}"
    );
    assert_eq!(summary.failures[0].position, "第 2 条（resources[1]）");
    assert!(
        summary.failures[1].reason.contains("只有警示教育基地"),
        "{summary:?}"
    );
    assert_eq!(app.count("SELECT count(*) FROM base_details"), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM resources WHERE id IN ('base-bad', 'case-with-base')"),
        0
    );
    // A second import of the same manifest changes nothing.
    let again = import(&manifest);
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));

    // CSV: one column per field of the base object.
    let csv = src.path().join("bases.csv");
    std::fs::write(
        &csv,
        "id,kind,title,base.address,base.capacity,base.max_group,base.lead_days,base.contact_phone,base.needs_visitor_list\n\
         base-csv,base,法院旁听基地（测试）,某市中级人民法院,50,20,5,0871-65123456,是\n\
         base-csv-bad,base,坏行,某地,50,20,120,,否\n",
    )
    .unwrap();
    let summary = import(&csv);
    assert_eq!(summary.created, 1, "{summary:?}");
    assert_eq!(summary.failures.len(), 1);
    assert_eq!(summary.failures[0].position, "第 3 行");
    assert!(summary.failures[0].reason.contains("提前预约的工作日数"));
    let conn = app.state.db.get().unwrap();
    let base = catalog::get_resource(&conn, &ResourceId::parse("base-csv").unwrap())
        .unwrap()
        .base
        .unwrap();
    assert_eq!((base.capacity, base.max_group, base.lead_days), (50, 20, 5));
    assert!(base.needs_visitor_list);
}

#[tokio::test]
async fn a_base_is_visited_not_lent() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    published_base(&librarian, "base-visit", base_body("base-visit")).await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let (status, answer) = crate::common::lending::request(
        &borrower,
        "base-visit",
        "digital",
        &crate::common::lending::day(10),
        &crate::common::lending::day(12),
    )
    .await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["error"]["message"]
            .as_str()
            .unwrap()
            .contains("警示教育基地请通过预约参观申请，不能借阅"),
        "{answer}"
    );
    assert_eq!(app.count("SELECT count(*) FROM loans"), 0);

    // Its page tells a unit how to visit, instead of the loan form.
    let (status, html) = page(&borrower, "/resources/base-visit").await;
    assert_eq!(status, 200);
    for shown in [
        "某市某区清风路 88 号（测试）",
        "乘地铁至清风路站，步行 8 分钟",
        "60 人",
        "最多 40 人",
        "提前 3 个工作日预约",
        "携带身份证；着装整洁",
        "李老师 0871-65123456",
        "href=\"/visits/new?base=base-visit\"",
        "预约参观",
    ] {
        assert!(html.contains(shown), "page lacks {shown}");
    }
    assert!(!html.contains("需要提供参观人员名单"));
    assert!(!html.contains("action=\"/resources/base-visit/loan\""));
    assert!(!html.contains("申请借阅"));
    // The page's loan form route refuses it too.
    let csrf = csrf_of(&html);
    let (status, _, body) = post_form(
        &borrower,
        "/resources/base-visit/loan",
        &[
            ("csrf", &csrf),
            ("format", "digital"),
            ("start", &crate::common::lending::day(10)),
            ("end", &crate::common::lending::day(12)),
            ("purpose", "参观"),
            ("audience", "20"),
        ],
    )
    .await;
    assert_ne!(status, 200, "{body}");
    assert!(body.contains("警示教育基地请通过预约参观申请"), "{body}");
    assert_eq!(app.count("SELECT count(*) FROM loans"), 0);

    // A base that needs a list says so.
    let (status, _) = librarian
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/base-visit",
            &json!({"base": {"needs_visitor_list": true, "lead_days": 0}}),
        )
        .await;
    assert_eq!(status, 200);
    let (_, html) = page(&borrower, "/resources/base-visit").await;
    assert!(html.contains("需要提供参观人员名单（含身份证号）"));
    assert!(html.contains("无需提前"));
}

#[tokio::test]
async fn markup_in_a_base_is_shown_as_text() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let mut body = base_body("base-hostile");
    body["base"]["address"] = json!("<script>alert('地址')</script>");
    body["base"]["requirements"] = json!("<img src=x onerror=alert(1)>须知");
    body["base"]["contact_name"] = json!("<b>王</b>");
    published_base(&librarian, "base-hostile", body).await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let (status, html) = page(&borrower, "/resources/base-hostile").await;
    assert_eq!(status, 200);
    assert!(shown_escaped(&html, "<script>alert("), "address escaped");
    assert!(!html.contains("<script>alert("));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("<b>王</b>"));
    // The editor shows the values as typed, escaped.
    let (status, html) = page(&librarian, "/librarian/resources/base-hostile").await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert("));
    assert!(shown_escaped(&html, "<img src=x onerror=alert(1)>须知"));
}

#[tokio::test]
async fn the_editor_creates_a_base_and_keeps_what_was_typed_when_refused() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let (status, html) = page(&librarian, "/librarian/resources/new?kind=base").await;
    assert_eq!(status, 200);
    assert!(html.contains("基地信息（仅警示教育基地）"));
    assert!(html.contains("name=\"base_capacity\""));
    let csrf = csrf_of(&html);
    let fields = |capacity: &'static str| {
        vec![
            ("csrf", csrf.clone()),
            ("id", "base-form".to_owned()),
            ("kind", "base".to_owned()),
            ("title", "表单基地（测试）".to_owned()),
            ("access", "open".to_owned()),
            ("base_address", "某市某路 9 号".to_owned()),
            ("base_directions", "公交 5 路".to_owned()),
            ("base_capacity", capacity.to_owned()),
            ("base_max_group", "".to_owned()),
            ("base_lead_days", "2".to_owned()),
            ("base_requirements", "着装整洁".to_owned()),
            ("base_contact_name", "赵".to_owned()),
            ("base_contact_phone", "13800138000".to_owned()),
            ("base_needs_visitor_list", "1".to_owned()),
            ("licences", "".to_owned()),
            ("copies", "".to_owned()),
        ]
    };
    let post = |pairs: Vec<(&'static str, String)>| {
        let librarian = &librarian;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(librarian, "/librarian/resources", &pairs).await
        }
    };
    // Refused: the message beside the form, the typed values kept, nothing written.
    for (capacity, message) in [
        ("0", "每场可接待人数应在 1 至 10000 之间"),
        ("很多", "每场可接待人数应为整数"),
    ] {
        let (status, _, html) = post(fields(capacity)).await;
        assert_eq!(status, 422);
        assert!(html.contains(message), "{message}");
        assert!(html.contains("value=\"某市某路 9 号\""));
        assert!(html.contains("着装整洁</textarea>"));
        assert_eq!(app.count("SELECT count(*) FROM resources"), 0);
    }
    let (status, url, _) = post(fields("45")).await;
    assert_eq!(status, 200);
    assert!(url.contains("/librarian/resources/base-form"), "{url}");
    let (_, shown) = librarian.get_json("/api/v1/resources/base-form").await;
    assert_eq!(shown["base"]["capacity"], 45);
    assert_eq!(shown["base"]["max_group"], 45);
    assert_eq!(shown["base"]["needs_visitor_list"], true);
    assert_eq!(shown["holdings"]["licences"], 0);

    // Editing shows the base's fields, not the holdings, and saves a change.
    let (_, html) = page(&librarian, "/librarian/resources/base-form").await;
    assert!(html.contains("value=\"45\""));
    assert!(!html.contains("name=\"copies\""));
    let mut changed = fields("45");
    changed.retain(|(k, _)| !matches!(*k, "id" | "base_needs_visitor_list" | "base_max_group"));
    changed.push(("base_max_group", "20".to_owned()));
    let (status, url, _) = post_form(
        &librarian,
        "/librarian/resources/base-form",
        &changed
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .collect::<Vec<_>>(),
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("notice=saved"), "{url}");
    let (_, shown) = librarian.get_json("/api/v1/resources/base-form").await;
    assert_eq!(shown["base"]["max_group"], 20);
    assert_eq!(shown["base"]["needs_visitor_list"], false);
}

#[tokio::test]
async fn search_finds_a_base_by_its_address_and_facets_it() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let mut body = base_body("base-search");
    body["base"]["address"] = json!("某市翠湖北路 12 号");
    body["base"]["requirements"] = json!("禁止携带打火机进入展厅");
    published_base(&librarian, "base-search", body).await;
    let (status, _) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "case-search", "kind": "case", "title": "翠湖案例", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201);
    let borrower = app.borrower("officer", "yn-tax").await;
    for words in ["翠湖北路", "打火机"] {
        let (status, found) = borrower
            .get_json(&format!("/api/v1/search?q={}", encode(words)))
            .await;
        assert_eq!(status, 200, "{found}");
        assert!(
            hit_ids(&found).contains(&"base-search".to_owned()),
            "{words}: {found}"
        );
        assert_eq!(found["facets"]["kind"]["base"], 1, "{found}");
    }
    let (_, only) = borrower.get_json("/api/v1/search?kind=base").await;
    assert_eq!(hit_ids(&only), ["base-search"]);
    // "Available now" is about lending: a base lends nothing, and the filter still answers.
    let (status, available) = borrower.get_json("/api/v1/search?available=true").await;
    assert_eq!(status, 200, "{available}");
    assert!(!hit_ids(&available).contains(&"base-search".to_owned()));
    let (status, _) = page(
        &borrower,
        &format!("/search?q={}&available=true", encode("翠湖")),
    )
    .await;
    assert_eq!(status, 200);
    let (status, html_all) = page(&borrower, &format!("/search?q={}", encode("翠湖北路"))).await;
    assert_eq!(status, 200);
    assert!(html_all.contains("警示教育基地"), "facet label");
    assert!(html_all.contains("/resources/base-search"));
}

#[tokio::test]
async fn the_demo_has_two_fictional_bases() {
    let app = TestApp::spawn_with_demo().await;
    assert_eq!(
        app.count("SELECT count(*) FROM resources WHERE kind = 'base' AND status = 'published'"),
        2
    );
    assert_eq!(app.count("SELECT count(*) FROM base_details"), 2);
    assert_eq!(
        app.count("SELECT count(*) FROM base_details WHERE needs_visitor_list = 1"),
        1
    );
    assert_eq!(
        app.count(
            "SELECT count(*) FROM resources r JOIN base_details b ON b.resource_id = r.id
             WHERE r.title LIKE '%示例%' AND b.address LIKE '%示例%'"
        ),
        2
    );
    let borrower = app.borrower("officer", "yn-tax").await;
    let (status, html) = page(&borrower, "/resources/demo-base-prison").await;
    assert_eq!(status, 200);
    assert!(html.contains("需要提供参观人员名单（含身份证号）"));
    assert!(html.contains("提前 10 个工作日预约"));
    let (_, found) = borrower
        .get_json(&format!("/api/v1/search?q={}", encode("监狱")))
        .await;
    assert!(
        hit_ids(&found).contains(&"demo-base-prison".to_owned()),
        "{found}"
    );
    assert_eq!(found["facets"]["kind"]["base"], 1, "{found}");
}

/// A base's page and its editor in headless Chromium, at desktop and phone width
/// (`target/screenshots/base-*`); the editor shows a base's fields only for kind base.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn base_pages_in_the_browser() {
    use crate::browser::{Browser, with_browser};
    async fn photograph(b: &Browser, name: &str) {
        b.screenshot_page(&format!("base-{name}")).await;
        b.client.set_window_size(390, 844).await.expect("phone");
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let wide = b
            .js("return [...document.querySelectorAll('body *')]\
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
                     && !e.closest('.table-wrap')).map(e => e.tagName + '.' + e.className)")
            .await;
        assert_eq!(wide, json!([]), "{name}: no sideways scrolling on a phone");
        b.screenshot_page(&format!("base-{name}-phone")).await;
        b.client.set_window_size(1280, 900).await.expect("desktop");
    }
    let app = TestApp::spawn_with_demo().await;
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "admin", crate::common::ADMIN_PASSWORD)
            .await;
        b.goto(&app, "/resources/demo-base-prison").await;
        assert!(
            b.text(".base-visit")
                .await
                .contains("需要提供参观人员名单（含身份证号）")
        );
        photograph(&b, "page").await;
        b.goto(&app, "/librarian/resources/demo-base-integrity-hall")
            .await;
        photograph(&b, "editor").await;
        b.goto(&app, "/librarian/resources/new").await;
        let shown = "return [document.getElementById('f-base').hidden, \
                     document.querySelector('[data-kind-except]').hidden]";
        assert_eq!(
            b.js(shown).await,
            json!([true, false]),
            "a case: holdings, no base"
        );
        b.js(
            "const k = document.getElementById('f-kind'); k.value = 'base'; \
              k.dispatchEvent(new Event('change')); return null",
        )
        .await;
        assert_eq!(
            b.js(shown).await,
            json!([false, true]),
            "a base: base, no holdings"
        );
        photograph(&b, "new").await;
    })
    .await;
}
