//! Visit fixtures shared by the visit test modules: a base with its details, sessions
//! over the API, and visit requests.

use serde_json::{Value, json};

use super::lending::day;
use super::{Session, TestApp};

/// An app whose clock stands on Monday 1 March 2027, with a librarian and a borrower
/// of `yn-tax` signed in.
pub async fn setup() -> (TestApp, Session, Session) {
    let app = TestApp::spawn().await;
    app.state.clock.set_date(super::lending::MONDAY);
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    (app, librarian, officer)
}

/// A published base with `capacity` seats a session, three working days' lead and
/// groups of at most `max_group`; `needs_list` asks for a visitor list.
pub async fn base(_app: &TestApp, librarian: &Session, id: &str, needs_list: bool) -> Value {
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "base", "title": format!("测试基地 {id}"),
                    "status": "published",
                    "base": {"address": "昆明市示例路 1 号", "capacity": 60, "lead_days": 3,
                             "max_group": 60, "needs_visitor_list": needs_list,
                             "contact_name": "张老师", "contact_phone": "0871-65123456"}}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// A one-off session of `base` on `day(offset)`, 09:00–11:00.
pub async fn session(librarian: &Session, base: &str, offset: i64, seats: u32) -> Value {
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/bases/{base}/sessions"),
            &json!({"date": day(offset), "start": "09:00", "end": "11:00", "capacity": seats}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    body
}

/// A visit request body for `base` naming `sessions`, `headcount` people.
pub fn visit_body(base: &str, sessions: &[&Value], headcount: u32, share: bool) -> Value {
    json!({"base_id": base,
           "session_ids": sessions.iter().map(|s| s["id"].clone()).collect::<Vec<_>>(),
           "headcount": headcount, "liaison_name": "李联络", "liaison_phone": "13800138000",
           "purpose": "党风廉政警示教育", "share": share})
}

/// Requests a visit and expects 201.
pub async fn requested(
    borrower: &Session,
    base: &str,
    sessions: &[&Value],
    headcount: u32,
    share: bool,
) -> Value {
    let (status, body) = borrower
        .post_json(
            "/api/v1/visits",
            &visit_body(base, sessions, headcount, share),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "requested");
    body
}

pub async fn act(session: &Session, visit: &Value, action: &str, body: Value) -> (u16, Value) {
    session
        .post_json(&format!("/api/v1/visits/{}/{action}", visit["id"]), &body)
        .await
}

pub async fn act_ok(session: &Session, visit: &Value, action: &str, body: Value) -> Value {
    let (status, answer) = act(session, visit, action, body).await;
    assert_eq!(status, 200, "{action}: {answer}");
    answer
}

/// An event of a calendar feed as a real parser (the `ical` crate) reads it.
#[derive(Debug)]
pub struct FeedEvent {
    pub summary: String,
    pub description: String,
    /// `YYYYMMDD` of DTSTART.
    pub start_date: String,
}

/// Every event of an iCalendar text; panics unless the text parses.
pub fn parse_ical_events(text: &str) -> Vec<FeedEvent> {
    let mut events = Vec::new();
    for calendar in ical::IcalParser::new(std::io::BufReader::new(text.as_bytes())) {
        let calendar = calendar.expect("a valid iCalendar feed");
        for event in calendar.events {
            let property = |name: &str| {
                event
                    .properties
                    .iter()
                    .find(|p| p.name == name)
                    .and_then(|p| p.value.clone())
                    .unwrap_or_default()
            };
            events.push(FeedEvent {
                summary: property("SUMMARY"),
                description: property("DESCRIPTION"),
                start_date: property("DTSTART").chars().take(8).collect(),
            });
        }
    }
    events
}

/// A valid resident ID number: region 530102, the birth date, a sequence, and the
/// GB 11643 check character computed here from the standard's weights.
pub fn id_number(birth: &str, sequence: u32) -> String {
    let body = format!("530102{birth}{sequence:03}");
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap() * w)
        .sum();
    let check = "10X98765432".chars().nth((sum % 11) as usize).unwrap();
    format!("{body}{check}")
}
