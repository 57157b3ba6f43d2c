//! The holiday periods of a year as the committee keeps them (table `seasons`), with
//! the closed-days calendar's proposal for a season not yet confirmed, and how many
//! weeks before a period units are reminded (`settings`, key
//! [`WEEKS_KEY`]). Saving them is `super::save`.

use std::collections::HashMap;
use std::ops::RangeInclusive;

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Season, SeasonError, proposal};
use crate::loans::days;

/// The years the library keeps periods for.
pub const YEARS: RangeInclusive<i16> = 2000..=2100;
/// The `settings` key holding the reminders' lead time in weeks.
pub const WEEKS_KEY: &str = "season_reminder_weeks";
/// Weeks before a period its reminders go out, unless the committee says otherwise.
pub const DEFAULT_WEEKS: u8 = 3;
/// The lead times the committee may choose.
pub const WEEKS: RangeInclusive<u8> = 1..=8;
/// The longest period (国庆 and 春节 are at most 9 days; a period covers at most the
/// month around a holiday).
pub const MAX_DAYS: i64 = 31;

/// Where a period's dates come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Confirmed by the committee: reminders are sent before it.
    Saved,
    /// Read off the closed-days calendar, not yet confirmed.
    ClosedDays,
    /// Neither knows it.
    Missing,
}

/// One season's period in a year (named apart from the loans' `Period` in the
/// OpenAPI document, where two schemas of one name would collide).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = SeasonPeriod)]
pub struct Period {
    /// The season's code (`chunjie`).
    #[schema(value_type = String, example = "chunjie")]
    pub season: Season,
    /// Its name (春节).
    pub label: &'static str,
    /// First day, `YYYY-MM-DD`; absent when neither the committee nor the calendar
    /// knows it.
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<Date>,
    /// Last day, `YYYY-MM-DD`; absent with `start`.
    #[schema(value_type = Option<String>, format = Date)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end: Option<Date>,
    /// Saved by the committee (only confirmed periods are reminded of).
    pub confirmed: bool,
    pub source: Source,
}

impl Period {
    /// `2027-02-06 至 2027-02-12`, or 未设置.
    pub fn dates(&self) -> String {
        match (self.start, self.end) {
            (Some(start), Some(end)) => format!("{start} 至 {end}"),
            _ => "未设置".to_owned(),
        }
    }
}

/// A year's periods and the reminders' lead time: what `GET /api/v1/seasons/{year}`
/// answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct SeasonYear {
    pub year: i16,
    /// Weeks before a confirmed period that units which booked nothing for it are
    /// reminded.
    pub reminder_weeks: u8,
    /// The seven seasons, in the order they fall.
    pub periods: Vec<Period>,
}

/// One period to set: both dates, or neither (then the season is no longer kept for
/// the year and the calendar's proposal shows again). Values are taken as any JSON
/// so that a wrong one is answered in words naming the period.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct PeriodInput {
    /// The season's code or name (`chunjie` or `春节`).
    #[schema(value_type = String, example = "chunjie")]
    pub season: Value,
    /// `YYYY-MM-DD`, or null/empty to clear.
    #[schema(value_type = Option<String>, format = Date)]
    pub start: Value,
    #[schema(value_type = Option<String>, format = Date)]
    pub end: Value,
}

/// A change of a year's periods: each period listed is set or cleared, a season not
/// listed stays as it is; `reminder_weeks` left out stays as it is.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SeasonsChange {
    pub periods: Vec<PeriodInput>,
    #[schema(value_type = Option<u8>, minimum = 1, maximum = 8)]
    pub reminder_weeks: Option<Value>,
}

/// The year in a path or form (`2027`); anything else is a year we do not keep.
pub fn parse_year(text: &str) -> Result<i16, SeasonError> {
    let text = text.trim();
    let shown: String = text.chars().take(20).collect();
    text.parse::<i16>()
        .ok()
        .filter(|year| YEARS.contains(year) && text.bytes().all(|b| b.is_ascii_digit()))
        .ok_or(SeasonError::UnknownYear(shown))
}

pub(super) fn check_year(year: i16) -> Result<(), SeasonError> {
    if YEARS.contains(&year) {
        Ok(())
    } else {
        Err(SeasonError::UnknownYear(year.to_string()))
    }
}

/// Weeks before a period its reminders go out.
pub fn reminder_weeks(conn: &Connection) -> Result<u8, SeasonError> {
    let stored: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [WEEKS_KEY],
            |row| row.get(0),
        )
        .optional()?;
    Ok(stored
        .and_then(|value| value.parse().ok())
        .filter(|weeks| WEEKS.contains(weeks))
        .unwrap_or(DEFAULT_WEEKS))
}

/// The periods the committee saved (confirmed) for `year`: first and last day by
/// season; a season not saved is absent.
pub fn confirmed(
    conn: &Connection,
    year: i16,
) -> Result<HashMap<Season, (Date, Date)>, SeasonError> {
    let mut stmt =
        conn.prepare_cached("SELECT season, start_date, end_date FROM seasons WHERE year = ?1")?;
    let rows = stmt
        .query_map([year], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    // The table's CHECKs admit only known seasons and real dates.
    Ok(rows
        .into_iter()
        .filter_map(|(season, start, end)| {
            Some((
                Season::parse(&season)?,
                (start.parse().ok()?, end.parse().ok()?),
            ))
        })
        .collect())
}

/// The seven periods of `year`: those the committee saved, else the closed-days
/// calendar's proposal (not confirmed), else missing.
pub fn periods(conn: &Connection, year: i16) -> Result<Vec<Period>, SeasonError> {
    check_year(year)?;
    let saved = confirmed(conn, year)?;
    let mut calendar = days::list_days(conn, Some(year - 1))?;
    calendar.retain(|day| day.date.month() == 12);
    calendar.extend(days::list_days(conn, Some(year))?);
    let proposed = proposal::propose(&calendar, year);
    Ok(Season::ALL
        .into_iter()
        .map(|season| {
            let (dates, source) = match (saved.get(&season), proposed.get(&season)) {
                (Some(dates), _) => (Some(*dates), Source::Saved),
                (None, Some(dates)) => (Some(*dates), Source::ClosedDays),
                (None, None) => (None, Source::Missing),
            };
            Period {
                season,
                label: season.label(),
                start: dates.map(|(start, _)| start),
                end: dates.map(|(_, end)| end),
                confirmed: source == Source::Saved,
                source,
            }
        })
        .collect())
}

/// A year's periods and the lead time.
pub fn season_year(conn: &Connection, year: i16) -> Result<SeasonYear, SeasonError> {
    Ok(SeasonYear {
        year,
        reminder_weeks: reminder_weeks(conn)?,
        periods: periods(conn, year)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_are_numbers_in_range_and_nothing_else() {
        assert_eq!(parse_year("2027").unwrap(), 2027);
        for bad in [
            "1999",
            "2101",
            "../1",
            "+2027",
            "２０２７",
            "99999999999999999999",
            "",
            "<b>",
        ] {
            assert!(parse_year(bad).is_err(), "{bad}");
        }
    }
}
