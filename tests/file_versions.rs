//! A resource's files after upload (issue 15): a new version in a file's place, a
//! file removed, several files at once, the default subtitle track, a video's length
//! read from the file. The search follows each change; the stored bytes stay while
//! anything refers to them (another resource, an upload in progress, a backup) and
//! go once nothing does; every change is audited; borrowers of any unit are refused;
//! hostile names and sizes change nothing.

use std::time::{Duration, Instant, SystemTime};

use jingshi::actor::Actor;
use jingshi::catalog::{self, CatalogError, ResourceId};
use jingshi::content::Extraction;
use reqwest::header;
use serde_json::{Value, json};

use crate::common::web::{csrf_of, encode, hit_ids, no_redirects, page, upload};
use crate::common::{Session, TestApp, USER_PASSWORD, repo_root, stored_blobs, temp_leftovers};

/// A published, open resource of `kind` made by `librarian`.
async fn resource(librarian: &Session, id: &str, kind: &str) {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": kind, "title": format!("文件测试 {id}"),
                    "access": "open", "status": "published"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Uploads and answers the new file's id.
async fn uploaded(librarian: &Session, id: &str, name: &str, bytes: &[u8]) -> String {
    let (status, file) = upload(librarian, id, name, bytes.to_vec()).await;
    assert_eq!(status, 201, "{file}");
    file["id"].as_str().expect("file id").to_owned()
}

/// A multipart request with one `file` part, sent with `method` to `path`.
async fn send_file(
    session: &Session,
    method: reqwest::Method,
    path: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let resp = session
        .client
        .request(method, session.url(path))
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

async fn replace(
    session: &Session,
    id: &str,
    file_id: &str,
    name: &str,
    bytes: &[u8],
) -> (u16, Value) {
    let path = format!("/api/v1/resources/{id}/files/{file_id}");
    send_file(session, reqwest::Method::PUT, &path, name, bytes.to_vec()).await
}

async fn remove(session: &Session, id: &str, file_id: &str) -> (u16, Value) {
    let path = format!("/api/v1/resources/{id}/files/{file_id}");
    session
        .send_json(reqwest::Method::DELETE, &path, &Value::Null)
        .await
}

/// The ids of the resources a search for `q` finds now (drafts included).
async fn found(session: &Session, q: &str) -> Vec<String> {
    let (status, body) = session
        .get_json(&format!(
            "/api/v1/search?include_unpublished=true&q={}",
            encode(q)
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    hit_ids(&body)
}

/// Waits until a search for `q` finds `id` (uploads reach the index within moments).
async fn until_found(session: &Session, q: &str, id: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !found(session, q).await.contains(&id.to_owned()) {
        assert!(Instant::now() < deadline, "{q} never found {id}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn blob_path(app: &TestApp, sha256: &str) -> std::path::PathBuf {
    app.state.store.path_of(sha256).expect("blob path")
}

/// Makes every stored blob look an hour old: no upload can still be using it.
fn age_blobs(app: &TestApp) {
    let hour_ago = SystemTime::now() - Duration::from_secs(3600);
    for sha256 in app.state.store.all_hashes().expect("hashes") {
        std::fs::File::options()
            .write(true)
            .open(blob_path(app, &sha256))
            .and_then(|f| f.set_modified(hour_ago))
            .expect("age blob");
    }
}

fn sha_of(app: &TestApp, file_id: &str) -> String {
    let conn = app.state.db.get().expect("connection");
    conn.query_row("SELECT sha256 FROM files WHERE id = ?1", [file_id], |row| {
        row.get(0)
    })
    .expect("file row")
}

fn audit_rows(app: &TestApp, action: &str, file_id: &str) -> i64 {
    let conn = app.state.db.get().expect("connection");
    conn.query_row(
        "SELECT count(*) FROM audit_log WHERE action = ?1 AND file_id = ?2",
        [action, file_id],
        |row| row.get(0),
    )
    .expect("count")
}

/// Asserts that file `file_id` is served to `session` and holds `text`.
async fn assert_serves(session: &Session, file_id: &str, text: &str) {
    let resp = session.get(&format!("/api/v1/files/{file_id}")).await;
    assert_eq!(resp.status(), 200, "{file_id}");
    assert!(
        resp.text().await.unwrap().contains(text),
        "{file_id}: {text}"
    );
}

async fn files_of(session: &Session, id: &str) -> Vec<Value> {
    let (status, body) = session.get_json(&format!("/api/v1/resources/{id}")).await;
    assert_eq!(status, 200, "{body}");
    body["files"].as_array().expect("files").clone()
}

#[tokio::test]
async fn a_new_version_takes_the_old_ones_place_and_the_search_follows() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "doc-versions", "textbook").await;
    let cover = uploaded(&librarian, "doc-versions", "封面.png", &png(1)).await;
    let old = uploaded(
        &librarian,
        "doc-versions",
        "讲稿第一版.md",
        "# 第一版\n\n琥珀蜻蜓案例的初稿。\n".as_bytes(),
    )
    .await;
    until_found(&librarian, "琥珀蜻蜓", "doc-versions").await;
    let old_sha = sha_of(&app, &old);

    let (status, file) = replace(
        &librarian,
        "doc-versions",
        &old,
        "讲稿第二版.md",
        "# 第二版\n\n翡翠螳螂案例的定稿。\n".as_bytes(),
    )
    .await;
    assert_eq!(status, 200, "{file}");
    let new = file["id"].as_str().expect("new id").to_owned();
    assert_ne!(new, old, "a new version is a new file");
    assert_eq!(file["name"], "讲稿第二版.md");
    // The search follows before the answer: the old words no longer find it.
    assert!(
        !found(&librarian, "琥珀蜻蜓")
            .await
            .contains(&"doc-versions".to_owned())
    );
    assert!(
        found(&librarian, "翡翠螳螂")
            .await
            .contains(&"doc-versions".to_owned())
    );
    // Same place in the list, the old id gone.
    let files = files_of(&librarian, "doc-versions").await;
    let ids: Vec<&str> = files.iter().map(|f| f["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [cover.as_str(), new.as_str()]);
    let (status, _) = librarian.get_json(&format!("/api/v1/files/{old}")).await;
    assert_eq!(status, 404);
    assert_serves(&librarian, &new, "翡翠螳螂").await;
    // Audited and in the history; the old bytes were fresh, so they wait for the sweep.
    assert_eq!(audit_rows(&app, "file_replaced", &new), 1);
    let (_, history) = librarian
        .get_json("/api/v1/resources/doc-versions/history")
        .await;
    let last = history.as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["action"], "replace_file");
    assert_eq!(last["changes"]["file"][0]["name"], "讲稿第一版.md");
    assert!(blob_path(&app, &old_sha).exists());

    // Another role is refused and changes nothing, leaving no bytes behind.
    let blobs = stored_blobs(app.data());
    let (status, body) = replace(&librarian, "doc-versions", &new, "字幕.vtt", &vtt("字幕")).await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("同一用途")
    );
    assert_eq!(
        stored_blobs(app.data()),
        blobs,
        "the refused bytes are gone"
    );
    // Bytes another file of the resource holds: refused too.
    let appendix = "# 附录\n\n名词解释。\n".as_bytes();
    uploaded(&librarian, "doc-versions", "附录.md", appendix).await;
    let blobs = stored_blobs(app.data());
    let (status, body) = replace(&librarian, "doc-versions", &new, "又一附录.md", appendix).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("附录.md")
    );
    assert_eq!(stored_blobs(app.data()), blobs);
    assert_eq!(temp_leftovers(app.data()), 0);
    // The very same bytes again: nothing to do.
    let (status, same) = replace(
        &librarian,
        "doc-versions",
        &new,
        "讲稿第二版.md",
        "# 第二版\n\n翡翠螳螂案例的定稿。\n".as_bytes(),
    )
    .await;
    assert_eq!((status, same["id"].as_str()), (200, Some(new.as_str())));
    assert_eq!(audit_rows(&app, "file_replaced", &new), 1);
    assert_eq!(files_of(&librarian, "doc-versions").await.len(), 3);
    // The replaced file's id, or a file of another resource, is not there to replace.
    let (status, body) = replace(&librarian, "doc-versions", &old, "x.md", b"x").await;
    assert_eq!(status, 404, "{body}");
    resource(&librarian, "doc-other", "textbook").await;
    let (status, _) = replace(&librarian, "doc-other", &new, "x.md", b"x").await;
    assert_eq!(status, 404);
    assert_eq!(temp_leftovers(app.data()), 0);
}

#[tokio::test]
async fn removed_files_leave_the_search_and_their_bytes_go_only_when_unreferenced() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "case-one", "case").await;
    resource(&librarian, "case-two", "case").await;
    let shared_bytes = "# 通报\n\n珊瑚海马专项检查的通报。\n".as_bytes();
    let shared_one = uploaded(&librarian, "case-one", "通报.md", shared_bytes).await;
    let shared_two = uploaded(&librarian, "case-two", "同一通报.md", shared_bytes).await;
    let own = uploaded(
        &librarian,
        "case-one",
        "附件.md",
        "# 附件\n\n青铜孔雀。\n".as_bytes(),
    )
    .await;
    let (shared, own_sha) = (sha_of(&app, &shared_one), sha_of(&app, &own));
    assert_eq!(shared, sha_of(&app, &shared_two), "same bytes stored once");
    until_found(&librarian, "珊瑚海马", "case-one").await;
    until_found(&librarian, "珊瑚海马", "case-two").await;
    age_blobs(&app);

    let (status, body) = remove(&librarian, "case-one", &shared_one).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["files"].as_array().unwrap().len(), 1);
    assert_eq!(found(&librarian, "珊瑚海马").await, ["case-two"]);
    assert!(
        blob_path(&app, &shared).exists(),
        "case-two still holds these bytes"
    );
    assert_eq!(audit_rows(&app, "file_removed", &shared_one), 1);
    // Its own file: nothing else holds those bytes, so they go (and their blob row).
    let (status, _) = remove(&librarian, "case-one", &own).await;
    assert_eq!(status, 200);
    assert!(found(&librarian, "青铜孔雀").await.is_empty());
    assert!(!blob_path(&app, &own_sha).exists());
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM blobs WHERE sha256 = '{own_sha}'"
        )),
        0
    );
    // Gone is gone: a second removal, or through another resource, finds nothing.
    let (status, body) = remove(&librarian, "case-one", &own).await;
    assert_eq!(status, 404, "{body}");
    let (status, _) = remove(&librarian, "case-one", &shared_two).await;
    assert_eq!(status, 404);
    assert!(blob_path(&app, &shared).exists());
    let (status, _) = remove(&librarian, "case-two", &shared_two).await;
    assert_eq!(status, 200);
    assert!(
        !blob_path(&app, &shared).exists(),
        "the last reference went"
    );
    let (_, history) = librarian
        .get_json("/api/v1/resources/case-two/history")
        .await;
    assert_eq!(
        history.as_array().unwrap().last().unwrap()["action"],
        "remove_file"
    );
}

