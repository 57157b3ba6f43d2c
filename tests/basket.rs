//! The request basket (借阅清单, issue 19): kept per account in the database (it
//! survives signing out), only what the unit may borrow goes in, each item is
//! checked against the chosen period before sending (fits, would wait with the
//! nearest free period, or refused), and sending files one loan batch and empties
//! it. Through the domain functions, the JSON API and the pages' forms.

use jingshi::accounts::Role;
use jingshi::loans::{self, BasketTerms, ItemCheck, ItemFormat, LoanError};
use serde_json::{Value, json};

use crate::common::collecting::{actor_of, batch_library, loan_statuses};
use crate::common::lending::{MONDAY, day, lendable, requested};
use crate::common::web::{csrf_of, form_body, page, post_form, signed_in_no_redirects};
use crate::common::{Session, TestApp, USER_PASSWORD};

/// [`batch_library`] (`one` titled with markup), and a base.
async fn library() -> (TestApp, Session) {
    let (app, lib) = batch_library("<script>alert(1)</script>警示片").await;
    let base = json!({"id": "base", "kind": "base", "title": "警示教育基地", "status": "published",
           "base": {"address": "昆明市示例路 1 号", "capacity": 60, "lead_days": 3,
                    "max_group": 60, "needs_visitor_list": false,
                    "contact_name": "张老师", "contact_phone": "0871-65123456"}});
    let (status, answer) = lib.post_json("/api/v1/resources", &base).await;
    assert_eq!(status, 201, "{answer}");
    (app, lib)
}

