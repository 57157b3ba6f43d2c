//! The OpenAPI document: public, OpenAPI 3.x, and exactly the API that is routed —
//! every described operation reaches its handler, every routed method of a described
//! path is described, and the operations SPEC §7 promises are all there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::common::{TestApp, repo_root};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// The operations SPEC §7 and §10 promise outside tools, as `(method, path)`.
const SPEC_OPERATIONS: [(&str, &str); 23] = [
    ("post", "/api/v1/session"),
    ("delete", "/api/v1/session"),
    ("get", "/api/v1/search"),
    ("get", "/api/v1/resources/{id}"),
    ("post", "/api/v1/resources"),
    ("patch", "/api/v1/resources/{id}"),
    ("post", "/api/v1/resources/{id}/files"),
    ("post", "/api/v1/resources/{id}/publish"),
    ("post", "/api/v1/resources/{id}/withdraw"),
    ("get", "/api/v1/files/{file_id}"),
    ("post", "/api/v1/loans"),
    ("get", "/api/v1/loans"),
    ("get", "/api/v1/loans/{id}"),
    ("post", "/api/v1/loans/{id}/{action}"),
    ("get", "/api/v1/units"),
    ("get", "/api/v1/stats/units"),
    ("get", "/api/v1/openapi.json"),
    ("get", "/api/v1/collections"),
    ("post", "/api/v1/collections"),
    ("get", "/api/v1/collections/{id}"),
    ("patch", "/api/v1/collections/{id}"),
    ("post", "/api/v1/collections/{id}/publish"),
    ("post", "/api/v1/collections/{id}/withdraw"),
];

/// Router calls under `src/web/api` that would add a route without describing it:
/// every API route is to be listed in a `routes!`, which routes and describes it.
fn undescribed_route_calls() -> Vec<String> {
    fn walk(dir: &Path, found: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                for (number, line) in source.lines().enumerate() {
                    let code = line.split("//").next().unwrap();
                    for call in [".route(", ".route_service(", ".nest(", ".nest_service("] {
                        if code.contains(call) {
                            found.push(format!("{}:{}: {}", path.display(), number + 1, line));
                        }
                    }
                }
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo_root().join("src/web/api"), &mut found);
    found
}

/// Fills a described path's parameters with values of the right shape.
fn concrete(path: &str) -> String {
    let params = BTreeMap::from([
        ("{id}", "x1"),
        ("{file_id}", "f000000000000000"),
        ("{action}", "approve"),
        ("{date}", "2030-01-01"),
        ("{finding_id}", "1"),
        ("{resource_id}", "x1"),
        ("{year}", "2030"),
    ]);
    let url = params.iter().fold(path.to_owned(), |url, (name, value)| {
        url.replace(name, value)
    });
    assert!(!url.contains('{'), "no value for a parameter of {path}");
    url
}

fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .filter(|m| METHODS.contains(&m.as_str()))
                .map(move |m| (path.clone(), m.clone()))
        })
        .collect()
}

#[tokio::test]
async fn the_document_is_public_openapi_3_with_the_error_body() {
    let app = TestApp::spawn().await;
    // No sign-in.
    let resp = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let doc: Value = resp.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3."),
        "{}",
        doc["openapi"]
    );
    assert!(doc["components"]["securitySchemes"]["session"].is_object());
    assert!(doc["components"]["responses"]["ErrorBody"].is_object());

    let described = documented(&doc);
    assert!(described.len() > 30, "the document lists {described:?}");

    // Every error response carries the error body (and there are some to check).
    let mut errors_checked = 0;
    for (path, method) in &described {
        let responses = doc["paths"][path][method]["responses"].as_object().unwrap();
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["$ref"], "#/components/responses/ErrorBody",
                    "{method} {path} {status}"
                );
                errors_checked += 1;
            }
        }
    }
    assert!(
        errors_checked >= described.len(),
        "only {errors_checked} error responses for {} operations",
        described.len()
    );
}

#[test]
fn every_api_route_is_listed_where_it_is_described() {
    let calls = undescribed_route_calls();
    assert!(
        calls.is_empty(),
        "routes added outside `routes!`, so missing from the document: {calls:#?}"
    );
}

/// Files under `src/web/api` that list routes with `utoipa_axum::routes!` itself
/// rather than `openapi::routes!`, whose schemas the collision check sees.
fn unchecked_route_lists() -> Vec<String> {
    let mut found = Vec::new();
    let mut dirs = vec![repo_root().join("src/web/api")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") && !path.ends_with("openapi.rs") {
                let source = std::fs::read_to_string(&path).unwrap();
                if source.contains("utoipa_axum::routes") {
                    found.push(path.display().to_string());
                }
            }
        }
    }
    found
}

