//! Unit tests of each rule, and property tests against an independent checker and a
//! brute-force optimum.

use jiff::civil::{Date, date};
use proptest::prelude::*;

use super::{Assignment, Holding, Pending, Proposal, SessionSlot, propose, propose_within};

fn day(n: i64) -> Date {
    date(2026, 3, 2)
        .checked_add(jiff::Span::new().days(n))
        .unwrap()
}

fn slot(id: i64, on: i64, capacity: u32) -> SessionSlot {
    SessionSlot {
        id,
        date: day(on),
        capacity,
        held: Vec::new(),
        trial: false,
        sectors: Vec::new(),
    }
}

fn trial(id: i64, on: i64, capacity: u32, sectors: &[&str]) -> SessionSlot {
    SessionSlot {
        trial: true,
        sectors: sectors.iter().map(|s| (*s).to_owned()).collect(),
        ..slot(id, on, capacity)
    }
}

fn held(unit: &str, headcount: u32, share: bool) -> Holding {
    Holding {
        unit: unit.to_owned(),
        headcount,
        share,
    }
}

fn ask(visit_id: i64, unit: &str, headcount: u32, preferences: &[i64]) -> Pending {
    Pending {
        visit_id,
        unit: unit.to_owned(),
        sector: "税务".to_owned(),
        headcount,
        share: true,
        preferences: preferences.to_vec(),
        visits_this_year: 0,
        earliest: day(0),
        busy_days: Vec::new(),
        requested_at: format!("2026-02-01T08:00:{visit_id:02}Z"),
    }
}

fn on(p: &Proposal) -> Vec<(i64, i64)> {
    p.assignments
        .iter()
        .map(|a| (a.visit_id, a.session_id))
        .collect()
}

fn seats(p: &Proposal) -> Vec<(i64, u32)> {
    p.assignments
        .iter()
        .map(|a| (a.visit_id, a.seats))
        .collect()
}

#[test]
fn everyone_gets_the_first_choice_when_there_is_room() {
    let p = propose(
        &[slot(1, 0, 80), slot(2, 1, 80)],
        &[ask(10, "a", 30, &[2, 1]), ask(11, "b", 30, &[1])],
    );
    assert_eq!(
        p.assignments,
        vec![
            Assignment {
                visit_id: 10,
                session_id: 2,
                seats: 30
            },
            Assignment {
                visit_id: 11,
                session_id: 1,
                seats: 30
            }
        ]
    );
    assert!(p.unassigned.is_empty());
}

#[test]
fn capacity_counts_held_seats_and_groups_are_never_split() {
    let mut s = slot(1, 0, 50);
    s.held.push(held("x", 20, true));
    let p = propose(
        &[s, slot(2, 1, 50)],
        &[ask(10, "a", 25, &[1, 2]), ask(11, "b", 31, &[1])],
    );
    // b does not fit beside the held 20 (51 > 50) and is not cut to 30 seats.
    assert_eq!(on(&p), vec![(10, 1)]);
    assert_eq!(p.unassigned, vec![11]);
    let p = propose(&[slot(1, 0, 50)], &[ask(10, "a", 60, &[1])]);
    assert_eq!(p.unassigned, vec![10]);
}

#[test]
fn most_requests_served_before_better_ranks() {
    // a's first choice would leave b without a session.
    let p = propose(
        &[slot(1, 0, 40), slot(2, 1, 40)],
        &[ask(10, "a", 40, &[1, 2]), ask(11, "b", 40, &[1])],
    );
    assert_eq!(on(&p), vec![(10, 2), (11, 1)]);
}

#[test]
fn better_ranks_when_the_count_is_the_same() {
    // Both orders serve both; the one giving both their first choice wins.
    let p = propose(
        &[slot(1, 0, 40), slot(2, 1, 40)],
        &[ask(10, "a", 40, &[1, 2]), ask(11, "b", 40, &[2, 1])],
    );
    assert_eq!(on(&p), vec![(10, 1), (11, 2)]);
}

