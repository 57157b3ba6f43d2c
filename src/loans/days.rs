//! Calendar days: day arithmetic, and when the library is open. Weekends are closed
//! by default; librarians keep a list of public holidays (closed) and official
//! make-up working days (调休, open although on a weekend).

use std::collections::HashMap;

use jiff::SignedDuration;
use jiff::civil::{Date, Weekday};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::LoanError;
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

const EPOCH: Date = Date::constant(1970, 1, 1);

/// Days since 1970-01-01, so periods can be swept with integers.
pub fn day_number(date: Date) -> i64 {
    EPOCH.duration_until(date).as_secs().div_euclid(86_400)
}

/// The date `days` after `date` (before, when negative); saturates at the calendar's
/// ends, which no loan period comes near.
pub fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(SignedDuration::from_hours(days.saturating_mul(24)))
}

/// Number of days in `start..=end`.
pub fn length_days(start: Date, end: Date) -> i64 {
    day_number(end) - day_number(start) + 1
}

/// Parses `YYYY-MM-DD` strictly, naming the field in the error.
pub fn parse_date(field: &str, value: &str) -> Result<Date, LoanError> {
    let value = value.trim();
    let well_formed = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let parsed = if well_formed {
        value.parse::<Date>().ok()
    } else {
        None
    };
    parsed.ok_or_else(|| {
        LoanError::invalid(
            field,
            format!("日期“{value}”无效，应为 YYYY-MM-DD 格式的真实日期"),
        )
    })
}

/// A day that differs from the weekday/weekend default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DayKind {
    /// A public holiday: closed.
    Holiday,
    /// A make-up working day (调休): open although on a weekend.
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    pub fn parse(value: &str) -> Result<Self, LoanError> {
        match value.trim() {
            "holiday" => Ok(DayKind::Holiday),
            "workday" => Ok(DayKind::Workday),
            other => Err(LoanError::invalid(
                "kind",
                format!(
                    "“{other}”无效；应为 holiday（节假日，闭馆）或 workday（调休上班日，开馆）"
                ),
            )),
        }
    }
}

/// A holiday or make-up working day as librarians maintain it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct LibraryDay {
    #[schema(value_type = String, format = Date)]
    pub date: Date,
    pub kind: DayKind,
    pub name: String,
}

/// The library's opening days.
#[derive(Debug, Clone, Default)]
pub struct OpeningDays {
    exceptions: HashMap<Date, (DayKind, String)>,
}

impl OpeningDays {
    pub fn new(days: impl IntoIterator<Item = LibraryDay>) -> Self {
        Self {
            exceptions: days
                .into_iter()
                .map(|d| (d.date, (d.kind, d.name)))
                .collect(),
        }
    }

    /// Every holiday and make-up day on record (a short list).
    pub fn load(conn: &Connection) -> Result<Self, LoanError> {
        Ok(Self::new(list_days(conn, None)?))
    }

    pub fn is_open(&self, date: Date) -> bool {
        match self.exceptions.get(&date) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::Workday, _)) => true,
            None => !matches!(date.weekday(), Weekday::Saturday | Weekday::Sunday),
        }
    }

    /// The holiday or make-up day's name, if the date is one.
    pub fn name_of(&self, date: Date) -> Option<&str> {
        self.exceptions.get(&date).map(|(_, name)| name.as_str())
    }

    /// `date` if the library is open then, else the next open day. Gives up after a
    /// year of closed days (a misconfigured list) and answers `date` itself.
    pub fn next_open(&self, date: Date) -> Date {
        (0..366)
            .map(|offset| add_days(date, offset))
            .find(|day| self.is_open(*day))
            .unwrap_or(date)
    }
}

/// Holidays and make-up days, optionally of one year, by date.
pub fn list_days(conn: &Connection, year: Option<i16>) -> Result<Vec<LibraryDay>, LoanError> {
    let mut stmt = conn.prepare_cached(
        "SELECT day, kind, name FROM library_days
         WHERE ?1 IS NULL OR substr(day, 1, 4) = printf('%04d', ?1) ORDER BY day",
    )?;
    let rows = stmt
        .query_map(params![year], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(day, kind, name)| {
            Ok(LibraryDay {
                date: parse_date("day", &day)?,
                kind: DayKind::parse(&kind)?,
                name,
            })
        })
        .collect()
}

