//! The passes every figure comes from: the loans starting in the period, the reports
//! held in it and the visits to bases on its days, each read once as plain rows and
//! tallied here. Grouping in SQL
//! was slower: it sorts text keys in a temporary B-tree, where a hash lookup of a
//! borrowed `&str` per row costs next to nothing (100,000 loans in a few ms).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use rusqlite::{Connection, OptionalExtension, params};

use super::figures::MonthStats;
use super::lookup::{LoanOwners, ResourceIndex};
use super::started::{LoanRows, LoanTally};
use super::{Scope, StatsError, StatsPeriod};
use crate::catalog::Kind;
use crate::loans::LoanStatus;
use crate::visits::VisitStatus;

/// The states in which a loan counts as approved (lent): it was approved, whatever
/// happened after.
pub(super) const LENT: [LoanStatus; 5] = [
    LoanStatus::Approved,
    LoanStatus::Active,
    LoanStatus::Returned,
    LoanStatus::Expired,
    LoanStatus::Overdue,
];

/// The kinds of material that is lent, whose loans the figures by kind count: all
/// but bases, which are visited (their figures are the visits).
pub(crate) const LENT_KINDS: [Kind; 4] =
    [Kind::Video, Kind::Case, Kind::Confession, Kind::Textbook];

/// The states in which a visit holds seats on its session: attended, or booked.
const SEATED: [VisitStatus; 3] = [
    VisitStatus::Attended,
    VisitStatus::Scheduled,
    VisitStatus::Confirmed,
];

/// A hash map with `rustc-hash`'s Fx hash, for the maps the per-row loops hit: the
/// keys are short unit codes, resource ids and small numbers from our own tables (no
/// hash flooding to fear), and the standard SipHash, then a byte-at-a-time FNV, were a
/// visible share of a year's national statistics.
pub(super) type FastMap<K, V> = HashMap<K, V, rustc_hash::FxBuildHasher>;

/// What the figures need of a resource: its kind and violation types. Titles and
/// visibility are read only for the few resources a list names
/// ([`super::figures`]), not for the whole catalogue on every request.
pub(super) struct ResourceMeta {
    pub id: String,
    /// Positions in [`Catalog::violations`].
    pub violations: Vec<usize>,
}

/// Every resource, addressable by position.
pub(super) struct Catalog {
    pub index: ResourceIndex,
    pub resources: Vec<ResourceMeta>,
    /// Per resource position, its kind's position in [`LENT_KINDS`] (its length for a
    /// base or an unknown kind): apart, so that the loop over loans reads a byte.
    pub kinds: Vec<u8>,
    /// The violation types, each once: resources refer to them by position, so a
    /// unit's tally counts in an array rather than hashing names.
    pub violations: Vec<String>,
}

pub(super) fn kind_index(kind: &str) -> usize {
    LENT_KINDS
        .iter()
        .position(|k| k.as_str() == kind)
        .unwrap_or(LENT_KINDS.len())
}

/// The catalogue as last read, with the generation token it was read at (migration
/// 025): resources and their violation types change a few times a day, the
/// statistics are read far more often, and at national scale reading the catalogue
/// cost more than half as much as counting a year's loans. One entry: a process
/// serves one database (tests open many, and take turns at it).
static LAST_READ: Mutex<Option<(i64, Arc<Catalog>)>> = Mutex::new(None);

impl Catalog {
    /// The catalogue as `conn` sees it: the one read by an earlier request when its
    /// generation token is still the same, else read afresh. Within a read snapshot
    /// ([`crate::db::read_snapshot`]), so that the token and what is read agree.
    pub fn current(conn: &Connection) -> Result<Arc<Self>, StatsError> {
        let token: i64 = conn
            .prepare_cached("SELECT token FROM catalog_generation WHERE id = 1")?
            .query_row([], |row| row.get(0))?;
        let last = || LAST_READ.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((read_at, catalog)) = last().as_ref()
            && *read_at == token
        {
            return Ok(Arc::clone(catalog));
        }
        let catalog = Arc::new(Self::load(conn)?);
        *last() = Some((token, Arc::clone(&catalog)));
        Ok(catalog)
    }

