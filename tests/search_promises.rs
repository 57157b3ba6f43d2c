//! Issue 12, the search promises of SPEC §4 over `GET /api/v1/search`: tags and
//! summaries are searched on their own; every filter (kind, sector, violation, access,
//! year range, available now) and sort (newest, most borrowed) answers exactly the set
//! computed here from the resources the test created; facet counts equal the totals of
//! the filtered searches; a deleted index folder is rebuilt on start with the same
//! answers.
//!
//! The app starts without the demo catalogue, so the created resources are all there
//! is. The index follows the catalogue shortly after each write: the test waits for
//! the effect of its last write, after which every earlier one is applied too (the
//! follower applies the change log in order).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::common::lending::{approved, requested};
use crate::common::web::{encode, hit_ids};
use crate::common::{Session, TestApp, USER_PASSWORD};
use crate::promises::{Deadline, search};

/// The word every created resource has in its summary: the "unfiltered" query.
const COMMON: &str = "廉政镜鉴";
/// In one resource's tags only.
const TAG_WORD: &str = "雪豹";
/// In one resource's summary only.
const SUMMARY_WORD: &str = "孔雀";

/// A created resource, as the test knows it.
struct Item {
    id: &'static str,
    kind: &'static str,
    sectors: &'static [&'static str],
    violations: &'static [&'static str],
    access: &'static str,
    date: &'static str,
    /// `None`: unlimited.
    licences: Option<u32>,
    copies: u32,
    tags: &'static [&'static str],
    /// Added to the summary.
    extra: &'static str,
}

impl Item {
    fn year(&self) -> i32 {
        self.date[..4].parse().expect("year")
    }
}

const ITEMS: &[Item] = &[
    Item {
        id: "sp-a",
        kind: "case",
        sectors: &["税务"],
        violations: &["受贿"],
        access: "open",
        date: "2019",
        licences: None,
        copies: 0,
        tags: &["警示教育"],
        extra: "",
    },
    Item {
        id: "sp-b",
        kind: "case",
        sectors: &["海关"],
        violations: &["受贿", "滥用职权"],
        access: "loan",
        date: "2020-06",
        licences: Some(1),
        copies: 0,
        tags: &["警示教育"],
        extra: "",
    },
    Item {
        id: "sp-c",
        kind: "video",
        sectors: &["税务", "海关"],
        violations: &["贪污"],
        access: "loan",
        date: "2021-03-15",
        licences: Some(1),
        copies: 0,
        tags: &[],
        extra: "",
    },
    Item {
        id: "sp-d",
        kind: "confession",
        sectors: &["烟草"],
        violations: &["挪用公款"],
        access: "open",
        date: "2022",
        licences: Some(0),
        copies: 0,
        tags: &[],
        extra: "",
    },
    Item {
        id: "sp-e",
        kind: "textbook",
        sectors: &["金融"],
        violations: &["违反中央八项规定精神"],
        access: "loan",
        date: "2023",
        licences: Some(0),
        copies: 1,
        tags: &[],
        extra: "",
    },
    Item {
        id: "sp-f",
        kind: "video",
        sectors: &["金融"],
        violations: &["受贿"],
        access: "open",
        date: "2024",
        licences: None,
        copies: 0,
        tags: &["警示教育"],
        extra: "",
    },
    Item {
        id: "sp-tag",
        kind: "case",
        sectors: &["气象"],
        violations: &["贪污"],
        access: "open",
        date: "2018",
        licences: None,
        copies: 0,
        tags: &[TAG_WORD],
        extra: "",
    },
    Item {
        id: "sp-summary",
        kind: "case",
        sectors: &["气象"],
        violations: &["受贿"],
        access: "loan",
        date: "2017",
        licences: None,
        copies: 0,
        tags: &[],
        extra: "案发前他在办公室养了一只孔雀。",
    },
];

/// Approved loans per resource (most borrowed), all well after today.
const BORROWED: &[(&str, usize)] = &[("sp-f", 3), ("sp-a", 2), ("sp-c", 1)];
/// The resource whose only licence a loan takes today.
const TAKEN_TODAY: &str = "sp-b";

fn ids<'a>(items: impl IntoIterator<Item = &'a Item>) -> BTreeSet<String> {
    items.into_iter().map(|i| i.id.to_owned()).collect()
}

fn matching(keep: impl Fn(&Item) -> bool) -> BTreeSet<String> {
    ids(ITEMS.iter().filter(|i| keep(i)))
}

