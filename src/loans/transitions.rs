//! SPEC §5's transition table: which action leads from which state to which, and
//! what a viewer may be offered for a loan.

use super::LoanError;
use super::model::{Action, Actor, Format, LoanStatus};

/// SPEC §5's transitions and nothing else: the state after `action`, or `None` when
/// the action is not allowed from `from`. Renewal, report and move keep the state
/// (a moved waitlisted request may be promoted separately).
pub fn next_status(from: LoanStatus, action: Action, format: Format) -> Option<LoanStatus> {
    use Action as A;
    use LoanStatus as S;
    match (from, action, format) {
        (S::Requested, A::Approve, _) => Some(S::Approved),
        // A waitlisted request is a request without room yet: it can be turned down
        // or withdrawn like one.
        (S::Requested | S::Waitlisted, A::Reject, _) => Some(S::Rejected),
        (S::Requested | S::Waitlisted | S::Approved, A::Cancel, _) => Some(S::Cancelled),
        (S::Approved, A::Issue, Format::Physical) => Some(S::Active),
        (S::Approved, A::Activate, Format::Digital) => Some(S::Active),
        (S::Active, A::Expire, Format::Digital) => Some(S::Expired),
        (S::Active, A::MarkOverdue, Format::Physical) => Some(S::Overdue),
        (S::Active, A::Return, _) | (S::Overdue, A::Return, Format::Physical) => Some(S::Returned),
        (S::Waitlisted, A::Promote, _) => Some(S::Requested),
        (S::Approved | S::Active, A::Renew, _) => Some(from),
        (S::Active | S::Overdue | S::Returned | S::Expired, A::Report, _) => Some(from),
        (S::Requested | S::Waitlisted | S::Approved, A::Move, _) => Some(from),
        // A recall (issue 15) wants a lent item back early. A physical copy is still
        // out, so the loan stays active (or overdue) until it is checked in: its end
        // is brought forward to the recall's due date and `recalled_at` marks it,
        // after which the date makes it overdue like any other loan. Keeping the
        // state (rather than a `recalled` state) keeps every rule about copies out
        // (capacity, check-in, overdue, the copy's single holder) as it is. A digital
        // loan has nothing to bring back: its access ends at once (expired).
        (S::Active, A::Recall, Format::Physical) | (S::Overdue, A::Recall, Format::Physical) => {
            Some(from)
        }
        (S::Active, A::Recall, Format::Digital) => Some(S::Expired),
        _ => None,
    }
}

/// Checks a transition, answering the domain error that names the current state.
pub fn check_transition(
    from: LoanStatus,
    action: Action,
    format: Format,
) -> Result<LoanStatus, LoanError> {
    next_status(from, action, format).ok_or(LoanError::IllegalTransition { from, action })
}

/// At most this many renewals per loan.
pub const MAX_RENEWALS: u32 = 2;

