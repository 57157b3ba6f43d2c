//! The librarian's review of units' contributions in the browser's pages (issue 18):
//! the queue `/librarian/contributions` (oldest first, findings open of all, tabs by
//! state, the count in the navigation) and the review page with its forms — redact,
//! keep a finding with a reason, return with comments, publish — each refusal shown
//! beside its form with what was typed and nothing done; borrowers turned away from
//! every page and form; markup shown as text.

use serde_json::json;

use crate::common::contributing::{MOBILE, findings, sample_id_number, submit_bulletin};
use crate::common::web::{csrf_of, page, post_form, upload};
use crate::common::{Session, TestApp};

/// A librarian, a tax officer and the tax unit's contribution with the bulletin.
struct Review {
    app: TestApp,
    librarian: Session,
    officer: Session,
    id: String,
}

async fn review() -> Review {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let id = submit_bulletin(&officer, "某市局局长违规收受礼金案通报（示例）", "sector").await;
    Review {
        app,
        librarian,
        officer,
        id,
    }
}

impl Review {
    fn review_path(&self) -> String {
        format!("/librarian/contributions/{}", self.id)
    }

    /// The librarian's form token, from the review page.
    async fn token(&self) -> String {
        let (status, html) = page(&self.librarian, &self.review_path()).await;
        assert_eq!(status, 200, "{html}");
        csrf_of(&html)
    }

    /// The librarian posts the review form at `action` (`return`, `findings/7/ack`, …)
    /// with `token` and one field; answers the final status, address and page.
    async fn post(&self, action: &str, token: &str, field: (&str, &str)) -> (u16, String, String) {
        let path = format!("{}/{action}", self.review_path());
        post_form(&self.librarian, &path, &[("csrf", token), field]).await
    }

    fn status(&self) -> String {
        let conn = self.app.state.db.get().expect("connection");
        conn.query_row(
            "SELECT status FROM resources WHERE id = ?1",
            [&self.id],
            |row| row.get(0),
        )
        .expect("status")
    }

    /// Rows that a review step writes: events, notifications, audit rows,
    /// acknowledgements, files.
    fn footprint(&self) -> [i64; 5] {
        [
            "SELECT count(*) FROM contribution_events",
            "SELECT count(*) FROM notifications",
            "SELECT count(*) FROM audit_log",
            "SELECT count(*) FROM privacy_findings WHERE ack_reason IS NOT NULL",
            "SELECT count(*) FROM files",
        ]
        .map(|sql| self.app.count(sql))
    }
}

/// The first open finding's id of `id`.
async fn open_finding(librarian: &Session, id: &str) -> i64 {
    findings(librarian, id)
        .await
        .iter()
        .find(|f| f["acknowledged"].is_null())
        .and_then(|f| f["id"].as_i64())
        .expect("an open finding")
}

