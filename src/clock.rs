//! The service's notion of time: now, and today's date in the library's time zone
//! (Asia/Shanghai unless `--time-zone` says otherwise). Tests fix it to a chosen
//! moment instead of sleeping.

use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The library's default time zone: loan periods are calendar days in China.
pub const TIME_ZONE: &str = "Asia/Shanghai";

/// The zone chosen at start-up (`--time-zone`), if any.
static CHOSEN_ZONE: std::sync::OnceLock<TimeZone> = std::sync::OnceLock::new();

/// A clock that reads the system time unless fixed; cheap to clone, shared by clones.
#[derive(Clone, Default)]
pub struct Clock {
    fixed: Arc<RwLock<Option<Timestamp>>>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self::default()
    }

    /// Fixes the clock at `at` (tests, benchmarks).
    pub fn set(&self, at: Timestamp) {
        *self.fixed.write().unwrap_or_else(|p| p.into_inner()) = Some(at);
    }

    /// Fixes the clock at noon of `date` in the library's time zone.
    pub fn set_date(&self, date: Date) {
        self.set(Moment::noon_of(date).instant());
    }

    pub fn now(&self) -> Timestamp {
        self.fixed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(Timestamp::now)
    }

    /// Today's date in the library's time zone.
    pub fn today(&self) -> Date {
        self.moment().today()
    }

    /// This instant, to hand to a use case: everything it stamps and every date it
    /// compares come from this one reading.
    pub fn moment(&self) -> Moment {
        Moment(self.now())
    }
}

/// One reading of the clock: the instant a use case runs at. Timestamps it writes and
/// the day it reasons about are both derived from it, so they never disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Moment(Timestamp);

impl Moment {
    pub fn at(instant: Timestamp) -> Self {
        Self(instant)
    }

    /// Noon of `date` in the library's time zone (tests, date-only callers).
    pub fn noon_of(date: Date) -> Self {
        date.at(12, 0, 0, 0)
            .to_zoned_datetime(time_zone())
            .map(|zoned| Self(zoned.timestamp()))
            .unwrap_or(Self(Timestamp::UNIX_EPOCH))
    }

    pub fn instant(self) -> Timestamp {
        self.0
    }

    /// The calendar day in the library's time zone.
    pub fn today(self) -> Date {
        self.0.to_zoned_datetime(time_zone()).date()
    }

    /// As stored in the database (RFC 3339, UTC).
    pub fn stamp(self) -> String {
        self.0.to_string()
    }

    pub fn unix_seconds(self) -> i64 {
        self.0.as_second()
    }

    pub fn unix_millis(self) -> i64 {
        self.0.as_millisecond()
    }
}

/// The library's time zone: the one chosen at start-up, or Asia/Shanghai (the IANA
/// database is bundled with the binary, so no system tzdata is needed).
pub fn time_zone() -> TimeZone {
    CHOSEN_ZONE.get().cloned().unwrap_or_else(|| {
        TimeZone::get(TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))
    })
}

/// Chooses the library's time zone by its IANA name (`Asia/Urumqi`), once, before
/// anything reads the time; a second choice of another zone is refused.
pub fn choose_time_zone(name: &str) -> Result<(), String> {
    let zone = TimeZone::get(name.trim())
        .map_err(|_| format!("时区“{name}”无效，应为 IANA 时区名，如 Asia/Shanghai"))?;
    let chosen = CHOSEN_ZONE.get_or_init(|| zone.clone());
    if chosen.iana_name() == zone.iana_name() {
        Ok(())
    } else {
        Err(format!(
            "时区已设为 {}，不能再改为 {name}",
            chosen.iana_name().unwrap_or("?")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_in_shanghai() {
        let clock = Clock::system();
        // 2026-03-01 17:30 UTC is already 2026-03-02 in Shanghai.
        clock.set("2026-03-01T17:30:00Z".parse().unwrap());
        assert_eq!(clock.today(), jiff::civil::date(2026, 3, 2));
        clock.set_date(jiff::civil::date(2026, 5, 1));
        assert_eq!(clock.today(), jiff::civil::date(2026, 5, 1));
        assert_eq!(
            clock.moment(),
            Moment::noon_of(jiff::civil::date(2026, 5, 1))
        );
        assert_eq!(clock.moment().stamp(), "2026-05-01T04:00:00Z");
    }
}
