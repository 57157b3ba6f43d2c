//! The State Council's yearly holiday notice (国务院办公厅关于某年部分节假日安排的通知),
//! read into closed days and make-up working days, so that a librarian fills a
//! year's calendar by pasting the notice instead of typing thirty dates.
//!
//! A notice has one line per holiday: `一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。
//! 1月4日（周日）上班。`. Sentences with 放假 give closed days (a date, or a range with
//! 至 whose end may leave out the month), sentences with 上班 give working days, and
//! `共N天` is checked against the range read. Lines with neither word are skipped.

use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde::Serialize;

use super::LoanError;
use super::days::{DayKind, LibraryDay, add_days, length_days};
use crate::actor::Actor;
use crate::audit::{AuditAction, AuditEvent};
use crate::clock::Moment;

/// What applying a notice did to a year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AppliedNotice {
    pub year: i16,
    /// Closed days now listed for the year.
    pub holidays: usize,
    /// Make-up working days now listed for the year.
    pub workdays: usize,
    /// Days the year listed before that the notice does not (removed).
    pub replaced: usize,
}

/// A librarian fills a year from the notice's text: the year's holidays and make-up
/// days become exactly those of the notice, with one audit row, in one transaction.
/// A notice that cannot be read changes nothing.
pub fn apply_notice(
    conn: &mut Connection,
    actor: &Actor,
    text: &str,
    year: Option<i16>,
    at: Moment,
) -> Result<AppliedNotice, LoanError> {
    if !actor.librarian {
        return Err(LoanError::LibrariansOnly {
            task: "按放假通知设置闭馆日",
        });
    }
    if text.len() > MAX_NOTICE_BYTES {
        return Err(LoanError::invalid(
            "notice",
            "通知文字过长：请只粘贴通知正文（不超过 20,000 字节）",
        ));
    }
    let days = parse_notice(text, year)?;
    let year = days[0].date.year();
    super::store::write(conn, |tx| {
        let applied = replace_year(tx, year, &days)?;
        AuditEvent::by(actor, AuditAction::HolidayNoticeApplied)
            .detail(format!(
                "{year} 年：闭馆 {} 天，调休上班 {} 天",
                applied.holidays, applied.workdays
            ))
            .record(tx, at)?;
        Ok(applied)
    })
}

/// Loads the shipped schedules into years that list no day at all (a new library, or
/// one that started before the year was shipped), credited to the system.
pub fn load_shipped(conn: &mut Connection, at: Moment) -> Result<Vec<AppliedNotice>, LoanError> {
    let mut loaded = Vec::new();
    for (year, text) in SHIPPED {
        let days = parse_notice(text, Some(year))?;
        let applied = super::store::write(conn, |tx| {
            let listed: i64 = tx.query_row(
                "SELECT count(*) FROM library_days WHERE substr(day, 1, 4) = printf('%04d', ?1)",
                [year],
                |row| row.get(0),
            )?;
            if listed > 0 {
                return Ok(None);
            }
            let applied = replace_year(tx, year, &days)?;
            AuditEvent::by(&Actor::system(), AuditAction::HolidayNoticeApplied)
                .detail(format!("{year} 年：随系统提供的国务院放假安排"))
                .record(tx, at)?;
            Ok(Some(applied))
        })?;
        loaded.extend(applied);
    }
    Ok(loaded)
}

fn replace_year(
    tx: &Connection,
    year: i16,
    days: &[LibraryDay],
) -> Result<AppliedNotice, LoanError> {
    let listed: Vec<String> = tx
        .prepare_cached(
            "DELETE FROM library_days WHERE substr(day, 1, 4) = printf('%04d', ?1) RETURNING day",
        )?
        .query_map([year], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    let mut insert =
        tx.prepare_cached("INSERT INTO library_days (day, kind, name) VALUES (?1, ?2, ?3)")?;
    for day in days {
        insert.execute(params![day.date.to_string(), day.kind.as_str(), day.name])?;
    }
    let noticed: std::collections::HashSet<String> =
        days.iter().map(|d| d.date.to_string()).collect();
    let holidays = days.iter().filter(|d| d.kind == DayKind::Holiday).count();
    Ok(AppliedNotice {
        year,
        holidays,
        workdays: days.len() - holidays,
        replaced: listed.iter().filter(|day| !noticed.contains(*day)).count(),
    })
}

/// A pasted notice is a page of text; more is not a notice.
const MAX_NOTICE_BYTES: usize = 20_000;

/// Years a notice may be for (and the calendar page shows).
pub const YEARS: std::ops::RangeInclusive<i16> = 2000..=2100;

/// Holidays in one notice line cannot be more than this (the longest, 春节 or 国庆, is 9).
const MAX_DAYS_PER_HOLIDAY: i64 = 15;

/// The schedules shipped with the library, loaded on start into years that have none.
pub const SHIPPED: [(i16, &str); 2] = [
    (2025, include_str!("notices/2025.txt")),
    (2026, include_str!("notices/2026.txt")),
];

/// Reads a notice for `year` (or the year its title names) into the days it lists,
/// by date. Every problem names its line.
pub fn parse_notice(text: &str, year: Option<i16>) -> Result<Vec<LibraryDay>, LoanError> {
    let year = notice_year(text, year)?;
    let mut days: Vec<LibraryDay> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let at_line = |message: String| {
            LoanError::invalid("notice", format!("第 {} 行：{message}", index + 1))
        };
        let line = line.trim();
        if !line.contains("放假") && !line.contains("上班") {
            continue;
        }
        let (name, body) = holiday_name(line);
        let mut closed = 0;
        for sentence in body.split(['。', '；', ';']) {
            let sentence = without_asides(sentence);
            let kind = if sentence.contains("放假") {
                DayKind::Holiday
            } else if sentence.contains("上班") {
                DayKind::Workday
            } else {
                continue;
            };
            for date in sentence_dates(&sentence, year, kind).map_err(at_line)? {
                if let Some(earlier) = days.iter().find(|d| d.date == date) {
                    return Err(at_line(format!(
                        "{date} 已在“{}”中列出，同一天不能出现两次",
                        earlier.name
                    )));
                }
                closed += i64::from(kind == DayKind::Holiday);
                days.push(LibraryDay {
                    date,
                    kind,
                    name: name.clone(),
                });
            }
        }
        if let Some(total) = stated_total(body)
            && total != closed
        {
            return Err(at_line(format!(
                "通知写“共{total}天”，但读出的放假日期是 {closed} 天，请核对日期"
            )));
        }
    }
    if days.is_empty() {
        return Err(LoanError::invalid(
            "notice",
            "没有读出任何放假或上班日期：请粘贴通知中“一、元旦：……放假……上班”这样的各行",
        ));
    }
    days.sort_by_key(|d| d.date);
    Ok(days)
}