/// A librarian records a holiday or make-up day (replacing what the date had), with
/// its audit row, in one transaction.
pub fn set_day(
    conn: &mut Connection,
    actor: &Actor,
    day: &LibraryDay,
    at: Moment,
) -> Result<(), LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "设置闭馆日"
        });
    }
    if day.name.chars().count() > 50 {
        return Err(LoanError::invalid("name", "名称不能超过 50 个字符"));
    }
    super::store::write(conn, |tx| {
        tx.execute(
            "INSERT INTO library_days (day, kind, name) VALUES (?1, ?2, ?3)
             ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
            params![day.date.to_string(), day.kind.as_str(), day.name.trim()],
        )?;
        AuditEvent::by(actor, AuditAction::HolidaySet)
            .detail(format!(
                "{} {} {}",
                day.date,
                day.kind.as_str(),
                day.name.trim()
            ))
            .record(tx, at)?;
        Ok(())
    })
}

/// A librarian removes a date from the list, with its audit row; a date that is not
/// listed is an error.
pub fn remove_day(
    conn: &mut Connection,
    actor: &Actor,
    date: Date,
    at: Moment,
) -> Result<(), LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "取消闭馆日"
        });
    }
    super::store::write(conn, |tx| {
        let removed = tx
            .query_row(
                "DELETE FROM library_days WHERE day = ?1 RETURNING day",
                [date.to_string()],
                |row| row.get::<_, String>(0),
            )
            .optional()?;
        if removed.is_none() {
            return Err(LoanError::DayNotListed(date));
        }
        AuditEvent::by(actor, AuditAction::HolidayRemoved)
            .detail(date.to_string())
            .record(tx, at)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn day_numbers_round_trip() {
        assert_eq!(day_number(date(1970, 1, 2)), 1);
        let d = date(2026, 2, 27);
        assert_eq!(add_days(d, 2), date(2026, 3, 1));
        assert_eq!(day_number(add_days(d, 400)) - day_number(d), 400);
        assert_eq!(add_days(d, -27), date(2026, 1, 31));
        assert_eq!(length_days(d, d), 1);
        assert_eq!(length_days(date(2026, 12, 30), date(2027, 1, 2)), 4);
    }

    #[test]
    fn dates_are_parsed_strictly() {
        assert_eq!(parse_date("start", "2026-05-04").unwrap(), date(2026, 5, 4));
        for bad in [
            "2026-5-4",
            "2026-02-30",
            "20260504",
            "",
            "2026-05-04T00:00",
            "今天",
        ] {
            assert!(parse_date("start", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn weekends_close_unless_made_up_and_holidays_close() {
        // National Day 2026: 1–7 October off, Saturday 10 October a make-up working day.
        let days = OpeningDays::new(
            (1..=7)
                .map(|d| LibraryDay {
                    date: date(2026, 10, d),
                    kind: DayKind::Holiday,
                    name: "国庆节".into(),
                })
                .chain([LibraryDay {
                    date: date(2026, 10, 10),
                    kind: DayKind::Workday,
                    name: "国庆调休".into(),
                }]),
        );
        assert!(days.is_open(date(2026, 9, 30)));
        assert!(!days.is_open(date(2026, 10, 5)));
        assert!(days.is_open(date(2026, 10, 10)), "make-up Saturday is open");
        assert!(
            !days.is_open(date(2026, 10, 11)),
            "an ordinary Sunday is closed"
        );
        assert_eq!(days.next_open(date(2026, 10, 1)), date(2026, 10, 8));
        assert_eq!(days.next_open(date(2026, 10, 9)), date(2026, 10, 9));
        assert_eq!(days.next_open(date(2026, 10, 10)), date(2026, 10, 10));
        assert_eq!(days.next_open(date(2026, 10, 11)), date(2026, 10, 12));
        assert_eq!(days.name_of(date(2026, 10, 10)), Some("国庆调休"));
    }

    #[test]
    fn without_a_list_weekends_move_to_monday() {
        let days = OpeningDays::default();
        // 2026-05-02 is a Saturday.
        assert_eq!(days.next_open(date(2026, 5, 2)), date(2026, 5, 4));
        assert_eq!(days.next_open(date(2026, 5, 4)), date(2026, 5, 4));
    }
}
