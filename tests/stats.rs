//! Statistics and recommendations against the real app and SQLite file. The fixture
//! is built through the loans API with the clock fixed at each step (loans cannot be
//! asked for in the past), so every figure below is computed by hand from it.

use jiff::civil::{Date, date};
use serde_json::{Value, json};

use crate::common::lending::{act_ok, approved, requested};
use crate::common::{Session, TestApp};

pub(crate) struct Fixture {
    pub(crate) librarian: Session,
    pub(crate) tax: Session,
    pub(crate) customs: Session,
}

fn set_today(app: &TestApp, day: Date) {
    app.state.clock.set_date(day);
}

/// A digital request that fits at once (`requested`).
async fn request(session: &Session, resource: &str, start: &str, end: &str) -> Value {
    let body = requested(session, resource, "digital", start, end).await;
    assert_eq!(body["status"], "requested", "{body}");
    body
}

async fn report(session: &Session, loan: &Value, held_on: &str, participants: u32) {
    act_ok(
        session,
        loan,
        "report",
        json!({"held_on": held_on, "participants": participants, "feedback": "反响良好"}),
    )
    .await;
}

/// Loans and reports of three units over December 2025 to March 2026:
///
/// | unit | loan (start) | outcome | report |
/// |---|---|---|---|
/// | yn-tobacco | mooncake video 2025-12-29 | approved | 2026-01-02, 30 people |
/// | yn-tax | tax case 2026-01-12 | approved | 2026-01-14, 80 people |
/// | yn-tax | mooncake video 2026-01-12 | approved | 2026-01-14, 60 people (same session) |
/// | kunming-customs | customs case 2026-02-02 | approved | — |
/// | kunming-customs | mooncake video 2026-02-09 | cancelled | — |
/// | yn-tax | sanctions textbook 2026-03-02 | rejected | — |
/// | yn-tax | mooncake video 2026-03-09 | approved | 2026-03-10, 45 people |
///
/// Today is then 2026-04-01, so the default period is 2026.
pub(crate) async fn fixture(app: &TestApp) -> Fixture {
    let librarian = app.librarian("stats-lib").await;
    let tax = app.borrower("tax-officer", "yn-tax").await;
    let customs = app.borrower("customs-officer", "kunming-customs").await;
    let tobacco = app.borrower("tobacco-officer", "yn-tobacco").await;

    set_today(app, date(2025, 12, 29));
    let loan = approved(
        &librarian,
        &tobacco,
        "demo-video-mooncake",
        "digital",
        "2025-12-29",
        "2026-01-02",
    )
    .await;
    set_today(app, date(2026, 1, 2));
    report(&tobacco, &loan, "2026-01-02", 30).await;

    set_today(app, date(2026, 1, 5));
    let case = approved(
        &librarian,
        &tax,
        "demo-tax-invoice-case",
        "digital",
        "2026-01-12",
        "2026-01-16",
    )
    .await;
    let video = approved(
        &librarian,
        &tax,
        "demo-video-mooncake",
        "digital",
        "2026-01-12",
        "2026-01-16",
    )
    .await;
    set_today(app, date(2026, 1, 14));
    report(&tax, &case, "2026-01-14", 80).await;
    report(&tax, &video, "2026-01-14", 60).await;

    set_today(app, date(2026, 1, 26));
    approved(
        &librarian,
        &customs,
        "demo-customs-inspection-case",
        "digital",
        "2026-02-02",
        "2026-02-06",
    )
    .await;
    let loan = request(&customs, "demo-video-mooncake", "2026-02-09", "2026-02-13").await;
    act_ok(&customs, &loan, "cancel", json!({})).await;

    set_today(app, date(2026, 2, 23));
    let loan = request(&tax, "demo-textbook-sanctions", "2026-03-02", "2026-03-06").await;
    act_ok(
        &librarian,
        &loan,
        "reject",
        json!({"reason": "该时段已安排其他单位"}),
    )
    .await;
    let loan = approved(
        &librarian,
        &tax,
        "demo-video-mooncake",
        "digital",
        "2026-03-09",
        "2026-03-13",
    )
    .await;
    set_today(app, date(2026, 3, 10));
    report(&tax, &loan, "2026-03-10", 45).await;

    set_today(app, date(2026, 4, 1));
    Fixture {
        librarian,
        tax,
        customs,
    }
}

