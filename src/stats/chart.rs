//! The statistics charts as inline SVG, drawn on the server: bars per unit, the monthly
//! trend, the sector × kind table with shading. Plain SVG elements and presentation
//! attributes only (the page's Content-Security-Policy forbids inline styles), no font
//! named: inline SVG text takes the page's font, so Chinese renders as in the page.
//! Each chart has a `<title>`/`<desc>` for screen readers; the page also shows the
//! figures as tables.

use std::fmt::Write;

use super::{MonthStats, SectorKindRow, UnitStats};
use crate::catalog::Kind;

const WIDTH: f64 = 960.0;
const INK: &str = "#1f2328";
const MUTED: &str = "#5b6470";
const GRID: &str = "#e3e6ea";
const REQUESTS: &str = "#6b7a90";
const LOANS: &str = "#a61b1b";
const SESSIONS: &str = "#1f6f3a";

/// Escapes text for SVG/XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `max` characters, with an ellipsis when cut.
fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max.saturating_sub(1)).collect();
        short.push('…');
        short
    }
}

/// A round step for about `target` ticks up to `max` (1, 2 or 5 times a power of ten).
fn tick_step(max: u64, target: u64) -> u64 {
    let raw = (max.max(1)).div_ceil(target.max(1));
    let mut magnitude = 1u64;
    while magnitude.saturating_mul(10) <= raw {
        magnitude = magnitude.saturating_mul(10);
    }
    [1, 2, 5, 10]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|step| *step >= raw)
        .unwrap_or(raw)
}

/// The axis top: the first multiple of the step at or above `max` (at least one step).
fn axis_top(max: u64, step: u64) -> u64 {
    max.div_ceil(step).max(1) * step
}

/// Opens an accessible SVG element.
fn open(out: &mut String, id: &str, height: f64, title: &str, desc: &str) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" font-size="13" fill="{INK}"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(desc)
    );
}

fn legend(out: &mut String, x: f64, y: f64, entries: &[(&str, &str)]) {
    let mut x = x;
    for (color, label) in entries {
        let _ = write!(
            out,
            r#"<rect x="{x}" y="{}" width="12" height="12" rx="2" fill="{color}"/><text x="{}" y="{y}">{}</text>"#,
            y - 10.0,
            x + 17.0,
            escape(label)
        );
        x += 17.0 + 14.0 * label.chars().count() as f64 + 24.0;
    }
}

