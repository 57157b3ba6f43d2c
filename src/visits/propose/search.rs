//! The search for one component: greedy first descent, exact branch-and-bound within a
//! node budget, and local improvement when the budget ran out before the proof.

use std::cmp::Ordering;

use super::{Choice, Problem, State};

/// Rounds of local improvement after an unfinished search; each round that improves
/// nothing ends it early.
const ROUNDS: usize = 20;

/// A component's picks (one per member, in member order), placed into `state` on return.
pub(super) fn solve(
    problem: &Problem,
    members: &[usize],
    state: &mut State,
    budget: u64,
) -> Vec<Option<Choice>> {
    let greedy = greedy(problem, members, state);
    let best_score = score(problem, members, &greedy);
    let mut search = Bnb {
        problem,
        members,
        picks: vec![None; members.len()],
        best: greedy,
        best_score,
        feasible: vec![false; members.len()],
        fit: vec![Vec::new(); members.len()],
        room: vec![0; problem.slots.len()],
        on: vec![Vec::new(); problem.slots.len()],
        nodes: 0,
        budget,
    };
    search.descend(state, 0, 0, 0, 0);
    let finished = search.nodes < budget;
    let mut picks = search.best;
    for (&r, pick) in members.iter().zip(&picks) {
        if let Some(c) = pick {
            problem.place(state, r, *c);
        }
    }
    if !finished {
        improve(problem, members, state, &mut picks);
    }
    picks
}

/// Each member in priority order takes its best-ranked session that still fits. The
/// state is left as it was.
fn greedy(problem: &Problem, members: &[usize], state: &mut State) -> Vec<Option<Choice>> {
    let picks: Vec<Option<Choice>> = members
        .iter()
        .map(|&r| {
            let c = problem.requests[r]
                .options
                .iter()
                .copied()
                .find(|&c| problem.fits(state, r, c))?;
            problem.place(state, r, c);
            Some(c)
        })
        .collect();
    for (&r, pick) in members.iter().zip(&picks) {
        if let Some(c) = pick {
            problem.unplace(state, r, *c);
        }
    }
    picks
}

/// The goals of the module comment, compared best-is-greatest.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Score {
    count: u32,
    /// sector-called trial askers left without a seat
    missed: u32,
    rank: u32,
    /// per member in priority order; lexicographically greater serves earlier ones
    served: Vec<bool>,
}

impl Ord for Score {
    fn cmp(&self, other: &Self) -> Ordering {
        self.count
            .cmp(&other.count)
            .then(other.missed.cmp(&self.missed))
            .then(other.rank.cmp(&self.rank))
            .then_with(|| self.served.cmp(&other.served))
    }
}

impl PartialOrd for Score {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn score(problem: &Problem, members: &[usize], picks: &[Option<Choice>]) -> Score {
    let mut s = Score {
        count: 0,
        missed: 0,
        rank: 0,
        served: Vec::with_capacity(picks.len()),
    };
    for (&r, pick) in members.iter().zip(picks) {
        match pick {
            Some(c) => {
                s.count += 1;
                s.rank += c.rank;
            }
            None => s.missed += u32::from(problem.requests[r].sector_claim),
        }
        s.served.push(pick.is_some());
    }
    s
}

struct Bnb<'p, 'a> {
    problem: &'p Problem<'a>,
    members: &'p [usize],
    picks: Vec<Option<Choice>>,
    best: Vec<Option<Choice>>,
    best_score: Score,
    /// scratch for the bound: whether each undecided member still has a fitting
    /// session, which sessions, and the matching of members to sessions
    feasible: Vec<bool>,
    fit: Vec<Vec<usize>>,
    room: Vec<usize>,
    on: Vec<Vec<usize>>,
    nodes: u64,
    budget: u64,
}

impl Bnb<'_, '_> {
    fn descend(&mut self, state: &mut State, depth: usize, count: u32, missed: u32, rank: u32) {
        if self.nodes >= self.budget {
            return;
        }
        self.nodes += 1;
        if !self.promising(state, depth, count, missed, rank) {
            return;
        }
        let problem = self.problem;
        let Some(&r) = self.members.get(depth) else {
            // A leaf that passed the bound is strictly better than the best so far.
            self.best.clone_from(&self.picks);
            self.best_score = score(problem, self.members, &self.picks);
            return;
        };
        for &c in &problem.requests[r].options {
            if problem.fits(state, r, c) {
                problem.place(state, r, c);
                self.picks[depth] = Some(c);
                self.descend(state, depth + 1, count + 1, missed, rank + c.rank);
                problem.unplace(state, r, c);
            }
        }
        self.picks[depth] = None;
        let claim = u32::from(problem.requests[r].sector_claim);
        self.descend(state, depth + 1, count, missed + claim, rank);
    }

