//! Lines per month: requests, approved loans, sessions held and visits to bases.

use super::{
    Frame, LOANS, LegendEntry, Point, REQUESTS, SESSIONS, Tick, VISITS, WIDTH, axis_top, clean,
    legend, tick_step, tick_values,
};
use crate::stats::MonthStats;

const LEFT: f64 = 56.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 44.0;
const HEIGHT: f64 = 340.0;
/// Points sit inside the axes, so the first label clears the value axis.
const INSET: f64 = 28.0;
/// Above this many months the per-point figures would crowd each other.
const MAX_VALUE_LABELS: usize = 24;

/// The monthly trend (`partials/month_chart.svg`).
#[derive(Debug, Clone)]
pub struct MonthlyTrend {
    pub frame: Frame,
    pub legend: Vec<LegendEntry>,
    pub ticks: Vec<Tick>,
    /// The month names along the bottom (about a dozen at most).
    pub labels: Vec<AxisLabel>,
    pub lines: Vec<Line>,
    /// The approved loans written above their points.
    pub loan_labels: Vec<ValueLabel>,
}

/// A text along an axis.
#[derive(Debug, Clone)]
pub struct AxisLabel {
    pub at: Point,
    pub text: String,
}

/// One series: its colour, its name and a point per month.
#[derive(Debug, Clone)]
pub struct Line {
    pub color: &'static str,
    pub name: &'static str,
    pub points: Vec<Marker>,
}

/// A month's point on a line, with what its tooltip says.
#[derive(Debug, Clone)]
pub struct Marker {
    pub at: Point,
    pub month: String,
    pub value: u64,
}

/// A figure written at a point.
#[derive(Debug, Clone)]
pub struct ValueLabel {
    pub at: Point,
    pub value: u64,
}

/// A line of the trend: colour, name, and the figure it draws.
type Series = (&'static str, &'static str, fn(&MonthStats) -> u64);

const SERIES: [Series; 4] = [
    (REQUESTS, "借阅申请", |m| m.requests),
    (LOANS, "批准借阅", |m| m.loans),
    (SESSIONS, "教育场次", |m| m.sessions),
    (VISITS, "参观场次", |m| m.visits),
];

/// Lines per month: requests, approved loans, sessions held and visits attended.
pub fn monthly_trend(months: &[MonthStats]) -> MonthlyTrend {
    let max = months
        .iter()
        .map(|m| {
            SERIES
                .iter()
                .map(|(_, _, value)| value(m))
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    let plot = Plot::new(max, months.len());
    let year = months
        .first()
        .and_then(|m| m.month.get(..4))
        .unwrap_or_default();
    let since = if year.is_empty() {
        String::new()
    } else {
        format!("起于 {} 年。", clean(year))
    };
    MonthlyTrend {
        frame: Frame::new(
            "chart-months",
            HEIGHT,
            "按月趋势：借阅申请、批准借阅、教育场次与参观场次",
            format!(
                "折线图，{} 个月；灰色为借阅申请，红色为批准借阅，绿色为教育场次，蓝色为参观基地场次。{since}",
                months.len()
            ),
        ),
        legend: legend(LEFT, 20.0, &SERIES.map(|(color, name, _)| (color, name))),
        ticks: plot.ticks(),
        labels: month_axis(months, &plot),
        lines: SERIES
            .iter()
            .map(|&(color, name, value)| Line {
                color,
                name,
                points: months
                    .iter()
                    .enumerate()
                    .map(|(i, m)| Marker {
                        at: plot.point(i, value(m)),
                        month: clean(&m.month),
                        value: value(m),
                    })
                    .collect(),
            })
            .collect(),
        loan_labels: loan_labels(months, &plot),
    }
}

/// Where months and values go.
struct Plot {
    step: u64,
    top_value: u64,
    months: usize,
}

impl Plot {
    fn new(max: u64, months: usize) -> Self {
        let step = tick_step(max, 5);
        Plot {
            step,
            top_value: axis_top(max, step),
            months,
        }
    }

    fn x(&self, i: usize) -> f64 {
        let plot_w = WIDTH - LEFT - RIGHT;
        if self.months <= 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + INSET + (plot_w - 2.0 * INSET) * i as f64 / (self.months - 1) as f64
        }
    }

    fn y(&self, value: u64) -> f64 {
        let plot_h = HEIGHT - TOP - BOTTOM;
        TOP + plot_h - value as f64 / self.top_value as f64 * plot_h
    }

    fn point(&self, i: usize, value: u64) -> Point {
        Point::new(self.x(i), self.y(value))
    }

    /// Grid lines across the plot, with their figures left of it.
    fn ticks(&self) -> Vec<Tick> {
        tick_values(self.top_value, self.step)
            .map(|value| {
                let y = self.y(value);
                Tick {
                    from: Point::new(LEFT, y),
                    to: Point::new(WIDTH - RIGHT, y),
                    label_at: Point::new(LEFT - 8.0, y + 4.0),
                    value,
                }
            })
            .collect()
    }
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
            _ => clean(&m.month),
        })
        .collect()
}