    fn load(conn: &Connection) -> Result<Self, StatsError> {
        let mut catalog = Catalog {
            index: ResourceIndex::default(),
            resources: Vec::new(),
            kinds: Vec::new(),
            violations: Vec::new(),
        };
        let mut violation_index: FastMap<String, usize> = FastMap::default();
        let mut stmt = conn.prepare_cached("SELECT id, kind FROM resources")?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let id: String = row.get(0)?;
            catalog.index.insert(&id, catalog.resources.len());
            let kind = kind_index(row.get_ref(1)?.as_str().unwrap_or(""));
            catalog.kinds.push(u8::try_from(kind).unwrap_or(u8::MAX));
            catalog.resources.push(ResourceMeta {
                id,
                violations: Vec::new(),
            });
        }
        // Read from the covering index `resource_labels_by_facet`; the order of a
        // resource's types does not matter to any figure.
        let mut stmt = conn.prepare_cached(
            "SELECT resource_id, value FROM resource_labels WHERE facet = 'violation'",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            let Ok(id) = row.get_ref(0)?.as_str() else {
                continue;
            };
            let (Some(r), Ok(name)) = (catalog.index.get(id), row.get_ref(1)?.as_str()) else {
                continue;
            };
            let v = match violation_index.get(name) {
                Some(&v) => v,
                None => {
                    violation_index.insert(name.to_owned(), catalog.violations.len());
                    catalog.violations.push(name.to_owned());
                    catalog.violations.len() - 1
                }
            };
            catalog.resources[r].violations.push(v);
        }
        Ok(catalog)
    }
}

/// One unit's counts.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Counts {
    /// Asked for a loan during the period, whenever it starts (looked up only for
    /// units without requests and reports, the only ones it can change).
    pub asked: bool,
    pub requests: u64,
    pub loans: u64,
    pub reports: u64,
    pub sessions: u64,
    pub participants: u64,
    /// Visits to bases attended on a day of the period, and the people present.
    pub visits: u64,
    pub visitors: u64,
    /// Visits scheduled or confirmed for a session in the period, not yet attended.
    pub visits_booked: u64,
}

/// Approved loans, reports and their participants of some material.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Use {
    pub loans: u64,
    pub reports: u64,
    pub participants: u64,
}

/// What the passes found, by unit position and resource position. Everything is
/// counted as the rows go by, in arrays: only the material each unit used needs
/// telling apart (a resource used twice counts once), which [`Tally::distinct_used`]
/// does per unit.
pub(super) struct Tally {
    pub units: Vec<Counts>,
    pub months: Vec<MonthStats>,
    /// Per resource position.
    pub resources: Vec<Use>,
    /// Per position in [`LENT_KINDS`] (bases and unknown kinds not counted).
    pub kinds: [Use; LENT_KINDS.len()],
    /// Approved loans per unit position and kind position.
    pub unit_kind_loans: Vec<[u64; LENT_KINDS.len()]>,
    /// The resources each unit used (approved loans and reported loans), with
    /// repeats until [`Tally::distinct_used`].
    pub used: Vec<Vec<usize>>,
}

impl Tally {
    /// Counts an approved loan of resource `r` by unit `u`.
    pub(super) fn lent(&mut self, u: usize, r: usize, kind: usize) {
        self.resources[r].loans += 1;
        if let Some(k) = self.kinds.get_mut(kind) {
            k.loans += 1;
            self.unit_kind_loans[u][kind] += 1;
        }
        self.used[u].push(r);
    }

    /// Counts a report on resource `r` by unit `u`.
    fn reported(&mut self, u: usize, r: usize, kind: usize, participants: u64) {
        for material in [Some(&mut self.resources[r]), self.kinds.get_mut(kind)]
            .into_iter()
            .flatten()
        {
            material.reports += 1;
            material.participants += participants;
        }
        self.used[u].push(r);
    }

