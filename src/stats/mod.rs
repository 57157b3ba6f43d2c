//! Statistics (SPEC §6): per unit — requests, approved loans, reports, education
//! sessions and participants (场次/人次), the kinds and violation types covered, visits
//! to bases (参观场次/人次, SPEC §8) — for a period; units without activity as gaps;
//! most used resources; activity by sector, by kind and by month; the CSV export and the geometry of the server-drawn SVG charts
//! (their markup is in templates, under `web`). All statistics SQL lives here. No
//! HTTP here.
//!
//! Definitions (the page and the API say the same):
//! - A loan counts in the period its **start date** falls in: a request is any loan
//!   asked for (whatever became of it); an approved loan is one that was lent
//!   (approved, active, returned, expired or overdue).
//! - A report counts in the period its **held-on date** falls in. A session (场次) is a
//!   day on which a unit held education: several reports of one unit on one day are
//!   one session (one meeting showing a film and a case bulletin), whose participants
//!   (人次) are the largest number reported for that day, not the sum.
//! - Material used by a unit in the period: its approved loans starting in the period
//!   and the loans it reported on in the period; the kinds and violation types covered
//!   are those of that material.
//! - A gap is a unit with no request made in the period, none starting in it, and no
//!   report in it: a unit that asked in December for a January film is active in
//!   December. Requests are counted in the period they start in.
//! - A visit to a base counts in the period its **session's date** falls in. An
//!   attended visit is one 参观场次 of its unit, its people present the 参观人次; a
//!   no-show, cancelled or rejected visit counts for nothing, a scheduled or confirmed
//!   one is booked (shown, not counted). A unit without an attended visit is listed
//!   apart (期内无参观的单位); visits do not change whether it is a loan gap.
//! - What units share (their contributions, and loans of them by other units) is
//!   defined in [`contributions`].
//! - The lists naming resources (most used, contributions borrowed) show a borrower
//!   only what they may see ([`overview`]); the counts include everything.

pub mod chart;
mod contributions;
mod csv;
mod error;
mod figures;
mod lookup;
mod period;
mod scan;
mod scope;
mod sectors;
mod started;

pub use contributions::{ContributionUse, TOP_CONTRIBUTIONS};
pub use csv::{CSV_HEADER, units_csv};
pub use error::StatsError;
pub use figures::{
    KindStats, MonthStats, Overview, ResourceUse, Totals, UnitStats, UnitsReport, overview,
    units_report,
};
pub use period::{MAX_PERIOD_YEARS, StatsPeriod};
pub(crate) use scan::LENT_KINDS;
pub use scope::Scope;
pub use sectors::{SectorKindRow, SectorStats};

#[cfg(test)]
mod tests;
