//! The demo's two collections over the demo catalogue (content/demo/manifest.json):
//! one for 中秋国庆 and one for 元旦春节, published on first start so that the home
//! page, the collection pages and the holiday reminders' links show something. The
//! texts are the demo's own, marked 示例 like the catalogue they draw on.

use rusqlite::Connection;

use super::model::{CollectionId, CollectionInput, ItemInput};
use super::{CollectionError, create, publish};
use crate::actor::Actor;
use crate::clock::Moment;

struct DemoCollection {
    title: &'static str,
    intro: &'static str,
    season: &'static str,
    items: &'static [(&'static str, &'static str)],
}

const DEMO: [DemoCollection; 2] = [
    DemoCollection {
        title: "中秋国庆节前警示教育专题",
        intro: "示例专题。中秋、国庆前后是违规收送月饼、礼品礼金和公款吃喝的易发期。本专题按一次节前警示教育会的顺序编排：先通报典型问题，再看警示片和忏悔录，最后安排参观。可整套加入借阅清单，一次申请。",
        season: "zhongqiu",
        items: &[
            (
                "demo-mid-autumn-notice",
                "会议开始时通报，点明节日期间“四风”问题的新表现",
            ),
            (
                "demo-video-mooncake",
                "建议在会前播放（约 20 分钟），播放后请班子成员谈体会",
            ),
            (
                "demo-tax-invoice-case",
                "身边案例：税务系统节日收受月饼、礼金问题，可用于分组讨论",
            ),
            (
                "demo-confession-tax-deputy",
                "会后印发或选读片段，对照“小节”谈认识",
            ),
            (
                "demo-base-integrity-hall",
                "节前一周内组织集中参观，需提前预约场次",
            ),
        ],
    },
    DemoCollection {
        title: "元旦春节廉洁过节专题",
        intro: "示例专题。元旦春节期间聚餐、走访、送礼集中，要严防“节日病”。本专题围绕中央八项规定精神，选取教材、警示片、风腐同查案例、忏悔录和监狱警示教育基地，供节前集中学习和现身说法教育使用。",
        season: "chunjie",
        items: &[
            (
                "demo-textbook-eight-rules",
                "学习“四风”隐形变异新表现，可作为集中学习材料",
            ),
            (
                "demo-video-banquet",
                "建议在会前播放，聚焦公款吃喝和私人会所问题",
            ),
            (
                "demo-communications-fengfu-case",
                "风腐同查典型案例，用于分组讨论“由风及腐”",
            ),
            (
                "demo-bank-loan-case",
                "金融系统案例：公款吃喝背后的利益输送",
            ),
            (
                "demo-confession-bank-teng",
                "选读“圈子”“面子”部分，对照检视节日人情往来",
            ),
            (
                "demo-base-prison",
                "节前组织参观，听取服刑人员现身说法；须提交参观人员名单",
            ),
        ],
    },
];

/// Creates and publishes the demo collections over the demo items that are in the
/// catalogue (an item missing from it is left out); answers their ids.
pub fn add_demo_collections(
    conn: &mut Connection,
    actor: &Actor,
    at: Moment,
) -> Result<Vec<CollectionId>, CollectionError> {
    let mut added = Vec::new();
    for demo in &DEMO {
        let ids: Vec<String> = demo.items.iter().map(|(id, _)| (*id).to_owned()).collect();
        let present = crate::catalog::read::titles(conn, &ids)?;
        let items: Vec<ItemInput> = demo
            .items
            .iter()
            .filter(|(id, _)| present.iter().any(|(found, _)| found == id))
            .map(|(id, note)| ItemInput {
                resource_id: (*id).to_owned(),
                note: Some((*note).to_owned()),
            })
            .collect();
        if items.is_empty() {
            continue;
        }
        let input = CollectionInput {
            title: demo.title.to_owned(),
            intro: Some(demo.intro.to_owned()),
            items,
            sectors: Vec::new(),
            season: Some(demo.season.to_owned()),
        };
        let id = create(conn, actor, input, at)?;
        publish(conn, actor, id, at)?;
        added.push(id);
    }
    Ok(added)
}