#[tokio::test]
async fn the_queue_lists_contributions_awaiting_review_oldest_first_with_their_findings() {
    let r = review().await;
    let later = submit_bulletin(&r.officer, "后提交的投稿（示例）", "all").await;
    let returned = submit_bulletin(&r.officer, "已退回的投稿（示例）", "committee").await;
    let (status, body) = r
        .librarian
        .post_json(
            &format!("/api/v1/resources/{returned}/return"),
            &json!({"comments": "请补充案件发生年份"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let found = findings(&r.librarian, &r.id).await.len();
    assert!(found >= 2, "the bulletin's personal data is found: {found}");

    let (status, html) = page(&r.librarian, "/librarian/contributions").await;
    assert_eq!(status, 200, "{html}");
    let first = html
        .find(&format!("contribution-{}", r.id))
        .expect("first row");
    let second = html
        .find(&format!("contribution-{later}"))
        .expect("later row");
    assert!(first < second, "oldest first");
    assert!(
        !html.contains(&format!("contribution-{returned}")),
        "returned ones wait in their tab"
    );
    assert!(html.contains("国家税务总局云南省税务局"), "the unit");
    assert!(html.contains("典型案例通报"), "the kind");
    assert!(
        html.contains("本行业单位") && html.contains("所有单位"),
        "the scopes"
    );
    assert!(
        html.contains(&format!("待处理 {found} / 共 {found}")),
        "open of all findings: {html}"
    );
    assert!(html.contains("findings-open"), "open findings stand out");
    assert!(
        html.contains("title=\"2 份投稿待审核\""),
        "the count in the navigation"
    );
    assert!(
        html.contains("aria-current=\"page\">投稿审核"),
        "the section is current"
    );

    let (status, html) = page(&r.librarian, "/librarian/contributions?status=returned").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("contribution-{returned}")));
    assert!(html.contains("退回意见：请补充案件发生年份"), "{html}");
    assert!(!html.contains(&format!("contribution-{later}")));

    let (status, html) = page(&r.librarian, "/librarian/contributions?status=draft").await;
    assert_eq!(status, 400, "{html}");
    assert!(html.contains("没有这种投稿状态"));
}

#[tokio::test]
async fn the_review_page_shows_the_record_files_conversation_and_findings_in_context() {
    let r = review().await;
    let (status, html) = page(&r.librarian, &r.review_path()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("某市局局长违规收受礼金案通报（示例）"));
    assert!(html.contains("共享范围：本行业单位"));
    assert!(html.contains("案情通报.md"), "the file");
    assert!(html.contains("单位提交"), "the conversation");
    assert!(
        html.contains(&format!("<mark>{MOBILE}</mark>")),
        "the phone in context"
    );
    assert!(html.contains(&format!("<mark>{}</mark>", sample_id_number())));
    assert!(
        html.contains("联系电话为 </span><mark>"),
        "the text before the finding: {html}"
    );
    assert!(html.contains("文件：案情通报.md"), "grouped per file");
    assert!(html.contains("name=\"reason\""), "a form per open finding");
    assert!(
        html.contains(&format!("href=\"/librarian/resources/{}\"", r.id)),
        "to the editor"
    );
}

#[tokio::test]
async fn borrowers_are_turned_away_from_every_review_page_and_form() {
    let r = review().await;
    let finding = open_finding(&r.librarian, &r.id).await;
    let before = r.footprint();
    let (_, home) = page(&r.officer, "/").await;
    let token = csrf_of(&home);
    for path in [
        "/librarian/contributions".to_owned(),
        "/librarian/contributions?status=published".to_owned(),
        r.review_path(),
    ] {
        let (status, html) = page(&r.officer, &path).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains("没有权限"), "{path}");
    }
    for (action, field, value) in [
        ("redact", "keep_surname", "1"),
        ("return", "comments", "请修改"),
        ("publish", "x", ""),
        (&format!("findings/{finding}/ack") as &str, "reason", "示例"),
    ] {
        let path = format!("{}/{action}", r.review_path());
        let (status, _, html) =
            post_form(&r.officer, &path, &[("csrf", &token), (field, value)]).await;
        assert_eq!(status, 403, "{path}");
        assert!(html.contains("没有权限"), "{path}");
    }
    assert_eq!(r.footprint(), before, "nothing written");
    assert_eq!(r.status(), "submitted");
    // Not even a librarian posts without the form's token.
    let path = format!("{}/publish", r.review_path());
    let (status, _, _) = post_form(&r.librarian, &path, &[("csrf", "forged")]).await;
    assert_eq!(status, 403);
    assert_eq!(r.status(), "submitted");
}