#[test]
fn a_group_that_does_not_share_is_alone() {
    let mut alone = ask(10, "a", 10, &[1]);
    alone.share = false;
    let p = propose(
        &[slot(1, 0, 100), slot(2, 1, 100)],
        &[alone.clone(), ask(11, "b", 10, &[1, 2])],
    );
    assert_eq!(on(&p), vec![(10, 1), (11, 2)]);
    // A session holding a non-sharing group is full for others.
    let mut taken = slot(1, 0, 100);
    taken.held.push(held("x", 5, false));
    assert_eq!(
        propose(&[taken], &[ask(11, "b", 10, &[1])]).unassigned,
        vec![11]
    );
    // A non-sharing group does not join a session that holds anyone.
    let mut shared = slot(1, 0, 100);
    shared.held.push(held("x", 5, true));
    assert_eq!(propose(&[shared], &[alone]).unassigned, vec![10]);
}

#[test]
fn only_named_sessions_on_or_after_the_earliest_day() {
    let mut soon = ask(10, "a", 10, &[1, 99, 2]);
    soon.earliest = day(1);
    let p = propose(&[slot(1, 0, 80), slot(2, 1, 80), slot(3, 2, 80)], &[soon]);
    assert_eq!(on(&p), vec![(10, 2)]);
}

#[test]
fn one_visit_a_day_per_unit() {
    let mut busy = ask(10, "a", 10, &[1, 2]);
    busy.busy_days.push(day(0));
    let p = propose(&[slot(1, 0, 80), slot(2, 1, 80)], &[busy]);
    assert_eq!(on(&p), vec![(10, 2)]);
    // Two requests of one unit never land on one day, even on two sessions.
    let p = propose(
        &[slot(1, 0, 80), slot(2, 0, 80), slot(3, 1, 80)],
        &[ask(10, "a", 10, &[1]), ask(11, "a", 10, &[2, 3])],
    );
    assert_eq!(on(&p), vec![(10, 1), (11, 3)]);
}

#[test]
fn fewer_visits_this_year_then_earlier_requests_first() {
    let mut often = ask(10, "a", 40, &[1]);
    often.visits_this_year = 3;
    let p = propose(&[slot(1, 0, 40)], &[often, ask(11, "b", 40, &[1])]);
    assert_eq!(on(&p), vec![(11, 1)]);
    let (mut early, mut late) = (ask(10, "a", 40, &[1]), ask(11, "b", 40, &[1]));
    early.requested_at = "2026-01-01T00:00:00Z".to_owned();
    late.requested_at = "2026-01-02T00:00:00Z".to_owned();
    assert_eq!(
        on(&propose(&[slot(1, 0, 40)], &[late.clone(), early.clone()])),
        vec![(10, 1)]
    );
    std::mem::swap(&mut early.requested_at, &mut late.requested_at);
    assert_eq!(
        on(&propose(&[slot(1, 0, 40)], &[late, early])),
        vec![(11, 1)]
    );
}

fn in_sector(mut p: Pending, sector: &str) -> Pending {
    sector.clone_into(&mut p.sector);
    p
}

#[test]
fn trial_seats_go_to_called_sectors_first_then_one_each() {
    let mut t = trial(1, 0, 12, &["法院"]);
    t.held.push(held("x", 2, false));
    let mut court = in_sector(ask(12, "c", 10, &[1]), "法院");
    court.share = false;
    let p = propose(
        &[t],
        &[ask(10, "a", 10, &[1]), ask(11, "b", 10, &[1]), court],
    );
    // 10 free seats: one each, the court sector takes the remaining 7.
    assert_eq!(seats(&p), vec![(10, 1), (11, 1), (12, 8)]);
}

#[test]
fn trial_seats_are_shared_evenly_and_never_zero() {
    let p = propose(
        &[trial(1, 0, 11, &[])],
        &[
            ask(10, "a", 10, &[1]),
            ask(11, "b", 4, &[1]),
            ask(12, "c", 10, &[1]),
        ],
    );
    // 11 seats: one each, then even shares of the 8 left; the odd seats by priority.
    assert_eq!(seats(&p), vec![(10, 4), (11, 4), (12, 3)]);
    let p = propose(
        &[trial(1, 0, 30, &[])],
        &[ask(10, "a", 10, &[1]), ask(11, "b", 4, &[1])],
    );
    assert_eq!(seats(&p), vec![(10, 10), (11, 4)]);
}

