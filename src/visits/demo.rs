//! The demo's sessions at its two sample bases: weekly openings and one sample trial
//! hearing (庭审旁听), all marked 示例 in the catalogue they belong to.

use rusqlite::Connection;

use super::sessions::{SessionInput, TemplateInput, add_session, add_template};
use super::{VisitError, base};
use crate::actor::Actor;
use crate::clock::Moment;
use crate::loans::days::{OpeningDays, add_days};

/// The demo bases (content/demo/manifest.json).
pub const DEMO_HALL: &str = "demo-base-integrity-hall";
pub const DEMO_PRISON: &str = "demo-base-prison";

/// Adds the demo's sessions when its bases are in the catalogue; answers how many
/// weekly openings and one-off sessions were added.
pub fn add_demo_sessions(
    conn: &mut Connection,
    actor: &Actor,
    at: Moment,
) -> Result<usize, VisitError> {
    let mut added = 0;
    let weekly = [
        (DEMO_HALL, 2, "09:30", "11:30"),
        (DEMO_HALL, 4, "14:30", "16:30"),
        (DEMO_PRISON, 3, "09:00", "11:00"),
    ];
    for (base_id, weekday, start, end) in weekly {
        if base(conn, base_id)?.is_none() {
            continue;
        }
        let input = TemplateInput {
            weekday: Some(weekday),
            start: Some(start.to_owned()),
            end: Some(end.to_owned()),
            capacity: None,
        };
        add_template(conn, actor, base_id, input, at)?;
        added += 1;
    }
    if base(conn, DEMO_PRISON)?.is_some() {
        // Three weeks ahead, on an open day, so every demo unit can still ask.
        let day = OpeningDays::load(conn)?.next_open(add_days(at.today(), 21));
        let trial = SessionInput {
            date: Some(day.to_string()),
            start: Some("14:00".to_owned()),
            end: Some("17:00".to_owned()),
            capacity: Some(20),
            label: Some("庭审旁听：某烟草公司原负责人受贿案（示例，巡回审判）".to_owned()),
            sectors: Some(vec!["烟草".to_owned()]),
        };
        add_session(conn, actor, DEMO_PRISON, trial, at)?;
        added += 1;
    }
    Ok(added)
}
