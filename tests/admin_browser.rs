//! Administration in headless Chromium (issue 15): an admin creates a unit and an
//! account from sheets, the new person opens the set-password link, sets a password
//! and signs in; an admin resets a password and the person uses the link. Every new
//! page is photographed at desktop and phone width (`target/screenshots/admin-*`),
//! and none scrolls sideways on a phone. Skips without Chromium, like the others.

use fantoccini::Locator;

use crate::browser::{Browser, with_browser};
use crate::common::{ADMIN_PASSWORD, TestApp};

/// Photographs the page at desktop width and at phone width (where it must not
/// scroll sideways), then goes back to the desktop size.
async fn photograph(b: &Browser, name: &str) {
    b.screenshot_page(&format!("admin-{name}")).await;
    b.client
        .set_window_size(390, 844)
        .await
        .expect("phone size");
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    // What sticks out on the right, if anything (none may).
    let wide = b
        .js("return [...document.querySelectorAll('body *')]\
               .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 \
                 && !e.closest('.table-wrap'))\
               .map(e => e.tagName + '.' + e.className + '#' + e.id)")
        .await;
    assert_eq!(
        wide,
        serde_json::json!([]),
        "{name}: no sideways scrolling on a phone"
    );
    b.screenshot_page(&format!("admin-{name}-phone")).await;
    b.client
        .set_window_size(1280, 900)
        .await
        .expect("desktop size");
}

async fn sign_out(b: &Browser) {
    b.click(".logout button").await;
    b.wait_path("/login").await;
}

/// Chooses `path` in the page's file field and submits the upload.
async fn upload(b: &Browser, path: &std::path::Path) {
    let field = b
        .client
        .find(Locator::Css("#sheet-file"))
        .await
        .expect("file field");
    field
        .send_keys(&path.display().to_string())
        .await
        .expect("choose file");
    b.click("#import-button").await;
}

