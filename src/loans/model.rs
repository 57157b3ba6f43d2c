//! Loan states, formats, actions and SPEC §5's transition table; the loan as shown.

use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use super::LoanError;

/// A loan's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct LoanId(pub i64);

impl std::fmt::Display for LoanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a loan is in its life (stored as text with a CHECK constraint).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LoanStatus {
    Requested,
    Approved,
    Active,
    Returned,
    Rejected,
    Cancelled,
    Expired,
    Overdue,
    Waitlisted,
}

impl LoanStatus {
    pub const ALL: [LoanStatus; 9] = [
        LoanStatus::Requested,
        LoanStatus::Approved,
        LoanStatus::Active,
        LoanStatus::Returned,
        LoanStatus::Rejected,
        LoanStatus::Cancelled,
        LoanStatus::Expired,
        LoanStatus::Overdue,
        LoanStatus::Waitlisted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LoanStatus::Requested => "requested",
            LoanStatus::Approved => "approved",
            LoanStatus::Active => "active",
            LoanStatus::Returned => "returned",
            LoanStatus::Rejected => "rejected",
            LoanStatus::Cancelled => "cancelled",
            LoanStatus::Expired => "expired",
            LoanStatus::Overdue => "overdue",
            LoanStatus::Waitlisted => "waitlisted",
        }
    }

    /// The Chinese name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            LoanStatus::Requested => "待审批",
            LoanStatus::Approved => "已批准",
            LoanStatus::Active => "借阅中",
            LoanStatus::Returned => "已归还",
            LoanStatus::Rejected => "已驳回",
            LoanStatus::Cancelled => "已取消",
            LoanStatus::Expired => "已到期",
            LoanStatus::Overdue => "已逾期",
            LoanStatus::Waitlisted => "候补中",
        }
    }

    pub fn parse(value: &str) -> Result<Self, LoanError> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
            .ok_or_else(|| {
                LoanError::invalid(
                    "status",
                    format!(
                        "“{value}”不是有效的借阅状态；应为 requested、approved、active、returned、rejected、cancelled、expired、overdue 或 waitlisted"
                    ),
                )
            })
    }

    /// Whether a loan in this state takes a copy or licence for its days. A request
    /// holds its slot until decided, so that a unit told "requested" is not later
    /// turned down for lack of room; see the module documentation.
    pub fn holds_capacity(self) -> bool {
        matches!(
            self,
            LoanStatus::Requested | LoanStatus::Approved | LoanStatus::Active | LoanStatus::Overdue
        )
    }

    /// Whether the loan counts as lent (for the catalogue's most-borrowed sort).
    pub fn is_lent(self) -> bool {
        matches!(
            self,
            LoanStatus::Approved
                | LoanStatus::Active
                | LoanStatus::Returned
                | LoanStatus::Expired
                | LoanStatus::Overdue
        )
    }
}

/// The SQL list of the states that hold capacity (keep in step with `holds_capacity`).
pub(crate) const HOLDING_SQL: &str = "('requested', 'approved', 'active', 'overdue')";
/// The first day a loan holds its copy or licence: its start, or the day its copy
/// was handed out when that was earlier (the resource's issue window).
pub(crate) const HELD_FROM_SQL: &str = "min(start_date, coalesce(issued_on, start_date))";
/// States that count as "lent" (keep in step with `is_lent`).
pub(crate) const LENT_SQL: &str = "('approved', 'active', 'returned', 'expired', 'overdue')";

/// Digital access or a physical copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Digital,
    Physical,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Digital => "digital",
            Format::Physical => "physical",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Format::Digital => "数字",
            Format::Physical => "实体",
        }
    }

    /// What one unit of capacity is called, for messages.
    pub fn unit_name(self) -> &'static str {
        match self {
            Format::Digital => "数字许可",
            Format::Physical => "实体拷贝",
        }
    }

    pub fn parse(value: &str) -> Result<Self, LoanError> {
        match value.trim() {
            "digital" => Ok(Format::Digital),
            "physical" => Ok(Format::Physical),
            other => Err(LoanError::invalid(
                "format",
                format!("“{other}”不是有效的借阅形式；应为 digital（数字）或 physical（实体）"),
            )),
        }
    }
}

/// Something done to a loan, by a person or by the background task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Approve,
    Reject,
    Issue,
    Return,
    Renew,
    Cancel,
    Report,
    Move,
    /// Digital, on the start date (background task).
    Activate,
    /// Digital, after the end date (background task).
    Expire,
    /// Physical, past the end date while still out (background task).
    MarkOverdue,
    /// A waitlisted request now fits.
    Promote,
    /// The library wants a lent item back before its end (librarians, with a reason).
    Recall,
}

