//! What can go wrong with units and accounts.

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("单位代码“{0}”已存在")]
    UnitExists(String),
    #[error("没有代码为“{0}”的单位")]
    UnknownUnit(String),
    #[error("用户名“{0}”已存在")]
    UserExists(String),
    /// Wrong username or password; the answer should be delayed by `delay_secs`.
    #[error("用户名或密码错误")]
    BadCredentials { delay_secs: u64 },
    #[error("登录失败次数过多，请{}后再试", wait_words(*retry_after_secs))]
    Locked { retry_after_secs: i64 },
    /// Too many passwords being checked at once; nothing was checked or counted.
    #[error("正在登录的人太多，请{}后再试", wait_words(*retry_after_secs))]
    Busy { retry_after_secs: i64 },
    #[error("当前密码不正确")]
    WrongPassword,
    /// The current password was wrong too often: the session ended.
    #[error("当前密码多次输入错误，为安全起见已退出登录，请重新登录")]
    SessionEnded,
    #[error("没有用户名为“{0}”的账号")]
    UnknownUser(String),
    /// Managing units and accounts is for admins.
    #[error("仅限系统管理员操作")]
    AdminsOnly,
    /// A disabled account gave its right password.
    #[error("该账号已停用，不能登录；如有疑问请联系工委资料室")]
    AccountDisabled,
    /// The account's unit was deactivated: its accounts can neither sign in nor borrow.
    #[error("您所在的单位“{0}”已停用，其账号不能登录或申请借阅；如有疑问请联系工委资料室")]
    UnitInactive(String),
    /// An admin may not lock themselves out (disable their account, drop their admin
    /// role); the message says why.
    #[error("{0}")]
    OwnAccount(&'static str),
    /// A set-password link that cannot be used.
    #[error("{}", .0.message())]
    Link(LinkProblem),
    /// Rows of an uploaded sheet are wrong; nothing was created.
    #[error("表格中有 {} 处错误，没有导入任何内容；请改正后重新上传", .0.len())]
    SheetRows(Vec<RowProblem>),
    /// The sheet as a whole cannot be imported (unreadable, no known header).
    #[error("{0}")]
    Sheet(String),
    /// The sheet holds more rows than one upload may.
    #[error("{0}")]
    SheetTooLarge(String),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
}

/// Why a set-password link cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkProblem {
    /// No such link (mistyped, cut short, or never made).
    Unknown,
    /// Older than its 24 hours.
    Expired,
    /// Already used, or replaced by a newer link.
    Spent,
    /// The account was disabled (or its unit deactivated) meanwhile.
    AccountDisabled,
}

impl LinkProblem {
    pub fn message(self) -> &'static str {
        match self {
            LinkProblem::Unknown => {
                "这个设置密码的链接无效：可能复制时不完整。请核对链接，或联系管理员重新生成。"
            }
            LinkProblem::Expired => {
                "这个设置密码的链接已过期（链接生成后 24 小时内有效）。请联系管理员重新生成。"
            }
            LinkProblem::Spent => {
                "这个设置密码的链接已经用过或已被新的链接取代，每个链接只能使用一次。如需再次设置密码，请联系管理员重新生成。"
            }
            LinkProblem::AccountDisabled => {
                "该账号已停用（或其单位已停用），不能设置密码。如有疑问请联系工委资料室。"
            }
        }
    }

    /// A stable code for programs and tests.
    pub fn code(self) -> &'static str {
        match self {
            LinkProblem::Unknown => "link_unknown",
            LinkProblem::Expired => "link_expired",
            LinkProblem::Spent => "link_spent",
            LinkProblem::AccountDisabled => "link_account_disabled",
        }
    }
}

/// One wrong row of an uploaded sheet: its number as the spreadsheet shows it (the
/// header is row 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    pub row: usize,
    pub message: String,
}

/// "30 秒" or "2 分钟", rounded up.
fn wait_words(secs: i64) -> String {
    if secs < 60 {
        format!(" {} 秒", secs.max(1))
    } else {
        format!(" {} 分钟", (secs + 59) / 60)
    }
}

impl AccountError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AccountError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// How long the client should wait before trying again, for refusals that say so.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            AccountError::Locked { retry_after_secs } | AccountError::Busy { retry_after_secs } => {
                Some(u64::try_from(*retry_after_secs).unwrap_or(1).max(1))
            }
            _ => None,
        }
    }
}