    /// Whether some completion of this node could beat the best. The bound: the
    /// undecided members that still have a fitting session, as many of them as a
    /// matching into those sessions allows (each session taking at most the groups
    /// that could still fit there side by side), each at its best rank. Sessions only
    /// fill up further down, so no completion serves more; one that serves as many
    /// misses at least the called sectors beyond the matching, ranks no better, and
    /// serves no earlier members than the first `matched` that fit.
    fn promising(
        &mut self,
        state: &State,
        depth: usize,
        count: u32,
        missed: u32,
        rank: u32,
    ) -> bool {
        let (mut missed, mut ranks, mut claims) = (missed, Vec::new(), 0);
        for i in depth..self.members.len() {
            let r = self.members[i];
            let request = &self.problem.requests[r];
            self.fit[i].clear();
            for &c in &request.options {
                if self.problem.fits(state, r, c) {
                    if self.fit[i].is_empty() {
                        ranks.push(c.rank);
                    }
                    self.fit[i].push(c.slot);
                }
            }
            self.feasible[i] = !self.fit[i].is_empty();
            let claim = u32::from(request.sector_claim);
            if self.feasible[i] {
                claims += claim
            } else {
                missed += claim
            }
        }
        // The cheap bound (every fitting member served) first; the matching only when
        // that does not already rule the node out.
        ranks.sort_unstable();
        let all = ranks.len();
        if !self.beats(depth, count, missed, rank, claims, &ranks, all) {
            return false;
        }
        let matched = self.matching(state, depth);
        matched == all || self.beats(depth, count, missed, rank, claims, &ranks, matched)
    }

    /// Whether a completion serving `matched` more members (out of those that fit,
    /// whose best ranks are `ranks`, ascending) could beat the best so far.
    #[allow(clippy::too_many_arguments)]
    fn beats(
        &self,
        depth: usize,
        count: u32,
        missed: u32,
        rank: u32,
        claims: u32,
        ranks: &[u32],
        matched: usize,
    ) -> bool {
        let matched_u32 = u32::try_from(matched).unwrap_or(u32::MAX);
        let count = count + matched_u32;
        let missed = missed + claims.saturating_sub(matched_u32);
        let rank = rank + ranks.iter().take(matched).sum::<u32>();
        let best = &self.best_score;
        let head = count
            .cmp(&best.count)
            .then(best.missed.cmp(&missed))
            .then(best.rank.cmp(&rank));
        if head != Ordering::Equal {
            return head == Ordering::Greater;
        }
        let mut left = matched;
        for (i, &was) in best.served.iter().enumerate() {
            let served = if i < depth {
                self.picks[i].is_some()
            } else if self.feasible[i] && left > 0 {
                left -= 1;
                true
            } else {
                false
            };
            if served != was {
                return served;
            }
        }
        false
    }

    /// The largest number of undecided members that can be matched to sessions they
    /// fit, each session taking at most `room` of them (augmenting paths).
    fn matching(&mut self, state: &State, depth: usize) -> usize {
        let n = self.members.len();
        let mut touched: Vec<usize> = self.fit[depth..].iter().flatten().copied().collect();
        touched.sort_unstable();
        touched.dedup();
        for &slot in &touched {
            let askers: Vec<usize> = (depth..n)
                .filter(|&i| self.fit[i].contains(&slot))
                .collect();
            self.room[slot] = self.room(state, slot, &askers);
            self.on[slot].clear();
        }
        let mut matched = 0;
        for i in depth..n {
            if self.feasible[i] {
                let mut seen = Vec::new();
                if augment(i, &self.fit, &self.room, &mut self.on, &mut seen) {
                    matched += 1;
                }
            }
        }
        matched
    }

