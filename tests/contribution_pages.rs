//! The unit's contribution pages over HTTP (issue 18): `/contributions` (我单位的投稿),
//! the submission form with its files, a contribution's own page with its edit, file,
//! resubmit and withdraw forms, the resource page's "由 … 提供" and the unit's
//! notifications. As the unit's borrower, a borrower of another unit (404, nothing
//! listed), a librarian (sent to the review page); hostile input refused beside its
//! field with what was typed kept and nothing half-made; forms without their token.

use reqwest::multipart::{Form, Part};
use serde_json::json;

use crate::common::admin::escaped;
use crate::common::web::{csrf_of, form_body, page, signed_in_no_redirects};
use crate::common::{Session, TestApp, USER_PASSWORD, stored_blobs, temp_leftovers};

/// A signed-in client that leaves redirects to the test.
async fn signed_in(app: &TestApp, username: &str, unit: Option<&str>) -> Session {
    let role = match unit {
        Some(_) => jingshi::accounts::Role::Borrower,
        None => jingshi::accounts::Role::Librarian,
    };
    app.add_user(username, &[role], unit);
    signed_in_no_redirects(app, username, USER_PASSWORD).await
}

/// The form's fields as a unit fills them in, with `title`.
fn filled(title: &str) -> Vec<(&'static str, String)> {
    [
        ("kind", "case"),
        ("title", title),
        ("summary", "本局查处的一起违规收受礼金案件（虚构示例）。"),
        ("tags", "节日腐败、礼金"),
        ("sectors", "税务"),
        ("violations", "违规收送礼品礼金"),
        ("region", "云南省昆明市"),
        ("date", "2024-05"),
        ("source", "本局纪检组通报"),
        ("access", "loan"),
        ("share", "all"),
        ("declaration", "1"),
    ]
    .into_iter()
    .map(|(name, value)| (name, value.to_owned()))
    .collect()
}

