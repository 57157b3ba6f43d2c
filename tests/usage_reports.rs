//! Usage reports (issue 15): a report counts several sessions (`sessions`, 1 when
//! left out, so the `report` action stays as SPEC §7 has it); librarians read them at
//! `/librarian/reports` by unit, resource and dates with the totals, and export the
//! same list as CSV and XLSX; borrowers read only their own unit's.

use jingshi::spreadsheet::read_rows;
use serde_json::{Value, json};

use crate::common::lending::{MONDAY, act, act_ok, approved, day, lendable, set_today};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp};

struct Reported {
    lib: Session,
    tax: Session,
    customs: Session,
}

/// Four reports: the tax bureau on two films (3 sessions, then 1), customs on one
/// (2 sessions) and, a week later, on the other (1 session, hostile text).
async fn reported(app: &TestApp) -> Reported {
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    lendable(&lib, "report-film-a", None, 0).await;
    lendable(&lib, "report-film-b", None, 0).await;
    let loans = [
        approved(&lib, &tax, "report-film-a", "digital", &day(0), &day(20)).await,
        approved(&lib, &tax, "report-film-b", "digital", &day(0), &day(20)).await,
        approved(
            &lib,
            &customs,
            "report-film-a",
            "digital",
            &day(0),
            &day(20),
        )
        .await,
        approved(
            &lib,
            &customs,
            "report-film-b",
            "digital",
            &day(0),
            &day(20),
        )
        .await,
    ];
    set_today(app, 10);
    let bodies = [
        json!({"held_on": day(1), "sessions": 3, "participants": 240, "feedback": "分三批组织观看"}),
        json!({"held_on": day(2), "participants": 60, "feedback": "支部学习"}),
        json!({"held_on": day(2), "sessions": 2, "participants": 150, "feedback": "<script>alert(1)</script>触动很大"}),
        json!({"held_on": day(9), "participants": 30, "feedback": "=HYPERLINK(\"http://evil\",\"点我\")"}),
    ];
    for (loan, body) in loans.iter().zip(bodies) {
        let session = if loan["unit"] == "yn-tax" {
            &tax
        } else {
            &customs
        };
        act_ok(session, loan, "report", body).await;
    }
    Reported { lib, tax, customs }
}

#[tokio::test]
async fn a_report_counts_sessions_and_refuses_impossible_counts() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    lendable(&lib, "sessions-film", None, 0).await;
    let loan = approved(&lib, &tax, "sessions-film", "digital", &day(0), &day(9)).await;
    set_today(&app, 3);
    for (sessions, status) in [
        (json!(0), 422),
        (json!(1001), 422),
        (json!(-2), 422),
        (json!("三"), 422),
    ] {
        let (got, body) = act(
            &tax,
            &loan,
            "report",
            json!({"held_on": day(1), "participants": 80, "sessions": sessions}),
        )
        .await;
        assert_eq!(got, status, "{sessions}: {body}");
        assert!(body["error"]["message"].is_string());
    }
    assert_eq!(app.count("SELECT count(*) FROM loan_reports"), 0);
    // Without the field: one session, as before.
    let once = act_ok(
        &tax,
        &loan,
        "report",
        json!({"held_on": day(1), "participants": 80}),
    )
    .await;
    assert_eq!(once["report"]["sessions"], 1);
    let thrice = act_ok(
        &tax,
        &loan,
        "report",
        json!({"held_on": day(2), "participants": 200, "sessions": 3}),
    )
    .await;
    assert_eq!(thrice["report"]["sessions"], 3);

    // The unit's form takes the sessions too, and shows a refusal beside it.
    let (_, html) = page(&tax, "/loans").await;
    assert!(html.contains("name=\"sessions\""), "{html}");
    let csrf = csrf_of(&html);
    let action = format!("/loans/{}/report", loan["id"]);
    let (status, _, html) = post_form(
        &tax,
        &action,
        &[
            ("csrf", &csrf),
            ("held_on", &day(2)),
            ("sessions", "几场"),
            ("participants", "90"),
            ("feedback", "好"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("场次“几场”应为整数"), "{html}");
    assert!(html.contains("value=\"几场\""), "the typed value is kept");
    let (status, _, html) = post_form(
        &tax,
        &action,
        &[
            ("csrf", &csrf),
            ("held_on", &day(2)),
            ("sessions", "2"),
            ("participants", "90"),
            ("feedback", "好"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("组织观看 2 场，90 人参加"), "{html}");
}

#[tokio::test]
async fn librarians_read_reports_by_unit_resource_and_dates_with_totals() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let r = reported(&app).await;

    let (status, all) = r.lib.get_json("/api/v1/reports").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        all["totals"],
        json!({"reports": 4, "sessions": 7, "participants": 480, "units": 2, "resources": 2})
    );
    assert_eq!(all["rows"][0]["held_on"], day(9), "newest held first");
    assert_eq!(all["rows"][0]["unit_name"], "昆明海关");

    let totals = |q: &'static str| {
        let lib = &r.lib;
        async move {
            let (status, body) = lib.get_json(&format!("/api/v1/reports?{q}")).await;
            assert_eq!(status, 200, "{q}: {body}");
            (
                body["totals"]["reports"].as_u64().unwrap(),
                body["totals"]["sessions"].as_u64().unwrap(),
                body["totals"]["participants"].as_u64().unwrap(),
            )
        }
    };
    assert_eq!(totals("unit=yn-tax").await, (2, 4, 300));
    assert_eq!(totals("resource_id=report-film-a").await, (2, 5, 390));
    assert_eq!(
        totals("unit=kunming-customs&resource_id=report-film-b").await,
        (1, 1, 30)
    );
    let from_to = format!("from={}&to={}", day(2), day(2));
    let (_, body) = r.lib.get_json(&format!("/api/v1/reports?{from_to}")).await;
    assert_eq!(body["totals"]["reports"], 2, "{body}");
    let (status, body) = r
        .lib
        .get_json(&format!("/api/v1/reports?from={}&to={}", day(5), day(1)))
        .await;
    assert_eq!(status, 422, "{body}");
    let (status, _) = r.lib.get_json("/api/v1/reports?from=../../etc").await;
    assert_eq!(status, 422);

    // The page: filters, totals, rows, hostile text escaped.
    let (status, html) = page(&r.lib, "/librarian/reports?unit=kunming-customs").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("<option value=\"kunming-customs\" selected>昆明海关</option>"),
        "{html}"
    );
    assert!(html.contains("<dd>2 份</dd>"), "{html}");
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;触动很大"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(
        !html.contains("分三批组织观看"),
        "another unit's report is filtered out"
    );
    let (status, html) = page(
        &r.lib,
        &format!("/librarian/reports?from={}&to={}", day(3), day(1)),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("截止日期") && html.contains("class=\"error\""),
        "{html}"
    );
}

