//! Calendar feeds at secret addresses (RFC 5545): a unit's confirmed visits and its
//! loans' periods, and a base's sessions with the groups on them, for a calendar
//! program that subscribes without signing in. The address can be replaced.

use rusqlite::{Connection, OptionalExtension, params};

use super::VisitError;
use super::ical::{EventTime, FeedEvent, render};
use super::read;
use super::store;
use crate::actor::Actor;
use crate::audit::AuditAction;
use crate::clock::Moment;
use crate::loans::days::{add_days, parse_date};

/// Where feeds are served: `/calendar/{token}.ics`.
pub const FEED_PATH: &str = "/calendar/";

/// Whose calendar a feed is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedScope {
    Unit(String),
    Base(String),
}

impl FeedScope {
    fn parts(&self) -> (&'static str, &str) {
        match self {
            FeedScope::Unit(code) => ("unit", code),
            FeedScope::Base(id) => ("base", id),
        }
    }
}

/// The feed `actor` asks for: a librarian names a base, a borrower gets the unit's.
pub fn scope_for(
    conn: &Connection,
    actor: &Actor,
    base: Option<&str>,
) -> Result<FeedScope, VisitError> {
    match base.map(str::trim).filter(|b| !b.is_empty()) {
        Some(base) if actor.librarian => {
            let found =
                read::base(conn, base)?.ok_or_else(|| VisitError::BaseNotFound(base.to_owned()))?;
            Ok(FeedScope::Base(found.id))
        }
        Some(_) => Err(VisitError::LibrariansOnly {
            task: "订阅基地日历",
        }),
        None => match &actor.unit {
            Some(unit) => Ok(FeedScope::Unit(unit.clone())),
            None if actor.librarian => Err(VisitError::invalid(
                "base",
                "请用 base 参数指定要订阅哪个基地的日历",
            )),
            None => Err(VisitError::NoUnit),
        },
    }
}

/// The secret token of the feed, made on first use; `rotate` replaces it (the old
/// address stops working), with an audit row.
pub fn feed_token(
    conn: &mut Connection,
    actor: &Actor,
    base: Option<&str>,
    rotate: bool,
    at: Moment,
) -> Result<String, VisitError> {
    store::write(conn, |tx| {
        let scope = scope_for(tx, actor, base)?;
        let (kind, subject) = scope.parts();
        let existing: Option<String> = tx
            .prepare_cached("SELECT token FROM calendar_feeds WHERE scope = ?1 AND subject = ?2")?
            .query_row(params![kind, subject], |row| row.get(0))
            .optional()?;
        if let (Some(token), false) = (&existing, rotate) {
            return Ok(token.clone());
        }
        let token = crate::accounts::sessions::random_secret();
        tx.execute(
            "INSERT INTO calendar_feeds (token, scope, subject, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (scope, subject) DO UPDATE SET token = excluded.token,
                                                        created_at = excluded.created_at",
            params![token, kind, subject, at.stamp()],
        )?;
        if existing.is_some() {
            store::audit(
                tx,
                actor,
                AuditAction::CalendarFeedRotated,
                if kind == "base" { subject } else { "" },
                format!(
                    "更换{}日历订阅地址（{subject}）",
                    if kind == "base" { "基地" } else { "单位" }
                ),
                at,
            )?;
        }
        Ok(token)
    })
}

/// The feed at `token` as iCalendar text, or `None` for an unknown token. Covers a
/// month back and a year ahead.
pub fn feed(conn: &Connection, token: &str, at: Moment) -> Result<Option<String>, VisitError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let found: Option<(String, String)> = conn
        .prepare_cached("SELECT scope, subject FROM calendar_feeds WHERE token = ?1")?
        .query_row([token], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?;
    let Some((scope, subject)) = found else {
        return Ok(None);
    };
    let today = at.today();
    let (from, to) = (
        add_days(today, -31).to_string(),
        add_days(today, 366).to_string(),
    );
    let (name, events) = if scope == "base" {
        base_events(conn, &subject, &from, &to, at)?
    } else {
        unit_events(conn, &subject, &from, &to, at)?
    };
    Ok(Some(render(&name, &events)))
}

/// A unit's visit as its feed shows it.
struct HeldVisit {
    id: i64,
    title: String,
    date: String,
    start: String,
    end: String,
    address: String,
    headcount: u32,
    requirements: String,
}

