//! Holiday periods proposed from the closed-days calendar: the State Council's notice
//! (or a librarian) names each closed day after its holiday, so a run of consecutive
//! closed days named after a season is that season's period. A proposal is only
//! shown: reminders wait until the committee confirms the dates.

use std::collections::HashMap;

use jiff::civil::Date;

use super::Season;
use crate::loans::days::{DayKind, LibraryDay, add_days, length_days};

/// The words a closed day's name holds for each season. The notice calls 五一
/// 劳动节, and in years where they meet names one line 国庆节、中秋节 (both seasons
/// then get that run).
fn words(season: Season) -> &'static [&'static str] {
    match season {
        Season::Yuandan => &["元旦"],
        Season::Chunjie => &["春节"],
        Season::Qingming => &["清明"],
        Season::Wuyi => &["劳动节", "五一"],
        Season::Duanwu => &["端午"],
        Season::Zhongqiu => &["中秋"],
        Season::Guoqing => &["国庆"],
    }
}

/// The period each season of `year` has in `days` (the closed days from December of
/// the year before to the end of the year). A run belongs to the year its last day
/// falls in, so 元旦 off from 30 December belongs to the new year. When a season has
/// several runs in a year, the longest (then the earliest) is taken.
pub fn propose(days: &[LibraryDay], year: i16) -> HashMap<Season, (Date, Date)> {
    let mut found = HashMap::new();
    for season in Season::ALL {
        let mut dates: Vec<Date> = days
            .iter()
            .filter(|d| d.kind == DayKind::Holiday)
            .filter(|d| words(season).iter().any(|word| d.name.contains(word)))
            .map(|d| d.date)
            .collect();
        dates.sort();
        dates.dedup();
        let mut best: Option<(Date, Date)> = None;
        for (start, end) in runs(&dates) {
            if end.year() != year {
                continue;
            }
            let longer = best.is_none_or(|(s, e)| length_days(start, end) > length_days(s, e));
            if longer {
                best = Some((start, end));
            }
        }
        if let Some(period) = best {
            found.insert(season, period);
        }
    }
    found
}

/// Sorted dates as runs of consecutive days, each `(first, last)`.
fn runs(dates: &[Date]) -> Vec<(Date, Date)> {
    let mut runs: Vec<(Date, Date)> = Vec::new();
    for &date in dates {
        match runs.last_mut() {
            Some((_, last)) if add_days(*last, 1) == date => *last = date,
            _ => runs.push((date, date)),
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::notice::{SHIPPED, parse_notice};
    use jiff::civil::date;

    fn closed(from: Date, to: Date, name: &str) -> Vec<LibraryDay> {
        let mut days = Vec::new();
        let mut day = from;
        while day <= to {
            days.push(LibraryDay {
                date: day,
                kind: DayKind::Holiday,
                name: name.to_owned(),
            });
            day = add_days(day, 1);
        }
        days
    }

    #[test]
    fn the_shipped_2026_schedule_proposes_every_season() {
        let days = parse_notice(SHIPPED[1].1, Some(2026)).unwrap();
        let found = propose(&days, 2026);
        assert_eq!(
            found[&Season::Chunjie],
            (date(2026, 2, 15), date(2026, 2, 23))
        );
        assert_eq!(found[&Season::Wuyi], (date(2026, 5, 1), date(2026, 5, 5)));
        assert_eq!(
            found[&Season::Zhongqiu],
            (date(2026, 9, 25), date(2026, 9, 27))
        );
        assert_eq!(found.len(), 7, "{found:?}");
    }

    #[test]
    fn a_shared_line_gives_both_seasons_and_make_up_days_give_none() {
        // 2025: one line for 国庆节、中秋节; its make-up working days are open days.
        let days = parse_notice(SHIPPED[0].1, Some(2025)).unwrap();
        let found = propose(&days, 2025);
        let autumn = (date(2025, 10, 1), date(2025, 10, 8));
        assert_eq!(found[&Season::Guoqing], autumn);
        assert_eq!(found[&Season::Zhongqiu], autumn);
        assert_eq!(
            found[&Season::Chunjie],
            (date(2025, 1, 28), date(2025, 2, 4))
        );
        assert_eq!(
            found[&Season::Yuandan],
            (date(2025, 1, 1), date(2025, 1, 1))
        );
    }

    #[test]
    fn new_year_straddles_and_belongs_to_the_year_it_ends_in() {
        let mut days = closed(date(2023, 12, 30), date(2024, 1, 1), "元旦");
        days.extend(closed(date(2024, 12, 31), date(2025, 1, 1), "元旦"));
        assert_eq!(
            propose(&days, 2024)[&Season::Yuandan],
            (date(2023, 12, 30), date(2024, 1, 1))
        );
        assert_eq!(
            propose(&days, 2025)[&Season::Yuandan],
            (date(2024, 12, 31), date(2025, 1, 1))
        );
        assert!(!propose(&days, 2023).contains_key(&Season::Yuandan));
    }

    #[test]
    fn the_longest_run_wins_and_unnamed_days_are_ignored() {
        let mut days = closed(date(2027, 2, 1), date(2027, 2, 1), "春节前闭馆");
        days.extend(closed(date(2027, 2, 6), date(2027, 2, 12), "春节"));
        days.extend(closed(date(2027, 3, 8), date(2027, 3, 8), "内部盘点"));
        let found = propose(&days, 2027);
        assert_eq!(
            found[&Season::Chunjie],
            (date(2027, 2, 6), date(2027, 2, 12))
        );
        assert_eq!(found.len(), 1);
    }
}
