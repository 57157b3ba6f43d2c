//! Propose a schedule (一键排期, SPEC §8): given a base's sessions and its pending visit
//! requests, choose for each request one of the sessions it named, or none. Pure: the
//! caller loads the data and applies (or edits) the proposal.
//!
//! What is best is a lexicographic order, highest goal first: (1) as many requests as
//! possible get a session; (2) as few as possible of the requests whose sector a trial
//! session (庭审旁听) calls first go without a seat, so "first call" holds even when a
//! non-sector unit could have taken the seat at a better rank; (3) the smallest sum of
//! preference ranks; (4) when there is still a choice, the set of requests served is the
//! one that serves units with fewer visits this year (then the earlier request) first.
//! Goal 4 is a lexicographic order on who is served, not a weight, so no number of
//! lower-priority units outweighs one higher-priority unit.
//!
//! Why this method: the problem is a multiple-knapsack with side rules (sharing, one
//! visit a day per unit), NP-hard in general, but real weeks are small and loosely
//! coupled. So the requests are first split into independent components: two requests
//! are linked only through a session that cannot take everyone who named it, or through
//! a day on which one unit has two requests that could land. A session that can take all
//! its askers never constrains anyone, and because every goal above is a sum or a
//! lexicographic order over disjoint requests, the best for each component together is
//! the best overall. Each component then gets an exact branch-and-bound (requests in
//! priority order, preferences in rank order, bounded by a matching of the requests that
//! still fit into the sessions' remaining room, each at its best rank), which proves
//! optimality on ordinary weeks. A
//! component so tangled that the search exceeds its node budget keeps the best found —
//! never worse than the greedy first descent — and is polished by local moves (a better
//! rank, or seating a waiting request by moving one blocking group elsewhere), so the
//! running time stays bounded whatever the input. Everything iterates in index order,
//! so the same input always gives the same proposal.

mod search;
#[cfg(test)]
mod tests;

use std::collections::HashMap;

use jiff::civil::Date;

/// A session a request may be given, with what it already holds.
#[derive(Debug, Clone)]
pub struct SessionSlot {
    pub id: i64,
    pub date: Date,
    pub capacity: u32,
    /// seats already held by scheduled/confirmed/attended visits on it
    pub held: Vec<Holding>,
    /// a one-off trial session (庭审旁听): its seats may be shared out partially
    pub trial: bool,
    /// sectors given first call on a trial's seats
    pub sectors: Vec<String>,
}

/// A group already on a session.
#[derive(Debug, Clone)]
pub struct Holding {
    pub unit: String,
    pub headcount: u32,
    pub share: bool,
}

/// A request waiting for a session.
#[derive(Debug, Clone)]
pub struct Pending {
    pub visit_id: i64,
    pub unit: String,
    pub sector: String,
    pub headcount: u32,
    pub share: bool,
    /// session ids in order of preference (1..=3)
    pub preferences: Vec<i64>,
    pub visits_this_year: u32,
    /// sessions on dates before this are too soon (the base's lead time)
    pub earliest: Date,
    /// days on which the unit already holds a visit (any base)
    pub busy_days: Vec<Date>,
    /// arrival order tie-break
    pub requested_at: String,
}

/// One request given one session.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Assignment {
    pub visit_id: i64,
    pub session_id: i64,
    /// seats given (== headcount except on trial sessions)
    pub seats: u32,
}

/// The proposal: assignments and the requests left waiting, each ordered by visit id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Proposal {
    pub assignments: Vec<Assignment>,
    pub unassigned: Vec<i64>,
}

/// Search nodes one component may visit before it settles for local improvement. Weeks
/// of ordinary demand are proved in a few thousand nodes; this caps a tangled component
/// at some milliseconds, so a year of bases stays well under a second.
const NODE_BUDGET: u64 = 20_000;