    /// Leaves each resource once in each unit's list of material used.
    pub fn distinct_used(&mut self) {
        for used in &mut self.used {
            used.sort_unstable();
            used.dedup();
        }
    }
}

/// `YYYY-MM-DD` as numbers (the loans table's CHECK constraints keep dates so).
fn ymd(text: &str) -> Option<(i16, i8, i8)> {
    Some((
        text.get(0..4)?.parse().ok()?,
        text.get(5..7)?.parse().ok()?,
        text.get(8..10)?.parse().ok()?,
    ))
}

/// The position among the period's months of a stored date.
pub(super) fn month_of_date(period: &StatsPeriod, date: &[u8]) -> Option<usize> {
    let (year, month, _) = ymd(std::str::from_utf8(date).ok()?)?;
    month_of(period, year, month)
}

/// The position of a date's month among the period's months.
fn month_of(period: &StatsPeriod, year: i16, month: i8) -> Option<usize> {
    let first = i32::from(period.from.year()) * 12 + i32::from(period.from.month());
    usize::try_from(i32::from(year) * 12 + i32::from(month) - first).ok()
}

/// Runs both passes for the units in `units` (code → position).
pub(super) fn tally(
    conn: &Connection,
    period: &StatsPeriod,
    scope: &Scope,
    units: &FastMap<String, usize>,
    catalog: &Catalog,
) -> Result<Tally, StatsError> {
    let pass = Pass {
        conn,
        period,
        scope,
        units,
        catalog,
        bounds: period.bounds(),
        moment_bounds: period.moment_bounds(),
    };
    let mut tally = Tally {
        units: vec![Counts::default(); units.len()],
        months: period
            .months()
            .into_iter()
            .map(|month| MonthStats {
                month,
                ..MonthStats::default()
            })
            .collect(),
        resources: vec![Use::default(); catalog.resources.len()],
        kinds: [Use::default(); LENT_KINDS.len()],
        unit_kind_loans: vec![[0; LENT_KINDS.len()]; units.len()],
        used: vec![Vec::new(); units.len()],
    };
    let owners = pass.count_loans(&mut tally)?;
    let sessions = pass.count_reports(&mut tally, owners)?;
    pass.mark_asked(&mut tally)?;
    count_sessions(period, sessions, &mut tally);
    pass.count_visits(&mut tally)?;
    Ok(tally)
}

/// What the passes read from.
struct Pass<'a> {
    conn: &'a Connection,
    period: &'a StatsPeriod,
    scope: &'a Scope,
    units: &'a FastMap<String, usize>,
    catalog: &'a Catalog,
    /// The period's first and last day as text, as the tables store dates.
    bounds: (String, String),
    /// The period as stored moments (`created_at`), for requests made in it.
    moment_bounds: (String, String),
}

/// A unit's day of education (unit position, date): the most sessions one report of
/// the day counts and the day's largest participant count.
type Sessions = FastMap<(usize, (i16, i8, i8)), (u64, u64)>;

