//! Helpers for the administration tests: forms posted with the session's token, sheet
//! uploads, and the set-password links a page shows.

use super::Session;
use super::web::{csrf_of, page, post_form};

/// The session's form token (from the home page's sign-out form).
pub async fn csrf(session: &Session) -> String {
    let (status, html) = page(session, "/").await;
    assert_eq!(status, 200, "home page for the form token");
    csrf_of(&html)
}

/// Posts a form with the session's token; answers the final status, address and page.
pub async fn post_with_token(
    session: &Session,
    path: &str,
    pairs: &[(&str, &str)],
) -> (u16, String, String) {
    let token = csrf(session).await;
    let mut all = vec![("csrf", token.as_str())];
    all.extend_from_slice(pairs);
    post_form(session, path, &all).await
}

/// Uploads a sheet to `/admin/import` with the session's token.
pub async fn upload_sheet(session: &Session, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let token = csrf(session).await;
    let form = reqwest::multipart::Form::new().text("csrf", token).part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned()),
    );
    let resp = session
        .client
        .post(session.url("/admin/import"))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("page"))
}

/// Every set-password link token shown on a page, in order.
pub fn link_tokens(html: &str) -> Vec<String> {
    html.match_indices("/account/reset/")
        .map(|(at, marker)| {
            html[at + marker.len()..]
                .chars()
                .take_while(char::is_ascii_hexdigit)
                .collect::<String>()
        })
        .filter(|token| token.len() == 64)
        .collect()
}

/// The one link token a page shows.
pub fn link_token(html: &str) -> String {
    let tokens = link_tokens(html);
    assert_eq!(tokens.len(), 1, "one link on the page: {tokens:?}");
    tokens[0].clone()
}

/// The status and JSON answer of a sign-in through the API (no session kept).
pub async fn sign_in_answer(
    app: &super::TestApp,
    username: &str,
    password: &str,
) -> (u16, serde_json::Value) {
    let resp = super::client_for(app.addr)
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sign-in request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or_default())
}

/// `text` as the templates escape it in HTML.
pub fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}
