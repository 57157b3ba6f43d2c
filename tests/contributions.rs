//! Units' contributions (SPEC §9, issue 18): a unit submits, edits and adds files
//! while under review; a librarian returns or publishes; the privacy check's open
//! findings hold publication back until redacted or acknowledged; the sharing scope
//! decides who sees the published material.

use serde_json::{Value, json};

use crate::common::web::upload;
use crate::common::{Session, TestApp};

fn contribution(title: &str, share: &str) -> Value {
    json!({
        "kind": "case",
        "title": title,
        "summary": "示例：本单位查处的一起违规收受礼金案件通报（虚构）。",
        "sectors": ["税务"],
        "violations": ["受贿"],
        "access": "open",
        "share": share,
        "declaration": true,
    })
}

async fn submitted(officer: &Session, title: &str, share: &str) -> Value {
    let (status, body) = officer
        .post_json("/api/v1/contributions", &contribution(title, share))
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

#[tokio::test]
async fn a_unit_submits_the_committee_returns_and_publishes_with_findings_settled() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;

    let resource = submitted(&officer, "某局干部违规收受礼金案通报（示例）", "all").await;
    let id = resource["id"].as_str().expect("id").to_owned();
    assert_eq!(resource["status"], "submitted");
    assert_eq!(resource["contributed_by"], "yn-tax");
    assert_eq!(resource["share"], "all");

    // A file with personal data, added by the unit while it is under review.
    let text = "经查，原科长王建国收受礼金。联系电话 13812345678。\n";
    let (status, file) = upload(&officer, &id, "通报.md", text.as_bytes().to_vec()).await;
    assert_eq!(status, 201, "{file}");

    // Other units do not see it before it is published.
    let (status, _) = customs.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(status, 404);

    let (status, list) = officer.get_json("/api/v1/contributions").await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    let (_, others) = customs.get_json("/api/v1/contributions").await;
    assert_eq!(others, json!([]));

    // Returned with comments: the unit is told and may edit again.
    let (status, returned) = librarian
        .post_json(
            &format!("/api/v1/resources/{id}/return"),
            &json!({"comments": "请补充案件发生年份"}),
        )
        .await;
    assert_eq!(status, 200, "{returned}");
    assert_eq!(returned["status"], "returned");
    let (status, edited) = officer
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            &json!({"date": "2024"}),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    let (status, again) = officer
        .post_json(&format!("/api/v1/contributions/{id}/resubmit"), &json!({}))
        .await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["status"], "submitted");

    // Open findings hold publication back.
    let (status, findings) = librarian
        .get_json(&format!("/api/v1/resources/{id}/privacy"))
        .await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = findings["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"mobile"), "{findings}");
    let (status, refused) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(refused["error"]["code"], "privacy_findings");

    // Redaction writes a masked copy for borrowers; the rest is acknowledged.
    let (status, redacted) = librarian
        .post_json(
            &format!("/api/v1/resources/{id}/redact"),
            &json!({"keep_surname": true}),
        )
        .await;
    assert_eq!(status, 200, "{redacted}");
    let (_, findings) = librarian
        .get_json(&format!("/api/v1/resources/{id}/privacy"))
        .await;
    for finding in findings["findings"].as_array().expect("findings") {
        if finding["acknowledged"].is_null() {
            let (status, body) = librarian
                .post_json(
                    &format!("/api/v1/resources/{id}/privacy/{}/ack", finding["id"]),
                    &json!({"reason": "示例数据，非真实信息"}),
                )
                .await;
            assert_eq!(status, 200, "{body}");
        }
    }
    let (status, published) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{published}");
    assert_eq!(published["status"], "published");

    // The index holds the redacted text only: the number no longer finds it.
    let (_, hits) = customs.get_json("/api/v1/search?q=13812345678").await;
    assert_eq!(hits["total"], 0, "{hits}");
    let (_, hits) = customs
        .get_json("/api/v1/search?q=%E6%94%B6%E5%8F%97%E7%A4%BC%E9%87%91")
        .await;
    assert_eq!(hits["total"], 1, "{hits}");

    // Another unit now sees it, with the redacted copy only.
    let (status, seen) = customs.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(status, 200, "{seen}");
    let files = seen["files"].as_array().expect("files");
    assert_eq!(files.len(), 1, "{seen}");
    assert!(files[0]["redacted_of"].is_string(), "{seen}");
    let (status, bytes) = {
        let resp = customs
            .client
            .get(customs.url(&format!(
                "/api/v1/files/{}",
                files[0]["id"].as_str().expect("id")
            )))
            .send()
            .await
            .expect("file");
        (resp.status().as_u16(), resp.text().await.expect("text"))
    };
    assert_eq!(status, 200);
    assert!(!bytes.contains("13812345678"), "{bytes}");
    // The original stays with the committee.
    let original = file["id"].as_str().expect("id");
    let resp = customs
        .client
        .get(customs.url(&format!("/api/v1/files/{original}")))
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status().as_u16(), 404);
    let resp = librarian
        .client
        .get(librarian.url(&format!("/api/v1/files/{original}")))
        .send()
        .await
        .expect("file");
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test]
async fn a_sector_scoped_contribution_reaches_only_the_sector() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    app.add_user(
        "tax-other",
        &[jingshi::accounts::Role::Borrower],
        Some("yn-tax"),
    );
    let resource = submitted(&officer, "税务系统内部警示案例（示例）", "sector").await;
    let id = resource["id"].as_str().expect("id").to_owned();
    let (status, body) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, _) = customs.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(status, 404);
    let (_, hits) = customs
        .get_json("/api/v1/search?q=%E5%86%85%E9%83%A8%E8%AD%A6%E7%A4%BA")
        .await;
    assert_eq!(hits["total"], 0, "{hits}");
    let (_, hits) = officer
        .get_json("/api/v1/search?q=%E5%86%85%E9%83%A8%E8%AD%A6%E7%A4%BA")
        .await;
    assert_eq!(hits["total"], 1, "{hits}");
    let (status, loan) = customs
        .post_json(
            "/api/v1/loans",
            &json!({"resource_id": id, "format": "digital", "start": "2030-01-07",
                "end": "2030-01-09", "purpose": "警示教育大会", "audience": 30}),
        )
        .await;
    assert_eq!(status, 404, "{loan}");
}
