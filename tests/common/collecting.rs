//! Issue 19's fixtures: the library the basket and loan-batch tests borrow from, a
//! batch's loan statuses, saved searches, and an account as the domain sees it.

use jingshi::actor::Actor;
use serde_json::{Value, json};

use super::lending::{MONDAY, lendable, lendable_titled};
use super::{Session, TestApp};

/// A fixed Monday, a librarian `lib` and: `one` (a single licence, titled
/// `one_title`), `many` (unlimited), `copy` (one copy, no licence) and a draft case
/// `draft`.
pub async fn batch_library(one_title: &str) -> (TestApp, Session) {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    lendable_titled(&lib, "one", one_title, Some(1), 0).await;
    lendable(&lib, "many", None, 0).await;
    lendable(&lib, "copy", Some(0), 1).await;
    let (status, body) = lib
        .post_json(
            "/api/v1/resources",
            &json!({"id": "draft", "kind": "case", "title": "未发布的通报", "status": "draft"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    (app, lib)
}

/// The statuses of a filed batch's loans, in the order of its items.
pub fn loan_statuses(batch: &Value) -> Vec<&str> {
    batch["loans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect()
}

/// `POST /api/v1/saved-searches` as `session`: `(status, answer)`.
pub async fn save_search(session: &Session, name: &str, query: &str) -> (u16, Value) {
    session
        .post_json(
            "/api/v1/saved-searches",
            &json!({"name": name, "query": query}),
        )
        .await
}

/// The acting account of `username` as the domain sees it.
pub fn actor_of(app: &TestApp, username: &str) -> Actor {
    let conn = app.state.db.get().unwrap();
    let id: i64 = conn
        .query_row(
            "SELECT id FROM users WHERE username = ?1",
            [username],
            |r| r.get(0),
        )
        .unwrap();
    let user = jingshi::accounts::sessions::load_user(&conn, id)
        .unwrap()
        .unwrap();
    Actor::user(&user)
}