#[tokio::test]
async fn bytes_an_upload_in_progress_found_stored_are_kept() {
    // An upload whose bytes are already stored (as another file) commits its row a
    // moment after storing; removing that other file meanwhile must not take them.
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "case-race", "case").await;
    resource(&librarian, "case-late", "case").await;
    let bytes = "# 通报\n\n琉璃孔雀。\n".as_bytes();
    let first = uploaded(&librarian, "case-race", "通报.md", bytes).await;
    age_blobs(&app);
    let store = &app.state.store;
    // The second upload is stored (deduplicated) but not yet attached…
    let mut staged = store.stage().expect("stage");
    std::io::Write::write_all(&mut staged, bytes).expect("write");
    let blob = store.commit(staged, "晚到的通报.md").expect("stored");
    assert!(!blob.newly_written);
    // …when the first file is removed.
    let mut conn = app.state.db.get().expect("connection");
    let (actor, at) = (Actor::operator("test"), app.state.clock.moment());
    let race = ResourceId::parse("case-race").unwrap();
    let removed =
        catalog::files::remove_file(&mut conn, store, &actor, &race, &first, at).expect("removed");
    assert!(!removed.bytes_dropped);
    assert!(store.contains(&blob.sha256).unwrap());
    let extraction = Extraction::Text("琉璃孔雀。".into());
    let file = catalog::write::NewFile {
        blob: &blob,
        original_name: "晚到的通报.md",
        extraction: &extraction,
        duration: None,
    };
    let late = ResourceId::parse("case-late").unwrap();
    let attached =
        catalog::curation::attach_upload(&mut conn, &actor, &late, file, at).expect("attached");
    drop(conn);
    assert_serves(&librarian, &attached, "琉璃孔雀").await;
}

