//! The OpenAPI document: public, OpenAPI 3.x, and complete — every API route is
//! listed where it is described, and every described operation reaches a handler.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::common::{TestApp, repo_root};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

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

#[tokio::test]
async fn every_described_operation_reaches_its_handler() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let doc = app.get_json("/api/v1/openapi.json").await.1;
    let mut operations: Vec<(String, String)> = documented(&doc).into_iter().collect();
    assert!(operations.len() > 30, "the document lists {operations:?}");
    // Signing out last keeps the session for the others.
    operations.sort_by_key(|(path, method)| path == "/api/v1/session" && method == "delete");
    let params = BTreeMap::from([
        ("{id}", "x1"),
        ("{file_id}", "f000000000000000"),
        ("{action}", "approve"),
        ("{date}", "2030-01-01"),
    ]);
    for (path, method) in operations {
        let mut url = path.clone();
        for (name, value) in &params {
            url = url.replace(name, value);
        }
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let resp = admin
            .client
            .request(method.clone(), admin.url(&url))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let body = resp.text().await.unwrap_or_default();
        assert!(
            !body.contains("没有这个地址"),
            "{method} {url} fell through to the router's 404"
        );
        assert!(
            status != 405 || body.contains("\"error\""),
            "{method} {url} is not routed"
        );
        assert!(status < 500, "{method} {url} answered {status}: {body}");
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
            "approve", "reject", "issue", "return", "renew", "cancel", "report", "move"
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
