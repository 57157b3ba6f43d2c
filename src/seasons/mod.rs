//! The holiday periods (节点) warning education runs by: before 元旦, 春节, 清明, 五一,
//! 端午, 中秋 and 国庆 every unit holds a session, so collections may belong to a
//! season and units are reminded before each. No HTTP here.

mod error;
pub mod periods;
pub mod proposal;
pub mod reminders;
mod save;

pub use error::SeasonError;
pub use periods::{
    Period, PeriodInput, SeasonYear, SeasonsChange, confirmed, periods, season_year,
};
pub use reminders::remind;
pub use save::{save, window};

/// One of the holiday periods, by the stable code the database and URLs use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Season {
    Yuandan,
    Chunjie,
    Qingming,
    Wuyi,
    Duanwu,
    Zhongqiu,
    Guoqing,
}

impl Season {
    /// Every season, in the order they fall in a year.
    pub const ALL: [Season; 7] = [
        Season::Yuandan,
        Season::Chunjie,
        Season::Qingming,
        Season::Wuyi,
        Season::Duanwu,
        Season::Zhongqiu,
        Season::Guoqing,
    ];

    /// The code stored and used in URLs (`chunjie`).
    pub fn code(self) -> &'static str {
        match self {
            Season::Yuandan => "yuandan",
            Season::Chunjie => "chunjie",
            Season::Qingming => "qingming",
            Season::Wuyi => "wuyi",
            Season::Duanwu => "duanwu",
            Season::Zhongqiu => "zhongqiu",
            Season::Guoqing => "guoqing",
        }
    }

    /// The name people use (春节).
    pub fn label(self) -> &'static str {
        match self {
            Season::Yuandan => "元旦",
            Season::Chunjie => "春节",
            Season::Qingming => "清明",
            Season::Wuyi => "五一",
            Season::Duanwu => "端午",
            Season::Zhongqiu => "中秋",
            Season::Guoqing => "国庆",
        }
    }

    /// The season with this code or name (`chunjie` or `春节`), if there is one.
    pub fn parse(text: &str) -> Option<Season> {
        let text = text.trim();
        Season::ALL
            .into_iter()
            .find(|s| s.code() == text || s.label() == text)
    }
}

impl std::fmt::Display for Season {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::Season;

    #[test]
    fn codes_and_names_parse_back_and_nothing_else_does() {
        for season in Season::ALL {
            assert_eq!(Season::parse(season.code()), Some(season));
            assert_eq!(Season::parse(season.label()), Some(season));
        }
        for text in ["", "Chunjie", "春", "中秋国庆", "../chunjie", "<b>"] {
            assert_eq!(Season::parse(text), None, "{text}");
        }
    }
}
