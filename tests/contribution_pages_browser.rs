//! In headless Chromium (issue 18): a unit's borrower opens 投稿 from the navigation,
//! fills in the form with a file, is told beside the box that the declaration is
//! missing, ticks it and submits; the committee returns the contribution with
//! comments; the borrower reads them on the list and the contribution's page, edits,
//! adds a file through the page's upload and resubmits, and finally withdraws another
//! one after the confirmation. Screenshots of the list, the form and the contribution's
//! page at desktop and phone width go to `target/screenshots/`.

use jingshi::accounts::Role;
use serde_json::json;

use crate::browser::with_browser;
use crate::common::{TestApp, USER_PASSWORD};
use crate::withdraw_browser::both_widths;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_borrower_contributes_with_a_file_and_answers_the_committee() {
    let app = TestApp::spawn().await;
    app.add_user("officer", &[Role::Borrower], Some("yn-tax"));
    app.add_user("lib", &[Role::Librarian], None);
    let folder = tempfile::tempdir().expect("upload folder");
    let bulletin = folder.path().join("违规收受礼金案通报.md");
    std::fs::write(
        &bulletin,
        "# 关于一起违规收受礼金问题的通报\n\n2023 年中秋节前，某局干部违规收受管理服务对象所送礼金，受到党内警告处分（虚构示例）。\n",
    )
    .expect("bulletin");
    let notes = folder.path().join("补充说明.txt");
    std::fs::write(&notes, "案件发生于 2023 年 9 月。\n").expect("notes");
    with_browser(app, move |b, app| async move {
        let _keep = folder;
        b.sign_in(&app, "officer", USER_PASSWORD).await;

        // The navigation leads to the unit's (empty) list, which explains itself.
        b.click("nav.primary a[href='/contributions']").await;
        b.wait_path("/contributions").await;
        assert!(b.text("main").await.contains("本单位还没有投稿"));
        both_widths(&b, "contributions-empty").await;

        // The form, filled in with a file but without the declaration.
        b.click(".contrib-empty a.button").await;
        b.wait_path("/contributions/new").await;
        both_widths(&b, "contribution-form").await;
        b.type_into("#f-title", "某局干部违规收受礼金案通报").await;
        b.type_into("#f-summary", "本局查处的一起节日期间违规收受礼金案件，适合节前警示教育。")
            .await;
        b.type_into("#f-tags", "节日腐败、礼金").await;
        b.type_into("#f-date", "2023-09").await;
        b.click("input[name=violations][value='违规收送礼品礼金']").await;
        b.click("input[name=share][value=sector]").await;
        let choose = |path: String| {
            let b = b.clone();
            async move {
                b.client
                    .find(fantoccini::Locator::Css("#contrib-files"))
                    .await
                    .expect("file input")
                    .send_keys(&path)
                    .await
                    .expect("choose the file");
            }
        };
        choose(bulletin.to_str().expect("path").to_owned()).await;
        b.click("#contrib-submit").await;
        b.wait_js(
            "return document.getElementById('e-declaration') !== null",
            "the declaration's message",
            30,
        )
        .await;
        assert!(
            b.text("#e-declaration")
                .await
                .contains("本单位领导已同意共享该资料")
        );
        assert_eq!(
            b.js("return document.getElementById('f-title').value").await,
            "某局干部违规收受礼金案通报",
            "the title as typed"
        );
        assert_eq!(
            b.js("return document.querySelector('input[name=share]:checked').value")
                .await,
            "sector",
            "the scope as chosen"
        );
        both_widths(&b, "contribution-form-refused").await;
        b.assert_console_clean(
            "on the refused form",
            &["/contributions - Failed to load resource: the server responded with a status of 422"],
        )
        .await;

        // Ticked, the file chosen again: submitted, with the file attached.
        b.click("input[name=declaration]").await;
        choose(bulletin.to_str().expect("path").to_owned()).await;
        b.click("#contrib-submit").await;
        let path = b.wait_path("notice=submitted").await;
        let id = path
            .trim_start_matches("/contributions/")
            .split('?')
            .next()
            .expect("id")
            .to_owned();
        assert!(b.text(".contrib-files").await.contains("违规收受礼金案通报.md"));
        assert!(b.text("#contrib-status").await.contains("待审核"));
        assert!(b.text("main").await.contains("本行业单位（税务）"));
        both_widths(&b, "contribution-page").await;
        b.assert_console_clean("on the contribution pages", &[]).await;

        // The committee returns it with comments.
        let lib = app.login("lib", USER_PASSWORD).await;
        let (status, body) = lib
            .post_json(
                &format!("/api/v1/resources/{id}/return"),
                &json!({"comments": "请补充案件发生的具体月份，并上传处分决定书（可隐去姓名）。"}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        b.goto(&app, "/contributions").await;
        assert!(b.text(".return-comments").await.contains("请补充案件发生的具体月份"));
        both_widths(&b, "contributions-list").await;

        // The page puts the comments first; the unit edits, adds a file, resubmits.
        b.click(".contrib-card a.contrib-title").await;
        b.wait_path(&format!("/contributions/{id}")).await;
        assert!(
            b.text(".return-comments.prominent")
                .await
                .contains("处分决定书")
        );
        both_widths(&b, "contribution-returned").await;
        b.type_into("#f-date", "2023-09-20").await;
        b.click("#save").await;
        b.wait_path("notice=saved").await;
        b.client
            .find(fantoccini::Locator::Css("#upload-file"))
            .await
            .expect("upload input")
            .send_keys(notes.to_str().expect("path"))
            .await
            .expect("choose the notes");
        b.click("#upload-button").await;
        b.wait_path("notice=uploaded").await;
        assert!(b.text(".contrib-files").await.contains("补充说明.txt"));
        b.click("#resubmit").await;
        b.wait_path("notice=resubmitted").await;
        assert!(b.text("#contrib-status").await.contains("待审核"));
        assert!(b.text(".contrib-timeline").await.contains("重新提交审核"));
        both_widths(&b, "contribution-resubmitted").await;

        // Its resource page: the state and the way back, no loan form.
        b.goto(&app, &format!("/resources/{id}")).await;
        assert!(b.text(".contribution-state").await.contains("本单位的投稿"));
        b.screenshot_page("contribution-resource-page").await;

        // Withdrawn after the confirmation (asked once).
        b.goto(&app, &format!("/contributions/{id}")).await;
        // Declined: asked once, nothing happens.
        b.js("window.asked = 0; window.confirm = () => { window.asked++; return false; };")
            .await;
        b.click("#withdraw").await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert_eq!(b.js("return window.asked").await, json!(1), "one question");
        assert!(b.text("#contrib-status").await.contains("待审核"));
        b.js("window.confirm = () => true;").await;
        b.click("#withdraw").await;
        b.wait_path("notice=withdrawn").await;
        assert!(b.text("#contrib-status").await.contains("已撤回"));
        b.assert_console_clean("after withdrawing", &[]).await;
    })
    .await;
}