    /// How many of `askers` (all of which fit alone now) could still join the session
    /// together: the smallest groups first, or one group that will not share.
    fn room(&self, state: &State, slot: usize, askers: &[usize]) -> usize {
        let problem = self.problem;
        let s = &problem.slots[slot];
        let capacity = u64::from(s.source.capacity);
        let free = capacity.saturating_sub(s.held_seats + state.seats[slot]);
        if s.source.trial {
            return askers
                .len()
                .min(usize::try_from(free).unwrap_or(usize::MAX));
        }
        let sources = askers
            .iter()
            .map(|&i| problem.requests[self.members[i]].source);
        let mut sharing: Vec<u64> = sources
            .clone()
            .filter(|p| p.share)
            .map(|p| u64::from(p.headcount))
            .collect();
        sharing.sort_unstable();
        let mut total = 0;
        let together = sharing.iter().take_while(|&&h| {
            total += h;
            total <= free
        });
        let together = together.count();
        let lone = usize::from(sources.clone().any(|p| !p.share));
        together.max(lone)
    }
}

/// Kuhn's augmenting path from member `i`, sessions holding up to `room` members.
fn augment(
    i: usize,
    fit: &[Vec<usize>],
    room: &[usize],
    on: &mut [Vec<usize>],
    seen: &mut Vec<usize>,
) -> bool {
    for &slot in &fit[i] {
        if seen.contains(&slot) {
            continue;
        }
        seen.push(slot);
        if on[slot].len() < room[slot] {
            on[slot].push(i);
            return true;
        }
        for k in 0..on[slot].len() {
            let j = on[slot][k];
            if augment(j, fit, room, on, seen) {
                on[slot][k] = i;
                return true;
            }
        }
    }
    false
}

/// Local moves on placed `picks` (kept placed in `state`) while the score improves:
/// give a member another of its sessions, possibly after moving one member that
/// blocks it to another of that member's sessions (or off, if that still scores better).
fn improve(problem: &Problem, members: &[usize], state: &mut State, picks: &mut [Option<Choice>]) {
    let mut current = score(problem, members, picks);
    for _ in 0..ROUNDS {
        let mut better = false;
        for pos in 0..members.len() {
            if let Some(next) = improve_one(problem, members, state, picks, pos, &current) {
                current = next;
                better = true;
            }
        }
        if !better {
            return;
        }
    }
}

fn improve_one(
    problem: &Problem,
    members: &[usize],
    state: &mut State,
    picks: &mut [Option<Choice>],
    pos: usize,
    current: &Score,
) -> Option<Score> {
    let r = members[pos];
    let was = picks[pos];
    for &c in &problem.requests[r].options {
        if Some(c) == was {
            continue;
        }
        let mut moves = Moves {
            problem,
            members,
            state: &mut *state,
            picks: &mut *picks,
            undo: Vec::new(),
        };
        moves.set(pos, None);
        if problem.fits(moves.state, r, c) {
            moves.set(pos, Some(c));
            if let Some(s) = moves.keep_if_better(current) {
                return Some(s);
            }
            moves.undo_to(0);
            continue;
        }
        let blockers: Vec<usize> = (0..members.len())
            .filter(|&q| {
                q != pos && moves.picks[q].is_some_and(|p| p.slot == c.slot || p.day == c.day)
            })
            .collect();
        for q in blockers {
            let moved = moves.picks[q];
            moves.set(q, None);
            if problem.fits(moves.state, r, c) {
                moves.set(pos, Some(c));
                let rq = members[q];
                let again = problem.requests[rq]
                    .options
                    .iter()
                    .copied()
                    .find(|&o| Some(o) != moved && problem.fits(moves.state, rq, o));
                moves.set(q, again);
                if let Some(s) = moves.keep_if_better(current) {
                    return Some(s);
                }
            }
            // Back to "pos off, everything else as it was".
            moves.undo_to(1);
        }
        moves.undo_to(0);
    }
    None
}

/// Tentative changes to picks and state that can be rolled back.
struct Moves<'m, 'p, 'a> {
    problem: &'p Problem<'a>,
    members: &'p [usize],
    state: &'m mut State,
    picks: &'m mut [Option<Choice>],
    undo: Vec<(usize, Option<Choice>)>,
}

impl Moves<'_, '_, '_> {
    fn set(&mut self, pos: usize, pick: Option<Choice>) {
        let r = self.members[pos];
        let old = self.picks[pos];
        if let Some(c) = old {
            self.problem.unplace(self.state, r, c);
        }
        if let Some(c) = pick {
            self.problem.place(self.state, r, c);
        }
        self.picks[pos] = pick;
        self.undo.push((pos, old));
    }

    fn undo_to(&mut self, len: usize) {
        while self.undo.len() > len {
            let Some((pos, old)) = self.undo.pop() else {
                return;
            };
            let r = self.members[pos];
            if let Some(c) = self.picks[pos] {
                self.problem.unplace(self.state, r, c);
            }
            if let Some(c) = old {
                self.problem.place(self.state, r, c);
            }
            self.picks[pos] = old;
        }
    }

    /// Keeps the changes when they score better than `current` (returning the new
    /// score); otherwise leaves them for the caller to undo.
    fn keep_if_better(&mut self, current: &Score) -> Option<Score> {
        let s = score(self.problem, self.members, self.picks);
        if s > *current {
            self.undo.clear();
            Some(s)
        } else {
            None
        }
    }
}
