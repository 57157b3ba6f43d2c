//! `--public-url`: behind a reverse proxy the library knows its one public address.
//! Other hosts get 421, state changes must come from exactly that origin, and over
//! HTTPS the session cookie is `Secure` and every answer carries HSTS.

use serde_json::json;

use crate::common::ADMIN_PASSWORD;
use crate::common::process::{jingshi, start_bare_server_with};

const PUBLIC: &str = "https://jingshi.example.cn";

#[tokio::test]
async fn a_public_url_pins_host_origin_cookie_and_hsts() {
    let data = tempfile::tempdir().unwrap();
    let (_server, addr) =
        start_bare_server_with(data.path(), &[("JINGSHI_PUBLIC_URL", PUBLIC)]).await;
    let client = reqwest::Client::new();
    let url = |path: &str| format!("http://{addr}{path}");

    // A request naming another host (the bare address, a forged name) is misdirected.
    for host in [addr.to_string(), "evil.example".to_owned()] {
        let resp = client
            .get(url("/"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 421, "page for host {host}");
        let resp = client
            .get(url("/api/v1/search?q=x"))
            .header("host", &host)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 421, "API for host {host}");
        let body: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unknown_host");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("jingshi.example.cn")
        );
    }
    // Monitoring probes the bare address.
    let resp = client.get(url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);

    // The public host is served, with HSTS.
    let resp = client
        .get(url("/login"))
        .header("host", "jingshi.example.cn")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["strict-transport-security"],
        "max-age=31536000"
    );

    let sign_in = |origin: &'static str| {
        client
            .post(url("/api/v1/session"))
            .header("host", "jingshi.example.cn")
            .header("origin", origin)
            .json(&json!({"username": "admin", "password": ADMIN_PASSWORD}))
            .send()
    };
    // The same host over plain HTTP, or the address the proxy forwarded to, is not
    // the site's origin.
    for origin in ["http://jingshi.example.cn", "http://127.0.0.1:8080"] {
        let resp = sign_in(origin).await.unwrap();
        assert_eq!(resp.status(), 403, "origin {origin}");
        assert!(resp.headers().get("set-cookie").is_none());
    }
    let resp = sign_in(PUBLIC).await.unwrap();
    assert_eq!(resp.status(), 200);
    let cookie = resp.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(cookie.contains("; Secure"), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
}

#[tokio::test]
async fn without_a_public_url_any_host_is_served_and_no_hsts_is_sent() {
    let app = crate::common::TestApp::spawn().await;
    let resp = app
        .client
        .get(app.url("/login"))
        .header("host", "another-name.internal")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers().get("strict-transport-security").is_none());
}

#[test]
fn a_public_url_that_cannot_work_is_refused_at_start() {
    let data = tempfile::tempdir().unwrap();
    let out = jingshi(data.path())
        .arg("serve")
        .arg("--addr")
        .arg("127.0.0.1:0")
        .env("JINGSHI_PUBLIC_URL", "jingshi.example.cn/library")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("JINGSHI_PUBLIC_URL"), "{stderr}");
    assert!(stderr.contains("https://"), "{stderr}");
    // Nothing was set up in a folder it refused to serve.
    assert!(!data.path().join("content/jingshi.db").exists());
}