#[test]
fn no_two_types_share_a_schema_name() {
    // utoipa keeps one schema per name and drops the other without a word (the
    // seasons' `Period` once replaced the loans' in the document).
    let collisions = jingshi::web::api::openapi::schema_collisions();
    assert!(
        collisions.is_empty(),
        "schema names that two different schemas carry; give one a distinct name with \
         #[schema(as = …)]: {collisions:#?}"
    );
    let unchecked = unchecked_route_lists();
    assert!(
        unchecked.is_empty(),
        "use `crate::web::api::openapi::routes` so the check sees the schemas: {unchecked:#?}"
    );
}

/// What the router answers a request no route takes: `(status, body)`.
async fn unrouted_answer(app: &TestApp, client: &reqwest::Client) -> (u16, String) {
    let resp = client
        .get(app.url("/api/v1/no-such-route"))
        .send()
        .await
        .unwrap();
    let answer = (resp.status().as_u16(), resp.text().await.unwrap());
    assert_eq!(answer.0, 404, "{answer:?}");
    answer
}

#[tokio::test]
async fn every_described_operation_reaches_its_handler() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let unrouted = unrouted_answer(&app, &admin.client).await;
    let doc = app.get_json("/api/v1/openapi.json").await.1;
    let mut operations: Vec<(String, String)> = documented(&doc).into_iter().collect();
    assert!(operations.len() > 30, "the document lists {operations:?}");
    // Signing out last keeps the session for the others.
    operations.sort_by_key(|(path, method)| path == "/api/v1/session" && method == "delete");
    for (path, method) in operations {
        let url = concrete(&path);
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let resp = admin
            .client
            .request(method.clone(), admin.url(&url))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        assert_ne!(
            (status, &body),
            (unrouted.0, &unrouted.1),
            "{method} {url} fell through to the router's 404"
        );
        // The router's 405 has no body; a handler's (`POST /audit/`) is an error.
        assert!(
            status != 405 || body.contains("\"error\""),
            "{method} {url} is not routed for {method}"
        );
        assert!(status < 500, "{method} {url} answered {status}: {body}");
    }
}

/// The methods the router takes on `url`, from the `Allow` of its 405 to a method no
/// route takes.
async fn routed_methods(client: &reqwest::Client, url: &str) -> BTreeSet<String> {
    let resp = client
        .request(reqwest::Method::OPTIONS, url)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 405, "OPTIONS {url}");
    let allow = resp.headers()["allow"].to_str().unwrap().to_owned();
    assert_eq!(
        resp.text().await.unwrap(),
        "",
        "OPTIONS {url}: not the router's 405"
    );
    allow
        .split(',')
        .map(|m| m.trim().to_lowercase())
        .filter(|m| !m.is_empty())
        .collect()
}

#[tokio::test]
async fn each_described_path_routes_exactly_its_described_methods() {
    let app = TestApp::spawn().await;
    let doc = app.get_json("/api/v1/openapi.json").await.1;
    let mut by_path: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (path, method) in documented(&doc) {
        by_path.entry(path).or_default().insert(method);
    }
    assert!(by_path.len() > 25, "the document lists {by_path:?}");
    let mut several = 0;
    for (path, mut described) in by_path {
        several += usize::from(described.len() > 1);
        // The router answers HEAD wherever it answers GET.
        if described.contains("get") {
            described.insert("head".to_owned());
        }
        let url = app.url(&concrete(&path));
        assert_eq!(routed_methods(&app.client, &url).await, described, "{path}");
    }
    // Paths whose methods come from different handlers (GET and POST `/loans`).
    assert!(several >= 5, "only {several} paths with several methods");
}

#[tokio::test]
async fn the_operations_spec_promises_are_described_and_routed() {
    let app = TestApp::spawn().await;
    let doc = app.get_json("/api/v1/openapi.json").await.1;
    let described = documented(&doc);
    let missing: Vec<_> = SPEC_OPERATIONS
        .iter()
        .filter(|(method, path)| !described.contains(&(path.to_string(), method.to_string())))
        .collect();
    assert!(
        missing.is_empty(),
        "SPEC §7 operations not described: {missing:?}"
    );
    for (method, path) in SPEC_OPERATIONS {
        let url = app.url(&concrete(path));
        assert!(
            routed_methods(&app.client, &url).await.contains(method),
            "{method} {path} is not routed"
        );
    }
}

#[tokio::test]
async fn the_documented_loan_actions_are_the_ones_the_server_takes() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let doc = app.get_json("/api/v1/openapi.json").await.1;
    let actions: Vec<&str> = doc["components"]["schemas"]["ActionName"]["enum"]
        .as_array()
        .expect("the loan actions are listed")
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "approve", "reject", "issue", "return", "renew", "cancel", "report", "move", "recall"
        ]
    );
    // Each is taken (the loan is what is missing); anything else is not an action.
    for action in actions.iter().copied().chain(["activate", "promote"]) {
        let (status, body) = admin
            .post_json(
                &format!("/api/v1/loans/999999/{action}"),
                &serde_json::json!({}),
            )
            .await;
        assert_eq!(status, 404, "{action}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        let known = actions.contains(&action);
        assert_eq!(message.contains("999999"), known, "{action}: {message}");
    }
}
