//! Loans and coordination (SPEC §5): requests for a unit, capacity over date ranges,
//! the waitlist, renewals, digital access windows, closed days, the librarian's queue
//! and calendar, notifications and reports after use. No HTTP here.
//!
//! Decisions:
//! - A `requested` loan holds its copy or licence for its days, like `approved`,
//!   `active` and `overdue`. A unit told "requested" is therefore never turned down
//!   later for lack of room, and concurrent requests for the last slot resolve at
//!   request time: one `requested`, the rest `waitlisted` in arrival order. Approval
//!   checks capacity again in its transaction (holdings may have shrunk).
//! - A waitlisted request that fits is promoted to `requested` (and approved at once
//!   when the resource auto-approves). Promotion runs, in arrival order, in the
//!   transaction that frees room (cancel, reject, return, move), before each new
//!   request, and every minute in the background task.
//! - A waitlisted request can be rejected or cancelled like a request.
//! - One unit may not block a resource for everyone: it holds at most
//!   `max_open_per_unit` open loans of a resource (requested, waitlisted, approved,
//!   active, overdue; both formats), whoever files them, and a loan lasts at most the
//!   resource's longest period for its format, renewals and moves included
//!   (`settings`).
//! - Every step runs in one `BEGIN IMMEDIATE` transaction and first applies what
//!   the date alone decides (activation, expiry, overdue), so a step never acts on a
//!   state the background task has not caught up with yet.

pub mod basket;
mod batch;
mod calendar;
mod capacity;
mod circulation;
mod command;
mod counts;
pub mod days;
mod desk;
mod error;
mod model;
pub mod notice;
pub mod notify;
mod queue;
mod read;
mod recall;
mod reports;
mod request;
mod settings;
mod steps;
mod store;
pub mod sweep;
mod table;
mod transitions;
mod waitlist;
mod withdrawal;

pub use basket::{
    Addition, Basket, BasketAddition, BasketEntry, BasketMarks, BasketTerms, ItemCheck, ItemFormat,
    add_to_basket, basket, basket_count, basket_marks, remove_from_basket, send_basket,
    set_item_format, set_terms,
};
pub use batch::{
    BatchApproval, BatchHead, BatchItem, BatchLine, BatchLineItem, BatchRequest, LoanBatch,
    MAX_BATCH_ITEMS, NotApproved, approve_batch, create_batch, get_batch, pending_batches,
};
pub use calendar::{Availability, MonthDay, MonthView, availability, free_days_of_month, month};
pub use capacity::{Capacity, earliest_fit, fits, peak, usage};
pub use circulation::{IssueRequest, ReturnRequest};
pub use command::{Command, act};
pub use counts::{LoanCounts, loan_counts};
pub use desk::{
    CopiesToHandle, CopyOut, DeskDay, Pickup, copies_out, desk_day, physical_to_handle,
    shelf_copies, slip,
};
pub use error::{CopyProblem, IssueTiming, LoanError, RenewalRefusal};
pub use model::{Action, Actor, Format, Loan, LoanId, LoanStatus, Period, Report};
pub use queue::{Conflict, QueueItem, QueueSlice, Review, pending_count, queue, requested_count};
pub use read::units_with_loans_between;
pub use read::{
    LoanFilter, borrow_count, get, list, readable_loan, unavailable_on, unit_has_active_loan,
};
pub use recall::{RECALL_DAYS, RecallRequest, default_recall_due};
pub use reports::{
    MAX_REPORT_ROWS, ReportFilter, ReportList, ReportRow, ReportTotals, reported_resources, reports,
};
pub use request::{LoanRequest, MAX_LOAN_DAYS, MoveRequest, create};
pub use settings::{
    LoanSettings, MAX_ISSUE_LEAD_DAYS, MAX_OPEN_CEILING, SettingsChange, auto_approves,
    change_loan_settings, loan_settings, set_auto_approve,
};
pub use steps::{CancelRequest, MAX_REASON_CHARS, RejectRequest, RenewRequest, ReportRequest};
pub use store::write_generation;
pub use table::{
    FILTER_MAX_CHARS, LoanTable, StateFilter, TABLE_PAGE, TableFilter, TableRow, loan_table,
    newest_first,
};
pub use transitions::{MAX_RENEWALS, available_actions, next_status};
pub use withdrawal::{
    OnLoans, OpenLoans, WithdrawRequest, Withdrawal, open_loans, withdraw_resource,
};
