//! Hostile clients at the connection layer, over real loopback sockets: floods of
//! silent (or HTTP/2-preface-only) connections from one address, HTTP/2 connections
//! that idle, bodies trickled to a route that merely claims to be an upload, and
//! client addresses behind a reverse proxy. Each test prints its figure; rerun with
//! `cargo test --test integration hostile_connections -- --nocapture`.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use jingshi::config::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

use crate::common::TestApp;

/// Connections in a flood: more than the server's 1,024 connection slots.
const FLOOD: usize = 1_100;

/// The HTTP/2 connection preface followed by an empty SETTINGS frame.
const H2_PREFACE_AND_SETTINGS: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// Makes sure this process may hold a flood of sockets (and the server's side of them).
fn allow_open_files(needed: u64) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let (soft, hard) = getrlimit(Resource::RLIMIT_NOFILE).unwrap();
    if soft < needed {
        assert!(
            hard >= needed,
            "the open-file limit {hard} is below {needed}"
        );
        setrlimit(Resource::RLIMIT_NOFILE, needed, hard).unwrap();
    }
}

/// A connection to `server` from the loopback address `source`.
async fn connect_from(source: IpAddr, server: SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source, 0))?;
    tokio::time::timeout(Duration::from_secs(5), socket.connect(server))
        .await
        .map_err(|_| std::io::Error::other("connect timed out"))?
}

/// `count` connections from `source` that send `first_bytes` and then nothing, each
/// with the moment it connected.
async fn flood(
    source: IpAddr,
    server: SocketAddr,
    count: usize,
    first_bytes: &[u8],
) -> Vec<(TcpStream, Instant)> {
    let mut held = Vec::with_capacity(count);
    for _ in 0..count {
        let mut stream = connect_from(source, server).await.unwrap();
        // A connection the server has closed already may refuse the write.
        let _ = stream.write_all(first_bytes).await;
        held.push((stream, Instant::now()));
    }
    held
}

/// How long each connection stayed open after it connected (`None`: still open when
/// `within` had passed since the call).
async fn open_times(held: Vec<(TcpStream, Instant)>, within: Duration) -> Vec<Option<Duration>> {
    let deadline = tokio::time::Instant::now() + within;
    let waits = held.into_iter().map(|(mut stream, connected)| {
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
                    Ok(Ok(0) | Err(_)) => return Some(connected.elapsed()),
                    // HTTP/2: the server's SETTINGS and GOAWAY; keep reading.
                    Ok(Ok(_)) => {}
                    Err(_) => return None,
                }
            }
        })
    });
    let mut times = Vec::new();
    for wait in waits.collect::<Vec<_>>() {
        times.push(wait.await.unwrap());
    }
    times
}

/// Time until `/healthz` answers 200 to a client at `source` (`None`: not within `within`).
async fn healthz_time(source: IpAddr, server: SocketAddr, within: Duration) -> Option<Duration> {
    let client = reqwest::Client::builder()
        .local_address(source)
        .timeout(within)
        .build()
        .unwrap();
    let started = Instant::now();
    let resp = client
        .get(format!("http://{server}/healthz"))
        .send()
        .await
        .ok()?;
    (resp.status() == 200).then(|| started.elapsed())
}