/// Free today when the resource `taken` has one licence lent today: an unlimited or
/// unused licence, or a copy (none is lent).
fn free(item: &Item, taken: &str) -> bool {
    let lent = u32::from(item.id == taken);
    item.licences.is_none_or(|n| n > lent) || item.copies > 0
}

/// Free today, once the test's loan took `TAKEN_TODAY`'s licence.
fn available(item: &Item) -> bool {
    free(item, TAKEN_TODAY)
}

fn borrow_count(id: &str) -> usize {
    BORROWED
        .iter()
        .find(|(b, _)| *b == id)
        .map_or(0, |(_, n)| *n)
}

async fn create(librarian: &Session, body: Value) {
    let (status, created) = librarian.post_json("/api/v1/resources", &body).await;
    assert_eq!(status, 201, "{created}");
}

/// Creates the resources (and a draft and a withdrawn one that borrowers never find),
/// the approved loans, and the loan that takes `TAKEN_TODAY`'s only licence today;
/// returns a borrower once the index shows all of it.
async fn catalogue(app: &TestApp) -> Session {
    let librarian = app.librarian("curator").await;
    for (n, item) in ITEMS.iter().enumerate() {
        let mut body = json!({"id": item.id, "kind": item.kind,
            "title": format!("检验材料第{n}号"),
            "summary": format!("{COMMON}：第{n}号检验材料。{}", item.extra),
            "tags": item.tags, "sectors": item.sectors, "violations": item.violations,
            "date": item.date, "access": item.access, "status": "published",
            "copies": item.copies});
        if let Some(licences) = item.licences {
            body["licences"] = json!(licences);
        }
        create(&librarian, body).await;
    }
    for (id, status) in [("sp-draft", "draft"), ("sp-withdrawn", "withdrawn")] {
        create(
            &librarian,
            json!({"id": id, "kind": "case", "title": "未发布的检验材料",
                   "summary": format!("{COMMON}，{TAG_WORD}，{SUMMARY_WORD}"), "tags": [TAG_WORD],
                   "sectors": ["税务"], "violations": ["受贿"], "date": "2020",
                   "access": "open", "status": status}),
        )
        .await;
    }

    let today = app.state.clock.today();
    let day = |n: i64| {
        today
            .checked_add(jiff::Span::new().days(n))
            .unwrap()
            .to_string()
    };
    let units = ["yn-tax", "kunming-customs", "yn-tobacco"];
    let mut borrowers = Vec::new();
    for unit in units {
        borrowers.push(app.borrower(&format!("officer-{unit}"), unit).await);
    }
    for (resource, times) in BORROWED {
        for borrower in &borrowers[..*times] {
            let body = approved(
                &librarian,
                borrower,
                resource,
                "digital",
                &day(30),
                &day(32),
            )
            .await;
            assert_eq!(body["status"], "approved", "{body}");
        }
    }

    let borrower = app.borrower("officer-finance", "yn-finance").await;
    let everything = format!("q={}", encode(COMMON));
    let free_now = format!("{everything}&available=true");
    // Free before the loan, so that the loan is what takes it away.
    let expected = matching(|i| free(i, ""));
    assert!(expected.contains(TAKEN_TODAY));
    let deadline = Deadline::new("every created resource searchable, free as created");
    loop {
        let (found, _) = search(&borrower, &free_now).await;
        if found == expected {
            break;
        }
        deadline.tick(found).await;
    }
    let loan = requested(&borrower, TAKEN_TODAY, "digital", &day(0), &day(2)).await;
    assert_eq!(loan["status"], "requested", "{loan}");
    let expected = matching(available);
    let deadline = Deadline::new("a loan today takes the only licence out of `available`");
    loop {
        let (found, _) = search(&borrower, &free_now).await;
        if found == expected {
            break;
        }
        deadline.tick(found).await;
    }
    borrower
}

