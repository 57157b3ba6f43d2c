//! The abbreviation dictionary librarians keep (检索词典): API, page and domain; a
//! change takes effect on the next search without a reindex and survives a restart;
//! borrowers may neither read nor change it; hostile entries are refused or shown
//! escaped, and a refusal changes nothing.

use jingshi::actor::Actor;
use jingshi::catalog::synonyms::{self, SynonymInput};
use serde_json::{Value, json};

use crate::common::admin::escaped;
use crate::common::web::{csrf_of, encode, hit_ids, page, post_form};
use crate::common::{Session, TestApp};

fn input(abbreviation: &str, expansion: &str) -> Value {
    json!({"abbreviation": abbreviation, "expansion": expansion})
}

async fn search(session: &Session, q: &str) -> Value {
    let (status, body) = session
        .get_json(&format!("/api/v1/search?q={}", encode(q)))
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

fn changes(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM synonym_changes")
}

fn audited(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM audit_log WHERE action IN ('synonym_added', 'synonym_removed')")
}

#[tokio::test]
async fn a_librarians_entry_changes_search_at_once_and_removing_it_undoes_that() {
    let app = TestApp::spawn_with_demo().await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    // 骗退 is in no demo text; the tax case speaks of 出口退税.
    // Only the OR fallback answers (a document holding 退 or 骗).
    let before = search(&officer, "骗退").await;
    assert_eq!(before["fallback"], true, "{before}");
    assert_eq!(before["expansions"], json!([]));
    assert_eq!(before["expansion_notice"], Value::Null);

    let (status, added) = lib
        .post_json("/api/v1/synonyms", &input("骗退", "出口退税"))
        .await;
    assert_eq!(status, 201, "{added}");
    assert_eq!(
        added,
        json!({"change": "added", "abbreviation": "骗退", "expansion": "出口退税"})
    );
    let after = search(&officer, "骗退").await;
    assert_eq!(after["fallback"], false, "{after}");
    assert!(
        hit_ids(&after).contains(&"demo-tax-invoice-case".to_owned()),
        "{after}"
    );
    assert_eq!(
        after["expansions"],
        json!([{"word": "骗退", "expansions": ["出口退税"], "excluded": false}])
    );
    assert_eq!(after["expansion_notice"], "已同时搜索：出口退税");
    let hit = after["hits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == "demo-tax-invoice-case")
        .unwrap();
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .contains("<mark>出口退税</mark>"),
        "{hit}"
    );
    // An exclusion excludes the expansion too; a quoted word is not expanded.
    let excluded = search(&officer, "受贿 -骗退").await;
    assert!(!hit_ids(&excluded).contains(&"demo-tax-invoice-case".to_owned()));
    assert_eq!(excluded["expansion_notice"], "已同时排除：出口退税");
    let quoted = search(&officer, "\"骗退\"").await;
    assert_eq!(quoted["expansions"], json!([]));

    let (status, listed) = lib.get_json("/api/v1/synonyms").await;
    assert_eq!(status, 200);
    let mine: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["shipped"] == false)
        .collect();
    assert_eq!(mine.len(), 1, "{listed}");
    assert_eq!(mine[0]["abbreviation"], "骗退");
    assert_eq!(mine[0]["changed_by"], "lib");

    let (status, removed) = lib
        .post_json("/api/v1/synonyms/remove", &input("骗退", "出口退税"))
        .await;
    assert_eq!(status, 200, "{removed}");
    assert_eq!(removed["change"], "deleted");
    let again = search(&officer, "骗退").await;
    assert_eq!(again["fallback"], true, "{again}");
    assert_eq!(again["expansion_notice"], Value::Null);
    assert_eq!(changes(&app), 0);
    assert_eq!(audited(&app), 2);
}

#[tokio::test]
async fn a_shipped_entry_taken_out_stops_expanding_until_restored_even_after_a_restart() {
    let app = TestApp::spawn_with_demo().await;
    let lib = app.librarian("lib").await;
    // 双开 is in no demo text; 开除党籍 and 开除公职 are.
    let shipped = search(&lib, "双开").await;
    let total = shipped["total"].as_u64().unwrap();
    assert!(total > 0, "{shipped}");
    assert_eq!(
        shipped["expansion_notice"],
        "已同时搜索：开除党籍、开除公职"
    );
    for expansion in ["开除党籍", "开除公职"] {
        let (status, body) = lib
            .post_json("/api/v1/synonyms/remove", &input("双开", expansion))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["change"], "removed");
    }
    assert_eq!(search(&lib, "双开").await["expansions"], json!([]));
    let (_, listed) = lib.get_json("/api/v1/synonyms").await;
    let taken_out = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["abbreviation"] == "双开")
        .all(|e| e["shipped"] == true && e["removed"] == true);
    assert!(taken_out, "{listed}");
    // Taking it out twice is refused, and nothing changes.
    let (status, body) = lib
        .post_json("/api/v1/synonyms/remove", &input("双开", "开除党籍"))
        .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("词典中没有")
    );
    assert_eq!(changes(&app), 2);

    // The change is kept in the database and installed when the server starts.
    let dir = app.stop().await;
    let app = TestApp::spawn_in(dir).await;
    let lib = app.librarian("lib2").await;
    assert_eq!(search(&lib, "双开").await["expansions"], json!([]));
    let (status, body) = lib
        .post_json("/api/v1/synonyms", &input("双开", "开除党籍"))
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["change"], "restored");
    assert_eq!(
        search(&lib, "双开").await["expansion_notice"],
        "已同时搜索：开除党籍"
    );
    // Adding what is in use is a conflict.
    let (status, body) = lib
        .post_json("/api/v1/synonyms", &input("双开", "开除党籍"))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(changes(&app), 1);
}

