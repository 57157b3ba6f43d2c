//! The vocabulary of visits: a session's status, a visit's states and actions, and
//! how sessions and visits are shown.

use serde::Serialize;

/// Whether a session takes bookings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SessionStatus {
    Open,
    /// No new bookings; those already held stay.
    Closed,
    /// Called off: the groups on it are told and offered other sessions.
    Cancelled,
}

impl SessionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SessionStatus::Open => "open",
            SessionStatus::Closed => "closed",
            SessionStatus::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SessionStatus::Open => "开放预约",
            SessionStatus::Closed => "停止预约",
            SessionStatus::Cancelled => "取消",
        }
    }

    pub(crate) fn from_db(value: &str) -> Self {
        match value {
            "closed" => SessionStatus::Closed,
            "cancelled" => SessionStatus::Cancelled,
            _ => SessionStatus::Open,
        }
    }
}

/// A visit's state (SPEC §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VisitStatus {
    Requested,
    Scheduled,
    Confirmed,
    Attended,
    NoShow,
    Cancelled,
    Rejected,
}

impl VisitStatus {
    pub const ALL: [VisitStatus; 7] = [
        VisitStatus::Requested,
        VisitStatus::Scheduled,
        VisitStatus::Confirmed,
        VisitStatus::Attended,
        VisitStatus::NoShow,
        VisitStatus::Cancelled,
        VisitStatus::Rejected,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VisitStatus::Requested => "requested",
            VisitStatus::Scheduled => "scheduled",
            VisitStatus::Confirmed => "confirmed",
            VisitStatus::Attended => "attended",
            VisitStatus::NoShow => "no_show",
            VisitStatus::Cancelled => "cancelled",
            VisitStatus::Rejected => "rejected",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitStatus::Requested => "待安排",
            VisitStatus::Scheduled => "已安排待确认",
            VisitStatus::Confirmed => "已确认",
            VisitStatus::Attended => "已参观",
            VisitStatus::NoShow => "未到场",
            VisitStatus::Cancelled => "已取消",
            VisitStatus::Rejected => "未获安排",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == value.trim())
    }

    /// Holds seats on its session.
    pub fn holds_seats(self) -> bool {
        matches!(
            self,
            VisitStatus::Scheduled | VisitStatus::Confirmed | VisitStatus::Attended
        )
    }
}

/// What someone does to a visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum VisitAction {
    Schedule,
    Confirm,
    Cancel,
    Reject,
    Report,
    NoShow,
}

impl VisitAction {
    pub const ALL: [VisitAction; 6] = [
        VisitAction::Schedule,
        VisitAction::Confirm,
        VisitAction::Cancel,
        VisitAction::Reject,
        VisitAction::Report,
        VisitAction::NoShow,
    ];

    /// The name in `POST /api/v1/visits/{id}/{action}`.
    pub fn as_str(self) -> &'static str {
        match self {
            VisitAction::Schedule => "schedule",
            VisitAction::Confirm => "confirm",
            VisitAction::Cancel => "cancel",
            VisitAction::Reject => "reject",
            VisitAction::Report => "report",
            VisitAction::NoShow => "no-show",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            VisitAction::Schedule => "安排场次",
            VisitAction::Confirm => "确认参观",
            VisitAction::Cancel => "取消",
            VisitAction::Reject => "不予安排",
            VisitAction::Report => "填报参观情况",
            VisitAction::NoShow => "登记未到场",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == value)
    }

    /// The state this action leads to from `from`, if SPEC §8 allows it.
    pub fn next(self, from: VisitStatus) -> Option<VisitStatus> {
        use VisitStatus as S;
        match (self, from) {
            (VisitAction::Schedule, S::Requested) => Some(S::Scheduled),
            (VisitAction::Confirm, S::Scheduled) => Some(S::Confirmed),
            (VisitAction::Cancel, S::Requested | S::Scheduled | S::Confirmed) => Some(S::Cancelled),
            (VisitAction::Reject, S::Requested) => Some(S::Rejected),
            (VisitAction::Report, S::Confirmed) => Some(S::Attended),
            (VisitAction::NoShow, S::Confirmed) => Some(S::NoShow),
            _ => None,
        }
    }

    /// Only the committee does this.
    pub fn librarians_only(self) -> bool {
        matches!(
            self,
            VisitAction::Schedule | VisitAction::Reject | VisitAction::NoShow
        )
    }
}

/// A session as the API shows it (SPEC §8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub id: i64,
    pub base_id: String,
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM`.
    pub start: String,
    pub end: String,
    pub capacity: u32,
    /// Seats held by scheduled, confirmed and attended visits.
    pub booked: u32,
    pub status: SessionStatus,
    pub label: String,
    /// Sectors given first call on a trial's seats.
    pub sectors: Vec<String>,
    /// Why it was closed or cancelled.
    pub reason: Option<String>,
    /// Whether it was made from a weekly template.
    pub from_template: bool,
}

impl Session {
    /// A trial's public seats (庭审旁听): shared by every unit that asks, sectors
    /// named first, and shared out partially when asked for more than there are.
    pub fn is_trial(&self) -> bool {
        !self.sectors.is_empty() || self.label.contains("庭审")
    }

    pub fn free(&self) -> u32 {
        self.capacity.saturating_sub(self.booked)
    }

    /// `2027-03-02 09:00–11:00`, with the label when there is one.
    pub fn describe(&self) -> String {
        let when = format!("{} {}–{}", self.date, self.start, self.end);
        if self.label.is_empty() {
            when
        } else {
            format!("{when}（{}）", self.label)
        }
    }
}

/// A session a request named, in order of preference.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preference {
    pub rank: u32,
    pub session: Session,
}

/// A visit as the API shows it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Visit {
    pub id: i64,
    pub base_id: String,
    pub base_title: String,
    pub unit: String,
    pub unit_name: String,
    pub status: VisitStatus,
    pub status_label: &'static str,
    pub headcount: u32,
    pub liaison_name: String,
    pub liaison_phone: String,
    pub purpose: String,
    /// The group may share its session with other units (联合参观).
    pub share: bool,
    /// The session whose seats it holds (or held, for a no-show).
    pub session: Option<Session>,
    pub preferences: Vec<Preference>,
    /// Why it was rejected or cancelled.
    pub reason: Option<String>,
    /// People present, from the report.
    pub attended: Option<u32>,
    pub reflections: Option<String>,
    pub needs_visitor_list: bool,
    /// How many visitors are listed.
    pub visitors: u32,
    pub requested_by_name: String,
    pub created_at: String,
    pub updated_at: String,
    /// Raised by every change; a schedule proposal names the revision it saw.
    pub revision: i64,
}
