//! Units' contributions for the review tests: a fictional case bulletin with personal
//! data the privacy check must find (a name beside a title, a mobile number, a
//! resident ID number with a valid check digit), submitted through the JSON API.

use serde_json::{Value, json};

use super::Session;
use super::web::upload;

/// A fictional mobile number.
pub const MOBILE: &str = "13912345678";
/// A fictional official beside his title.
pub const NAME: &str = "张建华";

/// A resident ID number: the 17 digits given and the GB 11643 check character.
pub fn id_number(first17: &str) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    assert_eq!(first17.len(), 17, "17 digits");
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).expect("a digit") * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{first17}{check}")
}

/// The fictional ID number of the bulletin (born 1985-03-15 in Kunming).
pub fn sample_id_number() -> String {
    id_number("53010219850315123")
}

/// A Markdown case bulletin naming [`NAME`] beside 局长, with [`MOBILE`] and
/// [`sample_id_number`].
pub fn bulletin() -> String {
    format!(
        "# 违规收受礼金案通报（虚构示例）\n\n\
         经查，时任某市局局长{NAME}利用职务便利，多次收受管理服务对象所送礼金。\n\n\
         {NAME}的联系电话为 {MOBILE}，身份证号码为 {}。\n\n\
         该案警示我们，要严守纪律规矩。\n",
        sample_id_number()
    )
}

/// The unit's contribution as the API takes it (open to read once published).
pub fn contribution(title: &str, share: &str) -> Value {
    json!({
        "kind": "case",
        "title": title,
        "summary": "本单位查处的一起违规收受礼金案件通报（虚构示例）。",
        "sectors": ["税务"],
        "violations": ["违规收受礼品礼金"],
        "access": "open",
        "share": share,
        "declaration": true,
    })
}

/// `officer` submits a contribution with the bulletin as its file; answers its id.
pub async fn submit_bulletin(officer: &Session, title: &str, share: &str) -> String {
    let (status, body) = officer
        .post_json("/api/v1/contributions", &contribution(title, share))
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().expect("id").to_owned();
    let (status, file) = upload(officer, &id, "案情通报.md", bulletin().into_bytes()).await;
    assert_eq!(status, 201, "{file}");
    id
}

/// The findings of contribution `id` as a librarian reads them through the API.
pub async fn findings(librarian: &Session, id: &str) -> Vec<Value> {
    let (status, body) = librarian
        .get_json(&format!("/api/v1/resources/{id}/privacy"))
        .await;
    assert_eq!(status, 200, "{body}");
    body["findings"].as_array().expect("findings").clone()
}
