//! The statistics charts as the page includes them (`partials/*_chart.svg`, which
//! read a `chart`), as templates of their own for rendering one chart alone: the
//! tests below, which check that user text is escaped and the SVG well-formed, and
//! the statistics benchmark.

use askama::Template;

use crate::stats::chart::{MonthlyTrend, SectorKindTable, UnitBars};

/// The unit bars on their own, as the page includes them (tests, the benchmark).
#[derive(Template)]
#[template(path = "partials/unit_chart.svg")]
pub struct UnitChartSvg<'a> {
    pub chart: &'a UnitBars,
}

/// The monthly trend on its own, as the page includes it.
#[derive(Template)]
#[template(path = "partials/month_chart.svg")]
pub struct MonthChartSvg<'a> {
    pub chart: &'a MonthlyTrend,
}

/// The sector × kind table on its own, as the page includes it.
#[derive(Template)]
#[template(path = "partials/sector_chart.svg")]
pub struct SectorChartSvg<'a> {
    pub chart: &'a SectorKindTable,
}

#[cfg(test)]
mod tests {
    use quick_xml::events::Event;

    use super::*;
    use crate::stats::{MonthStats, SectorKindRow, UnitStats, chart};

    const SCRIPT: &str = "<script>alert(1)</script>";
    const MARKUP: &str = "\"&<>'单位";