pub(crate) fn unit<'a>(body: &'a Value, code: &str) -> &'a Value {
    body["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == code)
        .unwrap_or_else(|| panic!("unit {code} missing in {body}"))
}

fn figures(unit: &Value) -> [u64; 5] {
    ["requests", "loans", "reports", "sessions", "participants"]
        .map(|k| unit[k].as_u64().unwrap_or_else(|| panic!("{k} in {unit}")))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_match_the_hand_computed_fixture() {
    let app = TestApp::spawn_with_demo_on(date(2025, 12, 29)).await;
    let f = fixture(&app).await;

    let (status, body) = f.librarian.get_json("/api/v1/stats/units").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["from"].as_str(), body["to"].as_str()),
        (Some("2026-01-01"), Some("2026-12-31"))
    );
    let units = body["units"].as_array().unwrap();
    assert_eq!(units.len(), 12, "every demo unit is listed");

    let tax = unit(&body, "yn-tax");
    // 4 requests (one rejected), 3 approved, 3 reports on 2 days, 80 (not 80 + 60) + 45.
    assert_eq!(figures(tax), [4, 3, 3, 2, 125]);
    assert_eq!(tax["kinds"], json!(["video", "case"]));
    assert_eq!(
        tax["violations"],
        json!([
            "受贿",
            "违反中央八项规定精神",
            "违规收送礼品礼金",
            "利用职务便利为他人谋取利益"
        ])
    );
    assert_eq!(tax["sector"], "税务");
    assert_eq!(tax["gap"], false);

    let customs = unit(&body, "kunming-customs");
    assert_eq!(figures(customs), [2, 1, 0, 0, 0]);
    assert_eq!(customs["kinds"], json!(["case"]));
    assert_eq!(
        customs["violations"],
        json!(["利用职务便利为他人谋取利益", "受贿", "滥用职权"])
    );

    // The loan started in 2025; the session it reported was held in 2026.
    let tobacco = unit(&body, "yn-tobacco");
    assert_eq!(figures(tobacco), [0, 0, 1, 1, 30]);
    assert_eq!(tobacco["kinds"], json!(["video"]));
    assert_eq!(tobacco["gap"], false);

    let demo_submitted = app.count(
        "SELECT count(*) FROM resources WHERE contributed_by IS NOT NULL
           AND submitted_at >= '2025-12-31T16:00:00' AND submitted_at < '2026-12-31T16:00:00'",
    );
    assert_eq!(
        body["totals"],
        json!({"units": 12, "active_units": 3, "gap_units": 9, "requests": 6, "loans": 4,
               "reports": 4, "sessions": 3, "participants": 155,
               // No visits to bases in this fixture (tests/visit_stats.rs has them).
               "visits": 0, "visitors": 0, "visit_gap_units": 12,
               // Contributions: only the demo's sample (tests/contribution_stats.rs
               // has the rest), submitted at first start on the machine's own date.
               "contributions_submitted": demo_submitted, "contributions_published": 0,
               "contributed_loans": 0})
    );

    let (status, overview) = f.librarian.get_json("/api/v1/stats/overview").await;
    assert_eq!(status, 200, "{overview}");
    let months = overview["months"].as_array().unwrap();
    assert_eq!(months.len(), 12);
    let month = |i: usize| {
        let m = &months[i];
        (
            m["month"].as_str().unwrap().to_owned(),
            figures_of(m, ["requests", "loans", "sessions", "participants"]),
        )
    };
    assert_eq!(month(0), ("2026-01".into(), vec![2, 2, 2, 110]));
    assert_eq!(month(1), ("2026-02".into(), vec![2, 1, 0, 0]));
    assert_eq!(month(2), ("2026-03".into(), vec![2, 1, 1, 45]));
    for i in 3..12 {
        assert_eq!(month(i).1, vec![0, 0, 0, 0], "{}", month(i).0);
    }

    let kinds: Vec<(String, Vec<u64>)> = overview["by_kind"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["kind"].as_str().unwrap().to_owned(),
                figures_of(k, ["loans", "reports", "participants"]),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("video".into(), vec![2, 3, 135]),
            ("case".into(), vec![2, 1, 80]),
            ("confession".into(), vec![0, 0, 0]),
            // Bases (issue 17) are visited, never lent: the figures by kind leave them out.
            ("textbook".into(), vec![0, 0, 0]),
        ]
    );

    assert_eq!(
        overview["kinds"],
        json!(["video", "case", "confession", "textbook"])
    );
    let rows = overview["sector_kind"].as_array().unwrap();
    assert_eq!(rows.len(), 12, "one row per sector");
    assert_eq!(
        rows[0],
        json!({"sector": "税务", "counts": [2, 1, 0, 0], "total": 3})
    );
    assert_eq!(
        rows[1],
        json!({"sector": "海关", "counts": [0, 1, 0, 0], "total": 1})
    );
    assert!(rows[2..].iter().all(|r| r["total"] == 0));
    let sectors = overview["by_sector"].as_array().unwrap();
    assert_eq!(sectors[0]["sector"], "税务");
    assert_eq!(
        sectors[2]["sector"], "烟草",
        "sessions rank the sectors without loans"
    );
    assert_eq!(sectors[2]["active_units"], 1);

    let top: Vec<(&str, Vec<u64>)> = overview["top_resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_str().unwrap(),
                figures_of(r, ["loans", "units", "reports", "participants"]),
            )
        })
        .collect();
    assert_eq!(
        top,
        vec![
            ("demo-video-mooncake", vec![2, 2, 3, 135]),
            ("demo-tax-invoice-case", vec![1, 1, 1, 80]),
            ("demo-customs-inspection-case", vec![1, 1, 0, 0]),
        ]
    );

    // Another period: February only.
    let (status, feb) = f
        .librarian
        .get_json("/api/v1/stats/units?from=2026-02-01&to=2026-02-28")
        .await;
    assert_eq!(status, 200, "{feb}");
    assert_eq!(figures(unit(&feb, "kunming-customs")), [2, 1, 0, 0, 0]);
    // yn-tax asked on 2026-02-23 for March: nothing starts in February, yet it was
    // active then, not a unit to follow up.
    assert_eq!(figures(unit(&feb, "yn-tax")), [0, 0, 0, 0, 0]);
    assert_eq!(unit(&feb, "yn-tax")["gap"], false);
    assert_eq!(feb["totals"]["gap_units"], 10);
    // In March it asked for nothing, and its loans started: active by their starts.
    let (_, march) = f
        .librarian
        .get_json("/api/v1/stats/units?from=2026-03-01&to=2026-03-31")
        .await;
    assert_eq!(unit(&march, "yn-tax")["gap"], false);
    // yn-meteorology never asked: a gap in every period.
    assert_eq!(unit(&march, "yn-meteorology")["gap"], true);
    drop(f.customs);
}

