//! The demo's sample contribution (SPEC §9): a case bulletin of 云南省消防救援总队,
//! fictional and marked 示例, submitted by the unit on first start and awaiting review
//! with findings of the privacy check, so that the review queue shows something. Its
//! text is `content/demo/contributions/` (tracked, only read).

use std::path::Path;

use rusqlite::Connection;

use super::contributions::{self, ContributionInput};
use super::curation::attach_upload;
use super::import::{discard_unreferenced_conn, store_and_extract};
use super::model::ResourceId;
use super::write::NewFile;
use super::{CatalogError, Kind};
use crate::actor::Actor;
use crate::clock::Moment;
use crate::content::FileStore;

/// The sample contribution's id.
pub const DEMO_CONTRIBUTION: &str = "demo-contribution-fire-inspection-gifts";
/// The demo unit that contributes it.
pub const DEMO_CONTRIBUTOR: &str = "yn-fire";
/// Its file, relative to the demo catalogue's folder.
const DEMO_FILE: &str = "contributions/fire-inspection-gifts-case.md";

/// The unit as the contributions domain sees it: a borrower of that unit (no account
/// is made for it; the audit log names the demo).
fn contributor() -> Actor {
    Actor {
        user_id: None,
        username: "demo".to_owned(),
        unit: Some(DEMO_CONTRIBUTOR.to_owned()),
        librarian: false,
        admin: false,
    }
}

fn input() -> ContributionInput {
    ContributionInput {
        id: Some(DEMO_CONTRIBUTION.to_owned()),
        kind: Kind::Case.as_str().to_owned(),
        title: "某支队原大队长违规收受消防检查对象礼金、插手工程项目案通报（示例投稿）".to_owned(),
        summary: Some(
            "示例投稿：某消防救援大队原大队长利用消防监督检查、工程验收职务便利收受经营者现金、购物卡和节日礼品，\
             插手工程项目，受到开除党籍、开除公职处分并被移送审查起诉。投稿文件含未脱敏的姓名、证件号码和手机号码，供演示脱敏检查。"
                .to_owned(),
        ),
        tags: ["典型案例通报", "消防监督检查", "节日腐败", "示例投稿"]
            .map(str::to_owned)
            .to_vec(),
        sectors: vec!["消防救援".to_owned()],
        violations: ["受贿", "违反中央八项规定精神", "违规收送礼品礼金"]
            .map(str::to_owned)
            .to_vec(),
        region: Some("云南省".to_owned()),
        date: Some("2025-09-12".to_owned()),
        source: Some("云南省消防救援总队纪委（示例）".to_owned()),
        access: Some("open".to_owned()),
        share: Some("all".to_owned()),
        declaration: Some(true),
        ..ContributionInput::default()
    }
}

/// Submits the sample contribution with its file when its unit and file are there and
/// it is not yet in the catalogue; answers its id when it was added.
pub fn add_demo_contribution(
    conn: &mut Connection,
    store: &FileStore,
    demo_folder: &Path,
    at: Moment,
) -> Result<Option<ResourceId>, CatalogError> {
    let path = demo_folder.join(DEMO_FILE);
    let unit_known: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM units WHERE code = ?1)",
        [DEMO_CONTRIBUTOR],
        |row| row.get(0),
    )?;
    let taken: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM resources WHERE id = ?1)",
        [DEMO_CONTRIBUTION],
        |row| row.get(0),
    )?;
    if !unit_known || taken || !path.is_file() {
        return Ok(None);
    }
    let name = Path::new(DEMO_FILE)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(DEMO_FILE);
    // Stored first, so that a file the store refuses leaves no contribution behind.
    let (blob, extraction) = store_and_extract(store, &path, name)?;
    let actor = contributor();
    let attached = contributions::submit(conn, &actor, input(), at).and_then(|id| {
        let file = NewFile {
            blob: &blob,
            original_name: name,
            extraction: &extraction,
            duration: None,
        };
        attach_upload(conn, &actor, &id, file, at).map(|_| id)
    });
    if attached.is_err() {
        discard_unreferenced_conn(conn, store, std::iter::once(&blob));
    }
    attached.map(Some)
}
