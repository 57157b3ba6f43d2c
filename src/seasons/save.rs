//! Saving a year's holiday periods: every period is checked first (known season,
//! real dates in order, within the year and a month either side, at most
//! [`MAX_DAYS`] days), then all are written with the lead time and one audit row
//! naming what changed, or nothing is.

use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde_json::Value;

use super::periods::{
    MAX_DAYS, Period, PeriodInput, SeasonYear, SeasonsChange, Source, WEEKS, WEEKS_KEY, check_year,
    season_year,
};
use super::{Season, SeasonError};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;
use crate::loans::days::{self, length_days};

/// A checked period to write: dates to set, or `None` to clear.
struct Checked {
    season: Season,
    dates: Option<(Date, Date)>,
}

/// The text of a field, or "" for null; a number or list is refused in words.
fn text_of<'a>(value: &'a Value, what: &str) -> Result<&'a str, SeasonError> {
    match value {
        Value::Null => Ok(""),
        Value::String(text) => Ok(text.trim()),
        _ => Err(SeasonError::invalid("periods", format!("{what}应为文字"))),
    }
}

/// The lead time asked for, if any: a whole number of weeks from 1 to 8.
fn weeks_of(value: Option<&Value>) -> Result<Option<u8>, SeasonError> {
    let Some(value) = value else { return Ok(None) };
    let weeks = match value {
        Value::String(text) => text.trim().parse::<u64>().ok(),
        other => other.as_u64(),
    };
    weeks
        .and_then(|n| u8::try_from(n).ok())
        .filter(|n| WEEKS.contains(n))
        .map(Some)
        .ok_or_else(|| {
            SeasonError::invalid(
                "reminder_weeks",
                format!(
                    "提前提醒的周数应为 {} 到 {} 之间的整数",
                    WEEKS.start(),
                    WEEKS.end()
                ),
            )
        })
}

/// Checks one period of `year`; every message names the period.
fn check_period(year: i16, index: usize, input: &PeriodInput) -> Result<Checked, SeasonError> {
    let named = text_of(&input.season, &format!("第 {} 个节点的名称", index + 1))?;
    let season = Season::parse(named).ok_or_else(|| {
        let shown: String = named.chars().take(20).collect();
        let known: Vec<&str> = Season::ALL.iter().map(|s| s.label()).collect();
        SeasonError::invalid(
            "periods",
            format!(
                "第 {} 个节点“{shown}”不是已知的节点，应为{}之一",
                index + 1,
                known.join("、")
            ),
        )
    })?;
    let label = season.label();
    let field = season.code();
    let start = text_of(&input.start, &format!("{label}的开始日期"))?;
    let end = text_of(&input.end, &format!("{label}的结束日期"))?;
    if start.is_empty() && end.is_empty() {
        return Ok(Checked {
            season,
            dates: None,
        });
    }
    if start.is_empty() || end.is_empty() {
        return Err(SeasonError::invalid(
            field,
            format!("{label}：请同时填写开始和结束日期（都留空则不设置）"),
        ));
    }
    let date = |value: &str, what: &str| {
        days::parse_date(field, value)
            .map_err(|err| SeasonError::invalid(field, format!("{label}的{what}：{err}")))
    };
    let (start, end) = (date(start, "开始日期")?, date(end, "结束日期")?);
    if start > end {
        return Err(SeasonError::invalid(
            field,
            format!("{label}：开始日期 {start} 晚于结束日期 {end}"),
        ));
    }
    let (earliest, latest) = window(year);
    if start < earliest || end > latest {
        return Err(SeasonError::invalid(
            field,
            format!("{label}：{year} 年的节点应在 {earliest} 至 {latest} 之间"),
        ));
    }
    let length = length_days(start, end);
    if length > MAX_DAYS {
        return Err(SeasonError::invalid(
            field,
            format!("{label}：{start} 至 {end} 共 {length} 天，一个节点最长 {MAX_DAYS} 天"),
        ));
    }
    Ok(Checked {
        season,
        dates: Some((start, end)),
    })
}

/// The days a period of `year` may fall on: the year and a month either side (元旦
/// and 春节 may begin in the December before).
pub fn window(year: i16) -> (Date, Date) {
    let earliest = Date::new(year - 1, 12, 1).unwrap_or(Date::MIN);
    let latest = Date::new(year + 1, 1, 31).unwrap_or(Date::MAX);
    (earliest, latest)
}

