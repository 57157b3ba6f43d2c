//! Circulation at the desk: barcodes as people and scanners type them.

use serde_json::json;

use crate::common::TestApp;
use crate::common::lending::{MONDAY, act, act_ok, approved, day};

#[tokio::test]
async fn barcodes_match_whatever_their_case_spaces_or_width() {
    let app = TestApp::spawn_with_demo_on(MONDAY).await;
    let lib = app.librarian("lib").await;
    let officer = app.borrower("officer", "yn-tobacco").await;
    let other = app.borrower("other", "yn-tax").await;
    let r = "demo-tobacco-procurement-case";

    let loan = approved(&lib, &officer, r, "physical", &day(0), &day(3)).await;
    // Another resource's copy stays refused under its catalogue spelling.
    let (status, body) = act(&lib, &loan, "issue", json!({"barcode": " js-0001 "})).await;
    assert_eq!(status, 409, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("JS-0001"),
        "{body}"
    );
    // A barcode that names nothing is still refused with what was typed.
    let (status, body) = act(&lib, &loan, "issue", json!({"barcode": "<b>JS-9</b>"})).await;
    assert_eq!(status, 422, "{body}");
    let issued = act_ok(&lib, &loan, "issue", json!({"barcode": "  js-0004 "})).await;
    assert_eq!(issued["barcode"], "JS-0004", "{issued}");
    act_ok(&lib, &loan, "return", json!({"condition": "good"})).await;

    // Typed with a Chinese input method: full-width letters, digits and dash.
    let next = approved(&lib, &other, r, "physical", &day(0), &day(2)).await;
    let issued = act_ok(&lib, &next, "issue", json!({"barcode": "ｊｓ－０００４"})).await;
    assert_eq!(issued["barcode"], "JS-0004", "{issued}");
    let (_, notes) = other.get_json("/api/v1/notifications").await;
    assert!(notes.to_string().contains("（JS-0004）"), "{notes}");
}
