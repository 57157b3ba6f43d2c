//! "For your unit" (用身边事教育身边人): published resources recommended to a unit —
//! its own sector's cases first, then material from its region, then what similar
//! units (same sector) borrowed and reported on — leaving out what the unit has
//! already borrowed; and the optional "my sector first" ordering of search results
//! ([`sector_first`]). No HTTP here.

mod error;
mod region;
mod search;

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, OptionalExtension};
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
    /// How many sectors it is labelled with (its `sectors` may be filled in later).
    sector_count: usize,
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
        .query_map([unit, sector], |row| candidate_of_row(row, Vec::new(), 0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found
        .into_iter()
        .map(|mut c| {
            c.sectors = sectors.remove(&c.id).unwrap_or_default();
            c.sector_count = c.sectors.len();
            c
        })
        .collect())
}

/// Resources the unit has borrowed or asked for (anything but a refused or
/// withdrawn request): those are not recommended again. From the unit's use table
/// (migration 017), one row per resource rather than per loan.
fn already_borrowed(conn: &Connection, unit: &str) -> Result<HashSet<String>, RecommendError> {
    let mut stmt = conn.prepare_cached(
        "SELECT resource_id FROM resource_use WHERE unit_code = ?1 AND asked > 0",
    )?;
    let ids = stmt
        .query_map([unit], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    Ok(ids)
}

fn peer_use_of_row(row: &rusqlite::Row<'_>, first: usize) -> rusqlite::Result<PeerUse> {
    let number = |i: usize| -> rusqlite::Result<u64> {
        Ok(u64::try_from(row.get::<_, i64>(first + i)?).unwrap_or(0))
    };
    Ok(PeerUse {
        units: number(0)?,
        reports: number(1)?,
        participants: number(2)?,
    })
}

/// What the units of `sector` lent (in any state since approval) and how many sessions
/// they reported with it. The asking unit's own use needs no subtracting: whatever it
/// used, it asked for, and that is never recommended to it.
fn peer_use(conn: &Connection, sector: &str) -> Result<HashMap<String, PeerUse>, RecommendError> {
    let mut stmt = conn.prepare_cached(
        "SELECT resource_id, units, reports, participants FROM sector_use
         WHERE sector = ?1 AND units > 0",
    )?;
    let mut rows = stmt.query([sector])?;
    let mut used = HashMap::new();
    while let Some(row) = rows.next()? {
        used.insert(row.get(0)?, peer_use_of_row(row, 1)?);
    }
    Ok(used)
}

/// A row of the same-sector statements: the candidate (columns 0–6), its sector's use
/// (7–9) and how many sectors it is labelled with (10).
fn same_sector_row(
    row: &rusqlite::Row<'_>,
    sector: &str,
) -> rusqlite::Result<(Candidate, PeerUse)> {
    // The sectors are known to include the unit's; the whole list is read for the few
    // that are shown (`fill_sectors`).
    let sector_count = usize::try_from(row.get::<_, i64>(10)?).unwrap_or(0);
    Ok((
        candidate_of_row(row, vec![sector.to_owned()], sector_count)?,
        peer_use_of_row(row, 7)?,
    ))
}

/// A candidate from columns 0–6: id, kind, title, region, year, date, access.
fn candidate_of_row(
    row: &rusqlite::Row<'_>,
    sectors: Vec<String>,
    sector_count: usize,
) -> rusqlite::Result<Candidate> {
    Ok(Candidate {
        id: row.get(0)?,
        kind: row.get(1)?,
        title: row.get(2)?,
        region: row.get(3)?,
        year: row.get(4)?,
        date: row.get(5)?,
        access: row.get(6)?,
        sectors,
        sector_count,
    })
}

/// The published resources labelled with the unit's sector that it may see and has
/// not asked for, each with its sector's use: the first tier of the ranking, found
/// through the label index, as many as the catalogue has for one sector.
fn same_sector_candidates(
    conn: &Connection,
    unit: &str,
    sector: &str,
) -> Result<Vec<(Candidate, PeerUse)>, RecommendError> {
    let mut stmt = conn.prepare_cached(&format!(
        // CROSS JOIN: from the sector's labels to their resources, never the other way.
        "SELECT r.id, r.kind, r.title, r.region, r.year, coalesce(r.date, ''), r.access,
                coalesce(s.units, 0), coalesce(s.reports, 0), coalesce(s.participants, 0),
                (SELECT count(*) FROM resource_labels x
                  WHERE x.resource_id = r.id AND x.facet = 'sector')
         FROM resource_labels l
         CROSS JOIN resources r ON r.id = l.resource_id
         LEFT JOIN sector_use s ON s.sector = ?2 AND s.resource_id = r.id
         WHERE l.facet = 'sector' AND l.value = ?2 AND r.status = 'published'
           AND {SHARED_WITH_UNIT}
           AND NOT EXISTS (SELECT 1 FROM resource_use b
                           WHERE b.unit_code = ?1 AND b.resource_id = r.id AND b.asked > 0)"
    ))?;
    let found = stmt
        .query_map([unit, sector], |row| same_sector_row(row, sector))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found)
}