#[tokio::test]
async fn a_backup_keeps_its_own_copy_of_bytes_removed_later() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "case-kept", "case").await;
    let file = uploaded(
        &librarian,
        "case-kept",
        "存档.md",
        "# 存档\n\n墨玉麒麟。\n".as_bytes(),
    )
    .await;
    let sha = sha_of(&app, &file);
    let backup = tempfile::tempdir().expect("backup folder");
    let dest = backup.path().join("copy");
    jingshi::backup::backup(
        &jingshi::config::DataDir::new(app.data()),
        &dest,
        app.state.clock.moment(),
    )
    .expect("backup");
    age_blobs(&app);
    let (status, _) = remove(&librarian, "case-kept", &file).await;
    assert_eq!(status, 200);
    assert!(!blob_path(&app, &sha).exists());
    // Restored, the file is there again with its bytes.
    let data = app.stop().await;
    jingshi::backup::restore(&jingshi::config::DataDir::new(data.path()), &dest).expect("restore");
    let app = TestApp::spawn_in(data).await;
    let librarian = app.login("lib", USER_PASSWORD).await;
    assert_serves(&librarian, &file, "墨玉麒麟").await;
}

#[tokio::test]
async fn borrowers_of_any_unit_may_not_change_files() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "video-guarded", "video").await;
    let track = uploaded(&librarian, "video-guarded", "中文.vtt", &vtt("守护")).await;
    let other = uploaded(&librarian, "video-guarded", "英文.vtt", &vtt("guard")).await;
    let officer = app.borrower("officer", "yn-tax").await;
    let stranger = app.borrower("stranger", "kunming-customs").await;
    for borrower in [&officer, &stranger] {
        let (status, body) = replace(borrower, "video-guarded", &track, "x.vtt", &vtt("x")).await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = remove(borrower, "video-guarded", &track).await;
        assert_eq!(status, 403);
        let (status, _) = borrower
            .post_json(
                &format!("/api/v1/resources/video-guarded/files/{other}/default"),
                &json!({}),
            )
            .await;
        assert_eq!(status, 403);
        let (status, _) = upload(borrower, "video-guarded", "y.vtt", vtt("y")).await;
        assert_eq!(status, 403);
        // The page forms too, with the borrower's own valid token.
        let (_, home) = page(borrower, "/").await;
        let csrf = csrf_of(&home);
        for action in ["remove", "default"] {
            let resp = borrower
                .client
                .post(borrower.url(&format!(
                    "/librarian/resources/video-guarded/files/{track}/{action}"
                )))
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(format!("csrf={csrf}"))
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 403, "{action}");
        }
        let (status, _) = page(borrower, "/librarian/resources/video-guarded").await;
        assert_eq!(status, 403);
    }
    // The use cases themselves refuse a borrower, whatever calls them.
    let mut conn = app.state.db.get().expect("connection");
    let borrower = Actor {
        unit: Some("yn-tax".into()),
        librarian: false,
        admin: false,
        ..Actor::operator("officer")
    };
    let id = ResourceId::parse("video-guarded").unwrap();
    let at = app.state.clock.moment();
    let refused =
        catalog::files::remove_file(&mut conn, &app.state.store, &borrower, &id, &track, at);
    assert!(
        matches!(refused, Err(CatalogError::LibrariansOnly)),
        "{refused:?}"
    );
    let refused = catalog::files::set_default_subtitle(&mut conn, &borrower, &id, &other, at);
    assert!(
        matches!(refused, Err(CatalogError::LibrariansOnly)),
        "{refused:?}"
    );
    drop(conn);
    assert_eq!(files_of(&librarian, "video-guarded").await.len(), 2);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action IN ('file_removed', 'file_replaced', 'subtitle_default_set')"),
        0
    );
}

