//! SPEC §5's transition table, checked exhaustively over HTTP: every state a loan can
//! be in, every verb of `POST /api/v1/loans/{id}/{action}`, both formats. Each triple
//! gets a fresh loan brought into its state through the API, the clock and the sweep,
//! and is checked against the one table below: the answer, and the loan as read back.
//! Librarian-only verbs are first tried by the loan's own borrower (403, no change).

use std::collections::{HashMap, HashSet};

use serde_json::{Value, json};

use crate::common::lending::{MONDAY, act, barcodes, day, lendable_titled, requested, show};
use crate::common::{Session, TestApp};

/// What one action on a loan in one state must do, done by the right actor.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expected {
    /// 200, and the loan reads back in this state.
    To(&'static str),
    /// As `To`, but SPEC §5's list does not name the transition: a product decision
    /// documented in `src/loans/mod.rs` (a waitlisted request is handled like a
    /// request). Kept apart so the difference stays visible (issue 12).
    Decided(&'static str),
    /// Refused with this status and a message; the loan reads back unchanged.
    Refused(u16),
    /// The format never reaches the state: expiry is digital, overdue physical.
    Never,
}

use Expected::{Decided, Never, Refused, To};

/// Not a transition from this state: SPEC §5's "refused (HTTP 409) with a message".
const NO: Expected = Refused(409);

const STATUSES: [&str; 9] = [
    "requested",
    "approved",
    "active",
    "returned",
    "rejected",
    "cancelled",
    "expired",
    "overdue",
    "waitlisted",
];

/// The verbs the route accepts (`Action::REQUESTABLE`); SPEC §7 lists all but `move`,
/// which §5 describes ("they can move a booking"), and `recall` (issue 15).
const ACTIONS: [&str; 9] = [
    "approve", "reject", "issue", "return", "renew", "cancel", "report", "move", "recall",
];

/// The librarian's verbs in setup steps (a librarian may also return any loan).
const LIBRARIAN_ONLY: [&str; 6] = ["approve", "reject", "issue", "return", "move", "recall"];

/// Whether only a librarian may take `action` on a loan of `format`: a unit ends its
/// digital loan itself (SPEC §2, "returns"); a physical copy is checked in at the desk.
fn librarian_only(action: &str, format: &str) -> bool {
    ["approve", "reject", "issue", "move", "recall"].contains(&action)
        || (action == "return" && format == "physical")
}

/// (state, action, digital, physical). Renewal, report and move keep the state; SPEC
/// §5 does not say from which states, so these rows follow the product's documented
/// choice (`src/loans/transitions.rs`): renew while approved or active, report once
/// the material is out or back, move while the booking is undecided or approved.
#[rustfmt::skip]
const TABLE: [(&str, &str, Expected, Expected); 81] = [
    ("requested", "approve", To("approved"), To("approved")),
    ("requested", "reject", To("rejected"), To("rejected")),
    ("requested", "issue", NO, NO),
    ("requested", "return", NO, NO),
    ("requested", "renew", NO, NO),
    ("requested", "cancel", To("cancelled"), To("cancelled")),
    ("requested", "report", NO, NO),
    ("requested", "move", To("requested"), To("requested")),
    ("requested", "recall", NO, NO),

    // A digital loan becomes active by the date alone; only a copy is issued.
    ("approved", "approve", NO, NO),
    ("approved", "reject", NO, NO),
    ("approved", "issue", NO, To("active")),
    ("approved", "return", NO, NO),
    ("approved", "renew", To("approved"), To("approved")),
    ("approved", "cancel", To("cancelled"), To("cancelled")),
    ("approved", "report", NO, NO),
    ("approved", "move", To("approved"), To("approved")),
    ("approved", "recall", NO, NO),

    ("active", "approve", NO, NO),
    ("active", "reject", NO, NO),
    ("active", "issue", NO, NO),
    ("active", "return", To("returned"), To("returned")),
    ("active", "renew", To("active"), To("active")),
    ("active", "cancel", NO, NO),
    ("active", "report", To("active"), To("active")),
    ("active", "move", NO, NO),
    // Recalled (issue 15): digital access ends; a copy stays out, due back early.
    ("active", "recall", To("expired"), To("active")),

    ("returned", "approve", NO, NO),
    ("returned", "reject", NO, NO),
    ("returned", "issue", NO, NO),
    ("returned", "return", NO, NO),
    ("returned", "renew", NO, NO),
    ("returned", "cancel", NO, NO),
    ("returned", "report", To("returned"), To("returned")),
    ("returned", "move", NO, NO),
    ("returned", "recall", NO, NO),

    ("rejected", "approve", NO, NO),
    ("rejected", "reject", NO, NO),
    ("rejected", "issue", NO, NO),
    ("rejected", "return", NO, NO),
    ("rejected", "renew", NO, NO),
    ("rejected", "cancel", NO, NO),
    ("rejected", "report", NO, NO),
    ("rejected", "move", NO, NO),
    ("rejected", "recall", NO, NO),

    ("cancelled", "approve", NO, NO),
    ("cancelled", "reject", NO, NO),
    ("cancelled", "issue", NO, NO),
    ("cancelled", "return", NO, NO),
    ("cancelled", "renew", NO, NO),
    ("cancelled", "cancel", NO, NO),
    ("cancelled", "report", NO, NO),
    ("cancelled", "move", NO, NO),
    ("cancelled", "recall", NO, NO),

    ("expired", "approve", NO, Never),
    ("expired", "reject", NO, Never),
    ("expired", "issue", NO, Never),
    ("expired", "return", NO, Never),
    ("expired", "renew", NO, Never),
    ("expired", "cancel", NO, Never),
    ("expired", "report", To("expired"), Never),
    ("expired", "move", NO, Never),
    ("expired", "recall", NO, Never),

    ("overdue", "approve", Never, NO),
    ("overdue", "reject", Never, NO),
    ("overdue", "issue", Never, NO),
    ("overdue", "return", Never, To("returned")),
    // Late is late: the end is not pushed out after the fact.
    ("overdue", "renew", Never, NO),
    ("overdue", "cancel", Never, NO),
    ("overdue", "report", Never, To("overdue")),
    ("overdue", "move", Never, NO),
    ("overdue", "recall", Never, To("overdue")),

    // Room frees by promotion, not approval.
    ("waitlisted", "approve", NO, NO),
    ("waitlisted", "reject", Decided("rejected"), Decided("rejected")),
    ("waitlisted", "issue", NO, NO),
    ("waitlisted", "return", NO, NO),
    ("waitlisted", "renew", NO, NO),
    ("waitlisted", "cancel", Decided("cancelled"), Decided("cancelled")),
    ("waitlisted", "report", NO, NO),
    // Moved to days with room, the request is promoted (SPEC §5's waitlisted → requested).
    ("waitlisted", "move", To("requested"), To("requested")),
    ("waitlisted", "recall", NO, NO),
];

/// The Thursday every action is tried on; loans that are to be expired or overdue run
/// Monday–Tuesday of that week ([`ENDED`]).
const TODAY: i64 = 3;
/// Periods as days after [`MONDAY`], all ending on open weekdays.
const ENDED: (i64, i64) = (0, 1);
const CURRENT: (i64, i64) = (TODAY, TODAY + 1);
const AHEAD: (i64, i64) = (10, 11);
/// The scarce resource's single licence and copy are held over these days, so
/// requests for [`WAITING`] stay waitlisted whatever the other triples do.
const HELD: (i64, i64) = (7, 25);
const WAITING: (i64, i64) = (14, 15);
/// Where `move` takes a booking: free on both resources.
const MOVED_TO: (i64, i64) = (28, 29);

/// Unlimited licences and enough copies for every physical loan here at once.
const PLENTY: &str = "transition-film";
/// One licence, one copy: the waitlist.
const SCARCE: &str = "transition-scarce-film";

fn expected(status: &str, action: &str, format: &str) -> Expected {
    let row = TABLE
        .iter()
        .find(|(s, a, _, _)| *s == status && *a == action)
        .unwrap_or_else(|| panic!("no row for {status} {action}"));
    if format == "digital" { row.2 } else { row.3 }
}

/// The librarian, the unit's borrower, and which copies are out.
struct Desk<'a> {
    lib: &'a Session,
    officer: &'a Session,
    copies: HashMap<&'static str, Vec<String>>,
    out: HashSet<String>,
}

