//! The abbreviation dictionary in the browser (issue 20): a librarian opens 检索词典
//! from the navigation, has an entry refused beside the form with the typed values
//! kept, adds 骗退 → 出口退税, and the next search for 骗退 finds the tax case with
//! "已同时搜索：出口退税" and the expansion marked. Pages are photographed at desktop
//! and phone width.

use crate::browser::{Browser, with_browser};
use crate::common::{TestApp, USER_PASSWORD};

/// Both widths, under `synonyms-` (see [`Browser::photograph_desktop_and_phone`]).
async fn photograph(b: &Browser, name: &str) {
    b.photograph_desktop_and_phone(&format!("synonyms-{name}"))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_librarian_adds_an_abbreviation_and_the_next_search_uses_it() {
    let app = TestApp::spawn_with_demo().await;
    app.add_user("lib", &[jingshi::accounts::Role::Librarian], None);
    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "lib", USER_PASSWORD).await;
        b.goto(&app, "/librarian/").await;
        b.click("nav a[href='/librarian/synonyms']").await;
        b.wait_path("/librarian/synonyms").await;
        assert_eq!(b.text("h1").await, "检索词典：简称与同义词");
        b.type_into("#entries input[name=q]", "诉讼").await;
        b.click("#entries button[type=submit]").await;
        b.wait_path("q=").await;
        let listed = b.text("table.synonyms").await;
        assert!(
            listed.contains("刑诉法") && !listed.contains("两高"),
            "{listed}"
        );
        photograph(&b, "list").await;

        // Too long for an abbreviation (the field's maxlength is bypassed as a script
        // would): refused beside the form, both values kept.
        b.js(
            "document.querySelector('[name=abbreviation]').value = '长'.repeat(40);\
              document.querySelector('[name=expansion]').value = '出口退税';",
        )
        .await;
        b.click(".synonym-add button[type=submit]").await;
        b.wait_js(
            "return document.querySelector('#synonym-error')",
            "the refusal",
            30,
        )
        .await;
        assert!(b.text("#synonym-error").await.contains("过长"));
        let kept = b
            .js("return document.querySelector('[name=expansion]').value")
            .await;
        assert_eq!(kept, "出口退税");
        photograph(&b, "refused").await;

        b.type_into(".synonym-add [name=abbreviation]", "骗退")
            .await;
        b.click(".synonym-add button[type=submit]").await;
        b.wait_path("done=added").await;
        assert!(b.text(".notice").await.contains("已添加"));
        let listed = b.text("table.synonyms").await;
        assert!(
            listed.contains("骗退") && listed.contains("自行添加"),
            "{listed}"
        );
        b.assert_console_clean("editing the dictionary", &["422"])
            .await;

        // The next search expands 骗退 and says so.
        b.goto(&app, "/").await;
        b.type_into("#q", "骗退").await;
        b.click(".searchbox button[type=submit]").await;
        b.wait_path("/search").await;
        assert_eq!(b.text(".notice.expansion").await, "已同时搜索：出口退税");
        let marked = b
            .js("return [...document.querySelectorAll('mark')].map(m => m.textContent)")
            .await;
        assert!(
            marked.as_array().unwrap().iter().any(|m| m == "出口退税"),
            "{marked}"
        );
        assert!(b.text("main").await.contains("税务局原副局长张某"));
        photograph(&b, "search").await;
        b.assert_console_clean("searching with the dictionary", &[])
            .await;
    })
    .await;
}