#[tokio::test]
async fn markup_typed_by_units_and_librarians_is_shown_as_text() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let id = submit_bulletin(&officer, "<script>alert('标题')</script>案例", "all").await;
    let review = format!("/librarian/contributions/{id}");
    let (_, html) = page(&librarian, "/librarian/contributions").await;
    assert!(
        html.contains("&#60;script&#62;alert(&#39;标题&#39;)&#60;/script&#62;案例"),
        "{html}"
    );
    assert!(!html.contains("<script>alert"), "the queue");

    let (status, file) = upload(
        &officer,
        &id,
        "<b onclick=x>附件.md",
        "附件".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{file}");
    let (_, html) = page(&librarian, &review).await;
    assert!(!html.contains("<script>alert"), "the review page");
    assert!(
        html.contains("&#60;b onclick=x&#62;附件.md"),
        "the file's name: {html}"
    );
    assert!(!html.contains("<b onclick"));
    let token = csrf_of(&html);
    let finding = open_finding(&librarian, &id).await;
    let (status, _, html) = post_form(
        &librarian,
        &format!("{review}/findings/{finding}/ack"),
        &[
            ("csrf", &token),
            ("reason", "<img src=x onerror=alert(1)>公开信息"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已确认保留这处信息"));
    assert!(
        html.contains("&#60;img src=x onerror=alert(1)&#62;公开信息"),
        "{html}"
    );
    assert!(!html.contains("<img src=x"));

    let (status, _, html) = post_form(
        &librarian,
        &format!("{review}/return"),
        &[("csrf", &token), ("comments", "<b>请补充</b>案件年份")],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已退回单位修改"));
    assert!(
        html.contains("&#60;b&#62;请补充&#60;/b&#62;案件年份"),
        "{html}"
    );
    assert!(!html.contains("<b>请补充"));
}

#[tokio::test]
async fn oversized_or_empty_input_is_refused_beside_its_form_and_nothing_is_done() {
    let r = review().await;
    let token = r.token().await;
    let before = r.footprint();

    let long = "请补充。".repeat(501);
    let (status, _, html) = r.post("return", &token, ("comments", &long)).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"return-error\""), "beside the form");
    assert!(html.contains("意见最长 2000 个字"), "{html}");
    assert!(
        html.contains(&format!(">{long}</textarea>")),
        "what was typed is kept"
    );
    let (status, _, html) = r.post("return", &token, ("comments", "  ")).await;
    assert_eq!(status, 422);
    assert!(html.contains("请写明需要单位修改什么"), "{html}");

    let finding = open_finding(&r.librarian, &r.id).await;
    let reason = "理由".repeat(251);
    let (status, _, html) = r
        .post(
            &format!("findings/{finding}/ack"),
            &token,
            ("reason", &reason),
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(
        html.contains(&format!("id=\"reason-error-{finding}\"")),
        "beside the finding"
    );
    assert!(html.contains("理由最长 500 个字"), "{html}");
    assert!(
        html.contains(&format!("value=\"{reason}\"")),
        "what was typed is kept"
    );
    let (status, _, html) = r
        .post(&format!("findings/{finding}/ack"), &token, ("reason", ""))
        .await;
    assert_eq!(status, 422);
    assert!(html.contains("请说明为什么这处信息可以保留"), "{html}");
    let (status, _, _) = r
        .post("findings/not-a-number/ack", &token, ("reason", "示例"))
        .await;
    assert_eq!(status, 404);

    assert_eq!(r.footprint(), before, "nothing written");
    assert_eq!(r.status(), "submitted");
}

#[tokio::test]
async fn a_finding_of_another_contribution_is_refused() {
    let r = review().await;
    let other = submit_bulletin(&r.officer, "另一份投稿（示例）", "all").await;
    let theirs = open_finding(&r.librarian, &other).await;
    let token = r.token().await;
    let before = r.footprint();
    let (status, _, html) = r
        .post(
            &format!("findings/{theirs}/ack"),
            &token,
            ("reason", "示例数据"),
        )
        .await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"findings-error\""), "{html}");
    assert!(html.contains("没有这条脱敏检查发现"));
    assert_eq!(r.footprint(), before, "nothing acknowledged");
    let still_open = findings(&r.librarian, &other)
        .await
        .iter()
        .any(|f| f["id"] == theirs && f["acknowledged"].is_null());
    assert!(still_open);
}

#[tokio::test]
async fn publishing_waits_for_the_findings_then_redaction_and_acknowledgement_settle_them() {
    let r = review().await;
    let token = r.token().await;
    let (status, _, html) = r.post("publish", &token, ("x", "")).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("id=\"publish-error\""), "beside the button");
    assert!(html.contains("尚未处理"), "{html}");
    assert_eq!(r.status(), "submitted");

    let (status, url, html) = r.post("redact", &token, ("keep_surname", "1")).await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=redacted"), "{url}");
    assert!(html.contains("已为 1 个文件生成脱敏副本"), "{html}");
    assert!(html.contains("已生成脱敏副本"), "the original is marked");
    assert!(html.contains("案情通报（脱敏）.md"), "the copy is listed");

    // Whatever the redaction left is kept with a reason.
    for finding in findings(&r.librarian, &r.id).await {
        if finding["acknowledged"].is_null() {
            let (status, _, html) = r
                .post(
                    &format!("findings/{}/ack", finding["id"]),
                    &token,
                    ("reason", "虚构的示例信息"),
                )
                .await;
            assert_eq!(status, 200, "{html}");
        }
    }
    let (status, url, html) = r.post("publish", &token, ("x", "")).await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("done=published"), "{url}");
    assert!(html.contains("已发布"));
    assert_eq!(r.status(), "published");
    assert!(html.contains("审核发布"), "the conversation has it");
    let (_, html) = page(&r.librarian, "/librarian/contributions").await;
    assert!(!html.contains("份投稿待审核"), "no count left");
}

#[tokio::test]
async fn resources_that_are_not_contributions_are_not_reviewed_here() {
    let app = TestApp::spawn().await;
    let librarian = app.librarian("lib").await;
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": "committee-draft", "kind": "case", "title": "工委自己的草稿", "status": "draft"}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (status, home) = page(&librarian, "/librarian/contributions").await;
    assert_eq!(status, 200);
    let token = csrf_of(&home);
    let (status, _) = page(&librarian, "/librarian/contributions/committee-draft").await;
    assert_eq!(status, 404);
    for action in ["publish", "return", "redact"] {
        let (status, _, _) = post_form(
            &librarian,
            &format!("/librarian/contributions/committee-draft/{action}"),
            &[("csrf", &token), ("comments", "请修改")],
        )
        .await;
        assert_eq!(status, 404, "{action}");
    }
    let (_, body) = librarian
        .get_json("/api/v1/resources/committee-draft")
        .await;
    assert_eq!(body["status"], "draft", "still a draft");
    let (status, _) = page(&librarian, "/librarian/contributions/..%2F..%2Fetc").await;
    assert_eq!(status, 404);
}