impl Desk<'_> {
    async fn lendable(&mut self, id: &'static str, licences: Option<u32>, copies: u32) {
        let title = format!("状态表测试片 {id}");
        let body = lendable_titled(self.lib, id, &title, licences, copies).await;
        self.copies.insert(id, barcodes(&body));
    }

    /// A copy of the resource that is not out, so a refused issue is the state's doing.
    fn free_copy(&self, resource: &str) -> String {
        self.copies[resource]
            .iter()
            .find(|b| !self.out.contains(*b))
            .expect("a free copy")
            .clone()
    }

    async fn request(&self, resource: &str, format: &str, (from, to): (i64, i64)) -> Value {
        requested(self.officer, resource, format, &day(from), &day(to)).await
    }

    /// Runs a step of the setup, which must succeed.
    async fn step(&mut self, loan: &Value, action: &str) -> Value {
        let session = if LIBRARIAN_ONLY.contains(&action) {
            self.lib
        } else {
            self.officer
        };
        let body = self.body(action, loan);
        let (status, answer) = act(session, loan, action, body.clone()).await;
        assert_eq!(status, 200, "setup {action}: {answer}");
        if action == "issue" {
            self.out
                .insert(body["barcode"].as_str().unwrap().to_owned());
        }
        answer
    }

    /// What each action needs, valid for the loan, so only the state decides.
    fn body(&self, action: &str, loan: &Value) -> Value {
        match action {
            "reject" => json!({"reason": "与本单位警示教育计划不符"}),
            "issue" => json!({"barcode": self.free_copy(loan["resource_id"].as_str().unwrap())}),
            "return" => json!({"condition": "good"}),
            "report" => {
                json!({"held_on": day(TODAY), "participants": 80, "feedback": "以案为鉴，触动很大"})
            }
            "move" => json!({"start": day(MOVED_TO.0), "end": day(MOVED_TO.1)}),
            "recall" => json!({"reason": "专项检查需要收回"}),
            _ => json!({}),
        }
    }

    /// A loan that is active over `period` (digital: approved on its start date).
    async fn active(&mut self, format: &str, period: (i64, i64)) -> Value {
        let loan = self.request(PLENTY, format, period).await;
        let approved = self.step(&loan, "approve").await;
        if format == "digital" {
            approved
        } else {
            self.step(&loan, "issue").await
        }
    }

    /// A fresh loan in `status`, on [`TODAY`]; expired and overdue come from
    /// [`Self::active`] before the clock moved.
    async fn bring(&mut self, status: &str, format: &str) -> Value {
        match status {
            "requested" => self.request(PLENTY, format, AHEAD).await,
            "approved" => {
                // A digital loan would be active from its start; a copy is issued from it.
                let period = if format == "digital" { AHEAD } else { CURRENT };
                let loan = self.request(PLENTY, format, period).await;
                self.step(&loan, "approve").await
            }
            "active" => self.active(format, CURRENT).await,
            "returned" => {
                let loan = self.active(format, CURRENT).await;
                self.step(&loan, "return").await
            }
            "rejected" | "cancelled" => {
                let loan = self.request(PLENTY, format, AHEAD).await;
                let verb = if status == "rejected" {
                    "reject"
                } else {
                    "cancel"
                };
                self.step(&loan, verb).await
            }
            "waitlisted" => self.request(SCARCE, format, WAITING).await,
            other => unreachable!("{other} is reached through the clock"),
        }
    }
}

