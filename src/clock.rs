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
        if let Ok(zoned) = date.at(12, 0, 0, 0).to_zoned_datetime(time_zone()) {
            self.set(zoned.timestamp());
        }
    }

    pub fn now(&self) -> Timestamp {
        self.fixed
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .unwrap_or_else(Timestamp::now)
    }

    /// Today's date in the library's time zone.
    pub fn today(&self) -> Date {
        self.now().to_zoned_datetime(time_zone()).date()
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
    }
}
