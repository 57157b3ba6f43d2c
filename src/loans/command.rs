//! The actions a person asks for on a loan, as one command type, and [`act`]: the one
//! function that decides who may do what and runs the step. The JSON API reads a
//! [`Command`] from the path and body, the pages from their form; both call [`act`].

use crate::clock::Moment;
use rusqlite::Connection;

use super::LoanError;
use super::circulation::{IssueRequest, ReturnRequest, issue, return_loan};
use super::model::{Action, Actor, Loan, LoanId};
use super::recall::{RecallRequest, recall};
use super::request::{MoveRequest, move_loan};
use super::steps::{
    CancelRequest, RejectRequest, RenewRequest, ReportRequest, approve, cancel, reject, renew,
    report,
};

/// One loan action with its input: `POST /api/v1/loans/{id}/{action}` with the body
/// of that action (`approve` takes none; `cancel` takes an optional `reason`, which
/// the library must give when it cancels a unit's loan).
#[derive(Debug, Clone, utoipa::ToSchema)]
pub enum Command {
    Approve,
    Reject(RejectRequest),
    Issue(IssueRequest),
    Return(ReturnRequest),
    Renew(RenewRequest),
    Cancel(CancelRequest),
    Report(ReportRequest),
    Move(MoveRequest),
    Recall(RecallRequest),
}

impl Command {
    /// The action this command performs.
    pub fn action(&self) -> Action {
        match self {
            Command::Approve => Action::Approve,
            Command::Reject(_) => Action::Reject,
            Command::Issue(_) => Action::Issue,
            Command::Return(_) => Action::Return,
            Command::Renew(_) => Action::Renew,
            Command::Cancel(_) => Action::Cancel,
            Command::Report(_) => Action::Report,
            Command::Move(_) => Action::Move,
            Command::Recall(_) => Action::Recall,
        }
    }

    /// The requestable action named `name` (`approve`, `reject`, …), if there is one.
    pub fn action_named(name: &str) -> Option<Action> {
        Action::REQUESTABLE.into_iter().find(|a| a.as_str() == name)
    }
}

/// Runs `command` on loan `id` for `actor` at `at`. Each step checks, in one
/// transaction, that the loan is the actor's to see, that the action is theirs to
/// take (librarians' actions are refused to anyone else), the transition, capacity
/// and dates; a refusal writes nothing.
pub fn act(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    command: Command,
    at: Moment,
) -> Result<Loan, LoanError> {
    match command {
        Command::Approve => approve(conn, actor, id, at),
        Command::Reject(input) => reject(conn, actor, id, input, at),
        Command::Issue(input) => issue(conn, actor, id, input, at),
        Command::Return(input) => return_loan(conn, actor, id, input, at),
        Command::Renew(input) => renew(conn, actor, id, input, at),
        Command::Cancel(input) => cancel(conn, actor, id, input, at),
        Command::Report(input) => report(conn, actor, id, input, at),
        Command::Move(input) => move_loan(conn, actor, id, input, at),
        Command::Recall(input) => recall(conn, actor, id, input, at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::loans::{Format, LoanRequest, LoanStatus};
    use jiff::civil::date;

    /// A database with one unit, one published resource (a licence and a copy) and a
    /// digital request of that unit.
    fn one_request() -> (tempfile::TempDir, crate::db::Database, Actor, LoanId) {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = crate::db::Database::open(&dir.path().join("jingshi.db")).expect("db");
        let mut conn = db.get().expect("connection");
        let (operator, at) = (Actor::operator("test"), Moment::noon_of(date(2027, 3, 1)));
        crate::accounts::create_unit(&mut conn, &operator, "yn-tax", "税务局", "税务", at)
            .expect("unit");
        let input = serde_json::from_value(serde_json::json!({
            "id": "film", "kind": "video", "title": "警示片", "status": "published",
            "licences": 1, "copies": 1
        }))
        .expect("input");
        let create = crate::catalog::curation::CurationCommand::Create(input);
        crate::catalog::curation::curate(&mut conn, &operator, create, at).expect("resource");
        // No account row is needed: the loan records the requester's name.
        let borrower = Actor {
            user_id: None,
            username: "officer".into(),
            unit: Some("yn-tax".into()),
            librarian: false,
            admin: false,
        };
        let request = LoanRequest {
            resource_id: Some("film".into()),
            format: Some("physical".into()),
            start: Some("2027-03-02".into()),
            end: Some("2027-03-04".into()),
            purpose: Some("专题警示教育大会".into()),
            audience: Some(30),
            ..Default::default()
        };
        let loan = crate::loans::create(
            &mut conn,
            &borrower,
            request,
            Moment::noon_of(date(2027, 3, 1)),
        )
        .expect("request");
        drop(conn);
        (dir, db, borrower, loan.id)
    }

    fn snapshot(conn: &Connection) -> (String, i64, i64) {
        conn.query_row(
            "SELECT status || start_date || end_date || renewals || coalesce(copy_id, ''),
                    (SELECT count(*) FROM audit_log), (SELECT count(*) FROM notifications)
             FROM loans",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .expect("snapshot")
    }

    #[test]
    fn a_borrower_is_refused_every_librarian_action_and_nothing_is_written() {
        let (_dir, db, borrower, id) = one_request();
        let mut conn = db.get().expect("connection");
        let before = snapshot(&conn);
        let commands = [
            Command::Approve,
            Command::Reject(RejectRequest {
                reason: Some("不符合".into()),
            }),
            Command::Issue(IssueRequest::default()),
            // The request is for a physical copy: only the desk checks it in.
            Command::Return(ReturnRequest::default()),
            Command::Move(MoveRequest {
                start: Some("2027-03-05".into()),
                end: Some("2027-03-06".into()),
            }),
            Command::Recall(RecallRequest {
                reason: Some("资源需收回".into()),
                due: None,
            }),
        ];
        for command in commands {
            let action = command.action();
            assert!(action.librarian_only_for(Format::Physical), "{action:?}");
            let refused = act(
                &mut conn,
                &borrower,
                id,
                command,
                Moment::noon_of(date(2027, 3, 1)),
            );
            assert!(
                matches!(refused, Err(LoanError::LibrarianOnly { action: a }) if a == action),
                "{action:?}: {refused:?}"
            );
            assert_eq!(snapshot(&conn), before, "{action:?} wrote something");
        }
        // The borrower's own actions go through the same function.
        let cancelled = act(
            &mut conn,
            &borrower,
            id,
            Command::Cancel(CancelRequest::default()),
            Moment::noon_of(date(2027, 3, 1)),
        )
        .expect("the unit cancels its own request");
        assert_eq!(cancelled.status, LoanStatus::Cancelled);
    }

    #[test]
    fn command_names_are_the_requestable_actions() {
        for action in Action::REQUESTABLE {
            assert_eq!(Command::action_named(action.as_str()), Some(action));
        }
        for name in ["activate", "expire", "overdue", "promote", "", "APPROVE"] {
            assert_eq!(Command::action_named(name), None, "{name}");
        }
    }
}