/// Opens a set-password link, sets `password` and lands on the sign-in page.
async fn set_password(b: &Browser, url: &str, password: &str, name: &str) {
    b.client.goto(url).await.expect("open link");
    b.wait_path("/account/reset/").await;
    photograph(b, name).await;
    b.type_into("#new", password).await;
    b.type_into("#confirm", password).await;
    b.click(".account-password button[type=submit]").await;
    b.wait_path("/login?password=set").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_a_unit_and_an_account_from_sheets_and_the_person_signs_in() {
    let app = TestApp::spawn().await;
    let sheets = tempfile::tempdir().expect("sheet folder");
    let units = sheets.path().join("单位.xlsx");
    std::fs::write(
        &units,
        jingshi::spreadsheet::xlsx_bytes(
            "单位",
            &["单位代码", "单位名称", "系统", "联络人", "手机", "邮箱"],
            [vec![
                "yn-audit".to_owned(),
                "审计署驻昆明特派员办事处".to_owned(),
                "审计".to_owned(),
                "王五".to_owned(),
                "13800138000".to_owned(),
                "wang@example.cn".to_owned(),
            ]],
        )
        .unwrap(),
    )
    .unwrap();
    let wrong = sheets.path().join("账号-有误.csv");
    std::fs::write(
        &wrong,
        "用户名,姓名,单位代码,角色\naudit-chen,陈七,yn-audit,借阅人\naudit-x,某,no-such,借阅人\n",
    )
    .unwrap();
    let accounts = sheets.path().join("账号.csv");
    std::fs::write(
        &accounts,
        "用户名,姓名,单位代码,角色,邮箱\naudit-chen,陈七,yn-audit,借阅人,chen@example.cn\n",
    )
    .unwrap();
    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "admin", ADMIN_PASSWORD).await;
        b.goto(&app, "/admin/").await;
        assert_eq!(b.text("h1").await, "账号管理");
        photograph(&b, "overview").await;
        b.goto(&app, "/admin/import").await;
        photograph(&b, "import").await;

        upload(&b, &units).await;
        b.wait_js(
            "return document.querySelector('.result h2')",
            "units created",
            30,
        )
        .await;
        assert!(b.text(".result h2").await.contains("新建 1 个单位"));
        photograph(&b, "import-units-done").await;

        // A wrong sheet lists its row and creates nothing.
        upload(&b, &wrong).await;
        b.wait_js(
            "return document.querySelector('#import-problems')",
            "problems",
            30,
        )
        .await;
        let problems = b.text("#import-problems").await;
        assert!(
            problems.contains("第 3 行") && problems.contains("no-such"),
            "{problems}"
        );
        photograph(&b, "import-problems").await;
        b.assert_console_clean("after a refused sheet", &["422"])
            .await;

        upload(&b, &accounts).await;
        b.wait_js(
            "return document.querySelector('.result .link-url')",
            "account link",
            30,
        )
        .await;
        let link = b
            .js("return document.querySelector('.result .link-url').value")
            .await;
        let link = link.as_str().expect("link").to_owned();
        assert!(link.contains("/account/reset/"), "{link}");
        photograph(&b, "import-accounts-done").await;

        // The lists and pages of the unit and the account.
        b.goto(&app, "/admin/units").await;
        photograph(&b, "units").await;
        b.goto(&app, "/admin/units/yn-audit").await;
        assert_eq!(b.text("h1").await, "审计署驻昆明特派员办事处");
        photograph(&b, "unit").await;
        b.goto(&app, "/admin/accounts").await;
        photograph(&b, "accounts").await;
        b.click("table.admin-list a[href^='/admin/accounts/']")
            .await;
        b.wait_path("/admin/accounts/").await;
        photograph(&b, "account").await;

        // The person sets a password with the link and signs in; the header shows
        // their name.
        sign_out(&b).await;
        set_password(&b, &link, "审计办的新密码2027", "reset").await;
        b.sign_in(&app, "audit-chen", "审计办的新密码2027").await;
        let who = b.text(".who .user").await;
        assert!(
            who.contains("陈七") && who.contains("审计署驻昆明特派员办事处"),
            "{who}"
        );
        b.goto(&app, "/account/password").await;
        photograph(&b, "password").await;
        b.assert_console_clean("as the new person", &[]).await;
        // The spent link says so.
        b.client.goto(&link).await.expect("open spent link");
        assert!(b.text("#link-problem").await.contains("已经用过"));
        photograph(&b, "link-spent").await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_resets_a_password_and_the_person_sets_a_new_one() {
    let app = TestApp::spawn().await;
    app.add_user(
        "tax-officer",
        &[jingshi::accounts::Role::Borrower],
        Some("yn-tax"),
    );
    let id = app.count("SELECT id FROM users WHERE username = 'tax-officer'");
    with_browser(app, move |b, app| async move {
        b.sign_in(&app, "admin", ADMIN_PASSWORD).await;
        b.goto(&app, &format!("/admin/accounts/{id}")).await;
        b.click("#make-link").await;
        b.wait_js("return document.querySelector('#link-url')", "the link", 30)
            .await;
        let link = b
            .js("return document.querySelector('#link-url').value")
            .await;
        let link = link.as_str().expect("link").to_owned();
        photograph(&b, "account-link").await;
        // Shown once: the account page again has no link.
        b.goto(&app, &format!("/admin/accounts/{id}")).await;
        assert_eq!(
            b.js("return document.querySelector('#link-url')").await,
            serde_json::Value::Null
        );
        sign_out(&b).await;

        set_password(&b, &link, "税务局的新密码2027", "reset-form").await;
        assert!(b.text(".notice").await.contains("密码已设置"));
        b.sign_in(&app, "tax-officer", "税务局的新密码2027").await;
        assert!(b.text(".who .user").await.contains("tax-officer"));
        b.assert_console_clean("after the reset", &[]).await;
    })
    .await;
}