/// Proposes a schedule for `pending` over `sessions` (see the module comment for what
/// "best" means). Preferences naming an unknown session, a session before `earliest`,
/// or one on a busy day are ignored.
#[must_use]
pub fn propose(sessions: &[SessionSlot], pending: &[Pending]) -> Proposal {
    propose_within(sessions, pending, NODE_BUDGET)
}

fn propose_within(sessions: &[SessionSlot], pending: &[Pending], budget: u64) -> Proposal {
    let problem = Problem::new(sessions, pending);
    let mut state = State::new(&problem);
    let mut picks = vec![None; problem.requests.len()];
    for members in problem.components() {
        let chosen = search::solve(&problem, &members, &mut state, budget);
        for (&r, choice) in members.iter().zip(chosen) {
            picks[r] = choice;
        }
    }
    problem.proposal(&picks)
}

/// A session as the search sees it.
struct Slot<'a> {
    source: &'a SessionSlot,
    held_seats: u64,
    held_groups: u32,
    /// a held group does not share, so nobody else may join
    held_exclusive: bool,
}

/// One way to serve a request: a session it named, at a rank (0 = first choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Choice {
    slot: usize,
    rank: u32,
    /// the (unit, date) this would occupy
    day: usize,
}

struct Request<'a> {
    source: &'a Pending,
    /// the sessions it may have, best rank first, already past the static checks
    options: Vec<Choice>,
    /// it named a trial session that calls its sector first
    sector_claim: bool,
}

struct Problem<'a> {
    slots: Vec<Slot<'a>>,
    /// in priority order: fewer visits this year, then earlier request, then visit id
    requests: Vec<Request<'a>>,
    days: usize,
}

/// What the requests placed so far take from each session and day.
#[derive(Clone)]
struct State {
    seats: Vec<u64>,
    groups: Vec<u32>,
    exclusive: Vec<bool>,
    days: Vec<bool>,
}

impl State {
    fn new(problem: &Problem) -> Self {
        let n = problem.slots.len();
        Self {
            seats: vec![0; n],
            groups: vec![0; n],
            exclusive: vec![false; n],
            days: vec![false; problem.days],
        }
    }
}

impl<'a> Problem<'a> {
    fn new(sessions: &'a [SessionSlot], pending: &'a [Pending]) -> Self {
        let slots: Vec<Slot> = sessions
            .iter()
            .map(|s| Slot {
                source: s,
                held_seats: s.held.iter().map(|h| u64::from(h.headcount)).sum(),
                held_groups: u32::try_from(s.held.len()).unwrap_or(u32::MAX),
                held_exclusive: !s.trial && s.held.iter().any(|h| !h.share),
            })
            .collect();
        let by_id: HashMap<i64, usize> = sessions
            .iter()
            .enumerate()
            .map(|(i, s)| (s.id, i))
            .collect();
        let mut order: Vec<&Pending> = pending.iter().collect();
        order.sort_by(|a, b| {
            (a.visits_this_year, &a.requested_at, a.visit_id).cmp(&(
                b.visits_this_year,
                &b.requested_at,
                b.visit_id,
            ))
        });
        let mut days: HashMap<(&str, Date), usize> = HashMap::new();
        let mut requests = Vec::with_capacity(order.len());
        for p in order {
            let mut options: Vec<Choice> = Vec::new();
            for (rank, id) in p.preferences.iter().enumerate() {
                let Some(&slot) = by_id.get(id) else { continue };
                let s = &slots[slot];
                let date = s.source.date;
                if date < p.earliest
                    || p.busy_days.contains(&date)
                    || options.iter().any(|c| c.slot == slot)
                    || !Self::fits_alone(s, p)
                {
                    continue;
                }
                let next = days.len();
                let day = *days.entry((p.unit.as_str(), date)).or_insert(next);
                let rank = u32::try_from(rank).unwrap_or(u32::MAX);
                options.push(Choice { slot, rank, day });
            }
            let sector_claim = options.iter().any(|c| {
                let s = slots[c.slot].source;
                s.trial && s.sectors.contains(&p.sector)
            });
            requests.push(Request {
                source: p,
                options,
                sector_claim,
            });
        }
        Self {
            slots,
            requests,
            days: days.len(),
        }
    }