#[tokio::test]
async fn hostile_names_paths_and_sizes_change_nothing() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "doc-hostile", "textbook").await;
    // A client's folders are dropped from a name: traversal reaches nothing.
    let (status, file) = upload(
        &librarian,
        "doc-hostile",
        "../../../etc/passwd.txt",
        b"plain words".to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["name"], "passwd.txt");
    let id = file["id"].as_str().unwrap().to_owned();
    let (status, file) = replace(
        &librarian,
        "doc-hostile",
        &id,
        "..\\..\\<img src=x onerror=alert(1)>.txt",
        b"other words",
    )
    .await;
    assert_eq!(status, 200, "{file}");
    assert_eq!(file["name"], "<img src=x onerror=alert(1)>.txt");
    let id = file["id"].as_str().unwrap().to_owned();
    // Markup in a name is text on every page that shows it.
    for path in [
        "/librarian/resources/doc-hostile".to_owned(),
        "/resources/doc-hostile".to_owned(),
        "/librarian/resources/doc-hostile/history".to_owned(),
        "/librarian/audit?action=file_replaced".to_owned(),
    ] {
        let (status, html) = page(&librarian, &path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("<img src=x"), "{path}");
        assert!(
            html.contains("&lt;img src=x") || html.contains("&#60;img src=x"),
            "{path}"
        );
    }
    // Ids that are paths or markup are no file of the resource.
    for bad in ["..%2F..%2Fetc%2Fpasswd", "%3Cscript%3E", &"f".repeat(5000)] {
        let (status, body) = remove(&librarian, "doc-hostile", bad).await;
        assert_eq!(status, 404, "{bad}: {body}");
        let (status, _) = replace(&librarian, "doc-hostile", bad, "a.txt", b"a").await;
        assert_eq!(status, 404, "{bad}");
    }
    let (status, _) = remove(&librarian, "..%2Fdoc-hostile", &id).await;
    assert!(matches!(status, 400 | 404), "{status}");
    // Too large for its type: 413, the old version stays, nothing left behind.
    let blobs = stored_blobs(app.data());
    let (status, body) = replace(
        &librarian,
        "doc-hostile",
        &id,
        "大.txt",
        &vec![b'a'; 50 * 1024 * 1024 + 1],
    )
    .await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("MB"));
    let files = files_of(&librarian, "doc-hostile").await;
    assert_eq!(files.len(), 1);
    assert_eq!(files[0]["id"], id.as_str());
    assert_eq!(stored_blobs(app.data()), blobs);
    assert_eq!(temp_leftovers(app.data()), 0);
    // Bytes that are not what the name says: refused, nothing changed.
    let (status, _) = replace(&librarian, "doc-hostile", &id, "伪装.txt", &png(2)).await;
    assert_eq!(status, 415);
    assert_eq!(
        files_of(&librarian, "doc-hostile").await[0]["id"],
        id.as_str()
    );
    assert_eq!(stored_blobs(app.data()), blobs);
}