impl Pass<'_> {
    /// The first pass: loans starting in the period. Returns whose each loan is, so
    /// that the reports need not look their loans up again.
    fn count_loans(&self, tally: &mut Tally) -> Result<LoanOwners, StatsError> {
        // For all units the period's entries of `loans_started` hold every column
        // read here, so no other loan is read; for one unit its own loans are fewer.
        // Whether a loan was lent is asked of SQL: one integer per row rather than
        // its status as text to check in Rust.
        let sql = match self.scope {
            Scope::All => {
                "SELECT id, unit_code, resource_id, start_date,
                        status IN (?4, ?5, ?6, ?7, ?8)
                 FROM loans INDEXED BY loans_started
                 WHERE start_date BETWEEN ?1 AND ?2 AND ?3 IS NULL"
            }
            Scope::Unit(_) => {
                "SELECT id, unit_code, resource_id, start_date,
                        status IN (?4, ?5, ?6, ?7, ?8)
                 FROM loans INDEXED BY loans_unit
                 WHERE unit_code = ?3 AND start_date BETWEEN ?1 AND ?2"
            }
        };
        let [a, b, c, d, e] = LENT.map(LoanStatus::as_str);
        let mut stmt = self.conn.prepare_cached(sql)?;
        let (from, to) = &self.bounds;
        let counter = LoanTally {
            units: self.units,
            catalog: self.catalog,
            period: self.period,
        };
        counter.run(tally, |hand_over| {
            let mut rows = stmt.query(params![from, to, self.scope.unit(), a, b, c, d, e])?;
            let mut batch = LoanRows::default();
            while let Some(row) = rows.next()? {
                let (Ok(unit), Ok(resource), Ok(start)) = (
                    row.get_ref(1)?.as_bytes(),
                    row.get_ref(2)?.as_bytes(),
                    row.get_ref(3)?.as_bytes(),
                ) else {
                    continue;
                };
                batch.push(row.get(0)?, row.get(4)?, unit, resource, start);
                if batch.is_full() {
                    hand_over(std::mem::take(&mut batch));
                }
            }
            hand_over(batch);
            Ok(())
        })
    }

    /// The second pass: reports held in the period. A report's loan usually started
    /// in the period too (known from `owners`); the others are looked up one by one.
    /// Returns the sessions: a unit's day, with the most sessions a report of the day
    /// counts (usually 1) and the day's largest participant count.
    fn count_reports(&self, tally: &mut Tally, owners: LoanOwners) -> Result<Sessions, StatsError> {
        let sql = match self.scope {
            Scope::All => {
                "SELECT loan_id, held_on, participants, sessions FROM loan_reports
                 WHERE held_on BETWEEN ?1 AND ?2 AND ?3 IS NULL"
            }
            Scope::Unit(_) => {
                "SELECT r.loan_id, r.held_on, r.participants, r.sessions
                 FROM loans l JOIN loan_reports r ON r.loan_id = l.id
                 WHERE l.unit_code = ?3 AND r.held_on BETWEEN ?1 AND ?2"
            }
        };
        let mut sessions = Sessions::default();
        let mut stmt = self.conn.prepare_cached(sql)?;
        let (from, to) = &self.bounds;
        let mut rows = stmt.query(params![from, to, self.scope.unit()])?;
        while let Some(row) = rows.next()? {
            let loan: i64 = row.get(0)?;
            let Ok(held_on) = row.get_ref(1)?.as_str() else {
                continue;
            };
            let participants = u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0);
            let held = u64::try_from(row.get::<_, i64>(3)?).unwrap_or(1);
            let owner = match owners.get(loan) {
                Some(owner) => Some(owner),
                None => self.owner_of(loan)?,
            };
            let Some((u, r)) = owner else { continue };
            tally.units[u].reports += 1;
            if let Some(r) = r {
                tally.reported(u, r, self.catalog.kinds[r].into(), participants);
            }
            if let Some(day) = ymd(held_on) {
                let most = sessions.entry((u, day)).or_default();
                *most = (most.0.max(held), most.1.max(participants));
            }
        }
        Ok(sessions)
    }

    /// The third pass: visits whose session falls on a day of the period. An attended
    /// visit is one session (参观场次) of its unit, with the people present (人次);
    /// a scheduled or confirmed one is booked, not yet a visit. A no-show, a
    /// cancelled or a rejected visit counts for nothing.
    fn count_visits(&self, tally: &mut Tally) -> Result<(), StatsError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT v.unit_code, v.status, v.attended, s.date
             FROM visits v JOIN base_sessions s ON s.id = v.session_id
             WHERE v.status IN (?4, ?5, ?6)
               AND s.date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR v.unit_code = ?3)",
        )?;
        let [a, b, c] = SEATED.map(VisitStatus::as_str);
        let (from, to) = &self.bounds;
        let mut rows = stmt.query(params![from, to, self.scope.unit(), a, b, c])?;
        while let Some(row) = rows.next()? {
            let (Ok(code), Ok(status)) = (row.get_ref(0)?.as_str(), row.get_ref(1)?.as_str())
            else {
                continue;
            };
            let Some(&u) = self.units.get(code) else {
                continue;
            };
            let counts = &mut tally.units[u];
            if status != VisitStatus::Attended.as_str() {
                counts.visits_booked += 1;
                continue;
            }
            let present = u64::try_from(row.get::<_, Option<i64>>(2)?.unwrap_or(0)).unwrap_or(0);
            counts.visits += 1;
            counts.visitors += present;
            if let Some(m) = row
                .get_ref(3)?
                .as_str()
                .ok()
                .and_then(ymd)
                .and_then(|(y, m, _)| month_of(self.period, y, m))
                .and_then(|m| tally.months.get_mut(m))
            {
                m.visits += 1;
                m.visitors += present;
            }
        }
        Ok(())
    }

    /// Marks the units that asked during the period for a loan starting outside it
    /// (usually later): that makes them active. Only a unit with no request starting
    /// in the period and no report in it can still be a gap, so only those are
    /// looked up, each with one seek in `loans_unit_made`.
    fn mark_asked(&self, tally: &mut Tally) -> Result<(), StatsError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM loans INDEXED BY loans_unit_made
                             WHERE unit_code = ?1 AND created_at >= ?2 AND created_at < ?3)",
        )?;
        let (made_from, made_before) = &self.moment_bounds;
        for (code, &u) in self.units {
            let counts = &mut tally.units[u];
            if counts.requests == 0 && counts.reports == 0 {
                counts.asked =
                    stmt.query_row(params![code, made_from, made_before], |r| r.get(0))?;
            }
        }
        Ok(())
    }

    /// The unit and resource positions of a loan the first pass did not read.
    fn owner_of(&self, loan: i64) -> Result<Option<(usize, Option<usize>)>, StatsError> {
        let found: Option<(String, String)> = self
            .conn
            .prepare_cached("SELECT unit_code, resource_id FROM loans WHERE id = ?1")?
            .query_row([loan], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(found.and_then(|(code, resource)| {
            let u = *self.units.get(&code)?;
            Some((u, self.catalog.index.get(&resource)))
        }))
    }
}

