//! A contribution's sharing scope holds everywhere a resource shows up (SPEC §9,
//! issue 18): search hits and totals, every facet count, the search and home pages,
//! suggestions, recommendations, the resource in JSON and as a page, its files and
//! subtitles, its loan calendar, loan requests and the statistics lists. Four people
//! look at the same catalogue: a borrower of another sector (海关), a borrower of
//! another unit of the contributor's sector (税务), the contributing unit itself and
//! a librarian. And a change of the contributing unit's sector moves who finds it.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common::admin::post_with_token;
use crate::common::lending::{approved, day, lendable_titled, set_today};
use crate::common::web::{encode, hit_ids, page, upload};
use crate::common::{Session, TestApp};

/// In every title, so one query finds them all.
const MARK: &str = "滇税共享";

/// What the test knows of one resource of the scene.
struct Item {
    id: String,
    title: String,
    kind: &'static str,
    access: &'static str,
    year: &'static str,
    sectors: &'static [&'static str],
    violation: &'static str,
    /// A Markdown document and a WebVTT track (contributions only).
    doc: Option<String>,
    track: Option<String>,
}

/// The catalogue and the people of the scene.
struct Scene {
    app: TestApp,
    librarian: Session,
    /// A borrower of yn-tax, the contributing unit (税务).
    contributor: Session,
    /// A borrower of yn-tax-kunming, another unit of the 税务 sector.
    peer: Session,
    /// A borrower of kunming-customs (海关).
    other: Session,
    /// Shared with every unit, open access.
    all: Item,
    /// Shared with the 税务 sector, lent only.
    sector: Item,
    /// Shared with the committee only, open access.
    committee: Item,
    /// Submitted, never published (shared with every unit once it would be).
    pending: Item,
    /// The committee's own material, lent only.
    own: Item,
}

impl Scene {
    fn items(&self) -> [&Item; 5] {
        [
            &self.all,
            &self.sector,
            &self.committee,
            &self.pending,
            &self.own,
        ]
    }
}