#[tokio::test]
async fn the_librarian_chooses_the_default_subtitle_track() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "video-tracks", "video").await;
    let film = std::fs::read(repo_root().join("content/demo/files/video-mooncake.mp4")).unwrap();
    uploaded(&librarian, "video-tracks", "片子.mp4", &film).await;
    let chinese = uploaded(&librarian, "video-tracks", "中文字幕.vtt", &vtt("中秋月饼")).await;
    let english = uploaded(&librarian, "video-tracks", "English.srt", &srt("Mooncakes")).await;
    let defaults = |files: &[Value]| -> Vec<(String, bool)> {
        files
            .iter()
            .filter(|f| f["role"] == "subtitle")
            .map(|f| (f["name"].as_str().unwrap().to_owned(), f["default"] == true))
            .collect()
    };
    // None chosen yet: the first subtitle file is the default.
    let files = files_of(&librarian, "video-tracks").await;
    assert_eq!(
        defaults(&files),
        [
            ("中文字幕.vtt".to_owned(), true),
            ("English.srt".to_owned(), false)
        ]
    );
    let (_, html) = page(&librarian, "/resources/video-tracks").await;
    assert!(html.contains(&format!(
        "<track kind=\"subtitles\" srclang=\"zh\" label=\"中文字幕\" src=\"/subtitles/{chinese}\" default>"
    )), "{html}");
    assert!(html.contains(&format!("label=\"English\" src=\"/subtitles/{english}\">")));

    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/resources/video-tracks/files/{english}/default"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        defaults(body["files"].as_array().unwrap()),
        [
            ("中文字幕.vtt".to_owned(), false),
            ("English.srt".to_owned(), true)
        ]
    );
    let (_, html) = page(&librarian, "/resources/video-tracks").await;
    assert!(html.contains(&format!("src=\"/subtitles/{english}\" default>")));
    assert!(html.contains(&format!("src=\"/subtitles/{chinese}\">")));
    assert!(
        html.contains("Mooncakes") && !html.contains("中秋月饼"),
        "cue list of the default"
    );
    assert_eq!(audit_rows(&app, "subtitle_default_set", &english), 1);
    // A new version of the default track stays the default.
    let (status, newer) = replace(
        &librarian,
        "video-tracks",
        &english,
        "English v2.srt",
        &srt("Lanterns"),
    )
    .await;
    assert_eq!(status, 200, "{newer}");
    assert_eq!(newer["default"], true);
    // Only a subtitle can be the default track.
    let film_id = files_of(&librarian, "video-tracks").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/resources/video-tracks/files/{film_id}/default"),
            &json!({}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    // The default removed: the first remaining track is shown by default.
    let newer_id = newer["id"].as_str().unwrap();
    let (status, body) = remove(&librarian, "video-tracks", newer_id).await;
    assert_eq!(status, 200);
    assert_eq!(
        defaults(body["files"].as_array().unwrap()),
        [("中文字幕.vtt".to_owned(), true)]
    );
}