    /// Whether the request could have the session if no other request were placed.
    fn fits_alone(slot: &Slot, p: &Pending) -> bool {
        let capacity = u64::from(slot.source.capacity);
        if slot.source.trial {
            return slot.held_seats < capacity;
        }
        !slot.held_exclusive
            && (p.share || slot.held_groups == 0)
            && slot.held_seats + u64::from(p.headcount) <= capacity
    }

    /// Seats the request takes while searching: its group, or one seat on a trial
    /// (where the seats are shared out afterwards).
    fn need(&self, r: usize, c: Choice) -> u64 {
        if self.slots[c.slot].source.trial {
            1
        } else {
            u64::from(self.requests[r].source.headcount)
        }
    }

    fn fits(&self, state: &State, r: usize, c: Choice) -> bool {
        let slot = &self.slots[c.slot];
        if state.days[c.day] {
            return false;
        }
        let taken = slot.held_seats + state.seats[c.slot];
        let fits = taken + self.need(r, c) <= u64::from(slot.source.capacity);
        if slot.source.trial {
            return fits;
        }
        let alone = slot.held_groups + state.groups[c.slot] == 0;
        fits && !slot.held_exclusive
            && !state.exclusive[c.slot]
            && (self.requests[r].source.share || alone)
    }

    fn place(&self, state: &mut State, r: usize, c: Choice) {
        state.seats[c.slot] += self.need(r, c);
        state.groups[c.slot] += 1;
        state.days[c.day] = true;
        if !self.slots[c.slot].source.trial && !self.requests[r].source.share {
            state.exclusive[c.slot] = true;
        }
    }

    fn unplace(&self, state: &mut State, r: usize, c: Choice) {
        state.seats[c.slot] -= self.need(r, c);
        state.groups[c.slot] -= 1;
        state.days[c.day] = false;
        if !self.slots[c.slot].source.trial && !self.requests[r].source.share {
            // A non-sharing group was alone, so the session is open again.
            state.exclusive[c.slot] = false;
        }
    }

    /// Groups of request indices (each ascending, so in priority order) that constrain
    /// one another; see the module comment.
    fn components(&self) -> Vec<Vec<usize>> {
        let mut askers: Vec<Vec<usize>> = vec![Vec::new(); self.slots.len()];
        let mut day_askers: Vec<Vec<usize>> = vec![Vec::new(); self.days];
        for (r, request) in self.requests.iter().enumerate() {
            for c in &request.options {
                askers[c.slot].push(r);
                if day_askers[c.day].last() != Some(&r) {
                    day_askers[c.day].push(r);
                }
            }
        }
        let mut sets = DisjointSets::new(self.requests.len());
        for (slot, rs) in askers.iter().enumerate() {
            if !self.takes_all(slot, rs) {
                sets.join_all(rs);
            }
        }
        for rs in day_askers.iter().filter(|rs| rs.len() > 1) {
            sets.join_all(rs);
        }
        sets.groups()
    }

    /// Whether the session could take every request that named it at once; if so it
    /// never forces a choice (the rules only get easier for a subset).
    fn takes_all(&self, slot: usize, rs: &[usize]) -> bool {
        let s = &self.slots[slot];
        let capacity = u64::from(s.source.capacity);
        let count = u64::try_from(rs.len()).unwrap_or(u64::MAX);
        if s.source.trial {
            return s.held_seats + count <= capacity;
        }
        let seats: u64 = rs
            .iter()
            .map(|&r| u64::from(self.requests[r].source.headcount))
            .sum();
        let groups = u64::from(s.held_groups) + count;
        let all_share = rs.iter().all(|&r| self.requests[r].source.share);
        s.held_seats + seats <= capacity && !s.held_exclusive && (all_share || groups <= 1)
    }

