//! Horizontal bars per unit: approved loans, sessions held and visits to bases
//! attended, most active first.

use super::{
    Frame, INK, LOANS, LegendEntry, MUTED, Point, SESSIONS, Tick, VISITS, WIDTH, axis_top, clean,
    legend, shorten, tenth, tick_step, tick_values,
};
use crate::stats::UnitStats;

/// Room for the unit names left of the bars.
const LABEL_W: f64 = 250.0;
/// Room for the legend and the value axis above the bars.
const TOP: f64 = 58.0;
const ROW_H: f64 = 40.0;
/// Where each bar of a row starts below the row's top: loans, sessions, visits.
const BAR_OFFSETS: [f64; 3] = [4.0, 15.0, 26.0];
/// Room for the figure written after the longest bar.
const RIGHT: f64 = 60.0;

/// The unit bar chart (`partials/unit_chart.svg`).
#[derive(Debug, Clone)]
pub struct UnitBars {
    pub frame: Frame,
    pub legend: Vec<LegendEntry>,
    pub ticks: Vec<Tick>,
    /// Where "no unit" is written when there is none.
    pub empty: Option<Point>,
    pub rows: Vec<UnitBar>,
    /// The units left out, said below the bars.
    pub hidden: Option<Hidden>,
}

/// One unit's row: its name, its figures (for the tooltip) and its bars.
#[derive(Debug, Clone)]
pub struct UnitBar {
    /// The full name, for the tooltip.
    pub name: String,
    /// The name as drawn, shortened to fit.
    pub label: String,
    pub label_at: Point,
    pub label_fill: &'static str,
    pub requests: u64,
    pub loans: u64,
    pub reports: u64,
    pub sessions: u64,
    pub participants: u64,
    pub visits: u64,
    pub visitors: u64,
    /// For a unit without loan activity: the follow-up note, instead of the loan bars.
    pub gap_note: Option<GapNote>,
    pub bars: Vec<Bar>,
}

/// What is written in place of the loan bars of a unit without loan activity.
#[derive(Debug, Clone, PartialEq)]
pub struct GapNote {
    pub at: Point,
    pub text: &'static str,
}

/// One bar and the figure written after it.
#[derive(Debug, Clone)]
pub struct Bar {
    pub at: Point,
    pub width: f64,
    pub fill: &'static str,
    pub value: u64,
    pub value_at: Point,
}

/// How many units are not drawn, and where that is said.
#[derive(Debug, Clone)]
pub struct Hidden {
    pub count: usize,
    pub at: Point,
}

/// Horizontal bars per unit: approved loans, sessions held and visits attended, most
/// active first, at most `max_rows` units (the rest are in the table below the chart).
pub fn unit_bars(units: &[UnitStats], max_rows: usize) -> UnitBars {
    let mut rows: Vec<&UnitStats> = units.iter().collect();
    rows.sort_by(|a, b| {
        (b.loans + b.sessions + b.visits)
            .cmp(&(a.loans + a.sessions + a.visits))
            .then_with(|| b.participants.cmp(&a.participants))
            .then_with(|| a.code.cmp(&b.code))
    });
    let hidden = rows.len().saturating_sub(max_rows);
    rows.truncate(max_rows);

    let max = rows
        .iter()
        .map(|u| u.loans.max(u.sessions).max(u.visits))
        .max()
        .unwrap_or(0);
    let scale = Scale::new(max);
    let footer = if hidden > 0 { 28.0 } else { 8.0 };
    let plot_bottom = TOP + ROW_H * rows.len().max(1) as f64;
    let height = plot_bottom + footer;
    UnitBars {
        frame: Frame::new(
            "chart-units",
            height,
            "各单位批准借阅次数、教育场次与参观场次",
            format!(
                "横向条形图，共 {} 个单位，红色为批准借阅次数，绿色为教育场次，蓝色为参观基地场次，按活动多少排列。",
                rows.len()
            ),
        ),
        legend: legend(
            LABEL_W,
            20.0,
            &[
                (LOANS, "批准借阅"),
                (SESSIONS, "教育场次"),
                (VISITS, "参观场次"),
            ],
        ),
        ticks: scale.ticks(plot_bottom),
        empty: rows.is_empty().then(|| Point::new(LABEL_W, TOP + 20.0)),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, unit)| unit_row(unit, TOP + ROW_H * i as f64, &scale))
            .collect(),
        hidden: (hidden > 0).then(|| Hidden {
            count: hidden,
            at: Point::new(LABEL_W, height - 10.0),
        }),
    }
}

