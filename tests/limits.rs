//! What one client may cost: slow request heads, oversized heads and bodies, slow
//! bodies, and uploads beyond the cap. Limits are shortened so the tests run quickly.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use jingshi::config::Limits;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestApp;

fn short_limits() -> Limits {
    Limits {
        header_read_timeout: Duration::from_secs(1),
        request_timeout: Duration::from_secs(1),
        upload_idle_timeout: Duration::from_secs(1),
        max_connections: 8,
        max_uploads: 1,
        ..Limits::default()
    }
}

/// Reads until the server closes the connection (or `within` passes); returns what
/// it sent and whether it closed.
async fn read_until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&received).into(), true),
            Ok(Ok(n)) => received.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&received).into(), false),
        }
    }
}

async fn stalled_head(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET /healthz HT").await.unwrap();
    stream
}

#[tokio::test]
async fn a_client_that_stalls_in_its_request_line_is_disconnected_while_others_are_served() {
    let app = TestApp::spawn_with_limits(short_limits()).await;
    let started = Instant::now();
    let mut slow = stalled_head(app.addr).await;
    // Meanwhile ordinary requests are answered (how fast is for benchmarks).
    for _ in 0..5 {
        let (status, _) = app.get_json("/healthz").await;
        assert_eq!(status, 200);
    }
    // Cut off after the 1 s header timeout: not before it, and well within 10× it.
    let (_, closed) = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    assert!(closed, "the stalled client was not disconnected");
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(900),
        "disconnected after {waited:?}, before the header timeout"
    );
}

#[tokio::test]
async fn stalled_clients_filling_every_connection_slot_only_delay_others_until_the_timeout() {
    let app = TestApp::spawn_with_limits(short_limits()).await;
    let mut slow = Vec::new();
    for _ in 0..8 {
        slow.push(stalled_head(app.addr).await);
    }
    // Every slot is taken: this request waits in the listen queue until the stalled
    // clients are cut off (1 s header timeout), then is served; 10× that is the bound.
    let resp = reqwest::Client::new()
        .get(app.url("/healthz"))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .expect("served once the stalled clients are gone");
    assert_eq!(resp.status(), 200);
    for stream in &mut slow {
        assert!(read_until_closed(stream, Duration::from_secs(10)).await.1);
    }
}

#[tokio::test]
async fn an_oversized_request_head_is_refused() {
    let app = TestApp::spawn_with_limits(short_limits()).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let big = "a".repeat(256 * 1024);
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nX-Padding: {big}\r\n\r\n",
        app.addr
    );
    // The server may stop reading before all of it is written.
    let _ = stream.write_all(request.as_bytes()).await;
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(20)).await;
    assert!(closed);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 431"),
        "{answer}"
    );
    let (status, _) = app.get_json("/healthz").await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn an_oversized_json_body_is_refused_with_413() {
    let app = TestApp::spawn_with_limits(short_limits()).await;
    let session = app.admin().await;
    let (status, body) = session
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "case", "title": "大", "summary": "长".repeat(200_000)}),
        )
        .await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
}

#[tokio::test]
async fn a_body_that_never_finishes_times_out() {
    let app = TestApp::spawn_with_limits(short_limits()).await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/session HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"username\":",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // Answered once the 1 s request timeout passes; 10× that is the bound.
    let (answer, closed) = read_until_closed(&mut stream, Duration::from_secs(10)).await;
    assert!(closed, "still open after 10 s: {answer}");
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("\"timeout\""), "{answer}");
}

const BOUNDARY: &str = "----jingshi-limits";

/// Starts an upload of a text file and stops sending after its first bytes.
async fn stalled_upload(app: &TestApp, cookie: &str, id: &str) -> TcpStream {
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/resources/{id}/files HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\n\
         Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: 100000\r\n\r\n--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"file\"; filename=\"slow.md\"\r\n\r\n# 慢",
        app.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream
}

/// Waits (generously) until the upload semaphore has `count` free permits.
async fn wait_for_permits(app: &TestApp, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.state.uploads.available_permits() != count {
        assert!(
            Instant::now() < deadline,
            "upload permits stayed at {}, expected {count}",
            app.state.uploads.available_permits()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn uploads_beyond_the_cap_are_refused_and_a_stalled_one_is_cut_off_cleanly() {
    let app = TestApp::spawn_with_limits(short_limits()).await;
    let admin = app.admin().await;
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "case", "title": "上传上限", "access": "open"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let cookie = crate::common::process::admin_cookie(app.addr).await;
    let blobs = crate::common::stored_blobs(app.data());

    let mut first = stalled_upload(&app, &cookie, &id).await;
    // The stalled upload holds the only permit before the second one is sent.
    wait_for_permits(&app, 0).await;
    let upload = |name: &'static str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes("# 第二个上传\n".as_bytes().to_vec()).file_name(name),
        );
        admin
            .client
            .post(admin.url(&format!("/api/v1/resources/{id}/files")))
            .multipart(form)
            .send()
    };
    let resp = upload("second.md").await.unwrap();
    assert_eq!(resp.status(), 503);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "busy", "{body}");

    // Cut off after the 1 s idle timeout; 10× that is the bound.
    let (answer, _) = read_until_closed(&mut first, Duration::from_secs(10)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("upload_stalled"), "{answer}");
    // The cut-off upload left nothing: no blob, no temporary file, no file row.
    assert_eq!(crate::common::stored_blobs(app.data()), blobs);
    assert_eq!(crate::common::temp_leftovers(app.data()), 0);
    assert_eq!(app.count("SELECT count(*) FROM files"), 0);

    wait_for_permits(&app, 1).await;
    let resp = upload("third.md").await.unwrap();
    assert_eq!(resp.status(), 201, "the permit came back");
}

/// The limits come from the same settings as everything else: the bare binary (as
/// `cargo run --release` starts it) reads them from its environment.
#[tokio::test]
async fn the_bare_binary_takes_its_body_limit_from_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, addr) = crate::common::process::start_bare_server_with(
        dir.path(),
        &[("JINGSHI_BODY_LIMIT_KIB", "1")],
    )
    .await;
    let client = crate::common::client_for(addr);
    let sign_in = |username: String| {
        client
            .post(format!("http://{addr}/api/v1/session"))
            .json(&json!({"username": username, "password": "not-the-password"}))
            .send()
    };
    let small = sign_in("admin".into()).await.unwrap();
    assert_eq!(small.status(), 401, "a small body is read");
    let big = sign_in("名".repeat(1024)).await.unwrap();
    assert_eq!(big.status(), 413, "over 1 KiB is refused");
}
