//! A month laid out as a calendar: weeks from Monday, blanks outside the month.

use jiff::civil::Date;

/// The month's days (from `first`, its first day) in rows of seven, Monday first.
pub fn weeks<T>(first: Date, days: impl IntoIterator<Item = T>) -> Vec<Vec<Option<T>>> {
    let lead = usize::try_from(first.weekday().to_monday_zero_offset()).unwrap_or(0);
    let mut cells: Vec<Option<T>> = (0..lead).map(|_| None).collect();
    cells.extend(days.into_iter().map(Some));
    while !cells.len().is_multiple_of(7) {
        cells.push(None);
    }
    let mut rows = Vec::with_capacity(cells.len() / 7);
    let mut cells = cells.into_iter().peekable();
    while cells.peek().is_some() {
        rows.push(cells.by_ref().take(7).collect());
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_on_their_weekday() {
        // 2026-02-01 is a Sunday: six blanks, then 28 days, then blanks to the week's end.
        let first = jiff::civil::date(2026, 2, 1);
        let rows = weeks(first, 1..=28);
        assert_eq!(rows.len(), 5);
        assert_eq!(rows[0][..6].iter().filter(|c| c.is_none()).count(), 6);
        assert_eq!(rows[0][6], Some(1));
        assert_eq!(rows[4][6], None);
        assert!(rows.iter().all(|row| row.len() == 7));
    }
}
