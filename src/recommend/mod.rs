//! "For your unit" (用身边事教育身边人): published resources recommended to a unit —
//! its own sector's cases first, then material from its region, then what similar
//! units (same sector) borrowed and reported on — leaving out what the unit has
//! already borrowed; and the optional "my sector first" ordering of search results
//! ([`sector_first`]). No HTTP here.

mod error;
mod region;
mod search;

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::catalog::Kind;

pub use error::RecommendError;
pub use region::{DEFAULT_REGION, same_region};
pub use search::sector_first;

/// How many recommendations the home page shows.
pub const DEFAULT_LIMIT: usize = 6;
/// The most one request may ask for.
pub const MAX_LIMIT: usize = 50;

/// Why a resource is recommended; the first that applies decides its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// It is labelled with the unit's sector.
    SameSector,
    /// It comes from the unit's region (its province or a place in it).
    SameRegion,
    /// Units of the same sector borrowed it (and reported sessions with it).
    PeersUsed,
}

impl Reason {
    /// The short Chinese reason shown next to the resource.
    pub fn label(self, kind: &str) -> &'static str {
        match self {
            Reason::SameSector if kind == Kind::Textbook.as_str() => "同行业教材",
            Reason::SameSector => "同行业案例",
            Reason::SameRegion => "同地区",
            Reason::PeersUsed => "同类单位常用",
        }
    }
}

/// One recommended resource.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Recommendation {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub kind_label: &'static str,
    pub year: Option<i32>,
    pub sectors: Vec<String>,
    pub region: String,
    pub access: String,
    /// Every reason that applies, the deciding one first.
    pub reasons: Vec<Reason>,
    /// The reasons as short Chinese labels (同行业案例, 同地区, 同类单位常用).
    pub reason_labels: Vec<&'static str>,
    /// One sentence of detail, e.g. "适用于税务行业 · 昆明市 · 2 个同类单位借阅过".
    pub detail: String,
}

/// A published resource as a candidate.
struct Candidate {
    id: String,
    kind: String,
    title: String,
    region: String,
    year: Option<i32>,
    date: String,
    access: String,
    sectors: Vec<String>,
}

/// How units of the same sector used a resource.
#[derive(Default, Clone, Copy)]
struct PeerUse {
    units: u64,
    reports: u64,
    participants: u64,
}

/// What the recommendations need to know about the unit.
struct UnitProfile {
    sector: String,
    region: String,
}

fn unit_profile(conn: &Connection, unit: &str) -> Result<UnitProfile, RecommendError> {
    conn.query_row(
        "SELECT sector, region FROM units WHERE code = ?1",
        [unit],
        |row| {
            Ok(UnitProfile {
                sector: row.get::<_, String>(0)?.trim().to_owned(),
                region: row.get::<_, String>(1)?.trim().to_owned(),
            })
        },
    )
    .optional()?
    .ok_or_else(|| RecommendError::UnknownUnit(unit.to_owned()))
}

/// The published resources shared with `unit` of `sector` (SPEC §9): the committee's
/// own, contributions shared with every unit or with the unit's sector, and the
/// unit's own.
const SHARED_WITH_UNIT: &str =
    "(r.contributed_by IS NULL OR r.share = 'all' OR r.contributed_by = ?1
      OR (r.share = 'sector' AND ?2 != ''
          AND (SELECT u.sector FROM units u WHERE u.code = r.contributed_by) = ?2))";