/// Submits a contribution as `officer` with a document and a subtitle track.
#[allow(clippy::too_many_arguments)]
async fn contributed(
    officer: &Session,
    title: &str,
    kind: &'static str,
    access: &'static str,
    year: &'static str,
    violation: &'static str,
    share: &str,
) -> Item {
    const SECTORS: &[&str] = &["税务", "海关"];
    let (status, body) = officer
        .post_json(
            "/api/v1/contributions",
            &json!({
                "kind": kind, "title": title, "access": access, "date": year,
                "licences": 5, "region": "云南省昆明市", "sectors": SECTORS,
                "violations": [violation], "share": share, "declaration": true,
                "summary": "本单位查处的一起案件，供警示教育使用（虚构示例）。",
            }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let text = format!("# {title}\n\n本单位查处的一起案件，材料为虚构示例。\n");
    let (status, doc) = upload(officer, &id, "通报.md", text.into_bytes()).await;
    assert_eq!(status, 201, "{doc}");
    let cue = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n警示教育字幕\n";
    let (status, track) = upload(officer, &id, "字幕.vtt", cue.as_bytes().to_vec()).await;
    assert_eq!(status, 201, "{track}");
    Item {
        id,
        title: title.to_owned(),
        kind,
        access,
        year,
        sectors: SECTORS,
        violation,
        doc: doc["id"].as_str().map(str::to_owned),
        track: track["id"].as_str().map(str::to_owned),
    }
}

async fn publish(librarian: &Session, id: &str) {
    let (status, body) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
}

async fn scene() -> Scene {
    let app = TestApp::spawn().await;
    set_today(&app, 0);
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
    let peer = app.borrower("tax-peer", "yn-tax-kunming").await;
    let other = app.borrower("customs-officer", "kunming-customs").await;

    let all = contributed(
        &contributor,
        &format!("{MARK}案例通报（全部单位）"),
        "case",
        "open",
        "2019",
        "违规收受礼金",
        "all",
    )
    .await;
    let sector = contributed(
        &contributor,
        &format!("{MARK}警示片（本行业）"),
        "video",
        "loan",
        "2020",
        "公款吃喝",
        "sector",
    )
    .await;
    let committee = contributed(
        &contributor,
        &format!("{MARK}内部教材（仅工委）"),
        "textbook",
        "open",
        "2021",
        "违规经商办企业",
        "committee",
    )
    .await;
    let pending = contributed(
        &contributor,
        &format!("{MARK}忏悔录（待审核）"),
        "confession",
        "open",
        "2022",
        "滥用职权",
        "all",
    )
    .await;
    for item in [&all, &sector, &committee] {
        publish(&librarian, &item.id).await;
    }
    let own_title = format!("{MARK}工委自有警示片");
    let body = lendable_titled(&librarian, "committee-own", &own_title, Some(5), 0).await;
    let (status, _) = librarian
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/committee-own",
            &json!({"date": "2018", "sectors": ["海关"], "violations": ["受贿"]}),
        )
        .await;
    assert_eq!(status, 200);
    let own = Item {
        id: body["id"].as_str().expect("id").to_owned(),
        title: own_title,
        kind: "video",
        access: "loan",
        year: "2018",
        sectors: &["海关"],
        violation: "受贿",
        doc: None,
        track: None,
    };
    // The patch of the committee's own reaches the index with the follower; the
    // scene is complete once the index has it.
    app.state.refresh_index_now();
    Scene {
        app,
        librarian,
        contributor,
        peer,
        other,
        all,
        sector,
        committee,
        pending,
        own,
    }
}

/// The facet counts a search over exactly `items` must answer.
fn facets_of(items: &[&Item]) -> Value {
    let mut kind = BTreeMap::<&str, u64>::new();
    let mut sector = BTreeMap::<&str, u64>::new();
    let mut violation = BTreeMap::<&str, u64>::new();
    let mut year = BTreeMap::<&str, u64>::new();
    let mut access = BTreeMap::<&str, u64>::new();
    for item in items {
        *kind.entry(item.kind).or_default() += 1;
        for s in item.sectors {
            *sector.entry(s).or_default() += 1;
        }
        *violation.entry(item.violation).or_default() += 1;
        *year.entry(item.year).or_default() += 1;
        *access.entry(item.access).or_default() += 1;
    }
    json!({"kind": kind, "sector": sector, "violation": violation, "year": year, "access": access})
}

/// A facet map as answered, without zero counts.
fn counted(facet: &Value) -> Value {
    let map = facet.as_object().expect("facet map");
    Value::Object(
        map.iter()
            .filter(|(_, n)| n.as_u64() != Some(0))
            .map(|(k, n)| (k.clone(), n.clone()))
            .collect(),
    )
}

fn ids_of(items: &[&Item]) -> BTreeSet<String> {
    items.iter().map(|i| i.id.clone()).collect()
}

/// What `who` finds in search (everything of the scene, and what matches `MARK`):
/// exactly `expected`, with the facet counts of exactly those.
async fn assert_search(who: &str, session: &Session, extra: &str, expected: &[&Item]) {
    let (status, body) = session
        .get_json(&format!("/api/v1/search?per_page=50{extra}"))
        .await;
    assert_eq!(status, 200, "{who}: {body}");
    let found: BTreeSet<String> = hit_ids(&body).into_iter().collect();
    assert_eq!(found, ids_of(expected), "{who}: hits");
    assert_eq!(body["total"], expected.len(), "{who}: total");
    let want = facets_of(expected);
    for facet in ["kind", "sector", "violation", "year", "access"] {
        assert_eq!(
            counted(&body["facets"][facet]),
            want[facet],
            "{who}: facet {facet}"
        );
    }
    let (status, body) = session
        .get_json(&format!(
            "/api/v1/search?per_page=50&q={}{extra}",
            encode(MARK)
        ))
        .await;
    assert_eq!(status, 200, "{who}: {body}");
    let found: BTreeSet<String> = hit_ids(&body).into_iter().collect();
    assert_eq!(found, ids_of(expected), "{who}: hits of {MARK}");
    assert_eq!(body["total"], expected.len(), "{who}: total of {MARK}");
}

/// `html` shows every resource of `shown` (its title or its link) and nothing of
/// `hidden`.
fn assert_titles(who: &str, what: &str, html: &str, shown: &[&Item], hidden: &[&Item]) {
    for item in shown {
        // A search page marks the query's words inside the title: its link counts.
        assert!(
            html.contains(&item.title) || html.contains(&format!("/resources/{}\"", item.id)),
            "{who}: {what} lacks {}",
            item.title
        );
    }
    for item in hidden {
        assert!(
            !html.contains(&item.title) && !html.contains(&format!("/resources/{}", item.id)),
            "{who}: {what} shows {}",
            item.title
        );
    }
}

/// The status `session` gets for `path`.
async fn status_of(session: &Session, path: &str) -> u16 {
    session.get(path).await.status().as_u16()
}

#[tokio::test]
async fn the_sharing_scope_holds_on_every_surface() {
    let s = scene().await;
    let all_items = s.items();
    let hidden_from = |seen: &[&Item]| -> Vec<&Item> {
        all_items
            .iter()
            .copied()
            .filter(|i| !seen.iter().any(|v| v.id == i.id))
            .collect()
    };
    // Who sees which resource at all (published within scope, or the own unit's).
    let people: [(&str, &Session, Vec<&Item>); 4] = [
        ("other sector", &s.other, vec![&s.all, &s.own]),
        ("same sector", &s.peer, vec![&s.all, &s.sector, &s.own]),
        (
            "contributor",
            &s.contributor,
            vec![&s.all, &s.sector, &s.committee, &s.pending, &s.own],
        ),
        (
            "librarian",
            &s.librarian,
            vec![&s.all, &s.sector, &s.committee, &s.pending, &s.own],
        ),
    ];

    for (who, session, seen) in &people {
        let hidden = hidden_from(seen);
        // The resource in JSON and as a page: 404 when out of scope.
        for item in all_items {
            let want = if seen.iter().any(|v| v.id == item.id) {
                200
            } else {
                404
            };
            let path = format!("/api/v1/resources/{}", item.id);
            assert_eq!(status_of(session, &path).await, want, "{who}: {path}");
            let path = format!("/resources/{}", item.id);
            assert_eq!(status_of(session, &path).await, want, "{who}: {path}");
        }

        // Search: hits, total and every facet count; submitted material stays out
        // of every borrower's search, the own unit's included.
        let searched: Vec<&Item> = seen
            .iter()
            .copied()
            .filter(|i| i.id != s.pending.id)
            .collect();
        assert_search(who, session, "", &searched).await;
        let (status, html) = page(session, &format!("/search?q={}", encode(MARK))).await;
        assert_eq!(status, 200, "{who}");
        let unsearched = hidden_from(&searched);
        assert_titles(who, "the search page", &html, &searched, &unsearched);

        // Suggestions while typing (a librarian's include what is not published).
        let completed = if *who == "librarian" { seen } else { &searched };
        let (status, body) = session
            .get_json(&format!("/api/v1/suggest?q={}", encode(MARK)))
            .await;
        assert_eq!(status, 200, "{who}: {body}");
        let suggested: BTreeSet<String> = body
            .as_array()
            .expect("suggestions")
            .iter()
            .map(|s| s["id"].as_str().expect("id").to_owned())
            .collect();
        assert_eq!(suggested, ids_of(completed), "{who}: suggestions");

        // The home page's lists and "for your unit".
        let (status, html) = page(session, "/").await;
        assert_eq!(status, 200, "{who}");
        assert_titles(who, "the home page", &html, &[&s.all], &unsearched);
        let (status, body) = session.get_json("/api/v1/recommendations?limit=50").await;
        assert_eq!(status, 200, "{who}: {body}");
        let recommended: BTreeSet<String> = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect();
        for item in &unsearched {
            assert!(
                !recommended.contains(&item.id),
                "{who}: recommends {}",
                item.title
            );
        }

        // Each contribution's document and subtitle track.
        for item in all_items {
            let (Some(doc), Some(track)) = (&item.doc, &item.track) else {
                continue;
            };
            let want = if hidden.iter().any(|h| h.id == item.id) {
                404
            } else if item.access == "loan" && *who == "same sector" {
                // Within scope, lent only, and no loan of it yet.
                403
            } else {
                200
            };
            let path = format!("/api/v1/files/{doc}");
            assert_eq!(status_of(session, &path).await, want, "{who}: {path}");
            let path = format!("/subtitles/{track}");
            assert_eq!(status_of(session, &path).await, want, "{who}: {path}");
        }
    }

    // A librarian's search finds the submitted one only when asking for unpublished.
    assert_search(
        "librarian with unpublished",
        &s.librarian,
        "&include_unpublished=1",
        &all_items,
    )
    .await;

    // The review's conversation is the unit's and the committee's.
    let events = format!("/api/v1/contributions/{}/events", s.pending.id);
    assert_eq!(status_of(&s.contributor, &events).await, 200);
    assert_eq!(status_of(&s.librarian, &events).await, 200);
    assert_eq!(status_of(&s.peer, &events).await, 404);
    assert_eq!(status_of(&s.other, &events).await, 404);
    let (_, listed) = s.peer.get_json("/api/v1/contributions").await;
    assert_eq!(
        listed,
        json!([]),
        "another unit of the sector lists nothing"
    );

    // The loan calendar, availability and settings: as unknown to those out of scope.
    for item in [&s.sector, &s.committee, &s.pending] {
        for path in [
            format!("/api/v1/resources/{}/calendar", item.id),
            format!(
                "/api/v1/resources/{}/availability?format=digital&start={}&end={}",
                item.id,
                day(1),
                day(3)
            ),
            format!("/api/v1/resources/{}/loan-settings", item.id),
        ] {
            let (status, body) = s.other.get_json(&path).await;
            assert_eq!(status, 404, "other sector: {path}: {body}");
            assert!(!body.to_string().contains(&item.title), "{body}");
            let want = if item.id == s.sector.id { 200 } else { 404 };
            assert_eq!(status_of(&s.peer, &path).await, want, "same sector: {path}");
        }
    }

    // Loan requests: as unknown to a borrower out of scope; a librarian asking for
    // such a unit is told why.
    let loan = |resource: &str, unit: Option<&str>| {
        let mut body = json!({"resource_id": resource, "format": "digital",
            "start": day(1), "end": day(3), "purpose": "警示教育大会", "audience": 30});
        if let Some(unit) = unit {
            body["unit"] = json!(unit);
        }
        body
    };
    for item in [&s.sector, &s.committee, &s.pending] {
        let (status, body) = s
            .other
            .post_json("/api/v1/loans", &loan(&item.id, None))
            .await;
        assert_eq!(status, 404, "other sector borrows {}: {body}", item.title);
        assert!(!body.to_string().contains(&item.title), "{body}");
    }
    // The resource page's loan form answers the same.
    let (start, end) = (day(1), day(3));
    let form = [
        ("format", "digital"),
        ("start", start.as_str()),
        ("end", end.as_str()),
        ("purpose", "警示教育大会"),
        ("audience", "30"),
    ];
    for item in [&s.sector, &s.committee] {
        let path = format!("/resources/{}/loan", item.id);
        let (status, _, html) = post_with_token(&s.other, &path, &form).await;
        assert_eq!(status, 404, "other sector: {path}");
        assert!(!html.contains(&item.title), "{html}");
    }
    for item in [&s.committee, &s.pending] {
        let (status, body) = s
            .peer
            .post_json("/api/v1/loans", &loan(&item.id, None))
            .await;
        assert_eq!(status, 404, "same sector borrows {}: {body}", item.title);
    }
    for (item, words) in [(&s.sector, "本行业单位"), (&s.committee, "仅工委")] {
        let (status, body) = s
            .librarian
            .post_json("/api/v1/loans", &loan(&item.id, Some("kunming-customs")))
            .await;
        assert_eq!(status, 422, "{body}");
        let message = body["error"]["message"].as_str().expect("message");
        assert!(message.contains(words), "{message}");
    }
    assert_eq!(
        s.app.count("SELECT count(*) FROM loans"),
        0,
        "no refused request left a loan"
    );

    // Statistics: each unit's lists hold only what it could borrow.
    approved(
        &s.librarian,
        &s.peer,
        &s.sector.id,
        "digital",
        &day(1),
        &day(3),
    )
    .await;
    approved(
        &s.librarian,
        &s.other,
        &s.own.id,
        "digital",
        &day(1),
        &day(3),
    )
    .await;
    let top = |overview: &Value| -> BTreeSet<String> {
        overview["top_resources"]
            .as_array()
            .expect("top resources")
            .iter()
            .map(|r| r["id"].as_str().expect("id").to_owned())
            .collect()
    };
    let scoped = [&s.sector, &s.committee, &s.pending];
    let (status, overview) = s.other.get_json("/api/v1/stats/overview").await;
    assert_eq!(status, 200, "{overview}");
    assert_eq!(top(&overview), ids_of(&[&s.own]));
    for item in scoped {
        assert!(!overview.to_string().contains(&item.title), "{overview}");
    }
    let (status, units) = s.other.get_json("/api/v1/stats/units").await;
    assert_eq!(status, 200, "{units}");
    assert_eq!(units["units"][0]["kinds"], json!(["video"]), "{units}");
    assert_eq!(units["units"][0]["violations"], json!(["受贿"]), "{units}");
    let (status, html) = page(&s.other, "/stats").await;
    assert_eq!(status, 200);
    assert_titles(
        "other sector",
        "the statistics page",
        &html,
        &[&s.own],
        &scoped,
    );
    let (_, overview) = s.peer.get_json("/api/v1/stats/overview").await;
    assert_eq!(top(&overview), ids_of(&[&s.sector]));
    let (_, overview) = s.librarian.get_json("/api/v1/stats/overview").await;
    assert_eq!(top(&overview), ids_of(&[&s.sector, &s.own]));
}

/// A case contributed by `officer`'s unit with `share`, published by `librarian`;
/// answers its id.
async fn published(officer: &Session, librarian: &Session, title: &str, share: &str) -> String {
    let (status, body) = officer
        .post_json(
            "/api/v1/contributions",
            &json!({"kind": "case", "title": title, "share": share, "declaration": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    publish(librarian, &id).await;
    id
}

/// How many titles `session` is offered while typing 审计系统.
async fn suggested(session: &Session) -> usize {
    let (status, body) = session
        .get_json(&format!("/api/v1/suggest?q={}", encode("审计系统")))
        .await;
    assert_eq!(status, 200, "{body}");
    body.as_array().map(Vec::len).unwrap_or(0)
}

/// Search hits of `q` for `session`.
async fn found(session: &Session, q: &str) -> Vec<String> {
    let (status, body) = session
        .get_json(&format!("/api/v1/search?q={}", encode(q)))
        .await;
    assert_eq!(status, 200, "{body}");
    hit_ids(&body)
}

#[tokio::test]
async fn a_change_of_the_units_sector_moves_who_finds_its_contribution() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (code, name) in [
        ("yn-audit", "审计署驻昆明特派员办事处"),
        ("yn-audit-2", "云南省审计厅"),
    ] {
        let (status, body) = admin
            .post_json(
                "/api/v1/units",
                &json!({"code": code, "name": name, "sector": "审计"}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let librarian = app.librarian("lib").await;
    let contributor = app.borrower("audit-officer", "yn-audit").await;
    let auditor = app.borrower("audit-peer", "yn-audit-2").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let id = published(
        &contributor,
        &librarian,
        "审计系统内部警示案例（示例）",
        "sector",
    )
    .await;
    let query = "内部警示案例";
    let only = vec![id.clone()];
    assert_eq!(found(&auditor, query).await, only);
    assert!(found(&customs, query).await.is_empty());
    assert_eq!(suggested(&auditor).await, 1);
    assert_eq!(suggested(&customs).await, 0);

    // The admin moves the unit to the customs sector: search follows at once, by
    // one change-log row for the unit's one contribution.
    let changes = || app.count("SELECT count(*) FROM catalog_changes");
    let change_unit = |change: Value| {
        let admin = &admin;
        async move {
            let (status, body) = admin
                .send_json(reqwest::Method::PATCH, "/api/v1/units/yn-audit", &change)
                .await;
            assert_eq!(status, 200, "{body}");
        }
    };
    let before = changes();
    change_unit(json!({"sector": "海关"})).await;
    assert_eq!(changes(), before + 1);
    assert!(found(&auditor, query).await.is_empty(), "the old sector");
    assert_eq!(found(&customs, query).await, only, "the new sector");
    assert_eq!(suggested(&auditor).await, 0);
    assert_eq!(suggested(&customs).await, 1);
    let path = format!("/api/v1/resources/{id}");
    assert_eq!(status_of(&auditor, &path).await, 404);
    assert_eq!(status_of(&customs, &path).await, 200);
    // The contributing unit keeps finding its own.
    assert_eq!(found(&contributor, query).await, only);

    // Back through the admin's page: the same.
    let (status, _, html) = post_with_token(
        &admin,
        "/admin/units/yn-audit",
        &[("name", "审计署驻昆明特派员办事处"), ("sector", "审计")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(found(&auditor, query).await, only);
    assert!(found(&customs, query).await.is_empty());
    assert_eq!(status_of(&customs, &path).await, 404);

    // A change that leaves the sector alone logs nothing for the catalogue.
    let before = changes();
    change_unit(json!({"name": "审计署驻昆明特派办"})).await;
    assert_eq!(changes(), before);
}

#[tokio::test]
async fn a_narrowed_scope_hides_a_published_contribution_at_once() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let contributor = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let id = published(
        &contributor,
        &librarian,
        "税务系统警示案例汇编（示例）",
        "all",
    )
    .await;
    let query = "警示案例汇编";
    let only = vec![id.clone()];
    assert_eq!(found(&customs, query).await, only);

    // The committee narrows it to the sector: gone from the other sector's search
    // when the answer comes, not a moment later.
    for (share, seen) in [("sector", false), ("committee", false), ("all", true)] {
        let (status, body) = librarian
            .send_json(
                reqwest::Method::PATCH,
                &format!("/api/v1/resources/{id}"),
                &json!({ "share": share }),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["share"], share);
        let hits = found(&customs, query).await;
        assert_eq!(!hits.is_empty(), seen, "{share}: {hits:?}");
        let (_, suggestions) = customs
            .get_json(&format!("/api/v1/suggest?q={}", encode("税务系统警示")))
            .await;
        assert_eq!(
            suggestions.as_array().map(Vec::len),
            Some(usize::from(seen))
        );
        let want = if seen { 200 } else { 404 };
        assert_eq!(status_of(&customs, &format!("/resources/{id}")).await, want);
        // The contributing unit finds its own whatever the scope.
        assert_eq!(found(&contributor, query).await, only);
    }
}
