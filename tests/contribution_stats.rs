//! What units share, in the statistics (SPEC §6, §9; issue 18): contributions
//! submitted and published, and loans of a unit's material by other units, per unit,
//! in the JSON, the CSV (columns appended) and on the page; and no statistics list
//! names a contribution outside the viewer's sharing scope.

use jiff::civil::date;
use serde_json::{Value, json};

use crate::browser::{Browser, with_browser};
use crate::common::lending::{act_ok, approved, lift_unit_limits, requested};
use crate::common::web::upload;
use crate::common::{Session, TestApp, USER_PASSWORD};
use jingshi::actor::Actor;

/// The statistics' CSV header before issue 18: other tools read these columns, in
/// this order, so new ones only ever go after them.
const FORMER_CSV_HEADER: [&str; 15] = [
    "单位代码",
    "单位名称",
    "行业",
    "申请次数",
    "批准借阅次数",
    "使用报告数",
    "教育场次",
    "参加人次",
    "覆盖资源类型",
    "覆盖违纪违法类型",
    "状态",
    "参观场次",
    "参观人次",
    "已安排未参观",
    "参观状态",
];

const SHARED_ALL: &str = "某分局干部违规收受礼金案通报（全部单位可见示例）";
const SHARED_SECTOR: &str = "某分局干部违规报销差旅费案通报（仅税务行业示例）";