/// Horizontal bars per unit: approved loans and sessions held, most active first,
/// at most `max_rows` units (the rest are in the table below the chart).
pub fn unit_bars(units: &[UnitStats], max_rows: usize) -> String {
    let mut rows: Vec<&UnitStats> = units.iter().collect();
    rows.sort_by(|a, b| {
        (b.loans + b.sessions)
            .cmp(&(a.loans + a.sessions))
            .then_with(|| b.participants.cmp(&a.participants))
            .then_with(|| a.code.cmp(&b.code))
    });
    let hidden = rows.len().saturating_sub(max_rows);
    rows.truncate(max_rows);

    let (label_w, top, row_h, right) = (250.0, 58.0, 30.0, 60.0);
    let plot_w = WIDTH - label_w - right;
    let max = rows
        .iter()
        .map(|u| u.loans.max(u.sessions))
        .max()
        .unwrap_or(0);
    let step = tick_step(max, 5);
    let top_value = axis_top(max, step);
    let scale = |v: u64| v as f64 / top_value as f64 * plot_w;
    let footer = if hidden > 0 { 28.0 } else { 8.0 };
    let height = top + row_h * rows.len().max(1) as f64 + footer;

    let mut out = String::with_capacity(512 + rows.len() * 700);
    open(
        &mut out,
        "chart-units",
        height,
        "各单位批准借阅次数与教育场次",
        &format!(
            "横向条形图，共 {} 个单位，红色为批准借阅次数，绿色为教育场次，按活动多少排列。",
            rows.len()
        ),
    );
    legend(
        &mut out,
        label_w,
        20.0,
        &[(LOANS, "批准借阅"), (SESSIONS, "教育场次")],
    );
    // Value axis: grid lines and tick labels along the top.
    let mut tick = 0;
    while tick <= top_value {
        let x = label_w + scale(tick);
        let _ = write!(
            out,
            r#"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="{GRID}"/><text x="{x:.1}" y="{}" text-anchor="middle" fill="{MUTED}" font-size="11">{tick}</text>"#,
            top - 6.0,
            top + row_h * rows.len().max(1) as f64,
            top - 10.0
        );
        tick += step;
    }
    if rows.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{label_w}" y="{}" fill="{MUTED}">没有单位</text>"#,
            top + 20.0
        );
    }
    for (i, unit) in rows.iter().enumerate() {
        let y = top + row_h * i as f64;
        let name = if unit.name.is_empty() {
            &unit.code
        } else {
            &unit.name
        };
        let _ = write!(
            out,
            r#"<g><title>{}：申请 {}，批准借阅 {}，使用报告 {}，教育场次 {}，参加人次 {}</title>"#,
            escape(name),
            unit.requests,
            unit.loans,
            unit.reports,
            unit.sessions,
            unit.participants
        );
        let label_color = if unit.gap { MUTED } else { INK };
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" fill="{label_color}">{}</text>"#,
            label_w - 10.0,
            y + 19.0,
            escape(&shorten(name, 17))
        );
        if unit.gap {
            let _ = write!(
                out,
                r##"<text x="{}" y="{}" fill="#8c1d13" font-size="12">无活动，需跟进</text>"##,
                label_w + 6.0,
                y + 19.0
            );
        } else {
            for (value, color, offset) in
                [(unit.loans, LOANS, 4.0), (unit.sessions, SESSIONS, 15.0)]
            {
                let w = scale(value).max(if value > 0 { 2.0 } else { 0.0 });
                let _ = write!(
                    out,
                    r#"<rect x="{label_w}" y="{}" width="{w:.1}" height="10" fill="{color}"/><text x="{:.1}" y="{}" font-size="11" fill="{color}">{value}</text>"#,
                    y + offset,
                    label_w + w + 4.0,
                    y + offset + 9.5
                );
            }
        }
        out.push_str("</g>");
    }
    if hidden > 0 {
        let _ = write!(
            out,
            r#"<text x="{label_w}" y="{}" fill="{MUTED}">另有 {hidden} 个单位未列出，见下表。</text>"#,
            height - 10.0
        );
    }
    out.push_str("</svg>");
    out
}

/// `2026-03` as `3月` when every month is in one year, else as given.
fn month_labels(months: &[MonthStats]) -> Vec<String> {
    let one_year = months
        .first()
        .zip(months.last())
        .is_some_and(|(a, b)| a.month.get(..4) == b.month.get(..4));
    months
        .iter()
        .map(|m| match (one_year, m.month.get(5..7)) {
            (true, Some(mm)) => format!("{}月", mm.trim_start_matches('0')),
            _ => m.month.clone(),
        })
        .collect()
}

/// A line of the trend: colour, name, and the figure it draws.
type Series = (&'static str, &'static str, fn(&MonthStats) -> u64);

