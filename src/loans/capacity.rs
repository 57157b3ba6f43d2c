//! Capacity over date ranges: for a resource and format, the loans that hold a copy
//! or licence on a day never outnumber its licences (digital) or copies in
//! circulation (physical). The arithmetic is pure; the loaders read what it needs.
//!
//! Over 400 lines only with its tests; the code is under 200.

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};

use super::LoanError;
use super::days::{add_days, day_number, length_days};
use super::model::{Format, HELD_FROM_SQL, HOLDING_SQL, LoanId, Period};
use crate::catalog::holdings;

/// How many loans a resource and format can carry on one day; `None` is unlimited.
pub type Capacity = Option<u32>;

/// How many of `bookings` cover each day of `from..=to`.
pub fn usage(bookings: &[Period], from: Date, to: Date) -> Vec<u32> {
    let (first, last) = (day_number(from), day_number(to));
    if last < first {
        return Vec::new();
    }
    let len = (last - first + 1) as usize;
    // Difference array: +1 where a booking starts, -1 after it ends.
    let mut delta = vec![0i64; len + 1];
    for booking in bookings {
        let (s, e) = (
            day_number(booking.start).max(first),
            day_number(booking.end).min(last),
        );
        if s > e {
            continue;
        }
        delta[(s - first) as usize] += 1;
        delta[(e - first + 1) as usize] -= 1;
    }
    let mut running = 0i64;
    delta[..len]
        .iter()
        .map(|d| {
            running += d;
            running.max(0) as u32
        })
        .collect()
}

/// Loans per day over a window, kept as loans are added: checking one more loan
/// reads only its own days, not every booking again.
pub struct DayTally {
    first: i64,
    used: Vec<u32>,
}

impl DayTally {
    /// The tally of `bookings` over `from..=to`.
    #[cfg(test)]
    pub fn of(bookings: &[Period], from: Date, to: Date) -> Self {
        Self {
            first: day_number(from),
            used: usage(bookings, from, to),
        }
    }

    /// The tally of loans per day from `from` on (as [`day_use`] reads them).
    pub fn counted(from: Date, per_day: Vec<u32>) -> Self {
        Self {
            first: day_number(from),
            used: per_day,
        }
    }

    /// The most loans on any day of `period` inside the window.
    pub fn peak(&self, period: Period) -> u32 {
        self.used[self.days(period)]
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
    }

    /// The days of `period` inside the window, as indexes.
    fn days(&self, period: Period) -> std::ops::Range<usize> {
        let clamp = |day: i64| (day - self.first).clamp(0, self.used.len() as i64) as usize;
        let start = clamp(day_number(period.start));
        start..clamp(day_number(period.end) + 1).max(start)
    }

    /// Whether one more loan over `period` keeps every day within `capacity`.
    pub fn fits(&self, capacity: Capacity, period: Period) -> bool {
        let Some(cap) = capacity else { return true };
        self.used[self.days(period)].iter().all(|used| *used < cap)
    }

    /// Counts one more loan over `period`.
    pub fn add(&mut self, period: Period) {
        let days = self.days(period);
        for used in &mut self.used[days] {
            *used += 1;
        }
    }
}

/// The most loans on any one day of `period`.
pub fn peak(bookings: &[Period], period: Period) -> u32 {
    usage(bookings, period.start, period.end)
        .into_iter()
        .max()
        .unwrap_or(0)
}

/// Whether one more loan over `period` keeps every day within `capacity`.
pub fn fits(capacity: Capacity, bookings: &[Period], period: Period) -> bool {
    match capacity {
        None => true,
        Some(cap) => peak(bookings, period) < cap,
    }
}

/// The earliest period starting on or after `from`, `len` days long (its end moved
/// by `shift_end`, e.g. to the next open day), that fits; searched for `horizon` days.
pub fn earliest_fit(
    capacity: Capacity,
    bookings: &[Period],
    from: Date,
    len: i64,
    horizon: i64,
    shift_end: impl Fn(Date) -> Date,
) -> Option<Period> {
    let window_end = shift_end(add_days(from, horizon + len));
    let per_day = usage(bookings, from, window_end);
    earliest_fit_in(capacity, &per_day, from, len, horizon, shift_end)
}

