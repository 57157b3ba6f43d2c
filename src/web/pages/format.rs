//! How values read on a page: times in Beijing time, sizes, durations, and the Chinese
//! names of codes (access, status, extraction, file roles, audit actions).

use crate::catalog::{Access, Kind, Status};
use crate::clock::time_zone;
use crate::content::ExtractionState;

/// An RFC 3339 timestamp as `2024-06-18 10:22:05` in the library's time zone; anything
/// unparsable is shown as stored.
pub fn datetime(stored: &str) -> String {
    match stored.parse::<jiff::Timestamp>() {
        Ok(at) => at
            .to_zoned_datetime(time_zone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        Err(_) => stored.to_owned(),
    }
}

/// An RFC 3339 timestamp as `2024-06-18 10:22` in the library's time zone; anything
/// unparsable is shown as stored.
pub fn minute(stored: &str) -> String {
    match stored.parse::<jiff::Timestamp>() {
        Ok(at) => at
            .to_zoned_datetime(time_zone())
            .strftime("%Y-%m-%d %H:%M")
            .to_string(),
        Err(_) => stored.to_owned(),
    }
}

/// A byte count as `1.5 MB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} 字节");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Seconds as `1:02:03` or `02:03`.
pub fn clock(seconds: f64) -> String {
    let total = seconds.max(0.0) as u64;
    let (h, m, s) = (total / 3600, (total % 3600) / 60, total % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m:02}:{s:02}")
    }
}

/// A video's length as `12 分 5 秒`.
pub fn duration(seconds: u32) -> String {
    let (h, m, s) = (seconds / 3600, (seconds % 3600) / 60, seconds % 60);
    match (h, m) {
        (0, 0) => format!("{s} 秒"),
        (0, _) => format!("{m} 分 {s} 秒"),
        _ => format!("{h} 小时 {m} 分"),
    }
}

pub fn kind_label(kind: &str) -> &'static str {
    Kind::parse(kind).map(Kind::label).unwrap_or("其他")
}

/// An access code as stored (search index, history); unknown codes read "未知".
pub fn access_label(access: &str) -> &'static str {
    Access::parse(access).map_or("未知", access_name)
}

pub fn access_name(access: Access) -> &'static str {
    match access {
        Access::Open => "开放查看",
        Access::Loan => "借阅查看",
    }
}

/// A status code as stored (search index, history); unknown codes read "未知".
pub fn status_label(status: &str) -> &'static str {
    Status::parse(status).map_or("未知", status_name)
}

pub fn status_name(status: Status) -> &'static str {
    match status {
        Status::Draft => "草稿",
        Status::Published => "已发布",
        Status::Withdrawn => "已撤回",
        Status::Submitted => "待审核",
        Status::Returned => "已退回修改",
    }
}

/// A physical copy's condition; codes read as words, anything else as written.
pub fn condition_label(condition: &str) -> String {
    match condition {
        "good" => "完好".to_owned(),
        "worn" => "有磨损".to_owned(),
        "damaged" => "破损".to_owned(),
        other => other.to_owned(),
    }
}

/// The stored code for a condition typed as a word or a code.
pub fn condition_code(typed: &str) -> String {
    match typed.trim() {
        "" | "完好" | "good" => "good".to_owned(),
        "有磨损" | "磨损" | "worn" => "worn".to_owned(),
        "破损" | "damaged" => "damaged".to_owned(),
        other => other.to_owned(),
    }
}

/// An extraction code as stored; unknown codes read "未知".
pub fn extraction_label(extraction: &str) -> &'static str {
    ExtractionState::parse(extraction).map_or("未知", ExtractionState::label)
}

/// Names of edit-history actions.
pub fn history_action_label(action: &str) -> &'static str {
    match action {
        "create" => "创建",
        "update" => "修改信息",
        "copies" => "调整实体副本",
        "attach_file" => "添加文件",
        "published" => "发布",
        "withdrawn" => "撤回",
        "draft" => "退回草稿",
        "replace_file" => "替换文件",
        "remove_file" => "删除文件",
        "default_subtitle" => "设为默认字幕",
        "duration" => "从视频读取时长",
        _ => "其他",
    }
}

/// Field names of the catalogue, for history entries.
pub fn field_label(field: &str) -> &str {
    match field {
        "kind" => "类型",
        "title" => "标题",
        "summary" => "摘要",
        "tags" => "标签",
        "sectors" => "行业",
        "violations" => "违纪违法类型",
        "region" => "地区",
        "date" => "日期",
        "source" => "出处",
        "access" => "开放方式",
        "status" => "状态",
        "licences" => "数字许可数",
        "duration_seconds" => "时长（秒）",
        "pages" => "页数",
        "copies" => "实体副本",
        "file" => "文件",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_naturally() {
        assert_eq!(size(500), "500 字节");
        assert_eq!(size(1536), "1.5 KB");
        assert_eq!(size(1024 * 1024 * 1024), "1.0 GB");
        assert_eq!(clock(93.4), "01:33");
        assert_eq!(clock(3723.0), "1:02:03");
        assert_eq!(duration(50), "50 秒");
        assert_eq!(duration(125), "2 分 5 秒");
        assert_eq!(datetime("2024-06-18T02:22:33Z"), "2024-06-18 10:22:33");
        assert_eq!(datetime("bad"), "bad");
        assert_eq!(extraction_label("no_text_layer"), "无文字层");
    }
}
