//! The home page's collections: those of the coming holiday period first (节点就是考点:
//! units prepare before each), then those meant for the viewer's sector, then the
//! rest, newest first within each.

use jiff::civil::Date;
use rusqlite::Connection;

use super::CollectionError;
use super::model::{Collection, CollectionStatus, CollectionSummary};
use super::read::{ListFilter, Viewer, visible};
use crate::actor::Actor;
use crate::seasons::{self, Season};

/// The usual first day of a season when the committee has not kept its dates for the
/// year: the fixed holidays on their day, the lunar ones at their usual month.
pub fn usual_start(season: Season, year: i16) -> Date {
    let (month, day) = match season {
        Season::Yuandan => (1, 1),
        // 春节 falls between late January and mid-February.
        Season::Chunjie => (2, 1),
        Season::Qingming => (4, 5),
        Season::Wuyi => (5, 1),
        Season::Duanwu => (6, 10),
        Season::Zhongqiu => (9, 15),
        Season::Guoqing => (10, 1),
    };
    Date::new(year, month, day).unwrap_or(Date::MAX)
}

/// The season whose period starts next, on or after `today`: by the dates the
/// committee kept (`kept`: year, season, first day), and for a season of this or
/// next year with no kept dates, by [`usual_start`].
pub fn coming_season(today: Date, kept: &[(i16, Season, Date)]) -> Season {
    let mut starts = Vec::new();
    for year in [today.year(), today.year().saturating_add(1)] {
        for season in Season::ALL {
            let start = kept
                .iter()
                .find(|(y, s, _)| *y == year && *s == season)
                .map(|(_, _, start)| *start)
                .unwrap_or_else(|| usual_start(season, year));
            starts.push((start, season));
        }
    }
    starts
        .into_iter()
        .filter(|(start, _)| *start >= today)
        .min()
        .map(|(_, season)| season)
        .unwrap_or(Season::Yuandan)
}

/// The periods the committee kept for `year` and the next (the seasons module's).
fn kept_periods(conn: &Connection, year: i16) -> Result<Vec<(i16, Season, Date)>, CollectionError> {
    let mut kept = Vec::new();
    for year in [year, year.saturating_add(1)] {
        kept.extend(
            seasons::confirmed(conn, year)?
                .into_iter()
                .map(|(season, (start, _))| (year, season, start)),
        );
    }
    Ok(kept)
}

/// What the home page shows.
#[derive(Debug, Clone)]
pub struct Featured {
    /// The coming season, whose collections lead.
    pub season: Season,
    pub collections: Vec<CollectionSummary>,
}

/// At most `limit` published collections for `actor`'s home page, in the order above.
pub fn featured(
    conn: &Connection,
    actor: &Actor,
    today: Date,
    limit: usize,
) -> Result<Featured, CollectionError> {
    let season = coming_season(today, &kept_periods(conn, today.year())?);
    let viewer = Viewer::of(conn, actor)?;
    let filter = ListFilter {
        status: Some(CollectionStatus::Published),
        ..ListFilter::default()
    };
    let mut collections: Vec<CollectionSummary> = visible(conn, &viewer, &filter)?
        .iter()
        .filter(|c| !c.items.is_empty())
        .map(Collection::summary)
        .collect();
    // A stable sort keeps newest first within each group.
    collections.sort_by_key(|c| {
        if c.season.as_deref() == Some(season.code()) {
            0
        } else if viewer
            .sector
            .as_ref()
            .is_some_and(|sector| c.sectors.contains(sector))
        {
            1
        } else {
            2
        }
    });
    collections.truncate(limit);
    Ok(Featured {
        season,
        collections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn the_coming_season_follows_the_usual_calendar_without_kept_dates() {
        let at = |y, m, d| coming_season(date(y, m, d), &[]);
        assert_eq!(at(2026, 1, 1), Season::Yuandan);
        assert_eq!(at(2026, 1, 2), Season::Chunjie);
        assert_eq!(at(2026, 3, 1), Season::Qingming);
        assert_eq!(at(2026, 4, 20), Season::Wuyi);
        assert_eq!(at(2026, 5, 2), Season::Duanwu);
        assert_eq!(at(2026, 8, 1), Season::Zhongqiu);
        assert_eq!(at(2026, 9, 20), Season::Guoqing);
        // After 国庆 comes next year's 元旦.
        assert_eq!(at(2026, 10, 2), Season::Yuandan);
        assert_eq!(at(2026, 12, 31), Season::Yuandan);
    }

    #[test]
    fn kept_dates_win_over_the_usual_ones() {
        // 2026: 春节 on 17 February, 中秋 on 25 September (before 国庆).
        let kept = [
            (2026, Season::Chunjie, date(2026, 2, 15)),
            (2026, Season::Zhongqiu, date(2026, 9, 25)),
            // 2027's 元旦 holiday starts on the last day of 2026.
            (2027, Season::Yuandan, date(2026, 12, 31)),
        ];
        assert_eq!(coming_season(date(2026, 2, 3), &kept), Season::Chunjie);
        assert_eq!(coming_season(date(2026, 9, 16), &kept), Season::Zhongqiu);
        assert_eq!(coming_season(date(2026, 9, 26), &kept), Season::Guoqing);
        assert_eq!(coming_season(date(2026, 12, 30), &kept), Season::Yuandan);
        // Without the kept 春节, early February is before its usual day.
        assert_eq!(coming_season(date(2026, 2, 3), &[]), Season::Qingming);
    }
}