/// The year the notice is for: the one asked for, else the first `YYYY年` in the text;
/// both must agree.
fn notice_year(text: &str, asked: Option<i16>) -> Result<i16, LoanError> {
    let named = text
        .char_indices()
        .filter(|(_, c)| *c == '年')
        .find_map(|(at, _)| {
            let digits = text[..at].chars().rev().take(4).collect::<String>();
            let year: String = digits.chars().rev().collect();
            (year.len() == 4 && year.chars().all(|c| c.is_ascii_digit()))
                .then(|| year.parse::<i16>().ok())
                .flatten()
        });
    match (asked, named) {
        (Some(asked), Some(named)) if asked != named => Err(LoanError::invalid(
            "notice",
            format!("通知是 {named} 年的，而要设置的是 {asked} 年"),
        )),
        (Some(year), _) | (None, Some(year)) if YEARS.contains(&year) => Ok(year),
        (Some(year), _) | (None, Some(year)) => Err(LoanError::invalid(
            "year",
            format!("年份 {year} 不在 2000–2100 之间"),
        )),
        (None, None) => Err(LoanError::invalid(
            "year",
            "通知中没有写年份（如“2026年”），请选择年份",
        )),
    }
}

/// `一、元旦：…` → (`元旦`, `…`); a line without a colon is named 节假日.
fn holiday_name(line: &str) -> (String, &str) {
    let Some((head, body)) = line.split_once(['：', ':']) else {
        return ("节假日".to_owned(), line);
    };
    let name = head
        .trim_start_matches(|c: char| {
            c.is_ascii_digit()
                || "一二三四五六七八九十（）()、.． ".contains(c)
                || c.is_whitespace()
        })
        .trim();
    let name: String = name.chars().take(50).collect();
    if name.is_empty() {
        ("节假日".to_owned(), body)
    } else {
        (name, body)
    }
}

/// The sentence without its asides in brackets: `（周日）` and `（农历除夕、周二）` hold
/// the character 日 that is not a date.
fn without_asides(sentence: &str) -> String {
    let mut depth = 0usize;
    sentence
        .chars()
        .filter(|c| match c {
            '（' | '(' => {
                depth += 1;
                false
            }
            '）' | ')' => {
                depth = depth.saturating_sub(1);
                false
            }
            _ => depth == 0,
        })
        .collect()
}

/// The dates of one sentence: `M月D日`, where a range's end may leave out the month.
/// A range `A至B` of closed days yields every day from A to B.
fn sentence_dates(sentence: &str, year: i16, kind: DayKind) -> Result<Vec<Date>, String> {
    let mut dates = Vec::new();
    let mut month: Option<i8> = None;
    let mut range_from: Option<Date> = None;
    let mut number = String::new();
    for c in sentence.chars() {
        match c {
            '0'..='9' => number.push(c),
            '月' => {
                month = Some(small_number(&number, "月")?);
                number.clear();
            }
            '日' if !number.is_empty() => {
                let day = small_number(&number, "日")?;
                number.clear();
                let month = month.ok_or_else(|| format!("“{day}日”前没有写月份"))?;
                let date = Date::new(year, month, day)
                    .map_err(|_| format!("{year}年{month}月{day}日不是真实的日期"))?;
                match range_from.take() {
                    Some(from) => dates.extend(days_between(from, date)?),
                    None => dates.push(date),
                }
            }
            '至' | '到' | '—' | '-' | '~' | '～' => {
                number.clear();
                let from = dates
                    .pop()
                    .ok_or_else(|| "“至”前面没有起始日期".to_owned())?;
                range_from = Some(from);
            }
            _ => number.clear(),
        }
    }
    if range_from.is_some() {
        return Err("“至”后面没有结束日期".to_owned());
    }
    if dates.is_empty() {
        let what = match kind {
            DayKind::Holiday => "放假",
            DayKind::Workday => "上班",
        };
        return Err(format!("写了“{what}”但没有读出日期（应写成“1月4日”）"));
    }
    Ok(dates)
}

