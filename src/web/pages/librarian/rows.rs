//! A loan as a row of the librarian's queue table and today's desk lists: the loan,
//! the unit's liaison to call, what deciding a request needs, the copies on the shelf
//! its issue form offers, and — when one of its forms was refused — the message and
//! the values typed, shown again beside that form.

use std::collections::HashMap;

use crate::accounts::Liaison;
use crate::loans::{self, Loan, Review};
use crate::web::pages::loans::{LoanView, capacity_label};

/// Whom to call about a unit's loan.
pub struct LiaisonView {
    pub name: String,
    pub mobile: String,
    /// `mobile` as a `tel:` address: digits and a leading `+` only.
    pub tel: String,
    pub email: String,
}

impl LiaisonView {
    pub fn of(liaison: &Liaison) -> Option<Self> {
        if liaison.is_empty() {
            return None;
        }
        let mobile = liaison.mobile.trim();
        let tel: String = mobile
            .chars()
            .enumerate()
            .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
            .map(|(_, c)| c)
            .collect();
        Some(Self {
            name: liaison.name.trim().to_owned(),
            mobile: mobile.to_owned(),
            tel,
            email: liaison.email.trim().to_owned(),
        })
    }
}

/// A refused loan form: which loan and action, why, and what was typed.
#[derive(Debug, Clone, Default)]
pub struct LoanRetry {
    pub loan_id: i64,
    /// The action's name (`issue`, `move`, …).
    pub action: String,
    pub message: String,
    pub barcode: String,
    pub reason: String,
    pub start: String,
    pub end: String,
    pub condition: String,
}

/// What deciding a pending request needs, in words.
pub struct ReviewView {
    pub capacity: String,
    pub peak_used: u32,
    pub conflicts: Vec<String>,
    pub suggestion: Option<(String, String)>,
}

impl ReviewView {
    pub fn of(review: &Review) -> Self {
        Self {
            capacity: capacity_label(review.capacity),
            peak_used: review.peak_used,
            conflicts: review
                .conflicts
                .iter()
                .map(|c| {
                    format!(
                        "#{} {}（{}）{} 至 {}",
                        c.id,
                        c.unit_name,
                        c.status.label(),
                        c.start,
                        c.end
                    )
                })
                .collect(),
            suggestion: review
                .suggestion
                .map(|p| (p.start.to_string(), p.end.to_string())),
        }
    }
}

/// One loan as a row with its action forms.
pub struct DeskRow {
    pub loan: LoanView,
    pub liaison: Option<LiaisonView>,
    pub review: Option<ReviewView>,
    /// Barcodes of the resource's copies on the shelf (the issue form's list).
    pub shelf: Vec<String>,
    /// The loan's month, for the calendar link.
    pub month: String,
    /// A slip can be printed (a physical copy was handed out).
    pub has_slip: bool,
    /// Checked for bulk approval (kept after a refused bulk approval).
    pub selected: bool,
    /// The refusal of one of this row's forms.
    pub retry: Option<LoanRetry>,
    /// The values the forms start with (typed ones after a refusal).
    pub barcode: String,
    pub reason: String,
    pub move_start: String,
    pub move_end: String,
    pub condition: String,
    /// What the desk should know about the row's day (when the copy may be handed
    /// out, how long overdue).
    pub note: String,
}

impl DeskRow {
    pub fn of(loan: &Loan, review: Option<&Review>, liaisons: &HashMap<String, Liaison>) -> Self {
        let view = LoanView::of(loan);
        let review = review.map(ReviewView::of);
        let (move_start, move_end) = review
            .as_ref()
            .and_then(|r| r.suggestion.clone())
            .unwrap_or_else(|| (view.start.clone(), view.end.clone()));
        Self {
            liaison: liaisons.get(&loan.unit).and_then(LiaisonView::of),
            has_slip: loan.format == loans::Format::Physical && loan.barcode.is_some(),
            month: format!("{:04}-{:02}", loan.start.year(), loan.start.month()),
            shelf: Vec::new(),
            selected: false,
            retry: None,
            barcode: String::new(),
            reason: String::new(),
            move_start,
            move_end,
            condition: "good".to_owned(),
            note: String::new(),
            review,
            loan: view,
        }
    }

    /// Puts a refused form's message and typed values on this row when it is its loan.
    pub fn take_retry(&mut self, retry: &Option<LoanRetry>) -> bool {
        let Some(retry) = retry.as_ref().filter(|r| r.loan_id == self.loan.id) else {
            return false;
        };
        match retry.action.as_str() {
            "issue" => self.barcode = retry.barcode.clone(),
            "reject" => self.reason = retry.reason.clone(),
            "move" => (self.move_start, self.move_end) = (retry.start.clone(), retry.end.clone()),
            "return" => self.condition = retry.condition.clone(),
            _ => {}
        }
        self.retry = Some(retry.clone());
        true
    }

    /// The refusal to show beside the form of `action`, if that form was refused.
    pub fn error_for(&self, action: &str) -> Option<&str> {
        self.retry
            .as_ref()
            .filter(|r| r.action == action)
            .map(|r| r.message.as_str())
    }

    /// A refusal of an action this row has no form for (said beside the forms).
    pub fn other_error(&self) -> Option<&str> {
        const FORMS: [&str; 5] = ["approve", "issue", "return", "reject", "move"];
        self.retry
            .as_ref()
            .filter(|r| !FORMS.contains(&r.action.as_str()))
            .map(|r| r.message.as_str())
    }

    /// The `id` of the message beside the form of `action`, for `aria-describedby`.
    pub fn error_id(&self, action: &str) -> String {
        format!("loan-{}-{action}-error", self.loan.id)
    }
}

/// A refusal whose loan is not among the rows shown: said at the top of the page.
pub fn unplaced(retry: &Option<LoanRetry>, rows_took_it: bool) -> Option<String> {
    let retry = retry.as_ref().filter(|_| !rows_took_it)?;
    let action = crate::loans::Command::action_named(&retry.action)
        .map(crate::loans::Action::label)
        .unwrap_or("办理");
    Some(format!(
        "借阅 #{} 未能{}：{}",
        retry.loan_id, action, retry.message
    ))
}
