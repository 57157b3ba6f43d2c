//! The search rough edges a unit officer met: the box's limit is the server's, the
//! fallback ignores stopwords, a page past the last says so once, an unknown kind
//! names the allowed values.

use crate::common::TestApp;
use crate::common::web::{encode, page};

#[tokio::test]
async fn search_edges_answer_plainly() {
    let app = TestApp::spawn_with_demo().await;
    let officer = app.borrower("officer", "yn-tax").await;

    // The box accepts exactly what the server does.
    let (status, home) = page(&officer, "/").await;
    assert_eq!(status, 200);
    let limit = jingshi::search::MAX_QUERY_CHARS;
    assert!(home.contains(&format!("maxlength=\"{limit}\"")), "{home}");
    let (status, _) = officer
        .get_json(&format!("/api/v1/search?q={}", encode(&"贪".repeat(limit))))
        .await;
    assert_eq!(status, 200);
    let (status, body) = officer
        .get_json(&format!(
            "/api/v1/search?q={}",
            encode(&"贪".repeat(limit + 1))
        ))
        .await;
    assert_eq!(status, 400, "{body}");

    // Only stopwords: nothing, rather than every text with a 的 in it.
    let (status, body) = officer
        .get_json(&format!("/api/v1/search?q={}", encode("我们 今天 的")))
        .await;
    assert_eq!(status, 200);
    assert_eq!(body["total"], 0, "{body}");
    // A meaningful word among them still finds its resources, and only those.
    let (_, moon) = officer
        .get_json(&format!("/api/v1/search?q={}&per_page=50", encode("月饼")))
        .await;
    let (_, asked) = officer
        .get_json(&format!(
            "/api/v1/search?q={}&per_page=50",
            encode("我们今天想看的月饼")
        ))
        .await;
    assert!(moon["total"].as_u64().unwrap() > 0, "{moon}");
    let ids = |body: &serde_json::Value| {
        let mut ids: Vec<String> = body["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let asked_ids = ids(&asked);
    assert!(!asked_ids.is_empty(), "{asked}");
    assert!(
        asked_ids.iter().all(|id| ids(&moon).contains(id)),
        "fallback hits without 月饼: {asked_ids:?} vs {:?}",
        ids(&moon)
    );

    // A page past the last: one message with the way back, not "nothing found".
    let (status, html) = page(&officer, &format!("/search?q={}&page=40", encode("规定"))).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("已超出结果范围").count(), 1, "{html}");
    assert!(!html.contains("没有找到"), "{html}");
    assert!(html.contains("转到最后一页"), "{html}");

    // An unknown kind is refused with the allowed values, over the API and on the page.
    let (status, body) = officer.get_json("/api/v1/search?q=x&kind=film").await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    for kind in ["video", "case", "confession", "textbook"] {
        assert!(message.contains(kind), "{message}");
    }
    let (status, html) = page(&officer, "/search?kind=%3Cscript%3E").await;
    assert_eq!(status, 400);
    assert!(html.contains("参数 kind 应为"), "{html}");
    assert!(!html.contains("收到“<script>"), "markup is escaped: {html}");
    let (status, _) = officer.get_json("/api/v1/search?kind=case").await;
    assert_eq!(status, 200);
}
