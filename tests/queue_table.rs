//! The librarian's queue and the circulation desk (issue 15): the queue as a table
//! with filters kept in the address and sorted by start date, the pending count in the
//! navigation, bulk approval row by row, today's pick-ups, returns and overdue copies
//! with the unit's liaison, issuing from N days before the start, which copies are
//! out (librarians see with whom), the loan slip, and refused forms shown beside the
//! form with what was typed — over HTTP and through the domain functions.

use jingshi::loans::{self, LoanError, LoanId, TableFilter};
use serde_json::{Value, json};

use crate::common::lending::{
    MONDAY, act, act_ok, approved, day, lift_unit_limits, requested, set_today,
};
use crate::common::web::{csrf_of, page, post_form};
use crate::common::{Session, TestApp};
use crate::hostile_loans::officer;

/// A published loan-only resource with these copies (barcodes) and licences.
pub async fn shelf_film(
    librarian: &Session,
    id: &str,
    title: &str,
    licences: u32,
    barcodes: &[&str],
) {
    let copies: Vec<Value> = barcodes
        .iter()
        .map(|b| json!({"barcode": b, "location": "工委资料室 A 架", "condition": "good"}))
        .collect();
    let (status, body) = librarian
        .post_json(
            "/api/v1/resources",
            &json!({"id": id, "kind": "video", "title": title, "access": "loan",
                    "status": "published", "licences": licences, "copies": copies}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    lift_unit_limits(librarian, id).await;
}

/// Takes every licence of a resource away (requests already filed stay requested).
pub async fn no_more_licences(librarian: &Session, id: &str) {
    let (status, body) = librarian
        .send_json(
            reqwest::Method::PATCH,
            &format!("/api/v1/resources/{id}"),
            &json!({"licences": 0}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
}

/// The ids of the loan rows (`<tr id="loan-N"`) of `html`, in page order.
pub fn row_ids(html: &str) -> Vec<i64> {
    html.match_indices("<tr id=\"loan-")
        .filter_map(|(at, marker)| html[at + marker.len()..].split('"').next()?.parse().ok())
        .collect()
}

/// The rows of the queue's table (not of the physical copies below it).
fn table_ids(html: &str) -> Vec<i64> {
    let table = html.split("id=\"physical-heading\"").next().unwrap_or(html);
    row_ids(table)
}

fn id_of(loan: &Value) -> i64 {
    loan["id"].as_i64().expect("loan id")
}

/// Names a unit's liaison (the admin pages do this; here directly).
pub fn set_liaison(app: &TestApp, unit: &str, name: &str, mobile: &str, email: &str) {
    let conn = app.state.db.get().unwrap();
    conn.execute(
        "UPDATE units SET liaison_name = ?2, liaison_mobile = ?3, liaison_email = ?4 WHERE code = ?1",
        rusqlite::params![unit, name, mobile, email],
    )
    .unwrap();
}

/// Moves loan `id` through the librarian's form sent from the page `next`.
async fn move_from(
    librarian: &Session,
    csrf: &str,
    id: i64,
    next: &str,
    (start, end): (&str, &str),
) -> (u16, String, String) {
    let path = format!("/loans/{id}/move");
    let pairs = [
        ("csrf", csrf),
        ("next", next),
        ("start", start),
        ("end", end),
    ];
    post_form(librarian, &path, &pairs).await
}

/// Asserts that a refused form came back as a page of the site, not a bare error page.
fn assert_beside_the_form(html: &str) {
    assert!(!html.contains("返回首页"), "a bare error page: {html}");
    assert!(html.contains("<h1>"), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_filters_sorts_and_counts_what_waits() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    shelf_film(&lib, "table-film", "表格测试片", 5, &["TF-1", "TF-2"]).await;
    let l1 = id_of(&requested(&tax, "table-film", "digital", &day(10), &day(12)).await);
    let l2 = id_of(&requested(&customs, "table-film", "physical", &day(3), &day(4)).await);
    let l3 = id_of(&requested(&tax, "table-film", "physical", &day(20), &day(21)).await);
    let l4 = id_of(&approved(&lib, &customs, "table-film", "digital", &day(5), &day(6)).await);

    // Pending requests by start date, the pending count in the heading and the nav.
    let (status, html) = page(&lib, "/librarian/queue").await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(table_ids(&html), vec![l2, l1, l3]);
    assert!(html.contains("借阅（共 3 条"), "{html}");
    assert!(
        html.contains("<span class=\"nav-count\" title=\"3 条申请待审批\">"),
        "{html}"
    );
    // Every librarian page carries the count; a borrower's never does.
    let (_, home) = page(&lib, "/librarian/").await;
    assert!(home.contains("title=\"3 条申请待审批\""), "{home}");
    let (_, borrower_home) = page(&tax, "/loans").await;
    assert!(!borrower_home.contains("nav-count"));
    // Rows carry what a decision needs and the forms.
    assert!(html.contains(&format!("action=\"/loans/{l2}/approve\"")));
    assert!(html.contains(&format!("form=\"bulk\" id=\"pick-{l2}\"")));
    assert!(html.contains("容量 2，已占 0"), "{html}");

    let window = format!("from={}&to={}", day(5), day(15));
    let cases: Vec<(&str, Vec<i64>)> = vec![
        ("sort=-start", vec![l3, l1, l2]),
        ("unit=kunming-customs", vec![l2]),
        ("state=approved", vec![l4]),
        ("state=all&unit=yn-tax", vec![l1, l3]),
        ("state=all&sort=-start", vec![l3, l1, l4, l2]),
        ("format=physical", vec![l2, l3]),
        (&window, vec![l1]),
        (
            "resource=%E8%A1%A8%E6%A0%BC%E6%B5%8B%E8%AF%95",
            vec![l2, l1, l3],
        ),
        ("resource=table-film&state=all", vec![l2, l4, l1, l3]),
        ("resource=%E6%9C%88%E9%A5%BC", vec![]),
    ];
    for (query, want) in &cases {
        let (status, html) = page(&lib, &format!("/librarian/queue?{query}")).await;
        assert_eq!(status, 200, "{query}: {html}");
        assert_eq!(&table_ids(&html), want, "{query}");
        if want.is_empty() {
            assert!(html.contains("没有符合筛选条件的借阅"), "{html}");
        }
    }
    // The filters stay in the address: in the form, and where the row forms come back.
    let (_, html) = page(
        &lib,
        "/librarian/queue?unit=kunming-customs&format=physical&sort=-start",
    )
    .await;
    assert!(
        html.contains("<option value=\"kunming-customs\" selected>昆明海关</option>"),
        "{html}"
    );
    assert!(html.contains("<option value=\"physical\" selected>实体</option>"));
    assert!(html.contains("<option value=\"-start\" selected>"));
    assert!(
        html.contains("name=\"next\" value=\"/librarian/queue?unit=kunming-customs&#38;format=physical&#38;sort=-start\""),
        "{html}"
    );
    let csrf = csrf_of(&html);
    let (status, landed, html) = post_form(
        &lib,
        &format!("/loans/{l2}/approve"),
        &[
            ("csrf", &csrf),
            (
                "next",
                "/librarian/queue?unit=kunming-customs&format=physical&sort=-start",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        landed.ends_with(
            "/librarian/queue?unit=kunming-customs&format=physical&sort=-start&done=approve"
        ),
        "{landed}"
    );
    assert!(html.contains("已批准。"));
    assert!(
        html.contains("title=\"2 条申请待审批\""),
        "the count follows: {html}"
    );

    // Through the domain: the same filters, librarians only.
    let conn = app.state.db.get().unwrap();
    let filter = TableFilter {
        state: Some("all".into()),
        unit: Some("yn-tax".into()),
        sort: Some("-start".into()),
        ..TableFilter::default()
    };
    let table = loans::loan_table(&conn, &officer("desk", true), &filter, MONDAY).unwrap();
    let ids: Vec<i64> = table.rows.iter().map(|r| r.loan.id.0).collect();
    assert_eq!((ids, table.total), (vec![l3, l1], 2));
    assert!(
        table.rows.iter().all(|r| r.review.is_some()),
        "pending rows are reviewed"
    );
    let refused = loans::loan_table(&conn, &officer("yn-tax", false), &filter, MONDAY);
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );
    assert_eq!(loans::requested_count(&conn).unwrap(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_filters_are_answered_in_words_and_shown_escaped() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let borrower = app.borrower("tax", "yn-tax").await;
    shelf_film(&lib, "filter-film", "筛选测试片", 2, &[]).await;
    requested(&borrower, "filter-film", "digital", &day(3), &day(4)).await;

    // Markup in a filter is shown as text, in the form and the unknown unit's option.
    let (status, html) = page(
        &lib,
        "/librarian/queue?resource=%3Cscript%3Ealert(1)%3C%2Fscript%3E&unit=%3Cb%3Ex%3C%2Fb%3E",
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(!html.contains("<script>alert(1)"), "{html}");
    assert!(
        html.contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;\""),
        "{html}"
    );
    assert!(
        html.contains("&#60;b&#62;x&#60;/b&#62;（未知单位）"),
        "{html}"
    );
    assert!(table_ids(&html).is_empty());

    let long = "长".repeat(101);
    let backwards = format!("from={}&to={}", day(9), day(2));
    let refusals = [
        ("state=%3Cscript%3E", "不是有效的借阅状态"),
        ("from=2027-02-30", "日期“2027-02-30”无效"),
        (backwards.as_str(), "开始日期的范围有误"),
        ("sort=random()", "不是有效的排序方式"),
        ("format=paper", "不是有效的借阅形式"),
    ];
    for (query, words) in refusals {
        let (status, html) = page(&lib, &format!("/librarian/queue?{query}")).await;
        assert_eq!(status, 422, "{query}: {html}");
        assert!(html.contains("id=\"filter-error\""), "{query}: {html}");
        assert!(html.contains(words), "{query}: {html}");
        assert!(!html.contains("<script>"), "{html}");
        assert_beside_the_form(&html);
    }
    let (status, html) = page(&lib, &format!("/librarian/queue?resource={long}")).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("资源筛选条件过长（最多 100 个字符）"),
        "{html}"
    );
    // A page number beyond the last, or not a number, shows a page that exists.
    for query in ["page=99999999999999", "page=-1", "page=%3Cb%3E", "page=7"] {
        let (status, html) = page(&lib, &format!("/librarian/queue?{query}")).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(table_ids(&html).len(), 1, "{query}");
    }
    // Borrowers get neither the table nor its domain function.
    let (status, _) = page(&borrower, "/librarian/queue?state=all").await;
    assert_eq!(status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bulk_approval_checks_each_row_and_says_why_one_was_refused() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let grain = app.borrower("grain", "yn-grain").await;
    shelf_film(&lib, "bulk-film", "批量审批测试片", 3, &[]).await;
    shelf_film(&lib, "tight-film", "容量收紧测试片", 1, &[]).await;
    let r1 = id_of(&requested(&tax, "bulk-film", "digital", &day(3), &day(4)).await);
    let r2 = id_of(&requested(&customs, "bulk-film", "digital", &day(3), &day(4)).await);
    let r3 = requested(&grain, "bulk-film", "digital", &day(3), &day(4)).await;
    let r4 = id_of(&requested(&tax, "tight-film", "digital", &day(6), &day(7)).await);
    let (_, html) = page(&lib, "/librarian/queue").await;
    let csrf = csrf_of(&html);
    assert!(
        html.contains("action=\"/librarian/queue/approve\""),
        "{html}"
    );

    // Meanwhile the grain bureau cancels, and the tight film loses its licence.
    act_ok(&grain, &r3, "cancel", json!({})).await;
    no_more_licences(&lib, "tight-film").await;

    let r3 = id_of(&r3);
    let (r1s, r2s, r3s, r4s) = (
        r1.to_string(),
        r2.to_string(),
        r3.to_string(),
        r4.to_string(),
    );
    let (status, url, html) = post_form(
        &lib,
        "/librarian/queue/approve",
        &[
            ("csrf", &csrf),
            ("next", "/librarian/queue"),
            ("loan", &r1s),
            ("loan", &r3s),
            ("loan", &r2s),
            ("loan", &r4s),
            ("loan", "<script>alert(1)</script>"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        url.ends_with("/librarian/queue/approve"),
        "shown, not redirected: {url}"
    );
    assert!(
        html.contains(&format!("已批准 2 笔：#{r1}、#{r2}。")),
        "{html}"
    );
    assert!(html.contains("3 笔未批准："), "{html}");
    assert!(
        html.contains(&format!(
            "<li>#{r3}：这笔借阅当前状态为“已取消”（cancelled），不能批准</li>"
        )),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<li>#{r4}：{} 至 {} 期间已没有空余的数字许可，请换一个时间段</li>",
            day(6),
            day(7)
        )),
        "{html}"
    );
    assert!(
        html.contains("<li>#&#60;script&#62;alert(1)&#60;/sc…：不是有效的借阅编号</li>"),
        "{html}"
    );
    // The refused request still waits, still selected.
    assert!(
        html.contains(&format!(
            "id=\"pick-{r4}\" aria-label=\"选择借阅 #{r4}\" checked"
        )),
        "{html}"
    );
    for (id, status) in [
        (r1, "approved"),
        (r2, "approved"),
        (r3, "cancelled"),
        (r4, "requested"),
    ] {
        let (_, loan) = lib.get_json(&format!("/api/v1/loans/{id}")).await;
        assert_eq!(loan["status"], status, "#{id}");
    }

    // All approved: back to the queue with the list.
    let r5 = id_of(&requested(&grain, "bulk-film", "digital", &day(8), &day(9)).await);
    let r6 = id_of(&requested(&customs, "bulk-film", "digital", &day(8), &day(9)).await);
    let (r5s, r6s) = (r5.to_string(), r6.to_string());
    let (status, url, html) = post_form(
        &lib,
        "/librarian/queue/approve",
        &[
            ("csrf", &csrf),
            ("next", "/librarian/queue?format=digital"),
            ("loan", &r5s),
            ("loan", &r6s),
            ("loan", &r5s),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(
        url.ends_with(&format!(
            "/librarian/queue?format=digital&approved={r5},{r6}"
        )),
        "{url}"
    );
    assert!(
        html.contains(&format!("已批准 2 笔申请：#{r5}、#{r6}。")),
        "{html}"
    );

    // Nothing selected, too many, a borrower, a stale token: nothing approved.
    let (status, _, html) = post_form(
        &lib,
        "/librarian/queue/approve",
        &[("csrf", &csrf), ("next", "/librarian/queue")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("请先勾选要批准的申请。"), "{html}");
    assert_beside_the_form(&html);
    let many: Vec<String> = (1..=101).map(|n| n.to_string()).collect();
    let mut pairs: Vec<(&str, &str)> = vec![("csrf", &csrf), ("next", "//evil.example/")];
    pairs.extend(many.iter().map(|id| ("loan", id.as_str())));
    let (status, url, html) = post_form(&lib, "/librarian/queue/approve", &pairs).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("一次最多批准 100 笔，本次勾选了 101 笔"),
        "{html}"
    );
    assert!(!url.contains("evil"), "{url}");
    let (_, loans_page) = page(&tax, "/loans").await;
    let tax_csrf = csrf_of(&loans_page);
    let (status, _, _) = post_form(
        &tax,
        "/librarian/queue/approve",
        &[("csrf", &tax_csrf), ("loan", &r4s)],
    )
    .await;
    assert_eq!(status, 403);
    let (status, _, _) = post_form(
        &lib,
        "/librarian/queue/approve",
        &[("csrf", "stale"), ("loan", &r4s)],
    )
    .await;
    assert_eq!(status, 403);
    let (_, loan) = lib.get_json(&format!("/api/v1/loans/{r4}")).await;
    assert_eq!(loan["status"], "requested");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn today_lists_pickups_returns_and_overdue_copies_with_the_liaison() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    set_liaison(
        &app,
        "yn-tax",
        "王联络",
        "139 0871 0000",
        "wang@tax.example",
    );
    shelf_film(
        &lib,
        "desk-film",
        "出借台测试片",
        0,
        &["DF-1", "DF-2", "DF-3", "DF-4"],
    )
    .await;

    // Five days ago two copies went out: one due today, one due last Friday.
    set_today(&app, -5);
    let due = approved(&lib, &tax, "desk-film", "physical", &day(-5), &day(0)).await;
    act_ok(&lib, &due, "issue", json!({"barcode": "DF-1"})).await;
    let late = approved(&lib, &customs, "desk-film", "physical", &day(-5), &day(-3)).await;
    act_ok(&lib, &late, "issue", json!({"barcode": "DF-2"})).await;
    set_today(&app, 0);
    let soon = id_of(&approved(&lib, &tax, "desk-film", "physical", &day(2), &day(4)).await);
    let later = id_of(&approved(&lib, &customs, "desk-film", "physical", &day(7), &day(9)).await);
    let (due, late) = (id_of(&due), id_of(&late));

    let (status, html) = page(&lib, "/librarian/today").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("2027-03-01（星期一）"), "{html}");
    let section = |id: &str| {
        let start = html
            .find(&format!("<section aria-labelledby=\"{id}-heading\""))
            .expect(id);
        let rest = &html[start..];
        rest[..rest.find("</section>").unwrap()].to_owned()
    };
    let (pickups, returns, overdue) = (section("pickups"), section("due"), section("overdue"));
    assert_eq!(row_ids(&pickups), vec![soon], "{pickups}");
    assert!(
        !html.contains(&format!("id=\"loan-{later}\"")),
        "outside its issue window"
    );
    assert!(
        pickups.contains("2027-03-03 开始，2027-02-28 起可提前交付"),
        "{pickups}"
    );
    assert_eq!(row_ids(&returns), vec![due]);
    assert_eq!(row_ids(&overdue), vec![late]);
    assert!(overdue.contains("已逾期 3 天"), "{overdue}");
    // The liaison to call; a unit without one says so.
    assert!(pickups.contains("联系人：王联络 <a href=\"tel:13908710000\">139 0871 0000</a> <a href=\"mailto:wang@tax.example\">wang@tax.example</a>"), "{pickups}");
    assert!(overdue.contains("未登记联系人"), "{overdue}");
    // The issue form offers the copies on the shelf, and still takes a typed barcode.
    assert!(
        pickups.contains(&format!("list=\"shelf-{soon}\"")),
        "{pickups}"
    );
    assert!(pickups.contains(&format!("<datalist id=\"shelf-{soon}\"><option value=\"DF-3\"></option><option value=\"DF-4\"></option></datalist>")), "{pickups}");
    assert!(returns.contains(&format!("action=\"/loans/{due}/return\"")));
    assert!(returns.contains(&format!("href=\"/librarian/loans/{due}/slip\"")));
    // The queue's rows name the liaison too.
    let (_, queue) = page(&lib, "/librarian/queue?state=approved").await;
    assert!(queue.contains("联系人：王联络"), "{queue}");
    assert!(queue.contains("href=\"/librarian/today\""));

    // A wrong barcode comes back beside the form, typed value kept and escaped.
    let csrf = csrf_of(&html);
    let issue = |barcode: String| {
        let (lib, csrf) = (&lib, csrf.clone());
        async move {
            post_form(
                lib,
                &format!("/loans/{soon}/issue"),
                &[
                    ("csrf", &csrf),
                    ("next", "/librarian/today"),
                    ("barcode", &barcode),
                ],
            )
            .await
        }
    };
    let (status, url, html) = issue("<script>alert(1)</script>".into()).await;
    assert_eq!(status, 422, "{html}");
    assert!(url.ends_with(&format!("/loans/{soon}/issue")), "{url}");
    assert_beside_the_form(&html);
    assert!(html.contains(&format!("<span class=\"field-error\" role=\"alert\" id=\"loan-{soon}-issue-error\">没有条码为“&#60;script&#62;alert(1)&#60;/script&#62;”的拷贝</span>")), "{html}");
    assert!(
        html.contains("value=\"&#60;script&#62;alert(1)&#60;/script&#62;\""),
        "{html}"
    );
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("<h1>今日出借与归还</h1>"));
    let (status, _, html) = issue("9".repeat(10_000)).await;
    assert_eq!(status, 422);
    assert!(html.contains("条码过长（最多 100 个字符）"), "{html}");
    assert!(!html.contains(&"9".repeat(201)), "the typed value is cut");
    // A copy that is out is refused; a lower-case, spaced barcode is the shelf's copy.
    let (status, _, html) = issue("DF-1".into()).await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains(&format!("拷贝“DF-1”正在借阅 {due} 中，尚未归还")),
        "{html}"
    );
    let (status, url, html) = issue(" df-3 ".into()).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        url.ends_with(&format!("/librarian/today?done=issue&slip={soon}")),
        "{url}"
    );
    assert!(
        html.contains(&format!(
            "<a class=\"button secondary\" href=\"/librarian/loans/{soon}/slip\">打印出借凭证</a>"
        )),
        "{html}"
    );

    // Librarians only, over HTTP and through the domain.
    let (status, _) = page(&tax, "/librarian/today").await;
    assert_eq!(status, 403);
    let conn = app.state.db.get().unwrap();
    let refused = loans::desk_day(&conn, &officer("yn-tax", false), MONDAY);
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );
    let day_view = loans::desk_day(&conn, &officer("desk", true), MONDAY).unwrap();
    assert_eq!(
        (
            day_view.pickups.len(),
            day_view.due_today.len(),
            day_view.overdue.len()
        ),
        (0, 1, 1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_goes_out_from_the_lead_days_before_the_start_and_no_earlier() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    shelf_film(&lib, "lead-film", "提前出借测试片", 0, &["LF-1"]).await;
    let path = "/api/v1/resources/lead-film/loan-settings";
    let (_, settings) = lib.get_json(path).await;
    assert_eq!(settings["issue_lead_days"], 3, "{settings}");

    // Starts on day 5 (2027-03-06): with three days' lead, from day 2 (2027-03-03).
    let loan = approved(&lib, &tax, "lead-film", "physical", &day(5), &day(7)).await;
    set_today(&app, 1);
    let (status, body) = act(&lib, &loan, "issue", json!({"barcode": "LF-1"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        body["error"]["message"],
        "借阅期从 2027-03-06 开始，最早可于 2027-03-03 出借（该资源可提前 3 天出借）"
    );
    // No lead: only from the start itself.
    let (status, body) = lib
        .send_json(reqwest::Method::PUT, path, &json!({"issue_lead_days": 0}))
        .await;
    assert_eq!(
        (status, body["issue_lead_days"].as_i64()),
        (200, Some(0)),
        "{body}"
    );
    let (_, body) = act(&lib, &loan, "issue", json!({"barcode": "LF-1"})).await;
    assert_eq!(
        body["error"]["message"],
        "借阅期从 2027-03-06 开始，该资源的实体拷贝只能从 2027-03-06 当天起出借"
    );
    // Back to three; on the first day of the window it goes out.
    lib.send_json(reqwest::Method::PUT, path, &json!({"issue_lead_days": 3}))
        .await;
    set_today(&app, 2);
    let issued = act_ok(&lib, &loan, "issue", json!({"barcode": "LF-1"})).await;
    assert_eq!(issued["status"], "active");
    assert_eq!(issued["issued_by"], "lib");
    // The copy is out from today: a request for the days before the start waits.
    let (status, waiting) =
        crate::common::lending::request(&customs, "lead-film", "physical", &day(3), &day(4)).await;
    assert_eq!(status, 201, "{waiting}");
    assert_eq!(waiting["status"], "waitlisted", "{waiting}");

    // A copy another loan holds before the start is not handed out early.
    shelf_film(&lib, "busy-film", "占用测试片", 0, &["BF-1"]).await;
    let first = approved(&lib, &customs, "busy-film", "physical", &day(2), &day(4)).await;
    let second = approved(&lib, &tax, "busy-film", "physical", &day(5), &day(6)).await;
    let (status, body) = act(&lib, &second, "issue", json!({"barcode": "BF-1"})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("实体拷贝已全部被其他借阅占用，请于 2027-03-06 再出借"),
        "{body}"
    );
    act_ok(&lib, &first, "issue", json!({"barcode": "BF-1"})).await;

    // The setting's bounds, over the API and through the domain.
    for bad in [
        json!({"issue_lead_days": 31}),
        json!({"issue_lead_days": -1}),
        json!({"issue_lead_days": "<script>"}),
    ] {
        let (status, body) = lib.send_json(reqwest::Method::PUT, path, &bad).await;
        assert_eq!(status, 422, "{bad}: {body}");
        assert_eq!(
            body["error"]["message"],
            "提前出借天数应为 0 到 30 之间的整数"
        );
    }
    let (_, body) = lib
        .send_json(reqwest::Method::PUT, path, &json!({"max_open_per_unit": 5}))
        .await;
    assert_eq!(
        (
            body["issue_lead_days"].as_i64(),
            body["max_open_per_unit"].as_i64()
        ),
        (Some(3), Some(5)),
        "{body}"
    );
    let mut conn = app.state.db.get().unwrap();
    let change = serde_json::from_value(json!({"issue_lead_days": 30})).unwrap();
    let refused = loans::change_loan_settings(
        &mut conn,
        &officer("yn-tax", false),
        "lead-film",
        change,
        app.state.clock.moment(),
    );
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );
    let change = serde_json::from_value(json!({"issue_lead_days": 30})).unwrap();
    let saved = loans::change_loan_settings(
        &mut conn,
        &officer("desk", true),
        "lead-film",
        change,
        app.state.clock.moment(),
    )
    .unwrap();
    assert_eq!(saved.issue_lead_days, 30);
    drop(conn);
    assert!(
        app.count("SELECT count(*) FROM audit_log WHERE detail LIKE '%提前出借天数 3 → 30%'") == 1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_loan_settings_page_keeps_what_was_typed_when_refused() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    shelf_film(&lib, "setting-film", "设置测试片", 1, &["SF-1"]).await;
    let path = "/librarian/resources/setting-film/loan-settings";
    let (status, html) = page(&lib, path).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("name=\"issue_lead_days\" value=\"3\" min=\"0\" max=\"30\""),
        "{html}"
    );
    assert!(
        html.contains("name=\"max_open_per_unit\" value=\"1000\""),
        "{html}"
    );
    let (_, editor) = page(&lib, "/librarian/resources/setting-film").await;
    assert!(
        editor.contains(&format!("href=\"{path}\"")),
        "linked from the editor"
    );
    let csrf = csrf_of(&html);
    let form = |lead: &'static str, auto: bool| {
        let mut pairs = vec![
            ("csrf", csrf.clone()),
            ("max_open_per_unit", "4".to_owned()),
            ("max_days_digital", "20".to_owned()),
            ("max_days_physical", "40".to_owned()),
            ("issue_lead_days", lead.to_owned()),
        ];
        if auto {
            pairs.push(("auto_approve", "1".to_owned()));
        }
        pairs
    };
    let post = |pairs: Vec<(&'static str, String)>| {
        let lib = &lib;
        async move {
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            post_form(lib, path, &pairs).await
        }
    };
    let (status, url, html) = post(form("<script>x</script>", true)).await;
    assert_eq!(status, 422, "{html}");
    assert!(url.ends_with(path));
    assert_beside_the_form(&html);
    assert!(html.contains("<span class=\"field-error\" id=\"e-lead\" role=\"alert\">提前出借天数应为 0 到 30 之间的整数</span>"), "{html}");
    assert!(
        html.contains("value=\"&#60;script&#62;x&#60;/script&#62;\""),
        "{html}"
    );
    assert!(
        html.contains("name=\"max_days_physical\" value=\"40\""),
        "typed values kept"
    );
    assert!(html.contains("name=\"auto_approve\" value=\"1\" checked"));
    assert_eq!(app.count("SELECT count(*) FROM loan_settings WHERE resource_id = 'setting-film' AND max_days_physical = 40"), 0);
    let (status, url, html) = post(form("7", false)).await;
    assert_eq!(status, 200, "{html}");
    assert!(url.ends_with("?done=saved"), "{url}");
    assert!(html.contains("借阅设置已保存。"));
    let (_, saved) = lib
        .get_json("/api/v1/resources/setting-film/loan-settings")
        .await;
    assert_eq!(
        saved,
        json!({"resource_id": "setting-film", "auto_approve": false, "max_open_per_unit": 4,
               "max_days_digital": 20, "max_days_physical": 40, "issue_lead_days": 7})
    );
    // Borrowers, unknown and hostile resource ids.
    let (status, _) = page(&tax, path).await;
    assert_eq!(status, 403);
    let (_, tax_page) = page(&tax, "/loans").await;
    let (status, _, _) = post_form(
        &tax,
        path,
        &[("csrf", &csrf_of(&tax_page)), ("issue_lead_days", "1")],
    )
    .await;
    assert_eq!(status, 403);
    for bad in [
        "/librarian/resources/no-such-film/loan-settings",
        "/librarian/resources/..%2F..%2Fetc/loan-settings",
        "/librarian/resources/%3Cb%3E/loan-settings",
    ] {
        let (status, html) = page(&lib, bad).await;
        assert_eq!(status, 404, "{bad}");
        assert!(!html.contains("<b>"), "{html}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_copy_table_tells_librarians_who_holds_a_copy_and_borrowers_only_counts() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    shelf_film(
        &lib,
        "count-film",
        "馆藏计数测试片",
        1,
        &["CF-1", "CF-2", "CF-3"],
    )
    .await;
    let out = approved(&lib, &tax, "count-film", "physical", &day(0), &day(3)).await;
    act_ok(&lib, &out, "issue", json!({"barcode": "cf-2"})).await;
    let loan_id = id_of(&out);

    let (status, html) = page(&lib, "/resources/count-film").await;
    assert_eq!(status, 200);
    assert!(html.contains("3 份，在架可借 2 份，借出 1 份"), "{html}");
    assert!(html.contains(&format!("借出：国家税务总局云南省税务局，至 2027-03-04（<a href=\"/librarian/loans/{loan_id}/slip\">借阅 #{loan_id}</a>）")), "{html}");
    assert!(html.contains("<td>在架</td>"), "{html}");
    // Another unit's borrower: the counts and that a copy is out, not who has it.
    let (_, html) = page(&customs, "/resources/count-film").await;
    assert!(html.contains("3 份，在架可借 2 份，借出 1 份"), "{html}");
    let holdings = &html[html.find("id=\"loan-heading\"").unwrap()..];
    assert!(holdings.contains("已借出"), "{holdings}");
    assert!(!holdings.contains("国家税务总局云南省税务局"), "{holdings}");
    assert!(!holdings.contains("/slip"));
    // The unit holding it sees that it is theirs.
    let (_, html) = page(&tax, "/resources/count-film").await;
    assert!(
        html.contains("借出：国家税务总局云南省税务局（本单位），至 2027-03-04"),
        "{html}"
    );
    // Overdue once the end has passed.
    set_today(&app, 5);
    let (_, html) = page(&lib, "/resources/count-film").await;
    assert!(
        html.contains("<span class=\"badge overdue\">已逾期</span>"),
        "{html}"
    );

    // Through the domain: the unit is told to librarians and to its own unit only.
    let conn = app.state.db.get().unwrap();
    let today = app.state.clock.today();
    for (actor, told) in [
        (officer("desk", true), true),
        (officer("yn-tax", false), true),
        (officer("kunming-customs", false), false),
    ] {
        let copies = loans::copies_out(&conn, &actor, "count-film", today).unwrap();
        assert_eq!(copies.len(), 1);
        assert_eq!(copies[0].barcode, "CF-2");
        assert_eq!(copies[0].unit_name.is_some(), told, "{actor:?}");
        assert_eq!(copies[0].loan.is_some(), told);
        assert!(copies[0].overdue);
    }
    assert_eq!(
        loans::shelf_copies(&conn, "count-film").unwrap(),
        vec!["CF-1", "CF-3"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_slip_names_unit_liaison_copy_period_and_librarian() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("desk-lib").await;
    app.state
        .db
        .get()
        .unwrap()
        .execute(
            "UPDATE users SET display_name = '李馆员' WHERE username = 'desk-lib'",
            [],
        )
        .unwrap();
    let tax = app.borrower("tax", "yn-tax").await;
    set_liaison(&app, "yn-tax", "王联络", "13908710000", "wang@tax.example");
    shelf_film(&lib, "slip-film", "出借凭证测试片<b>", 1, &["SL-1"]).await;
    let loan = approved(&lib, &tax, "slip-film", "physical", &day(1), &day(4)).await;
    let id = id_of(&loan);
    let slip = format!("/librarian/loans/{id}/slip");
    // Not handed out yet: said in words.
    let (status, html) = page(&lib, &slip).await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains(&format!(
            "借阅 {id} 没有出借凭证：实体拷贝尚未出借（当前状态：已批准），出借后才能打印"
        )),
        "{html}"
    );
    act_ok(&lib, &loan, "issue", json!({"barcode": "SL-1"})).await;

    let (status, html) = page(&lib, &slip).await;
    assert_eq!(status, 200, "{html}");
    for words in [
        "<h1 id=\"slip-title\">实体拷贝出借凭证</h1>",
        &format!("凭证编号：借阅 #{id}"),
        "<td>国家税务总局云南省税务局</td>",
        "王联络　手机 <a href=\"tel:13908710000\">13908710000</a>　邮箱 wang@tax.example",
        "出借凭证测试片&#60;b&#62;",
        "<code class=\"barcode\">SL-1</code>",
        "2027-03-02 至 2027-03-05（共 4 天）",
        "<td>李馆员</td>",
        "<td>2027-03-01 12:00（北京时间）</td>",
        "领取人签字",
        "经办人签字",
        "<button type=\"button\" data-print hidden>打印出借凭证</button>",
    ] {
        assert!(html.contains(words), "{words}: {html}");
    }
    assert!(!html.contains("出借凭证测试片<b>"));
    // The print style hides the site around the slip.
    let css_href = html
        .split("<link rel=\"stylesheet\" href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let css = lib.get(css_href).await.text().await.unwrap();
    let print = &css[css.find("@media print").expect("a print style")..];
    assert!(
        print.contains("header.site") && print.contains(".no-print") && print.contains("@page"),
        "{print}"
    );
    // The loan says who handed the copy out and when.
    let (_, shown) = lib.get_json(&format!("/api/v1/loans/{id}")).await;
    assert_eq!(
        (shown["issued_by"].as_str(), shown["issued_at"].is_string()),
        (Some("李馆员"), true),
        "{shown}"
    );

    // Borrowers, unknown and malformed ids, a digital loan.
    let (status, _) = page(&tax, &slip).await;
    assert_eq!(status, 403);
    for missing in [
        "/librarian/loans/99999/slip",
        "/librarian/loans/abc/slip",
        "/librarian/loans/-1/slip",
        "/librarian/loans/%3Cscript%3E/slip",
    ] {
        let (status, html) = page(&lib, missing).await;
        assert_eq!(status, 404, "{missing}");
        assert!(!html.contains("<script>"));
    }
    let digital = id_of(&approved(&lib, &tax, "slip-film", "digital", &day(1), &day(2)).await);
    let (status, html) = page(&lib, &format!("/librarian/loans/{digital}/slip")).await;
    assert_eq!(status, 409);
    assert!(html.contains("这是数字借阅，没有实体拷贝"), "{html}");
    let conn = app.state.db.get().unwrap();
    let refused = loans::slip(&conn, &officer("yn-tax", false), LoanId(id), MONDAY);
    assert!(
        matches!(refused, Err(LoanError::LibrariansOnly { .. })),
        "{refused:?}"
    );
    assert!(matches!(
        loans::slip(&conn, &officer("desk", true), LoanId(99999), MONDAY),
        Err(LoanError::NotFound(_))
    ));
    assert_eq!(
        loans::slip(&conn, &officer("desk", true), LoanId(id), MONDAY)
            .unwrap()
            .barcode
            .as_deref(),
        Some("SL-1")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_queue_and_calendar_forms_come_back_beside_the_form() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    shelf_film(&lib, "form-film", "表单测试片", 1, &["FF-1"]).await;
    let moving = id_of(&requested(&tax, "form-film", "digital", &day(3), &day(4)).await);
    let (_, html) = page(&lib, "/librarian/queue?unit=yn-tax").await;
    let csrf = csrf_of(&html);

    // A move into the past: the queue with its filter, the dates typed, the reason.
    let next = "/librarian/queue?unit=yn-tax";
    let (status, url, html) =
        move_from(&lib, &csrf, moving, next, ("2027-02-20", "2027-02-21")).await;
    assert_eq!(status, 422, "{html}");
    assert!(url.ends_with(&format!("/loans/{moving}/move")));
    assert_beside_the_form(&html);
    assert!(
        html.contains(&format!("id=\"loan-{moving}-move-error\"")),
        "{html}"
    );
    assert!(
        html.contains("name=\"start\" value=\"2027-02-20\""),
        "{html}"
    );
    assert!(
        html.contains("<option value=\"yn-tax\" selected>"),
        "the filter stays"
    );
    assert!(
        html.contains("<details class=\"more\" open><summary>调整日期</summary>"),
        "{html}"
    );
    assert!(!html.contains("已调整借阅日期"));

    // An approval without room: the reason beside the approve button.
    no_more_licences(&lib, "form-film").await;
    let (status, _, html) = post_form(
        &lib,
        &format!("/loans/{moving}/approve"),
        &[("csrf", &csrf), ("next", next)],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains(&format!("<span class=\"field-error\" role=\"alert\" id=\"loan-{moving}-approve-error\">{} 至 {} 期间已没有空余的数字许可", day(3), day(4))), "{html}");

    // Issuing too early from the queue's physical list.
    let early = id_of(&approved(&lib, &customs, "form-film", "physical", &day(9), &day(10)).await);
    let (status, _, html) = post_form(
        &lib,
        &format!("/loans/{early}/issue"),
        &[
            ("csrf", &csrf),
            ("next", "/librarian/queue"),
            ("barcode", "FF-1"),
        ],
    )
    .await;
    assert_eq!(status, 409, "{html}");
    assert!(
        html.contains(&format!(
            "id=\"loan-{early}-issue-error\">借阅期从 2027-03-10 开始，最早可于 2027-03-07 出借"
        )),
        "{html}"
    );
    assert!(html.contains("name=\"barcode\" value=\"FF-1\""), "{html}");

    // A move refused on the calendar comes back to the calendar's month.
    let calendar = "/librarian/resources/form-film/calendar?month=2027-03";
    let (status, _, html) =
        move_from(&lib, &csrf, early, calendar, ("2027-03-20", "2027-03-18")).await;
    assert_eq!(status, 422, "{html}");
    assert_beside_the_form(&html);
    assert!(
        html.contains(&format!("id=\"booking-{early}-error\"")),
        "{html}"
    );
    assert!(
        html.contains("name=\"start\" value=\"2027-03-20\""),
        "{html}"
    );
    // A refusal about a loan not on the page (not yet in its issue window) is said
    // at the top.
    let (status, _, html) = move_from(
        &lib,
        &csrf,
        early,
        "/librarian/today",
        ("2027-02-01", "2027-02-02"),
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains(&format!(
            "<p class=\"error\" role=\"alert\">借阅 #{early} 未能调整借阅日期："
        )),
        "{html}"
    );
}
