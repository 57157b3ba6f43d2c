//! The command line and the data folder as a user meets them (SPEC §7), through the real
//! binary: `reindex`, bare `jingshi`, the password prompt, the admin password printed
//! once, import progress and summary, `/healthz` while starting, and a clean
//! `git status` after serving from a checkout.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::common::process::{
    Proc, admin_at, free_addr, imported_data, jingshi, open_db, query_i64, search_total, sign_in,
    start_server, write_manifest,
};
use crate::common::{ADMIN_PASSWORD, client_for, copy_tree, repo_root};

/// How long a start, a command or a prompt may take on a loaded machine.
const DEADLINE: Duration = Duration::from_secs(120);

/// Text without terminal escape sequences (the log's colours, the progress bar's moves).
fn plain(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
        } else if chars.next() == Some('[') {
            // A CSI sequence ends with a byte in `@`..=`~`.
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        }
    }
    out
}

/// Sends the command's stdout and stderr to the file `log`.
fn log_to(command: &mut Command, log: &Path) {
    let file = std::fs::File::create(log).expect("log file");
    command
        .stdout(file.try_clone().expect("log file"))
        .stderr(file);
}

fn read_log(log: &Path) -> String {
    plain(&std::fs::read(log).unwrap_or_default())
}

/// Waits for a child to exit.
fn wait_exit(child: &mut Child) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(started.elapsed() < DEADLINE, "the command did not end");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Asks the server to stop, as Ctrl-C or a service manager would, and waits for it.
fn stop(server: &mut Proc) {
    let pid = i32::try_from(server.0.id()).expect("pid");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGTERM,
    )
    .expect("SIGTERM");
    let status = wait_exit(&mut server.0);
    assert!(status.success(), "the server stopped with {status}");
}

