//! Hostile clients against sign-in (issue 14): a burst of sign-ins from many
//! addresses, huge usernames, strangers locking the owner out, guessing the current
//! password with a stolen session. Each prints its figure (`-- --nocapture`).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::time::{Duration, Instant};

use jingshi::accounts::{AccountError, Role};
use jingshi::actor::Actor;
use serde_json::{Value, json};

use crate::common::process::{
    Proc, free_addr, jingshi, open_db, query_i64, start_bare_server_with,
};
use crate::common::{ADMIN_PASSWORD, Session, TestApp, USER_PASSWORD};

/// A client whose connections come from `source` (any 127.x.y.z is loopback), with
/// our Origin and its own cookie jar.
pub fn client_from(source: [u8; 4], server: SocketAddr) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    let origin = format!("http://{server}").parse().expect("origin");
    headers.insert(reqwest::header::ORIGIN, origin);
    reqwest::Client::builder()
        .local_address(IpAddr::V4(Ipv4Addr::from(source)))
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// Signs in from `source`; answers the status, `Retry-After` and the body.
async fn attempt(
    client: &reqwest::Client,
    server: SocketAddr,
    user: &str,
    password: &str,
) -> (u16, Option<String>, Value) {
    let resp = client
        .post(format!("http://{server}/api/v1/session"))
        .json(&json!({"username": user, "password": password}))
        .send()
        .await
        .expect("sign-in request");
    let status = resp.status().as_u16();
    let retry = resp
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, retry, resp.json().await.unwrap_or(Value::Null))
}