/// A published contribution of `officer`'s unit shared with the committee only.
async fn committee_only(lib: &Session, officer: &Session) -> String {
    let (status, body) = officer
        .post_json(
            "/api/v1/contributions",
            &json!({"kind": "case", "title": "本单位内部通报", "access": "open",
                    "share": "committee", "declaration": true}),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_str().unwrap().to_owned();
    let (status, body) = lib
        .post_json(&format!("/api/v1/resources/{id}/publish"), &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    id
}

async fn add(session: &Session, ids: &[&str]) -> (u16, Value) {
    session
        .post_json("/api/v1/basket/items", &json!({"resource_ids": ids}))
        .await
}

fn item_ids(basket: &Value) -> Vec<String> {
    basket["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["resource_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_domain_keeps_checks_and_sends_a_basket() {
    let (app, lib) = library().await;
    let customs = app.borrower("customs", "kunming-customs").await;
    app.add_user("tax", &[Role::Borrower], Some("yn-tax"));
    let tax_officer = app.login("tax", USER_PASSWORD).await;
    let hidden = committee_only(&lib, &tax_officer).await;
    let actor = actor_of(&app, "customs");
    let at = app.state.clock.moment();
    let mut conn = app.state.db.get().unwrap();
    let ids: Vec<String> = [
        "one", "many", "copy", "draft", "base", &hidden, "nowhere", "one",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let added = loans::add_to_basket(&mut conn, &actor, &ids, at).unwrap();
    assert_eq!(added.added, ["one", "many", "copy"]);
    assert_eq!(added.refused.len(), 4, "{:?}", added.refused);
    assert!(
        added.refused[1].reason.contains("预约参观"),
        "{:?}",
        added.refused
    );
    assert_eq!(added.items, 3);
    // Nothing to add at all: refused, naming the item.
    let refused = loans::add_to_basket(&mut conn, &actor, &["draft".to_owned()], at);
    assert!(
        matches!(refused, Err(LoanError::BadItem { index: 0, .. })),
        "{refused:?}"
    );
    // Already in: kept as it was.
    let again = loans::add_to_basket(&mut conn, &actor, &["many".to_owned()], at).unwrap();
    assert_eq!((again.added.len(), again.already.len()), (0, 1));

    // No period yet: nothing checked; the copy starts as physical.
    let basket = loans::basket(&conn, &actor, MONDAY).unwrap();
    assert!(basket.items.iter().all(|i| i.check == ItemCheck::Unchecked));
    assert_eq!(basket.items[2].format, loans::Format::Physical);
    assert!(!basket.items[2].digital && basket.items[2].physical);
    let terms = BasketTerms {
        start: Some(day(3)),
        end: Some(day(5)),
        purpose: Some("节前警示教育".into()),
        audience: Some(40),
    };
    loans::set_terms(&mut conn, &actor, terms, at).unwrap();
    let basket = loans::basket(&conn, &actor, MONDAY).unwrap();
    assert!(
        basket.items.iter().all(|i| i.check == ItemCheck::Fits),
        "{basket:?}"
    );
    let refused = loans::set_item_format(
        &mut conn,
        &actor,
        "copy",
        ItemFormat {
            format: Some("digital".into()),
        },
        at,
    );
    assert!(
        matches!(refused, Err(LoanError::Invalid { .. })),
        "{refused:?}"
    );
    let missing = loans::remove_from_basket(&mut conn, &actor, "draft", at);
    assert!(
        matches!(missing, Err(LoanError::NotInBasket(_))),
        "{missing:?}"
    );
    drop(conn);

    let batch = {
        let mut conn = app.state.db.get().unwrap();
        loans::send_basket(&mut conn, &actor, at).unwrap()
    };
    assert_eq!(batch.loans.len(), 3);
    assert!(batch.loans.iter().all(|l| l.batch_id == Some(batch.id)));
    assert_eq!(batch.purpose, "节前警示教育");
    let conn = app.state.db.get().unwrap();
    let empty = loans::basket(&conn, &actor, MONDAY).unwrap();
    assert!(empty.items.is_empty() && empty.start.is_none(), "{empty:?}");
    // A librarian without a unit has no basket.
    let librarian = actor_of(&app, "lib");
    assert!(matches!(
        loans::basket(&conn, &librarian, MONDAY),
        Err(LoanError::NoBasket)
    ));
    drop(customs);
}

#[tokio::test]
async fn items_are_checked_against_the_period_before_sending() {
    let (app, _lib) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    // Customs holds the only licence of `one` on days 4 to 6.
    requested(&customs, "one", "digital", &day(4), &day(6)).await;
    let (status, body) = add(&tax, &["one", "many"]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["added"], json!(["one", "many"]));
    let (status, basket) = tax
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/basket",
            &json!({"start": day(3), "end": day(5), "purpose": "节前警示教育", "audience": 30}),
        )
        .await;
    assert_eq!(status, 200, "{basket}");
    assert_eq!(basket["items"][0]["check"], "waitlist", "{basket}");
    // The nearest free period of the same length (three days): Tuesday to Thursday,
    // before the asked start (the days after it are taken up to the Monday after).
    let nearest = &basket["items"][0]["nearest"];
    assert_eq!(nearest["start"], day(1), "{basket}");
    assert_eq!(nearest["end"], day(3), "{basket}");
    assert_eq!(basket["items"][1]["check"], "fits");
    // The page says it before sending, with the title escaped.
    let (status, html) = page(&tax, "/basket").await;
    assert_eq!(status, 200);
    assert!(html.contains("将进入候补"), "{html}");
    assert!(
        html.contains(&format!("{} 至 {}", day(1), day(3))),
        "{html}"
    );
    assert!(html.contains("&#60;script&#62;alert(1)&#60;/script&#62;警示片"));
    assert!(!html.contains("<script>alert(1)"));
    // A period in the past is told beside the form, nothing is checked.
    let (status, basket) = tax
        .send_json(
            reqwest::Method::PUT,
            "/api/v1/basket",
            &json!({"start": day(-3), "end": day(-1), "purpose": "x", "audience": 3}),
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        basket["period_problem"].as_str().unwrap().contains("已过"),
        "{basket}"
    );
    // Refused terms change nothing.
    for bad in [
        json!({"start": "2027-02-30"}),
        json!({"start": day(5), "end": day(3)}),
        json!({"purpose": "长".repeat(201)}),
        json!({"audience": 0}),
        json!({"audience": "many"}),
    ] {
        let (status, answer) = tax
            .send_json(reqwest::Method::PUT, "/api/v1/basket", &bad)
            .await;
        assert_eq!(status, 422, "{bad}: {answer}");
    }
    let (_, basket) = tax.get_json("/api/v1/basket").await;
    assert_eq!(basket["start"], day(-3));

    // Send with the period back in order: one request, one waiting.
    tax.send_json(
        reqwest::Method::PUT,
        "/api/v1/basket",
        &json!({"start": day(3), "end": day(5), "purpose": "节前警示教育", "audience": 30}),
    )
    .await;
    let (status, batch) = tax.post_json("/api/v1/basket/send", &json!({})).await;
    assert_eq!(status, 201, "{batch}");
    assert_eq!(loan_statuses(&batch), ["waitlisted", "requested"]);
    let (_, basket) = tax.get_json("/api/v1/basket").await;
    assert!(item_ids(&basket).is_empty());
    // Sending an empty basket is refused in words.
    let (status, body) = tax.post_json("/api/v1/basket/send", &json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("空"));
    // The unit's loans page marks the batch's loans.
    let (_, html) = page(&tax, &format!("/loans?batch={}", batch["id"])).await;
    assert!(
        html.contains(&format!("已提交借阅清单 #{}", batch["id"])),
        "{html}"
    );
    assert!(html.contains(&format!("清单 #{}", batch["id"])));
}

#[tokio::test]
async fn a_refused_item_keeps_the_basket_and_sends_nothing() {
    let (app, lib) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    add(&tax, &["many", "one"]).await;
    tax.send_json(
        reqwest::Method::PUT,
        "/api/v1/basket",
        &json!({"start": day(3), "end": day(5), "purpose": "学习", "audience": 30}),
    )
    .await;
    // `one` is withdrawn meanwhile: the basket shows it by id only, and refuses to send.
    let (status, body) = lib
        .post_json("/api/v1/resources/one/withdraw", &json!({}))
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, basket) = tax.get_json("/api/v1/basket").await;
    assert_eq!(basket["items"][1]["check"], "refused", "{basket}");
    assert_eq!(basket["items"][1]["title"], "");
    let loans_before = app.count("SELECT count(*) FROM loans");
    let (status, body) = tax.post_json("/api/v1/basket/send", &json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["item"]["index"], 1);
    assert_eq!(app.count("SELECT count(*) FROM loans"), loans_before);
    assert_eq!(app.count("SELECT count(*) FROM loan_batches"), 0);
    let (_, basket) = tax.get_json("/api/v1/basket").await;
    assert_eq!(item_ids(&basket), ["many", "one"]);
    // Missing terms are said before anything is looked up.
    let (status, _) = tax
        .send_json(
            reqwest::Method::DELETE,
            "/api/v1/basket/items/one",
            &json!({}),
        )
        .await;
    assert_eq!(status, 200);
    tax.send_json(reqwest::Method::PUT, "/api/v1/basket", &json!({}))
        .await;
    let (status, body) = tax.post_json("/api/v1/basket/send", &json!({})).await;
    assert_eq!(status, 422, "{body}");
    assert!(body["error"]["message"].as_str().unwrap().contains("用途"));
}

#[tokio::test]
async fn only_what_the_unit_may_borrow_goes_in_and_the_limit_holds() {
    let (app, lib) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    let hidden = committee_only(&lib, &tax).await;
    for (id, words) in [
        ("draft", "没有编号为“draft”的资源"),
        ("base", "预约参观"),
        (hidden.as_str(), "的资源"),
        ("../../etc/passwd", "的资源"),
    ] {
        let (status, body) = add(&customs, &[id]).await;
        assert_eq!(status, 422, "{id}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{id}: {message}");
    }
    // The contributing unit itself may borrow its own contribution.
    let (status, body) = add(&tax, &[&hidden]).await;
    assert_eq!(status, 200, "{body}");
    // Mixed: the good ones go in, the others are named.
    let (status, body) = add(&customs, &["many", "draft", "copy"]).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["added"], json!(["many", "copy"]));
    assert_eq!(body["refused"][0]["resource_id"], "draft");
    let (_, basket) = customs.get_json("/api/v1/basket").await;
    assert_eq!(item_ids(&basket), ["many", "copy"]);

    // At most 50 items; more than 200 ids at once is refused outright.
    for i in 0..50 {
        lendable(&lib, &format!("bulk-{i}"), None, 0).await;
    }
    let bulk: Vec<String> = (0..50).map(|i| format!("bulk-{i}")).collect();
    let bulk: Vec<&str> = bulk.iter().map(String::as_str).collect();
    let (status, body) = add(&customs, &bulk).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["added"].as_array().unwrap().len(), 48);
    assert_eq!(body["items"], 50);
    assert!(
        body["refused"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("最多 50 项"),
        "{body}"
    );
    let many: Vec<String> = (0..201).map(|i| format!("x{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let (status, body) = add(&customs, &many).await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(
        app.count("SELECT count(*) FROM basket_items"),
        51,
        "50 for customs, 1 for tax"
    );
}

#[tokio::test]
async fn the_basket_survives_signing_out_and_is_nobody_elses() {
    let (app, _lib) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    let customs = app.borrower("customs", "kunming-customs").await;
    add(&tax, &["many", "copy"]).await;
    let (status, _) = tax
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/basket/items/copy",
            &json!({"format": "physical"}),
        )
        .await;
    assert_eq!(status, 200);
    // Sign out, sign in again: still there.
    let (status, _) = tax
        .send_json(reqwest::Method::DELETE, "/api/v1/session", &json!({}))
        .await;
    assert!(status < 300, "{status}");
    let (status, _) = tax.get_json("/api/v1/basket").await;
    assert_eq!(status, 401);
    let again = app.login("tax", USER_PASSWORD).await;
    let (_, basket) = again.get_json("/api/v1/basket").await;
    assert_eq!(item_ids(&basket), ["many", "copy"]);

    // Another unit's officer sees an empty basket and cannot touch this one.
    let (_, theirs) = customs.get_json("/api/v1/basket").await;
    assert!(item_ids(&theirs).is_empty());
    for (method, path, body) in [
        (
            reqwest::Method::DELETE,
            "/api/v1/basket/items/many",
            json!({}),
        ),
        (
            reqwest::Method::PATCH,
            "/api/v1/basket/items/copy",
            json!({"format": "digital"}),
        ),
    ] {
        let (status, answer) = customs.send_json(method, path, &body).await;
        assert_eq!(status, 404, "{path}: {answer}");
    }
    // A colleague of the same unit has a basket of their own, too.
    let colleague = app.borrower("tax2", "yn-tax").await;
    let (_, theirs) = colleague.get_json("/api/v1/basket").await;
    assert!(item_ids(&theirs).is_empty());
    let (_, basket) = again.get_json("/api/v1/basket").await;
    assert_eq!(item_ids(&basket), ["many", "copy"]);

    // A librarian without a unit has none: a clear 403, on the API and the page.
    let admin = app.admin().await;
    let (status, body) = admin.get_json("/api/v1/basket").await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "no_basket");
    let (status, html) = page(&admin, "/basket").await;
    assert_eq!(status, 403);
    assert!(html.contains("借阅清单供各单位的借阅账号使用"), "{html}");
    // Unknown items and formats.
    let (status, _) = again
        .send_json(
            reqwest::Method::DELETE,
            "/api/v1/basket/items/nowhere",
            &json!({}),
        )
        .await;
    assert_eq!(status, 404);
    let (status, body) = again
        .send_json(
            reqwest::Method::PATCH,
            "/api/v1/basket/items/many",
            &json!({"format": "<b>vhs</b>"}),
        )
        .await;
    assert_eq!(status, 422, "{body}");
}

/// Posts `pairs` to `path` without following the redirect: status and `Location`.
async fn post_raw(session: &Session, path: &str, pairs: &[(&str, &str)]) -> (u16, String) {
    let resp = session
        .client
        .post(session.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form_body(pairs))
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (resp.status().as_u16(), location)
}

#[tokio::test]
async fn the_add_form_returns_to_a_page_of_this_site_with_a_notice() {
    let (app, _lib) = library().await;
    app.add_user("tax", &[Role::Borrower], Some("yn-tax"));
    let tax = signed_in_no_redirects(&app, "tax", USER_PASSWORD).await;
    let (_, html) = page(&tax, "/search?q=%E8%AD%A6%E7%A4%BA").await;
    let csrf = csrf_of(&html);
    // The contract: several `resource_id`s, `_csrf`, `back`.
    let (status, location) = post_raw(
        &tax,
        "/basket/items",
        &[
            ("_csrf", &csrf),
            ("resource_id", "many"),
            ("resource_id", "copy"),
            ("resource_id", "draft"),
            ("back", "/search?q=%E8%AD%A6%E7%A4%BA"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(location, "/search?q=%E8%AD%A6%E7%A4%BA");
    let (_, html) = page(&tax, &location).await;
    assert!(html.contains("已加入借阅清单（2 项）"), "{html}");
    assert!(html.contains("1 项不能借阅"), "{html}");
    // Shown once.
    let (_, html) = page(&tax, &location).await;
    assert!(!html.contains("已加入借阅清单（"), "the notice came back");
    // The navigation counts the items.
    assert!(
        html.contains("借阅清单 <span class=\"nav-count basket-count\""),
        "{html}"
    );
    // Never another site: back to the basket instead.
    for evil in [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/login?next=//evil.example",
    ] {
        let (status, location) = post_raw(
            &tax,
            "/basket/items",
            &[("csrf", &csrf), ("resource_id", "one"), ("back", evil)],
        )
        .await;
        assert_eq!((status, location.as_str()), (303, "/basket"), "{evil}");
    }
    // Without the form token: refused, nothing added.
    let before = app.count("SELECT count(*) FROM basket_items");
    let (status, _) = post_raw(&tax, "/basket/items", &[("resource_id", "one")]).await;
    assert_eq!(status, 403);
    assert_eq!(app.count("SELECT count(*) FROM basket_items"), before);
    // Nothing addable: back with the refusal said.
    let (status, location) = post_raw(
        &tax,
        "/basket/items",
        &[
            ("csrf", &csrf),
            ("resource_id", "base"),
            ("back", "/resources/base"),
        ],
    )
    .await;
    assert_eq!((status, location.as_str()), (303, "/resources/base"));
    let (_, html) = page(&tax, "/resources/base").await;
    assert!(html.contains("没有加入借阅清单"), "{html}");
    // A planted notice cookie says nothing of its own (sent beside the session's).
    let plain = reqwest::Client::new();
    let signed = plain
        .post(app.url("/api/v1/session"))
        .header("origin", app.url(""))
        .json(&json!({"username": "tax", "password": USER_PASSWORD}))
        .send()
        .await
        .unwrap();
    let session = signed.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    for planted in ["<script>alert(1)</script>", "basket.1.0.0<b>", "note.1.0.0"] {
        let resp = plain
            .get(app.url("/basket"))
            .header("cookie", format!("{session}; jingshi_flash={planted}"))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{planted}: still signed in");
        let html = resp.text().await.unwrap();
        assert!(html.contains("<h1>借阅清单</h1>"), "{planted}");
        assert!(!html.contains("notice flash"), "{planted}");
        assert!(!html.contains("<script>alert(1)"), "{planted}");
    }
    // A genuine code is said in words.
    let resp = plain
        .get(app.url("/basket"))
        .header("cookie", format!("{session}; jingshi_flash=basket.2.0.0"))
        .send()
        .await
        .unwrap();
    assert!(
        resp.text()
            .await
            .unwrap()
            .contains("已加入借阅清单（2 项）")
    );
}

#[tokio::test]
async fn the_pages_add_from_search_and_resource_and_send_with_the_form() {
    let (app, _lib) = library().await;
    let tax = app.borrower("tax", "yn-tax").await;
    // The buttons: on a loanable hit and the resource page, not on the base.
    let (_, html) = page(&tax, "/resources/many").await;
    assert!(html.contains("加入借阅清单"), "{html}");
    let (_, html) = page(&tax, "/resources/base").await;
    assert!(!html.contains("action=\"/basket/items\""));
    let (_, html) = page(
        &tax,
        "/search?q=%E8%AD%A6%E7%A4%BA%E6%95%99%E8%82%B2%E5%9F%BA%E5%9C%B0",
    )
    .await;
    assert!(
        html.contains("href=\"/resources/base\""),
        "the base is found"
    );
    assert!(
        !html.contains("name=\"resource_id\" value=\"base\""),
        "a base offers no button"
    );
    let csrf = csrf_of(&html);
    let (status, url, html) = post_form(
        &tax,
        "/basket/items",
        &[
            ("csrf", &csrf),
            ("resource_id", "many"),
            ("back", "/resources/many#loan"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        url.ends_with("/resources/many#loan") || url.ends_with("/resources/many"),
        "{url}"
    );
    assert!(html.contains("已在借阅清单"), "{html}");
    post_form(
        &tax,
        "/basket/items",
        &[("csrf", &csrf), ("resource_id", "copy")],
    )
    .await;

    // A refused terms form comes back with what was typed and why.
    let purpose = "<b>节前</b>警示教育";
    let (status, _, html) = post_form(
        &tax,
        "/basket/terms",
        &[
            ("csrf", &csrf),
            ("start", &day(3)),
            ("end", &day(5)),
            ("purpose", purpose),
            ("audience", "很多"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("参加人数“很多”应为整数"), "{html}");
    assert!(
        html.contains("&#60;b&#62;节前&#60;/b&#62;警示教育"),
        "{html}"
    );
    assert!(html.contains(&format!("value=\"{}\"", day(3))));
    // Saved, then every item is checked.
    let (status, url, html) = post_form(
        &tax,
        "/basket/terms",
        &[
            ("csrf", &csrf),
            ("start", &day(3)),
            ("end", &day(5)),
            ("purpose", "节前警示教育"),
            ("audience", "45"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("/basket?done=saved"), "{url}");
    assert!(html.contains("2 项可借"), "{html}");
    // The format of the copy cannot be digital: said beside the item.
    let (status, _, html) = post_form(
        &tax,
        "/basket/format",
        &[
            ("csrf", &csrf),
            ("resource_id", "copy"),
            ("format", "digital"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("没有可借的数字许可"), "{html}");
    // Remove, then send with the form.
    let (status, url, _) = post_form(
        &tax,
        "/basket/remove",
        &[("csrf", &csrf), ("resource_id", "copy")],
    )
    .await;
    assert_eq!(status, 200);
    assert!(url.contains("done=removed"));
    let (status, url, html) = post_form(
        &tax,
        "/basket/send",
        &[
            ("csrf", &csrf),
            ("start", &day(3)),
            ("end", &day(5)),
            ("purpose", "节前警示教育"),
            ("audience", "45"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(url.contains("/loans?batch="), "{url}");
    assert!(html.contains("已提交借阅清单"), "{html}");
    assert_eq!(
        app.count("SELECT count(*) FROM loans WHERE batch_id IS NOT NULL"),
        1
    );
    assert_eq!(app.count("SELECT count(*) FROM basket_items"), 0);
    // Sending an empty basket by the form says so beside the form.
    let (status, _, html) = post_form(
        &tax,
        "/basket/send",
        &[
            ("csrf", &csrf),
            ("start", &day(3)),
            ("end", &day(5)),
            ("purpose", "x"),
            ("audience", "3"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("借阅清单是空的"), "{html}");
}
