//! "本行业优先" (issue 7): the `sector_first` parameter of `GET /api/v1/search` and of
//! the `/search` page, over the demo catalogue (five published tax resources among
//! others of many sectors).

use serde_json::Value;

use crate::common::{Session, TestApp};

/// The hit ids of an API answer, in order.
fn api_ids(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .unwrap_or_else(|| panic!("no hits in {body}"))
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The resources linked from the page's result list, in order.
fn page_ids(html: &str) -> Vec<String> {
    let list = html
        .split("<ol class=\"hits\">")
        .nth(1)
        .and_then(|rest| rest.split("</ol>").next())
        .unwrap_or_else(|| panic!("no result list in {html}"));
    list.split("<h3><a href=\"/resources/")
        .skip(1)
        .map(|rest| rest.split('"').next().unwrap().to_owned())
        .collect()
}

/// `ids` with the ones labelled `sector` moved to the front, each group in order.
fn partitioned(ids: &[String], sectors: &Value, sector: &str) -> Vec<String> {
    let has = |id: &String| {
        sectors[id.as_str()]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == sector)
    };
    let (mut first, rest): (Vec<String>, Vec<String>) = ids.iter().cloned().partition(has);
    first.extend(rest);
    first
}

async fn search(session: &Session, query: &str) -> (u16, Value) {
    session.get_json(&format!("/api/v1/search?{query}")).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_puts_the_borrowers_sector_first_only_when_asked() {
    let app = TestApp::spawn_with_demo().await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;

    let (status, plain) = search(&tax, "sort=newest&per_page=50").await;
    assert_eq!(status, 200, "{plain}");
    let plain_ids = api_ids(&plain);
    assert_eq!(plain_ids.len() as u64, plain["total"].as_u64().unwrap());
    let sectors: Value = plain["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["id"].as_str().unwrap().to_owned(), h["sectors"].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into();
    let tax_first = partitioned(&plain_ids, &sectors, "税务");
    assert_ne!(
        plain_ids, tax_first,
        "the demo's newest-first order does not already put tax first"
    );

    let (status, body) = search(&tax, "sort=newest&per_page=50&sector_first=true").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        api_ids(&body),
        tax_first,
        "tax resources first, each group newest first"
    );
    assert_eq!(body["total"], plain["total"]);
    assert_eq!(
        body["facets"], plain["facets"],
        "facets are not reordered away"
    );

    // Off, and the other spellings of off, give the plain order.
    for off in ["sector_first=false", "sector_first=0", "sector_first="] {
        let (status, body) = search(&tax, &format!("sort=newest&per_page=50&{off}")).await;
        assert_eq!(status, 200, "{off}: {body}");
        assert_eq!(api_ids(&body), plain_ids, "{off}");
    }

    // Paging continues the sector-first order: page 2 of 3 is its positions 4..6.
    let (_, page2) = search(&tax, "sort=newest&per_page=3&page=2&sector_first=1").await;
    assert_eq!(api_ids(&page2), tax_first[3..6]);

    // Another unit's sector comes first for its own officer.
    let (_, body) = search(&customs, "sort=newest&per_page=50&sector_first=true").await;
    assert_eq!(api_ids(&body), partitioned(&plain_ids, &sectors, "海关"));

    // Committee staff have no unit sector: the plain order.
    let librarian = app.librarian("lib").await;
    let (status, body) = search(&librarian, "sort=newest&per_page=50&sector_first=true").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(api_ids(&body), plain_ids);
}

#[tokio::test]
async fn a_bad_sector_first_value_is_a_400_naming_the_parameter() {
    let app = TestApp::spawn_with_demo().await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let (status, body) = search(&tax, "q=%E5%8F%97%E8%B4%BF&sector_first=maybe").await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
    assert_eq!(
        body["error"]["message"],
        "参数 sector_first 应为 true 或 false，收到“maybe”"
    );

    // The search page says the same on the page itself.
    let resp = tax.get("/search?q=x&sector_first=maybe").await;
    assert_eq!(resp.status(), 400);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("参数 sector_first 应为 true 或 false，收到“maybe”"),
        "{html}"
    );

    // The OpenAPI document describes the parameter.
    let (_, doc) = app.get_json("/api/v1/openapi.json").await;
    let params = doc["paths"]["/api/v1/search"]["get"]["parameters"]
        .as_array()
        .unwrap();
    let param = params
        .iter()
        .find(|p| p["name"] == "sector_first")
        .unwrap_or_else(|| panic!("sector_first not in {params:?}"));
    assert_eq!(param["in"], "query");
    assert!(
        param["description"]
            .as_str()
            .unwrap_or("")
            .contains("本行业优先"),
        "{param}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_page_offers_the_toggle_and_orders_sector_first() {
    let app = TestApp::spawn_with_demo().await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let (_, plain) = search(&tax, "sort=newest&per_page=50").await;
    let (_, ordered) = search(&tax, "sort=newest&per_page=50&sector_first=true").await;

    // Off: the link turns it on, keeping the other parameters.
    let html = tax
        .get("/search?sort=newest&per_page=50")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page_ids(&html), api_ids(&plain));
    assert!(
        html.contains(
            "<a class=\"sector-first\" href=\"/search?sort=newest&#38;per_page=50&#38;sector_first=true\""
        ),
        "{html}"
    );
    assert!(!html.contains("当前顺序"));

    // On: the results are sector-first, the link says so and turns it off.
    let resp = tax
        .get("/search?sort=newest&per_page=50&sector_first=true")
        .await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert_eq!(page_ids(&html), api_ids(&ordered));
    assert!(
        html.contains(
            "<a class=\"sector-first selected\" href=\"/search?sort=newest&#38;per_page=50\" aria-current=\"true\""
        ),
        "{html}"
    );
    assert!(html.contains("当前顺序：本单位所在行业（税务）的资源排在前面"));
    // The other links keep the ordering: a sort link and the search form.
    assert!(
        html.contains("href=\"/search?sector_first=true&#38;per_page=50&#38;sort=most_borrowed\"")
    );
    assert!(html.contains("<input type=\"hidden\" name=\"sector_first\" value=\"true\">"));

    // Staff without a unit sector get no toggle.
    let librarian = app.librarian("lib").await;
    let html = librarian.get("/search").await.text().await.unwrap();
    assert!(!html.contains("本行业优先"));
}
