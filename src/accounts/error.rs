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
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("database error: {0}")]
    Db(#[from] rusqlite::Error),
    #[error(transparent)]
    Open(#[from] crate::db::DbError),
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