/// What a successful action must have done besides the state (renewal, report and
/// move keep the state, so the state alone would not show they happened).
fn effect_missing(action: &str, before: &Value, after: &Value, body: &Value) -> Option<String> {
    let ok = match action {
        "renew" => {
            after["renewals"].as_u64() == before["renewals"].as_u64().map(|n| n + 1)
                && after["end"].as_str() > before["end"].as_str()
        }
        "report" => after["report"]["participants"] == body["participants"],
        "move" => after["start"] == body["start"],
        "issue" => after["barcode"] == body["barcode"],
        "reject" => after["reject_reason"] == body["reason"],
        "return" => after["returned_on"] == day(TODAY),
        "recall" => after["recall_reason"] == body["reason"] && after["recalled_at"].is_string(),
        _ => true,
    };
    (!ok).then(|| format!("{action} did not take effect: {before} → {after}"))
}

#[test]
fn the_table_has_one_row_per_state_and_action() {
    let mut seen = HashSet::new();
    for (status, action, digital, physical) in TABLE {
        assert!(STATUSES.contains(&status) && ACTIONS.contains(&action));
        assert!(seen.insert((status, action)), "{status} {action} twice");
        // Expiry is digital, overdue physical; every other state is both.
        assert_eq!(digital == Never, status == "overdue", "{status} {action}");
        assert_eq!(physical == Never, status == "expired", "{status} {action}");
    }
    assert_eq!(seen.len(), STATUSES.len() * ACTIONS.len());
}

