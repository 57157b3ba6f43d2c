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