/// A librarian sets or clears a year's periods and the lead time: everything is
/// checked first, then written with one audit row naming what changed, in one
/// transaction. Answers the year as it now stands.
pub fn save(
    conn: &mut Connection,
    actor: &Actor,
    year: i16,
    change: &SeasonsChange,
    at: Moment,
) -> Result<SeasonYear, SeasonError> {
    if !actor.librarian {
        return Err(SeasonError::LibrariansOnly {
            task: "修改节点日期",
        });
    }
    check_year(year)?;
    if change.periods.len() > Season::ALL.len() {
        return Err(SeasonError::invalid(
            "periods",
            format!(
                "一年只有 {} 个节点，提交了 {} 个",
                Season::ALL.len(),
                change.periods.len()
            ),
        ));
    }
    let mut checked: Vec<Checked> = Vec::with_capacity(change.periods.len());
    for (index, input) in change.periods.iter().enumerate() {
        let period = check_period(year, index, input)?;
        if checked.iter().any(|c| c.season == period.season) {
            return Err(SeasonError::invalid(
                period.season.code(),
                format!("{}出现了两次，每个节点只能填写一次", period.season.label()),
            ));
        }
        checked.push(period);
    }
    let weeks = weeks_of(change.reminder_weeks.as_ref())?;
    let tx = crate::db::begin_write(conn)?;
    let before = season_year(&tx, year)?;
    for period in &checked {
        write_period(&tx, actor, year, period, at)?;
    }
    if let Some(weeks) = weeks {
        tx.execute(
            "INSERT INTO settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![WEEKS_KEY, weeks.to_string()],
        )?;
    }
    let after = season_year(&tx, year)?;
    AuditEvent::by(actor, AuditAction::SeasonsSaved)
        .detail(describe_change(&before, &after))
        .record(&tx, at)?;
    tx.commit()?;
    Ok(after)
}

fn write_period(
    tx: &Connection,
    actor: &Actor,
    year: i16,
    period: &Checked,
    at: Moment,
) -> Result<(), SeasonError> {
    match period.dates {
        Some((start, end)) => {
            // A row saved again with the same dates keeps who set it and when.
            tx.execute(
                "INSERT INTO seasons (year, season, start_date, end_date, updated_by, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (year, season) DO UPDATE SET
                        start_date = excluded.start_date, end_date = excluded.end_date,
                        updated_by = excluded.updated_by, updated_at = excluded.updated_at
                 WHERE start_date != excluded.start_date OR end_date != excluded.end_date",
                params![
                    year,
                    period.season.code(),
                    start.to_string(),
                    end.to_string(),
                    actor.username,
                    at.stamp()
                ],
            )?;
        }
        None => {
            tx.execute(
                "DELETE FROM seasons WHERE year = ?1 AND season = ?2",
                params![year, period.season.code()],
            )?;
        }
    }
    Ok(())
}

/// `2027 年：春节 2027-02-06 至 2027-02-12（原为推算，未确认）；提前提醒 3 → 4 周`,
/// naming each period whose dates or confirmation changed.
fn describe_change(before: &SeasonYear, after: &SeasonYear) -> String {
    let was = |period: &Period| match period.source {
        Source::Saved => format!("原为 {}", period.dates()),
        Source::ClosedDays => format!("原为推算的 {}，未确认", period.dates()),
        Source::Missing => "原未设置".to_owned(),
    };
    let mut changed: Vec<String> = before
        .periods
        .iter()
        .zip(&after.periods)
        .filter(|(old, new)| old != new)
        .map(|(old, new)| {
            let now = match new.source {
                Source::Saved => new.dates(),
                _ => "不再设置".to_owned(),
            };
            format!("{} {now}（{}）", new.label, was(old))
        })
        .collect();
    if before.reminder_weeks != after.reminder_weeks {
        changed.push(format!(
            "提前提醒 {} → {} 周",
            before.reminder_weeks, after.reminder_weeks
        ));
    }
    if changed.is_empty() {
        format!("{} 年：未改变", after.year)
    } else {
        format!("{} 年：{}", after.year, changed.join("；"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_mistake_names_its_period() {
        let input = |season: &str, start: &str, end: &str| PeriodInput {
            season: Value::from(season),
            start: Value::from(start),
            end: Value::from(end),
        };
        let said = |input: PeriodInput| check_period(2027, 0, &input).err().unwrap().to_string();
        assert!(said(input("chunjie", "2027-02-12", "2027-02-06")).contains("春节：开始日期"));
        assert!(said(input("春节", "2027-02-30", "2027-03-01")).contains("春节的开始日期"));
        assert!(said(input("guoqing", "2028-10-01", "2028-10-07")).contains("国庆：2027 年"));
        assert!(said(input("wuyi", "2027-04-01", "2027-05-05")).contains("共 35 天"));
        assert!(said(input("duanwu", "2027-06-09", "")).contains("同时填写"));
        assert!(said(input("<script>", "2027-06-09", "2027-06-11")).contains("不是已知的节点"));
        let straddles = check_period(2027, 0, &input("yuandan", "2026-12-31", "2027-01-02"));
        assert!(straddles.unwrap().dates.is_some());
        assert!(
            check_period(2027, 0, &input("qingming", "", ""))
                .unwrap()
                .dates
                .is_none()
        );
        assert!(weeks_of(Some(&Value::from(9))).is_err());
        assert!(weeks_of(Some(&Value::from(0))).is_err());
        assert!(weeks_of(Some(&Value::from("x"))).is_err());
        assert_eq!(weeks_of(Some(&Value::from(8))).unwrap(), Some(8));
        assert_eq!(weeks_of(None).unwrap(), None);
    }
}
