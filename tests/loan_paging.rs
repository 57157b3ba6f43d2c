//! Long loan lists come in pages: `/loans` newest first (`?before=`), the librarian's
//! queue oldest first (`?after=`), and the same cursors on the JSON API.

use std::collections::BTreeSet;

use serde_json::json;

use crate::common::lending::{MONDAY, day};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp};

const REQUESTS: usize = 35;

/// The loan ids shown on a page, in page order.
fn loan_ids(html: &str) -> Vec<i64> {
    html.match_indices("id=\"loan-")
        .filter_map(|(at, marker)| {
            let rest = &html[at + marker.len()..];
            rest.split('"').next()?.parse().ok()
        })
        .collect()
}

/// The `href` of the link with this text, if the page has one.
fn link_to(html: &str, text: &str) -> Option<String> {
    let end = html.find(&format!("\">{text}</a>"))?;
    let start = html[..end].rfind("href=\"")? + "href=\"".len();
    Some(html[start..end].split('"').next()?.replace("&amp;", "&"))
}

async fn request_many(borrower: &Session) -> Vec<i64> {
    let mut ids = Vec::new();
    for n in 0..REQUESTS {
        let (status, body) = borrower
            .post_json(
                "/api/v1/loans",
                &json!({"resource_id": "paged-film", "format": "digital",
                        "start": day(7), "end": day(9),
                        "purpose": format!("第 {n} 次学习"), "audience": 20}),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        ids.push(body["id"].as_i64().expect("id"));
    }
    ids
}

#[tokio::test]
async fn long_loan_lists_page_through_every_loan_once() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let librarian = app.librarian("lib-paging").await;
    // Enough licences that every request fits and waits for a librarian.
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "paged-film", "kind": "video", "title": "分页测试片",
                    "access": "loan", "status": "published", "licences": 100}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    // One unit files every request: lift the one-open-request default (issue 14).
    crate::common::lending::lift_unit_limits(&librarian, "paged-film").await;
    let borrower = app.borrower("paging-officer", "yn-tax").await;
    let ids = request_many(&borrower).await;

    // The unit's page: newest first, 30 then the rest, each loan once.
    let (status, first) = page(&borrower, "/loans").await;
    assert_eq!(status, 200);
    let first_ids = loan_ids(&first);
    assert_eq!(first_ids.len(), 30, "{first}");
    assert_eq!(first_ids[0], *ids.last().unwrap());
    assert!(first_ids.windows(2).all(|w| w[0] > w[1]), "{first_ids:?}");
    assert!(link_to(&first, "最新的借阅").is_none());
    let older = link_to(&first, "更早的借阅").expect("a link to older loans");
    let (status, second) = page(&borrower, &older).await;
    assert_eq!(status, 200);
    let second_ids = loan_ids(&second);
    assert_eq!(second_ids.len(), REQUESTS - 30, "{second}");
    assert!(link_to(&second, "更早的借阅").is_none());
    assert_eq!(link_to(&second, "最新的借阅").as_deref(), Some("/loans"));
    let seen: BTreeSet<i64> = first_ids.iter().chain(&second_ids).copied().collect();
    assert_eq!(seen, ids.iter().copied().collect::<BTreeSet<_>>());
    let (_, past_the_end) = page(&borrower, "/loans?before=1").await;
    assert!(
        past_the_end.contains("没有更早的借阅记录"),
        "{past_the_end}"
    );

    // The queue: oldest first, the total in the heading, a second page after the first.
    let (status, queue) = page(&librarian, "/librarian/queue").await;
    assert_eq!(status, 200);
    assert!(
        queue.contains(&format!("共 {REQUESTS} 条")),
        "the heading counts every pending request"
    );
    let pending_ids: Vec<i64> = loan_ids(&queue)
        .into_iter()
        .filter(|id| ids.contains(id))
        .collect();
    assert_eq!(pending_ids, ids[..30].to_vec());
    let next = link_to(&queue, "下一页").expect("a next page");
    let (_, queue_two) = page(&librarian, &next).await;
    let later: Vec<i64> = loan_ids(&queue_two)
        .into_iter()
        .filter(|id| ids.contains(id))
        .collect();
    assert_eq!(later, ids[30..].to_vec());
    assert!(link_to(&queue_two, "下一页").is_none());

    // Approving on the second page comes back to the second page.
    let target = ids[32].to_string();
    let (status, landed, html) = post_form(
        &librarian,
        &format!("/loans/{target}/approve"),
        &[("csrf", &csrf_of(&queue_two)), ("next", &next)],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        landed.contains(&next) && landed.contains("done=approve"),
        "{landed}"
    );
    assert!(html.contains(&format!("共 {} 条", REQUESTS - 1)));
    assert!(!loan_ids(&html).contains(&ids[32]));

    // The API takes the same cursors.
    let (status, slice) = librarian
        .get_json(&format!("/api/v1/loans/queue?after={}&limit=5", ids[3]))
        .await;
    assert_eq!(status, 200, "{slice}");
    let slice_ids: Vec<i64> = slice
        .as_array()
        .expect("a list")
        .iter()
        .map(|item| item["loan"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(slice_ids, ids[4..9].to_vec());
    let (status, older_loans) = borrower
        .get_json(&format!("/api/v1/loans?before={}&limit=3", ids[10]))
        .await;
    assert_eq!(status, 200, "{older_loans}");
    let older_ids: Vec<i64> = older_loans
        .as_array()
        .expect("a list")
        .iter()
        .map(|loan| loan["id"].as_i64().unwrap())
        .collect();
    assert_eq!(older_ids, vec![ids[9], ids[8], ids[7]]);
    let (status, refused) = librarian.get_json("/api/v1/loans/queue?after=abc").await;
    assert_eq!(status, 400, "{refused}");
}