/// [`earliest_fit`] over the loans per day from `from` on (`per_day[0]` is `from`);
/// a period reaching past the tally does not fit.
pub fn earliest_fit_in(
    capacity: Capacity,
    per_day: &[u32],
    from: Date,
    len: i64,
    horizon: i64,
    shift_end: impl Fn(Date) -> Date,
) -> Option<Period> {
    if capacity == Some(0) || len < 1 {
        return None;
    }
    let cap = capacity.unwrap_or(u32::MAX);
    (0..horizon).find_map(|offset| {
        let start = add_days(from, offset);
        let end = shift_end(add_days(start, len - 1));
        let (s, e) = (
            offset as usize,
            (day_number(end) - day_number(from)) as usize,
        );
        let window = per_day.get(s..=e)?;
        window
            .iter()
            .all(|used| *used < cap)
            .then_some(Period { start, end })
    })
}

/// The fitting period of `len` days whose start is nearest to `asked`, looking both
/// earlier (not before `earliest`) and later (up to `horizon` days on); of two as
/// near, the earlier. Only days `can_start` allows may start one (a physical copy is
/// not handed out on a closed day); ends are moved by `shift_end`.
#[cfg(test)]
#[allow(clippy::too_many_arguments)]
pub fn nearest_fit(
    capacity: Capacity,
    bookings: &[Period],
    asked: Date,
    earliest: Date,
    len: i64,
    horizon: i64,
    shift_end: impl Fn(Date) -> Date,
    can_start: impl Fn(Date) -> bool,
) -> Option<Period> {
    let from = earliest.min(asked);
    let window_end = shift_end(add_days(add_days(asked, horizon), len));
    let per_day = usage(bookings, from, window_end);
    let window = Window {
        asked,
        earliest,
        len,
        horizon,
    };
    nearest_fit_in(capacity, &per_day, window, shift_end, can_start)
}

/// Where [`nearest_fit_in`] looks: `len` days, nearest to `asked`, not before
/// `earliest`, up to `horizon` days after `asked`.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub asked: Date,
    pub earliest: Date,
    pub len: i64,
    pub horizon: i64,
}

impl Window {
    /// The first day looked at (`per_day[0]` of [`nearest_fit_in`]).
    pub fn from(&self) -> Date {
        self.earliest.min(self.asked)
    }
}

/// [`nearest_fit`] over the loans per day from `window.from()` on; a period reaching
/// past the tally does not fit.
pub fn nearest_fit_in(
    capacity: Capacity,
    per_day: &[u32],
    window: Window,
    shift_end: impl Fn(Date) -> Date,
    can_start: impl Fn(Date) -> bool,
) -> Option<Period> {
    let Window {
        asked,
        len,
        horizon,
        ..
    } = window;
    if capacity == Some(0) || len < 1 {
        return None;
    }
    let from = window.from();
    let last_start = add_days(asked, horizon);
    let cap = capacity.unwrap_or(u32::MAX);
    let fits_from = |start: Date| -> Option<Period> {
        if start < from || start > last_start || !can_start(start) {
            return None;
        }
        let end = shift_end(add_days(start, len - 1));
        let s = (day_number(start) - day_number(from)) as usize;
        let e = (day_number(end) - day_number(from)) as usize;
        let window = per_day.get(s..=e)?;
        window
            .iter()
            .all(|used| *used < cap)
            .then_some(Period { start, end })
    };
    let reach = day_number(last_start) - day_number(from);
    (0..=reach).find_map(|distance| {
        fits_from(add_days(asked, -distance)).or_else(|| fits_from(add_days(asked, distance)))
    })
}

/// The capacity of a resource in a format: its licences (NULL is unlimited) or its
/// copies in circulation.
pub fn capacity_of(
    conn: &Connection,
    resource_id: &str,
    format: Format,
) -> Result<Capacity, LoanError> {
    let capacity = match format {
        Format::Digital => holdings::licences(conn, resource_id)?
            .ok_or_else(|| LoanError::ResourceNotFound(resource_id.to_owned()))?,
        Format::Physical => Some(holdings::copies_in_circulation(conn, resource_id)?),
    };
    Ok(capacity)
}

