//! Notification texts: the loan's number, one pair of title marks, and nobody told of
//! their own unit's doing.

use serde_json::{Value, json};

use crate::common::lending::{MONDAY, act, act_ok, approved, day, lendable_titled};
use crate::common::web::page;
use crate::common::{Session, TestApp};

async fn messages_about(session: &Session, loan: &Value) -> Vec<String> {
    let (status, body) = session.get_json("/api/v1/notifications").await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["loan_id"] == loan["id"])
        .map(|n| n["message"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn notices_name_the_loan_once_marked_and_skip_ones_own_doing() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("notice-lib").await;
    let tax = app.borrower("notice-tax", "yn-tax").await;
    lendable_titled(
        &librarian,
        "notice-marked",
        "警示教育片《贪欲之害》",
        None,
        0,
    )
    .await;
    lendable_titled(&librarian, "notice-plain", "贪欲之害", None, 0).await;

    let marked = approved(
        &librarian,
        &tax,
        "notice-marked",
        "digital",
        &day(2),
        &day(4),
    )
    .await;
    let plain = approved(
        &librarian,
        &tax,
        "notice-plain",
        "digital",
        &day(2),
        &day(4),
    )
    .await;
    let id = marked["id"].as_i64().unwrap();
    let shown = messages_about(&tax, &marked).await;
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(shown[0].starts_with(&format!("借阅 #{id}：")), "{shown:?}");
    assert!(
        shown[0].contains("警示教育片《贪欲之害》的借阅申请"),
        "{shown:?}"
    );
    assert_eq!(shown[0].matches('《').count(), 1, "{shown:?}");
    let shown = messages_about(&tax, &plain).await;
    assert!(shown[0].contains("《贪欲之害》的借阅申请"), "{shown:?}");
    assert_eq!(shown[0].matches('《').count(), 1, "{shown:?}");

    // The unit renews its own loan: no notice. A librarian's renewal is told.
    act_ok(&tax, &marked, "renew", json!({"end": day(5)})).await;
    assert_eq!(messages_about(&tax, &marked).await.len(), 1);
    let (status, body) = act(&librarian, &marked, "renew", json!({"end": day(10)})).await;
    assert_eq!(status, 200, "{body}");
    let shown = messages_about(&tax, &marked).await;
    assert_eq!(shown.len(), 2, "{shown:?}");
    assert!(
        shown[0].contains("管理员已将警示教育片《贪欲之害》的借阅续借至"),
        "{shown:?}"
    );

    // The unit cancels its own request: not told; the other unit's officer sees nothing.
    let cancelled =
        crate::common::lending::requested(&tax, "notice-plain", "digital", &day(8), &day(9)).await;
    act_ok(&tax, &cancelled, "cancel", json!({})).await;
    assert!(messages_about(&tax, &cancelled).await.is_empty());
    let customs = app.borrower("notice-customs", "kunming-customs").await;
    assert!(messages_about(&customs, &marked).await.is_empty());

    // "标为已读" is a quiet text action beside each notice.
    let (_, html) = page(&tax, "/loans").await;
    assert!(html.contains("class=\"quiet\">标为已读"), "{html}");

    // Every page's header counts the unit's unread notices; none for the other unit.
    let (_, body) = tax.get_json("/api/v1/notifications").await;
    let unread = body["unread"].as_u64().unwrap();
    assert!(unread >= 2, "{body}");
    for path in ["/", "/search", "/stats"] {
        let (_, html) = page(&tax, path).await;
        assert!(
            html.contains(&format!("title=\"{unread} 条未读通知\"")),
            "{path}: {html}"
        );
    }
    let (_, html) = page(&customs, "/").await;
    assert!(!html.contains("条未读通知"), "{html}");
    let (_, html) = page(&tax, "/loans").await;
    let csrf = crate::common::web::csrf_of(&html);
    crate::common::web::post_form(&tax, "/loans/notifications/read", &[("csrf", &csrf)]).await;
    let (_, html) = page(&tax, "/").await;
    assert!(!html.contains("条未读通知"), "all read: {html}");
}
