//! Crash consistency: what a killed process leaves behind is cleaned up on start, and
//! nothing committed is lost.

use std::time::{Duration, SystemTime};

use jingshi::content::FileStore;

use crate::common::{TestApp, stored_blobs};

#[tokio::test]
async fn orphan_files_left_by_a_crash_are_removed_on_start() {
    let app = TestApp::spawn_with_demo().await;
    let referenced = stored_blobs(app.data());
    let data = app.stop().await;

    // As if a process stored two files and died before committing their rows: one
    // long ago, one just now (which may belong to an import still running).
    let store = FileStore::open(data.path().join("content/store")).unwrap();
    let src = tempfile::tempdir().unwrap();
    let old = src.path().join("old.md");
    let fresh = src.path().join("fresh.md");
    std::fs::write(&old, "崩溃前写入的文件").unwrap();
    std::fs::write(&fresh, "刚刚写入的文件").unwrap();
    let old_blob = store.put_path(&old, "old.md").unwrap();
    let fresh_blob = store.put_path(&fresh, "fresh.md").unwrap();
    let day_ago = SystemTime::now() - Duration::from_secs(24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(store.path_of(&old_blob.sha256).unwrap())
        .unwrap()
        .set_modified(day_ago)
        .unwrap();
    // And a half-written temporary file.
    std::fs::write(
        data.path().join("content/store/tmp/upload-leftover"),
        b"half",
    )
    .unwrap();
    let leftover = std::fs::File::options()
        .write(true)
        .open(data.path().join("content/store/tmp/upload-leftover"))
        .unwrap();
    leftover.set_modified(day_ago).unwrap();
    drop(leftover);

    let again = TestApp::spawn_in(data).await;
    assert!(
        !store.contains(&old_blob.sha256).unwrap(),
        "an old orphan is removed"
    );
    assert!(
        store.contains(&fresh_blob.sha256).unwrap(),
        "a fresh one may still be committed by its writer"
    );
    assert_eq!(stored_blobs(again.data()), referenced + 1);
    assert!(
        !again
            .data()
            .join("content/store/tmp/upload-leftover")
            .exists()
    );
    // Every file row still has its bytes.
    let conn = again.state.db.get().unwrap();
    let mut stmt = conn.prepare("SELECT sha256 FROM files").unwrap();
    let hashes: Vec<String> = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(hashes.iter().all(|h| store.contains(h).unwrap()));
}

// ---------------------------------------------------------------------------------
// The real binary killed with SIGKILL in the middle of its work.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;

use crate::common::process::{
    Proc, admin_at, admin_cookie, age_store, assert_store_matches_rows, jingshi, open_db,
    query_i64, query_ids, search_total, sign_in, start_server, write_manifest,
};

/// Waits until the server's index answers `q` with `expected` hits.
async fn await_search_total(session: &crate::common::Session, q: &str, expected: u64) {
    let started = Instant::now();
    loop {
        let total = search_total(session, q).await;
        if total == Some(expected) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "search for {q} found {total:?}, the database {expected}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_import_killed_midway_leaves_whole_rows_and_a_matching_index() {
    let data = tempfile::tempdir().unwrap();
    let src = tempfile::tempdir().unwrap();
    const TOTAL: i64 = 600;
    let manifest = write_manifest(src.path(), "killimp", TOTAL as usize, true);
    // First start creates the database and the admin.
    start_server(data.path()).await.0.kill();

    let mut import = Proc(
        jingshi(data.path())
            .arg("import")
            .arg(&manifest)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let conn = open_db(data.path());
    let count = |conn: &rusqlite::Connection| {
        query_i64(
            conn,
            "SELECT count(*) FROM resources WHERE id LIKE 'killimp-%'",
        )
    };
    // Kill once some rows are in; the import must still be running then, so the kill
    // lands in the middle of it (a manifest imported whole before the kill tests nothing).
    let started = Instant::now();
    while count(&conn) < 60 {
        if let Some(status) = import.0.try_wait().unwrap() {
            panic!(
                "the import ended ({status}) before it could be killed: make the manifest bigger"
            );
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "import stalled"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        import.0.try_wait().unwrap().is_none(),
        "the import ended before it could be killed: make the manifest bigger"
    );
    import.kill();
    let imported = count(&conn);
    assert!(
        0 < imported && imported < TOTAL,
        "killed midway: {imported} of {TOTAL} imported"
    );
    // Each row is whole: a resource never lacks the file it was imported with.
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM resources r WHERE r.id LIKE 'killimp-%'
               AND NOT EXISTS (SELECT 1 FROM files f WHERE f.resource_id = r.id)"
        ),
        0
    );
    drop(conn);

    // Restarted after the grace period, the server removes the blobs whose rows never
    // committed and brings the index up to the database.
    age_store(data.path());
    let (_server, addr) = start_server(data.path()).await;
    assert_store_matches_rows(data.path());
    let admin = admin_at(addr).await;
    await_search_total(&admin, "甲乙丙丁killimp", imported as u64).await;

    // Importing again finishes the job: no duplicates, every row searchable.
    let status = jingshi(data.path())
        .arg("import")
        .arg(&manifest)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    assert_eq!(count(&open_db(data.path())), TOTAL);
    await_search_total(&admin, "甲乙丙丁killimp", TOTAL as u64).await;
    assert_store_matches_rows(data.path());
}

/// The start of an MP4 file (an `ftyp` box), enough for the type check.
const MP4_HEAD: &[u8] = b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2";

#[tokio::test]
async fn a_server_killed_during_an_upload_keeps_only_committed_files() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(data.path()).await;
    let admin = admin_at(addr).await;
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "video", "title": "上传中断演练", "access": "open"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // One upload completes before the crash.
    let subtitle = "WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n上传完成的字幕\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(subtitle.as_bytes().to_vec()).file_name("done.vtt"),
    );
    let resp = admin
        .client
        .post(admin.url(&format!("/api/v1/resources/{id}/files")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let done: Value = resp.json().await.unwrap();

    // A large video streams in over a raw connection; the server dies halfway.
    let cookie = admin_cookie(addr).await;
    let boundary = "----jingshi-crash-boundary";
    let preamble = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.mp4\"\r\n\
         Content-Type: video/mp4\r\n\r\n"
    );
    let declared = 400 * 1024 * 1024;
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let head = format!(
        "POST /api/v1/resources/{id}/files HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n\
         Cookie: {cookie}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {declared}\r\n\r\n{preamble}"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(MP4_HEAD).await.unwrap();
    let chunk = vec![0u8; 1024 * 1024];
    let tmp = data.path().join("content/store/tmp");
    let staged_size = || {
        std::fs::read_dir(&tmp)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.metadata().ok())
            .map(|m| m.len())
            .max()
            .unwrap_or(0)
    };
    let started = Instant::now();
    while staged_size() < 16 * 1024 * 1024 {
        stream.write_all(&chunk).await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "upload stalled"
        );
    }
    server.kill();
    drop(stream);
    assert!(staged_size() > 0, "the crash left a partial upload behind");

    age_store(data.path());
    let (_server, addr) = start_server(data.path()).await;
    assert_store_matches_rows(data.path());
    let admin = admin_at(addr).await;
    let (_, resource) = admin.get_json(&format!("/api/v1/resources/{id}")).await;
    let files = resource["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "only the finished upload: {resource}");
    assert_eq!(files[0]["id"], done["id"]);
    let bytes = admin
        .get(&format!("/api/v1/files/{}", done["id"].as_str().unwrap()))
        .await
        .bytes()
        .await
        .unwrap();
    assert_eq!(&bytes[..], subtitle.as_bytes());
}

#[derive(Default)]
struct Seen {
    /// The last edit number answered 2xx, and the one in flight when the server died.
    last_edit: Option<u32>,
    edit_in_flight: Option<u32>,
    approved: BTreeSet<i64>,
    approve_in_flight: Option<i64>,
    created: BTreeSet<i64>,
}

#[tokio::test]
async fn edits_and_approvals_under_load_survive_a_kill_exactly_as_answered() {
    let data = tempfile::tempdir().unwrap();
    let (mut server, addr) = start_server(data.path()).await;
    let admin = admin_at(addr).await;
    let (status, created) = admin
        .post_json(
            "/api/v1/resources",
            &json!({"kind": "case", "title": "断电编辑演练第0次 甲乙丙丁edit", "access": "loan",
                    "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    // One unit files all 200 requests: lift the one-open-request default (issue 14).
    crate::common::lending::lift_unit_limits(&admin, &id).await;
    for (name, unit) in [("officer-a", "yn-tax"), ("officer-b", "yn-grain")] {
        let (status, body) = admin
            .post_json(
                "/api/v1/users",
                &json!({"username": name, "password": "crash-test-password",
                        "roles": ["borrower"], "unit": unit}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let officer_a = sign_in(addr, "officer-a", "crash-test-password").await;
    let officer_b = sign_in(addr, "officer-b", "crash-test-password").await;
    let today = jingshi::clock::Clock::system().today();
    let loan_body = |days: i64| {
        let start = today.checked_add(jiff::Span::new().days(days)).unwrap();
        let end = start.checked_add(jiff::Span::new().days(3)).unwrap();
        json!({"resource_id": id, "format": "digital", "start": start.to_string(),
               "end": end.to_string(), "purpose": "专题警示教育大会", "audience": 40})
    };
    // Unlimited licences: every request is `requested`, waiting for approval.
    let mut pending = Vec::new();
    for n in 0..200 {
        let (status, loan) = officer_a
            .post_json("/api/v1/loans", &loan_body(1 + n % 50))
            .await;
        assert_eq!(status, 201, "{loan}");
        assert_eq!(loan["status"], "requested");
        pending.push(loan["id"].as_i64().unwrap());
    }

    let seen = Arc::new(Mutex::new(Seen::default()));
    let editor = {
        let (seen, admin, id) = (
            seen.clone(),
            crate::common::process::admin_at(addr).await,
            id.clone(),
        );
        tokio::spawn(async move {
            for n in 1.. {
                seen.lock().unwrap().edit_in_flight = Some(n);
                let resp = admin
                    .client
                    .patch(admin.url(&format!("/api/v1/resources/{id}")))
                    .json(
                        &json!({"title": format!("断电编辑演练第{n}次 甲乙丙丁edit"),
                                  "summary": format!("第{n}次修改")}),
                    )
                    .send()
                    .await;
                match resp {
                    Ok(resp) if resp.status().is_success() => {
                        seen.lock().unwrap().last_edit = Some(n)
                    }
                    Ok(resp) => panic!("edit {n} answered {}", resp.status()),
                    Err(_) => break,
                }
            }
        })
    };
    let approver = {
        let (seen, admin) = (seen.clone(), crate::common::process::admin_at(addr).await);
        tokio::spawn(async move {
            for loan in pending {
                seen.lock().unwrap().approve_in_flight = Some(loan);
                let resp = admin
                    .client
                    .post(admin.url(&format!("/api/v1/loans/{loan}/approve")))
                    .send()
                    .await;
                match resp {
                    Ok(resp) if resp.status() == 200 => {
                        seen.lock().unwrap().approved.insert(loan);
                    }
                    Ok(resp) => panic!("approval of {loan} answered {}", resp.status()),
                    Err(_) => break,
                }
            }
        })
    };
    let requester = {
        let seen = seen.clone();
        let body = loan_body(60);
        tokio::spawn(async move {
            loop {
                let resp = officer_b
                    .client
                    .post(officer_b.url("/api/v1/loans"))
                    .json(&body)
                    .send()
                    .await;
                match resp {
                    Ok(resp) if resp.status() == 201 => {
                        let loan: Value = resp.json().await.unwrap_or(Value::Null);
                        if let Some(loan) = loan["id"].as_i64() {
                            seen.lock().unwrap().created.insert(loan);
                        }
                    }
                    Ok(resp) => panic!("loan request answered {}", resp.status()),
                    Err(_) => break,
                }
            }
        })
    };
    let started = Instant::now();
    loop {
        {
            let seen = seen.lock().unwrap();
            // All three kinds of work are under way when the server dies.
            if seen.approved.len() >= 40
                && seen.last_edit.unwrap_or(0) >= 40
                && seen.created.len() >= 5
            {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(60), "load too slow");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.kill();
    for task in [editor, approver, requester] {
        task.await.unwrap();
    }
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    assert!(
        !seen.created.is_empty(),
        "the requester created no loan before the kill"
    );

    let (_server, addr) = start_server(data.path()).await;
    let conn = open_db(data.path());
    // The title is the last answered edit, or the one in flight (all of it or nothing).
    let (title, summary): (String, String) = conn
        .query_row(
            "SELECT title, summary FROM resources WHERE id = ?1",
            [&id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let last = seen.last_edit.unwrap();
    let candidates: Vec<u32> = [Some(last), seen.edit_in_flight.filter(|n| *n > last)]
        .into_iter()
        .flatten()
        .collect();
    let n = candidates
        .iter()
        .copied()
        .find(|n| title == format!("断电编辑演练第{n}次 甲乙丙丁edit"))
        .unwrap_or_else(|| panic!("title {title} is neither of edits {candidates:?}"));
    assert_eq!(
        summary,
        format!("第{n}次修改"),
        "title and summary from one edit"
    );
    // Every answered approval is there; nothing else is approved but the one in flight;
    // each approval came with its notification.
    let approved = query_ids(&conn, "SELECT id FROM loans WHERE status = 'approved'");
    assert!(
        seen.approved.is_subset(&approved),
        "answered approvals lost: {:?}",
        seen.approved.difference(&approved).collect::<Vec<_>>()
    );
    let extra: Vec<_> = approved.difference(&seen.approved).copied().collect();
    assert!(
        extra.is_empty() || extra == [seen.approve_in_flight.unwrap()],
        "approved without an answer: {extra:?}"
    );
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM notifications WHERE kind = 'approved'"
        ),
        approved.len() as i64
    );
    assert_eq!(
        query_i64(
            &conn,
            "SELECT count(*) FROM notifications n JOIN loans l ON l.id = n.loan_id
              WHERE n.kind = 'approved' AND l.status != 'approved'"
        ),
        0
    );
    // Every answered request exists.
    let loans = query_ids(&conn, "SELECT id FROM loans");
    assert!(
        seen.created.is_subset(&loans),
        "answered loan requests lost: {:?}",
        seen.created.difference(&loans).collect::<Vec<_>>()
    );
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");

    // The index agrees with the database after the restart.
    let admin = admin_at(addr).await;
    let (status, body) = admin
        .get_json(&format!(
            "/api/v1/search?q={}",
            crate::common::web::encode("甲乙丙丁edit")
        ))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 1, "{body}");
    assert_eq!(body["hits"][0]["title"], title.as_str());
}