    /// Parses `svg` as XML, failing on anything not well-formed, and returns the root
    /// element's name and the text of every `<text>` and `<title>`, entities resolved.
    fn parse(svg: &str) -> (String, Vec<String>) {
        let mut reader = quick_xml::Reader::from_str(svg);
        let (mut root, mut texts, mut depth) = (String::new(), Vec::new(), 0usize);
        let mut current: Option<String> = None;
        loop {
            match reader.read_event().expect("well-formed SVG") {
                Event::Eof => break,
                Event::Start(e) => {
                    let local = e.local_name();
                    let name: &str = local.as_ref();
                    if depth == 0 {
                        assert!(root.is_empty(), "a second root element in {svg}");
                        root = name.to_owned();
                    }
                    depth += 1;
                    if matches!(name, "text" | "title") {
                        current = Some(String::new());
                    }
                }
                Event::End(e) => {
                    depth -= 1;
                    let local = e.local_name();
                    let name: &str = local.as_ref();
                    if matches!(name, "text" | "title") {
                        texts.extend(current.take());
                    }
                }
                Event::Empty(_) => assert!(depth > 0, "an element outside the root"),
                Event::Text(t) => {
                    let text: &str = &t;
                    assert!(depth > 0 || text.trim().is_empty(), "text outside the root");
                    if let Some(current) = &mut current {
                        current.push_str(text);
                    }
                }
                Event::GeneralRef(r) => {
                    let c = r.resolve_char_ref().expect("a character reference");
                    let c = c.unwrap_or_else(|| panic!("an entity XML lacks: &{};", &*r));
                    if let Some(current) = &mut current {
                        current.push(c);
                    }
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(depth, 0, "unclosed elements in {svg}");
        (root, texts)
    }

    fn hostile_units() -> Vec<UnitStats> {
        [
            ("evil", SCRIPT, 3, false),
            ("quotes", MARKUP, 1, false),
            ("idle", SCRIPT, 0, true),
        ]
        .into_iter()
        .map(|(code, name, loans, gap)| UnitStats {
            code: code.into(),
            name: name.into(),
            loans,
            sessions: loans / 2,
            gap,
            ..UnitStats::default()
        })
        .collect()
    }

    #[test]
    fn unit_names_are_escaped_and_the_chart_is_well_formed() {
        let chart = chart::unit_bars(&hostile_units(), 2);
        let svg = UnitChartSvg { chart: &chart }.render().unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"), "{svg}");
        assert!(!svg.contains("<script>") && !svg.contains(MARKUP), "{svg}");
        assert!(
            svg.contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{svg}"
        );
        let (root, texts) = parse(&svg);
        assert_eq!(root, "svg");
        // The names as labels (the long one shortened) and in the tooltips, read back
        // as written.
        assert!(texts.iter().any(|t| t == "<script>alert(1)…"), "{texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with(&format!("{SCRIPT}：申请 0，批准借阅 3")))
        );
        assert!(texts.iter().any(|t| t == MARKUP), "{texts:?}");
        assert!(
            texts
                .iter()
                .any(|t| t.starts_with(&format!("{MARKUP}：申请 0，批准借阅 1")))
        );
        assert!(
            texts.iter().any(|t| t == "另有 1 个单位未列出，见下表。"),
            "{texts:?}"
        );
        assert_eq!(texts[0], "各单位批准借阅次数、教育场次与参观场次");
    }

    #[test]
    fn sector_names_and_months_are_escaped_and_the_charts_are_well_formed() {
        let rows = [SectorKindRow {
            sector: MARKUP.into(),
            counts: vec![2; crate::stats::LENT_KINDS.len()],
            total: 2 * crate::stats::LENT_KINDS.len() as u64,
        }];
        let table = chart::sector_kind_table(&rows);
        let svg = SectorChartSvg { chart: &table }.render().unwrap();
        assert!(svg.contains("&#34;&#38;&#60;&#62;&#39;单位"), "{svg}");
        let (root, texts) = parse(&svg);
        assert_eq!(root, "svg");
        assert!(texts.iter().any(|t| t == MARKUP), "{texts:?}");
        assert!(texts.iter().any(|t| t.starts_with(&format!("{MARKUP} · "))));

        let months = [MonthStats {
            month: SCRIPT.into(),
            loans: 1,
            ..MonthStats::default()
        }];
        let trend = chart::monthly_trend(&months);
        let svg = MonthChartSvg { chart: &trend }.render().unwrap();
        assert!(!svg.contains("<script>"), "{svg}");
        let (root, texts) = parse(&svg);
        assert_eq!(root, "svg");
        assert!(
            texts.iter().any(|t| t == &format!("{SCRIPT} 批准借阅：1")),
            "{texts:?}"
        );
    }

    #[test]
    fn charts_draw_with_no_data() {
        let units = UnitChartSvg {
            chart: &chart::unit_bars(&[], 10),
        }
        .render()
        .unwrap();
        assert!(units.contains(">没有单位<"));
        let months = MonthChartSvg {
            chart: &chart::monthly_trend(&[]),
        }
        .render()
        .unwrap();
        assert!(months.ends_with("</svg>"));
        assert!(months.contains("<polyline points=\"\""));
        let sectors = SectorChartSvg {
            chart: &chart::sector_kind_table(&[]),
        }
        .render()
        .unwrap();
        assert!(sectors.contains(">没有数据<"));
        for svg in [units, months, sectors] {
            assert_eq!(parse(&svg).0, "svg");
        }
    }

    #[test]
    fn the_trend_names_the_months_and_joins_its_points() {
        let months = ["2026-01", "2026-02"].map(|month| MonthStats {
            month: month.into(),
            loans: 3,
            ..MonthStats::default()
        });
        let trend = chart::monthly_trend(&months);
        let svg = MonthChartSvg { chart: &trend }.render().unwrap();
        assert!(svg.contains(">1月<") && svg.contains(">2月<"), "{svg}");
        assert!(
            svg.contains("<polyline points=\"84,48 908,48\" fill=\"none\" stroke=\"#a61b1b\""),
            "{svg}"
        );
        assert_eq!(
            svg.matches("<circle").count(),
            8,
            "four lines of two points"
        );
        assert!(svg.contains("viewBox=\"0 0 960 340\""));
        assert!(svg.contains("aria-labelledby=\"chart-months-title chart-months-desc\""));
    }
}