fn unit_events(
    conn: &Connection,
    unit: &str,
    from: &str,
    to: &str,
    at: Moment,
) -> Result<(String, Vec<FeedEvent>), VisitError> {
    let unit_name: String = conn
        .query_row("SELECT name FROM units WHERE code = ?1", [unit], |row| {
            row.get(0)
        })
        .optional()?
        .unwrap_or_else(|| unit.to_owned());
    let mut events = Vec::new();
    let visits: Vec<HeldVisit> = conn
        .prepare_cached(
            "SELECT v.id, r.title, s.date, s.start_time, s.end_time, coalesce(d.address, ''),
                    v.headcount, coalesce(d.requirements, '')
             FROM visits v JOIN base_sessions s ON s.id = v.session_id
                  JOIN resources r ON r.id = v.base_id
                  LEFT JOIN base_details d ON d.resource_id = v.base_id
             WHERE v.unit_code = ?1 AND v.status IN ('confirmed', 'attended')
               AND s.date BETWEEN ?2 AND ?3
             ORDER BY s.date, s.start_time",
        )?
        .query_map(params![unit, from, to], |row| {
            Ok(HeldVisit {
                id: row.get(0)?,
                title: row.get(1)?,
                date: row.get(2)?,
                start: row.get(3)?,
                end: row.get(4)?,
                address: row.get(5)?,
                headcount: row.get(6)?,
                requirements: row.get(7)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    for visit in visits {
        events.push(FeedEvent {
            uid: format!("visit-{}@jingshi", visit.id),
            summary: format!("参观{}", super::marked(&visit.title)),
            location: visit.address,
            description: format!("{} 人。{}", visit.headcount, visit.requirements),
            when: timed(&visit.date, &visit.start, &visit.end)?,
            stamp: at.instant(),
        });
    }
    let loans: Vec<(i64, String, String, String, String)> = conn
        .prepare_cached(
            "SELECT l.id, r.title, l.start_date, l.end_date, l.format FROM loans l
             JOIN resources r ON r.id = l.resource_id
             WHERE l.unit_code = ?1 AND l.status IN ('approved', 'active', 'overdue')
               AND l.end_date >= ?2 AND l.start_date <= ?3
             ORDER BY l.start_date",
        )?
        .query_map(params![unit, from, to], |row| {
            Ok((
                row.get(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
                row.get(4)?,
            ))
        })?
        .collect::<Result<_, _>>()?;
    for (id, title, start, end, format) in loans {
        let format = if format == "digital" {
            "数字"
        } else {
            "实体"
        };
        events.push(FeedEvent {
            uid: format!("loan-{id}@jingshi"),
            summary: format!("借阅{}（{format}）", super::marked(&title)),
            location: String::new(),
            description: format!("借阅 #{id}"),
            when: EventTime::AllDay {
                first: parse_date("start", &start)?,
                last: parse_date("end", &end)?,
            },
            stamp: at.instant(),
        });
    }
    Ok((format!("{unit_name} · 警示教育"), events))
}

fn base_events(
    conn: &Connection,
    base_id: &str,
    from: &str,
    to: &str,
    at: Moment,
) -> Result<(String, Vec<FeedEvent>), VisitError> {
    let Some(base) = read::base(conn, base_id)? else {
        return Ok((base_id.to_owned(), Vec::new()));
    };
    let mut events = Vec::new();
    for session in read::sessions(conn, &base.id, from, to)? {
        if session.booked == 0 || session.status == super::SessionStatus::Cancelled {
            continue;
        }
        let groups: Vec<String> = conn
            .prepare_cached(
                "SELECT coalesce(u.name, v.unit_code) || ' ' || v.headcount || ' 人（' ||
                        CASE v.status WHEN 'scheduled' THEN '待确认' ELSE '已确认' END || '）'
                 FROM visits v LEFT JOIN units u ON u.code = v.unit_code
                 WHERE v.session_id = ?1 AND v.status IN ('scheduled', 'confirmed', 'attended')
                 ORDER BY v.id",
            )?
            .query_map([session.id], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
        let label = if session.label.is_empty() {
            String::new()
        } else {
            format!("（{}）", session.label)
        };
        events.push(FeedEvent {
            uid: format!("session-{}@jingshi", session.id),
            summary: format!("接待 {} 人{label}", session.booked),
            location: base.address.clone(),
            description: groups.join("\n"),
            when: timed(&session.date, &session.start, &session.end)?,
            stamp: at.instant(),
        });
    }
    Ok((format!("{} · 参观接待", base.title), events))
}

fn timed(date: &str, start: &str, end: &str) -> Result<EventTime, VisitError> {
    let time = |field: &str, text: &str| {
        jiff::civil::Time::strptime("%H:%M", text)
            .map_err(|_| VisitError::invalid(field, format!("时间“{text}”无效")))
    };
    Ok(EventTime::Timed {
        date: parse_date("date", date)?,
        start: time("start", start)?,
        end: time("end", end)?,
    })
}