/// Waits until the server answers `/healthz` with 200.
async fn await_ready(server: &mut Proc, addr: SocketAddr, log: &Path) {
    let client = client_for(addr);
    let started = Instant::now();
    loop {
        if let Ok(resp) = client.get(format!("http://{addr}/healthz")).send().await
            && resp.status() == 200
        {
            return;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("server exited early: {status}\n{}", read_log(log));
        }
        assert!(
            started.elapsed() < DEADLINE,
            "server did not start\n{}",
            read_log(log)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `command serve` on a free port, its output in `log`, once it answers `/healthz`.
async fn serve_logged(mut command: Command, log: &Path) -> (Proc, SocketAddr) {
    let addr = free_addr();
    command.arg("serve").arg("--addr").arg(addr.to_string());
    log_to(&mut command, log);
    let mut server = Proc(command.spawn().expect("spawn server"));
    await_ready(&mut server, addr, log).await;
    (server, addr)
}

/// Waits until a search as admin finds `expected` resources.
async fn await_total(addr: SocketAddr, q: &str, expected: u64) {
    let admin = admin_at(addr).await;
    let started = Instant::now();
    loop {
        let total = search_total(&admin, q).await;
        if total == Some(expected) {
            return;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "search for {q} found {total:?}, expected {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A command on a pseudo-terminal: its stdin, stdout and stderr are the terminal, as
/// when a user runs it in a shell.
struct OnPty {
    child: Proc,
    /// The keyboard side of the terminal.
    keys: std::fs::File,
    /// Everything the terminal showed so far.
    screen: Arc<Mutex<Vec<u8>>>,
}

impl OnPty {
    fn spawn(mut command: Command) -> Self {
        use nix::fcntl::OFlag;
        // Close-on-exec on both ends: a child that another test spawns meanwhile must
        // not inherit the terminal and keep it open after this command ends.
        let master = nix::pty::posix_openpt(OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC)
            .expect("posix_openpt");
        nix::pty::grantpt(&master).expect("grantpt");
        nix::pty::unlockpt(&master).expect("unlockpt");
        let name = nix::pty::ptsname_r(&master).expect("ptsname");
        let terminal = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(nix::libc::O_NOCTTY)
            .open(&name)
            .expect("open the terminal");
        command
            .env("TERM", "xterm")
            .stdin(terminal.try_clone().expect("terminal"))
            .stdout(terminal.try_clone().expect("terminal"))
            .stderr(terminal);
        let child = Proc(command.spawn().expect("spawn on the terminal"));
        // The command holds our copies of the terminal: once only the child has it, its
        // exit ends the reads below.
        drop(command);
        let keys = std::fs::File::from(std::os::fd::OwnedFd::from(master));
        let mut reader = keys.try_clone().expect("terminal");
        let screen = Arc::new(Mutex::new(Vec::new()));
        let sink = screen.clone();
        std::thread::spawn(move || {
            let mut buf = [0; 4096];
            // EIO once the child has exited and closed the terminal.
            while let Ok(n @ 1..) = reader.read(&mut buf) {
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Self {
            child,
            keys,
            screen,
        }
    }

    fn text(&self) -> String {
        plain(&self.screen.lock().unwrap())
    }

    /// Whether the command has ended.
    fn ended(&mut self) -> bool {
        matches!(self.child.0.try_wait(), Ok(Some(_)))
    }

    /// Waits until the terminal has shown `what` `times` times, or the command ended.
    fn await_text(&mut self, what: &str, times: usize) {
        let started = Instant::now();
        while self.text().matches(what).count() < times && !self.ended() {
            assert!(
                started.elapsed() < DEADLINE,
                "the terminal did not show {what:?}: {}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Types a line, as at the keyboard.
    fn type_line(&mut self, line: &str) {
        self.keys
            .write_all(format!("{line}\r").as_bytes())
            .expect("type");
    }

    /// Waits for the command to end: its status and all the terminal showed.
    fn finish(mut self) -> (ExitStatus, String) {
        let status = wait_exit(&mut self.child.0);
        // The reader drains what the child wrote before exiting, then drops its handle.
        let started = Instant::now();
        while Arc::strong_count(&self.screen) > 1 && started.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
        }
        (status, self.text())
    }
}

#[tokio::test]
async fn reindex_rebuilds_a_missing_or_corrupt_index_and_the_server_starts_on_it() {
    let (data, src) = imported_data("reidx", 5, true);
    let (mut server, addr) = start_server(data.path()).await;
    await_total(addr, "甲乙丙丁reidx", 5).await;
    stop(&mut server);

    let reindex = || {
        let out = jingshi(data.path()).arg("reindex").output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("索引重建完成：5 个资源"), "{stdout}");
    };
    let index = data.path().join("index");
    // Deleted, as a user clearing a derived folder would.
    std::fs::remove_dir_all(&index).unwrap();
    reindex();
    assert!(index.join("meta.json").is_file());
    // Corrupt, as a disk fault would leave it.
    std::fs::write(index.join("meta.json"), b"{ not an index").unwrap();
    reindex();

    // The server finds the index whole: it answers at once without a rebuild of its own.
    let log = src.path().join("serve.log");
    let mut command = jingshi(data.path());
    command.env("RUST_LOG", "info,tantivy=warn");
    let (_server, addr) = serve_logged(command, &log).await;
    let admin = admin_at(addr).await;
    assert_eq!(search_total(&admin, "甲乙丙丁reidx").await, Some(5));
    let log = read_log(&log);
    assert!(log.contains("listening on"), "{log}");
    assert!(
        !log.contains("building the search index") && !log.contains("rebuilding"),
        "the server rebuilt the index that reindex had just built:\n{log}"
    );
}

/// Copies a folder tree.
fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[tokio::test]
async fn bare_jingshi_serves_the_current_folder_on_the_default_address() {
    // Bare `jingshi` reads JINGSHI_ADDR like `serve`, so any free port will do.
    let addr = free_addr();
    let folder = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("content/demo"),
        &folder.path().join("content/demo"),
    );
    let log = folder.path().join("serve.log");
    let mut command = Command::new(env!("CARGO_BIN_EXE_jingshi"));
    command
        .current_dir(folder.path())
        .env("JINGSHI_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("RUST_LOG", "info,tantivy=warn")
        .env_remove("JINGSHI_DATA")
        .env("JINGSHI_ADDR", addr.to_string());
    log_to(&mut command, &log);
    let mut server = Proc(command.spawn().expect("spawn jingshi"));
    let client = client_for(addr);
    let started = Instant::now();
    loop {
        // Our own server, not whatever else took the port after the check above.
        if read_log(&log).contains(&format!("listening on http://{addr}/"))
            && let Ok(resp) = client.get(format!("http://{addr}/healthz")).send().await
            && resp.status() == 200
        {
            break;
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            let log = read_log(&log);
            if log.contains("cannot listen") {
                eprintln!("skipped: {addr} was taken meanwhile\n{log}");
                return;
            }
            panic!("jingshi exited: {status}\n{log}");
        }
        assert!(
            started.elapsed() < DEADLINE,
            "jingshi did not start\n{}",
            read_log(&log)
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The current folder is the data folder: its database and index, its demo catalogue.
    assert!(folder.path().join("content/jingshi.db").is_file());
    assert!(folder.path().join("index/meta.json").is_file());
    let admin = sign_in(addr, "admin", ADMIN_PASSWORD).await;
    assert!(search_total(&admin, "受贿").await.unwrap_or(0) > 0);
    let (status, body) = admin
        .get_json("/api/v1/resources/demo-tax-invoice-case")
        .await;
    assert_eq!(status, 200, "{body}");
    stop(&mut server);
}

#[tokio::test]
async fn user_add_without_a_password_prompts_for_it_on_a_terminal() {
    let data = tempfile::tempdir().unwrap();
    // The first start creates the demo units (yn-tax).
    let (_server, addr) = start_server(data.path()).await;
    let mut command = jingshi(data.path());
    command.args([
        "user",
        "add",
        "--username",
        "prompted",
        "--role",
        "borrower",
        "--unit",
        "yn-tax",
    ]);
    let mut user_add = OnPty::spawn(command);
    let secret = "prompted-secret-7";
    // Asked twice (the second time to confirm), never shown on the screen.
    user_add.await_text("密码：", 1);
    user_add.type_line(secret);
    user_add.await_text("再输入一次：", 1);
    user_add.type_line(secret);
    let (status, screen) = user_add.finish();
    assert!(status.success(), "{screen}");
    assert!(screen.contains("已创建账号 prompted"), "{screen}");
    assert!(
        !screen.contains(secret),
        "the password was echoed: {screen}"
    );
    sign_in(addr, "prompted", secret).await;

    // Two different answers: refused, and no account.
    let mut command = jingshi(data.path());
    command.args([
        "user",
        "add",
        "--username",
        "mistyped",
        "--role",
        "librarian",
    ]);
    let mut user_add = OnPty::spawn(command);
    user_add.await_text("密码：", 1);
    user_add.type_line(secret);
    user_add.await_text("再输入一次：", 1);
    user_add.type_line("another-secret-8");
    let (status, screen) = user_add.finish();
    assert!(!status.success(), "{screen}");
    assert!(screen.contains("两次输入的密码不一致"), "{screen}");
    assert_eq!(
        query_i64(
            &open_db(data.path()),
            "SELECT count(*) FROM users WHERE username = 'mistyped'"
        ),
        0
    );
}

#[tokio::test]
async fn user_add_without_a_terminal_reads_the_password_from_stdin_or_refuses() {
    let data = tempfile::tempdir().unwrap();
    let (_server, addr) = start_server(data.path()).await;
    let user_add = |username: &str, stdin: Stdio| {
        let mut child = jingshi(data.path())
            .args(["user", "add", "--username", username, "--role", "borrower"])
            .args(["--unit", "yn-tax"])
            .stdin(stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        (child.stdin.take(), child)
    };

    // A script pipes the password in.
    let (stdin, child) = user_add("piped", Stdio::piped());
    stdin
        .unwrap()
        .write_all(b"piped-secret-7\n")
        .expect("write the password");
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    sign_in(addr, "piped", "piped-secret-7").await;

    // Nothing to read: refused with a message, and no account without a password.
    let (_, child) = user_add("nobody", Stdio::null());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{out:?}");
    assert!(stderr.contains("错误：没有提供密码"), "{stderr}");
    assert!(
        !stderr.contains("密码："),
        "prompted without a terminal: {stderr}"
    );
    assert_eq!(
        query_i64(
            &open_db(data.path()),
            "SELECT count(*) FROM users WHERE username = 'nobody'"
        ),
        0
    );
}

/// The password in the log line that announces a random admin password.
fn printed_password(log: &str) -> Option<String> {
    log.lines()
        .filter(|line| line.contains("random password"))
        .find_map(|line| {
            let rest = &line[line.find("password=")? + "password=".len()..];
            let password: String = rest
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect();
            (!password.is_empty()).then_some(password)
        })
}

#[tokio::test]
async fn the_random_admin_password_is_printed_once_on_the_first_start() {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    // As a user starts it: no chosen password, the default log level.
    let as_a_user = || {
        let mut command = jingshi(data.path());
        command
            .env_remove("JINGSHI_ADMIN_PASSWORD")
            .env_remove("RUST_LOG");
        command
    };

    let first = logs.path().join("first.log");
    let (mut server, addr) = serve_logged(as_a_user(), &first).await;
    let log = read_log(&first);
    let password = printed_password(&log)
        .unwrap_or_else(|| panic!("no admin password in the first start's log:\n{log}"));
    assert_eq!(log.matches(&password).count(), 1, "{log}");
    sign_in(addr, "admin", &password).await;
    stop(&mut server);

    let second = logs.path().join("second.log");
    let (_server, addr) = serve_logged(as_a_user(), &second).await;
    let log = read_log(&second);
    assert!(
        !log.contains(&password) && printed_password(&log).is_none(),
        "the second start printed a password:\n{log}"
    );
    sign_in(addr, "admin", &password).await;
}

/// The random password printed for account `username`.
fn printed_password_of(log: &str, username: &str) -> Option<String> {
    let line = log
        .lines()
        .find(|line| line.contains("random password") && line.contains(&format!("`{username}`")))?;
    printed_password(line)
}

#[tokio::test]
async fn the_demo_start_creates_a_borrower_and_no_demo_leaves_the_demo_out() {
    let logs = tempfile::tempdir().unwrap();
    let with_demo = || {
        let data = tempfile::tempdir().unwrap();
        copy_tree(
            &repo_root().join("content").join("demo"),
            &data.path().join("content").join("demo"),
        );
        data
    };

    // The demo: the officer's password is printed once, beside the admin's.
    let data = with_demo();
    let first = logs.path().join("demo.log");
    let mut command = jingshi(data.path());
    command
        .env_remove("JINGSHI_DEMO_PASSWORD")
        .env_remove("RUST_LOG");
    let (_server, addr) = serve_logged(command, &first).await;
    let log = read_log(&first);
    let password = printed_password_of(&log, "demo-officer")
        .unwrap_or_else(|| panic!("no demo borrower password in the log:\n{log}"));
    assert_eq!(log.matches(&password).count(), 1, "{log}");
    let officer = sign_in(addr, "demo-officer", &password).await;
    let (status, html) = crate::common::web::page(&officer, "/loans").await;
    assert_eq!(status, 200);
    assert!(html.contains("国家税务总局云南省税务局"), "{html}");
    assert!(search_total(&officer, "八项规定").await.unwrap() > 0);
    let (status, _) = officer.get_json("/librarian/queue").await;
    assert_eq!(status, 403, "the demo borrower is only a borrower");

    // A real deployment: the admin only, no demo units, catalogue or borrower.
    let data = with_demo();
    let real = logs.path().join("real.log");
    let mut command = jingshi(data.path());
    command
        .env("JINGSHI_NO_DEMO", "true")
        .env("JINGSHI_DEMO_PASSWORD", "Unused-demo-pass-2026");
    let (_server, addr) = serve_logged(command, &real).await;
    let admin = admin_at(addr).await;
    let (status, units) = admin.get_json("/api/v1/units").await;
    assert_eq!(status, 200);
    assert_eq!(units.as_array().map(Vec::len), Some(0), "{units}");
    assert_eq!(search_total(&admin, "").await, Some(0));
    let refused = client_for(addr)
        .post(format!("http://{addr}/api/v1/session"))
        .json(&serde_json::json!({"username": "demo-officer", "password": "Unused-demo-pass-2026"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn the_time_zone_is_configurable_and_a_bad_one_is_refused() {
    let data = tempfile::tempdir().unwrap();
    let out = jingshi(data.path())
        .env("JINGSHI_TIME_ZONE", "Mars/Olympus_Mons")
        .arg("reindex")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("时区“Mars/Olympus_Mons”无效"), "{stderr}");
    assert!(
        stderr.ends_with('\n'),
        "CLI errors end with a newline: {stderr:?}"
    );

    // Served in UTC, the audit log shows the sign-in at UTC time, not Beijing's.
    let logs = tempfile::tempdir().unwrap();
    let mut command = jingshi(data.path());
    command.env("JINGSHI_TIME_ZONE", "UTC");
    let (_server, addr) = serve_logged(command, &logs.path().join("utc.log")).await;
    let minute = |at: jiff::Timestamp| at.strftime("%Y-%m-%d %H:%M").to_string();
    let before = jiff::Timestamp::now();
    let admin = admin_at(addr).await;
    let after = jiff::Timestamp::now();
    let (status, html) = crate::common::web::page(&admin, "/librarian/audit").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&minute(before)) || html.contains(&minute(after)),
        "no sign-in at {} UTC in the audit log:\n{html}",
        minute(before)
    );
}

#[test]
fn import_on_a_terminal_shows_progress_and_ends_with_a_summary() {
    let data = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let manifest = write_manifest(src.path(), "ptyimp", 300, true);
    let mut command = jingshi(data.path());
    command.arg("import").arg(&manifest);
    let (status, screen) = OnPty::spawn(command).finish();
    assert!(status.success(), "{screen}");
    // indicatif's bar: the label and the count done of all.
    assert!(
        screen.contains("导入 [") && screen.contains("/300"),
        "no progress on the terminal:\n{screen}"
    );
    assert!(
        screen.contains("导入完成：共 300 行，新建 300，更新 0，未变 0，失败 0"),
        "{screen}"
    );
}

#[test]
fn import_without_a_terminal_prints_the_summary_and_names_a_bad_row() {
    let data = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    let manifest = write_manifest(src.path(), "pipeimp", 20, true);
    let import = |manifest: &Path| {
        jingshi(data.path())
            .arg("import")
            .arg(manifest)
            .output()
            .unwrap()
    };
    let out = import(&manifest);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains("导入完成：共 20 行，新建 20，更新 0，未变 0，失败 0"),
        "{stdout}"
    );
    // No bar drawn into a pipe or a log file.
    assert!(
        !stderr.contains("导入 [") && !stderr.contains('\u{1b}') && !stdout.contains('\u{1b}'),
        "{stderr}"
    );

    let bad = src.path().join("bad.json");
    std::fs::write(
        &bad,
        serde_json::to_vec(&json!({"resources": [
            {"id": "row-ok-1", "kind": "case", "title": "好的一行"},
            {"id": "row-bad", "kind": "case", "title": "日期不对", "date": "去年春天"},
            {"id": "row-ok-2", "kind": "case", "title": "又一行好的"},
        ]}))
        .unwrap(),
    )
    .unwrap();
    let out = import(&bad);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(!out.status.success(), "{stdout}{stderr}");
    assert!(
        stderr.contains("第 2 条") && stderr.contains("row-bad"),
        "the bad row is not named: {stderr}"
    );
    assert!(
        stdout.contains("共 3 行，新建 2") && stdout.contains("失败 1"),
        "{stdout}"
    );
}

#[tokio::test]
async fn healthz_answers_503_while_the_index_is_rebuilt_on_start_then_200() {
    // Enough documents that the rebuild on start takes a while (about a second here).
    let (data, src) = imported_data("slowstart", 3000, false);
    let _ = std::fs::remove_dir_all(data.path().join("index"));

    let addr = free_addr();
    let log = src.path().join("serve.log");
    let mut command = jingshi(data.path());
    command
        .env("RUST_LOG", "info,tantivy=warn")
        .arg("serve")
        .arg("--addr")
        .arg(addr.to_string());
    log_to(&mut command, &log);
    let mut server = Proc(command.spawn().expect("spawn server"));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    // Every answer before the first 200, from the moment the port accepts connections.
    let mut before_ready: Vec<(u16, String)> = Vec::new();
    let started = Instant::now();
    loop {
        if let Ok(resp) = client.get(format!("http://{addr}/healthz")).send().await {
            let status = resp.status().as_u16();
            if status == 200 {
                break;
            }
            before_ready.push((status, resp.text().await.unwrap_or_default()));
        }
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("server exited: {status}\n{}", read_log(&log));
        }
        assert!(
            started.elapsed() < DEADLINE,
            "server did not become ready\n{}",
            read_log(&log)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        !before_ready.is_empty(),
        "/healthz answered 200 at once: the server listened only after rebuilding\n{}",
        read_log(&log)
    );
    for (status, body) in &before_ready {
        let body: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        assert_eq!(*status, 503, "{body}");
        assert_eq!(body["status"], "starting", "{body}");
    }
    // Ready means searchable: the whole catalogue, at once.
    let admin = admin_at(addr).await;
    assert_eq!(search_total(&admin, "甲乙丙丁slowstart").await, Some(3000));
}

/// `git` in `dir`; its stdout.
fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .expect("git");
    assert!(out.status.success(), "git {args:?}: {out:?}");
    String::from_utf8(out.stdout).expect("utf-8")
}

/// Every tracked file of the work tree `dir` and the SHA-256 of its bytes.
fn tracked_hashes(dir: &Path) -> BTreeMap<String, String> {
    git(dir, &["ls-files", "-z"])
        .split('\0')
        .filter(|path| !path.is_empty())
        .map(|path| {
            let bytes = std::fs::read(dir.join(path)).unwrap_or_default();
            (path.to_owned(), hex::encode(Sha256::digest(&bytes)))
        })
        .collect()
}

#[tokio::test]
async fn serving_from_a_checkout_leaves_git_status_clean() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let is_checkout = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .is_ok_and(|out| out.status.success());
    if !is_checkout {
        eprintln!("skipped: {} is not a git checkout", repo.display());
        return;
    }
    // A fresh clone stands in for the user's checkout, so the developer's is untouched.
    let clone_parent = tempfile::tempdir().unwrap();
    let checkout = clone_parent.path().join("jingshi");
    let out = Command::new("git")
        .args(["clone", "--quiet"])
        .arg(repo)
        .arg(&checkout)
        .output()
        .expect("git clone");
    assert!(out.status.success(), "{out:?}");
    let before = tracked_hashes(&checkout);
    assert!(before.contains_key("content/demo/manifest.json"));

    // Served as the README says: from the checkout, with the demo catalogue.
    let log = clone_parent.path().join("serve.log");
    let mut command = jingshi(&checkout);
    command.current_dir(&checkout);
    let (mut server, addr) = serve_logged(command, &log).await;
    let admin = admin_at(addr).await;
    assert!(search_total(&admin, "受贿").await.unwrap_or(0) > 0);
    for page in ["/", "/search?q=受贿", "/resources/demo-tax-invoice-case"] {
        assert_eq!(admin.get(page).await.status(), 200, "{page}");
    }
    let (status, resource) = admin
        .get_json("/api/v1/resources/demo-tax-invoice-case")
        .await;
    assert_eq!(status, 200, "{resource}");
    let file = resource["files"][0]["id"].as_str().expect("a file");
    assert_eq!(
        admin.get(&format!("/api/v1/files/{file}")).await.status(),
        200
    );
    // An upload writes into the file store under content/.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes("# 补充材料\n\n上传的说明。".as_bytes().to_vec())
            .file_name("补充.md"),
    );
    let resp = admin
        .client
        .post(admin.url("/api/v1/resources/demo-tax-invoice-case/files"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "upload: {}", resp.status());
    stop(&mut server);
    // A rebuild of the index from the command line, too.
    let out = jingshi(&checkout)
        .current_dir(&checkout)
        .arg("reindex")
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");

    assert!(checkout.join("content/jingshi.db").is_file());
    let after = tracked_hashes(&checkout);
    let changed: Vec<_> = before
        .iter()
        .filter(|(path, hash)| after.get(*path) != Some(hash))
        .map(|(path, _)| path)
        .collect();
    assert!(changed.is_empty(), "tracked files changed: {changed:?}");
    let status = git(&checkout, &["status", "--porcelain"]);
    assert!(status.is_empty(), "git status after serving:\n{status}");
}

/// Each request is logged inside a span naming its method, path, user, status and
/// latency, so that whatever a request logs can be traced to who asked for what.
#[tokio::test]
async fn every_request_is_logged_in_a_span_with_user_status_and_latency() {
    let data = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("serve.log");
    let mut command = jingshi(data.path());
    command.env("RUST_LOG", "warn,jingshi::web=debug");
    let (mut server, addr) = serve_logged(command, &log).await;
    let admin = admin_at(addr).await;
    let (status, _) = admin.get_json("/api/v1/search?q=%E5%8F%97%E8%B4%BF").await;
    assert_eq!(status, 200);
    let (status, _) = admin.get_json("/api/v1/resources/no-such-resource").await;
    assert_eq!(status, 404);
    stop(&mut server);
    let text = read_log(&log);
    let answered = |path: &str, status: u16| {
        text.lines().any(|line| {
            line.contains("request{method=GET")
                && line.contains(&format!("path=\"{path}\""))
                && line.contains("user=\"admin\"")
                && line.contains(&format!("status={status}"))
                && line.contains("latency_ms=")
                && line.contains("answered")
        })
    };
    assert!(answered("/api/v1/search", 200), "{text}");
    assert!(
        answered("/api/v1/resources/no-such-resource", 404),
        "{text}"
    );
    // A refusal is the client's business: no error is logged for it.
    assert!(!text.contains("request failed"), "{text}");
}