fn figures_of<const N: usize>(value: &Value, keys: [&str; N]) -> Vec<u64> {
    keys.iter()
        .map(|k| {
            value[*k]
                .as_u64()
                .unwrap_or_else(|| panic!("{k} in {value}"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inactive_units_are_listed_first_as_gaps() {
    let app = TestApp::spawn_with_demo_on(date(2025, 12, 29)).await;
    let f = fixture(&app).await;
    let (_, body) = f.librarian.get_json("/api/v1/stats/units").await;
    let units = body["units"].as_array().unwrap();
    let gaps: Vec<&str> = units
        .iter()
        .take_while(|u| u["gap"] == true)
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(gaps.len(), 9);
    assert!(gaps.contains(&"yn-meteorology"));
    assert!(units[9..].iter().all(|u| u["gap"] == false));
    let meteorology = unit(&body, "yn-meteorology");
    assert_eq!(figures(meteorology), [0; 5]);
    assert_eq!(meteorology["kinds"], json!([]));
    // The active units follow, most sessions first.
    let active: Vec<&str> = units[9..]
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(active, ["yn-tax", "yn-tobacco", "kunming-customs"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_is_utf8_with_bom_a_header_and_one_row_per_unit() {
    let app = TestApp::spawn_with_demo_on(date(2025, 12, 29)).await;
    let f = fixture(&app).await;
    let resp = f
        .librarian
        .client
        .get(
            f.librarian
                .url("/api/v1/stats/units?from=2026-01-01&to=2026-12-31"),
        )
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"jingshi-units-2026-01-01_2026-12-31.csv\""),
        "{disposition}"
    );
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let bytes = resp.bytes().await.unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF", "byte-order mark for Excel");
    let text = std::str::from_utf8(&bytes[3..]).expect("UTF-8");

    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, jingshi::stats::CSV_HEADER);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 12, "one row per unit");
    let mut codes: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    codes.sort_unstable();
    codes.dedup();
    assert_eq!(codes.len(), 12);
    let tax = rows.iter().find(|r| &r[0] == "yn-tax").unwrap();
    assert_eq!(
        tax.iter().collect::<Vec<_>>(),
        [
            "yn-tax",
            "国家税务总局云南省税务局",
            "税务",
            "4",
            "3",
            "3",
            "2",
            "125",
            "警示教育片、典型案例通报",
            "受贿、违反中央八项规定精神、违规收送礼品礼金、利用职务便利为他人谋取利益",
            "有活动",
            // The visit columns, appended (no visits in this fixture).
            "0",
            "0",
            "0",
            "无参观",
            // What the unit shared (tests/contribution_stats.rs has contributions).
            "0",
            "0",
            "0"
        ]
    );
    assert_eq!(&rows[0][10], "无活动", "gaps first in the CSV too");

    // The download link's form: `format=csv` without an Accept header.
    let resp = f.librarian.get("/api/v1/stats/units?format=csv").await;
    assert_eq!(resp.status(), 200);
    assert!(resp.bytes().await.unwrap().starts_with(b"\xEF\xBB\xBF"));
    // JSON stays the default.
    let resp = f.librarian.get("/api/v1/stats/units").await;
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrower_sees_only_their_own_unit() {
    let app = TestApp::spawn_with_demo_on(date(2025, 12, 29)).await;
    let f = fixture(&app).await;

    let (status, body) = f.tax.get_json("/api/v1/stats/units").await;
    assert_eq!(status, 200, "{body}");
    let codes: Vec<&str> = body["units"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["yn-tax"]);
    assert_eq!(body["totals"]["requests"], 4);

    for path in [
        "/api/v1/stats/units?unit=kunming-customs",
        "/api/v1/stats/overview?unit=kunming-customs",
        "/api/v1/recommendations?unit=kunming-customs",
    ] {
        let (status, body) = f.tax.get_json(path).await;
        assert_eq!(status, 403, "{path}: {body}");
        assert_eq!(body["error"]["code"], "forbidden");
    }
    let resp = f.tax.get("/stats?unit=kunming-customs").await;
    assert_eq!(resp.status(), 403);

    // Every aggregate is the unit's own: no customs loans in February, no customs case.
    let (_, overview) = f.tax.get_json("/api/v1/stats/overview").await;
    assert_eq!(overview["months"][1]["requests"], 0);
    let top = overview["top_resources"].to_string();
    assert!(!top.contains("demo-customs-inspection-case"), "{top}");
    assert_eq!(overview["by_sector"].as_array().unwrap().len(), 1);

    let csv = f.customs.get("/api/v1/stats/units?format=csv").await;
    let text = String::from_utf8(csv.bytes().await.unwrap().to_vec()).unwrap();
    assert_eq!(
        text.lines().count(),
        2,
        "header and the customs row: {text}"
    );
    assert!(!text.contains("yn-tax"));

    let page = f.tax.get("/stats").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("国家税务总局云南省税务局"));
    assert!(
        !html.contains("昆明海关"),
        "another unit's name on a borrower's page"
    );
    assert!(!html.contains("云南省气象局"));

    // Committee staff (librarian) may narrow to one unit.
    let (status, body) = f
        .librarian
        .get_json("/api/v1/stats/units?unit=kunming-customs")
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["units"].as_array().unwrap().len(), 1);
    let (status, _) = f
        .librarian
        .get_json("/api/v1/stats/units?unit=no-such-unit")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_periods_are_refused_naming_the_parameter() {
    let app = TestApp::spawn_with_demo().await;
    let librarian = app.librarian("lib").await;
    for (query, param) in [
        ("from=2026-02-30", "from"),
        ("from=yesterday", "from"),
        ("to=2026-1-5", "to"),
        ("from=2026-05-01&to=2026-04-30", "from"),
        ("from=2001-01-01&to=2026-01-01", "to"),
    ] {
        let (status, body) = librarian
            .get_json(&format!("/api/v1/stats/units?{query}"))
            .await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], "bad_request");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(&format!("参数 {param}")),
            "{query}: {message}"
        );
    }
    let (status, body) = librarian.get_json("/api/v1/stats/units?format=xlsx").await;
    assert_eq!(status, 400, "{body}");
    let page = librarian.get("/stats?from=2026-05-01&to=2026-04-30").await;
    assert_eq!(page.status(), 400);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("开始日期：开始日期 2026-05-01 不能晚于结束日期 2026-04-30")
            || html.contains("不能晚于结束日期 2026-04-30，请调换两个日期"),
        "the page says what is wrong in words: {html}"
    );
    assert!(
        !html.contains("参数 from") && !html.contains("结束日期 to"),
        "{html}"
    );
    assert!(html.contains("name=\"from\""), "and keeps the form");
    let anonymous = app
        .client
        .get(app.url("/api/v1/stats/units"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_statistics_page_renders_with_svg_charts() {
    let app = TestApp::spawn_with_demo_on(date(2025, 12, 29)).await;
    let f = fixture(&app).await;
    let resp = f.librarian.get("/stats").await;
    assert_eq!(resp.status(), 200);
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = resp.text().await.unwrap();
    assert!(html.contains("<h1>警示教育统计</h1>"));
    assert!(html.contains("统计期间：2026 年"));
    assert_eq!(
        html.matches("<svg").count(),
        3,
        "unit bars, monthly trend, sector × kind"
    );
    for id in ["chart-units", "chart-months", "chart-sector-kind"] {
        assert!(
            html.contains(&format!("aria-labelledby=\"{id}-title {id}-desc\"")),
            "{id}"
        );
    }
    assert!(html.contains("<polyline"));
    assert!(html.contains("未开展警示教育的单位"));
    assert!(html.contains("云南省气象局"), "a gap is named");
    // askama writes `&` in attributes as `&#38;`.
    assert!(
        html.contains(
            "href=\"/api/v1/stats/units?from=2026-01-01&#38;to=2026-12-31&#38;format=csv\""
        ),
        "the CSV download link"
    );
    assert!(
        html.contains("demo-video-mooncake"),
        "the most used resource links to it"
    );
    // The page's own stylesheet: a static asset under a content-hashed name, linked
    // in the head after the site's, served like the other assets.
    let head = html.split("</head>").next().expect("a head");
    let css_href = head
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(2)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's stylesheet")
        .to_owned();
    assert!(
        css_href.starts_with("/static/stats.") && css_href.ends_with(".css"),
        "{css_href}"
    );
    assert!(!html.contains("<style"), "no inline style");
    let css = f.librarian.get(&css_href).await;
    assert_eq!(css.status(), 200, "{css_href}");
    let headers = css.headers().clone();
    assert_eq!(headers["content-type"], "text/css; charset=utf-8");
    assert_eq!(
        headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(headers.contains_key("etag"));
    assert!(css.text().await.unwrap().contains(".stats-tiles"));

    // One unit in focus.
    let html = f
        .librarian
        .get("/stats?unit=yn-tax")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("国家税务总局云南省税务局 · 警示教育统计"));
    assert!(html.contains("返回全部单位"));
}

/// The text of every `<text>` and `<title>` of the SVG that starts `html`, parsed as
/// XML (so the test fails on markup that is not well-formed).
fn chart_texts(html: &str) -> Vec<String> {
    use quick_xml::events::Event;
    let end = html.find("</svg>").expect("the chart ends") + "</svg>".len();
    let mut reader = quick_xml::Reader::from_str(&html[..end]);
    let (mut texts, mut depth, mut current) = (Vec::new(), 0usize, None::<String>);
    loop {
        match reader.read_event().expect("well-formed SVG") {
            Event::Eof => break,
            Event::Start(e) => {
                depth += 1;
                if matches!(e.local_name().as_ref(), "text" | "title") {
                    current = Some(String::new());
                }
            }
            Event::End(e) => {
                depth -= 1;
                if matches!(e.local_name().as_ref(), "text" | "title") {
                    texts.extend(current.take());
                }
            }
            Event::Text(t) => current.iter_mut().for_each(|c| c.push_str(&t)),
            Event::GeneralRef(r) => {
                let c = r.resolve_char_ref().expect("a character reference");
                current.iter_mut().for_each(|s| s.extend(c));
            }
            _ => {}
        }
    }
    assert_eq!(depth, 0, "every element closed");
    texts
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chart_labels_are_escaped_and_the_charts_stay_well_formed() {
    const NAME: &str = "<script>alert(1)</script>";
    const SECTOR: &str = "\"&<>";
    let app = TestApp::spawn_with_demo_on(date(2026, 4, 1)).await;
    {
        let mut conn = app.state.db.get().unwrap();
        let (operator, at) = (
            jingshi::actor::Actor::operator("test"),
            app.state.clock.moment(),
        );
        jingshi::accounts::create_unit(&mut conn, &operator, "evil", NAME, SECTOR, at).unwrap();
    }
    let librarian = app.librarian("escape-lib").await;
    let html = librarian.get("/stats").await.text().await.unwrap();
    assert!(!html.contains("<script>alert"), "the name is never markup");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    let charts: Vec<&str> = html
        .match_indices("<svg")
        .map(|(at, _)| &html[at..])
        .collect();
    assert_eq!(charts.len(), 3);
    let units = chart_texts(charts[0]);
    assert!(units.iter().any(|t| t == "<script>alert(1)…"), "{units:?}");
    assert!(
        units
            .iter()
            .any(|t| t.starts_with(&format!("{NAME}：申请 0"))),
        "{units:?}"
    );
    chart_texts(charts[1]);
    let sectors = chart_texts(charts[2]);
    assert!(sectors.iter().any(|t| t == SECTOR), "{sectors:?}");
    assert!(
        sectors
            .iter()
            .any(|t| t.starts_with(&format!("{SECTOR} · "))),
        "{sectors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_put_the_units_sector_first_and_skip_what_it_borrowed() {
    let app = TestApp::spawn_with_demo_on(date(2025, 12, 29)).await;
    let f = fixture(&app).await;
    // A second tax unit that borrowed a banking case and reported a session with it.
    {
        let mut conn = app.state.db.get().unwrap();
        let (operator, at) = (
            jingshi::actor::Actor::operator("test"),
            app.state.clock.moment(),
        );
        let name = "国家税务总局昆明市税务局";
        jingshi::accounts::create_unit(&mut conn, &operator, "kunming-tax", name, "税务", at)
            .unwrap();
    }
    let peer = app.borrower("kunming-tax-officer", "kunming-tax").await;
    set_today(&app, date(2026, 4, 6));
    let loan = approved(
        &f.librarian,
        &peer,
        "demo-bank-loan-case",
        "digital",
        "2026-04-06",
        "2026-04-10",
    )
    .await;
    set_today(&app, date(2026, 4, 7));
    report(&peer, &loan, "2026-04-07", 150).await;

    let (status, body) = f.tax.get_json("/api/v1/recommendations?limit=20").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["unit"], "yn-tax");
    let items = body["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    // Borrowed by the unit: not recommended. The rejected request does not count.
    assert!(!ids.contains(&"demo-tax-invoice-case"), "{ids:?}");
    assert!(!ids.contains(&"demo-video-mooncake"), "{ids:?}");
    // Drafts are never recommended.
    assert!(!ids.contains(&"demo-grain-reserve-case"));
    // Tax material first: the tax-only confession, then textbooks for fewer sectors first.
    assert_eq!(
        &ids[..3],
        [
            "demo-confession-tax-deputy",
            "demo-textbook-sanctions",
            "demo-textbook-eight-rules"
        ]
    );
    assert_eq!(items[0]["reason_labels"][0], "同行业案例");
    assert_eq!(items[1]["reason_labels"][0], "同行业教材");
    let is_tax = |i: &Value| i["sectors"].as_array().unwrap().iter().any(|s| s == "税务");
    let first_other = items.iter().position(|i| !is_tax(i)).unwrap();
    assert_eq!(first_other, 3);
    assert!(
        items[first_other..].iter().all(|i| !is_tax(i)),
        "all tax material first"
    );
    // Then the same region, what the other tax unit used leading.
    assert_eq!(ids[3], "demo-bank-loan-case");
    assert_eq!(items[3]["reason_labels"], json!(["同地区", "同类单位常用"]));
    assert!(
        items[3]["detail"]
            .as_str()
            .unwrap()
            .contains("1 个同类单位借阅过"),
        "{}",
        items[3]["detail"]
    );
    assert!(items[4]["reason_labels"][0] == "同地区");

    // The resource being viewed is left out; the limit holds.
    let (_, body) = f
        .tax
        .get_json("/api/v1/recommendations?limit=2&exclude=demo-confession-tax-deputy")
        .await;
    let ids: Vec<&str> = body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["demo-textbook-sanctions", "demo-textbook-eight-rules"]
    );
    let (status, _) = f.tax.get_json("/api/v1/recommendations?limit=0").await;
    assert_eq!(status, 400);

    // The block the home and resource pages include.
    let items = {
        let conn = app.state.db.get().unwrap();
        jingshi::recommend::for_unit(&conn, "yn-tax", 2, None).unwrap()
    };
    let html = askama::Template::render(&jingshi::web::pages::stats::RecommendationsBlock {
        recommendations: items,
    })
    .unwrap();
    assert!(html.contains("为本单位推荐"));
    assert!(html.contains("href=\"/resources/demo-confession-tax-deputy\""));
    assert!(html.contains("<span class=\"badge reason\">同行业案例</span>"));
    let empty = askama::Template::render(&jingshi::web::pages::stats::RecommendationsBlock {
        recommendations: Vec::new(),
    })
    .unwrap();
    assert!(empty.trim().is_empty(), "no block without recommendations");

    // Committee staff have no unit: nothing, unless they name one.
    let (_, body) = f.librarian.get_json("/api/v1/recommendations").await;
    assert_eq!(body, json!({"unit": null, "items": []}));
    let (_, body) = f
        .librarian
        .get_json("/api/v1/recommendations?unit=yn-tax&limit=1")
        .await;
    assert_eq!(body["items"][0]["id"], "demo-confession-tax-deputy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recommendations_for_an_unknown_unit_are_not_found() {
    let app = TestApp::spawn_with_demo().await;
    let librarian = app.librarian("rec-lib").await;
    let (status, body) = librarian
        .get_json("/api/v1/recommendations?unit=no-such-unit")
        .await;
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["error"]["code"], "not_found");
    assert_eq!(body["error"]["message"], "没有代码为“no-such-unit”的单位");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_can_put_the_users_sector_first() {
    let app = TestApp::spawn_with_demo().await;
    let is_tax = |hit: &jingshi::search::Hit| hit.sectors.iter().any(|s| s == "税务");
    let request = |page| jingshi::search::SearchRequest {
        page,
        per_page: 4,
        ..Default::default()
    };
    let plain = app.state.search.search(&request(1)).unwrap();
    let tax_total = plain.facets.sector["税务"] as usize;
    assert_eq!(tax_total, 5, "published tax-sector resources in the demo");
    assert!(
        !plain.hits.iter().all(is_tax),
        "the plain order mixes sectors"
    );
    let mut seen = Vec::new();
    for page in 1..=(plain.total as usize).div_ceil(4) {
        let results =
            jingshi::recommend::sector_first(&app.state.search, &request(page), "税务").unwrap();
        assert_eq!(results.total, plain.total);
        assert_eq!(results.facets, plain.facets);
        seen.extend(results.hits);
    }
    assert_eq!(seen.len() as u64, plain.total);
    assert!(seen[..tax_total].iter().all(is_tax));
    assert!(!seen[tax_total..].iter().any(is_tax));
    let mut ids: Vec<&str> = seen.iter().map(|h| h.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len() as u64, plain.total, "every match once");
}
