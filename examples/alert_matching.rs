//! Saved-search alert matching: `cargo run --release --example alert_matching
//! [-- SEARCHES [RUNS]]`. Prints figures; it is not a test.
//!
//! Builds a data folder with the demo catalogue indexed, 200 borrowers in the 12 demo
//! units and SEARCHES saved searches (default 1,000: words, kinds, sectors and years
//! varied, so that nearly every one is a distinct request for a distinct audience).
//! Then, RUNS times (default 20), a librarian publishes one new resource, the index
//! catches up, and `alerts::match_publications` checks that one publication against
//! every saved search; the time of that check is what is reported. With `PROBE=1` in
//! the environment it also prints what one check of a few kinds of request costs.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::time::{Duration, Instant};

use jingshi::accounts::{NewUser, Role, sessions::load_user};
use jingshi::actor::Actor;
use jingshi::alerts::{SavedSearchInput, match_publications, saved};
use jingshi::app::AppState;
use jingshi::catalog::curation::{CurationCommand, curate};
use jingshi::config::{DataDir, Settings};
use jingshi::indexer;
use serde_json::json;

const USERS: usize = 200;
const WORDS: [&str; 20] = [
    "月饼",
    "礼金",
    "公款吃喝",
    "八项规定",
    "受贿",
    "贪污",
    "挪用公款",
    "滥用职权",
    "公车私用",
    "大操大办",
    "购物卡",
    "高档烟酒",
    "违规发放",
    "津贴补贴",
    "旅游",
    "宴请",
    "红包",
    "婚丧喜庆",
    "节日",
    "形式主义",
];
const KINDS: [&str; 5] = ["", "case", "video", "confession", "textbook"];

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let searches: usize = args.next().map_or(Ok(1000), |a| a.parse())?;
    let runs: usize = args.next().map_or(Ok(20), |a| a.parse())?;

    let dir = tempfile::tempdir()?;
    copy_tree(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("content/demo"),
        &dir.path().join("content/demo"),
    );
    let settings = Settings {
        admin_password: Some("bench-password".to_owned()),
        ..Settings::new(DataDir::new(dir.path()))
    };
    let state = AppState::open(settings)?;
    indexer::prepare(&state.db, &state.search, true)?;
    let at = state.clock.moment();
    // What the demo catalogue's first start published is checked before timing.
    match_publications(&state.db, &state.search, at)?;

    let mut conn = state.db.get()?;
    let units: Vec<String> = jingshi::accounts::list_units(&conn)?
        .into_iter()
        .map(|u| u.code)
        .collect();
    let hash = jingshi::accounts::password::hash_password("bench-password")?;
    let mut actors = Vec::with_capacity(USERS);
    for n in 0..USERS {
        let username = format!("officer-{n}");
        let user = NewUser {
            username: &username,
            password_hash: &hash,
            roles: &[Role::Borrower],
            unit: Some(&units[n % units.len()]),
            email: None,
        };
        let id = jingshi::accounts::create_user(&mut conn, &Actor::operator("bench"), &user, at)?;
        actors.push(Actor::user(&load_user(&conn, id)?.unwrap()));
    }
    for n in 0..searches {
        let word = WORDS[n % WORDS.len()];
        let kind = KINDS[(n / WORDS.len()) % KINDS.len()];
        let year = 2000 + (n / (WORDS.len() * KINDS.len())) as i32;
        let query = format!("q={word}&kind={kind}&year_from={year}");
        let input = SavedSearchInput {
            name: format!("订阅 {n}"),
            query,
        };
        saved::save(&mut conn, &actors[n % USERS], &input, at)?;
    }
    let librarian = Actor::operator("bench-librarian");
    let mut times = Vec::with_capacity(runs);
    let mut matches = 0;
    for run in 0..runs {
        let input = serde_json::from_value(json!({
            "id": format!("bench-new-{run}"),
            "kind": "case",
            "title": format!("节日期间违规收受月饼礼金问题典型案例（{run}）"),
            "summary": "某局干部在中秋节前违规收受管理服务对象所送月饼、购物卡，并参加公款宴请。",
            "date": "2026",
            "access": "open",
            "status": "published",
        }))?;
        curate(&mut conn, &librarian, CurationCommand::Create(input), at)?;
        indexer::catch_up(&state.db, &state.search)?;
        let started = Instant::now();
        let matched = match_publications(&state.db, &state.search, at)?;
        times.push(started.elapsed());
        assert_eq!(matched.publications, 1, "one publication checked");
        matches += matched.matches;
    }
    if std::env::var_os("PROBE").is_some() {
        probe(&state, &["bench-new-0".to_owned()]);
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{searches} saved searches × 1 publication, {runs} runs: median {:.1} ms, min {:.1} ms, max {:.1} ms ({:.1} µs per saved search); {} matches recorded",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        ms(times[times.len() / 2]) * 1000.0 / searches.max(1) as f64,
        matches
    );
    Ok(())
}

/// What one check of a few kinds of request costs against one new document.
fn probe(state: &AppState, ids: &[String]) {
    use jingshi::search::{Audience, SearchParams};
    for (label, query, audience) in [
        ("words", "q=月饼", Audience::librarian()),
        (
            "words+scope",
            "q=月饼",
            Audience::borrower(Some("yn-tax"), Some("税务")),
        ),
        ("words+kind", "q=月饼&kind=case", Audience::librarian()),
        ("words+year", "q=月饼&year_from=2010", Audience::librarian()),
        ("empty", "", Audience::librarian()),
    ] {
        let request = SearchParams::from_query_string(query)
            .unwrap()
            .request_for(audience)
            .unwrap();
        let matcher = state.search.matcher();
        let started = Instant::now();
        for _ in 0..200 {
            matcher.matching(&request, ids).unwrap();
        }
        println!(
            "{label}: {:.0} µs",
            started.elapsed().as_secs_f64() * 1e6 / 200.0
        );
    }
}