    fn proposal(&self, picks: &[Option<Choice>]) -> Proposal {
        let mut on_slot: Vec<Vec<usize>> = vec![Vec::new(); self.slots.len()];
        let mut unassigned = Vec::new();
        for (r, pick) in picks.iter().enumerate() {
            match pick {
                Some(c) => on_slot[c.slot].push(r),
                None => unassigned.push(self.requests[r].source.visit_id),
            }
        }
        let mut assignments = Vec::new();
        for (slot, rs) in on_slot.iter().enumerate() {
            let s = &self.slots[slot];
            let seats: Vec<u32> = if s.source.trial {
                let available = u64::from(s.source.capacity).saturating_sub(s.held_seats);
                let askers: Vec<(u32, bool)> = rs
                    .iter()
                    .map(|&r| {
                        let p = self.requests[r].source;
                        (p.headcount.max(1), s.source.sectors.contains(&p.sector))
                    })
                    .collect();
                trial_seats(u32::try_from(available).unwrap_or(u32::MAX), &askers)
            } else {
                rs.iter()
                    .map(|&r| self.requests[r].source.headcount)
                    .collect()
            };
            for (&r, seats) in rs.iter().zip(seats) {
                let visit_id = self.requests[r].source.visit_id;
                assignments.push(Assignment {
                    visit_id,
                    session_id: s.source.id,
                    seats,
                });
            }
        }
        assignments.sort_by_key(|a| a.visit_id);
        unassigned.sort_unstable();
        Proposal {
            assignments,
            unassigned,
        }
    }
}

/// Shares a trial's `available` seats among the groups placed on it, given in priority
/// order as (headcount, sector called first). The search placed at most `available`
/// groups, so each gets one seat; then the called sectors fill up in priority order,
/// then the rest is shared evenly (leftover seats one by one in priority order).
fn trial_seats(available: u32, askers: &[(u32, bool)]) -> Vec<u32> {
    let total: u64 = askers.iter().map(|&(h, _)| u64::from(h)).sum();
    if total <= u64::from(available) {
        return askers.iter().map(|&(h, _)| h).collect();
    }
    let mut seats = vec![1; askers.len()];
    let mut left = available.saturating_sub(u32::try_from(askers.len()).unwrap_or(u32::MAX));
    for (i, &(h, called)) in askers.iter().enumerate() {
        if called {
            let more = (h - 1).min(left);
            seats[i] += more;
            left -= more;
        }
    }
    loop {
        let wanting: Vec<usize> = (0..askers.len())
            .filter(|&i| !askers[i].1 && seats[i] < askers[i].0)
            .collect();
        if left == 0 || wanting.is_empty() {
            return seats;
        }
        let each = left / u32::try_from(wanting.len()).unwrap_or(u32::MAX);
        for &i in &wanting {
            let more = if each == 0 {
                1
            } else {
                each.min(askers[i].0 - seats[i])
            };
            seats[i] += more;
            left -= more;
            if left == 0 {
                break;
            }
        }
    }
}

/// Union-find over request indices.
struct DisjointSets {
    parent: Vec<usize>,
}

impl DisjointSets {
    fn new(n: usize) -> Self {
        Self {
            parent: (0..n).collect(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn join_all(&mut self, members: &[usize]) {
        if let Some((&first, rest)) = members.split_first() {
            for &m in rest {
                let (a, b) = (self.root(first), self.root(m));
                // The smaller index stays the root, which keeps the grouping stable.
                self.parent[a.max(b)] = a.min(b);
            }
        }
    }

    /// The sets, each ascending, ordered by their smallest member.
    fn groups(mut self) -> Vec<Vec<usize>> {
        let mut by_root: Vec<Vec<usize>> = vec![Vec::new(); self.parent.len()];
        for i in 0..self.parent.len() {
            let root = self.root(i);
            by_root[root].push(i);
        }
        by_root.into_iter().filter(|g| !g.is_empty()).collect()
    }
}