#[tokio::test]
async fn borrowers_of_any_unit_may_neither_read_nor_change_the_dictionary() {
    let app = TestApp::spawn().await;
    let tax = app.borrower("officer", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    for officer in [&tax, &customs] {
        let (status, _) = officer.get_json("/api/v1/synonyms").await;
        assert_eq!(status, 403);
        for path in ["/api/v1/synonyms", "/api/v1/synonyms/remove"] {
            let (status, body) = officer
                .post_json(path, &input("刑诉法", "刑事诉讼法"))
                .await;
            assert_eq!(status, 403, "{path}: {body}");
        }
        let (status, _) = page(officer, "/librarian/synonyms").await;
        assert_eq!(status, 403);
        // The page's form, posted with the officer's own valid token, is refused too.
        let (_, home) = page(officer, "/search").await;
        let csrf = csrf_of(&home);
        let (status, _, html) = post_form(
            officer,
            "/librarian/synonyms",
            &[
                ("csrf", &csrf),
                ("abbreviation", "骗退"),
                ("expansion", "出口退税"),
            ],
        )
        .await;
        assert_eq!(status, 403, "{html}");
    }
    assert_eq!(changes(&app), 0);
    assert_eq!(audited(&app), 0);
    // The domain refuses a borrower whatever the web layer does.
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let officer = crate::common::officer_actor();
    let entry = SynonymInput {
        abbreviation: "骗退".into(),
        expansion: "出口退税".into(),
    };
    let refused = synonyms::add(&mut conn, &officer, &entry, at).unwrap_err();
    assert!(refused.to_string().contains("管理员"), "{refused}");
    assert!(synonyms::remove(&mut conn, &officer, &entry, at).is_err());
    assert_eq!(changes(&app), 0);
}

#[tokio::test]
async fn hostile_entries_are_refused_with_a_reason_or_kept_as_plain_text() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let long = "长".repeat(33);
    for (abbreviation, expansion, why) in [
        ("", "刑事诉讼法", "不能为空"),
        ("刑诉法", "   ", "不能为空"),
        (long.as_str(), "刑事诉讼法", "过长"),
        ("刑诉法", long.as_str(), "过长"),
        ("刑诉 法", "刑事诉讼法", "空格"),
        ("a|b", "刑事诉讼法", "“|”"),
        ("刑诉法", "刑事\"诉讼法", "引号"),
        ("刑诉法", "#注释", "“#”"),
        ("刑诉法", "刑诉法", "相同"),
    ] {
        let (status, body) = lib
            .post_json("/api/v1/synonyms", &input(abbreviation, expansion))
            .await;
        assert_eq!(status, 422, "{abbreviation} {expansion}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(why), "{message}");
    }
    // Unknown fields and a body that is not an entry.
    let (status, _) = lib
        .post_json(
            "/api/v1/synonyms",
            &json!({"abbreviation": "a", "expansion": "b", "shipped": false}),
        )
        .await;
    assert_eq!(status, 422);
    let (status, _) = lib.post_json("/api/v1/synonyms", &json!(["刑诉法"])).await;
    assert_eq!(status, 422);
    assert_eq!(changes(&app), 0);
    assert_eq!(audited(&app), 0);

    // Markup and traversal-looking terms are text: stored as typed (normalised), shown
    // escaped, never a path.
    for (abbreviation, expansion) in [
        ("<script>alert(1)</script>", "刑事诉讼法"),
        ("../../etc/passwd", "..\\..\\windows"),
    ] {
        let (status, body) = lib
            .post_json("/api/v1/synonyms", &input(abbreviation, expansion))
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (status, html) = page(&lib, "/librarian/synonyms?q=script").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&escaped("<script>alert(1)</script>")),
        "{html}"
    );
    assert!(!html.contains("<script>alert"));
    let found = search(&lib, "<script>alert(1)</script>").await;
    assert_eq!(found["expansion_notice"], "已同时搜索：刑事诉讼法");
    let (status, html) = page(&lib, "/search?q=..%2F..%2Fetc%2Fpasswd").await;
    assert_eq!(status, 200);
    assert!(html.contains("已同时搜索：..\\..\\windows"), "{html}");
    assert_eq!(changes(&app), 2);
}

