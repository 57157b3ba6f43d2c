//! Creating units and accounts from a sheet (issue 15): an uploaded XLSX or CSV with
//! Chinese headers creates every row or nothing; a wrong row is listed with its
//! number as the spreadsheet shows it and the reason; new accounts get a one-time
//! set-password link each (mailed when a relay is configured). Oversized sheets,
//! too many rows, markup in cells, files that are not sheets.

use std::time::Duration;

use jingshi::config::MailSettings;
use jingshi::spreadsheet::{read_rows, xlsx_bytes};

use crate::common::TestApp;
use crate::common::admin::{escaped, link_tokens, post_with_token, upload_sheet};
use crate::common::smtp::SmtpServer;
use crate::common::web::page;

const UNIT_HEADER: &[&str] = &["单位代码", "单位名称", "系统", "联络人", "手机", "邮箱"];

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| (*c).to_owned()).collect()
}

/// Each `(row, said)` is listed as a problem of that row.
fn assert_rows(html: &str, rows: &[(usize, &str)]) {
    for (number, said) in rows {
        let line = format!("<td>第 {number} 行</td><td>");
        let at = html
            .find(&line)
            .unwrap_or_else(|| panic!("row {number}: {html}"));
        let listed = html[at..].split("</tr>").next().unwrap();
        assert!(listed.contains(said), "row {number}: {listed}");
    }
}

fn counts(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("SELECT count(*) FROM units"),
        app.count("SELECT count(*) FROM users"),
        app.count("SELECT count(*) FROM audit_log WHERE action != 'sign_in'"),
    )
}

#[tokio::test]
async fn a_units_sheet_creates_every_unit_or_none_and_names_the_wrong_rows() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let before = counts(&app);

    // One wrong row among good ones: nothing is created; every wrong row is listed.
    let rows = vec![
        row(&[
            "yn-audit",
            "审计署驻昆明特派员办事处",
            "审计",
            "王五",
            "13800138000",
            "wang@example.cn",
        ]),
        row(&[
            "yn-stats",
            "国家统计局云南调查总队",
            "统计",
            "",
            "0871-6512",
            "",
        ]),
        row(&["yn-tax", "重复的税务局", "税务", "", "", ""]),
        row(&[
            "yn-post",
            "<script>alert(1)</script>邮政管理局",
            "邮政",
            "",
            "",
            "bad@",
        ]),
        row(&["yn-audit", "同一代码第二次", "", "", "", ""]),
    ];
    let bytes = xlsx_bytes("单位", UNIT_HEADER, rows.clone()).unwrap();
    let (status, html) = upload_sheet(&admin, "单位.xlsx", bytes).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("没有导入任何内容"), "{html}");
    assert_rows(
        &html,
        &[
            (3, "11 位手机号"),
            (4, "单位代码“yn-tax”已存在"),
            (5, "邮箱地址"),
            (6, "与第 2 行重复"),
        ],
    );
    assert!(!html.contains("第 2 行</td>"), "the good row is not listed");
    assert!(!html.contains("<script>alert"));
    assert_eq!(counts(&app), before, "nothing created, nothing recorded");

    // A CSV with a blank line: row numbers as the spreadsheet shows them.
    let csv = "单位代码,单位名称,系统\r\nyn-a,甲,税务\r\n\r\nyn-b,,海关\r\n";
    let (status, html) = upload_sheet(&admin, "units.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 422);
    assert!(
        html.contains("<td>第 4 行</td><td>单位名称不能为空</td>"),
        "{html}"
    );

    // All good: every unit is created, markup shown as text, numbers normalised.
    let good = vec![
        row(&[
            "yn-audit",
            "审计署驻昆明特派员办事处",
            "审计",
            "王五",
            "138 0013 8000",
            "wang@example.cn",
        ]),
        row(&[
            "yn-post",
            "<script>alert(1)</script>邮政管理局",
            "邮政",
            "",
            "(0871)65123456",
            "",
        ]),
    ];
    let bytes = xlsx_bytes("单位", UNIT_HEADER, good).unwrap();
    let (status, html) = upload_sheet(&admin, "单位.xlsx", bytes).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("新建 2 个单位"), "{html}");
    assert!(html.contains(&escaped("<script>alert(1)</script>邮政管理局")));
    assert!(!html.contains("<script>alert"));
    assert_eq!(counts(&app).0, before.0 + 2);
    assert_eq!(
        app.count(
            "SELECT count(*) FROM units WHERE liaison_mobile IN ('13800138000', '0871-65123456')"
        ),
        2
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'unit_created' AND detail IN ('yn-audit', 'yn-post')"),
        2
    );
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'sheet_imported'"),
        1
    );
    // The same sheet again: every row exists now.
    let bytes = xlsx_bytes(
        "单位",
        UNIT_HEADER,
        vec![row(&["yn-audit", "甲", "", "", "", ""])],
    )
    .unwrap();
    let (status, html) = upload_sheet(&admin, "单位.xlsx", bytes).await;
    assert_eq!(status, 422);
    assert!(html.contains("已存在"));
}

