//! In headless Chromium (issue 18): a tax unit contributes a case bulletin naming an
//! official beside his title, with a mobile number and a resident ID number, and a
//! PDF attachment the product cannot rewrite; the librarian opens the review queue,
//! reads the findings in their context, writes the redacted copy, keeps what is left
//! with a reason and publishes for the sector. A customs officer (another sector)
//! finds nothing of it; an officer of another tax unit reads it without the phone
//! number. The queue and the review page are photographed at desktop and phone width
//! (`target/screenshots/contribution-*`). Skips like the other browser tests without
//! Chromium.

use jingshi::accounts::Role;
use jingshi::actor::Actor;
use serde_json::Value;

use crate::browser::{Browser, with_browser};
use crate::common::contributing::{MOBILE, sample_id_number, submit_bulletin};
use crate::common::web::upload;
use crate::common::{TestApp, USER_PASSWORD};
use crate::hostile_content::pdf_of;
use crate::withdraw_browser::both_widths;

const TITLE: &str = "某市局局长违规收受礼金案通报（示例）";
/// The number in the PDF attachment, which stays: it is kept with a reason.
const PDF_MOBILE: &str = "13987654321";

/// A one-page PDF whose text layer says `text` (ASCII, Helvetica).
fn text_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 72 720 Td ({text}) Tj ET");
    pdf_of(&[
        "<< /Type /Catalog /Pages 2 0 R >>".to_owned(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_owned(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_owned(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    ])
}

async fn sign_out(b: &Browser) {
    b.click(".logout button").await;
    b.wait_path("/login").await;
}

/// Waits for the review page's notice after a form and answers it.
async fn notice(b: &Browser, contains: &str) -> String {
    let script = format!(
        "const n = document.querySelector('#review-notice'); \
         return n && n.textContent.includes('{contains}') ? n.textContent : null"
    );
    let text = b.wait_js(&script, contains, 30).await;
    text.as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_unit_contributes_and_the_librarian_redacts_settles_and_publishes_for_the_sector() {
    let app = TestApp::spawn().await;
    {
        let mut conn = app.state.db.get().expect("connection");
        let (operator, at) = (Actor::operator("test"), app.state.clock.moment());
        jingshi::accounts::create_unit(
            &mut conn,
            &operator,
            "kunming-tax",
            "国家税务总局昆明市税务局",
            "税务",
            at,
        )
        .expect("a second tax unit");
    }
    app.add_user("lib", &[Role::Librarian], None);
    app.add_user("kunming-officer", &[Role::Borrower], Some("kunming-tax"));
    app.add_user(
        "customs-officer",
        &[Role::Borrower],
        Some("kunming-customs"),
    );
    let officer = app.borrower("tax-officer", "yn-tax").await;
    let id = submit_bulletin(&officer, TITLE, "sector").await;
    let (status, pdf) = upload(
        &officer,
        &id,
        "附件.pdf",
        text_pdf(&format!("Contact {PDF_MOBILE}")),
    )
    .await;
    assert_eq!(status, 201, "{pdf}");
    let pdf_id = pdf["id"].as_str().expect("pdf id").to_owned();

    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "lib", USER_PASSWORD).await;

        // The queue: the contribution waits with its open findings; the count is in
        // the navigation.
        b.goto(&app, "/librarian/contributions").await;
        let count = b
            .js("return document.querySelector(\"a[href='/librarian/contributions'] .nav-count\").title")
            .await;
        assert_eq!(count, "1 份投稿待审核", "the count in the navigation");
        let row = format!("#contribution-{id}");
        assert!(b.text(&format!("{row} td.findings")).await.contains("待处理"));
        assert!(b.text(&row).await.contains("国家税务总局云南省税务局"));
        both_widths(&b, "contribution-queue").await;
        b.assert_console_clean("on the review queue", &[]).await;

        // The review page shows each finding in its context.
        b.click(&format!("{row} td.title a")).await;
        b.wait_path(&format!("/librarian/contributions/{id}")).await;
        let marks = b
            .js("return [...document.querySelectorAll('li.finding mark')].map(m => m.textContent)")
            .await;
        let marks: Vec<&str> = marks
            .as_array()
            .expect("marks")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(marks.contains(&MOBILE), "{marks:?}");
        assert!(marks.contains(&sample_id_number().as_str()), "{marks:?}");
        assert!(marks.contains(&PDF_MOBILE), "the PDF's text is checked too: {marks:?}");
        let context = b
            .js(&format!(
                "return [...document.querySelectorAll('li.finding .context')]\
                   .map(c => c.textContent).find(t => t.includes('{MOBILE}'))"
            ))
            .await;
        assert!(
            context.as_str().is_some_and(|c| c.contains("联系电话为")),
            "the words around the number: {context}"
        );
        assert!(
            b.text(&format!("#file-{pdf_id} .not-rewritten")).await.contains("PDF 与视频不会自动改写"),
        );
        both_widths(&b, "contribution-review").await;
        b.assert_console_clean("on the review page", &[]).await;

        // The redacted copy, keeping surnames.
        b.click("input[name=keep_surname]").await;
        b.click("#redact-button").await;
        let done = notice(&b, "脱敏副本").await;
        assert!(done.contains("已为 1 个文件生成脱敏副本"), "{done}");
        assert!(done.contains("1 个文件不能自动改写"), "{done}");
        assert!(b.text(".review-files").await.contains("案情通报（脱敏）.md"));

        // What is left (the PDF's number) is kept with a reason.
        let mut kept = 0;
        while b.js("return document.querySelector('form.ack-form') !== null").await == Value::Bool(true) {
            b.type_into("form.ack-form input[name=reason]", "附件为虚构的示例号码，单位已确认可以公开").await;
            b.click("form.ack-form button").await;
            notice(&b, "已确认保留").await;
            kept += 1;
            assert!(kept < 20, "the forms go away as findings are kept");
        }
        assert!(kept >= 1, "the PDF's finding needed a decision");
        assert!(b.text(".privacy-summary").await.contains("均已处理"));
        assert!(b.text("li.finding.kept .ack").await.contains("lib"), "who kept it");
        b.screenshot_page("contribution-review-settled").await;

        b.click("#publish-button").await;
        notice(&b, "已发布").await;
        assert!(b.text(".review-head .badge").await.contains("已发布"));
        let badge = b
            .js("return document.querySelector(\"a[href='/librarian/contributions'] .nav-count\")")
            .await;
        assert_eq!(badge, Value::Null, "nothing waits any more");
        sign_out(&b).await;

        // Another sector: neither the page nor a search shows it.
        b.sign_in(&app, "customs-officer", USER_PASSWORD).await;
        b.goto(&app, &format!("/resources/{id}")).await;
        assert_eq!(b.text("main h1").await, "页面不存在");
        b.assert_console_clean("for another sector", &["404 (Not Found)"])
            .await;
        b.goto(&app, "/search?q=%E6%94%B6%E5%8F%97%E7%A4%BC%E9%87%91").await;
        let found = b
            .js(&format!("return document.querySelector(\"a[href='/resources/{id}']\") !== null"))
            .await;
        assert_eq!(found, Value::Bool(false), "absent from another sector's search");
        sign_out(&b).await;

        // The same sector, another unit: the page, the redacted copy only.
        b.sign_in(&app, "kunming-officer", USER_PASSWORD).await;
        b.goto(&app, "/search?q=%E6%94%B6%E5%8F%97%E7%A4%BC%E9%87%91").await;
        b.wait_js(
            &format!("return document.querySelector(\"a[href='/resources/{id}']\") !== null"),
            "the contribution in the sector's search",
            30,
        )
        .await;
        b.goto(&app, &format!("/resources/{id}")).await;
        assert_eq!(b.text("main h1").await, TITLE);
        let page = b.text("main").await;
        assert!(!page.contains(MOBILE), "the page shows no phone number");
        assert!(!page.contains(&sample_id_number()), "nor the ID number");
        let texts = b
            .js("return Promise.all([...document.querySelectorAll(\"a[href^='/api/v1/files/']\")]\
                   .map(a => fetch(a.href).then(r => r.text())))")
            .await;
        let texts = texts.as_array().expect("files");
        assert!(!texts.is_empty(), "the files are listed");
        for text in texts {
            let text = text.as_str().unwrap_or_default();
            assert!(!text.contains(MOBILE), "a file with the phone number: {text}");
        }
        b.assert_console_clean("on the published contribution", &[]).await;
    })
    .await;
}
