//! HTTP helpers shared by the page and API test modules: percent-encoding, form
//! bodies, a client that leaves redirects to the test, pages and their form tokens,
//! uploads.

use reqwest::header;
use serde_json::Value;

use super::{Session, TestApp};

/// Percent-encodes a query, path or form component (RFC 3986 unreserved characters kept).
pub fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// An `application/x-www-form-urlencoded` body of the pairs, in order.
pub fn form_body(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A browser-like client (cookies, our Origin) that leaves redirects to the test; no
/// session until it signs in.
pub fn no_redirects(app: &TestApp) -> reqwest::Client {
    let mut headers = header::HeaderMap::new();
    headers.insert(
        header::ORIGIN,
        format!("http://{}", app.addr).parse().expect("origin"),
    );
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// [`no_redirects`] signed in as `username`.
pub async fn signed_in_no_redirects(app: &TestApp, username: &str, password: &str) -> Session {
    let client = no_redirects(app);
    let resp = client
        .post(app.url("/api/v1/session"))
        .json(&serde_json::json!({"username": username, "password": password}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(resp.status(), 200, "sign-in of {username}");
    Session {
        client,
        base: app.url(""),
    }
}

/// A page's status and HTML.
pub async fn page(session: &Session, path: &str) -> (u16, String) {
    let resp = session.get(path).await;
    let status = resp.status().as_u16();
    (status, resp.text().await.expect("page body"))
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    html[start..]
        .split('"')
        .next()
        .expect("csrf value")
        .to_owned()
}

/// Posts a form (the session's client follows the redirect); answers the final
/// status, the final address and the body.
pub async fn post_form(
    session: &Session,
    path: &str,
    pairs: &[(&str, &str)],
) -> (u16, String, String) {
    let resp = session
        .client
        .post(session.url(path))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_body(pairs))
        .send()
        .await
        .expect("post");
    let status = resp.status().as_u16();
    let url = resp.url().to_string();
    (status, url, resp.text().await.expect("body"))
}

/// Uploads one file to a resource as `session`; answers the status and the JSON
/// answer (`Null` if it is not JSON).
pub async fn upload(session: &Session, resource: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
    let form = reqwest::multipart::Form::new().part("file", part);
    let resp = session
        .client
        .post(session.url(&format!("/api/v1/resources/{resource}/files")))
        .multipart(form)
        .send()
        .await
        .expect("upload request");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The ids of a search answer's hits, in the order given.
pub fn hit_ids(body: &Value) -> Vec<String> {
    body["hits"]
        .as_array()
        .expect("hits")
        .iter()
        .map(|h| h["id"].as_str().expect("hit id").to_owned())
        .collect()
}