impl Action {
    /// The verbs of `POST /api/v1/loans/{id}/{action}`.
    pub const REQUESTABLE: [Action; 9] = [
        Action::Approve,
        Action::Reject,
        Action::Issue,
        Action::Return,
        Action::Renew,
        Action::Cancel,
        Action::Report,
        Action::Move,
        Action::Recall,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Issue => "issue",
            Action::Return => "return",
            Action::Renew => "renew",
            Action::Cancel => "cancel",
            Action::Report => "report",
            Action::Move => "move",
            Action::Activate => "activate",
            Action::Expire => "expire",
            Action::MarkOverdue => "overdue",
            Action::Promote => "promote",
            Action::Recall => "recall",
        }
    }

    /// As a verb phrase after “不能”.
    pub fn label(self) -> &'static str {
        match self {
            Action::Approve => "批准",
            Action::Reject => "驳回",
            Action::Issue => "出借（交付实体拷贝）",
            Action::Return => "归还",
            Action::Renew => "续借",
            Action::Cancel => "取消",
            Action::Report => "提交使用报告",
            Action::Move => "调整借阅日期",
            Action::Activate => "生效",
            Action::Expire => "到期",
            Action::MarkOverdue => "标记逾期",
            Action::Promote => "从候补转为申请",
            Action::Recall => "召回",
        }
    }

    /// Only librarians may do these; the others are the requesting unit's (librarians
    /// may act for a unit too).
    pub fn librarian_only(self) -> bool {
        matches!(
            self,
            Action::Approve | Action::Reject | Action::Issue | Action::Move | Action::Recall
        )
    }

    /// Whether only a librarian may take this action on a loan of `format`: besides
    /// the [`librarian_only`](Self::librarian_only) ones, a physical copy comes back
    /// through the library's desk, while a unit may end its digital loan itself.
    pub fn librarian_only_for(self, format: Format) -> bool {
        self.librarian_only() || (self == Action::Return && format == Format::Physical)
    }
}

pub use crate::actor::Actor;

/// A period of calendar days, both ends inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Period {
    #[schema(value_type = String, format = Date)]
    pub start: Date,
    #[schema(value_type = String, format = Date)]
    pub end: Date,
}

/// What a unit reported after using the material.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Report {
    #[schema(value_type = String, format = Date)]
    pub held_on: Date,
    /// Sessions (场次) the report counts; 1 unless the unit said more.
    pub sessions: u32,
    pub participants: u32,
    pub feedback: String,
    pub reported_by: String,
    pub reported_at: String,
}

/// A loan as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Loan {
    pub id: LoanId,
    pub resource_id: String,
    pub resource_title: String,
    pub unit: String,
    pub unit_name: String,
    pub format: Format,
    pub format_label: &'static str,
    #[schema(value_type = String, format = Date)]
    pub start: Date,
    #[schema(value_type = String, format = Date)]
    pub end: Date,
    /// The end as asked; differs from `end` when that was a closed day.
    #[schema(value_type = String, format = Date)]
    pub requested_end: Date,
    pub status: LoanStatus,
    pub status_label: &'static str,
    /// 1-based place among the waitlisted requests competing for the same days.
    pub queue_position: Option<u32>,
    /// For a waitlisted request: the earliest period of the same length that fits.
    pub earliest_free: Option<Period>,
    pub purpose: String,
    pub audience: u32,
    pub renewals: u32,
    pub renewals_left: u32,
    /// The physical copy handed out.
    pub barcode: Option<String>,
    /// When the copy was handed out (RFC 3339), and by whom (display name).
    pub issued_at: Option<String>,
    pub issued_by: Option<String>,
    pub reject_reason: Option<String>,
    /// Why the loan was cancelled, when someone said (the library always does).
    pub cancel_reason: Option<String>,
    /// When the library recalled the loan (its end was brought forward; a digital
    /// loan ended at once), and why.
    pub recalled_at: Option<String>,
    pub recall_reason: Option<String>,
    /// The resource has been withdrawn from the catalogue (the loan page says so).
    pub resource_withdrawn: bool,
    pub return_condition: Option<String>,
    #[schema(value_type = Option<String>, format = Date)]
    pub returned_on: Option<Date>,
    pub report: Option<Report>,
    pub requested_by: String,
    pub created_at: String,
    pub updated_at: String,
    /// What the viewer may do now (`POST /api/v1/loans/{id}/{action}`).
    pub actions: Vec<&'static str>,
    /// The loan batch (借阅清单) it was requested with, if any.
    pub batch_id: Option<i64>,
}
