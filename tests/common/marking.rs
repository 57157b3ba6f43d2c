//! Loan-mark fixtures: PDFs built with lopdf, a confession record lent to a unit
//! with its PDF, and raw fetches of a file's bytes.

use lopdf::{Document, Object, Stream, dictionary};
use serde_json::{Value, json};

use super::Session;
use super::lending::{act_ok, day, lift_unit_limits, requested};
use super::web::upload;

/// A PDF of `pages` pages, each with a line of text, the resources and page size
/// inherited from the page tree (as many producers write them).
pub fn pdf_pages(pages: usize, text: &str) -> Vec<u8> {
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
    "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Courier" });
    let resources = doc.add_object(dictionary! { "Font" => dictionary! { "F1" => font } });
    let kids: Vec<Object> = (0..pages)
        .map(|n| {
            let line = format!("BT /F1 14 Tf 72 720 Td ({text} {n}) Tj ET");
            let content = doc.add_object(Stream::new(dictionary! {}, line.into_bytes()));
            doc.add_object(dictionary! {
            "Type" => "Page", "Parent" => pages_id, "Contents" => content })
                .into()
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
        "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
        "Resources" => resources,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()] }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).expect("save the PDF");
    bytes
}

/// A published confession record `id` lent only under a loan, with `pdf` attached:
/// answers the file's id.
pub async fn lendable_pdf(librarian: &Session, id: &str, pdf: Vec<u8>) -> String {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "confession", "title": format!("忏悔录 {id}"),
                    "access": "loan", "status": "published", "licences": 5}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    lift_unit_limits(librarian, id).await;
    let (status, file) = upload(librarian, id, "忏悔录.pdf", pdf).await;
    assert_eq!(status, 201, "{file}");
    file["id"].as_str().expect("file id").to_owned()
}

/// A digital loan of `resource` to `borrower`'s unit from today for three days,
/// approved (and so active): answers the loan.
pub async fn lent_today(librarian: &Session, borrower: &Session, resource: &str) -> Value {
    let loan = requested(borrower, resource, "digital", &day(0), &day(2)).await;
    act_ok(librarian, &loan, "approve", json!({})).await
}

/// A fetch's status, headers and bytes.
pub struct Fetched {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub bytes: Vec<u8>,
}

impl Fetched {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

/// GET `path` as `session` with extra request headers.
pub async fn fetch(session: &Session, path: &str, headers: &[(&str, &str)]) -> Fetched {
    let mut request = session.client.get(session.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let resp = request.send().await.expect("request");
    Fetched {
        status: resp.status().as_u16(),
        headers: resp.headers().clone(),
        bytes: resp.bytes().await.expect("body").to_vec(),
    }
}

/// Whether `needle` occurs in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}