/// Lines per month: requests, approved loans and sessions held.
pub fn monthly_trend(months: &[MonthStats]) -> String {
    let (left, right, top, bottom, height) = (56.0, 24.0, 48.0, 44.0, 340.0);
    let plot_w = WIDTH - left - right;
    let plot_h = height - top - bottom;
    let max = months
        .iter()
        .map(|m| m.requests.max(m.loans).max(m.sessions))
        .max()
        .unwrap_or(0);
    let step = tick_step(max, 5);
    let top_value = axis_top(max, step);
    let n = months.len();
    // Points sit inside the axes, so the first label clears the value axis.
    let inset = 28.0;
    let x_at = |i: usize| {
        if n <= 1 {
            left + plot_w / 2.0
        } else {
            left + inset + (plot_w - 2.0 * inset) * i as f64 / (n - 1) as f64
        }
    };
    let y_at = |v: u64| top + plot_h - v as f64 / top_value as f64 * plot_h;

    let mut out = String::with_capacity(2048 + n * 600);
    let year = months
        .first()
        .and_then(|m| m.month.get(..4))
        .unwrap_or_default();
    open(
        &mut out,
        "chart-months",
        height,
        "按月趋势：借阅申请、批准借阅与教育场次",
        &format!(
            "折线图，{n} 个月；灰色为借阅申请，红色为批准借阅，绿色为教育场次。{}",
            if year.is_empty() {
                String::new()
            } else {
                format!("起于 {year} 年。")
            }
        ),
    );
    legend(
        &mut out,
        left,
        20.0,
        &[
            (REQUESTS, "借阅申请"),
            (LOANS, "批准借阅"),
            (SESSIONS, "教育场次"),
        ],
    );
    let mut tick = 0;
    while tick <= top_value {
        let y = y_at(tick);
        let _ = write!(
            out,
            r#"<line x1="{left}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="{GRID}"/><text x="{}" y="{:.1}" text-anchor="end" fill="{MUTED}" font-size="11">{tick}</text>"#,
            WIDTH - right,
            left - 8.0,
            y + 4.0
        );
        tick += step;
    }
    let labels = month_labels(months);
    // About a dozen labels at most, so they never overlap.
    let every = n.div_ceil(12).max(1);
    for (i, label) in labels.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{}" text-anchor="middle" fill="{MUTED}" font-size="12">{}</text>"#,
                x_at(i),
                height - bottom + 20.0,
                escape(label)
            );
        }
    }
    let series: [Series; 3] = [
        (REQUESTS, "借阅申请", |m| m.requests),
        (LOANS, "批准借阅", |m| m.loans),
        (SESSIONS, "教育场次", |m| m.sessions),
    ];
    for (color, name, value) in series {
        let points: Vec<String> = months
            .iter()
            .enumerate()
            .map(|(i, m)| format!("{:.1},{:.1}", x_at(i), y_at(value(m))))
            .collect();
        let _ = write!(
            out,
            r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="2.5" stroke-linejoin="round"/>"#,
            points.join(" ")
        );
        for (i, m) in months.iter().enumerate() {
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{color}"><title>{} {}：{}</title></circle>"#,
                x_at(i),
                y_at(value(m)),
                escape(&m.month),
                name,
                value(m)
            );
        }
    }
    // The approved loans per month, written above their points, so the figures are
    // readable in a screenshot without hovering.
    if n <= 24 {
        for (i, m) in months.iter().enumerate().filter(|(_, m)| m.loans > 0) {
            let _ = write!(
                out,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{LOANS}" font-size="11">{}</text>"#,
                x_at(i),
                y_at(m.loans) - 8.0,
                m.loans
            );
        }
    }
    out.push_str("</svg>");
    out
}

/// Mixes white into the accent colour by `share` (0 = white, 1 = full colour).
fn shade(share: f64) -> String {
    let share = share.clamp(0.0, 1.0);
    // From a light tint (#fbeaea) to the site's red (#a61b1b).
    let (from, to) = ((0xfb, 0xea, 0xea), (0xa6, 0x1b, 0x1b));
    let mix = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * share).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(from.0, to.0),
        mix(from.1, to.1),
        mix(from.2, to.2)
    )
}