#[test]
fn more_trial_askers_than_seats_calls_the_sector_first() {
    let mut often = in_sector(ask(12, "c", 5, &[1]), "法院");
    often.visits_this_year = 9;
    let p = propose(
        &[trial(1, 0, 2, &["法院"])],
        &[ask(10, "a", 5, &[1]), ask(11, "b", 5, &[1]), often],
    );
    assert_eq!(seats(&p), vec![(10, 1), (12, 1)]);
    assert_eq!(p.unassigned, vec![11]);
}

#[test]
fn the_order_of_the_input_does_not_matter() {
    let sessions = [slot(1, 0, 40), slot(2, 0, 40), slot(3, 1, 60)];
    let mut pending: Vec<Pending> = (0..9)
        .map(|i| ask(i, &format!("u{}", i % 4), 20, &[1 + i % 3, 3]))
        .collect();
    let first = propose(&sessions, &pending);
    pending.reverse();
    assert_eq!(propose(&sessions, &pending), first);
}

// ---- properties -------------------------------------------------------------------

const UNITS: [&str; 4] = ["u0", "u1", "u2", "u3"];
const SECTORS: [&str; 3] = ["s0", "s1", "s2"];

fn holding() -> impl Strategy<Value = Holding> {
    (0..4usize, 1..30u32, any::<bool>())
        .prop_map(|(u, headcount, share)| held(UNITS[u], headcount, share))
}

fn session(id: i64, trials: bool) -> impl Strategy<Value = SessionSlot> {
    let trial = if trials {
        prop::bool::weighted(0.3).boxed()
    } else {
        Just(false).boxed()
    };
    (
        0..4i64,
        1..90u32,
        trial,
        prop::collection::vec(holding(), 0..3),
        prop::sample::subsequence(SECTORS.to_vec(), 0..3),
    )
        .prop_map(move |(on, capacity, trial, held, sectors)| SessionSlot {
            id,
            date: day(on),
            capacity,
            held,
            trial,
            sectors: sectors.into_iter().map(str::to_owned).collect(),
        })
}

fn request(visit_id: i64, sessions: i64, units: usize) -> impl Strategy<Value = Pending> {
    (
        (0..units, 0..3usize, 1..45u32, any::<bool>()),
        prop::collection::vec(1..=sessions + 1, 1..=3),
        (
            0..3u32,
            0..3i64,
            prop::collection::vec(0..4i64, 0..2),
            0..5u8,
        ),
    )
        .prop_map(
            move |((u, s, headcount, share), preferences, (visits, earliest, busy, at))| Pending {
                visit_id,
                unit: if units > UNITS.len() {
                    format!("v{visit_id}")
                } else {
                    UNITS[u].to_owned()
                },
                sector: SECTORS[s].to_owned(),
                headcount,
                share,
                preferences,
                visits_this_year: visits,
                earliest: day(earliest),
                busy_days: busy.into_iter().map(day).collect(),
                requested_at: format!("t{at}"),
            },
        )
}

/// Sessions 1..=n (and a preference may name n+1, which does not exist), requests
/// 1..=m; `units` > 4 gives every request a unit of its own.
fn instance(
    sessions: usize,
    requests: usize,
    units: usize,
    trials: bool,
) -> impl Strategy<Value = (Vec<SessionSlot>, Vec<Pending>)> {
    (1..=sessions, 0..=requests).prop_flat_map(move |(n, m)| {
        let n64 = i64::try_from(n).unwrap();
        let s: Vec<_> = (1..=n64).map(|id| session(id, trials)).collect();
        let r: Vec<_> = (1..=i64::try_from(m).unwrap())
            .map(|id| request(id, n64, units))
            .collect();
        (s, r)
    })
}

