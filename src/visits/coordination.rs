//! What the committee's coordinator reads (read-only): every base with its pending
//! requests and next sessions, the count of requests waiting beside 参观协调, a base's
//! week — sessions with the groups on them, the pending requests whose preferences
//! fall in the week with what stands in the way of each preferred session, and the
//! conflicts to look at — and a session's reception sheet (接待单).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use jiff::civil::{Date, Weekday};
use rusqlite::{Connection, params};

use super::VisitError;
use super::model::{Session, SessionStatus, Visit};
use super::read::{self, Base};
use super::sessions::{Template, earliest_visit_day, librarians_only, templates};
use crate::actor::Actor;
use crate::loans::days::{OpeningDays, add_days, parse_date};

/// Visit requests waiting for the committee (the badge beside 参观协调).
pub fn requested_count(conn: &Connection) -> Result<u64, VisitError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM visits WHERE status = 'requested'",
        [],
        |row| row.get(0),
    )?)
}

/// A base as the coordinator's list shows it.
#[derive(Debug, Clone)]
pub struct BaseOverview {
    pub id: String,
    pub title: String,
    /// The resource's status: `draft`, `published` or `withdrawn`.
    pub status: String,
    /// Whether the base's details (capacity, lead time, …) are filled in; without
    /// them it has no sessions.
    pub details: bool,
    pub capacity: Option<u32>,
    pub lead_days: Option<u32>,
    pub needs_visitor_list: bool,
    /// Requests waiting to be scheduled.
    pub pending: u32,
    /// Groups scheduled or confirmed from today on.
    pub upcoming_groups: u32,
    pub templates: u32,
    /// The next open sessions from today, at most three.
    pub next_sessions: Vec<Session>,
}

/// Every base, whatever its status, by title.
pub fn bases_overview(
    conn: &Connection,
    actor: &Actor,
    today: Date,
) -> Result<Vec<BaseOverview>, VisitError> {
    librarians_only(actor, "参观协调")?;
    let today_text = today.to_string();
    let mut bases: Vec<BaseOverview> = conn
        .prepare_cached(
            "SELECT r.id, r.title, r.status, d.resource_id IS NOT NULL, d.capacity, d.lead_days,
                    coalesce(d.needs_visitor_list, 0),
                    (SELECT count(*) FROM visits v WHERE v.base_id = r.id AND v.status = 'requested'),
                    (SELECT count(*) FROM visits v WHERE v.base_id = r.id
                       AND v.status IN ('scheduled', 'confirmed') AND v.held_date >= ?1),
                    (SELECT count(*) FROM base_templates t WHERE t.base_id = r.id)
             FROM resources r LEFT JOIN base_details d ON d.resource_id = r.id
             WHERE r.kind = 'base' ORDER BY r.title, r.id LIMIT 500",
        )?
        .query_map([&today_text], |row| {
            Ok(BaseOverview {
                id: row.get(0)?,
                title: row.get(1)?,
                status: row.get(2)?,
                details: row.get(3)?,
                capacity: row.get(4)?,
                lead_days: row.get(5)?,
                needs_visitor_list: row.get(6)?,
                pending: row.get(7)?,
                upcoming_groups: row.get(8)?,
                templates: row.get(9)?,
                next_sessions: Vec::new(),
            })
        })?
        .collect::<Result<_, _>>()?;
    let until = add_days(today, 366).to_string();
    for base in bases.iter_mut().filter(|b| b.details) {
        base.next_sessions = read::sessions(conn, &base.id, &today_text, &until)?
            .into_iter()
            .filter(|s| s.status == SessionStatus::Open)
            .take(3)
            .collect();
    }
    Ok(bases)
}

/// One day of a base's week.
#[derive(Debug, Clone)]
pub struct WeekDay {
    pub date: Date,
    /// The library's calendar: closed on weekends and holidays, open on 调休 days.
    pub open: bool,
    /// The holiday's or make-up day's name.
    pub name: Option<String>,
    pub sessions: Vec<SessionSlot>,
}

/// A session of the week with the groups holding seats on it.
#[derive(Debug, Clone)]
pub struct SessionSlot {
    pub session: Session,
    /// Scheduled, confirmed and attended visits (and no-shows) on it.
    pub groups: Vec<Visit>,
    /// Requests waiting that name this session.
    pub wanted_by: u32,
    pub conflicts: Vec<String>,
}