/// `fields` with `name` set to `value` (or left out when `value` is `None`).
fn with(
    mut fields: Vec<(&'static str, String)>,
    name: &'static str,
    value: Option<&str>,
) -> Vec<(&'static str, String)> {
    fields.retain(|(n, _)| *n != name);
    if let Some(value) = value {
        fields.push((name, value.to_owned()));
    }
    fields
}

/// Posts the submission form: `csrf`, the fields, then the files; answers the status,
/// the `Location` and the body.
async fn post_submission(
    session: &Session,
    csrf: &str,
    fields: &[(&'static str, String)],
    files: &[(&str, &[u8])],
) -> (u16, String, String) {
    let mut form = Form::new().text("csrf", csrf.to_owned());
    for (name, value) in fields {
        form = form.text(*name, value.clone());
    }
    for (name, bytes) in files {
        form = form.part(
            "file",
            Part::bytes(bytes.to_vec()).file_name((*name).to_owned()),
        );
    }
    let resp = session
        .client
        .post(session.url("/contributions"))
        .multipart(form)
        .send()
        .await
        .expect("submit");
    answer(resp).await
}

async fn answer(resp: reqwest::Response) -> (u16, String, String) {
    let status = resp.status().as_u16();
    let location = resp
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, location, resp.text().await.expect("body"))
}

/// Posts the contribution page's upload form: `csrf`, then `name` with `bytes`.
async fn add_file(
    session: &Session,
    id: &str,
    csrf: &str,
    name: &str,
    bytes: &[u8],
) -> (u16, String, String) {
    let form = Form::new().text("csrf", csrf.to_owned()).part(
        "file",
        Part::bytes(bytes.to_vec()).file_name(name.to_owned()),
    );
    let resp = session
        .client
        .post(session.url(&format!("/contributions/{id}/files")))
        .multipart(form)
        .send()
        .await
        .expect("upload");
    answer(resp).await
}

/// The page's token.
async fn token(session: &Session, path: &str) -> String {
    let (status, html) = page(session, path).await;
    assert_eq!(status, 200, "{path}: {html}");
    csrf_of(&html)
}

/// Submits through the form and answers the new contribution's id.
async fn submitted(session: &Session, title: &str, files: &[(&str, &[u8])]) -> String {
    let csrf = token(session, "/contributions/new").await;
    let (status, location, body) = post_submission(session, &csrf, &filled(title), files).await;
    assert_eq!(status, 303, "{body}");
    let id = location
        .strip_prefix("/contributions/")
        .and_then(|rest| rest.split('?').next())
        .unwrap_or_else(|| panic!("location {location}"))
        .to_owned();
    assert!(location.ends_with("?notice=submitted"), "{location}");
    id
}

/// Posts an urlencoded form to `path`; answers status, `Location` and body.
async fn post(session: &Session, path: &str, pairs: &[(&str, &str)]) -> (u16, String, String) {
    let resp = session
        .client
        .post(session.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(pairs))
        .send()
        .await
        .expect("post");
    answer(resp).await
}

/// Posts a contribution's action button (`resubmit`, `withdraw`).
async fn act(session: &Session, id: &str, action: &str, csrf: &str) -> (u16, String, String) {
    post(
        session,
        &format!("/contributions/{id}/{action}"),
        &[("csrf", csrf)],
    )
    .await
}

/// [`post`] of owned values.
async fn post_owned(
    session: &Session,
    path: &str,
    pairs: &[(&str, String)],
) -> (u16, String, String) {
    let pairs: Vec<(&str, &str)> = pairs.iter().map(|(n, v)| (*n, v.as_str())).collect();
    post(session, path, &pairs).await
}

fn status_of(app: &TestApp, id: &str) -> String {
    let conn = app.state.db.get().expect("connection");
    conn.query_row("SELECT status FROM resources WHERE id = ?1", [id], |row| {
        row.get(0)
    })
    .expect("status")
}

fn contributions(app: &TestApp) -> i64 {
    app.count("SELECT count(*) FROM resources WHERE contributed_by IS NOT NULL")
}

const CASE_TEXT: &[u8] =
    "# 案例通报\n\n某局干部在节日期间违规收受礼金，受到党纪处分（虚构示例）。\n".as_bytes();

#[tokio::test]
async fn a_unit_submits_with_a_file_and_only_it_sees_its_contribution() {
    let app = TestApp::spawn().await;
    // 00:30 in Beijing on 2 March is still 1 March in UTC.
    app.state
        .clock
        .set("2027-03-01T16:30:00Z".parse().expect("time"));
    let officer = signed_in(&app, "tax-officer", Some("yn-tax")).await;
    let customs = signed_in(&app, "customs-officer", Some("kunming-customs")).await;
    let librarian = signed_in(&app, "lib", None).await;

    // Nothing yet: the page says what contributing is for and offers the form.
    let (status, html) = page(&officer, "/contributions").await;
    assert_eq!(status, 200);
    assert!(html.contains("本单位还没有投稿"), "{html}");
    assert!(html.contains("用身边事教育身边人"));
    assert!(html.contains("href=\"/contributions/new\""));
    assert!(
        html.contains("href=\"/contributions\" aria-current=\"page\""),
        "the navigation marks 投稿"
    );
    let (_, form) = page(&officer, "/contributions/new").await;
    assert!(form.contains("本单位领导已同意共享该资料"));
    assert!(
        form.contains("本行业单位（税务）"),
        "the unit's sector is named"
    );
    assert!(form.contains("仅工委"));
    assert!(
        !form.contains("value=\"base\""),
        "bases are the committee's"
    );
    assert!(form.contains("type=\"file\" name=\"file\""));

    let blobs = stored_blobs(app.data());
    let id = submitted(
        &officer,
        "某局干部违规收受礼金案通报",
        &[("通报.md", CASE_TEXT)],
    )
    .await;
    assert_eq!(status_of(&app, &id), "submitted");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM files WHERE resource_id = '{id}' AND original_name = '通报.md'"
        )),
        1,
        "the file chosen in the form is attached"
    );
    assert_eq!(stored_blobs(app.data()), blobs + 1);
    assert_eq!(temp_leftovers(app.data()), 0);

    let (status, html) = page(&officer, &format!("/contributions/{id}?notice=submitted")).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("投稿已提交，等待工委资料室审核"));
    assert!(html.contains("某局干部违规收受礼金案通报"));
    assert!(html.contains("待审核"));
    assert!(html.contains("通报.md"));
    assert!(html.contains("提交投稿"), "the conversation starts");
    assert!(html.contains("2027-03-02 00:30"), "Beijing time: {html}");
    assert!(html.contains("撤回投稿"));
    assert!(!html.contains("重新提交审核</button>"), "not returned");

    let (_, list) = page(&officer, "/contributions").await;
    assert!(list.contains(&format!("href=\"/contributions/{id}\"")));
    assert!(list.contains("待审核"));
    assert!(list.contains("所有单位"));
    assert!(list.contains("2027-03-02 00:30"));

    // The resource page: its state and its contribution page instead of a loan form.
    let (status, resource) = page(&officer, &format!("/resources/{id}")).await;
    assert_eq!(status, 200);
    assert!(resource.contains("本单位的投稿"));
    assert!(resource.contains(&format!("href=\"/contributions/{id}\"")));
    assert!(!resource.contains(&format!("action=\"/resources/{id}/loan\"")));

    // Another unit: nothing listed, the page does not exist, nor the resource.
    let (_, theirs) = page(&customs, "/contributions").await;
    assert!(theirs.contains("本单位还没有投稿"));
    assert!(!theirs.contains("收受礼金案通报"));
    let (status, html) = page(&customs, &format!("/contributions/{id}")).await;
    assert_eq!(status, 404);
    assert!(!html.contains("收受礼金案通报"));
    let (status, _) = page(&customs, &format!("/resources/{id}")).await;
    assert_eq!(status, 404);
    // Nor does the committee's own material through these pages.
    let (status, _) = page(&officer, "/contributions/no-such-thing").await;
    assert_eq!(status, 404);
    let (status, _) = page(&officer, "/contributions/..%2F..%2Fetc%2Fpasswd").await;
    assert_eq!(status, 404);

    // A librarian reviews on the committee's pages.
    let resp = librarian.get(&format!("/contributions/{id}")).await;
    assert_eq!(resp.status(), 303);
    assert_eq!(
        resp.headers()["location"],
        format!("/librarian/contributions/{id}").as_str()
    );
    let resp = librarian.get("/contributions").await;
    assert_eq!(resp.status(), 303);
    assert_eq!(resp.headers()["location"], "/librarian/contributions");
    let (status, html) = page(&librarian, &format!("/resources/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("国家税务总局云南省税务局的投稿"), "{html}");
    assert!(html.contains(&format!("href=\"/librarian/contributions/{id}\"")));
    // Nor does a librarian submit in a unit's name.
    let csrf = token(&librarian, "/librarian/").await;
    let (status, _, _) = post_submission(&librarian, &csrf, &filled("工委自己的"), &[]).await;
    assert_eq!(status, 303);
    assert_eq!(contributions(&app), 1);
}

#[tokio::test]
async fn hostile_input_is_refused_beside_its_field_with_the_values_kept() {
    let app = TestApp::spawn().await;
    let officer = signed_in(&app, "tax-officer", Some("yn-tax")).await;
    let csrf = token(&officer, "/contributions/new").await;
    let blobs = stored_blobs(app.data());

    // No declaration: the message beside the box, every typed value kept.
    let (status, _, html) = post_submission(
        &officer,
        &csrf,
        &with(filled("未经同意的投稿"), "declaration", None),
        &[("通报.md", CASE_TEXT)],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    let beside = html
        .split("id=\"e-declaration\"")
        .nth(1)
        .expect("message by the box");
    assert!(
        beside.starts_with(">请勾选“本单位领导已同意共享该资料”"),
        "{beside}"
    );
    assert!(html.contains("value=\"未经同意的投稿\""));
    assert!(html.contains("本局纪检组通报"));
    assert!(html.contains("value=\"2024-05\""));
    assert!(html.contains("请重新选择"), "the files are asked for again");

    // An oversized title, with the declaration missing too: both told at once.
    let long = "贪".repeat(301);
    let (status, _, html) = post_submission(
        &officer,
        &csrf,
        &with(filled(&long), "declaration", None),
        &[],
    )
    .await;
    assert_eq!(status, 422);
    let beside = html
        .split("id=\"e-title\"")
        .nth(1)
        .expect("message by the title");
    assert!(beside.starts_with(">不能超过 300 个字符"), "{beside}");
    assert!(html.contains("id=\"e-declaration\""));
    assert!(html.contains(&long), "the title as typed");

    // A file whose bytes are not what its name says; a file type not allowed.
    for (name, bytes) in [
        ("通报.pdf", CASE_TEXT),
        ("工具.exe", b"MZ\x90\x00\x03" as &[u8]),
    ] {
        let (status, _, html) = post_submission(
            &officer,
            &csrf,
            &filled("带附件的投稿"),
            &[("说明.md", CASE_TEXT), (name, bytes)],
        )
        .await;
        assert!(status == 415 || status == 422, "{name}: {status} {html}");
        let beside = html
            .split("id=\"e-file\"")
            .nth(1)
            .expect("message by the files");
        assert!(beside.contains(name), "{beside}");
        assert!(html.contains("value=\"带附件的投稿\""));
    }

    // A base, an unknown scope, a bad date: told in words beside their field.
    for (field, value, id) in [
        ("kind", "base", "e-kind"),
        ("share", "everyone", "e-share"),
        ("date", "去年", "e-date"),
    ] {
        let (status, _, html) = post_submission(
            &officer,
            &csrf,
            &with(filled("字段有误"), field, Some(value)),
            &[],
        )
        .await;
        assert_eq!(status, 422, "{field}: {html}");
        assert!(html.contains(&format!("id=\"{id}\"")), "{field}: {html}");
    }

    // Nothing was made of any of it: no resource, no stored bytes, no temp files.
    assert_eq!(contributions(&app), 0);
    assert_eq!(stored_blobs(app.data()), blobs);
    assert_eq!(temp_leftovers(app.data()), 0);

    // Markup is shown as text wherever the contribution appears.
    let markup = "<script>alert('投稿')</script>";
    let id = submitted(&officer, markup, &[]).await;
    for path in [
        "/contributions".to_owned(),
        format!("/contributions/{id}"),
        format!("/resources/{id}"),
    ] {
        let (status, html) = page(&officer, &path).await;
        assert_eq!(status, 200);
        assert!(!html.contains(markup), "{path} shows the markup as markup");
        assert!(html.contains(&escaped(markup)), "{path}: {html}");
    }
}

#[tokio::test]
async fn the_forms_need_the_session_token() {
    let app = TestApp::spawn().await;
    let officer = signed_in(&app, "tax-officer", Some("yn-tax")).await;
    let (status, _, body) = post_submission(&officer, "forged", &filled("伪造的投稿"), &[]).await;
    assert_eq!(status, 403, "{body}");
    assert!(body.contains("表单已过期或来源不明"));
    let resp = officer
        .client
        .post(officer.url("/contributions"))
        .multipart(Form::new().text("title", "没有令牌"))
        .send()
        .await
        .expect("post");
    assert_eq!(resp.status(), 403);
    assert_eq!(contributions(&app), 0);

    let id = submitted(&officer, "真实的投稿", &[]).await;
    for (path, fields) in [
        (format!("/contributions/{id}"), vec![("title", "被篡改")]),
        (format!("/contributions/{id}/withdraw"), vec![]),
        (format!("/contributions/{id}/resubmit"), vec![]),
    ] {
        let mut forged = fields.clone();
        forged.push(("csrf", "forged"));
        let (status, _, _) = post(&officer, &path, &forged).await;
        assert_eq!(status, 403, "{path}");
        let (status, _, _) = post(&officer, &path, &fields).await;
        assert_eq!(status, 403, "{path} without a token");
    }
    let (status, _, _) = add_file(&officer, &id, "forged", "补充.md", CASE_TEXT).await;
    assert_eq!(status, 403);
    assert_eq!(status_of(&app, &id), "submitted");
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM files WHERE resource_id = '{id}'"
        )),
        0
    );
    let (_, html) = page(&officer, &format!("/contributions/{id}")).await;
    assert!(html.contains("真实的投稿"));
}

