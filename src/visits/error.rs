//! What can go wrong with a base's sessions or a unit's visit, in visit words; `web`
//! maps each to a status once.

use super::model::{SessionStatus, VisitAction, VisitStatus};

#[derive(Debug, thiserror::Error)]
pub enum VisitError {
    /// The action is not one of SPEC §8's transitions from the visit's current state.
    #[error("这次参观当前状态为“{}”（{}），不能{}", from.label(), from.as_str(), action.label())]
    IllegalTransition {
        from: VisitStatus,
        action: VisitAction,
    },
    #[error("没有编号为 {0} 的参观申请")]
    NotFound(i64),
    #[error("没有编号为 {0} 的场次")]
    SessionNotFound(i64),
    #[error("没有编号为“{0}”的警示教育基地，或该基地未发布")]
    BaseNotFound(String),
    /// The group does not fit the session's free seats.
    #[error("场次 {date} {start} 只剩 {free} 个座位，容纳不下 {headcount} 人的参观团")]
    SessionFull {
        date: String,
        start: String,
        free: u32,
        headcount: u32,
    },
    /// Another unit's group is on the session and one of the two does not share.
    #[error("{0}")]
    NotShared(String),
    /// The session no longer takes bookings.
    #[error("场次 {date} {start} 已{}，不能预约", status.label())]
    SessionNotOpen {
        date: String,
        start: String,
        status: SessionStatus,
    },
    /// The unit already holds a visit on that day.
    #[error("本单位在 {date} 已有一次参观安排，同一天只能安排一次参观")]
    SameDay { date: String },
    /// The proposal was made before a request it covers changed.
    #[error("排期方案生成后，参观申请 {0} 已被他人处理，请重新生成方案")]
    StaleProposal(i64),
    /// The visit belongs to another unit.
    #[error("只能查看和办理本单位的参观")]
    OtherUnit,
    #[error("账号未关联单位，不能预约参观")]
    NoUnit,
    #[error("单位“{0}”已停用，不能预约参观；如有疑问请联系工委")]
    UnitInactive(String),
    /// Only a librarian may do this.
    #[error("{task}仅限工委管理员办理")]
    LibrariansOnly { task: &'static str },
    /// A field of the input is invalid; the message says how.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

impl VisitError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        VisitError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<crate::loans::LoanError> for VisitError {
    fn from(err: crate::loans::LoanError) -> Self {
        match err {
            crate::loans::LoanError::Db(db) => VisitError::Db(db),
            crate::loans::LoanError::Open(open) => VisitError::Open(open),
            crate::loans::LoanError::Invalid { field, message } => {
                VisitError::Invalid { field, message }
            }
            other => VisitError::invalid("date", other.to_string()),
        }
    }
}