fn candidates(
    conn: &Connection,
    unit: &str,
    sector: &str,
) -> Result<Vec<Candidate>, RecommendError> {
    let mut sectors: HashMap<String, Vec<String>> = HashMap::new();
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT l.resource_id, l.value FROM resource_labels l
         JOIN resources r ON r.id = l.resource_id
         WHERE l.facet = 'sector' AND r.status = 'published' AND {SHARED_WITH_UNIT}
         ORDER BY l.resource_id, l.position"
    ))?;
    let mut rows = stmt.query([unit, sector])?;
    while let Some(row) = rows.next()? {
        sectors.entry(row.get(0)?).or_default().push(row.get(1)?);
    }
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT r.id, r.kind, r.title, r.region, r.year, coalesce(r.date, ''), r.access
         FROM resources r WHERE r.status = 'published' AND {SHARED_WITH_UNIT}"
    ))?;
    let found = stmt
        .query_map([unit, sector], |row| {
            Ok(Candidate {
                id: row.get(0)?,
                kind: row.get(1)?,
                title: row.get(2)?,
                region: row.get(3)?,
                year: row.get(4)?,
                date: row.get(5)?,
                access: row.get(6)?,
                sectors: Vec::new(),
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found
        .into_iter()
        .map(|mut c| {
            c.sectors = sectors.remove(&c.id).unwrap_or_default();
            c
        })
        .collect())
}

/// Resources the unit has borrowed or asked for (anything but a refused or
/// withdrawn request): those are not recommended again.
fn already_borrowed(conn: &Connection, unit: &str) -> Result<HashSet<String>, RecommendError> {
    let mut stmt = conn.prepare_cached(
        "SELECT DISTINCT resource_id FROM loans
         WHERE unit_code = ?1 AND status NOT IN ('rejected', 'cancelled')",
    )?;
    let ids = stmt
        .query_map([unit], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

/// What the other units of `sector` borrowed (approved loans of any time) and how
/// many sessions they reported with it.
fn peer_use(
    conn: &Connection,
    unit: &str,
    sector: &str,
) -> Result<HashMap<String, PeerUse>, RecommendError> {
    // CROSS JOIN keeps SQLite from starting at the loans: a sector has a few units,
    // whose loans the unit index finds, where the status index would walk every lent
    // loan of the library (stats_bench, 100,000 loans: 102 ms before, 9 ms this way).
    let mut stmt = conn.prepare_cached(
        "SELECT l.resource_id, count(DISTINCT l.unit_code), count(r.loan_id),
                coalesce(sum(r.participants), 0)
         FROM units u
         CROSS JOIN loans l ON l.unit_code = u.code
         LEFT JOIN loan_reports r ON r.loan_id = l.id
         WHERE u.sector = ?1 AND u.code != ?2
           AND l.status IN ('approved', 'active', 'returned', 'expired', 'overdue')
         GROUP BY l.resource_id",
    )?;
    let mut rows = stmt.query(params![sector, unit])?;
    let mut used = HashMap::new();
    while let Some(row) = rows.next()? {
        let number = |i: usize| -> rusqlite::Result<u64> {
            Ok(u64::try_from(row.get::<_, i64>(i)?).unwrap_or(0))
        };
        used.insert(
            row.get(0)?,
            PeerUse {
                units: number(1)?,
                reports: number(2)?,
                participants: number(3)?,
            },
        );
    }
    Ok(used)
}

/// Up to `limit` recommendations for `unit`, best first, leaving out `exclude` (the
/// resource being viewed) and what the unit already borrowed. A unit without a
/// sector gets region and peer reasons only.
pub fn for_unit(
    conn: &Connection,
    unit: &str,
    limit: usize,
    exclude: Option<&str>,
) -> Result<Vec<Recommendation>, RecommendError> {
    let profile = unit_profile(conn, unit)?;
    let region = if profile.region.is_empty() {
        DEFAULT_REGION
    } else {
        profile.region.as_str()
    };
    let borrowed = already_borrowed(conn, unit)?;
    let peers = if profile.sector.is_empty() {
        HashMap::new()
    } else {
        peer_use(conn, unit, &profile.sector)?
    };

    let mut ranked: Vec<(Candidate, Vec<Reason>, PeerUse)> =
        candidates(conn, unit, &profile.sector)?
            .into_iter()
            .filter(|c| !borrowed.contains(&c.id) && Some(c.id.as_str()) != exclude)
            .filter_map(|c| {
                let peer = peers.get(&c.id).copied().unwrap_or_default();
                let mut reasons = Vec::new();
                if !profile.sector.is_empty() && c.sectors.iter().any(|s| s == &profile.sector) {
                    reasons.push(Reason::SameSector);
                }
                if same_region(region, &c.region) {
                    reasons.push(Reason::SameRegion);
                }
                if peer.units > 0 {
                    reasons.push(Reason::PeersUsed);
                }
                (!reasons.is_empty()).then_some((c, reasons, peer))
            })
            .collect();
    ranked.sort_by(|(a, ra, pa), (b, rb, pb)| {
        ra[0]
            .cmp(&rb[0])
            // What peers used and reported on most, first.
            .then_with(|| pb.units.cmp(&pa.units))
            .then_with(|| pb.reports.cmp(&pa.reports))
            .then_with(|| pb.participants.cmp(&pa.participants))
            // A case about this sector alone before material for many sectors.
            .then_with(|| a.sectors.len().cmp(&b.sectors.len()))
            .then_with(|| b.date.cmp(&a.date))
            .then_with(|| a.title.cmp(&b.title))
    });
    ranked.truncate(limit.min(MAX_LIMIT));
    Ok(ranked
        .into_iter()
        .map(|(c, reasons, peer)| {
            let mut detail = Vec::new();
            if reasons.contains(&Reason::SameSector) {
                detail.push(format!("适用于{}行业", profile.sector));
            }
            if reasons.contains(&Reason::SameRegion) {
                detail.push(c.region.clone());
            }
            if reasons.contains(&Reason::PeersUsed) {
                let mut used = format!("{} 个同类单位借阅过", peer.units);
                if peer.reports > 0 {
                    used.push_str(&format!(
                        "，{} 次使用报告共 {} 人次",
                        peer.reports, peer.participants
                    ));
                }
                detail.push(used);
            }
            Recommendation {
                kind_label: Kind::parse(&c.kind).map(Kind::label).unwrap_or("其他"),
                reason_labels: reasons.iter().map(|r| r.label(&c.kind)).collect(),
                reasons,
                detail: detail.join(" · "),
                id: c.id,
                title: c.title,
                kind: c.kind,
                year: c.year,
                sectors: c.sectors,
                region: c.region,
                access: c.access,
            }
        })
        .collect())
}