#[tokio::test]
async fn a_returned_contribution_is_edited_given_files_resubmitted_and_withdrawn() {
    let app = TestApp::spawn().await;
    let officer = signed_in(&app, "tax-officer", Some("yn-tax")).await;
    let customs = signed_in(&app, "customs-officer", Some("kunming-customs")).await;
    let librarian = signed_in(&app, "lib", None).await;
    let id = submitted(&officer, "某局干部违规收受礼金案通报", &[]).await;

    let comments = "请补充案件发生年份，并删去<b>当事人</b>的电话。";
    let (status, body) = librarian
        .post_json(
            &format!("/api/v1/resources/{id}/return"),
            &json!({"comments": comments}),
        )
        .await;
    assert_eq!(status, 200, "{body}");

    // The comments, prominent on the list and the page, as text.
    let (_, list) = page(&officer, "/contributions").await;
    assert!(list.contains("已退回修改"));
    assert!(list.contains("有 1 件投稿被工委退回修改"));
    assert!(list.contains(&escaped(comments)), "{list}");
    let (_, html) = page(&officer, &format!("/contributions/{id}")).await;
    assert!(html.contains("工委退回修改意见"));
    assert!(html.contains(&escaped(comments)));
    assert!(!html.contains("<b>当事人</b>"));
    assert!(html.contains("重新提交审核</button>"));
    assert!(
        html.contains("<details id=\"edit\" open>"),
        "the edit form is open"
    );

    // The unit's notification leads to the contribution page.
    let (_, loans) = page(&officer, "/loans").await;
    assert!(loans.contains("需要修改"), "{loans}");
    assert!(loans.contains(&format!("<a href=\"/contributions/{id}\">查看投稿</a>")));

    // Another unit cannot touch it.
    let csrf_other = token(&customs, "/contributions").await;
    for path in [
        format!("/contributions/{id}"),
        format!("/contributions/{id}/resubmit"),
        format!("/contributions/{id}/withdraw"),
    ] {
        let (status, _, _) = post(
            &customs,
            &path,
            &[("csrf", &csrf_other), ("title", "别人的改动")],
        )
        .await;
        assert_eq!(status, 404, "{path}");
    }
    assert_eq!(status_of(&app, &id), "returned");
    // Nor does the committee through the unit's forms.
    let csrf_lib = token(&librarian, "/librarian/").await;
    let (status, _, _) = post(
        &librarian,
        &format!("/contributions/{id}/withdraw"),
        &[("csrf", &csrf_lib)],
    )
    .await;
    assert_eq!(status, 403);

    // A bad date is refused beside the field with what was typed.
    let csrf = csrf_of(&html);
    let edited = |title: &'static str, date: &'static str| {
        let mut fields: Vec<(&str, String)> = filled(title)
            .into_iter()
            .filter(|(n, _)| *n != "declaration")
            .collect();
        fields.retain(|(n, _)| *n != "date");
        fields.push(("date", date.to_owned()));
        fields.push(("csrf", csrf.clone()));
        fields
    };
    let path = format!("/contributions/{id}");
    let (status, _, html) = post_owned(&officer, &path, &edited("改过的标题", "二〇二四年")).await;
    assert_eq!(status, 422, "{html}");
    assert!(html.contains("id=\"e-date\""));
    assert!(html.contains("value=\"二〇二四年\""));
    assert!(html.contains("value=\"改过的标题\""));
    let (status, location, _) = post_owned(&officer, &path, &edited("改过的标题", "2023")).await;
    assert_eq!(status, 303);
    assert_eq!(location, format!("/contributions/{id}?notice=saved"));
    let (_, html) = page(&officer, &location).await;
    assert!(html.contains("修改已保存"));
    assert!(html.contains("<h1>改过的标题</h1>"));
    assert!(html.contains("<dd>2023</dd>"));

    // A file added through the page's form.
    let csrf = csrf_of(&html);
    let (status, location, _) = add_file(&officer, &id, &csrf, "补充说明.md", CASE_TEXT).await;
    assert_eq!(status, 303);
    assert_eq!(
        location,
        format!("/contributions/{id}?notice=uploaded#files")
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM files WHERE resource_id = '{id}' AND original_name = '补充说明.md'"
        )),
        1
    );
    // A refused file is told beside the upload form.
    let (status, _, html) = add_file(&officer, &id, &csrf, "病毒.exe", b"MZ\x90\x00").await;
    assert!(status == 415 || status == 422, "{status}");
    assert!(html.contains("病毒.exe"));
    assert!(html.contains("id=\"upload-status\""));

    // Back for review.
    let (status, location, _) = act(&officer, &id, "resubmit", &csrf).await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app, &id), "submitted");
    let (_, html) = page(&officer, &location).await;
    assert!(html.contains("已重新提交审核"));
    assert!(
        html.contains("工委退回修改"),
        "the conversation keeps the return"
    );
    assert!(html.contains("重新提交审核</strong>"));
    assert!(
        !html.contains("工委退回修改意见</h2>"),
        "no longer returned"
    );
    // Resubmitting again is refused beside the actions.
    let (status, _, html) = act(&officer, &id, "resubmit", &csrf).await;
    assert_eq!(status, 409);
    assert!(html.contains("id=\"action-error\""));
    assert!(html.contains("无需重新提交"));

    // Withdrawn: no more forms; a late edit or upload is refused in words.
    let (status, _, _) = act(&officer, &id, "withdraw", &csrf).await;
    assert_eq!(status, 303);
    assert_eq!(status_of(&app, &id), "withdrawn");
    let (_, html) = page(&officer, &format!("/contributions/{id}?notice=withdrawn")).await;
    assert!(html.contains("投稿已撤回"));
    assert!(!html.contains("id=\"edit\""));
    assert!(!html.contains("撤回投稿</button>"));
    let (status, _, html) = post_owned(&officer, &path, &edited("撤回后再改", "2023")).await;
    assert_eq!(status, 409, "{html}");
    assert!(html.contains("不能再修改"));
    let (status, _, _) = add_file(&officer, &id, &csrf, "晚到.md", CASE_TEXT).await;
    assert_eq!(status, 409);
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) FROM files WHERE resource_id = '{id}' AND original_name = '晚到.md'"
        )),
        0
    );
}