/// About a dozen month names at most, so they never overlap; the last always.
fn month_axis(months: &[MonthStats], plot: &Plot) -> Vec<AxisLabel> {
    let n = months.len();
    let every = n.div_ceil(12).max(1);
    month_labels(months)
        .into_iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0 || i + 1 == n)
        .map(|(i, text)| AxisLabel {
            at: Point::new(plot.x(i), HEIGHT - BOTTOM + 20.0),
            text,
        })
        .collect()
}

/// The approved loans per month, written above their points, so the figures are
/// readable in a screenshot without hovering.
fn loan_labels(months: &[MonthStats], plot: &Plot) -> Vec<ValueLabel> {
    if months.len() > MAX_VALUE_LABELS {
        return Vec::new();
    }
    months
        .iter()
        .enumerate()
        .filter(|(_, m)| m.loans > 0)
        .map(|(i, m)| ValueLabel {
            at: Point::new(plot.x(i), plot.y(m.loans) - 8.0),
            value: m.loans,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(month: &str, loans: u64) -> MonthStats {
        MonthStats {
            month: month.into(),
            loans,
            ..MonthStats::default()
        }
    }

    #[test]
    fn months_of_one_year_are_named_by_number() {
        let chart = monthly_trend(&[month("2026-01", 3), month("2026-02", 0)]);
        let labels: Vec<&str> = chart.labels.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(labels, ["1月", "2月"]);
        assert!(
            chart.frame.desc.contains("2 个月") && chart.frame.desc.ends_with("起于 2026 年。")
        );
        // Two months: at either end of the plot, inside the inset.
        assert_eq!(chart.labels[0].at, Point::new(84.0, 316.0));
        assert_eq!(chart.labels[1].at, Point::new(908.0, 316.0));
        let across = month_labels(&[month("2025-12", 0), month("2026-01", 0)]);
        assert_eq!(across, ["2025-12", "2026-01"]);
    }

    #[test]
    fn lines_have_a_point_per_month_and_loans_are_written() {
        let chart = monthly_trend(&[month("2026-01", 3), month("2026-02", 0)]);
        assert_eq!(chart.lines.len(), 4);
        assert_eq!(chart.lines[3].name, "参观场次");
        let loans = &chart.lines[1];
        assert_eq!(loans.name, "批准借阅");
        // Axis 0..3: three loans at the top of the plot, none at its bottom.
        assert_eq!(loans.points[0].at, Point::new(84.0, 48.0));
        assert_eq!(loans.points[1].at, Point::new(908.0, 296.0));
        assert_eq!(chart.loan_labels.len(), 1);
        assert_eq!(chart.loan_labels[0].at, Point::new(84.0, 40.0));
        assert_eq!(chart.ticks.len(), 4);
    }

    #[test]
    fn visits_share_the_value_axis() {
        let mut busy = month("2026-01", 1);
        busy.visits = 6;
        let chart = monthly_trend(&[busy, month("2026-02", 0)]);
        // Axis 0..6 in steps of 2: six visits at the top, one loan a sixth up.
        assert_eq!(chart.ticks.len(), 4);
        assert_eq!(chart.lines[3].points[0].at, Point::new(84.0, 48.0));
        assert_eq!(chart.lines[3].points[0].value, 6);
        assert_eq!(chart.lines[1].points[0].at.y, 254.7);
    }

    #[test]
    fn long_periods_thin_the_labels() {
        let months: Vec<MonthStats> = (1..=36)
            .map(|i| {
                month(
                    &format!("{}-{:02}", 2024 + (i - 1) / 12, (i - 1) % 12 + 1),
                    1,
                )
            })
            .collect();
        let chart = monthly_trend(&months);
        assert!(chart.labels.len() <= 13, "{}", chart.labels.len());
        assert_eq!(
            chart.labels.last().map(|l| l.text.as_str()),
            Some("2026-12")
        );
        assert!(chart.loan_labels.is_empty());
        let empty = monthly_trend(&[]);
        assert!(empty.lines.iter().all(|l| l.points.is_empty()));
        assert!(!empty.frame.desc.contains("起于"));
    }
}