#[tokio::test]
async fn a_videos_length_is_read_at_upload_and_shown() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    resource(&librarian, "video-length", "video").await;
    let film = std::fs::read(repo_root().join("content/demo/files/video-safety-line.mp4")).unwrap();
    let (status, file) = upload(&librarian, "video-length", "失守的防线.mp4", film).await;
    assert_eq!(status, 201, "{file}");
    assert_eq!(file["duration_ms"], 46_534);
    let (_, body) = librarian.get_json("/api/v1/resources/video-length").await;
    assert_eq!(body["duration"], 47, "rounded to the nearest second");
    let (_, html) = page(&librarian, "/resources/video-length").await;
    assert!(html.contains("时长 00:47"), "resource page");
    let (_, history) = librarian
        .get_json("/api/v1/resources/video-length/history")
        .await;
    assert!(
        history
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["action"] == "duration")
    );
    // The search hit shows it too (once the index has the upload).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (_, results) = librarian
            .get_json(
                "/api/v1/search?include_unpublished=true&q=%E6%96%87%E4%BB%B6%E6%B5%8B%E8%AF%95",
            )
            .await;
        if results["hits"][0]["duration"] == 47 {
            break;
        }
        assert!(Instant::now() < deadline, "{results}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (_, html) = page(&librarian, "/search?q=%E6%96%87%E4%BB%B6%E6%B5%8B%E8%AF%95").await;
    assert!(html.contains("时长 00:47"), "search hit");

    // Stored before lengths were read: filled at the next start.
    app.state
        .db
        .get()
        .unwrap()
        .execute_batch(
            "UPDATE files SET duration_ms = NULL; UPDATE resources SET duration_seconds = NULL;",
        )
        .unwrap();
    let data = app.stop().await;
    let app = TestApp::spawn_in(data).await;
    let librarian = app.login("lib", USER_PASSWORD).await;
    let (_, body) = librarian.get_json("/api/v1/resources/video-length").await;
    assert_eq!(body["duration"], 47);
    assert_eq!(body["files"][0]["duration_ms"], 46_534);
}

