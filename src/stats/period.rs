//! The period statistics cover: two calendar days, both inclusive; by default the
//! current calendar year in the library's time zone.

use jiff::civil::{Date, date};
use serde::Serialize;

use super::StatsError;

/// The longest period one request may cover (the monthly trend stays drawable).
pub const MAX_PERIOD_YEARS: i16 = 10;

/// `from..=to`, checked: `from <= to`, at most [`MAX_PERIOD_YEARS`] years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct StatsPeriod {
    pub from: Date,
    pub to: Date,
}

fn parse_day(param: &'static str, value: &str) -> Result<Date, StatsError> {
    let well_formed = value.len() == 10
        && value.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    well_formed
        .then(|| value.parse::<Date>().ok())
        .flatten()
        .ok_or_else(|| {
            let shown: String = value.chars().take(40).collect();
            StatsError::invalid(
                param,
                format!("日期“{shown}”无效，应为 YYYY-MM-DD 格式的真实日期"),
            )
        })
}

/// A query value, or `None` when absent or blank.
fn given(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

fn year_start(year: i16) -> Date {
    date(year, 1, 1)
}

fn year_end(year: i16) -> Date {
    date(year, 12, 31)
}

impl StatsPeriod {
    /// The calendar year `today` falls in.
    pub fn year_of(today: Date) -> Self {
        StatsPeriod {
            from: year_start(today.year()),
            to: year_end(today.year()),
        }
    }

    /// Reads `from` and `to` as given in a query string. Both missing: this calendar
    /// year. One missing: the calendar year of the other one (from its start, or to
    /// its end).
    pub fn parse(from: Option<&str>, to: Option<&str>, today: Date) -> Result<Self, StatsError> {
        let from = given(from).map(|v| parse_day("from", v)).transpose()?;
        let to = given(to).map(|v| parse_day("to", v)).transpose()?;
        let period = match (from, to) {
            (None, None) => Self::year_of(today),
            (Some(from), None) => StatsPeriod {
                from,
                to: year_end(from.year()),
            },
            (None, Some(to)) => StatsPeriod {
                from: year_start(to.year()),
                to,
            },
            (Some(from), Some(to)) => StatsPeriod { from, to },
        };
        if period.from > period.to {
            return Err(StatsError::invalid(
                "from",
                format!(
                    "开始日期 {} 不能晚于结束日期 {}，请调换两个日期",
                    period.from, period.to
                ),
            ));
        }
        let longest = period
            .from
            .checked_add(jiff::Span::new().years(MAX_PERIOD_YEARS))
            .unwrap_or(Date::MAX);
        if period.to >= longest {
            return Err(StatsError::invalid(
                "to",
                format!("统计期间最长 {MAX_PERIOD_YEARS} 年"),
            ));
        }
        Ok(period)
    }

    /// The months the period touches, as `YYYY-MM`, in order.
    pub fn months(&self) -> Vec<String> {
        let mut months = Vec::new();
        let (mut year, mut month) = (self.from.year(), self.from.month());
        let (last_year, last_month) = (self.to.year(), self.to.month());
        while (year, month) <= (last_year, last_month) {
            months.push(format!("{year:04}-{month:02}"));
            if month == 12 {
                (year, month) = (year + 1, 1);
            } else {
                month += 1;
            }
        }
        months
    }

    /// Whether the period is exactly one calendar year.
    pub fn is_calendar_year(&self) -> bool {
        self.from == year_start(self.from.year()) && self.to == year_end(self.from.year())
    }

    /// `2026-01-01 至 2026-12-31`, or `2026 年` for a calendar year.
    pub fn label(&self) -> String {
        if self.is_calendar_year() {
            format!("{} 年", self.from.year())
        } else {
            format!("{} 至 {}", self.from, self.to)
        }
    }

    pub(crate) fn bounds(&self) -> (String, String) {
        (self.from.to_string(), self.to.to_string())
    }

    /// The period as stored moments: from the first day's midnight to the midnight
    /// after the last day, Beijing time, in UTC without the zone letter. A stored
    /// stamp (`2026-03-01T16:00:00.5Z`) sorts after its own second, so
    /// `stamp >= from AND stamp < to` is exactly "made during the period".
    pub(crate) fn moment_bounds(&self) -> (String, String) {
        let midnight = |day: Date| {
            crate::clock::time_zone()
                .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
                .map(|t| t.strftime("%Y-%m-%dT%H:%M:%S").to_string())
                .unwrap_or_else(|_| format!("{day}T00:00:00"))
        };
        let after = self.to.tomorrow().unwrap_or(Date::MAX);
        (midnight(self.from), midnight(after))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: Date = date(2026, 5, 20);

    #[test]
    fn moment_bounds_are_beijing_midnights_in_utc() {
        let p = StatsPeriod::parse(Some("2026-03-01"), Some("2026-03-31"), TODAY).unwrap();
        let (from, before) = p.moment_bounds();
        assert_eq!(from, "2026-02-28T16:00:00");
        assert_eq!(before, "2026-03-31T16:00:00");
        // A stamp in the last second before the end, with a fraction, is inside.
        assert!("2026-03-31T15:59:59.9Z" < before.as_str());
        assert!("2026-02-28T16:00:00.1Z" >= from.as_str());
    }

    #[test]
    fn defaults_to_this_calendar_year() {
        let p = StatsPeriod::parse(None, Some(" "), TODAY).unwrap();
        assert_eq!((p.from, p.to), (date(2026, 1, 1), date(2026, 12, 31)));
        assert_eq!(p.label(), "2026 年");
        let p = StatsPeriod::parse(Some("2025-03-01"), None, TODAY).unwrap();
        assert_eq!((p.from, p.to), (date(2025, 3, 1), date(2025, 12, 31)));
        let p = StatsPeriod::parse(None, Some("2024-02-29"), TODAY).unwrap();
        assert_eq!((p.from, p.to), (date(2024, 1, 1), date(2024, 2, 29)));
    }

    #[test]
    fn bad_dates_name_the_parameter() {
        for (from, to, param) in [
            (Some("2026-13-01"), None, "from"),
            (Some("2026-1-1"), None, "from"),
            (None, Some("2025-02-29"), "to"),
            (None, Some("tomorrow"), "to"),
            (Some("2026-06-01"), Some("2026-05-31"), "from"),
            (Some("2000-01-01"), Some("2026-01-01"), "to"),
        ] {
            match StatsPeriod::parse(from, to, TODAY) {
                Err(StatsError::InvalidParameter { param: p, .. }) => assert_eq!(p, param),
                other => panic!("{from:?} {to:?}: {other:?}"),
            }
        }
    }

    #[test]
    fn months_cover_the_period() {
        let p = StatsPeriod::parse(Some("2025-11-15"), Some("2026-02-01"), TODAY).unwrap();
        assert_eq!(p.months(), ["2025-11", "2025-12", "2026-01", "2026-02"]);
        assert_eq!(p.label(), "2025-11-15 至 2026-02-01");
        assert_eq!(StatsPeriod::year_of(TODAY).months().len(), 12);
    }
}