/// The actions `actor` may attempt on a loan in `status` (for buttons in the UI).
pub fn available_actions(actor: &Actor, status: LoanStatus, format: Format) -> Vec<&'static str> {
    Action::REQUESTABLE
        .into_iter()
        .filter(|action| next_status(status, *action, format).is_some())
        .filter(|action| actor.librarian || !action.librarian_only_for(format))
        .map(Action::as_str)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::model::{HOLDING_SQL, LENT_SQL};

    #[test]
    fn spec_transitions_and_nothing_else() {
        use Action as A;
        use LoanStatus as S;
        let allowed = [
            (S::Requested, A::Approve, S::Approved),
            (S::Requested, A::Reject, S::Rejected),
            (S::Requested, A::Cancel, S::Cancelled),
            (S::Approved, A::Cancel, S::Cancelled),
            (S::Waitlisted, A::Promote, S::Requested),
            (S::Active, A::Return, S::Returned),
        ];
        for (from, action, to) in allowed {
            for format in [Format::Digital, Format::Physical] {
                assert_eq!(
                    next_status(from, action, format),
                    Some(to),
                    "{from:?} {action:?}"
                );
            }
        }
        assert_eq!(
            next_status(S::Approved, A::Issue, Format::Physical),
            Some(S::Active)
        );
        assert_eq!(next_status(S::Approved, A::Issue, Format::Digital), None);
        assert_eq!(
            next_status(S::Approved, A::Activate, Format::Digital),
            Some(S::Active)
        );
        assert_eq!(
            next_status(S::Approved, A::Activate, Format::Physical),
            None
        );
        assert_eq!(
            next_status(S::Active, A::MarkOverdue, Format::Physical),
            Some(S::Overdue)
        );
        assert_eq!(next_status(S::Active, A::Expire, Format::Physical), None);
        // Final states accept nothing but a report.
        for from in [S::Rejected, S::Cancelled] {
            for action in Action::REQUESTABLE {
                assert_eq!(next_status(from, action, Format::Digital), None);
            }
        }
        assert_eq!(next_status(S::Returned, A::Cancel, Format::Physical), None);
        assert_eq!(next_status(S::Overdue, A::Renew, Format::Physical), None);
    }

    /// Every action, the background task's included.
    const EVERY_ACTION: [Action; 13] = [
        Action::Approve,
        Action::Reject,
        Action::Issue,
        Action::Return,
        Action::Renew,
        Action::Cancel,
        Action::Report,
        Action::Move,
        Action::Activate,
        Action::Expire,
        Action::MarkOverdue,
        Action::Promote,
        Action::Recall,
    ];

    /// The whole table: every (state, action, format) not listed here is refused.
    #[test]
    fn every_triple_matches_the_table() {
        use Action as A;
        use Format::{Digital as D, Physical as P};
        use LoanStatus as S;
        let allowed: &[(S, A, &[Format], S)] = &[
            (S::Requested, A::Approve, &[D, P], S::Approved),
            (S::Requested, A::Reject, &[D, P], S::Rejected),
            (S::Requested, A::Cancel, &[D, P], S::Cancelled),
            (S::Requested, A::Move, &[D, P], S::Requested),
            (S::Waitlisted, A::Reject, &[D, P], S::Rejected),
            (S::Waitlisted, A::Cancel, &[D, P], S::Cancelled),
            (S::Waitlisted, A::Promote, &[D, P], S::Requested),
            (S::Waitlisted, A::Move, &[D, P], S::Waitlisted),
            (S::Approved, A::Cancel, &[D, P], S::Cancelled),
            (S::Approved, A::Issue, &[P], S::Active),
            (S::Approved, A::Activate, &[D], S::Active),
            (S::Approved, A::Renew, &[D, P], S::Approved),
            (S::Approved, A::Move, &[D, P], S::Approved),
            (S::Active, A::Expire, &[D], S::Expired),
            (S::Active, A::MarkOverdue, &[P], S::Overdue),
            (S::Active, A::Return, &[D, P], S::Returned),
            (S::Active, A::Renew, &[D, P], S::Active),
            (S::Active, A::Report, &[D, P], S::Active),
            (S::Active, A::Recall, &[D], S::Expired),
            (S::Active, A::Recall, &[P], S::Active),
            (S::Overdue, A::Recall, &[P], S::Overdue),
            (S::Overdue, A::Return, &[P], S::Returned),
            (S::Overdue, A::Report, &[D, P], S::Overdue),
            (S::Returned, A::Report, &[D, P], S::Returned),
            (S::Expired, A::Report, &[D, P], S::Expired),
        ];
        let mut checked = 0;
        for from in LoanStatus::ALL {
            for action in EVERY_ACTION {
                for format in [D, P] {
                    let expected = allowed
                        .iter()
                        .find(|(f, a, formats, _)| {
                            *f == from && *a == action && formats.contains(&format)
                        })
                        .map(|(_, _, _, to)| *to);
                    assert_eq!(
                        next_status(from, action, format),
                        expected,
                        "{from:?} {action:?} {format:?}"
                    );
                    match expected {
                        Some(to) => {
                            assert_eq!(check_transition(from, action, format).ok(), Some(to))
                        }
                        None => assert!(matches!(
                            check_transition(from, action, format),
                            Err(LoanError::IllegalTransition { from: f, action: a }) if f == from && a == action
                        )),
                    }
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 9 * 13 * 2);
    }

    /// Librarians are offered every requestable action the table allows; borrowers
    /// only those that are not librarian-only.
    #[test]
    fn offered_actions_follow_the_table_and_the_role() {
        let borrower = Actor {
            user_id: Some(1),
            username: "u".into(),
            unit: Some("yn-tax".into()),
            librarian: false,
            admin: false,
        };
        let librarian = Actor {
            librarian: true,
            ..borrower.clone()
        };
        for status in LoanStatus::ALL {
            for format in [Format::Digital, Format::Physical] {
                let allowed: Vec<Action> = Action::REQUESTABLE
                    .into_iter()
                    .filter(|a| next_status(status, *a, format).is_some())
                    .collect();
                let names = |only_borrower: bool| -> Vec<&'static str> {
                    allowed
                        .iter()
                        .filter(|a| !only_borrower || !a.librarian_only_for(format))
                        .map(|a| a.as_str())
                        .collect()
                };
                assert_eq!(available_actions(&librarian, status, format), names(false));
                assert_eq!(available_actions(&borrower, status, format), names(true));
            }
        }
        assert_eq!(
            available_actions(&borrower, LoanStatus::Active, Format::Physical),
            vec!["renew", "report"]
        );
        assert_eq!(
            available_actions(&borrower, LoanStatus::Active, Format::Digital),
            vec!["return", "renew", "report"]
        );
        assert_eq!(
            available_actions(&librarian, LoanStatus::Active, Format::Physical),
            vec!["return", "renew", "report", "recall"]
        );
    }

    #[test]
    fn holding_states_match_sql() {
        let holding: Vec<_> = LoanStatus::ALL
            .into_iter()
            .filter(|s| s.holds_capacity())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(format!("({})", holding.join(", ")), HOLDING_SQL);
        let lent: Vec<_> = LoanStatus::ALL
            .into_iter()
            .filter(|s| s.is_lent())
            .map(|s| format!("'{}'", s.as_str()))
            .collect();
        assert_eq!(format!("({})", lent.join(", ")), LENT_SQL);
    }

    #[test]
    fn borrowers_are_offered_only_their_actions() {
        let borrower = Actor {
            user_id: Some(1),
            username: "u".into(),
            unit: Some("yn-tax".into()),
            librarian: false,
            admin: false,
        };
        assert_eq!(
            available_actions(&borrower, LoanStatus::Requested, Format::Digital),
            vec!["cancel"]
        );
        assert_eq!(
            available_actions(&Actor::system(), LoanStatus::Requested, Format::Digital),
            vec!["approve", "reject", "cancel", "move"]
        );
    }
}
