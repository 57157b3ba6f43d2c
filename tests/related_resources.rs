//! Related resources (issue 19): the resource page's "相关资源" block and
//! `GET /api/v1/resources/{id}/related`. Shared violation types and sectors first, then
//! likeness of words; never the resource itself, never a draft, never another unit's
//! scoped contribution; the route answers 404 where the resource itself is unseen.
//! (All titles and texts are made up for the test.)

use serde_json::{Value, json};

use crate::common::web::{encode, page};
use crate::common::{Session, TestApp};

/// The source resource: 受贿, sectors 海关 and 税务.
const SOURCE: &str = "rel-source";
/// Words of the source's summary, shared by the look-alike.
const SMUGGLING: &str =
    "海关关员走私放行，伪造报关单据。走私货物经报关单据查验放行，海关关员收受好处。";

struct Scene {
    app: TestApp,
    librarian: Session,
    /// A borrower of kunming-customs (海关).
    customs: Session,
    /// A borrower of yn-tax (税务), the contributing unit.
    tax: Session,
    /// yn-tax's contribution shared with the 税务 sector, sharing every label.
    sector_scoped: String,
    /// yn-tax's contribution for the committee only, sharing every label.
    committee_only: String,
}

async fn resource(librarian: &Session, id: &str, fields: Value) {
    let mut body = json!({"id": id, "kind": "case", "access": "open", "status": "published",
                          "date": "2023", "licences": 3});
    for (key, value) in fields.as_object().expect("fields") {
        body[key] = value.clone();
    }
    let (status, answer) = librarian.post_json("/api/v1/resources", &body).await;
    assert_eq!(status, 201, "{answer}");
}

