//! The service's notion of time: now, and today's date in the library's time zone
//! (Asia/Shanghai). Tests fix it to a chosen moment instead of sleeping.

use std::sync::{Arc, RwLock};

use jiff::Timestamp;
use jiff::civil::Date;
use jiff::tz::TimeZone;

/// The library's time zone: loan periods are calendar days in China.
pub const TIME_ZONE: &str = "Asia/Shanghai";

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

/// Asia/Shanghai (bundled with the binary, so no system tzdata is needed).
pub fn time_zone() -> TimeZone {
    TimeZone::get(TIME_ZONE).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(8)))
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
