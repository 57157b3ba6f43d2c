//! The per-unit figures as CSV for Excel (see [`crate::spreadsheet`]): a Chinese header
//! row, one row per unit. Columns added later go at the end, so that a reader of the
//! first eleven (then fifteen) keeps working.

use super::UnitsReport;
use crate::spreadsheet::{cell, csv_bytes};

/// The header row, in column order.
pub const CSV_HEADER: [&str; 18] = [
    "单位代码",
    "单位名称",
    "行业",
    "申请次数",
    "批准借阅次数",
    "使用报告数",
    "教育场次",
    "参加人次",
    "覆盖资源类型",
    "覆盖违纪违法类型",
    "状态",
    "参观场次",
    "参观人次",
    "已安排未参观",
    "参观状态",
    "投稿数",
    "已发布投稿",
    "贡献资源被其他单位借阅次数",
];

/// The CSV bytes of `report` (BOM, header, one row per unit in the report's order).
pub fn units_csv(report: &UnitsReport) -> Vec<u8> {
    let rows = report.units.iter().map(|unit| {
        vec![
            cell(&unit.code),
            cell(&unit.name),
            cell(&unit.sector),
            unit.requests.to_string(),
            unit.loans.to_string(),
            unit.reports.to_string(),
            unit.sessions.to_string(),
            unit.participants.to_string(),
            cell(&unit.kind_labels().join("、")),
            cell(&unit.violations.join("、")),
            if unit.gap { "无活动" } else { "有活动" }.to_owned(),
            unit.visits.to_string(),
            unit.visitors.to_string(),
            unit.visits_booked.to_string(),
            if unit.visit_gap {
                "无参观"
            } else {
                "有参观"
            }
            .to_owned(),
            unit.contributions_submitted.to_string(),
            unit.contributions_published.to_string(),
            unit.contributed_loans.to_string(),
        ]
    });
    csv_bytes(&CSV_HEADER, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spreadsheet::BOM;
    use crate::stats::{Totals, UnitStats};

    #[test]
    fn bom_header_and_quoted_rows() {
        let report = UnitsReport {
            from: jiff::civil::date(2026, 1, 1),
            to: jiff::civil::date(2026, 12, 31),
            units: vec![UnitStats {
                code: "yn-tax".into(),
                name: "=税务局, \"机关纪委\"".into(),
                sector: "税务".into(),
                requests: 3,
                visits: 2,
                visitors: 57,
                visit_gap: false,
                kinds: vec!["case".into(), "video".into()],
                violations: vec!["受贿".into()],
                contributions_submitted: 2,
                contributions_published: 1,
                contributed_loans: 4,
                ..UnitStats::default()
            }],
            totals: Totals::default(),
        };
        let bytes = units_csv(&report);
        assert!(bytes.starts_with(BOM));
        let text = std::str::from_utf8(&bytes[3..]).unwrap();
        let lines: Vec<&str> = text.split("\r\n").collect();
        assert_eq!(lines[0], CSV_HEADER.join(","));
        assert_eq!(
            lines[1],
            "yn-tax,\"'=税务局, \"\"机关纪委\"\"\",税务,3,0,0,0,0,典型案例通报、警示教育片,受贿,有活动,2,57,0,有参观,2,1,4"
        );
        assert_eq!(lines.len(), 3, "header, one row, final line break");
    }
}
