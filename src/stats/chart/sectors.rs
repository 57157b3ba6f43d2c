//! The sector × kind table of approved loans, each cell shaded by its share of the
//! largest cell.

use super::{Frame, INK, LegendEntry, MUTED, Point, clean, shorten};
use crate::stats::LENT_KINDS;
use crate::stats::SectorKindRow;

const LABEL_W: f64 = 190.0;
const CELL_W: f64 = 140.0;
const HEAD_H: f64 = 40.0;
const ROW_H: f64 = 32.0;
/// The last column's heading.
const TOTAL: &str = "合计";

/// The shaded table (`partials/sector_chart.svg`).
#[derive(Debug, Clone)]
pub struct SectorKindTable {
    pub frame: Frame,
    /// None: the shading explains itself (and the page says it in words).
    pub legend: Vec<LegendEntry>,
    pub columns: Vec<ColumnHead>,
    /// Where "no data" is written when there is no sector.
    pub empty: Option<Point>,
    pub rows: Vec<SectorRow>,
}

#[derive(Debug, Clone)]
pub struct ColumnHead {
    pub at: Point,
    pub label: &'static str,
}

/// One sector: its name and a cell per kind, then the total.
#[derive(Debug, Clone)]
pub struct SectorRow {
    /// The full name, for the tooltips.
    pub sector: String,
    /// The name as drawn, shortened to fit.
    pub label: String,
    pub label_at: Point,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone)]
pub struct Cell {
    /// The column's heading, for the tooltip.
    pub column: &'static str,
    pub at: Point,
    pub width: f64,
    pub height: f64,
    pub fill: String,
    pub value: u64,
    pub value_at: Point,
    pub value_fill: &'static str,
    /// The total column is written bold.
    pub bold: bool,
}

/// The sector × kind table of approved loans, each cell shaded by its share of the
/// largest cell.
pub fn sector_kind_table(rows: &[SectorKindRow]) -> SectorKindTable {
    let columns: Vec<&'static str> = LENT_KINDS
        .iter()
        .map(|k| k.label())
        .chain([TOTAL])
        .collect();
    let max = rows
        .iter()
        .flat_map(|r| r.counts.iter().copied())
        .max()
        .unwrap_or(0);
    SectorKindTable {
        frame: Frame::new(
            "chart-sector-kind",
            HEAD_H + ROW_H * rows.len().max(1) as f64 + 8.0,
            "按行业和资源类型统计的批准借阅次数",
            "表格图：每行一个行业，每列一种资源类型，颜色越深借阅越多，最后一列为合计。".to_owned(),
        ),
        legend: Vec::new(),
        columns: columns
            .iter()
            .enumerate()
            .map(|(c, &label)| ColumnHead {
                at: Point::new(column_x(c) + CELL_W / 2.0, HEAD_H - 14.0),
                label,
            })
            .collect(),
        empty: rows.is_empty().then(|| Point::new(LABEL_W, HEAD_H + 20.0)),
        rows: rows
            .iter()
            .enumerate()
            .map(|(r, row)| sector_row(row, HEAD_H + ROW_H * r as f64, &columns, max))
            .collect(),
    }
}

/// The left edge of column `c`.
fn column_x(c: usize) -> f64 {
    LABEL_W + CELL_W * c as f64
}

/// The row of `row` whose top is at `y`; `max` is the largest cell of the table.
fn sector_row(row: &SectorKindRow, y: f64, columns: &[&'static str], max: u64) -> SectorRow {
    let sector = clean(&row.sector);
    let cells = row
        .counts
        .iter()
        .copied()
        .chain([row.total])
        .enumerate()
        .map(|(c, value)| {
            let is_total = c == LENT_KINDS.len();
            let share = if max == 0 {
                0.0
            } else {
                value as f64 / max as f64
            };
            let (fill, value_fill) = match (is_total, value) {
                (true, _) => ("#f1f3f6".to_owned(), INK),
                (false, 0) => ("#ffffff".to_owned(), MUTED),
                // White figures on the darker cells, for contrast.
                (false, _) => (
                    shade(0.15 + 0.85 * share),
                    if share > 0.45 { "#ffffff" } else { INK },
                ),
            };
            let x = column_x(c);
            Cell {
                column: columns.get(c).copied().unwrap_or_default(),
                at: Point::new(x, y),
                width: CELL_W,
                height: ROW_H,
                fill,
                value,
                value_at: Point::new(x + CELL_W / 2.0, y + 21.0),
                value_fill,
                bold: is_total,
            }
        })
        .collect();
    SectorRow {
        label: shorten(&sector, 12),
        sector,
        label_at: Point::new(LABEL_W - 10.0, y + 21.0),
        cells,
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_shaded_by_their_share_of_the_largest() {
        assert_eq!(shade(0.0), "#fbeaea");
        assert_eq!(shade(1.0), "#a61b1b");
        let mut counts = vec![0; LENT_KINDS.len()];
        counts[0] = 4;
        counts[1] = 1;
        let table = sector_kind_table(&[SectorKindRow {
            sector: "税务".into(),
            counts,
            total: 5,
        }]);
        assert_eq!(table.columns.len(), LENT_KINDS.len() + 1);
        assert_eq!(table.columns.last().map(|c| c.label), Some(TOTAL));
        let cells = &table.rows[0].cells;
        assert_eq!(cells[0].fill, shade(1.0));
        assert_eq!(cells[0].value_fill, "#ffffff");
        assert_eq!(cells[1].fill, shade(0.15 + 0.85 * 0.25));
        assert_eq!(cells[1].value_fill, INK);
        assert_eq!(
            (cells[2].fill.as_str(), cells[2].value_fill),
            ("#ffffff", MUTED)
        );
        let total = cells.last().expect("total cell");
        assert!(total.bold && total.value == 5 && total.column == TOTAL);
        assert_eq!(cells[1].at, Point::new(330.0, 40.0));
        assert_eq!(table.frame.height, 80.0);
        assert!(table.empty.is_none());
    }

    #[test]
    fn an_empty_table_says_so() {
        let table = sector_kind_table(&[]);
        assert_eq!(table.empty, Some(Point::new(190.0, 60.0)));
        assert!(table.rows.is_empty());
        assert_eq!(table.frame.height, 80.0);
    }
}