/// A session a pending request named, and what stands in the way of scheduling it
/// there (`None`: it can be scheduled).
#[derive(Debug, Clone)]
pub struct Choice {
    pub rank: u32,
    pub session: Session,
    pub blocked: Option<String>,
    pub in_week: bool,
}

/// A request waiting for a session.
#[derive(Debug, Clone)]
pub struct PendingRequest {
    pub visit: Visit,
    pub choices: Vec<Choice>,
    pub conflicts: Vec<String>,
}

/// What the coordinator's week view of a base shows.
#[derive(Debug, Clone)]
pub struct Week {
    pub base: Base,
    pub monday: Date,
    pub days: Vec<WeekDay>,
    pub pending: Vec<PendingRequest>,
    /// Open sessions of the base from the earliest bookable day on (eight weeks past
    /// this week at most): the choice of "any session".
    pub bookable: Vec<Session>,
    pub templates: Vec<Template>,
    /// Other weeks (their Mondays) with pending requests naming a session in them.
    pub other_weeks: Vec<(Date, u32)>,
    /// The first day a visit asked for today may take place (the lead time).
    pub earliest: Date,
}

/// The Monday of `day`'s week.
pub fn monday_of(day: Date) -> Date {
    add_days(day, -i64::from(day.weekday().to_monday_zero_offset()))
}

/// Visits holding (or having held) seats on `session_id`, by id.
fn groups_on(conn: &Connection, session_id: i64) -> Result<Vec<Visit>, VisitError> {
    let ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT id FROM visits WHERE session_id = ?1
               AND status IN ('scheduled', 'confirmed', 'attended', 'no_show')
             ORDER BY id LIMIT 500",
        )?
        .query_map([session_id], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    ids.into_iter().map(|id| read::full(conn, id)).collect()
}

/// The base `base_id`'s week from the Monday of `day`.
pub fn week(
    conn: &Connection,
    actor: &Actor,
    base_id: &str,
    day: Date,
    today: Date,
) -> Result<Week, VisitError> {
    librarians_only(actor, "参观协调")?;
    let base = read::base(conn, base_id.trim())?
        .ok_or_else(|| VisitError::BaseNotFound(base_id.trim().to_owned()))?;
    let monday = monday_of(day);
    let sunday = add_days(monday, 6);
    let opening = OpeningDays::load(conn)?;
    let earliest = earliest_visit_day(&opening, today, base.lead_days);
    let sessions = read::sessions(conn, &base.id, &monday.to_string(), &sunday.to_string())?;

    let mut held: HashMap<i64, Vec<Visit>> = HashMap::new();
    for session in &sessions {
        held.insert(session.id, groups_on(conn, session.id)?);
    }
    let pending_ids: Vec<i64> = conn
        .prepare_cached(
            "SELECT DISTINCT v.id FROM visits v
             JOIN visit_preferences p ON p.visit_id = v.id
             JOIN base_sessions s ON s.id = p.session_id
             WHERE v.base_id = ?1 AND v.status = 'requested' AND s.date BETWEEN ?2 AND ?3
             ORDER BY v.id LIMIT 500",
        )?
        .query_map(
            params![base.id, monday.to_string(), sunday.to_string()],
            |row| row.get(0),
        )?
        .collect::<Result<_, _>>()?;
    let mut pending = Vec::with_capacity(pending_ids.len());
    for id in pending_ids {
        let visit = read::full(conn, id)?;
        pending.push(pending_request(conn, visit, &mut held, earliest, monday)?);
    }
    let days = week_days(&sessions, &held, &pending, &opening, monday);
    let bookable = read::sessions(
        conn,
        &base.id,
        &earliest.max(today).to_string(),
        &add_days(sunday, 56).to_string(),
    )?
    .into_iter()
    .filter(|s| s.status == SessionStatus::Open && s.free() > 0)
    .collect();
    Ok(Week {
        templates: templates(conn, &base.id)?,
        other_weeks: other_weeks(conn, &base.id, monday)?,
        base,
        monday,
        days,
        pending,
        bookable,
        earliest,
    })
}