/// A line of `/proc/PID/status` in MiB (VmRSS, VmHWM).
fn vm_mib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("status");
    let line = status
        .lines()
        .find(|l| l.starts_with(field))
        .expect("field");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("number");
    kib / 1024
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_sign_ins_from_300_addresses_keeps_memory_and_health() {
    let dir = tempfile::tempdir().unwrap();
    let (server, addr) = start_bare_server_with(dir.path(), &[]).await;
    let pid = server.0.id();
    let before = vm_mib(pid, "VmHWM");
    let prober = client_from([127, 0, 200, 1], addr);
    // What this machine gives an idle server, for comparison (a busy CI machine is slow).
    let idle = slowest_health(&prober, addr, 25).await;
    // The right password, so that every attempt must be hashed: the worst case.
    let burst: Vec<_> = (0..300u32)
        .map(|i| {
            let client = client_from([127, 0, 10 + (i / 250) as u8, 1 + (i % 250) as u8], addr);
            tokio::spawn(async move { attempt(&client, addr, "admin", ADMIN_PASSWORD).await })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    while !burst.iter().all(tokio::task::JoinHandle::is_finished) {
        slowest = slowest.max(slowest_health(&prober, addr, 1).await);
    }
    let mut answers = std::collections::BTreeMap::<u16, usize>::new();
    for task in burst {
        let (status, retry, body) = task.await.unwrap();
        *answers.entry(status).or_default() += 1;
        if status == 429 || status == 503 {
            assert!(retry.is_some(), "{status} without Retry-After: {body}");
            assert!(body["error"]["message"].as_str().is_some(), "{body}");
        } else {
            assert_eq!(status, 200, "{body}");
        }
    }
    let peak = vm_mib(pid, "VmHWM");
    println!(
        "FIGURE burst: peak RSS {before} -> {peak} MiB (+{} MiB), slowest /healthz {} ms (idle: {} ms), answers {answers:?}",
        peak.saturating_sub(before),
        slowest.as_millis(),
        idle.as_millis()
    );
    let grown = peak.saturating_sub(before);
    assert!(grown < 200, "peak RSS grew by {grown} MiB");
    // The server stays responsive: before the gate this burst stalled /healthz for
    // 11 s. The 100 ms target is measured by `examples/attacks` (`sign-in-burst`) on a
    // quiet machine; here other tests share the two cores, so the bound is generous.
    let allowed = idle + Duration::from_secs(1);
    assert!(
        slowest < allowed,
        "/healthz took {slowest:?}, idle {idle:?}"
    );
    // Whoever was turned away gets in once the burst is over.
    let later = status_from([127, 0, 10, 1], addr, "admin", ADMIN_PASSWORD).await;
    assert_eq!(later, 200);
}

/// The bare server at the INFO level, its log written to `log`.
async fn start_logged_server(data: &Path, log: &Path) -> (Proc, SocketAddr) {
    let addr = free_addr();
    let mut command = jingshi(data);
    command
        .env("RUST_LOG", "info")
        .env("JINGSHI_ADDR", addr.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(log).unwrap());
    let server = Proc(command.spawn().expect("spawn server"));
    let client = reqwest::Client::new();
    for _ in 0..1200 {
        if let Ok(resp) = client.get(format!("http://{addr}/healthz")).send().await
            && resp.status() == 200
        {
            return (server, addr);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("server did not start");
}

/// The slowest of `probes` answers of `/healthz`, 20 ms apart.
async fn slowest_health(prober: &reqwest::Client, addr: SocketAddr, probes: usize) -> Duration {
    let mut slowest = Duration::ZERO;
    for _ in 0..probes {
        let started = Instant::now();
        let resp = prober
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200);
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    slowest
}

fn database_bytes(data: &Path) -> u64 {
    ["content/jingshi.db", "content/jingshi.db-wal"]
        .iter()
        .filter_map(|f| std::fs::metadata(data.join(f)).ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_huge_usernames_do_not_fill_the_disk_or_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("server.log");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let (server, addr) = start_logged_server(&data, &log).await;
    let before = database_bytes(&data);
    let started = Instant::now();
    // People type passwords into the name field: this one must never reach the log.
    let typed = format!("typed-secret-{}", "a".repeat(250_000));
    let tasks: Vec<_> = (0..4u8)
        .map(|source| {
            let (client, typed) = (client_from([127, 0, 20, 1 + source], addr), typed.clone());
            tokio::spawn(async move {
                let mut statuses = Vec::new();
                for _ in 0..250 {
                    statuses.push(attempt(&client, addr, &typed, "x").await.0);
                }
                statuses
            })
        })
        .collect();
    for task in tasks {
        for status in task.await.unwrap() {
            assert!([401, 422, 429].contains(&status), "{status}");
        }
    }
    let grown = database_bytes(&data).saturating_sub(before);
    println!(
        "FIGURE disk: 1000 sign-ins with 250 KB usernames grew the database by {} KiB in {:.1} s",
        grown / 1024,
        started.elapsed().as_secs_f64()
    );
    assert!(grown < 1024 * 1024, "the database grew by {grown} bytes");
    let conn = open_db(&data);
    let longest = query_i64(
        &conn,
        "SELECT coalesce(max(length(coalesce(username, '')) + length(coalesce(detail, ''))), 0) FROM audit_log",
    );
    assert!(longest < 400, "an audit row of {longest} characters");
    drop(server);
    let written = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(
        !written.contains("typed-secret"),
        "the typed name was logged"
    );
}

#[tokio::test]
async fn strangers_failures_do_not_lock_the_owner_out() {
    let app = TestApp::spawn().await;
    let addr = app.addr;
    // Six strangers, six wrong passwords each, all at once.
    let strangers: Vec<_> = (1..=6u8)
        .map(|n| {
            tokio::spawn(async move {
                let client = client_from([127, 0, 30, n], addr);
                let mut statuses = Vec::new();
                for _ in 0..6 {
                    statuses.push(attempt(&client, addr, "admin", "guess-guess-guess").await);
                }
                statuses
            })
        })
        .collect();
    let mut lasts = Vec::new();
    for stranger in strangers {
        lasts.push(stranger.await.unwrap().pop().unwrap());
    }
    // The owner, from their own desk, gets in at once.
    let owner = client_from([127, 0, 31, 1], addr);
    let started = Instant::now();
    let (status, _, body) = attempt(&owner, addr, "admin", ADMIN_PASSWORD).await;
    println!(
        "FIGURE lockout: after 36 strangers' failures the owner's sign-in answered {status} in {} ms",
        started.elapsed().as_millis()
    );
    assert_eq!(status, 200, "{body}");
    assert!(started.elapsed() < Duration::from_secs(2));
    // Strangers are slowed down: locked (429), or told the gate is full (503).
    for (status, retry, body) in lasts {
        assert!([429, 503].contains(&status), "{status}: {body}");
        assert!(retry.is_some(), "{status} without Retry-After");
    }
    // The stranger is still refused even with the right password, for now.
    let (status, retry, body) = attempt(
        &client_from([127, 0, 30, 1], addr),
        addr,
        "admin",
        ADMIN_PASSWORD,
    )
    .await;
    assert_eq!(status, 429, "{body}");
    assert!(retry.is_some());
    let message = body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("后再试"), "{message}");
}

#[tokio::test]
async fn one_address_guessing_many_accounts_is_refused() {
    let app = TestApp::spawn().await;
    let guesser = client_from([127, 0, 32, 1], app.addr);
    let mut refused_at = None;
    for n in 0..60 {
        let (status, retry, _) =
            attempt(&guesser, app.addr, &format!("user-{n}"), "guess-guess").await;
        if status == 429 {
            assert!(retry.is_some());
            refused_at = Some(n);
            break;
        }
        assert_eq!(status, 401);
    }
    println!("FIGURE spray: one address refused after {refused_at:?} accounts");
    let refused_at = refused_at.expect("never refused");
    assert!(refused_at <= 30, "{refused_at}");
    // Its budget is spent for every account, the real one too; others are not affected.
    let (status, _, _) = attempt(&guesser, app.addr, "admin", ADMIN_PASSWORD).await;
    assert_eq!(status, 429);
    let other = status_from([127, 0, 32, 2], app.addr, "admin", ADMIN_PASSWORD).await;
    assert_eq!(other, 200);
    // Each refused attempt is counted, not written one audit row each.
    let rows = app.count("SELECT count(*) FROM audit_log WHERE action = 'sign_in_failed'");
    assert!(rows <= refused_at + 1, "{rows} audit rows");
}

/// The status of one sign-in from `source`, on a fresh connection.
async fn status_from(source: [u8; 4], server: SocketAddr, user: &str, password: &str) -> u16 {
    attempt(&client_from(source, server), server, user, password)
        .await
        .0
}

/// A session of `user` (with [`USER_PASSWORD`]) signed in from `source`.
pub async fn signed_in_from(app: &TestApp, source: [u8; 4], user: &str) -> Session {
    let client = client_from(source, app.addr);
    let (status, _, body) = attempt(&client, app.addr, user, USER_PASSWORD).await;
    assert_eq!(status, 200, "{body}");
    Session {
        client,
        base: app.url(""),
    }
}

/// A signed-in borrower (another unit's officer) from `source`.
async fn officer_from(app: &TestApp, source: [u8; 4]) -> Session {
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    signed_in_from(app, source, "officer").await
}

#[tokio::test]
async fn guessing_the_current_password_ends_the_session() {
    let app = TestApp::spawn().await;
    let thief = officer_from(&app, [127, 0, 33, 1]).await;
    let change = json!({"current": "guess-guess-guess", "new": "a-new-strong-secret"});
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(thief.post_json("/api/v1/session/password", &change).await.0);
    }
    println!("FIGURE change-password: five wrong current passwords answered {statuses:?}");
    assert_eq!(statuses[..4], [403, 403, 403, 403]);
    assert_eq!(statuses[4], 401, "{statuses:?}");
    assert_eq!(app.count("SELECT count(*) FROM sessions"), 0);
    assert_eq!(thief.get_json("/api/v1/session").await.0, 401);
    let resp = thief.get("/loans").await;
    assert_eq!(resp.status(), 303);
    let location = resp.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/login"), "{location}");
    // The password did not change, and the owner still signs in from elsewhere.
    let owner = status_from([127, 0, 33, 2], app.addr, "officer", USER_PASSWORD).await;
    assert_eq!(owner, 200);
}

#[tokio::test]
async fn the_domain_counts_wrong_current_passwords_too() {
    let app = TestApp::spawn().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    let mut conn = app.state.db.get().unwrap();
    let user_id = query_i64(&conn, "SELECT id FROM users WHERE username = 'officer'");
    let mut actor = Actor::operator("officer");
    actor.user_id = Some(user_id);
    let now = jiff::Timestamp::now().as_second();
    let at = app.state.clock.moment();
    let mut outcomes = Vec::new();
    for _ in 0..5 {
        let change = jingshi::accounts::users::PasswordChange {
            current: "guess-guess-guess",
            new: "a-new-strong-secret",
            addr: "10.9.8.7",
            now_secs: now,
        };
        outcomes.push(jingshi::accounts::users::change_password(
            &mut conn, &actor, &change, at,
        ));
    }
    assert!(matches!(outcomes[0], Err(AccountError::WrongPassword)));
    assert!(
        matches!(outcomes[4], Err(AccountError::SessionEnded)),
        "{:?}",
        outcomes[4]
    );
}