fn small_number(digits: &str, unit: &str) -> Result<i8, String> {
    digits
        .parse::<i8>()
        .map_err(|_| format!("“{digits}{unit}”不是有效的日期"))
}

fn days_between(from: Date, to: Date) -> Result<Vec<Date>, String> {
    let length = length_days(from, to);
    if !(1..=MAX_DAYS_PER_HOLIDAY).contains(&length) {
        return Err(format!("{from} 至 {to} 不是有效的放假区间"));
    }
    Ok((0..length).map(|offset| add_days(from, offset)).collect())
}

/// `共8天` in a line, if it says so.
fn stated_total(line: &str) -> Option<i64> {
    let (_, after) = line.split_once('共')?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    after[digits.len()..]
        .starts_with('天')
        .then(|| digits.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn kinds(days: &[LibraryDay], kind: DayKind) -> Vec<Date> {
        days.iter()
            .filter(|d| d.kind == kind)
            .map(|d| d.date)
            .collect()
    }

    #[test]
    fn the_shipped_schedules_read_as_the_state_council_set_them() {
        let days = parse_notice(SHIPPED[1].1, Some(2026)).unwrap();
        let closed = kinds(&days, DayKind::Holiday);
        // 3 + 9 + 3 + 5 + 3 + 3 + 7 closed days, 6 make-up working days.
        assert_eq!(closed.len(), 33);
        assert_eq!(
            kinds(&days, DayKind::Workday),
            vec![
                date(2026, 1, 4),
                date(2026, 2, 14),
                date(2026, 2, 28),
                date(2026, 5, 9),
                date(2026, 9, 20),
                date(2026, 10, 10)
            ]
        );
        assert!(closed.contains(&date(2026, 2, 23)));
        let spring = days.iter().find(|d| d.date == date(2026, 2, 15)).unwrap();
        assert_eq!(spring.name, "春节");
        let days = parse_notice(SHIPPED[0].1, None).unwrap();
        assert_eq!(kinds(&days, DayKind::Holiday).len(), 1 + 8 + 3 + 5 + 3 + 8);
        assert_eq!(kinds(&days, DayKind::Workday).len(), 5);
        assert!(kinds(&days, DayKind::Holiday).contains(&date(2025, 1, 28)));
    }

    #[test]
    fn a_pasted_notice_with_title_and_prose_is_read() {
        let text = "国务院办公厅关于2027年部分节假日安排的通知\n\n各省、自治区、直辖市人民政府：\n\
            一、元旦：1月1日（周五）至3日（周日）放假，共3天。\n\
            二、春节：2月6日（农历腊月三十、周六）至12日（周五）放假调休，共7天。2月14日（周日）上班。\n\
            节假日期间，各地区、各部门要妥善安排好值班和安全、保卫等工作。";
        let days = parse_notice(text, None).unwrap();
        assert_eq!(kinds(&days, DayKind::Holiday).len(), 10);
        assert_eq!(kinds(&days, DayKind::Workday), vec![date(2027, 2, 14)]);
        assert_eq!(days[0].name, "元旦");
    }

    #[test]
    fn mistakes_are_named_with_their_line() {
        let wrong_total = "2026年\n一、元旦：1月1日至3日放假，共4天。";
        let err = parse_notice(wrong_total, None).unwrap_err().to_string();
        assert!(err.contains("第 2 行") && err.contains("共4天"), "{err}");
        let no_month = "一、元旦：1日放假。";
        let err = parse_notice(no_month, Some(2026)).unwrap_err().to_string();
        assert!(err.contains("没有写月份"), "{err}");
        let impossible = "一、某节：2月30日放假。";
        assert!(parse_notice(impossible, Some(2026)).is_err());
        let twice = "一、甲：5月1日放假。\n二、乙：5月1日上班。";
        let err = parse_notice(twice, Some(2026)).unwrap_err().to_string();
        assert!(err.contains("两次"), "{err}");
        let other_year = "国务院办公厅关于2025年部分节假日安排的通知\n一、元旦：1月1日放假。";
        assert!(parse_notice(other_year, Some(2026)).is_err());
        assert!(parse_notice("没有日期的文字", Some(2026)).is_err());
        assert!(parse_notice("一、元旦：1月1日放假。", None).is_err());
        let endless = "一、长假：1月1日至12月31日放假。";
        assert!(parse_notice(endless, Some(2026)).is_err());
        let markup = "一、<script>alert(1)</script>：1月1日放假。";
        let days = parse_notice(markup, Some(2026)).unwrap();
        assert_eq!(days[0].name, "<script>alert(1)</script>");
    }
}