/// The first `limit` resources of [`same_sector_candidates`] that the sector's units
/// used, in rank order: walked from the top of the sector's use ranking
/// (`sector_use_rank`, migration 018), so the cost is what is shown plus what the unit
/// already asked for, not the size of the sector's shelf. Used material outranks
/// unused, so when this finds `limit` the list is complete.
fn top_used_same_sector(
    conn: &Connection,
    unit: &str,
    sector: &str,
    exclude: Option<&str>,
    limit: usize,
) -> Result<Vec<(Candidate, PeerUse)>, RecommendError> {
    let mut stmt = conn.prepare_cached(&format!(
        // CROSS JOIN: from the ranking to the resources, never the other way.
        "SELECT r.id, r.kind, r.title, r.region, r.year, coalesce(r.date, '') AS day, r.access,
                s.units, s.reports, s.participants,
                (SELECT count(*) FROM resource_labels x
                  WHERE x.resource_id = r.id AND x.facet = 'sector') AS sector_count
         FROM sector_use s INDEXED BY sector_use_rank
         CROSS JOIN resources r ON r.id = s.resource_id
         WHERE s.sector = ?2 AND s.units > 0 AND s.labelled = 1
           AND r.status = 'published' AND r.id IS NOT ?3
           AND {SHARED_WITH_UNIT}
           AND NOT EXISTS (SELECT 1 FROM resource_use b
                           WHERE b.unit_code = ?1 AND b.resource_id = r.id AND b.asked > 0)
         ORDER BY s.units DESC, s.reports DESC, s.participants DESC,
                  sector_count, day DESC, r.title
         LIMIT ?4"
    ))?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let found = stmt
        .query_map(rusqlite::params![unit, sector, exclude, limit], |row| {
            same_sector_row(row, sector)
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(found)
}

/// The sector labels of the resources to be shown, in order of entry.
fn fill_sectors(conn: &Connection, ranked: &mut [Ranked]) -> Result<(), RecommendError> {
    let mut stmt = conn.prepare_cached(
        "SELECT value FROM resource_labels WHERE resource_id = ?1 AND facet = 'sector'
         ORDER BY position",
    )?;
    for (candidate, ..) in ranked {
        candidate.sectors = stmt
            .query_map([&candidate.id], |row| row.get(0))?
            .collect::<Result<_, _>>()?;
    }
    Ok(())
}

type Ranked = (Candidate, Vec<Reason>, PeerUse);

/// The deciding reason first, then what peers used and reported on most, then a case
/// about this sector alone before material for many sectors, the newest first.
fn by_rank((a, ra, pa): &Ranked, (b, rb, pb): &Ranked) -> std::cmp::Ordering {
    ra[0]
        .cmp(&rb[0])
        .then_with(|| pb.units.cmp(&pa.units))
        .then_with(|| pb.reports.cmp(&pa.reports))
        .then_with(|| pb.participants.cmp(&pa.participants))
        .then_with(|| a.sector_count.cmp(&b.sector_count))
        .then_with(|| b.date.cmp(&a.date))
        .then_with(|| a.title.cmp(&b.title))
}

/// Why `candidate` is recommended to a unit of `profile` in `region`, deciding reason
/// first; None when nothing recommends it.
fn with_reasons(
    candidate: Candidate,
    peer: PeerUse,
    profile: &UnitProfile,
    region: &str,
) -> Option<Ranked> {
    let mut reasons = Vec::new();
    if !profile.sector.is_empty() && candidate.sectors.iter().any(|s| s == &profile.sector) {
        reasons.push(Reason::SameSector);
    }
    if same_region(region, &candidate.region) {
        reasons.push(Reason::SameRegion);
    }
    if peer.units > 0 {
        reasons.push(Reason::PeersUsed);
    }
    (!reasons.is_empty()).then_some((candidate, reasons, peer))
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
    recommend(conn, unit, limit, exclude, true)
}

/// [`for_unit`] the long way, over the whole catalogue: what the short way must agree with.
#[cfg(test)]
fn rank_whole_catalogue(
    conn: &Connection,
    unit: &str,
    limit: usize,
    exclude: Option<&str>,
) -> Result<Vec<Recommendation>, RecommendError> {
    recommend(conn, unit, limit, exclude, false)
}

fn recommend(
    conn: &Connection,
    unit: &str,
    limit: usize,
    exclude: Option<&str>,
    short_way: bool,
) -> Result<Vec<Recommendation>, RecommendError> {
    let profile = unit_profile(conn, unit)?;
    let region = if profile.region.is_empty() {
        DEFAULT_REGION
    } else {
        profile.region.as_str()
    };
    let limit = limit.min(MAX_LIMIT);
    let unwanted = |c: &Candidate| Some(c.id.as_str()) == exclude;
    // Same-sector material ranks first, so when the sector has enough of it the rest
    // of the catalogue need not be read (a national catalogue: thousands of rows
    // instead of every resource and every loan of the sector); and of that, what the
    // sector's units used ranks first, so when enough of it is left only its top
    // needs reading.
    let mut ranked = Vec::new();
    let mut enough = false;
    if short_way && !profile.sector.is_empty() {
        let mut same_sector = top_used_same_sector(conn, unit, &profile.sector, exclude, limit)?;
        if same_sector.len() < limit {
            same_sector = same_sector_candidates(conn, unit, &profile.sector)?;
        }
        enough = same_sector.iter().filter(|(c, _)| !unwanted(c)).count() >= limit;
        if enough {
            ranked = same_sector
                .into_iter()
                .filter(|(c, _)| !unwanted(c))
                .filter_map(|(c, peer)| with_reasons(c, peer, &profile, region))
                .collect();
        }
    }
    if !enough {
        let borrowed = already_borrowed(conn, unit)?;
        let peers = if profile.sector.is_empty() {
            HashMap::new()
        } else {
            peer_use(conn, &profile.sector)?
        };
        ranked = candidates(conn, unit, &profile.sector)?
            .into_iter()
            .filter(|c| !borrowed.contains(&c.id) && !unwanted(c))
            .filter_map(|c| {
                let peer = peers.get(&c.id).copied().unwrap_or_default();
                with_reasons(c, peer, &profile, region)
            })
            .collect();
    }
    ranked.sort_by(by_rank);
    ranked.truncate(limit);
    if enough {
        fill_sectors(conn, &mut ranked)?;
    }
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

#[cfg(test)]
mod tests;