/// Floods the server from 127.0.0.2 with connections that send `first_bytes` and then
/// nothing, and checks that a client at 127.0.0.3 is answered within a second and that
/// the server closes every flooding connection within its header time limit.
async fn flood_leaves_others_served(what: &str, first_bytes: &[u8]) {
    allow_open_files(8192);
    let first_bytes_limit = Duration::from_secs(2);
    let app = TestApp::spawn_with_limits(Limits {
        header_read_timeout: first_bytes_limit,
        ..Limits::default()
    })
    .await;
    let held = flood(loopback(2), app.addr, FLOOD, first_bytes).await;
    let healthz = healthz_time(loopback(3), app.addr, Duration::from_secs(5)).await;
    let times = open_times(held, first_bytes_limit + Duration::from_secs(5)).await;
    let still_open = times.iter().filter(|t| t.is_none()).count();
    let closed_at_once = times
        .iter()
        .filter(|t| t.is_some_and(|t| t < first_bytes_limit / 2))
        .count();
    let longest = times.iter().flatten().max().copied().unwrap_or_default();
    println!(
        "FIGURE {what}: {FLOOD} connections from one address; /healthz from another: {}; \
         closed at once: {closed_at_once}; closed later (longest {longest:?}): {}; still open \
         after {:?}: {still_open}",
        healthz.map_or("no answer within 5 s".to_owned(), |t| format!("{t:?}")),
        FLOOD - closed_at_once - still_open,
        first_bytes_limit + Duration::from_secs(5),
    );
    let healthz = healthz.expect("/healthz answers during the flood");
    assert!(
        healthz < Duration::from_secs(1),
        "/healthz took {healthz:?}"
    );
    assert_eq!(
        still_open, 0,
        "flooding connections the server never closed"
    );
    assert!(
        longest < first_bytes_limit * 2,
        "a flooding connection stayed {longest:?}; the limit is {first_bytes_limit:?}"
    );
    let per_address = Limits::default().max_connections_per_address;
    assert!(
        closed_at_once >= FLOOD - per_address,
        "only {closed_at_once} connections beyond the per-address cap were closed at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_connections_from_one_address_leave_others_served_and_are_closed() {
    flood_leaves_others_served("silent", b"").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_preface_only_connections_from_one_address_leave_others_served_and_are_closed() {
    flood_leaves_others_served("h2 preface+SETTINGS", H2_PREFACE_AND_SETTINGS).await;
}

/// A POST to `/api/v1/loans` (which reads its whole body) that claims to be a
/// multipart upload and trickles its body a byte every 100 ms; returns the answer's
/// first line and how long it took.
async fn trickled_multipart_post(app: &TestApp, cookie: &str) -> (String, Duration) {
    let body = br#"{"resource_id":"x","start":"2030-01-01","end":"2030-01-02","purpose":"p"}"#;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/loans HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\nCookie: {cookie}\r\n\
         Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {1}\r\n\r\n",
        app.addr,
        body.len()
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        for byte in body {
            if writer.write_all(&[*byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        match tokio::time::timeout(Duration::from_secs(30), reader.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    let took = started.elapsed();
    trickle.abort();
    let text = String::from_utf8_lossy(&answer);
    (text.lines().next().unwrap_or_default().to_owned(), took)
}

/// A server that gives a response one second to start.
async fn app_with_a_one_second_response_limit() -> (TestApp, Duration) {
    let limit = Duration::from_secs(1);
    let app = TestApp::spawn_with_limits(Limits {
        request_timeout: limit,
        ..Limits::default()
    })
    .await;
    (app, limit)
}

#[tokio::test]
async fn a_slow_body_that_claims_to_be_an_upload_is_still_cut_at_the_time_limit() {
    let (app, limit) = app_with_a_one_second_response_limit().await;
    let cookie = crate::common::process::admin_cookie(app.addr).await;
    let (status_line, took) = trickled_multipart_post(&app, &cookie).await;
    println!(
        "FIGURE multipart-claiming trickled POST /api/v1/loans (limit {limit:?}): \
         answered after {took:?} with “{status_line}”"
    );
    assert!(status_line.starts_with("HTTP/1.1 503"), "{status_line}");
    assert!(
        took < limit * 5,
        "answered after {took:?}, the limit is {limit:?}"
    );
}

/// A frame: type, flags, stream and payload.
fn h2_frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let len = u32::try_from(payload.len()).unwrap().to_be_bytes();
    let mut frame = vec![len[1], len[2], len[3], kind, flags];
    frame.extend_from_slice(&stream.to_be_bytes());
    frame.extend_from_slice(payload);
    frame
}

/// `GET /healthz` on stream 1 (HPACK: indexed `:method GET` and `:scheme http`,
/// literal `:path` and `:authority`).
fn h2_get_healthz(authority: &str) -> Vec<u8> {
    let mut block = vec![0x82, 0x86, 0x04, 8];
    block.extend_from_slice(b"/healthz");
    block.extend_from_slice(&[0x01, u8::try_from(authority.len()).unwrap()]);
    block.extend_from_slice(authority.as_bytes());
    h2_frame(1, 0x05, 1, &block)
}

/// Reads frames, acknowledging SETTINGS and PING as a live client does, until the
/// server closes the connection or `within` passes. Returns when the answer to stream
/// 1 ended (if it came) and when the connection closed (if it did).
async fn h2_converse(
    stream: &mut TcpStream,
    within: Duration,
) -> (Option<Instant>, Option<Instant>) {
    let deadline = tokio::time::Instant::now() + within;
    let mut answered = None;
    loop {
        let mut head = [0u8; 9];
        match tokio::time::timeout_at(deadline, stream.read_exact(&mut head)).await {
            Err(_) => return (answered, None),
            Ok(Err(_)) => return (answered, Some(Instant::now())),
            Ok(Ok(_)) => {}
        }
        let len = usize::from(head[0]) << 16 | usize::from(head[1]) << 8 | usize::from(head[2]);
        let (kind, flags) = (head[3], head[4]);
        let mut payload = vec![0u8; len];
        if stream.read_exact(&mut payload).await.is_err() {
            return (answered, Some(Instant::now()));
        }
        let reply = match (kind, flags & 1) {
            (4, 0) => Some(h2_frame(4, 1, 0, &[])),
            (6, 0) => Some(h2_frame(6, 1, 0, &payload)),
            _ => None,
        };
        if let Some(reply) = reply {
            let _ = stream.write_all(&reply).await;
        }
        // HEADERS or DATA ending stream 1.
        if matches!(kind, 0 | 1) && flags & 1 == 1 && head[5..9] == [0, 0, 0, 1] {
            answered = Some(Instant::now());
        }
    }
}

#[tokio::test]
async fn an_http2_connection_that_answers_pings_but_sends_no_request_is_closed_when_idle() {
    let idle = Duration::from_secs(1);
    let app = TestApp::spawn_with_limits(Limits {
        header_read_timeout: Duration::from_secs(5),
        idle_timeout: idle,
        ..Limits::default()
    })
    .await;
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    stream.write_all(H2_PREFACE_AND_SETTINGS).await.unwrap();
    stream
        .write_all(&h2_get_healthz(&app.addr.to_string()))
        .await
        .unwrap();
    let (answered, closed) = h2_converse(&mut stream, Duration::from_secs(20)).await;
    let answered = answered.expect("the HTTP/2 request was answered");
    let idle_for = closed.map(|closed| closed - answered);
    println!("FIGURE idle HTTP/2 connection (idle limit {idle:?}): closed after {idle_for:?}");
    let idle_for = idle_for.expect("the idle HTTP/2 connection was never closed");
    // After the idle time, and before the 5 s given to a first request.
    assert!(
        idle_for >= idle - Duration::from_millis(100),
        "{idle_for:?}"
    );
    assert!(idle_for < Duration::from_secs(5), "{idle_for:?}");
}

/// Signs in as admin from `source`, claiming `forwarded_for`; the address the audit
/// row of the sign-in names.
async fn sign_in_from(app: &TestApp, source: IpAddr, forwarded_for: &str) -> String {
    let client = reqwest::Client::builder()
        .local_address(source)
        .build()
        .unwrap();
    let resp = client
        .post(app.url("/api/v1/session"))
        .header("Origin", format!("http://{}", app.addr))
        .header("X-Forwarded-For", forwarded_for)
        .json(&serde_json::json!({"username": "admin", "password": crate::common::ADMIN_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let conn = app.state.db.get().unwrap();
    conn.query_row(
        "SELECT detail FROM audit_log WHERE action = 'sign_in' ORDER BY id DESC LIMIT 1",
        [],
        |row| row.get(0),
    )
    .unwrap()
}

#[tokio::test]
async fn behind_a_trusted_proxy_clients_are_told_apart_and_others_cannot_spoof_an_address() {
    let proxy = loopback(4);
    let app = TestApp::spawn_with_limits(Limits {
        trusted_proxies: jingshi::config::TrustedProxies::new(vec![
            jingshi::config::parse_proxy("127.0.0.4").unwrap(),
        ]),
        ..Limits::default()
    })
    .await;
    let first = sign_in_from(&app, proxy, "198.51.100.1").await;
    let second = sign_in_from(&app, proxy, "10.9.9.9, 198.51.100.2").await;
    let spoofed = sign_in_from(&app, loopback(5), "198.51.100.3").await;
    println!("FIGURE behind a trusted proxy: {first:?} / {second:?}; untrusted peer: {spoofed:?}");
    assert!(first.contains("198.51.100.1"), "{first}");
    assert!(second.contains("198.51.100.2"), "{second}");
    assert!(spoofed.contains("127.0.0.5"), "{spoofed}");
    assert!(!spoofed.contains("198.51.100.3"), "{spoofed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_per_address_cap_spares_trusted_proxies() {
    let cap = 4;
    let first_bytes_limit = Duration::from_secs(2);
    let app = TestApp::spawn_with_limits(Limits {
        header_read_timeout: first_bytes_limit,
        max_connections_per_address: cap,
        trusted_proxies: jingshi::config::TrustedProxies::new(vec![
            jingshi::config::parse_proxy("127.0.0.4/32").unwrap(),
        ]),
        ..Limits::default()
    })
    .await;
    let from_proxy = flood(loopback(4), app.addr, 3 * cap, b"").await;
    let from_client = flood(loopback(5), app.addr, 3 * cap, b"").await;
    let closed_at_once = |times: &[Option<Duration>]| {
        times
            .iter()
            .filter(|t| t.is_some_and(|t| t < first_bytes_limit / 2))
            .count()
    };
    let (proxy_times, client_times) = tokio::join!(
        open_times(from_proxy, first_bytes_limit * 5),
        open_times(from_client, first_bytes_limit * 5)
    );
    assert_eq!(closed_at_once(&proxy_times), 0, "{proxy_times:?}");
    assert_eq!(closed_at_once(&client_times), 2 * cap, "{client_times:?}");
    // The rest are closed at the first-request limit.
    for times in [&proxy_times, &client_times] {
        assert!(times.iter().all(Option::is_some), "{times:?}");
    }
}

#[tokio::test]
async fn an_upload_slower_than_the_response_time_limit_still_completes() {
    let (app, limit) = app_with_a_one_second_response_limit().await;
    let admin = app.admin().await;
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &serde_json::json!({"kind": "case", "title": "慢速上传", "access": "open"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let cookie = crate::common::process::admin_cookie(app.addr).await;
    let body = "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.md\"\r\n\
                Content-Type: text/markdown\r\n\r\n# 慢慢上传\n\n分几次送达的内容。\r\n--B--\r\n"
        .as_bytes();
    let mut stream = TcpStream::connect(app.addr).await.unwrap();
    let head = format!(
        "POST /api/v1/resources/{id}/files HTTP/1.1\r\nHost: {0}\r\nOrigin: http://{0}\r\n\
         Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary=B\r\n\
         Content-Length: {1}\r\n\r\n",
        app.addr,
        body.len()
    );
    let started = Instant::now();
    stream.write_all(head.as_bytes()).await.unwrap();
    // Eight pieces 300 ms apart: over twice the limit, never idle for long.
    for piece in body.chunks(body.len().div_ceil(8)) {
        stream.write_all(piece).await.unwrap();
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let mut answer = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(30), stream.read(&mut answer))
        .await
        .unwrap()
        .unwrap();
    let took = started.elapsed();
    let answer = String::from_utf8_lossy(&answer[..n]);
    println!(
        "FIGURE upload trickled over {took:?} (limit {limit:?}): {}",
        answer.lines().next().unwrap_or_default()
    );
    assert!(took > limit * 2, "{took:?}");
    assert!(answer.starts_with("HTTP/1.1 201"), "{answer}");
}

#[test]
fn a_trusted_proxy_that_is_not_an_address_is_refused_in_words_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let out = crate::common::process::jingshi(dir.path())
        .env(
            "JINGSHI_ADDR",
            crate::common::process::free_addr().to_string(),
        )
        .env(
            "JINGSHI_TRUSTED_PROXIES",
            "10.0.0.1,<script>alert(1)</script>",
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(stderr.contains("不是 IP 地址或网段"), "{stderr}");
    assert!(
        !dir.path().join("content").exists(),
        "the data folder was touched"
    );
}