#[tokio::test]
async fn tags_and_summaries_are_searched_on_their_own() {
    let app = TestApp::spawn().await;
    let borrower = catalogue(&app).await;
    for (word, field) in [(TAG_WORD, "tags"), (SUMMARY_WORD, "summary")] {
        let expected = matching(|i| i.tags.contains(&word) || i.extra.contains(word));
        assert_eq!(
            expected.len(),
            1,
            "the word is in one resource's {field} only"
        );
        let (found, body) = search(&borrower, &format!("q={}", encode(word))).await;
        assert_eq!(found, expected, "{field}: {body}");
        assert_eq!(body["total"], 1);
    }
    let (_, body) = search(&borrower, &format!("q={}", encode(SUMMARY_WORD))).await;
    let snippet = body["hits"][0]["snippet"].as_str().expect("snippet");
    assert!(
        snippet.contains(&format!("<mark>{SUMMARY_WORD}</mark>")),
        "{snippet}"
    );
}

#[tokio::test]
async fn every_filter_sort_and_facet_answers_exactly_what_was_created() {
    let app = TestApp::spawn().await;
    let borrower = catalogue(&app).await;
    let q = format!("q={}", encode(COMMON));
    let borrower = &borrower;
    let expect = move |params: String, expected: BTreeSet<String>| async move {
        let (found, body) = search(borrower, &params).await;
        assert_eq!(found, expected, "{params}: {body}");
        assert_eq!(
            body["total"].as_u64(),
            Some(expected.len() as u64),
            "{params}"
        );
        body
    };

    // Unfiltered: every published resource, none of the others.
    let all = expect(q.clone(), ids(ITEMS)).await;

    // Facets of the unfiltered query, computed from the created resources.
    let mut facets: BTreeMap<&str, BTreeMap<String, u64>> = BTreeMap::new();
    for item in ITEMS {
        let mut add = |facet, value: String| {
            *facets.entry(facet).or_default().entry(value).or_default() += 1;
        };
        add("kind", item.kind.to_owned());
        add("access", item.access.to_owned());
        add("year", item.year().to_string());
        item.sectors
            .iter()
            .for_each(|s| add("sector", (*s).to_owned()));
        item.violations
            .iter()
            .for_each(|v| add("violation", (*v).to_owned()));
    }
    for (facet, counts) in &facets {
        assert_eq!(all["facets"][facet], json!(counts), "facet {facet}: {all}");
    }
    let free = ITEMS.iter().filter(|i| available(i)).count();
    assert_eq!(all["facets"]["available"], json!(free));

    // Each facet value as a filter: exactly its resources, as many as the facet said.
    for (facet, counts) in &facets {
        for (value, count) in counts {
            let params = match *facet {
                "year" => format!("{q}&year_from={value}&year_to={value}"),
                other => format!("{q}&{other}={}", encode(value)),
            };
            let expected = matching(|i| match *facet {
                "kind" => i.kind == value,
                "access" => i.access == value,
                "year" => i.year().to_string() == *value,
                "sector" => i.sectors.contains(&value.as_str()),
                _ => i.violations.contains(&value.as_str()),
            });
            assert_eq!(expected.len() as u64, *count, "{facet}={value}");
            let body = expect(params, expected).await;
            for hit in body["hits"].as_array().unwrap() {
                assert_eq!(hit["status"], "published");
            }
        }
    }

    // Year ranges include both bounds; one bound alone is open on the other side.
    let years = |from: Option<i32>, to: Option<i32>| {
        matching(move |i| from.is_none_or(|f| i.year() >= f) && to.is_none_or(|t| i.year() <= t))
    };
    for (from, to) in [
        (Some(2020), Some(2022)),
        (Some(2017), Some(2017)),
        (Some(2024), Some(2024)),
        (None, Some(2018)),
        (Some(2023), None),
        (Some(2025), None),
        (None, Some(2016)),
    ] {
        let mut params = q.clone();
        if let Some(from) = from {
            params.push_str(&format!("&year_from={from}"));
        }
        if let Some(to) = to {
            params.push_str(&format!("&year_to={to}"));
        }
        expect(params, years(from, to)).await;
    }

    // Available now, both ways, alone and with another filter (filters combine with AND).
    expect(format!("{q}&available=true"), matching(available)).await;
    expect(format!("{q}&available=false"), matching(|i| !available(i))).await;
    expect(
        format!("{q}&available=true&kind=video"),
        matching(|i| available(i) && i.kind == "video"),
    )
    .await;
    expect(
        format!("{q}&kind=case&access=loan"),
        matching(|i| i.kind == "case" && i.access == "loan"),
    )
    .await;
    expect(
        format!("{q}&sector={}&violation={}", encode("税务"), encode("受贿")),
        matching(|i| i.sectors.contains(&"税务") && i.violations.contains(&"受贿")),
    )
    .await;

    // Newest: by date, latest first (every date differs).
    let mut by_date: Vec<&Item> = ITEMS.iter().collect();
    by_date.sort_by(|a, b| b.date.cmp(a.date));
    let body = expect(format!("{q}&sort=newest"), ids(ITEMS)).await;
    let newest: Vec<String> = by_date.iter().map(|i| i.id.to_owned()).collect();
    assert_eq!(hit_ids(&body), newest);
    let body = expect(
        format!("{q}&sort=newest&kind=video"),
        matching(|i| i.kind == "video"),
    )
    .await;
    let videos: Vec<String> = newest
        .iter()
        .filter(|id| {
            ITEMS
                .iter()
                .any(|i| i.id == id.as_str() && i.kind == "video")
        })
        .cloned()
        .collect();
    assert_eq!(hit_ids(&body), videos);

    // Most borrowed: approved loans, most first; the never-borrowed ones tie at the end.
    // Borrow counts reach the index with the follower, shortly after the approvals.
    let leaders: Vec<String> = BORROWED.iter().map(|(id, _)| (*id).to_owned()).collect();
    let deadline = Deadline::new("the approvals' borrow counts in the index");
    let body = loop {
        let body = expect(format!("{q}&sort=borrowed"), ids(ITEMS)).await;
        if hit_ids(&body)[..leaders.len()] == leaders[..] {
            break body;
        }
        deadline.tick(hit_ids(&body)).await;
    };
    let counts: Vec<usize> = hit_ids(&body).iter().map(|id| borrow_count(id)).collect();
    let mut descending = counts.clone();
    descending.sort_by(|a, b| b.cmp(a));
    assert_eq!(counts, descending, "{:?}", hit_ids(&body));
}

