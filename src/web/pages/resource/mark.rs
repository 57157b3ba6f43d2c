//! The viewer's mark as the resource page shows it: over the film (the script moves it
//! and keeps its clock) and tiled behind the reader's text.

use crate::clock::{Moment, time_zone};

/// The mark of the copy this viewer is shown (issue 23).
pub struct MarkView {
    /// The loan's mark (`JS-7KQ2M9XA yn-tax 2026-12-01`); the template escapes it.
    pub label: String,
    /// The library's local time at rendering (`HH:MM:SS`), so that a page without
    /// script still shows when it was opened.
    pub clock: String,
    /// The library's UTC offset in seconds, so the script's clock keeps the library's
    /// time whatever the viewer's computer is set to.
    pub zone_offset: i32,
}

impl MarkView {
    pub fn new(label: String, at: Moment) -> Self {
        let zone = time_zone();
        let zoned = at.instant().to_zoned_datetime(zone.clone());
        Self {
            label,
            clock: zoned.strftime("%H:%M:%S").to_string(),
            zone_offset: zone.to_offset(at.instant()).seconds(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_is_the_library_time() {
        let at = Moment::at("2026-12-01T01:02:03Z".parse().expect("instant"));
        let view = MarkView::new("JS-7KQ2M9XA yn-tax 2026-12-01".into(), at);
        // Asia/Shanghai, eight hours ahead of UTC.
        assert_eq!(view.clock, "09:02:03");
        assert_eq!(view.zone_offset, 8 * 3600);
    }
}
