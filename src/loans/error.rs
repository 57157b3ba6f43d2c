//! What can go wrong with a loan, in loan words; `web` maps each to a status once.

use jiff::civil::Date;

use super::model::{Action, LoanId, LoanStatus};

#[derive(Debug, thiserror::Error)]
pub enum LoanError {
    /// The action is not one of SPEC §5's transitions from the loan's current state.
    #[error("这笔借阅当前状态为“{}”（{}），不能{}", from.label(), from.as_str(), action.label())]
    IllegalTransition { from: LoanStatus, action: Action },
    #[error("没有编号为 {0} 的借阅")]
    NotFound(LoanId),
    #[error("没有编号为“{}”的资源，或该资源未发布", shown_id(.0))]
    ResourceNotFound(String),
    /// The period does not fit the free copies or licences (move, renewal, approval).
    #[error("{start} 至 {end} 期间已没有空余的{what}，请换一个时间段")]
    NoCapacity {
        start: Date,
        end: Date,
        what: &'static str,
    },
    /// Renewal refused: someone waits, or the limit is reached.
    #[error("{why}")]
    RenewalRefused { why: RenewalRefusal },
    /// The named copy cannot be handed out for this loan.
    #[error("{}", why.describe(barcode))]
    CopyUnavailable { barcode: String, why: CopyProblem },
    /// Too early or too late to hand out a copy.
    #[error("{0}")]
    Timing(IssueTiming),
    /// A loan is recalled once; a second recall would only repeat the notice.
    #[error("这笔借阅已于 {on} 召回，请等待归还")]
    AlreadyRecalled { on: String },
    /// The loan belongs to another unit (used where existence is not hidden).
    #[error("只能查看和办理本单位的借阅")]
    OtherUnit,
    /// An account without a unit cannot request loans.
    #[error("账号未关联单位，不能申请借阅")]
    NoUnit,
    /// The unit was deactivated: it keeps its history but may not borrow.
    #[error("单位“{0}”已停用，不能申请借阅；如有疑问请联系工委资料室")]
    UnitInactive(String),
    /// Only a librarian may do this to a loan (approve, reject, issue, return, move).
    #[error("{}借阅仅限管理员办理", action.label())]
    LibrarianOnly { action: Action },
    /// A task only librarians may do (holidays, settings), tried by someone else.
    #[error("{task}仅限管理员办理")]
    LibrariansOnly { task: &'static str },
    /// The date is not on the holiday list.
    #[error("{0} 不在节假日列表中")]
    DayNotListed(Date),
    /// The unit already holds as many open loans of the resource as its settings
    /// allow: one unit may not block a resource for everyone.
    #[error(
        "单位“{unit}”在该资源上已有 {open} 笔未结束的借阅（待审批、候补、已批准或借阅中），每个单位最多 {limit} 笔；请等其办结或取消后再申请"
    )]
    TooManyOpen { unit: String, open: u32, limit: u32 },
    /// The period is longer than the resource allows for the format.
    #[error("{format}借阅最长 {max} 天，所申请的期间为 {asked} 天，请缩短")]
    TooLong {
        format: &'static str,
        asked: i64,
        max: u32,
    },
    /// A loan slip asked for a loan without a copy handed out.
    #[error("借阅 {id} 没有出借凭证：{why}")]
    NoSlip { id: LoanId, why: String },
    /// One item of a batch (or of the basket being sent) was refused, so nothing was
    /// filed: which item (0-based `index`), its resource and why.
    #[error("第 {} 项（{}）：{reason}", index + 1, shown_id(resource_id))]
    BadItem {
        index: usize,
        resource_id: String,
        reason: Box<LoanError>,
    },
    /// No batch of that number, or another unit's.
    #[error("没有编号为 {0} 的借阅清单")]
    BatchNotFound(i64),
    /// Only an account of a unit keeps a basket.
    #[error("借阅清单供各单位的借阅账号使用；本账号未关联单位，没有借阅清单")]
    NoBasket,
    /// The resource is not in the basket.
    #[error("借阅清单中没有资源“{}”", shown_id(.0))]
    NotInBasket(String),
    /// A field of the input is invalid; the message says how.
    #[error("{message}")]
    Invalid { field: String, message: String },
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

/// Why a renewal is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenewalRefusal {
    #[error("每笔借阅最多续借 {max} 次，已达上限")]
    LimitReached { max: u32 },
    #[error("有 {waiting} 个申请正在候补该资源，暂不能续借")]
    Waitlisted { waiting: i64 },
    #[error("续借后借阅期共 {total} 天，超过{format}借阅最长 {max} 天")]
    TooLong {
        format: &'static str,
        total: i64,
        max: u32,
    },
    #[error("这笔借阅已被召回，不能续借")]
    Recalled,
    #[error("该资源已撤回，借阅只能进行到原定结束日期，不能续借")]
    Withdrawn,
}

/// Why a named copy cannot be handed out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyProblem {
    OtherResource,
    OutOfCirculation,
    OutWith { loan: i64 },
}

impl CopyProblem {
    /// In words, naming the copy.
    pub fn describe(&self, barcode: &str) -> String {
        match self {
            CopyProblem::OtherResource => format!("条码“{barcode}”不是该资源的拷贝"),
            CopyProblem::OutOfCirculation => format!("拷贝“{barcode}”已停止流通，不能出借"),
            CopyProblem::OutWith { loan } => {
                format!("拷贝“{barcode}”正在借阅 {loan} 中，尚未归还")
            }
        }
    }
}

/// A copy handed out outside its loan's period.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueTiming {
    /// Earlier than the resource's issue window (`issue_lead_days` before the start).
    #[error("{}", before_start(*start, *from, *lead))]
    BeforeStart { start: Date, from: Date, lead: u32 },
    /// Handing the copy out early would take one that other loans hold before the start.
    #[error(
        "借阅期从 {start} 开始；在此之前的日子里实体拷贝已全部被其他借阅占用，请于 {start} 再出借"
    )]
    NoRoomBeforeStart { start: Date },
    #[error("借阅期已于 {end} 结束，请先调整日期再出借")]
    AfterEnd { end: Date },
}

fn before_start(start: Date, from: Date, lead: u32) -> String {
    if lead == 0 {
        format!("借阅期从 {start} 开始，该资源的实体拷贝只能从 {start} 当天起出借")
    } else {
        format!("借阅期从 {start} 开始，最早可于 {from} 出借（该资源可提前 {lead} 天出借）")
    }
}

/// A resource id as typed, short enough to show back in a message.
pub(crate) fn shown_id(raw: &str) -> String {
    let raw = raw.trim();
    match raw.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &raw[..at]),
        None => raw.to_owned(),
    }
}

impl LoanError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        LoanError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

impl From<crate::catalog::CatalogError> for LoanError {
    fn from(err: crate::catalog::CatalogError) -> Self {
        match err {
            crate::catalog::CatalogError::Db(db) => LoanError::Db(db),
            crate::catalog::CatalogError::NotFound(id) => LoanError::ResourceNotFound(id),
            crate::catalog::CatalogError::Invalid { field, message } => {
                LoanError::Invalid { field, message }
            }
            other => LoanError::Invalid {
                field: "resource".to_owned(),
                message: other.to_string(),
            },
        }
    }
}