#[tokio::test]
async fn a_published_contribution_names_its_unit_and_the_unit_is_told() {
    let app = TestApp::spawn().await;
    let officer = signed_in(&app, "tax-officer", Some("yn-tax")).await;
    let customs = signed_in(&app, "customs-officer", Some("kunming-customs")).await;
    let librarian = signed_in(&app, "lib", None).await;
    let id = submitted(&officer, "烟草系统警示教育片", &[]).await;
    let (status, body) = librarian
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");

    let (status, html) = page(&customs, &format!("/resources/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("由 国家税务总局云南省税务局 提供"), "{html}");
    assert!(
        html.contains(&format!("action=\"/resources/{id}/loan\"")),
        "lent as any"
    );
    let (_, html) = page(&officer, &format!("/resources/{id}")).await;
    assert!(html.contains("由 国家税务总局云南省税务局 提供"));
    assert!(!html.contains("本单位的投稿"));

    let (_, html) = page(&officer, &format!("/contributions/{id}")).await;
    assert!(html.contains("已发布"));
    assert!(html.contains("工委审核发布"));
    assert!(!html.contains("id=\"edit\""));
    let (_, loans) = page(&officer, "/loans").await;
    assert!(loans.contains("已审核发布"), "{loans}");
    assert!(loans.contains(&format!("<a href=\"/contributions/{id}\">查看投稿</a>")));
    let (_, notes) = officer.get_json("/api/v1/notifications").await;
    assert_eq!(notes["items"][0]["kind"], "contribution_published");
    assert_eq!(notes["items"][0]["resource_id"], id.as_str());
    assert!(notes["items"][0]["loan_id"].is_null());
}