#[tokio::test]
async fn the_page_lists_filters_adds_and_keeps_a_refused_entry_beside_the_form() {
    let app = TestApp::spawn().await;
    let lib = app.librarian("lib").await;
    let (status, html) = page(&lib, "/librarian/synonyms").await;
    assert_eq!(status, 200);
    assert!(html.contains("href=\"/librarian/synonyms\" aria-current=\"page\""));
    assert!(html.contains("刑事诉讼法") && html.contains("随程序提供"));
    let csrf = csrf_of(&html);

    // Filtered by a word of either column.
    let (_, filtered) = page(&lib, &format!("/librarian/synonyms?q={}", encode("诉讼"))).await;
    assert!(filtered.contains("刑诉法") && !filtered.contains("两高"));

    // A refusal: the reason beside the form, the typed values kept, nothing saved.
    let long = "长".repeat(40);
    let (status, _, refused) = post_form(
        &lib,
        "/librarian/synonyms",
        &[
            ("csrf", &csrf),
            ("abbreviation", &long),
            ("expansion", "刑事诉讼法"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        refused.contains("role=\"alert\"") && refused.contains("过长"),
        "{refused}"
    );
    assert!(refused.contains(&format!("value=\"{long}\"")));
    assert!(refused.contains("value=\"刑事诉讼法\""));
    assert_eq!(changes(&app), 0);

    // Added, then shown as the librarian's own with who added it.
    let (status, url, added) = post_form(
        &lib,
        "/librarian/synonyms",
        &[
            ("csrf", &csrf),
            ("abbreviation", "骗退"),
            ("expansion", "出口退税"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("done=added"), "{url}");
    assert!(
        added.contains("已添加") && added.contains("自行添加（lib"),
        "{added}"
    );
    // A shipped entry taken out and restored from the list.
    let (_, url, taken_out) = post_form(
        &lib,
        "/librarian/synonyms/remove",
        &[
            ("csrf", &csrf),
            ("q", "刑诉"),
            ("abbreviation", "刑诉法"),
            ("expansion", "刑事诉讼法"),
        ],
    )
    .await;
    assert!(url.contains("done=removed") && url.contains("q="), "{url}");
    assert!(taken_out.contains("<del>刑事诉讼法</del>") && taken_out.contains("恢复"));
    let (_, url, _) = post_form(
        &lib,
        "/librarian/synonyms",
        &[
            ("csrf", &csrf),
            ("abbreviation", "刑诉法"),
            ("expansion", "刑事诉讼法"),
        ],
    )
    .await;
    assert!(url.contains("done=restored"), "{url}");
    // A stale form token changes nothing.
    let (status, _, _) = post_form(
        &lib,
        "/librarian/synonyms/remove",
        &[
            ("csrf", "stale"),
            ("abbreviation", "骗退"),
            ("expansion", "出口退税"),
        ],
    )
    .await;
    assert_ne!(status, 200);
    assert_eq!(changes(&app), 1);
    assert_eq!(audited(&app), 3);
}

#[tokio::test]
async fn the_domain_checks_and_audits_in_one_transaction() {
    let app = TestApp::spawn().await;
    let mut conn = app.state.db.get().unwrap();
    let at = app.state.clock.moment();
    let librarian = Actor {
        librarian: true,
        unit: None,
        ..crate::common::officer_actor()
    };
    let entry = |a: &str, e: &str| SynonymInput {
        abbreviation: a.into(),
        expansion: e.into(),
    };
    assert!(synonyms::add(&mut conn, &librarian, &entry("", "x"), at).is_err());
    assert!(synonyms::add(&mut conn, &librarian, &entry("刑诉法", "刑事诉讼法"), at).is_err());
    assert_eq!(changes(&app), 0);
    assert_eq!(audited(&app), 0);
    // Full width and traditional forms are stored normalised.
    let added = synonyms::add(&mut conn, &librarian, &entry("ＰＸ", "騙取出口退稅"), at).unwrap();
    assert_eq!(
        (added.abbreviation.as_str(), added.expansion.as_str()),
        ("px", "骗取出口退税")
    );
    let effective = synonyms::effective(&conn).unwrap();
    assert_eq!(effective.expansions("px"), ["骗取出口退税"]);
    assert_eq!(effective.expansions("刑诉法"), ["刑事诉讼法"]);
    synonyms::remove(&mut conn, &librarian, &entry("刑诉法", "刑事诉讼法"), at).unwrap();
    let effective = synonyms::effective(&conn).unwrap();
    assert!(effective.expansions("刑诉法").is_empty());
    assert_eq!(
        effective.len(),
        jingshi::search::Synonyms::shipped().len(),
        "one added, one taken out"
    );
    let listed = synonyms::list(&conn).unwrap();
    assert!(
        listed
            .iter()
            .any(|e| e.abbreviation == "刑诉法" && e.removed)
    );
    assert_eq!(audited(&app), 2);
}