/// Adds the sessions and their participants to their units and months.
fn count_sessions(period: &StatsPeriod, sessions: Sessions, tally: &mut Tally) {
    for ((u, (year, month, _)), (held, participants)) in sessions {
        let counts = &mut tally.units[u];
        counts.sessions += held;
        counts.participants += participants;
        if let Some(m) = month_of(period, year, month).and_then(|m| tally.months.get_mut(m)) {
            m.sessions += held;
            m.participants += participants;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lent_states_are_the_approved_ones() {
        for status in LoanStatus::ALL {
            let lent = LENT.contains(&status);
            let never_approved = matches!(
                status,
                LoanStatus::Requested
                    | LoanStatus::Rejected
                    | LoanStatus::Cancelled
                    | LoanStatus::Waitlisted
            );
            assert_ne!(lent, never_approved, "{status:?}");
        }
    }

    #[test]
    fn every_kind_but_bases_is_lent() {
        for kind in Kind::ALL {
            assert_eq!(LENT_KINDS.contains(&kind), kind != Kind::Base, "{kind:?}");
        }
        assert_eq!(kind_index("base"), LENT_KINDS.len());
        assert_eq!(kind_index("case"), 1);
    }

    #[test]
    fn seated_visit_states_are_the_ones_holding_seats() {
        for status in VisitStatus::ALL {
            assert_eq!(SEATED.contains(&status), status.holds_seats(), "{status:?}");
        }
    }

    #[test]
    fn months_are_counted_from_the_period_start() {
        let period = StatsPeriod::parse(
            Some("2025-11-15"),
            Some("2026-02-01"),
            jiff::civil::date(2026, 1, 1),
        )
        .unwrap();
        assert_eq!(month_of(&period, 2025, 11), Some(0));
        assert_eq!(month_of(&period, 2026, 2), Some(3));
        assert_eq!(month_of(&period, 2025, 10), None);
        assert_eq!(ymd("2026-03-09"), Some((2026, 3, 9)));
        assert_eq!(ymd("2026-3-9"), None);
    }
}
