//! The borrower's availability calendar on the loan form: free, partly free, full and
//! closed days; a day links to the check of a period from it; a full period warns,
//! suggests the nearest free period (earlier or later) and offers 加入候补.

use crate::common::TestApp;
use crate::common::lending::{MONDAY, approved, day, lendable_titled};
use crate::common::web::page;

/// The class of the calendar cell of `date`.
fn cell_class(html: &str, date: &str) -> Option<String> {
    let at = html.find(&format!("title=\"{date} "))?;
    let before = &html[..at];
    let open = before.rfind("<td class=\"")? + "<td class=\"".len();
    Some(before[open..].split('"').next()?.to_owned())
}

#[tokio::test]
async fn the_month_shows_each_days_state_and_full_periods_warn() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("cal-lib").await;
    let tax = app.borrower("cal-tax", "yn-tax").await;
    let customs = app.borrower("cal-customs", "kunming-customs").await;
    // One licence: a loan over days 7–11 fills them.
    lendable_titled(&librarian, "cal-film", "日历测试片", Some(1), 1).await;
    approved(
        &librarian,
        &customs,
        "cal-film",
        "digital",
        &day(7),
        &day(11),
    )
    .await;

    let (status, html) = page(&tax, "/resources/cal-film?format=digital").await;
    assert_eq!(status, 200);
    assert!(html.contains("2027 年 3 月 · 数字借阅可借情况"), "{html}");
    assert_eq!(
        cell_class(&html, &day(8)).as_deref(),
        Some("full"),
        "{html}"
    );
    assert_eq!(cell_class(&html, &day(2)).as_deref(), Some("free"));
    // A free day links to the check of a period from it.
    assert!(
        html.contains(&format!(
            "/resources/cal-film?format=digital&#38;start={}&#38;end={}&#38;check=1",
            day(2),
            day(4)
        )),
        "{html}"
    );
    // The next month is one click away; no way back before this month.
    assert!(
        html.contains("month=2027-04#loan") && !html.contains("month=2027-02"),
        "{html}"
    );

    // Checking a full period: a warning, the nearest free period, and 加入候补.
    let (_, html) = page(
        &tax,
        &format!(
            "/resources/cal-film?format=digital&start={}&end={}&check=1",
            day(9),
            day(10)
        ),
    )
    .await;
    assert!(html.contains("availability full warning"), "{html}");
    assert!(html.contains(">加入候补</button>"), "{html}");
    // Two days asked from day 9: day 12 (3 later) beats day 5 (4 earlier).
    assert!(
        html.contains(&format!("data-suggest-start=\"{}\"", day(12))),
        "{html}"
    );
    // With days 14–30 taken too, the nearest free period is earlier: two days from
    // day 3 (a Thursday; from day 4 the end would move past the weekend onto day 7).
    let tobacco = app.borrower("cal-tobacco", "yn-tobacco").await;
    approved(
        &librarian,
        &tobacco,
        "cal-film",
        "digital",
        &day(14),
        &day(30),
    )
    .await;
    let (_, html) = page(
        &tax,
        &format!(
            "/resources/cal-film?format=digital&start={}&end={}&check=1",
            day(9),
            day(10)
        ),
    )
    .await;
    assert!(
        html.contains(&format!("data-suggest-start=\"{}\"", day(3))),
        "{html}"
    );
    // A free period keeps the plain button.
    let (_, html) = page(
        &tax,
        &format!(
            "/resources/cal-film?format=digital&start={}&end={}&check=1",
            day(1),
            day(2)
        ),
    )
    .await;
    assert!(html.contains(">提交借阅申请</button>") && !html.contains(">加入候补<"));

    // Days gone by are past, not startable.
    crate::common::lending::set_today(&app, 3);
    let (_, html) = page(&tax, "/resources/cal-film?format=digital").await;
    assert_eq!(
        cell_class(&html, &day(1)).as_deref(),
        Some("past"),
        "{html}"
    );
    assert!(!html.contains(&format!("start={}&#38;", day(1))));

    // Hostile month values fall back to the chosen or current month.
    for month in ["2027-13", "../../etc", "%3Cscript%3E", "9999999-01"] {
        let (status, html) = page(&tax, &format!("/resources/cal-film?month={month}")).await;
        assert_eq!(status, 200, "{month}");
        assert!(html.contains("2027 年 3 月"), "{month}");
    }
}

#[tokio::test]
async fn a_physical_copy_never_starts_on_a_closed_day() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("cal-lib2").await;
    let tax = app.borrower("cal-tax2", "yn-tax").await;
    lendable_titled(&librarian, "cal-copy", "日历实体测试", Some(0), 1).await;
    let (_, html) = page(&tax, "/resources/cal-copy?format=physical").await;
    // 2027-03-06 is a Saturday: closed, shown but not a start.
    assert_eq!(
        cell_class(&html, &day(5)).as_deref(),
        Some("closed"),
        "{html}"
    );
    assert!(!html.contains(&format!("start={}&#38;", day(5))), "{html}");
    assert!(html.contains(&format!("start={}&#38;", day(4))), "{html}");
}
