//! First start: demo units, the admin account and the demo catalogue, once only.

use crate::common::{TestApp, repo_root};

fn demo_resource_count() -> i64 {
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(repo_root().join("content/demo/manifest.json")).unwrap(),
    )
    .unwrap();
    manifest["resources"].as_array().unwrap().len() as i64
}

#[tokio::test]
async fn demo_catalogue_loads_on_first_start_and_only_then() {
    let app = TestApp::spawn_with_demo().await;
    let expected = demo_resource_count();
    assert!(expected >= 16);
    // The manifest's resources, and the sample contribution awaiting review.
    const CATALOGUE: &str = "SELECT count(*) FROM resources WHERE contributed_by IS NULL";
    assert_eq!(app.count(CATALOGUE), expected);
    assert_eq!(
        app.count("SELECT count(*) FROM resources WHERE status = 'submitted'"),
        1
    );
    assert!(app.count("SELECT count(*) FROM units") >= 12);
    assert_eq!(
        app.count("SELECT count(*) FROM users WHERE username = 'admin'"),
        1
    );
    assert_eq!(
        app.count("SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username = 'admin' AND r.role IN ('librarian','admin')"),
        2
    );
    // Every kind and at least six sectors, with videos, subtitles, a PDF and a DOCX.
    assert_eq!(app.count("SELECT count(DISTINCT kind) FROM resources"), 5);
    assert!(
        app.count("SELECT count(DISTINCT value) FROM resource_labels WHERE facet = 'sector'") >= 6
    );
    assert!(app.count("SELECT count(*) FROM files WHERE mime = 'video/mp4'") >= 2);
    assert!(app.count("SELECT count(*) FROM cues") >= 10);
    assert!(
        app.count(
            "SELECT count(*) FROM files WHERE mime = 'application/pdf' AND extraction = 'ok'"
        ) >= 1
    );
    assert!(app.count("SELECT count(*) FROM files WHERE mime LIKE 'application/vnd.openxmlformats%' AND extraction = 'ok'") >= 1);
    assert_eq!(
        app.count("SELECT count(*) FROM files WHERE extraction = 'failed'"),
        0
    );

    // A librarian's deletion must not be undone by a restart re-importing the demo
    // (of a resource no demo collection lists: the collection's item holds on to it).
    {
        let conn = app.state.db.get().unwrap();
        conn.execute(
            "DELETE FROM resources WHERE id = (SELECT min(id) FROM resources
               WHERE id NOT IN (SELECT resource_id FROM collection_items))",
            [],
        )
        .unwrap();
    }
    let dir = app.stop().await;
    let again = TestApp::spawn_in(dir).await;
    assert_eq!(again.count(CATALOGUE), expected - 1);
    assert_eq!(
        again.count("SELECT count(*) FROM resources WHERE contributed_by IS NOT NULL"),
        1
    );
    // The admin and the demo borrower, made once.
    assert_eq!(again.count("SELECT count(*) FROM users"), 2);
    assert_eq!(
        again.count(
            "SELECT count(*) FROM users WHERE username = 'demo-officer' AND unit_code = 'yn-tax'"
        ),
        1
    );
}

#[tokio::test]
async fn health_and_json_errors() {
    let app = TestApp::spawn().await;
    let (status, body) = app.get_json("/healthz").await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let admin = app.admin().await;
    for path in [
        "/api/v1/resources/nope",
        "/api/v1/resources/..%2F..%2Fetc%2Fpasswd",
        "/api/v1/resources/%2Fetc%2Fpasswd",
        "/api/v1/nothing-here",
    ] {
        let (status, body) = admin.get_json(path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: {body}"
        );
        assert_eq!(body["error"]["code"], "not_found");
    }
    // The demo units are listed.
    let (status, units) = admin.get_json("/api/v1/units").await;
    assert_eq!(status, 200);
    assert!(
        units
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["code"] == "yn-tax" && u["sector"] == "税务")
    );
}