/// What a search answers, apart from timing: total, facets and each hit's fields.
async fn answers(session: &Session, params: &str) -> (u64, Value, BTreeMap<String, Value>) {
    let (_, mut body) = search(session, params).await;
    let hits = body["hits"]
        .as_array_mut()
        .expect("hits")
        .drain(..)
        .map(|mut hit| {
            // Relevance scores depend on how the index's segments happen to be laid out.
            hit.as_object_mut().expect("hit").remove("score");
            (hit["id"].as_str().expect("id").to_owned(), hit)
        })
        .collect();
    (
        body["total"].as_u64().expect("total"),
        body["facets"].clone(),
        hits,
    )
}

#[tokio::test]
async fn a_deleted_index_is_rebuilt_on_start_with_the_same_answers() {
    let app = TestApp::spawn_with_demo().await;
    let librarian = app.librarian("curator").await;
    // Written after the first start, so only the change log brought it into the index.
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "promise-after-start", "kind": "case", "title": "重建检验：某局挪用公款案",
                    "summary": "开始服务后才录入的受贿案例", "tags": ["重建标签"],
                    "sectors": ["税务"], "violations": ["受贿"], "date": "2025-01",
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let borrower = app.borrower("officer", "yn-tax").await;
    let queries = [
        format!("q={}", encode("受贿")),
        format!("q={}", encode("八项规定")),
        format!("q={}", encode("月饼")),
        format!("q={}", encode("重建标签")),
        format!("q={}&sort=newest", encode("案")),
        "q=&sort=newest".to_owned(),
        format!("q={}&kind=case&year_from=2020", encode("受贿")),
    ];
    let deadline = Deadline::new("the resource written after start becomes searchable");
    loop {
        let (ids, _) = search(&borrower, &queries[3]).await;
        if ids.contains("promise-after-start") {
            break;
        }
        deadline.tick(ids).await;
    }
    let mut before = Vec::new();
    for params in &queries {
        let answer = answers(&borrower, params).await;
        assert!(answer.0 > 0, "{params} finds something to compare");
        before.push(answer);
    }

    let data = app.stop().await;
    let index = data.path().join("index");
    assert!(
        index.join("meta.json").exists(),
        "the index lives in <data>/index"
    );
    std::fs::remove_dir_all(&index).expect("delete the index");
    let again = TestApp::spawn_in(data).await;
    assert!(again.data().join("index/meta.json").exists(), "rebuilt");

    // Ready means rebuilt: the first answers already match, no waiting.
    let borrower = again.login("officer", USER_PASSWORD).await;
    for (params, expected) in queries.iter().zip(&before) {
        assert_eq!(&answers(&borrower, params).await, expected, "{params}");
    }
}