/// The seven days from `monday`, each with its sessions, their groups and conflicts.
fn week_days(
    sessions: &[Session],
    held: &HashMap<i64, Vec<Visit>>,
    pending: &[PendingRequest],
    opening: &OpeningDays,
    monday: Date,
) -> Vec<WeekDay> {
    let mut wanted: HashMap<i64, (u32, u32)> = HashMap::new();
    for request in pending {
        for choice in &request.choices {
            let entry = wanted.entry(choice.session.id).or_default();
            entry.0 += 1;
            if choice.rank == 1 {
                entry.1 += request.visit.headcount;
            }
        }
    }

    let mut days = Vec::with_capacity(7);
    for offset in 0..7 {
        let date = add_days(monday, offset);
        let text = date.to_string();
        let slots = sessions
            .iter()
            .filter(|s| s.date == text)
            .map(|session| {
                let groups = held.get(&session.id).cloned().unwrap_or_default();
                let (wanted_by, first_call) = wanted.get(&session.id).copied().unwrap_or_default();
                let conflicts = session_conflicts(session, &groups, first_call);
                SessionSlot {
                    session: session.clone(),
                    groups,
                    wanted_by,
                    conflicts,
                }
            })
            .collect();
        days.push(WeekDay {
            date,
            open: opening.is_open(date),
            name: opening.name_of(date).map(str::to_owned),
            sessions: slots,
        });
    }
    days
}

/// What is wrong on a session: a group that does not share seated with others, more
/// seats held than it has, more people asking for it first than it has room for.
fn session_conflicts(session: &Session, groups: &[Visit], first_call: u32) -> Vec<String> {
    let mut conflicts = Vec::new();
    let holding: Vec<&Visit> = groups.iter().filter(|v| v.status.holds_seats()).collect();
    if holding.len() > 1 {
        for alone in holding.iter().filter(|v| !v.share) {
            conflicts.push(format!(
                "{}不接受联合参观，却与其他单位同在此场次",
                alone.unit_name
            ));
        }
    }
    if session.booked > session.capacity {
        conflicts.push(format!(
            "已占 {} 个座位，超出容量 {}",
            session.booked, session.capacity
        ));
    }
    if session.status == SessionStatus::Open && first_call > session.free() {
        conflicts.push(format!(
            "首选此场次的申请共 {first_call} 人，只剩 {} 个座位",
            session.free()
        ));
    }
    conflicts
}

/// A request's choices, each with what blocks it, and its conflicts.
fn pending_request(
    conn: &Connection,
    visit: Visit,
    held: &mut HashMap<i64, Vec<Visit>>,
    earliest: Date,
    monday: Date,
) -> Result<PendingRequest, VisitError> {
    let sunday = add_days(monday, 6);
    let unit_days = unit_held_days(conn, &visit.unit, visit.id)?;
    let mut choices = Vec::with_capacity(visit.preferences.len());
    for preference in &visit.preferences {
        let session = &preference.session;
        if let Entry::Vacant(slot) = held.entry(session.id) {
            slot.insert(groups_on(conn, session.id)?);
        }
        let groups = held.get(&session.id).map(Vec::as_slice).unwrap_or(&[]);
        let date = parse_date("date", &session.date)?;
        choices.push(Choice {
            rank: preference.rank,
            session: session.clone(),
            blocked: blocker(&visit, session, groups, date, earliest, &unit_days),
            in_week: (monday..=sunday).contains(&date),
        });
    }
    let mut conflicts = Vec::new();
    if !choices.is_empty() && choices.iter().all(|c| c.blocked.is_some()) {
        conflicts.push("所选场次均无法安排：请另选场次或与单位联系".to_owned());
    }
    let dates: Vec<&str> = choices.iter().map(|c| c.session.date.as_str()).collect();
    for (other, date) in unit_requests_by_day(conn, &visit.unit, visit.id)? {
        if dates.contains(&date.as_str()) {
            conflicts.push(format!(
                "本单位另一份申请（#{other}）也选了 {date}，同一天只能安排一次参观"
            ));
        }
    }
    conflicts.dedup();
    Ok(PendingRequest {
        visit,
        choices,
        conflicts,
    })
}

/// Why the visit cannot be scheduled on `session` now, in words; `None` when it can.
fn blocker(
    visit: &Visit,
    session: &Session,
    groups: &[Visit],
    date: Date,
    earliest: Date,
    unit_days: &BTreeMap<String, String>,
) -> Option<String> {
    if session.status != SessionStatus::Open {
        return Some(format!("场次已{}", session.status.label()));
    }
    if date < earliest {
        return Some(format!("太近：最早可安排 {earliest}"));
    }
    if session.free() < visit.headcount {
        return Some(format!(
            "只剩 {} 个座位，容纳不下 {} 人",
            session.free(),
            visit.headcount
        ));
    }
    let trial = !session.label.is_empty() && !session.sectors.is_empty();
    let others: Vec<&Visit> = groups
        .iter()
        .filter(|g| g.status.holds_seats() && g.id != visit.id)
        .collect();
    if !trial && !others.is_empty() {
        if !visit.share {
            return Some("已有其他单位，本团不接受联合参观".to_owned());
        }
        if let Some(alone) = others.iter().find(|g| !g.share) {
            return Some(format!("已安排的{}不接受联合参观", alone.unit_name));
        }
    }
    if let Some(base) = unit_days.get(&session.date) {
        return Some(format!("本单位当天已有参观（{base}）"));
    }
    None
}