#[tokio::test]
async fn the_editor_form_uploads_several_files_and_names_a_refused_one() {
    let app = TestApp::spawn().await;
    app.add_user("lib", &[jingshi::accounts::Role::Librarian], None);
    let client = no_redirects(&app);
    let resp = client
        .post(app.url("/api/v1/session"))
        .json(&json!({"username": "lib", "password": USER_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let librarian = Session {
        client: client.clone(),
        base: app.url(""),
    };
    resource(&librarian, "video-forms", "video").await;
    let (_, editor) = page(&librarian, "/librarian/resources/video-forms").await;
    assert!(
        editor.contains("multiple"),
        "the file input takes several files"
    );
    let csrf = csrf_of(&editor);
    let post = |parts: Vec<(&'static str, Vec<u8>)>| {
        let mut form = reqwest::multipart::Form::new().text("csrf", csrf.clone());
        for (name, bytes) in parts {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            );
        }
        client
            .post(app.url("/librarian/resources/video-forms/upload"))
            .multipart(form)
            .send()
    };
    let resp = post(vec![("第一.vtt", vtt("一")), ("第二.srt", srt("二"))])
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    assert!(
        resp.headers()[header::LOCATION]
            .to_str()
            .unwrap()
            .contains("notice=uploaded")
    );
    assert_eq!(files_of(&librarian, "video-forms").await.len(), 2);
    // The second is refused: the first stays attached, the page names both.
    let resp = post(vec![("第三.vtt", vtt("三")), ("病毒.srt", png(3))])
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);
    let html = resp.text().await.unwrap();
    assert!(
        html.contains("已上传 第三.vtt") && html.contains("病毒.srt"),
        "{html}"
    );
    assert_eq!(files_of(&librarian, "video-forms").await.len(), 3);
    assert_eq!(temp_leftovers(app.data()), 0);
    // Remove through the page form: back to the editor with a notice.
    let files = files_of(&librarian, "video-forms").await;
    let third = files[2]["id"].as_str().unwrap();
    let remove_by_form = || {
        client
            .post(app.url(&format!(
                "/librarian/resources/video-forms/files/{third}/remove"
            )))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(format!("csrf={csrf}"))
            .send()
    };
    let resp = remove_by_form().await.unwrap();
    assert_eq!(resp.status(), 303);
    let location = resp.headers()[header::LOCATION].to_str().unwrap();
    assert!(location.contains("notice=removed"), "{location}");
    // Removing it again: the editor says so beside the files.
    let resp = remove_by_form().await.unwrap();
    assert_eq!(resp.status(), 404);
    assert!(resp.text().await.unwrap().contains("id=\"files-error\""));
}

/// A tiny PNG that differs by `seed`.
fn png(seed: u8) -> Vec<u8> {
    let mut bytes =
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89".to_vec();
    bytes.extend([seed; 16]);
    bytes
}

fn vtt(text: &str) -> Vec<u8> {
    format!("WEBVTT\n\n00:00:01.000 --> 00:00:03.000\n{text}\n").into_bytes()
}

fn srt(text: &str) -> Vec<u8> {
    format!("1\n00:00:01,000 --> 00:00:03,000\n{text}\n").into_bytes()
}