/// The periods of the loans holding capacity that overlap `from..=to`, leaving out
/// `except` (the loan being moved or renewed). A copy handed out before its loan's
/// start holds its place from that day. The definition [`day_use`]'s tally is
/// checked against; the program reads the tally.
#[cfg(test)]
pub fn holders(
    conn: &Connection,
    resource_id: &str,
    format: Format,
    from: Date,
    to: Date,
    except: Option<LoanId>,
) -> Result<Vec<Period>, LoanError> {
    let sql = format!(
        "SELECT {HELD_FROM_SQL}, end_date FROM loans
         WHERE resource_id = ?1 AND format = ?2 AND status IN {HOLDING_SQL}
           AND {HELD_FROM_SQL} <= ?4 AND end_date >= ?3 AND id IS NOT ?5"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt
        .query_map(
            params![
                resource_id,
                format.as_str(),
                from.to_string(),
                to.to_string(),
                except.map(|id| id.0)
            ],
            |row| Ok((row.get::<_, String>(0)?, row.get::<_, String>(1)?)),
        )?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(start, end)| {
            Ok(Period {
                start: super::days::parse_date("start", &start)?,
                end: super::days::parse_date("end", &end)?,
            })
        })
        .collect()
}

/// How many loans hold `resource_id` in `format` on each day of `from..=to`,
/// leaving out `except` (the loan being moved or renewed): the days [`holders`]
/// would count, read from the per-day tally the loans' triggers keep (migration
/// 024), so the cost is the window's length, not the number of bookings.
pub fn day_use(
    conn: &Connection,
    resource_id: &str,
    format: Format,
    from: Date,
    to: Date,
    except: Option<LoanId>,
) -> Result<Vec<u32>, LoanError> {
    let (first, last) = (day_number(from), day_number(to));
    if last < first {
        return Ok(Vec::new());
    }
    let mut per_day = vec![0u32; (last - first + 1) as usize];
    let mut stmt = conn.prepare_cached(
        "SELECT day, held FROM loan_days
         WHERE resource_id = ?1 AND format = ?2 AND day BETWEEN ?3 AND ?4",
    )?;
    let mut rows = stmt.query(params![
        resource_id,
        format.as_str(),
        from.to_string(),
        to.to_string()
    ])?;
    while let Some(row) = rows.next()? {
        let day = super::days::parse_date("day", &row.get::<_, String>(0)?)?;
        per_day[(day_number(day) - first) as usize] = row.get(1)?;
    }
    if let Some(id) = except {
        let sql = format!(
            "SELECT {HELD_FROM_SQL}, end_date FROM loans
             WHERE id = ?1 AND resource_id = ?2 AND format = ?3 AND status IN {HOLDING_SQL}"
        );
        let held: Option<(String, String)> = conn
            .prepare_cached(&sql)?
            .query_row(params![id.0, resource_id, format.as_str()], |row| {
                Ok((row.get(0)?, row.get(1)?))
            })
            .optional()?;
        if let Some((start, end)) = held {
            let (start, end) = (
                super::days::parse_date("start", &start)?,
                super::days::parse_date("end", &end)?,
            );
            let (s, e) = (day_number(start).max(first), day_number(end).min(last));
            for used in per_day
                .iter_mut()
                .take((e - first + 1).max(0) as usize)
                .skip((s - first).max(0) as usize)
            {
                *used = used.saturating_sub(1);
            }
        }
    }
    Ok(per_day)
}

/// Whether `period` fits `resource_id` in `format`, `except` one loan.
pub fn period_fits(
    conn: &Connection,
    resource_id: &str,
    format: Format,
    period: Period,
    except: Option<LoanId>,
) -> Result<bool, LoanError> {
    let capacity = capacity_of(conn, resource_id, format)?;
    if capacity.is_none() {
        return Ok(true);
    }
    let per_day = day_use(conn, resource_id, format, period.start, period.end, except)?;
    Ok(DayTally::counted(period.start, per_day).fits(capacity, period))
}

