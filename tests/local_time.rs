//! Times are shown in Beijing time, whatever the server's own zone.

use crate::common::TestApp;
use crate::common::lending::{MONDAY, approved};
use crate::common::web::page;

#[tokio::test]
async fn a_notification_late_in_the_utc_evening_shows_the_next_beijing_day() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tobacco").await;
    // 23:30 UTC on Monday is 07:30 on Tuesday in Beijing.
    app.state.clock.set("2027-03-01T23:30:00Z".parse().unwrap());
    approved(
        &lib,
        &officer,
        "demo-tobacco-procurement-case",
        "digital",
        "2027-03-03",
        "2027-03-04",
    )
    .await;
    let (status, html) = page(&officer, "/loans").await;
    assert_eq!(status, 200);
    assert!(html.contains("<time>2027-03-02 07:30</time>"), "{html}");
    assert!(!html.contains("2027-03-01 23:30"));
}
