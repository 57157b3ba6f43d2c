//! `jingshi backup` while the server runs, then `jingshi restore`: the same resources,
//! loans, audit log and search results.

use std::process::Command;

use serde_json::{Value, json};

use crate::common::{ADMIN_PASSWORD, TestApp, stored_blobs};

fn jingshi(data: &std::path::Path, args: &[&std::ffi::OsStr]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_jingshi"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env("JINGSHI_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .output()
        .unwrap()
}

async fn search_ids(session: &crate::common::Session, q: &str) -> Vec<String> {
    let (status, body) = session
        .get_json(&format!("/api/v1/search?q={q}&per_page=50"))
        .await;
    assert_eq!(status, 200, "{body}");
    crate::common::web::hit_ids(&body)
}

#[tokio::test]
async fn backup_while_serving_then_restore_brings_everything_back() {
    let app = TestApp::spawn_with_demo().await;
    let admin = app.admin().await;
    let borrower = app.borrower("officer", "yn-tax").await;
    let (status, _) = admin
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/demo-tax-invoice-case",
            &json!({"title": "备份前修改的标题"}),
        )
        .await;
    assert_eq!(status, 200);
    let today = app.state.clock.today();
    let start = today.checked_add(jiff::ToSpan::days(10)).unwrap();
    let end = today.checked_add(jiff::ToSpan::days(14)).unwrap();
    let (status, loan) = borrower
        .post_json(
            "/api/v1/loans",
            &json!({"resource_id": "demo-tax-invoice-case", "format": "digital", "start": start.to_string(), "end": end.to_string(), "purpose": "专题警示教育大会", "audience": 80}),
        )
        .await;
    assert_eq!(status, 201, "{loan}");
    // The index follows the edit eventually; compare results only after that.
    let edited = "%E5%A4%87%E4%BB%BD%E5%89%8D%E4%BF%AE%E6%94%B9%E7%9A%84%E6%A0%87%E9%A2%98"; // 备份前修改的标题
    let mut indexed = false;
    // Up to 30 s: generous, as the property is only that it gets there.
    for _ in 0..600 {
        if search_ids(&admin, edited).await.first().map(String::as_str)
            == Some("demo-tax-invoice-case")
        {
            indexed = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(indexed, "the edit never reached the index");
    let query = "%E5%85%AB%E9%A1%B9%E8%A7%84%E5%AE%9A"; // 八项规定
    let before_ids = search_ids(&admin, query).await;
    let counts = |app: &TestApp| {
        [
            app.count("SELECT count(*) FROM resources"),
            app.count("SELECT count(*) FROM loans"),
            app.count("SELECT count(*) FROM files"),
            app.count("SELECT count(*) FROM audit_log"),
        ]
    };
    let before = counts(&app);

    let backups = tempfile::tempdir().unwrap();
    let dest = backups.path().join("copy");
    let out = jingshi(app.data(), &["backup".as_ref(), dest.as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: Value =
        serde_json::from_slice(&std::fs::read(dest.join("backup.json")).unwrap()).unwrap();
    assert_eq!(info["resources"].as_i64(), Some(before[0]));
    // A second backup into the same folder is refused rather than mixed.
    assert!(
        !jingshi(app.data(), &["backup".as_ref(), dest.as_os_str()])
            .status
            .success()
    );

    // Changes after the backup are not in it.
    admin
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/resources/demo-tax-invoice-case",
            &json!({"title": "备份后的标题"}),
        )
        .await;

    let restored_dir = tempfile::tempdir().unwrap();
    let out = jingshi(restored_dir.path(), &["restore".as_ref(), dest.as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stored_blobs(restored_dir.path()), stored_blobs(app.data()));
    let restored = TestApp::spawn_in(restored_dir).await;
    assert_eq!(counts(&restored), before);
    let session = restored.login("admin", ADMIN_PASSWORD).await;
    let (_, resource) = session
        .get_json("/api/v1/resources/demo-tax-invoice-case")
        .await;
    assert_eq!(resource["title"], "备份前修改的标题");
    assert_eq!(search_ids(&session, query).await, before_ids);
    let (_, loan_again) = session
        .get_json(&format!("/api/v1/loans/{}", loan["id"]))
        .await;
    assert_eq!(loan_again["status"], loan["status"]);
    // Files come back byte for byte.
    let file_id = resource["files"][0]["id"].as_str().unwrap();
    // The stored bytes, not a copy marked for the account (a restored server makes
    // its own mark).
    let original = admin
        .get(&format!("/api/v1/files/{file_id}?original=true"))
        .await
        .bytes()
        .await
        .unwrap();
    let copy = session
        .get(&format!("/api/v1/files/{file_id}?original=true"))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(original, copy);

    // Restoring onto the original folder (server stopped) rolls it back too.
    let data = app.stop().await;
    let out = jingshi(data.path(), &["restore".as_ref(), dest.as_os_str()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rolled_back = TestApp::spawn_in(data).await;
    let session = rolled_back.login("admin", ADMIN_PASSWORD).await;
    let (_, resource) = session
        .get_json("/api/v1/resources/demo-tax-invoice-case")
        .await;
    assert_eq!(resource["title"], "备份前修改的标题");
    assert_eq!(search_ids(&session, query).await, before_ids);
}