/// How far ahead a free period is looked for.
pub const SEARCH_HORIZON_DAYS: i64 = 366;

/// The earliest free period of the same length as `period`, from `from` on.
pub fn suggest(
    conn: &Connection,
    resource_id: &str,
    format: Format,
    period: Period,
    from: Date,
    except: Option<LoanId>,
    shift_end: impl Fn(Date) -> Date,
) -> Result<Option<Period>, LoanError> {
    let capacity = capacity_of(conn, resource_id, format)?;
    let len = length_days(period.start, period.end);
    let to = add_days(from, SEARCH_HORIZON_DAYS + len + 14);
    let per_day = day_use(conn, resource_id, format, from, to, except)?;
    Ok(earliest_fit_in(
        capacity,
        &per_day,
        from,
        len,
        SEARCH_HORIZON_DAYS,
        shift_end,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn p(start: (i16, i8, i8), end: (i16, i8, i8)) -> Period {
        Period {
            start: date(start.0, start.1, start.2),
            end: date(end.0, end.1, end.2),
        }
    }

    #[test]
    fn usage_counts_each_day() {
        let bookings = [p((2026, 5, 1), (2026, 5, 3)), p((2026, 5, 3), (2026, 5, 5))];
        assert_eq!(
            usage(&bookings, date(2026, 4, 30), date(2026, 5, 6)),
            vec![0, 1, 1, 2, 1, 1, 0]
        );
        // A booking sticking out of the window on both sides.
        assert_eq!(
            usage(
                &[p((2026, 4, 1), (2026, 6, 1))],
                date(2026, 5, 1),
                date(2026, 5, 2)
            ),
            vec![1, 1]
        );
        assert!(usage(&bookings, date(2026, 5, 2), date(2026, 5, 1)).is_empty());
    }

    #[test]
    fn the_nearest_fit_looks_earlier_and_later_and_skips_closed_starts() {
        // One copy, booked 5–12 May; three days asked from 10 May.
        let bookings = [p((2026, 5, 5), (2026, 5, 12))];
        let asked = date(2026, 5, 10);
        let same = |d: Date| d;
        let any = |_: Date| true;
        let today = date(2026, 4, 20);
        // Earlier: 2–4 May is 6 days away, later: 13–15 May only 3.
        let found = nearest_fit(Some(1), &bookings, asked, today, 3, 60, same, any);
        assert_eq!(found, Some(p((2026, 5, 13), (2026, 5, 15))));
        // With 13 and 14 May closed for pick-up, 15 May (5 away) still beats 2 May (8 away).
        let closed = |d: Date| d != date(2026, 5, 13) && d != date(2026, 5, 14);
        let found = nearest_fit(Some(1), &bookings, asked, today, 3, 60, same, closed);
        assert_eq!(found, Some(p((2026, 5, 15), (2026, 5, 17))));
        // Asked for 9 May, a long booking after: the earlier period is the answer.
        let later = [p((2026, 5, 5), (2026, 8, 1))];
        let found = nearest_fit(Some(1), &later, date(2026, 5, 9), today, 3, 30, same, any);
        assert_eq!(found, Some(p((2026, 5, 2), (2026, 5, 4))));
        // Never before `earliest` (today).
        let found = nearest_fit(
            Some(1),
            &later,
            date(2026, 5, 9),
            date(2026, 5, 3),
            3,
            30,
            same,
            any,
        );
        assert_eq!(found, None);
        assert_eq!(
            nearest_fit(Some(0), &[], asked, today, 3, 30, same, any),
            None
        );
    }

    #[test]
    fn a_tally_checks_and_counts_only_the_days_of_each_loan() {
        let bookings = [p((2026, 5, 1), (2026, 5, 3)), p((2026, 5, 3), (2026, 5, 5))];
        let mut tally = DayTally::of(&bookings, date(2026, 5, 1), date(2026, 5, 10));
        assert!(!tally.fits(Some(2), p((2026, 5, 3), (2026, 5, 3))));
        assert!(tally.fits(Some(2), p((2026, 5, 4), (2026, 5, 6))));
        tally.add(p((2026, 5, 4), (2026, 5, 6)));
        assert!(!tally.fits(Some(2), p((2026, 5, 5), (2026, 5, 5))));
        assert!(tally.fits(Some(2), p((2026, 5, 6), (2026, 5, 9))));
        assert!(tally.fits(None, p((2026, 5, 3), (2026, 5, 3))));
        // The same answers as counting every booking again.
        let all = [bookings.as_slice(), &[p((2026, 5, 4), (2026, 5, 6))]].concat();
        for day in 1..=10 {
            let one = p((2026, 5, day), (2026, 5, day));
            assert_eq!(
                tally.fits(Some(2), one),
                fits(Some(2), &all, one),
                "May {day}"
            );
        }
    }

    #[test]
    fn a_loan_fits_when_every_day_has_room() {
        let bookings = [p((2026, 5, 1), (2026, 5, 3)), p((2026, 5, 3), (2026, 5, 5))];
        assert!(fits(Some(2), &bookings, p((2026, 5, 4), (2026, 5, 10))));
        assert!(!fits(Some(2), &bookings, p((2026, 5, 2), (2026, 5, 3))));
        assert!(fits(Some(3), &bookings, p((2026, 5, 2), (2026, 5, 3))));
        assert!(fits(None, &bookings, p((2026, 5, 2), (2026, 5, 3))));
        assert!(!fits(Some(0), &[], p((2026, 5, 2), (2026, 5, 3))));
        // Touching periods do not overlap: 1–3 and 4–6 share no day.
        assert!(fits(
            Some(1),
            &[p((2026, 5, 1), (2026, 5, 3))],
            p((2026, 5, 4), (2026, 5, 6))
        ));
        assert!(!fits(
            Some(1),
            &[p((2026, 5, 1), (2026, 5, 3))],
            p((2026, 5, 3), (2026, 5, 6))
        ));
    }

    #[test]
    fn earliest_fit_finds_the_first_free_run_of_the_same_length() {
        let bookings = [
            p((2026, 5, 1), (2026, 5, 10)),
            p((2026, 5, 12), (2026, 5, 14)),
        ];
        let same = |d: Date| d;
        // Three days from 1 May: the gap on 11 May is too short, the 15th fits.
        assert_eq!(
            earliest_fit(Some(1), &bookings, date(2026, 5, 1), 3, 60, same),
            Some(p((2026, 5, 15), (2026, 5, 17)))
        );
        assert_eq!(
            earliest_fit(Some(1), &bookings, date(2026, 5, 1), 1, 60, same),
            Some(p((2026, 5, 11), (2026, 5, 11)))
        );
        assert_eq!(
            earliest_fit(Some(2), &bookings, date(2026, 5, 1), 5, 60, same),
            Some(p((2026, 5, 1), (2026, 5, 5)))
        );
        assert_eq!(
            earliest_fit(Some(0), &[], date(2026, 5, 1), 1, 60, same),
            None
        );
        // Nothing within the horizon.
        assert_eq!(
            earliest_fit(
                Some(1),
                &[p((2026, 1, 1), (2027, 1, 1))],
                date(2026, 5, 1),
                2,
                30,
                same
            ),
            None
        );
    }

    #[test]
    fn earliest_fit_needs_a_length_and_looks_to_the_end_of_the_horizon() {
        let same = |d: Date| d;
        // No length, no period (not an inverted one), whatever the capacity.
        assert_eq!(earliest_fit(None, &[], date(2026, 5, 1), 0, 60, same), None);
        assert_eq!(
            earliest_fit(Some(1), &[], date(2026, 5, 1), 0, 60, same),
            None
        );
        // The only fit starts on the horizon's last day and runs past it.
        let bookings = [p((2026, 5, 1), (2026, 5, 9))];
        assert_eq!(
            earliest_fit(Some(1), &bookings, date(2026, 5, 1), 3, 10, same),
            Some(p((2026, 5, 10), (2026, 5, 12)))
        );
        assert_eq!(
            earliest_fit(Some(1), &bookings, date(2026, 5, 1), 3, 9, same),
            None
        );
        // A one-day window is one day, not none.
        assert_eq!(
            usage(&bookings, date(2026, 5, 9), date(2026, 5, 9)),
            vec![1]
        );
    }

    #[test]
    fn earliest_fit_checks_the_shifted_end() {
        // The end moves from Saturday 16 May to Monday 18 May, which is booked.
        let bookings = [p((2026, 5, 18), (2026, 5, 18))];
        let to_monday = |d: Date| match d.weekday() {
            jiff::civil::Weekday::Saturday => add_days(d, 2),
            jiff::civil::Weekday::Sunday => add_days(d, 1),
            _ => d,
        };
        let found = earliest_fit(Some(1), &bookings, date(2026, 5, 14), 3, 30, to_monday);
        assert_eq!(found, Some(p((2026, 5, 19), (2026, 5, 21))));
    }

    /// A catalogue with one unit and `film` (two licences, three copies, one of them
    /// withdrawn from circulation) and `open` (unlimited licences, no copies).
    fn catalogue() -> (tempfile::TempDir, crate::db::Database) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
        let mut conn = db.get().expect("connection");
        let (operator, at) = (
            crate::actor::Actor::operator("test"),
            crate::clock::Moment::noon_of(jiff::civil::date(2026, 5, 1)),
        );
        crate::accounts::create_unit(&mut conn, &operator, "yn-tax", "税务局", "税务", at)
            .expect("unit");
        for input in [
            serde_json::json!({"id": "film", "kind": "video", "title": "片", "licences": 2, "copies": 3}),
            serde_json::json!({"id": "open", "kind": "video", "title": "公开片"}),
        ] {
            let input = serde_json::from_value(input).expect("input");
            let create = crate::catalog::curation::CurationCommand::Create(input);
            crate::catalog::curation::curate(&mut conn, &operator, create, at).expect("resource");
        }
        // Listing two of the three copies takes the third out of circulation.
        let patch =
            serde_json::json!({"copies": [{"barcode": "FILM-001"}, {"barcode": "FILM-002"}]});
        let film = crate::catalog::ResourceId::parse("film").expect("id");
        let patch = serde_json::from_value(patch).expect("patch");
        let update = crate::catalog::curation::CurationCommand::Update(film, patch);
        crate::catalog::curation::curate(&mut conn, &operator, update, at)
            .expect("withdraw a copy");
        drop(conn);
        (dir, db)
    }

    fn book(conn: &Connection, format: &str, status: &str, period: Period) -> LoanId {
        conn.execute(
            "INSERT INTO loans (resource_id, unit_code, format, start_date, end_date,
                requested_end, status, purpose, audience, created_at, updated_at)
             VALUES ('film', 'yn-tax', ?1, ?2, ?3, ?3, ?4, '测试', 10, '', '')",
            params![
                format,
                period.start.to_string(),
                period.end.to_string(),
                status
            ],
        )
        .expect("loan");
        LoanId(conn.last_insert_rowid())
    }

    const STATUSES: [&str; 8] = [
        "requested",
        "approved",
        "active",
        "overdue",
        "waitlisted",
        "returned",
        "cancelled",
        "rejected",
    ];

    /// One random change to the loans: a booking, a status, new dates (sometimes
    /// handed out early), another resource or format, or a deletion.
    fn change_at_random(
        conn: &Connection,
        ids: &mut Vec<LoanId>,
        next: &mut impl FnMut(u64) -> u64,
    ) {
        let first = date(2026, 5, 1);
        let day = |offset: u64| add_days(first, offset as i64).to_string();
        let pick = |ids: &[LoanId], n: u64| ids[n as usize % ids.len()];
        match next(6) {
            0 | 1 => {
                let start = next(40);
                let period = Period {
                    start: add_days(first, start as i64),
                    end: add_days(first, (start + next(8)) as i64),
                };
                let format = ["digital", "physical"][next(2) as usize];
                // A copy out is a row with its copy; booked ones are enough here.
                let status = match STATUSES[next(8) as usize] {
                    "active" | "overdue" if format == "physical" => "approved",
                    "rejected" => "cancelled",
                    status => status,
                };
                ids.push(book(conn, format, status, period));
            }
            _ if ids.is_empty() => {}
            2 => {
                let (id, status) = (pick(ids, next(1 << 20)), STATUSES[next(8) as usize]);
                conn.execute(
                    "UPDATE loans SET status = ?2, reject_reason = '不合适'
                     WHERE id = ?1 AND (format = 'digital' OR ?2 NOT IN ('active', 'overdue'))",
                    params![id.0, status],
                )
                .expect("status");
            }
            3 => {
                let (id, start) = (pick(ids, next(1 << 20)), next(40));
                let issued = (next(3) == 0).then(|| day(start.saturating_sub(next(5))));
                conn.execute(
                    "UPDATE loans SET start_date = ?2, end_date = ?3, issued_on = ?4 WHERE id = ?1",
                    params![id.0, day(start), day(start + next(8)), issued],
                )
                .expect("dates");
            }
            4 => {
                let id = pick(ids, next(1 << 20));
                let (resource, format) = [
                    ("film", "digital"),
                    ("open", "digital"),
                    ("film", "physical"),
                ][next(3) as usize];
                conn.execute(
                    "UPDATE loans SET resource_id = ?2, format = ?3
                     WHERE id = ?1 AND (?3 = 'digital' OR status NOT IN ('active', 'overdue'))",
                    params![id.0, resource, format],
                )
                .expect("moved to another resource");
            }
            _ => {
                let id = ids.swap_remove(next(1 << 20) as usize % ids.len());
                conn.execute("DELETE FROM loans WHERE id = ?1", [id.0])
                    .expect("delete");
            }
        }
    }

    /// The tally of every resource and format equals a recount of the holding loans.
    fn assert_tally_is_a_recount(conn: &Connection, except: Option<LoanId>, step: usize) {
        let first = date(2026, 5, 1);
        let (from, to) = (add_days(first, -10), add_days(first, 60));
        for (resource, format) in [
            ("film", Format::Digital),
            ("film", Format::Physical),
            ("open", Format::Digital),
        ] {
            for except in [None, except] {
                let held = holders(conn, resource, format, from, to, except).expect("holders");
                let tallied = day_use(conn, resource, format, from, to, except).expect("tally");
                assert_eq!(
                    tallied,
                    usage(&held, from, to),
                    "{resource} {format:?} except {except:?} after step {step}"
                );
            }
        }
    }

    /// The per-day tally the triggers keep equals a recount of the holding loans
    /// after any mix of bookings, status changes, moved and early-issued loans,
    /// moves to another resource or format, and deletions.
    #[test]
    fn the_day_tally_follows_every_change_to_the_loans() {
        let (_dir, db) = catalogue();
        let conn = db.get().expect("connection");
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = move |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let mut ids = Vec::new();
        for step in 0..400 {
            change_at_random(&conn, &mut ids, &mut next);
            if step % 50 == 49 {
                assert_tally_is_a_recount(&conn, ids.first().copied(), step);
            }
        }
        // No day is kept with nobody holding it.
        let empty: i64 = conn
            .query_row("SELECT count(*) FROM loan_days WHERE held < 1", [], |row| {
                row.get(0)
            })
            .expect("count");
        assert_eq!(empty, 0);
    }

    #[test]
    fn capacity_is_licences_or_copies_in_circulation() {
        let (_dir, db) = catalogue();
        let conn = db.get().expect("connection");
        assert_eq!(
            capacity_of(&conn, "film", Format::Digital).ok(),
            Some(Some(2))
        );
        assert_eq!(
            capacity_of(&conn, "film", Format::Physical).ok(),
            Some(Some(2))
        );
        assert_eq!(capacity_of(&conn, "open", Format::Digital).ok(), Some(None));
        assert_eq!(
            capacity_of(&conn, "open", Format::Physical).ok(),
            Some(Some(0))
        );
        assert!(matches!(
            capacity_of(&conn, "missing", Format::Digital),
            Err(LoanError::ResourceNotFound(id)) if id == "missing"
        ));
    }

    #[test]
    fn holders_are_the_holding_loans_that_touch_the_window() {
        let (_dir, db) = catalogue();
        let conn = db.get().expect("connection");
        let may = |from: i8, to: i8| p((2026, 5, from), (2026, 5, to));
        let kept = book(&conn, "digital", "requested", may(1, 3));
        book(&conn, "digital", "approved", may(10, 12));
        book(&conn, "digital", "waitlisted", may(1, 12));
        book(&conn, "digital", "cancelled", may(1, 12));
        book(&conn, "physical", "approved", may(1, 12));
        let window = |from: i8, to: i8, except: Option<LoanId>| {
            let mut found = holders(
                &conn,
                "film",
                Format::Digital,
                date(2026, 5, from),
                date(2026, 5, to),
                except,
            )
            .expect("holders");
            found.sort_by_key(|p| p.start);
            found
        };
        // Both ends count: a loan ending on the first day or starting on the last.
        assert_eq!(window(3, 10, None), vec![may(1, 3), may(10, 12)]);
        assert_eq!(window(4, 9, None), Vec::<Period>::new());
        assert_eq!(window(3, 10, Some(kept)), vec![may(10, 12)]);
        assert_eq!(window(13, 20, None), Vec::<Period>::new());

        // Two licences: a third loan fits only where at most one is held.
        let fits_digital = |period: Period, except: Option<LoanId>| {
            period_fits(&conn, "film", Format::Digital, period, except).expect("fits")
        };
        book(&conn, "digital", "active", may(2, 2));
        assert!(!fits_digital(may(2, 2), None));
        assert!(fits_digital(may(2, 2), Some(kept)));
        assert!(fits_digital(may(3, 9), None));
        assert!(period_fits(&conn, "open", Format::Digital, may(2, 2), None).expect("fits"));
        // The earliest free two days from 1 May: the 4th and 5th.
        let suggested = suggest(
            &conn,
            "film",
            Format::Digital,
            may(1, 2),
            date(2026, 5, 1),
            None,
            |d| d,
        )
        .expect("suggest");
        assert_eq!(suggested, Some(may(3, 4)));
    }

    /// The suggestion reads every booking that can block a period starting within the
    /// horizon: one starting on the horizon's last day, a long one reaching past it.
    #[test]
    fn suggestions_see_bookings_up_to_the_horizons_end() {
        let (_dir, db) = catalogue();
        let conn = db.get().expect("connection");
        conn.execute("UPDATE resources SET licences = 1 WHERE id = 'film'", [])
            .expect("one licence");
        let from = date(2026, 1, 1);
        let span = |a: i64, b: i64| Period {
            start: add_days(from, a),
            end: add_days(from, b),
        };
        let suggest_len = |len: i64| {
            suggest(
                &conn,
                "film",
                Format::Digital,
                span(0, len - 1),
                from,
                None,
                |d| d,
            )
            .expect("suggest")
        };
        // Booked to day 355, then from day 356 on: no free day starts within 366 days.
        book(&conn, "digital", "approved", span(0, 355));
        let late = book(&conn, "digital", "approved", span(356, 400));
        assert_eq!(suggest_len(1), None);
        assert_eq!(suggest_len(30), None);
        // Without the late booking, the first free day is the 356th.
        conn.execute(
            "UPDATE loans SET status = 'cancelled' WHERE id = ?1",
            [late.0],
        )
        .expect("cancel");
        assert_eq!(suggest_len(1), Some(span(356, 356)));
        // A 30-day loan from day 341 is blocked by a booking from day 360 on.
        conn.execute(
            "UPDATE loans SET end_date = ?1, requested_end = ?1 WHERE status = 'approved'",
            [add_days(from, 340).to_string()],
        )
        .expect("shorten");
        book(&conn, "digital", "approved", span(360, 420));
        assert_eq!(suggest_len(30), None);
        assert_eq!(suggest_len(19), Some(span(341, 359)));
    }
}