#[tokio::test]
async fn the_exports_hold_the_filtered_rows_and_totals() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let r = reported(&app).await;

    let download = |path: String| {
        let lib = &r.lib;
        async move {
            let resp = lib.get(&path).await;
            assert_eq!(resp.status(), 200, "{path}");
            let kind = resp.headers()["content-type"].to_str().unwrap().to_owned();
            (kind, resp.bytes().await.unwrap().to_vec())
        }
    };
    // The page links to both with its filters.
    let (_, html) = page(&r.lib, "/librarian/reports?resource_id=report-film-b").await;
    assert!(
        html.contains("href=\"/librarian/reports.csv?resource_id=report-film-b\""),
        "{html}"
    );
    assert!(html.contains("href=\"/librarian/reports.xlsx?resource_id=report-film-b\""));

    let (kind, csv) = download("/librarian/reports.csv?resource_id=report-film-b".into()).await;
    assert!(kind.starts_with("text/csv"), "{kind}");
    let (kind, xlsx) = download("/librarian/reports.xlsx?resource_id=report-film-b".into()).await;
    assert_eq!(kind, jingshi::spreadsheet::XLSX_MIME);
    let from_csv = read_rows("usage-reports.csv", &csv).unwrap();
    let from_xlsx = read_rows("usage-reports.xlsx", &xlsx).unwrap();
    for rows in [&from_csv, &from_xlsx] {
        assert_eq!(
            rows.len(),
            1 + 2 + 1,
            "header, two reports, totals: {rows:?}"
        );
        assert_eq!(rows[0][0], "举办日期");
        assert_eq!(rows[0][6], "场次");
        assert_eq!(rows[1][0], day(9));
        assert_eq!(rows[1][1], "昆明海关");
        assert_eq!(rows[2][1], "国家税务总局云南省税务局");
        assert_eq!(rows[3][0], "合计");
        assert_eq!((rows[3][6].as_str(), rows[3][7].as_str()), ("2", "90"));
    }
    // A formula typed by a unit stays text: guarded in the CSV, plain text in XLSX.
    assert!(from_csv[1][8].starts_with("'="), "{:?}", from_csv[1]);
    assert_eq!(from_xlsx[1][8], "=HYPERLINK(\"http://evil\",\"点我\")");

    // Without filters: every report and the full totals.
    let (_, csv) = download("/librarian/reports.csv".into()).await;
    let rows = read_rows("all.csv", &csv).unwrap();
    assert_eq!(rows.len(), 6);
    assert_eq!((rows[5][6].as_str(), rows[5][7].as_str()), ("7", "480"));
}

#[tokio::test]
async fn borrowers_read_only_their_own_units_reports() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let r = reported(&app).await;

    // The librarian's page and exports are closed to them.
    for path in [
        "/librarian/reports",
        "/librarian/reports.csv",
        "/librarian/reports.xlsx",
    ] {
        assert_eq!(r.tax.get(path).await.status(), 403, "{path}");
    }
    // The API gives them their own unit's, and refuses another unit's.
    let (status, own) = r.tax.get_json("/api/v1/reports").await;
    assert_eq!(status, 200);
    assert_eq!(own["totals"]["reports"], 2);
    let units: Vec<&Value> = own["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| &row["unit"])
        .collect();
    assert!(units.iter().all(|u| *u == "yn-tax"), "{units:?}");
    let (status, body) = r.tax.get_json("/api/v1/reports?unit=kunming-customs").await;
    assert_eq!(status, 403, "{body}");
    assert!(!body.to_string().contains("触动很大"));
    let (status, own) = r
        .customs
        .get_json("/api/v1/reports?unit=kunming-customs")
        .await;
    assert_eq!(status, 200);
    assert_eq!(own["totals"]["sessions"], 3);
    // Signed out: nothing.
    let (status, _) = app.get_json("/api/v1/reports").await;
    assert_eq!(status, 401);

    // The statistics count the sessions a report declares.
    let (status, stats) = r
        .lib
        .get_json(&format!(
            "/api/v1/stats/units?from={}&to={}",
            day(0),
            day(20)
        ))
        .await;
    assert_eq!(status, 200, "{stats}");
    let tax = stats["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "yn-tax")
        .unwrap();
    assert_eq!(
        (tax["sessions"].as_u64(), tax["participants"].as_u64()),
        (Some(4), Some(300))
    );
}
