//! What can go wrong when asking for statistics; `web` maps each to a status once.

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// A query parameter is malformed or out of range; the message names it.
    #[error("参数 {param}：{message}")]
    InvalidParameter {
        param: &'static str,
        message: String,
    },
    /// A borrower asked for another unit's figures.
    #[error("只能查看本单位的统计")]
    OtherUnit,
    /// The account may not see statistics at all (no unit, not a librarian).
    #[error("账号未关联单位，不能查看统计")]
    NoUnit,
    #[error("没有代码为“{0}”的单位")]
    UnknownUnit(String),
    #[error("statistics query failed: {0}")]
    Db(#[from] rusqlite::Error),
}

impl StatsError {
    /// The message for a person at the statistics form: the field in words, not the
    /// parameter's name (`开始日期：…` rather than `参数 from：…`).
    pub fn in_words(&self) -> String {
        match self {
            StatsError::InvalidParameter { param, message } => {
                let field = match *param {
                    "from" => "开始日期",
                    "to" => "结束日期",
                    "unit" => "单位",
                    other => other,
                };
                format!("{field}：{message}")
            }
            other => other.to_string(),
        }
    }

    pub fn invalid(param: &'static str, message: impl Into<String>) -> Self {
        StatsError::InvalidParameter {
            param,
            message: message.into(),
        }
    }
}