#[tokio::test]
async fn an_accounts_sheet_gives_each_new_account_a_link_shown_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let csv = "用户名,姓名,单位代码,角色,邮箱\n\
               tax-zhang,张三,yn-tax,借阅人,zhang@example.cn\n\
               lib-wang,王五,,资料室管理员、系统管理员,\n\
               customs-li,<i>李四</i>,kunming-customs,,\n";
    let (status, html) = upload_sheet(&admin, "账号.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("新建 3 个账号") && html.contains("只显示这一次"),
        "{html}"
    );
    assert!(html.contains(&escaped("<i>李四</i>")));
    let tokens = link_tokens(&html);
    assert_eq!(tokens.len(), 3, "{tokens:?}");
    assert_eq!(
        app.count("SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username = 'lib-wang'"),
        2
    );
    assert_eq!(app.count("SELECT count(*) FROM user_roles r JOIN users u ON u.id = r.user_id WHERE u.username = 'customs-li' AND r.role = 'borrower'"), 1);
    assert_eq!(
        app.count("SELECT count(*) FROM audit_log WHERE action = 'password_link_issued'"),
        3
    );
    // Each person sets a password with their own link and signs in.
    let (status, url, _) = crate::common::web::post_form(
        &crate::common::Session {
            client: crate::common::client_for(app.addr),
            base: app.url(""),
        },
        &format!("/account/reset/{}", tokens[1]),
        &[
            ("new", "资料室的新密码2027"),
            ("confirm", "资料室的新密码2027"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("password=set"));
    let wang = app.login("lib-wang", "资料室的新密码2027").await;
    let (_, home) = page(&wang, "/").await;
    assert!(home.contains("王五") && home.contains("href=\"/admin/\""));

    // A sheet with one wrong account creates none of them.
    let before = counts(&app);
    let csv = "用户名,姓名,单位代码,角色\n\
               new-a,甲,yn-tax,借阅人\n\
               new-b,乙,,借阅人\n\
               new c,丙,yn-tax,\n\
               new-d,丁,no-such,借阅人\n\
               new-e,戊,yn-tax,馆长\n\
               tax-zhang,重复,yn-tax,\n";
    let (status, html) = upload_sheet(&admin, "账号.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 422);
    assert_rows(
        &html,
        &[
            (3, "借阅人必须属于一个单位"),
            (4, "不能含空白"),
            (5, "先导入单位表"),
            (6, "角色“馆长”无效"),
            (7, "已被使用"),
        ],
    );
    assert!(
        link_tokens(&html).is_empty(),
        "no links for a refused sheet"
    );
    assert_eq!(counts(&app), before);
    assert_eq!(app.count("SELECT count(*) FROM password_links"), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_mail_relay_the_links_are_mailed_to_those_with_an_address() {
    let smtp = SmtpServer::start(0).await;
    let app = TestApp::spawn().await;
    let mut settings = MailSettings::parse(&smtp.url(), crate::mail::FROM).unwrap();
    settings.poll = Duration::from_millis(100);
    let _mail = app.state.start_mail(settings).unwrap();
    let admin = app.admin().await;
    let csv = "用户名,姓名,单位代码,邮箱\ntax-zhang,张三,yn-tax,zhang@example.cn\ntax-zhao,赵六,yn-tax,\n";
    let (status, html) = upload_sheet(&admin, "账号.csv", csv.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("已发送至 zhang@example.cn"), "{html}");
    assert_eq!(
        link_tokens(&html).len(),
        1,
        "only the account without an address is shown a link"
    );
    let received = smtp.wait_for(1, 30).await;
    assert_eq!(received[0].rcpt_to, ["zhang@example.cn"]);
    assert_eq!(received[0].subject(), "【警示教育资源库】请设置登录密码");
    let body = received[0].body();
    let tokens = link_tokens(&body);
    assert_eq!(tokens.len(), 1, "{body}");
    assert!(
        body.contains(&format!("http://{}/account/reset/", app.addr)),
        "{body}"
    );
    let (status, html) = page(
        &crate::common::Session {
            client: crate::common::client_for(app.addr),
            base: app.url(""),
        },
        &format!("/account/reset/{}", tokens[0]),
    )
    .await;
    assert_eq!(status, 200);
    assert!(html.contains("tax-zhang"));
    // A reset of an account with an address is mailed too, not shown.
    let id = app.count("SELECT id FROM users WHERE username = 'tax-zhang'");
    let (_, _, html) = post_with_token(&admin, &format!("/admin/accounts/{id}/link"), &[]).await;
    assert!(html.contains("链接已发送至"), "{html}");
    assert!(link_tokens(&html).is_empty());
    smtp.wait_for(2, 30).await;
}

#[tokio::test]
async fn oversized_long_unreadable_and_foreign_sheets_are_refused_in_words() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let before = counts(&app);
    // Bigger than 2 MB.
    let mut big = "单位代码,单位名称\n".to_owned();
    while big.len() < 3 * 1024 * 1024 {
        big.push_str("yn-x,填充填充填充填充填充填充填充填充填充填充填充填充\n");
    }
    let (status, html) = upload_sheet(&admin, "big.csv", big.into_bytes()).await;
    assert_eq!(status, 413, "{html}");
    assert!(html.contains("超过 2 MB"), "{html}");
    // More than 2,000 rows.
    let mut long = "单位代码,单位名称\n".to_owned();
    for n in 0..2001 {
        long.push_str(&format!("yn-{n},单位{n}\n"));
    }
    let (status, html) = upload_sheet(&admin, "long.csv", long.into_bytes()).await;
    assert_eq!(status, 413);
    assert!(html.contains("2001 行") && html.contains("2000"), "{html}");
    // Not a sheet, an unknown header, an empty file, a GBK CSV, a broken XLSX.
    let (gbk, _, _) = encoding_rs::GBK.encode("单位代码,单位名称\nyn-g,甲\n");
    for (name, bytes, status_wanted, said) in [
        ("evil.exe", b"MZ\x90\x00".to_vec(), 415, "不是表格文件"),
        (
            "units.csv",
            "代号,名字\na,b\n".as_bytes().to_vec(),
            422,
            "没有找到",
        ),
        (
            "units.csv",
            "单位代码,单位名称,传真\na,b,c\n".as_bytes().to_vec(),
            422,
            "不认识的列“传真”",
        ),
        ("units.csv", Vec::new(), 422, "表格是空的"),
        (
            "units.csv",
            "单位代码,单位名称\n".as_bytes().to_vec(),
            422,
            "只有表头",
        ),
        ("units.csv", gbk.into_owned(), 422, "UTF-8"),
        ("units.xlsx", b"PK\x03\x04broken".to_vec(), 422, "无法读取"),
        (
            "../../etc/passwd.csv",
            "单位代码,单位名称\nyn-p,甲\n".as_bytes().to_vec(),
            200,
            "passwd.csv",
        ),
    ] {
        let (status, html) = upload_sheet(&admin, name, bytes).await;
        assert_eq!(status, status_wanted, "{name}: {html}");
        assert!(html.contains(said), "{name}: {html}");
        assert!(
            !html.contains("../../etc"),
            "{name}: the file's own name only"
        );
    }
    assert_eq!(
        counts(&app).0,
        before.0 + 1,
        "only the sheet that was right"
    );
}

#[tokio::test]
async fn the_templates_download_as_sheets_with_the_headers() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for (path, header) in [
        ("/admin/import/units.xlsx", UNIT_HEADER.to_vec()),
        (
            "/admin/import/accounts.xlsx",
            vec!["用户名", "姓名", "单位代码", "角色", "邮箱"],
        ),
    ] {
        let resp = admin.get(path).await;
        assert_eq!(resp.status(), 200);
        assert_eq!(
            resp.headers()["content-type"],
            jingshi::spreadsheet::XLSX_MIME
        );
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        let bytes = resp.bytes().await.unwrap();
        let rows = read_rows("t.xlsx", &bytes).unwrap();
        assert_eq!(
            rows,
            vec![header.iter().map(|h| (*h).to_owned()).collect::<Vec<_>>()]
        );
    }
    let (status, html) = page(&admin, "/admin/import").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("/admin/import/units.xlsx")
            && html.contains("enctype=\"multipart/form-data\"")
    );
}