#[tokio::test]
async fn every_state_action_and_format_answers_as_the_table_says() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tax").await;
    let mut desk = Desk {
        lib: &lib,
        officer: &officer,
        copies: HashMap::new(),
        out: HashSet::new(),
    };
    // Copies: a physical loan per action in the active, returned and overdue states,
    // plus the one issued from approved.
    desk.lendable(PLENTY, None, 30).await;
    desk.lendable(SCARCE, Some(1), 1).await;
    for format in ["digital", "physical"] {
        desk.request(SCARCE, format, HELD).await;
    }

    // One fresh loan per triple: (state, format, action, loan).
    let mut loans: Vec<(&str, &str, &str, Value)> = Vec::new();
    for action in ACTIONS {
        loans.push((
            "expired",
            "digital",
            action,
            desk.active("digital", ENDED).await,
        ));
        loans.push((
            "overdue",
            "physical",
            action,
            desk.active("physical", ENDED).await,
        ));
    }
    app.state
        .clock
        .set_date(MONDAY.checked_add(jiff::Span::new().days(TODAY)).unwrap());
    app.sweep();
    for status in STATUSES {
        if matches!(status, "expired" | "overdue") {
            continue;
        }
        for format in ["digital", "physical"] {
            for action in ACTIONS {
                loans.push((status, format, action, desk.bring(status, format).await));
            }
        }
    }
    assert_eq!(
        loans.len(),
        144,
        "7 states × 2 formats + 2 × 1, × 9 actions"
    );

    let audits = || app.count("SELECT count(*) FROM audit_log WHERE action LIKE 'loan_%'");
    let notices = || app.count("SELECT count(*) FROM notifications");
    let mut mismatches: Vec<String> = Vec::new();
    let (mut succeeded, mut refused, mut forbidden) = (0, 0, 0);
    for (status, format, action, loan) in &loans {
        let triple = format!("{action} from {status} ({format})");
        let before = show(&lib, loan).await;
        assert_eq!(before["status"], *status, "setup of {triple}: {before}");
        let body = desk.body(action, loan);
        let librarian_only = librarian_only(action, format);

        // The role wall comes before the state: the unit's own borrower gets 403.
        if librarian_only {
            let counts = (audits(), notices());
            let (code, answer) = act(&officer, loan, action, body.clone()).await;
            let message = answer["error"]["message"].as_str().unwrap_or("");
            if code != 403 || answer["error"]["code"] != "forbidden" || message.is_empty() {
                mismatches.push(format!("borrower {triple}: {code} {answer}, wanted 403"));
            }
            if show(&lib, loan).await != before || (audits(), notices()) != counts {
                mismatches.push(format!("borrower {triple} changed something"));
            }
            forbidden += 1;
        }

        let session = if librarian_only { &lib } else { &officer };
        let counts = (audits(), notices());
        let (code, answer) = act(session, loan, action, body.clone()).await;
        let after = show(&lib, loan).await;
        match expected(status, action, format) {
            To(next) | Decided(next) => {
                succeeded += 1;
                if code != 200 || answer["status"] != next || after["status"] != next {
                    mismatches.push(format!(
                        "{triple}: {code} {answer}; read back {}, wanted 200 and {next}",
                        after["status"]
                    ));
                } else if let Some(missing) = effect_missing(action, &before, &after, &body) {
                    mismatches.push(missing);
                }
                if code == 200 && *action == "issue" {
                    desk.out
                        .insert(body["barcode"].as_str().unwrap().to_owned());
                }
            }
            Refused(wanted) => {
                refused += 1;
                let message = answer["error"]["message"].as_str().unwrap_or("");
                // A 409 here must be the state's refusal, not capacity or timing.
                if code != wanted
                    || message.is_empty()
                    || (wanted == 409 && answer["error"]["code"] != "illegal_transition")
                {
                    mismatches.push(format!("{triple}: {code} {answer}, wanted {wanted}"));
                }
                if after != before || (audits(), notices()) != counts {
                    mismatches.push(format!(
                        "{triple} was refused but changed the loan: {before} → {after}"
                    ));
                }
            }
            Never => unreachable!("{triple}: no loan is brought there"),
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} triples differ from the table:\n{}",
        mismatches.len(),
        loans.len(),
        mismatches.join("\n")
    );
    assert_eq!((succeeded, refused, forbidden), (35, 109, 88));
}
