//! The statistics charts, drawn on the server as inline SVG: bars per unit, the
//! monthly trend, the sector × kind table with shading. This module computes each
//! chart's geometry (positions, sizes, colours, the texts to show) into plain structs;
//! the templates under `web/templates/partials/*_chart.svg` write the markup, so every
//! label is escaped by the template engine. Plain SVG elements and presentation
//! attributes only (the page's Content-Security-Policy forbids inline styles), no font
//! named: inline SVG text takes the page's font, so Chinese renders as in the page.
//! Each chart has a `<title>`/`<desc>` for screen readers; the page also shows the
//! figures as tables.

mod months;
mod sectors;
mod units;

pub use months::{Line, Marker, MonthlyTrend, ValueLabel, monthly_trend};
pub use sectors::{Cell, ColumnHead, SectorKindTable, SectorRow, sector_kind_table};
pub use units::{Bar, GapNote, Hidden, UnitBar, UnitBars, unit_bars};

const WIDTH: f64 = 960.0;
const INK: &str = "#1f2328";
const MUTED: &str = "#5b6470";
const REQUESTS: &str = "#6b7a90";
const LOANS: &str = "#a61b1b";
const SESSIONS: &str = "#1f6f3a";
const VISITS: &str = "#1d5c99";

/// A position in the chart's coordinates, to a tenth of a unit (finer is invisible
/// and only lengthens the markup).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

impl Point {
    pub fn new(x: f64, y: f64) -> Self {
        Point {
            x: tenth(x),
            y: tenth(y),
        }
    }
}

/// `value` rounded to one decimal.
fn tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// The `<svg>` element's size and its accessible name and description.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Prefix of the `<title>` and `<desc>` ids (`chart-units`).
    pub id: &'static str,
    pub width: f64,
    pub height: f64,
    pub title: &'static str,
    pub desc: String,
}

impl Frame {
    fn new(id: &'static str, height: f64, title: &'static str, desc: String) -> Self {
        Frame {
            id,
            width: WIDTH,
            height: tenth(height),
            title,
            desc,
        }
    }
}

/// One colour swatch and its name above a chart.
#[derive(Debug, Clone)]
pub struct LegendEntry {
    pub swatch: Point,
    pub label_at: Point,
    pub color: &'static str,
    pub label: &'static str,
}

/// The legend's entries in a row from (`x`, `y`), each as wide as its name.
fn legend(x: f64, y: f64, entries: &[(&'static str, &'static str)]) -> Vec<LegendEntry> {
    let mut x = x;
    entries
        .iter()
        .map(|&(color, label)| {
            let entry = LegendEntry {
                swatch: Point::new(x, y - 10.0),
                label_at: Point::new(x + 17.0, y),
                color,
                label,
            };
            x += 17.0 + 14.0 * label.chars().count() as f64 + 24.0;
            entry
        })
        .collect()
}

/// A grid line of the value axis and its figure.
#[derive(Debug, Clone)]
pub struct Tick {
    pub from: Point,
    pub to: Point,
    pub label_at: Point,
    pub value: u64,
}

/// The values of the axis ticks: 0, `step`, … up to `top`.
fn tick_values(top: u64, step: u64) -> impl Iterator<Item = u64> {
    (0..=top).step_by(usize::try_from(step.max(1)).unwrap_or(usize::MAX))
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

/// User text without control characters, which XML does not allow even escaped.
fn clean(text: &str) -> String {
    text.chars().filter(|c| !c.is_control()).collect()
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
        assert_eq!(
            tick_values(25, 5).collect::<Vec<_>>(),
            [0, 5, 10, 15, 20, 25]
        );
    }

    #[test]
    fn text_is_cleaned_and_shortened() {
        assert_eq!(clean("a\u{0}b\nc"), "abc");
        assert_eq!(shorten("一二三四五", 4), "一二三…");
        assert_eq!(shorten("一二三四", 4), "一二三四");
    }

    #[test]
    fn legend_entries_are_as_wide_as_their_names() {
        let entries = legend(250.0, 20.0, &[(LOANS, "批准借阅"), (SESSIONS, "教育场次")]);
        assert_eq!(entries[0].swatch, Point::new(250.0, 10.0));
        assert_eq!(entries[0].label_at, Point::new(267.0, 20.0));
        // 17 for the swatch, 14 per character, 24 between entries.
        assert_eq!(entries[1].swatch.x, 250.0 + 17.0 + 14.0 * 4.0 + 24.0);
    }
}