/// The days the unit already holds a visit on (other than `except`), with the base.
fn unit_held_days(
    conn: &Connection,
    unit: &str,
    except: i64,
) -> Result<BTreeMap<String, String>, VisitError> {
    Ok(conn
        .prepare_cached(
            "SELECT v.held_date, r.title FROM visits v JOIN resources r ON r.id = v.base_id
             WHERE v.unit_code = ?1 AND v.held_date IS NOT NULL AND v.id != ?2",
        )?
        .query_map(params![unit, except], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The unit's other pending requests (any base) and the days of their sessions.
fn unit_requests_by_day(
    conn: &Connection,
    unit: &str,
    except: i64,
) -> Result<Vec<(i64, String)>, VisitError> {
    Ok(conn
        .prepare_cached(
            "SELECT DISTINCT v.id, s.date FROM visits v
             JOIN visit_preferences p ON p.visit_id = v.id
             JOIN base_sessions s ON s.id = p.session_id
             WHERE v.unit_code = ?1 AND v.status = 'requested' AND v.id != ?2
             ORDER BY v.id, s.date",
        )?
        .query_map(params![unit, except], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?)
}

/// The Mondays of other weeks whose sessions pending requests of the base name,
/// with how many requests each, earliest first (at most twelve).
fn other_weeks(
    conn: &Connection,
    base_id: &str,
    monday: Date,
) -> Result<Vec<(Date, u32)>, VisitError> {
    let pairs: Vec<(i64, String)> = conn
        .prepare_cached(
            "SELECT DISTINCT v.id, s.date FROM visits v
             JOIN visit_preferences p ON p.visit_id = v.id
             JOIN base_sessions s ON s.id = p.session_id
             WHERE v.base_id = ?1 AND v.status = 'requested' LIMIT 5000",
        )?
        .query_map([base_id], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<Result<_, _>>()?;
    let mut weeks: BTreeMap<Date, Vec<i64>> = BTreeMap::new();
    for (visit, date) in pairs {
        let Ok(date) = parse_date("date", &date) else {
            continue;
        };
        let week = monday_of(date);
        if week != monday {
            let ids = weeks.entry(week).or_default();
            if !ids.contains(&visit) {
                ids.push(visit);
            }
        }
    }
    Ok(weeks
        .into_iter()
        .take(12)
        .map(|(week, ids)| (week, ids.len() as u32))
        .collect())
}

/// A session's reception sheet (接待单) for the base.
#[derive(Debug, Clone)]
pub struct ReceptionSheet {
    pub base: Base,
    pub session: Session,
    /// Groups holding seats on it (scheduled, confirmed, attended), by id.
    pub groups: Vec<Visit>,
}

impl ReceptionSheet {
    pub fn total(&self) -> u32 {
        self.groups.iter().map(|v| v.headcount).sum()
    }

    pub fn confirmed_total(&self) -> u32 {
        self.groups
            .iter()
            .filter(|v| v.status != super::VisitStatus::Scheduled)
            .map(|v| v.headcount)
            .sum()
    }
}

/// The reception sheet of session `id`.
pub fn reception_sheet(
    conn: &Connection,
    actor: &Actor,
    id: i64,
) -> Result<ReceptionSheet, VisitError> {
    librarians_only(actor, "打印接待单")?;
    let session = read::session(conn, id)?;
    let base = read::base(conn, &session.base_id)?
        .ok_or_else(|| VisitError::BaseNotFound(session.base_id.clone()))?;
    let groups = groups_on(conn, id)?
        .into_iter()
        .filter(|v| v.status.holds_seats())
        .collect();
    Ok(ReceptionSheet {
        base,
        session,
        groups,
    })
}

/// 周一 … 周日.
pub fn weekday_label(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "周一",
        Weekday::Tuesday => "周二",
        Weekday::Wednesday => "周三",
        Weekday::Thursday => "周四",
        Weekday::Friday => "周五",
        Weekday::Saturday => "周六",
        Weekday::Sunday => "周日",
    }
}