/// Independent statement of the hard rules for a (partial) choice of session index per
/// request, trial groups counted at one seat; `seats` given are checked separately.
fn valid(sessions: &[SessionSlot], pending: &[Pending], choice: &[Option<usize>]) -> bool {
    for (s, session) in sessions.iter().enumerate() {
        let here: Vec<&Pending> = pending
            .iter()
            .zip(choice)
            .filter(|(_, c)| **c == Some(s))
            .map(|(p, _)| p)
            .collect();
        if here.is_empty() {
            continue;
        }
        let held: u32 = session.held.iter().map(|h| h.headcount).sum();
        if session.trial {
            if held + u32::try_from(here.len()).unwrap() > session.capacity {
                return false;
            }
            continue;
        }
        let seats: u32 = held + here.iter().map(|p| p.headcount).sum::<u32>();
        let groups = session.held.len() + here.len();
        let all_share = session.held.iter().all(|h| h.share) && here.iter().all(|p| p.share);
        if seats > session.capacity || (groups > 1 && !all_share) {
            return false;
        }
    }
    let mut days = Vec::new();
    for (p, c) in pending.iter().zip(choice) {
        let Some(s) = *c else { continue };
        let session = &sessions[s];
        if !p.preferences.contains(&session.id)
            || session.date < p.earliest
            || p.busy_days.contains(&session.date)
        {
            return false;
        }
        if days.contains(&(&p.unit, session.date)) {
            return false;
        }
        days.push((&p.unit, session.date));
    }
    true
}

fn choice_of(
    sessions: &[SessionSlot],
    pending: &[Pending],
    proposal: &Proposal,
) -> Vec<Option<usize>> {
    pending
        .iter()
        .map(|p| {
            let a = proposal
                .assignments
                .iter()
                .find(|a| a.visit_id == p.visit_id)?;
            sessions.iter().position(|s| s.id == a.session_id)
        })
        .collect()
}

fn check(
    sessions: &[SessionSlot],
    pending: &[Pending],
    proposal: &Proposal,
) -> Result<(), TestCaseError> {
    let mut ids: Vec<i64> = proposal
        .assignments
        .iter()
        .map(|a| a.visit_id)
        .chain(proposal.unassigned.iter().copied())
        .collect();
    ids.sort_unstable();
    let mut expected: Vec<i64> = pending.iter().map(|p| p.visit_id).collect();
    expected.sort_unstable();
    prop_assert_eq!(ids, expected, "every request exactly once");
    let choice = choice_of(sessions, pending, proposal);
    prop_assert_eq!(
        choice.iter().flatten().count(),
        proposal.assignments.len(),
        "only existing sessions"
    );
    prop_assert!(
        valid(sessions, pending, &choice),
        "rules broken: {:?}",
        proposal
    );
    for a in &proposal.assignments {
        let p = pending.iter().find(|p| p.visit_id == a.visit_id).unwrap();
        let s = sessions.iter().find(|s| s.id == a.session_id).unwrap();
        if s.trial {
            prop_assert!(
                a.seats >= 1 && a.seats <= p.headcount,
                "trial seats {:?}",
                a
            );
        } else {
            prop_assert_eq!(a.seats, p.headcount, "a group is never split");
        }
    }
    for s in sessions.iter().filter(|s| s.trial) {
        let given: u32 = proposal
            .assignments
            .iter()
            .filter(|a| a.session_id == s.id)
            .map(|a| a.seats)
            .sum();
        let held: u32 = s.held.iter().map(|h| h.headcount).sum();
        prop_assert!(
            given == 0 || held + given <= s.capacity,
            "trial over capacity"
        );
    }
    Ok(())
}

/// (count, sector-called trial askers left out, rank sum) of a choice.
fn goals(
    sessions: &[SessionSlot],
    pending: &[Pending],
    choice: &[Option<usize>],
) -> (usize, usize, usize) {
    let mut goal = (0, 0, 0);
    for (i, (p, c)) in pending.iter().zip(choice).enumerate() {
        if let Some(s) = c {
            goal.0 += 1;
            goal.2 += p
                .preferences
                .iter()
                .position(|id| *id == sessions[*s].id)
                .unwrap();
        } else {
            let claim = sessions.iter().enumerate().any(|(s, session)| {
                let mut alone = vec![None; pending.len()];
                alone[i] = Some(s);
                session.trial
                    && session.sectors.contains(&p.sector)
                    && valid(sessions, pending, &alone)
            });
            goal.1 += usize::from(claim);
        }
    }
    goal
}