/// The value axis along the top: values to widths.
struct Scale {
    step: u64,
    top_value: u64,
}

impl Scale {
    fn new(max: u64) -> Self {
        let step = tick_step(max, 5);
        Scale {
            step,
            top_value: axis_top(max, step),
        }
    }

    /// The bar width of `value`.
    fn width(&self, value: u64) -> f64 {
        value as f64 / self.top_value as f64 * (WIDTH - LABEL_W - RIGHT)
    }

    /// Grid lines down to `bottom`, with their figures along the top.
    fn ticks(&self, bottom: f64) -> Vec<Tick> {
        tick_values(self.top_value, self.step)
            .map(|value| {
                let x = LABEL_W + self.width(value);
                Tick {
                    from: Point::new(x, TOP - 6.0),
                    to: Point::new(x, bottom),
                    label_at: Point::new(x, TOP - 10.0),
                    value,
                }
            })
            .collect()
    }
}

/// The row of `unit` whose top is at `y`.
fn unit_row(unit: &UnitStats, y: f64, scale: &Scale) -> UnitBar {
    let name = clean(if unit.name.is_empty() {
        &unit.code
    } else {
        &unit.name
    });
    let [loans_at, sessions_at, visits_at] = BAR_OFFSETS;
    // A unit without loan activity gets the follow-up note where its loan bars would
    // be, and its visit bar only when it visited a base.
    let drawn: Vec<(u64, &'static str, f64)> = match (unit.gap, unit.visits) {
        (false, _) => vec![
            (unit.loans, LOANS, loans_at),
            (unit.sessions, SESSIONS, sessions_at),
            (unit.visits, VISITS, visits_at),
        ],
        (true, 0) => Vec::new(),
        (true, visits) => vec![(visits, VISITS, visits_at)],
    };
    let bars = drawn
        .into_iter()
        .map(|(value, fill, offset)| {
            // A bar of one or two is still visible.
            let width = tenth(scale.width(value).max(if value > 0 { 2.0 } else { 0.0 }));
            Bar {
                at: Point::new(LABEL_W, y + offset),
                width,
                fill,
                value,
                value_at: Point::new(LABEL_W + width + 4.0, y + offset + 9.5),
            }
        })
        .collect();
    let gap_note = unit.gap.then(|| {
        if unit.visits == 0 {
            GapNote {
                at: Point::new(LABEL_W + 6.0, y + 24.0),
                text: "无活动，需跟进",
            }
        } else {
            GapNote {
                at: Point::new(LABEL_W + 6.0, y + 17.0),
                text: "无借阅活动，需跟进",
            }
        }
    });
    UnitBar {
        label: shorten(&name, 17),
        name,
        label_at: Point::new(LABEL_W - 10.0, y + 24.0),
        label_fill: if unit.gap { MUTED } else { INK },
        requests: unit.requests,
        loans: unit.loans,
        reports: unit.reports,
        sessions: unit.sessions,
        participants: unit.participants,
        visits: unit.visits,
        visitors: unit.visitors,
        gap_note,
        bars,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(code: &str, loans: u64, sessions: u64, gap: bool) -> UnitStats {
        UnitStats {
            code: code.into(),
            name: format!("单位{code}"),
            loans,
            sessions,
            gap,
            ..UnitStats::default()
        }
    }

    #[test]
    fn bars_are_scaled_to_the_axis_and_sorted_by_activity() {
        let chart = unit_bars(
            &[
                unit("a", 1, 0, false),
                unit("b", 10, 3, false),
                unit("c", 0, 0, true),
            ],
            10,
        );
        let labels: Vec<&str> = chart.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["单位b", "单位a", "单位c"]);
        // Axis 0..10 in steps of 2 over 650 units of width.
        assert_eq!(chart.ticks.len(), 6);
        assert_eq!(chart.ticks[5].from, Point::new(900.0, 52.0));
        let b = &chart.rows[0].bars;
        assert_eq!((b[0].width, b[0].value), (650.0, 10));
        assert_eq!((b[1].width, b[1].value), (195.0, 3));
        assert_eq!(b[1].at, Point::new(250.0, 73.0));
        // No visits: the visit bar has no width and says 0.
        assert_eq!((b[2].width, b[2].value, b[2].fill), (0.0, 0, VISITS));
        assert_eq!(b[2].at, Point::new(250.0, 84.0));
        // A bar of one is at least two wide; a gap has a note and no bars.
        assert_eq!(chart.rows[1].bars[0].width, 65.0);
        assert!(chart.rows[2].bars.is_empty());
        assert_eq!(
            chart.rows[2].gap_note,
            Some(GapNote {
                at: Point::new(256.0, 162.0),
                text: "无活动，需跟进"
            })
        );
        assert_eq!(chart.rows[2].label_fill, MUTED);
        assert_eq!(chart.frame.height, 58.0 + 120.0 + 8.0);
        assert!(chart.hidden.is_none() && chart.empty.is_none());
    }

    #[test]
    fn visits_are_drawn_on_the_same_axis_also_for_a_unit_without_loans() {
        let mut visitor = unit("v", 0, 0, true);
        (visitor.visits, visitor.visitors) = (8, 240);
        let mut lender = unit("l", 4, 1, false);
        lender.visits = 2;
        let chart = unit_bars(&[lender, visitor], 10);
        let labels: Vec<&str> = chart.rows.iter().map(|r| r.label.as_str()).collect();
        assert_eq!(labels, ["单位v", "单位l"], "8 visits outweigh 4 + 1 + 2");
        // Axis 0..8 in steps of 2: the visit bar of 8 takes the whole width.
        let [only] = chart.rows[0].bars.as_slice() else {
            panic!("one bar: {:?}", chart.rows[0].bars)
        };
        assert_eq!((only.width, only.value, only.fill), (650.0, 8, VISITS));
        assert_eq!(only.at, Point::new(250.0, 84.0));
        assert_eq!(
            chart.rows[0].gap_note.as_ref().map(|n| n.text),
            Some("无借阅活动，需跟进")
        );
        assert_eq!(chart.rows[0].visitors, 240);
        let values: Vec<u64> = chart.rows[1].bars.iter().map(|b| b.value).collect();
        assert_eq!(values, [4, 1, 2]);
        assert_eq!(chart.rows[1].bars[2].width, 162.5);
        assert_eq!(chart.legend[2].label, "参观场次");
    }

    #[test]
    fn rows_beyond_the_limit_are_counted_not_drawn() {
        let units: Vec<UnitStats> = (0..5).map(|i| unit(&i.to_string(), i, 0, false)).collect();
        let chart = unit_bars(&units, 3);
        assert_eq!(chart.rows.len(), 3);
        let hidden = chart.hidden.expect("hidden units");
        assert_eq!(hidden.count, 2);
        assert_eq!(hidden.at.y, chart.frame.height - 10.0);
        let empty = unit_bars(&[], 3);
        assert_eq!(empty.empty, Some(Point::new(250.0, 78.0)));
        assert_eq!(empty.ticks.len(), 2, "0 and 1");
    }

    #[test]
    fn names_are_cleaned_and_shortened_for_the_label_only() {
        let mut long = unit("x", 1, 1, false);
        long.name = "一二三四五六七八九十一二三四五六七八\u{7}".into();
        let chart = unit_bars(&[long], 1);
        assert_eq!(chart.rows[0].name, "一二三四五六七八九十一二三四五六七八");
        assert_eq!(chart.rows[0].label.chars().count(), 17);
        assert!(chart.rows[0].label.ends_with('…'));
    }
}
