//! The first pass of [`super::scan`]: the loans starting in the period, read on the
//! request's thread and tallied on a second one. At national scale a year holds
//! 370,000 loans: stepping SQLite through them and tallying them (a hash look-up of
//! each loan's resource, counters spread over 100,000 resources) took about as long
//! as each other, so overlapping the two nearly halves the pass. Only the tally moves:
//! a SQLite connection stays on the thread that holds it.

use std::ops::Range;
use std::sync::mpsc;

use super::lookup::LoanOwners;
use super::scan::{Catalog, FastMap, Tally, month_of_date};
use super::{StatsError, StatsPeriod};

/// Rows handed over at a time: few enough hand-overs to cost nothing, small enough
/// for the tally to start early.
const BATCH_ROWS: usize = 4096;

/// Batches in flight: the reader runs at most this far ahead of the tally.
const BATCHES_AHEAD: usize = 4;

/// One loan as read, its texts kept as ranges of [`LoanRows::text`].
struct LoanRow {
    id: i64,
    lent: bool,
    unit: Range<usize>,
    resource: Range<usize>,
    start: Range<usize>,
}

/// A batch of loans, their texts in one buffer rather than three allocations a row.
#[derive(Default)]
pub(super) struct LoanRows {
    text: Vec<u8>,
    rows: Vec<LoanRow>,
}

impl LoanRows {
    fn append(&mut self, bytes: &[u8]) -> Range<usize> {
        let at = self.text.len();
        self.text.extend_from_slice(bytes);
        at..self.text.len()
    }

    /// Keeps a loan: its id, whether it was lent, its unit code, resource id and
    /// start date as stored.
    pub fn push(&mut self, id: i64, lent: bool, unit: &[u8], resource: &[u8], start: &[u8]) {
        let row = LoanRow {
            id,
            lent,
            unit: self.append(unit),
            resource: self.append(resource),
            start: self.append(start),
        };
        self.rows.push(row);
    }

    pub fn is_full(&self) -> bool {
        self.rows.len() >= BATCH_ROWS
    }
}

/// What the tally needs besides the rows: all shared read-only with its thread.
pub(super) struct LoanTally<'a> {
    pub units: &'a FastMap<String, usize>,
    pub catalog: &'a Catalog,
    pub period: &'a StatsPeriod,
}

impl LoanTally<'_> {
    /// Tallies the loans `read` produces, on a second thread while `read` goes on
    /// reading, and returns whose each loan is. `read` fills batches and hands each
    /// to the function it is given; an error of `read` ends the pass with it.
    pub fn run(
        &self,
        tally: &mut Tally,
        read: impl FnOnce(&mut dyn FnMut(LoanRows)) -> Result<(), StatsError>,
    ) -> Result<LoanOwners, StatsError> {
        std::thread::scope(|scope| {
            let (hand_over, batches) = mpsc::sync_channel::<LoanRows>(BATCHES_AHEAD);
            let counter = scope.spawn(move || {
                let mut owners = LoanOwners::with_capacity(1024);
                let mut months = MonthOfDay::default();
                for batch in batches {
                    self.count(&batch, tally, &mut owners, &mut months);
                }
                owners
            });
            // A send fails only once the tally thread is gone, which its join reports.
            let read = read(&mut |batch| drop(hand_over.send(batch)));
            drop(hand_over);
            let mut owners = counter
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            read?;
            owners.seal();
            Ok(owners)
        })
    }

    fn count(
        &self,
        batch: &LoanRows,
        tally: &mut Tally,
        owners: &mut LoanOwners,
        months: &mut MonthOfDay,
    ) {
        for row in &batch.rows {
            let text = |range: &Range<usize>| std::str::from_utf8(&batch.text[range.clone()]);
            let (Ok(code), Ok(resource)) = (text(&row.unit), text(&row.resource)) else {
                continue;
            };
            let Some(&u) = self.units.get(code) else {
                continue;
            };
            let r = self.catalog.index.get(resource);
            owners.push(row.id, u, r);
            let counts = &mut tally.units[u];
            counts.requests += 1;
            counts.loans += u64::from(row.lent);
            let start = &batch.text[row.start.clone()];
            if let Some(m) = months
                .of(self.period, start)
                .and_then(|m| tally.months.get_mut(m))
            {
                m.requests += 1;
                m.loans += u64::from(row.lent);
            }
            if row.lent
                && let Some(r) = r
            {
                tally.lent(u, r, self.catalog.kinds[r].into());
            }
        }
    }
}

/// The last start date seen and its position among the period's months: the loans
/// come by start date, so each day's month is worked out once.
#[derive(Default)]
struct MonthOfDay {
    day: Vec<u8>,
    month: Option<usize>,
}

impl MonthOfDay {
    fn of(&mut self, period: &StatsPeriod, day: &[u8]) -> Option<usize> {
        if self.day != day {
            self.day = day.to_vec();
            self.month = month_of_date(period, day);
        }
        self.month
    }
}