async fn contribution(officer: &Session, title: &str, share: &str) -> String {
    let (status, body) = officer
        .post_json(
            "/api/v1/contributions",
            &json!({
                "kind": "case", "title": title, "access": "open", "date": "2024",
                "sectors": ["海关", "税务"], "violations": ["受贿"], "share": share,
                "summary": SMUGGLING, "declaration": true,
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

async fn scene() -> Scene {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    resource(
        &librarian,
        SOURCE,
        json!({"title": "海关关员走私受贿案通报", "summary": SMUGGLING,
               "violations": ["受贿"], "sectors": ["海关", "税务"]}),
    )
    .await;
    resource(
        &librarian,
        "rel-two",
        json!({"title": "某税务分局局长受贿案", "summary": "收受管理服务对象礼金。",
               "violations": ["受贿"], "sectors": ["税务"], "date": "2021"}),
    )
    .await;
    resource(
        &librarian,
        "rel-one",
        json!({"kind": "textbook", "title": "口岸廉政教育读本", "summary": "廉洁从业。",
               "sectors": ["海关"], "date": "2019"}),
    )
    .await;
    resource(
        &librarian,
        "rel-markup",
        json!({"title": "<script>alert(1)</script>受贿案", "summary": "标题含标记的测试资源。",
               "violations": ["受贿"]}),
    )
    .await;
    resource(
        &librarian,
        "rel-words",
        json!({"title": "走私放行案警示", "summary": SMUGGLING,
               "violations": ["滥用职权"], "sectors": ["金融"]}),
    )
    .await;
    resource(
        &librarian,
        "rel-draft",
        json!({"title": "海关受贿案草稿", "summary": SMUGGLING, "status": "draft",
               "violations": ["受贿"], "sectors": ["海关", "税务"]}),
    )
    .await;
    resource(
        &librarian,
        "rel-none",
        json!({"title": "地面气象观测规范", "summary": "观测仪器的安装与维护。",
               "violations": ["违反八项规定"], "sectors": ["教育"]}),
    )
    .await;
    for (id, title) in [
        ("filler-1", "专题学习一"),
        ("filler-2", "专题学习二"),
        ("filler-3", "专题学习三"),
    ] {
        resource(
            &librarian,
            id,
            json!({"title": title, "summary": "学习材料。"}),
        )
        .await;
    }
    let sector_scoped = contribution(&tax, "税务系统受贿案（本行业共享）", "sector").await;
    let committee_only = contribution(&tax, "税务系统受贿案（仅工委）", "committee").await;
    for id in [&sector_scoped, &committee_only] {
        let (status, body) = librarian
            .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    app.state.refresh_index_now();
    Scene {
        app,
        librarian,
        customs,
        tax,
        sector_scoped,
        committee_only,
    }
}

async fn related_ids(session: &Session, id: &str) -> Vec<String> {
    let (status, body) = session
        .get_json(&format!("/api/v1/resources/{id}/related"))
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().expect("id").to_owned())
        .collect()
}

#[tokio::test]
async fn the_api_lists_shared_labels_first_then_like_words_for_what_the_viewer_may_see() {
    let s = scene().await;
    let (status, body) = s
        .customs
        .get_json(&format!("/api/v1/resources/{SOURCE}/related"))
        .await;
    assert_eq!(status, 200, "{body}");
    let ids: Vec<&str> = body
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["rel-two", "rel-markup", "rel-one", "rel-words"]);
    let first = &body[0];
    assert_eq!(first["title"], "某税务分局局长受贿案");
    assert_eq!(first["kind"], "case");
    assert_eq!(first["year"], 2021);
    assert_eq!(first["shared"], json!(["受贿", "税务"]));
    assert_eq!(body[3]["shared"], json!([]), "related by its words alone");

    // The contributing unit finds its own scoped contributions, first: every label
    // shared. The committee finds both, never the draft.
    let tax = related_ids(&s.tax, SOURCE).await;
    assert!(tax.contains(&s.sector_scoped), "{tax:?}");
    assert!(tax.contains(&s.committee_only), "{tax:?}");
    let librarian = related_ids(&s.librarian, SOURCE).await;
    assert_eq!(librarian.len(), 6, "{librarian:?}");
    for list in [&tax, &librarian] {
        assert!(
            !list.iter().any(|id| id == SOURCE || id == "rel-draft"),
            "{list:?}"
        );
    }
    // Nothing is related to everything: the resource sharing nothing stays out.
    assert!(!librarian.contains(&"rel-none".to_owned()));
}

#[tokio::test]
async fn another_units_scoped_contribution_and_a_draft_never_show() {
    let s = scene().await;
    for id in [SOURCE, "rel-two", "rel-one", "rel-markup", "rel-words"] {
        let ids = related_ids(&s.customs, id).await;
        for hidden in [&s.sector_scoped, &s.committee_only, &"rel-draft".to_owned()] {
            assert!(!ids.contains(hidden), "{id}: {hidden} in {ids:?}");
        }
        assert!(!ids.iter().any(|other| other == id), "{id} lists itself");
        let (status, html) = page(&s.customs, &format!("/resources/{id}")).await;
        assert_eq!(status, 200);
        for hidden in [&s.sector_scoped, &s.committee_only, &"rel-draft".to_owned()] {
            assert!(
                !html.contains(&format!("/resources/{hidden}\"")),
                "{id}: {hidden}"
            );
        }
        assert!(
            !html.contains("税务系统受贿案"),
            "{id}: a scoped title shows"
        );
    }
}

#[tokio::test]
async fn the_resource_page_shows_the_block_with_kind_title_link_and_year() {
    let s = scene().await;
    let (status, html) = page(&s.customs, &format!("/resources/{SOURCE}")).await;
    assert_eq!(status, 200);
    let block = html
        .split("<section class=\"related\"")
        .nth(1)
        .and_then(|rest| rest.split("</section>").next())
        .expect("the related block");
    assert!(block.contains("相关资源"));
    let two = block.find("/resources/rel-two\"").expect("rel-two");
    let one = block.find("/resources/rel-one\"").expect("rel-one");
    let words = block.find("/resources/rel-words\"").expect("rel-words");
    assert!(two < one && one < words, "shared labels first, then words");
    assert!(block.contains("某税务分局局长受贿案"));
    assert!(block.contains("2021 年"));
    assert!(block.contains(">教材<"), "kind badge: {block}");
    assert!(block.contains("同属：受贿、税务"));
    // Markup in a title is shown as text.
    assert!(
        block.contains("&#60;script&#62;alert(1)&#60;/script&#62;受贿案"),
        "{block}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert_eq!(block.matches("<li>").count(), 4, "{block}");

    // A resource related to nothing has no block at all.
    let (status, html) = page(&s.customs, "/resources/rel-none").await;
    assert_eq!(status, 200);
    assert!(!html.contains("相关资源"), "empty block shown");
}

#[tokio::test]
async fn the_route_answers_404_where_the_resource_itself_is_unseen() {
    let s = scene().await;
    // Another unit's scoped contributions and a draft do not exist for this borrower.
    for id in [&s.sector_scoped, &s.committee_only, &"rel-draft".to_owned()] {
        let (status, body) = s
            .customs
            .get_json(&format!("/api/v1/resources/{id}/related"))
            .await;
        assert_eq!(status, 404, "{id}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .expect("message")
                .contains("没有编号为")
        );
    }
    // Whoever may see them gets their list: the contributor, the committee (a draft's
    // list too, without itself).
    assert_eq!(
        s.tax
            .get_json(&format!("/api/v1/resources/{}/related", s.sector_scoped))
            .await
            .0,
        200
    );
    let of_draft = related_ids(&s.librarian, "rel-draft").await;
    assert!(of_draft.contains(&SOURCE.to_owned()), "{of_draft:?}");
    assert!(!of_draft.contains(&"rel-draft".to_owned()));

    // Unknown and hostile ids: 404 with a message, never a 500.
    let long = "a".repeat(5_000);
    for raw in [
        "missing",
        "..%2Fx",
        "%2E%2E%2Fx",
        &encode("<script>alert(1)</script>"),
        &long,
    ] {
        let resp = s
            .customs
            .get(&format!("/api/v1/resources/{raw}/related"))
            .await;
        let status = resp.status().as_u16();
        let body: Value = resp.json().await.unwrap_or(Value::Null);
        assert_eq!(status, 404, "{raw}: {body}");
        assert_eq!(body["error"]["code"], "not_found", "{raw}: {body}");
    }
    // Signed out: no list at all.
    let anonymous = crate::common::client_for(s.app.addr);
    let resp = anonymous
        .get(s.app.url(&format!("/api/v1/resources/{SOURCE}/related")))
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status().as_u16(), 401);
}
