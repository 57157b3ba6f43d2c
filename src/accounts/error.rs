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
    #[error("登录失败次数过多，请 {} 分钟后再试", (retry_after_secs + 59) / 60)]
    Locked { retry_after_secs: i64 },
    #[error("当前密码不正确")]
    WrongPassword,
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

impl AccountError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AccountError::Invalid {
            field: field.to_owned(),
            message: message.into(),
        }
    }
}