/// The best goals over every valid choice, by exhaustive enumeration.
fn brute_force(sessions: &[SessionSlot], pending: &[Pending]) -> (usize, usize, usize) {
    fn walk(
        sessions: &[SessionSlot],
        pending: &[Pending],
        choice: &mut Vec<Option<usize>>,
        best: &mut Option<(usize, usize, usize)>,
    ) {
        if choice.len() == pending.len() {
            let g = goals(sessions, pending, choice);
            let key =
                |g: (usize, usize, usize)| (g.0, std::cmp::Reverse(g.1), std::cmp::Reverse(g.2));
            if best.is_none_or(|b| key(g) > key(b)) {
                *best = Some(g);
            }
            return;
        }
        for c in std::iter::once(None).chain((0..sessions.len()).map(Some)) {
            choice.push(c);
            let mut partial = choice.clone();
            partial.resize(pending.len(), None);
            if valid(sessions, pending, &partial) {
                walk(sessions, pending, choice, best);
            }
            choice.pop();
        }
    }
    let mut best = None;
    walk(sessions, pending, &mut Vec::new(), &mut best);
    best.unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn proposals_keep_every_rule((sessions, pending) in instance(6, 14, 4, true)) {
        check(&sessions, &pending, &propose(&sessions, &pending))?;
        // The fallback path (budget spent at once: greedy plus local moves) too.
        check(&sessions, &pending, &propose_within(&sessions, &pending, 1))?;
    }

    #[test]
    fn small_instances_are_solved_exactly((sessions, pending) in instance(4, 7, 4, true)) {
        let proposal = propose(&sessions, &pending);
        check(&sessions, &pending, &proposal)?;
        let got = goals(&sessions, &pending, &choice_of(&sessions, &pending, &proposal));
        prop_assert_eq!(got, brute_force(&sessions, &pending));
    }

    #[test]
    fn trial_seats_one_each_and_sectors_first((sessions, pending) in instance(3, 10, 99, true)) {
        let proposal = propose(&sessions, &pending);
        check(&sessions, &pending, &proposal)?;
        let choice = choice_of(&sessions, &pending, &proposal);
        for (s, t) in sessions.iter().enumerate().filter(|(_, t)| t.trial) {
            let free = t.capacity.saturating_sub(t.held.iter().map(|h| h.headcount).sum());
            let named = |i: usize| {
                let mut alone = vec![None; pending.len()];
                alone[i] = Some(s);
                valid(&sessions, &pending, &alone)
            };
            let askers: Vec<usize> = (0..pending.len()).filter(|&i| named(i)).collect();
            let called = |i: usize| t.sectors.contains(&pending[i].sector);
            let here: Vec<usize> = (0..pending.len()).filter(|&i| choice[i] == Some(s)).collect();
            if askers.len() <= usize::try_from(free).unwrap() {
                // Seats allow: every asker has a seat here or a session elsewhere.
                prop_assert!(askers.iter().all(|&i| choice[i].is_some()), "an asker left out");
            }
            // A non-called unit may keep a trial seat over a called one only when it is
            // itself called on another trial it named.
            let claim_elsewhere = |i: usize| sessions.iter().enumerate().any(|(o, other)| {
                let mut alone = vec![None; pending.len()];
                alone[i] = Some(o);
                o != s && other.trial && other.sectors.contains(&pending[i].sector) && valid(&sessions, &pending, &alone)
            });
            if askers.iter().any(|&i| called(i) && choice[i].is_none()) {
                prop_assert!(
                    here.iter().all(|&i| called(i) || claim_elsewhere(i)),
                    "a called sector left out while another unit sits on the trial"
                );
            }
            let seat = |i: usize| proposal.assignments.iter().find(|a| a.visit_id == pending[i].visit_id).unwrap().seats;
            if here.iter().any(|&i| called(i) && seat(i) < pending[i].headcount) {
                prop_assert!(here.iter().all(|&i| called(i) || seat(i) == 1), "seats beyond one went to others first");
            }
        }
    }

    #[test]
    fn proposals_do_not_depend_on_input_order(
        (sessions, pending, shuffled) in instance(5, 10, 4, true)
            .prop_flat_map(|(s, p)| (Just(s), Just(p.clone()), Just(p).prop_shuffle())),
    ) {
        prop_assert_eq!(propose(&sessions, &pending), propose(&sessions, &shuffled));
    }
}