/// The sector × kind table of approved loans, each cell shaded by its share of the
/// largest cell.
pub fn sector_kind_table(rows: &[SectorKindRow]) -> String {
    let (label_w, cell_w, head_h, row_h) = (190.0, 140.0, 40.0, 32.0);
    let columns: Vec<&str> = Kind::ALL
        .iter()
        .map(|k| k.label())
        .chain(["合计"])
        .collect();
    let height = head_h + row_h * rows.len().max(1) as f64 + 8.0;
    let max = rows
        .iter()
        .flat_map(|r| r.counts.iter().copied())
        .max()
        .unwrap_or(0);
    let mut out = String::with_capacity(1024 + rows.len() * 900);
    open(
        &mut out,
        "chart-sector-kind",
        height,
        "按行业和资源类型统计的批准借阅次数",
        "表格图：每行一个行业，每列一种资源类型，颜色越深借阅越多，最后一列为合计。",
    );
    for (c, label) in columns.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" text-anchor="middle" font-weight="600">{}</text>"#,
            label_w + cell_w * c as f64 + cell_w / 2.0,
            head_h - 14.0,
            escape(label)
        );
    }
    if rows.is_empty() {
        let _ = write!(
            out,
            r#"<text x="{label_w}" y="{}" fill="{MUTED}">没有数据</text>"#,
            head_h + 20.0
        );
    }
    for (r, row) in rows.iter().enumerate() {
        let y = head_h + row_h * r as f64;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end">{}</text>"#,
            label_w - 10.0,
            y + 21.0,
            escape(&shorten(&row.sector, 12))
        );
        let cells = row.counts.iter().copied().chain([row.total]);
        for (c, value) in cells.enumerate() {
            let x = label_w + cell_w * c as f64;
            let is_total = c == Kind::ALL.len();
            let share = if max == 0 {
                0.0
            } else {
                value as f64 / max as f64
            };
            let (fill, text) = match (is_total, value) {
                (true, _) => ("#f1f3f6".to_owned(), INK),
                (false, 0) => ("#ffffff".to_owned(), MUTED),
                (false, _) => (
                    shade(0.15 + 0.85 * share),
                    if share > 0.45 { "#ffffff" } else { INK },
                ),
            };
            let weight = if is_total {
                r#" font-weight="600""#
            } else {
                ""
            };
            let _ = write!(
                out,
                r##"<g><title>{} · {}：{}</title><rect x="{x:.1}" y="{y:.1}" width="{cell_w}" height="{row_h}" fill="{fill}" stroke="#ffffff" stroke-width="2"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{text}"{weight}>{value}</text></g>"##,
                escape(&row.sector),
                columns.get(c).copied().unwrap_or_default(),
                value,
                x + cell_w / 2.0,
                y + 21.0
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(0, 5), 1);
        assert_eq!(tick_step(7, 5), 2);
        assert_eq!(tick_step(23, 5), 5);
        assert_eq!(tick_step(480, 5), 100);
        assert_eq!(tick_step(1001, 5), 500);
        assert_eq!(axis_top(23, 5), 25);
        assert_eq!(axis_top(0, 1), 1);
    }

    #[test]
    fn text_is_escaped_and_shortened() {
        let unit = UnitStats {
            code: "x".into(),
            name: "<script>&\"单位\"".into(),
            loans: 2,
            sessions: 1,
            ..UnitStats::default()
        };
        let svg = unit_bars(&[unit], 10);
        assert!(svg.starts_with("<svg"));
        assert!(svg.ends_with("</svg>"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;&amp;&quot;单位&quot;"));
        assert_eq!(shorten("一二三四五", 4), "一二三…");
        assert_eq!(shorten("一二三四", 4), "一二三四");
    }

    #[test]
    fn charts_draw_with_no_data() {
        assert!(unit_bars(&[], 10).contains("没有单位"));
        assert!(monthly_trend(&[]).ends_with("</svg>"));
        assert!(sector_kind_table(&[]).contains("没有数据"));
        let months = vec![
            MonthStats {
                month: "2026-01".into(),
                loans: 3,
                ..MonthStats::default()
            },
            MonthStats {
                month: "2026-02".into(),
                ..MonthStats::default()
            },
        ];
        let svg = monthly_trend(&months);
        assert!(svg.contains(">1月<") && svg.contains(">2月<"));
        assert_eq!(shade(0.0), "#fbeaea");
        assert_eq!(shade(1.0), "#a61b1b");
    }
}