/// A contribution of `officer`'s unit, submitted; answers its id.
async fn submit(officer: &Session, title: &str, share: &str) -> String {
    let (status, body) = officer
        .post_json(
            "/api/v1/contributions",
            &json!({"kind": "case", "title": title,
                    "summary": "示例：本单位查处的违纪案件通报（虚构，不含个人信息）。",
                    "sectors": ["税务"], "violations": ["受贿"],
                    "access": "open", "share": share, "declaration": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_str().expect("id").to_owned()
}

/// Settles whatever the privacy check found (the texts here hold no personal data,
/// but a finding of the scanner must not make this test about the scanner), then
/// publishes.
async fn publish(librarian: &Session, id: &str) {
    let (status, found) = librarian
        .get_json(&format!("/api/v1/resources/{id}/privacy"))
        .await;
    assert_eq!(status, 200, "{found}");
    for finding in found["findings"].as_array().into_iter().flatten() {
        if finding["acknowledged"].is_null() {
            let (status, body) = librarian
                .post_json(
                    &format!("/api/v1/resources/{id}/privacy/{}/ack", finding["id"]),
                    &json!({"reason": "虚构示例"}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let (status, body) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    lift_unit_limits(librarian, id).await;
}

fn unit<'a>(report: &'a Value, code: &str) -> &'a Value {
    report["units"]
        .as_array()
        .expect("units")
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {report}"))
}

/// The three sharing figures of a unit's row: submitted, published, lent to others.
fn shared(row: &Value) -> (u64, u64, u64) {
    let n = |field: &str| {
        row[field]
            .as_u64()
            .unwrap_or_else(|| panic!("{field}: {row}"))
    };
    (
        n("contributions_submitted"),
        n("contributions_published"),
        n("contributed_loans"),
    )
}

fn ids(list: &Value) -> Vec<&str> {
    list.as_array()
        .expect("list")
        .iter()
        .filter_map(|r| r["id"].as_str())
        .collect()
}

struct Fixture {
    librarian: Session,
    tax: Session,
    customs: Session,
    sector_only: String,
    everyone: String,
}

/// yn-tax (税务) contributes two cases in March 2026, one for every unit and one
/// that customs borrowed while it was shared with every unit and that is now limited
/// to the tax sector. Loans starting in April 2026:
///
/// | borrower | material | outcome | counts for yn-tax |
/// |---|---|---|---|
/// | kunming-customs | everyone | approved | yes |
/// | kunming-customs | sector-only (then `all`) | approved | yes |
/// | kunming-tax (税务) | sector-only | approved | yes |
/// | yn-tax itself | everyone | approved | no: its own |
/// | yn-tobacco | everyone | rejected | no: not lent |
async fn fixture(app: &TestApp) -> Fixture {
    {
        let mut conn = app.state.db.get().expect("connection");
        jingshi::accounts::create_unit(
            &mut conn,
            &Actor::operator("test"),
            "kunming-tax",
            "国家税务总局昆明市税务局",
            "税务",
            app.state.clock.moment(),
        )
        .expect("unit");
    }
    let librarian = app.librarian("stats-lib").await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let kunming_tax = app.borrower("kunming-tax-officer", "kunming-tax").await;
    let tobacco = app.borrower("tobacco-officer", "yn-tobacco").await;

    app.state.clock.set_date(date(2026, 3, 2));
    let everyone = submit(&tax, SHARED_ALL, "all").await;
    let sector_only = submit(&tax, SHARED_SECTOR, "all").await;
    // A third submission, still under review: submitted, not published.
    submit(
        &tax,
        "某分局干部违规经商办企业案通报（审核中示例）",
        "committee",
    )
    .await;
    app.state.clock.set_date(date(2026, 3, 20));
    publish(&librarian, &everyone).await;
    publish(&librarian, &sector_only).await;

    app.state.clock.set_date(date(2026, 3, 30));
    for (who, id) in [
        (&customs, &everyone),
        (&customs, &sector_only),
        (&kunming_tax, &sector_only),
        (&tax, &everyone),
    ] {
        approved(&librarian, who, id, "digital", "2026-04-06", "2026-04-10").await;
    }
    let loan = requested(&tobacco, &everyone, "digital", "2026-04-13", "2026-04-17").await;
    act_ok(
        &librarian,
        &loan,
        "reject",
        json!({"reason": "该时段已安排"}),
    )
    .await;

    // Now only for the tax sector: customs' past loan stays in the counts, but its
    // statistics must no longer name the material.
    let (status, body) = librarian
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/resources/{sector_only}"),
            &json!({"share": "sector"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["share"], "sector", "{body}");
    app.state.clock.set_date(date(2026, 5, 4));
    Fixture {
        librarian,
        tax,
        customs,
        sector_only,
        everyone,
    }
}

#[tokio::test]
async fn sharing_counts_for_the_contributing_unit_only() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let (status, report) = f.librarian.get_json("/api/v1/stats/units").await;
    assert_eq!(status, 200, "{report}");
    // Three submitted in the period, two published, three loans by other units (its
    // own loan and the rejected request do not count).
    assert_eq!(shared(unit(&report, "yn-tax")), (3, 2, 3), "{report}");
    for other in ["kunming-customs", "kunming-tax", "yn-tobacco", "yn-fire"] {
        assert_eq!(shared(unit(&report, other)), (0, 0, 0), "{other}: {report}");
    }
    assert_eq!(report["totals"]["contributions_submitted"], 3);
    assert_eq!(report["totals"]["contributions_published"], 2);
    assert_eq!(report["totals"]["contributed_loans"], 3);
    // The borrowing itself still counts where it always did: with the borrower.
    assert_eq!(unit(&report, "kunming-customs")["loans"], 2, "{report}");
    assert_eq!(unit(&report, "yn-tax")["loans"], 1, "{report}");

    // Another period: none of it.
    let (_, last_year) = f
        .librarian
        .get_json("/api/v1/stats/units?from=2025-01-01&to=2025-12-31")
        .await;
    assert_eq!(shared(unit(&last_year, "yn-tax")), (0, 0, 0), "{last_year}");
    // Submitted in March, published in March, lent from April: each in its month.
    let (_, march) = f
        .librarian
        .get_json("/api/v1/stats/units?from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(shared(unit(&march, "yn-tax")), (3, 2, 0), "{march}");
    let (_, april) = f
        .librarian
        .get_json("/api/v1/stats/units?from=2026-04-01&to=2026-04-30")
        .await;
    assert_eq!(shared(unit(&april, "yn-tax")), (0, 0, 3), "{april}");

    // The contributed material others borrowed, with the borrowing units.
    let (status, overview) = f.librarian.get_json("/api/v1/stats/overview").await;
    assert_eq!(status, 200, "{overview}");
    let used = overview["contributions"].as_array().expect("contributions");
    let of = |id: &str| {
        used.iter()
            .find(|c| c["id"] == id)
            .unwrap_or_else(|| panic!("{id} not in {overview}"))
    };
    assert_eq!(
        (
            of(&f.sector_only)["loans"].as_u64(),
            of(&f.sector_only)["units"].as_u64()
        ),
        (Some(2), Some(2))
    );
    assert_eq!(
        (
            of(&f.everyone)["loans"].as_u64(),
            of(&f.everyone)["units"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(of(&f.everyone)["unit"], "yn-tax");
    assert_eq!(used.len(), 2, "{overview}");

    // The unit sees its own figures and material; customs has shared nothing.
    let (status, own) = f.tax.get_json("/api/v1/stats/overview").await;
    assert_eq!(status, 200, "{own}");
    assert_eq!(shared(unit(&own, "yn-tax")), (3, 2, 3), "{own}");
    assert_eq!(ids(&own["contributions"]).len(), 2, "{own}");
    let (_, customs) = f.customs.get_json("/api/v1/stats/overview").await;
    assert_eq!(shared(unit(&customs, "kunming-customs")), (0, 0, 0));
    assert_eq!(customs["contributions"], json!([]), "{customs}");
    // A borrower asking for the contributor's figures is refused, as before.
    let (status, _) = f.customs.get_json("/api/v1/stats/units?unit=yn-tax").await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn csv_columns_are_appended_after_the_former_ones() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let resp = f
        .librarian
        .client
        .get(f.librarian.url("/api/v1/stats/units?format=csv"))
        .send()
        .await
        .expect("csv");
    assert_eq!(resp.status(), 200);
    let bytes = resp.bytes().await.expect("body");
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").expect("BOM")).unwrap();
    let lines: Vec<&str> = text.split("\r\n").collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(&header[..FORMER_CSV_HEADER.len()], FORMER_CSV_HEADER);
    assert_eq!(
        &header[FORMER_CSV_HEADER.len()..],
        ["投稿数", "已发布投稿", "贡献资源被其他单位借阅次数"]
    );
    let row = |code: &str| -> Vec<&str> {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{code},")))
            .unwrap_or_else(|| panic!("no {code} row in {text}"))
            .split(',')
            .collect()
    };
    for code in ["yn-tax", "kunming-customs", "kunming-tax"] {
        assert_eq!(row(code).len(), header.len(), "{code}");
    }
    assert_eq!(row("yn-tax")[15..], ["3", "2", "3"]);
    assert_eq!(row("kunming-customs")[15..], ["0", "0", "0"]);
    // The former columns keep their meaning: customs asked twice, both lent.
    assert_eq!(row("kunming-customs")[3..5], ["2", "2"]);
}

#[tokio::test]
async fn no_statistics_list_names_material_outside_the_viewers_scope() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    // Customs borrowed both; the sector-only one is now out of its scope.
    let (status, overview) = f.customs.get_json("/api/v1/stats/overview").await;
    assert_eq!(status, 200, "{overview}");
    let top = ids(&overview["top_resources"]);
    assert!(top.contains(&f.everyone.as_str()), "{overview}");
    assert!(!top.contains(&f.sector_only.as_str()), "{overview}");
    let listed = overview.to_string();
    assert!(!listed.contains(&f.sector_only), "{listed}");
    assert!(!listed.contains(SHARED_SECTOR), "{listed}");
    // Its counts are its own history and stay whole.
    assert_eq!(unit(&overview, "kunming-customs")["loans"], 2);
    let page = f.customs.get("/stats").await.text().await.expect("page");
    assert!(
        page.contains(SHARED_ALL),
        "the page lists what customs may see"
    );
    assert!(!page.contains(SHARED_SECTOR), "{page}");
    assert!(!page.contains(&f.sector_only), "{page}");

    // The committee and the contributing unit see it in their lists.
    for viewer in [&f.librarian, &f.tax] {
        let (_, overview) = viewer.get_json("/api/v1/stats/overview").await;
        assert!(overview.to_string().contains(SHARED_SECTOR), "{overview}");
    }
    let page = f.librarian.get("/stats").await.text().await.expect("page");
    assert!(
        page.contains("共享贡献") && page.contains(SHARED_SECTOR),
        "{page}"
    );
    assert!(page.contains("国家税务总局云南省税务局 提供"), "{page}");
    let page = f.tax.get("/stats").await.text().await.expect("page");
    assert!(page.contains("被其他单位借阅的投稿资源"), "{page}");
    assert!(page.contains(SHARED_SECTOR), "{page}");
}

#[tokio::test]
async fn titles_in_the_sharing_lists_are_escaped() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    app.state.clock.set_date(date(2026, 3, 2));
    let id = submit(&tax, "<script>alert(1)</script>案例通报", "all").await;
    let (status, file) = upload(
        &tax,
        &id,
        "通报.md",
        "# 通报\n\n示例正文。".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{file}");
    publish(&librarian, &id).await;
    approved(
        &librarian,
        &customs,
        &id,
        "digital",
        "2026-03-09",
        "2026-03-13",
    )
    .await;

    let page = librarian.get("/stats").await.text().await.expect("page");
    assert!(!page.contains("<script>alert(1)"), "{page}");
    // Escaped in both lists: the most used, and the contributions others borrowed.
    let escaped = "&#60;script&#62;alert(1)&#60;/script&#62;案例通报";
    assert_eq!(page.matches(escaped).count(), 2, "{page}");
}

/// Photographs the "共享贡献" section at desktop and at phone width (where it must
/// not stick out sideways), into `target/screenshots/contribution-stats-*`.
async fn photograph(b: &Browser, name: &str) {
    for (width, height, suffix) in [(1280, 900, ""), (390, 844, "-phone")] {
        b.client
            .set_window_size(width, height)
            .await
            .expect("window size");
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        let wide = b
            .js(
                "return [...document.querySelectorAll('section[aria-labelledby=sharing] *')]\
                   .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
                     && !e.closest('.table-wrap'))\
                   .map(e => e.tagName + '.' + e.className + '#' + e.id)",
            )
            .await;
        assert_eq!(
            wide,
            json!([]),
            "{name}{suffix}: nothing sticks out sideways"
        );
        let section = b
            .client
            .find(fantoccini::Locator::Css("section[aria-labelledby=sharing]"))
            .await
            .expect("the sharing section");
        let png = section.screenshot().await.expect("screenshot");
        let dir = crate::common::repo_root().join("target/screenshots");
        std::fs::create_dir_all(&dir).expect("screenshots folder");
        std::fs::write(
            dir.join(format!("contribution-stats-{name}{suffix}.png")),
            png,
        )
        .expect("save");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sharing_section_in_a_browser() {
    let app = TestApp::spawn().await;
    fixture(&app).await;
    with_browser(app, |b, app| async move {
        b.sign_in(&app, "stats-lib", USER_PASSWORD).await;
        b.goto(&app, "/stats").await;
        b.wait_path("/stats").await;
        let rows = b
            .js(
                "return [...document.querySelectorAll('section[aria-labelledby=sharing] tbody tr')]\
                   .map(r => [...r.children].map(c => c.textContent.trim()))",
            )
            .await;
        assert_eq!(
            rows,
            json!([["国家税务总局云南省税务局", "3", "2", "3"]]),
            "only the unit that shared"
        );
        photograph(&b, "librarian").await;
        b.assert_console_clean("on the statistics page", &[]).await;
        b.click(".logout button").await;
        b.wait_path("/login").await;

        b.sign_in(&app, "tax-officer", USER_PASSWORD).await;
        b.goto(&app, "/stats").await;
        b.wait_path("/stats").await;
        let tiles = b
            .js(
                "return [...document.querySelectorAll('.sharing-tiles li strong')]\
                   .map(e => e.textContent)",
            )
            .await;
        assert_eq!(tiles, json!(["3", "2", "3"]));
        photograph(&b, "unit").await;
    })
    .await;
}
