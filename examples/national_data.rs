//! The synthetic national data set of issue 22:
//! `cargo run --release --example national_data -- DIR [--scale F]`.
//!
//! Writes a complete data folder in DIR (`content/jingshi.db` and `index/`, the layout
//! `jingshi --data DIR serve` uses). At scale 1.0: 2,000 units in 40 sectors with one
//! borrower each, a few librarians, 100,000 resources of every kind with titles and
//! summaries cut from the real Chinese text of `../shared/corpus`, 2,000,000 loans over
//! the five years ending today in every state, long waitlists on a few hundred popular
//! items, usage reports, 200,000 notifications and an audit log of one or two rows per
//! loan. `--scale 0.05` writes 5% of everything.
//!
//! The rows are written with SQL, not through the workflow: two million requests
//! through the use cases would take hours and measure the workflow. The generator keeps
//! the rules the workflow keeps: the CHECK constraints, capacity (every loan that holds
//! a licence or copy sits in a lane of its resource and format, and lanes never
//! overlap), one open loan per unit and resource, one holder per copy. Everything comes
//! from a fixed-seed generator, so two runs at one scale write the same rows (but
//! "today": the history always ends on the day of the run).
//!
//! Passwords: `admin` (librarian and admin), `librarian1`…`librarian5`, and a borrower
//! per unit `officer-u0001`… all with the password printed at the end.

// Benchmarks and tools: a failed step ends the run with its message.
#![allow(clippy::unwrap_used, clippy::too_many_lines)]

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, bail};
use jingshi::config::DataDir;
use jingshi::db::Database;
use rusqlite::{Connection, params};

/// The password of every generated account.
pub const PASSWORD: &str = "National-bench-2026";
const UNITS: f64 = 2_000.0;
const RESOURCES: f64 = 100_000.0;
const LOANS: f64 = 2_000_000.0;
const POPULAR: f64 = 300.0;
const NOTIFICATIONS: f64 = 200_000.0;
/// Five years of history before today, and the bookings ahead of it.
const HISTORY_DAYS: i32 = 1_826;
const FUTURE_DAYS: i32 = 120;
/// Rows per write transaction.
const CHUNK: usize = 100_000;

const SECTORS: [&str; 40] = [
    "税务",
    "海关",
    "烟草",
    "金融",
    "气象",
    "粮食和物资储备",
    "通信",
    "新闻",
    "科研",
    "消防救援",
    "矿山安全",
    "应急管理",
    "市场监管",
    "邮政",
    "铁路",
    "民航",
    "电力",
    "统计",
    "审计",
    "地震",
    "自然资源",
    "生态环境",
    "水利",
    "交通运输",
    "农业农村",
    "商务",
    "文化旅游",
    "卫生健康",
    "医疗保障",
    "人力资源社会保障",
    "住房城乡建设",
    "外汇管理",
    "证券监管",
    "保险",
    "银行",
    "石油石化",
    "林业草原",
    "海事",
    "出入境边防",
    "药品监管",
];
const PROVINCES: [&str; 31] = [
    "北京",
    "天津",
    "河北",
    "山西",
    "内蒙古",
    "辽宁",
    "吉林",
    "黑龙江",
    "上海",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "广西",
    "海南",
    "重庆",
    "四川",
    "贵州",
    "云南",
    "西藏",
    "陕西",
    "甘肃",
    "青海",
    "宁夏",
    "新疆",
];
const KINDS: [&str; 5] = ["video", "case", "confession", "textbook", "base"];
const VIOLATIONS: [&str; 10] = [
    "受贿",
    "贪污",
    "挪用公款",
    "违反中央八项规定精神",
    "滥用职权",
    "违规收送礼品礼金",
    "利用职务便利为他人谋取利益",
    "公款吃喝",
    "玩忽职守",
    "违规经商办企业",
];
const TAGS: [&str; 12] = [
    "身边人身边事",
    "节日廉洁",
    "一把手",
    "年轻干部",
    "靠企吃企",
    "四风",
    "政治监督",
    "以案促改",
    "家风建设",
    "监督执纪",
    "基层微腐败",
    "违规吃喝",
];
const PURPOSES: [&str; 6] = [
    "专题警示教育大会",
    "党支部主题党日",
    "新任职干部廉政谈话",
    "节前廉洁提醒",
    "以案促改专题民主生活会",
    "年轻干部培训班",
];
const FEEDBACK: [&str; 5] = [
    "干部反响强烈，触动较深",
    "结合本单位案例开展了讨论",
    "材料贴近实际，效果良好",
    "建议增加同行业案例",
    "组织观看后撰写心得体会",
];

/// A small deterministic generator (64-bit LCG, high bits), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    fn range(&mut self, low: i32, high: i32) -> i32 {
        low + self.below((high - low + 1).max(1) as u64) as i32
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn unit(&mut self) -> f64 {
        self.below(1 << 30) as f64 / f64::from(1u32 << 30)
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// How much of everything, from `--scale`.
struct Sizes {
    units: usize,
    resources: usize,
    loans: usize,
    popular: usize,
    notifications: usize,
}

impl Sizes {
    fn at(scale: f64) -> Self {
        let n = |x: f64, min: usize| ((x * scale).round() as usize).max(min);
        Self {
            units: n(UNITS, 40),
            resources: n(RESOURCES, 200),
            loans: n(LOANS, 1_000),
            popular: n(POPULAR, 5),
            notifications: n(NOTIFICATIONS, 100),
        }
    }
}

/// Day numbers: 0 is the first day of the history, `HISTORY_DAYS` is today.
struct Days {
    names: Vec<String>,
}

impl Days {
    fn new(today: jiff::civil::Date) -> anyhow::Result<Self> {
        let first = today.checked_sub(jiff::Span::new().days(i64::from(HISTORY_DAYS)))?;
        let mut names = Vec::new();
        let mut day = first;
        for _ in 0..=(HISTORY_DAYS + FUTURE_DAYS + 200) {
            names.push(day.to_string());
            day = day.tomorrow()?;
        }
        Ok(Self { names })
    }
    fn date(&self, day: i32) -> &str {
        &self.names[day.clamp(0, self.names.len() as i32 - 1) as usize]
    }
    /// An RFC 3339 stamp in UTC within the library's working hours (09:00–17:00 in Beijing).
    fn stamp(&self, day: i32, second: u32) -> String {
        let s = second % (8 * 3600);
        format!(
            "{}T{:02}:{:02}:{:02}Z",
            self.date(day),
            1 + s / 3600,
            s / 60 % 60,
            s % 60
        )
    }
}

/// Sentences and clauses of real Chinese text, for titles and summaries.
struct Corpus {
    sentences: Vec<String>,
    clauses: Vec<String>,
}

fn read_corpus(root: &Path) -> anyhow::Result<Corpus> {
    let mut texts = Vec::new();
    for file in ["ccdi/articles.jsonl", "cmrc2018/passages.jsonl"] {
        let body = std::fs::read_to_string(root.join(file))
            .with_context(|| format!("reading {}", root.join(file).display()))?;
        for line in body.lines() {
            let value: serde_json::Value = serde_json::from_str(line)?;
            for field in ["title", "body", "text"] {
                if let Some(text) = value[field].as_str() {
                    texts.push(text.to_owned());
                }
            }
        }
    }
    // A sorted share of the laws, so the pool is the same on every run.
    let mut laws = Vec::new();
    collect_markdown(&root.join("laws"), &mut laws)?;
    laws.sort();
    for path in laws.iter().step_by(4) {
        texts.push(std::fs::read_to_string(path)?);
    }
    let mut sentences = Vec::new();
    let mut clauses = Vec::new();
    for text in &texts {
        for sentence in text.split(['。', '！', '？', '；', '\n']) {
            let sentence =
                sentence.trim_matches(|c: char| c.is_whitespace() || c == '#' || c == '*');
            let chars = sentence.chars().count();
            if !(8..=80).contains(&chars) || !sentence.chars().any(is_han) {
                continue;
            }
            for clause in sentence.split(['，', '、', '：']) {
                let n = clause.chars().count();
                if (5..=16).contains(&n) && clause.chars().all(|c| is_han(c) || c.is_ascii_digit())
                {
                    clauses.push(clause.to_owned());
                }
            }
            sentences.push(format!("{sentence}。"));
        }
    }
    if sentences.len() < 1_000 || clauses.len() < 1_000 {
        bail!(
            "the corpus gave too little text ({} sentences)",
            sentences.len()
        );
    }
    Ok(Corpus { sentences, clauses })
}

fn is_han(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
}

fn collect_markdown(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_markdown(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md")
            && path.file_name().is_some_and(|n| n != "_index.md")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// What the loan plan needs to know of a resource.
struct Resource {
    kind: usize,
    published: bool,
    licences: Option<u32>,
    copies: u32,
    first_copy: i64,
    popular: bool,
    title: String,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Status {
    Requested,
    Approved,
    Active,
    Returned,
    Rejected,
    Cancelled,
    Expired,
    Overdue,
    Waitlisted,
}

impl Status {
    const ALL: [Status; 9] = [
        Status::Requested,
        Status::Approved,
        Status::Active,
        Status::Returned,
        Status::Rejected,
        Status::Cancelled,
        Status::Expired,
        Status::Overdue,
        Status::Waitlisted,
    ];
    fn as_str(self) -> &'static str {
        match self {
            Status::Requested => "requested",
            Status::Approved => "approved",
            Status::Active => "active",
            Status::Returned => "returned",
            Status::Rejected => "rejected",
            Status::Cancelled => "cancelled",
            Status::Expired => "expired",
            Status::Overdue => "overdue",
            Status::Waitlisted => "waitlisted",
        }
    }
    /// Still open for the one-open-loan-per-unit rule, once its period is settled.
    fn open(self) -> bool {
        matches!(
            self,
            Status::Requested
                | Status::Approved
                | Status::Active
                | Status::Overdue
                | Status::Waitlisted
        )
    }
}

/// One planned loan (compact: two million of them are sorted in memory).
#[derive(Clone, Copy)]
struct Loan {
    resource: u32,
    unit: u16,
    physical: bool,
    start: i32,
    end: i32,
    status: Status,
    /// The copy's row id for a physical loan that holds one now; 0 for none.
    copy: i64,
    created: i32,
    created_second: u32,
    /// The day of the last transition (approval, return, expiry …).
    settled: i32,
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dir: Option<PathBuf> = None;
    let mut scale = 1.0f64;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--scale" => {
                scale = args
                    .next()
                    .context("--scale needs a number")?
                    .parse()
                    .context("--scale must be a number such as 0.05")?;
            }
            other if dir.is_none() => dir = Some(other.into()),
            other => bail!("unexpected argument {other}"),
        }
    }
    let dir = dir.context("usage: national_data DIR [--scale F]")?;
    if !(0.0..=4.0).contains(&scale) || scale == 0.0 {
        bail!("--scale must be in (0, 4]");
    }
    let data = DataDir::new(&dir);
    if data.database().exists() {
        bail!("{} already holds a database", dir.display());
    }
    data.check_writable()?;
    let sizes = Sizes::at(scale);
    let corpus_root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    let today = jingshi::clock::Clock::system().today();
    let days = Days::new(today)?;
    let all = Instant::now();

    let began = Instant::now();
    let corpus = read_corpus(&corpus_root)?;
    println!(
        "corpus: {} sentences, {} clauses in {:.1} s",
        corpus.sentences.len(),
        corpus.clauses.len(),
        began.elapsed().as_secs_f64()
    );

    let db = Database::open(&data.database())?;
    let mut conn = db.get()?;
    // A generator's run: a crash means starting again, so nothing needs syncing.
    conn.execute_batch("PRAGMA synchronous = OFF; PRAGMA cache_size = -400000;")?;
    let mut rng = Rng(22_2026_1130);

    let began = Instant::now();
    write_accounts(&mut conn, &sizes, &days)?;
    println!(
        "units and accounts: {} units in {} sectors, {} borrowers, 5 librarians, admin in {:.1} s",
        sizes.units,
        SECTORS.len(),
        sizes.units,
        began.elapsed().as_secs_f64()
    );

    let began = Instant::now();
    let resources = write_resources(&mut conn, &sizes, &days, &corpus, &mut rng)?;
    let copies: u32 = resources.iter().map(|r| r.copies).sum();
    println!(
        "resources: {} ({} popular), {copies} physical copies in {:.1} s",
        resources.len(),
        sizes.popular,
        began.elapsed().as_secs_f64()
    );

    let began = Instant::now();
    let loans = plan_loans(&resources, &sizes, &mut rng);
    let planned = began.elapsed().as_secs_f64();
    let began = Instant::now();
    let reports = write_loans(&mut conn, &loans, &days, &mut rng)?;
    let mut by_status = String::new();
    for status in Status::ALL {
        let n = loans.iter().filter(|l| l.status == status).count();
        by_status.push_str(&format!(" {}={n}", status.as_str()));
    }
    println!(
        "loans: {} (planned in {planned:.1} s, written in {:.1} s), {reports} reports;{by_status}",
        loans.len(),
        began.elapsed().as_secs_f64()
    );

    let began = Instant::now();
    let audit = write_audit(&mut conn, &loans, &sizes, &days, &mut rng)?;
    println!(
        "audit log: {audit} rows in {:.1} s",
        began.elapsed().as_secs_f64()
    );

    let began = Instant::now();
    let notes = write_notifications(&mut conn, &loans, &resources, &sizes, &days, &mut rng)?;
    println!(
        "notifications: {notes} in {:.1} s",
        began.elapsed().as_secs_f64()
    );

    let began = Instant::now();
    finish_database(&conn, &days)?;
    drop(conn);
    println!("checkpoint in {:.1} s", began.elapsed().as_secs_f64());

    let began = Instant::now();
    let indexed = build_index(&db, &data)?;
    println!(
        "search index: {indexed} resources in {:.1} s",
        began.elapsed().as_secs_f64()
    );
    let size = std::fs::metadata(data.database())
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "done in {:.1} s: {} (database {} MB); every account's password is {PASSWORD}",
        all.elapsed().as_secs_f64(),
        dir.display(),
        size / 1_000_000
    );
    Ok(())
}

/// Units (`u0001`…), one borrower per unit, five librarians and `admin`. The password
/// is hashed once: argon2 for each of 2,000 accounts would take minutes.
fn write_accounts(conn: &mut Connection, sizes: &Sizes, days: &Days) -> anyhow::Result<()> {
    let hash = jingshi::accounts::password::hash_password(PASSWORD)?;
    let at = days.stamp(0, 0);
    let tx = conn.transaction()?;
    {
        let mut unit = tx.prepare(
            "INSERT INTO units (code, name, sector, region, created_at, liaison_name, liaison_mobile)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        let mut user = tx.prepare(
            "INSERT INTO users (id, username, display_name, password_hash, unit_code, created_at, password_changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )?;
        let mut role = tx.prepare("INSERT INTO user_roles (user_id, role) VALUES (?1, ?2)")?;
        user.execute(params![1, "admin", "系统管理员", hash, None::<String>, at])?;
        role.execute(params![1, "librarian"])?;
        role.execute(params![1, "admin"])?;
        for n in 1..=5i64 {
            user.execute(params![
                1 + n,
                format!("librarian{n}"),
                format!("工委馆员{n}"),
                hash,
                None::<String>,
                at
            ])?;
            role.execute(params![1 + n, "librarian"])?;
        }
        for u in 0..sizes.units {
            let code = unit_code(u);
            let sector = SECTORS[u % SECTORS.len()];
            let province = PROVINCES[(u / SECTORS.len()) % PROVINCES.len()];
            unit.execute(params![
                code,
                unit_name(u),
                sector,
                province,
                at,
                "纪检联络员",
                format!("139{:08}", u)
            ])?;
            let id = borrower_id(u);
            user.execute(params![
                id,
                format!("officer-{code}"),
                format!("{province}{sector}纪检干部"),
                hash,
                code,
                at
            ])?;
            role.execute(params![id, "borrower"])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// A unit's name: its province and sector, and a branch number once every pair is taken.
fn unit_name(u: usize) -> String {
    let sector = SECTORS[u % SECTORS.len()];
    let province = PROVINCES[(u / SECTORS.len()) % PROVINCES.len()];
    match u / (SECTORS.len() * PROVINCES.len()) {
        0 => format!("{province}{sector}系统驻地单位"),
        n => format!("{province}{sector}系统驻地单位（第{}分支）", n + 1),
    }
}

fn unit_code(u: usize) -> String {
    format!("u{:04}", u + 1)
}

fn borrower_id(u: usize) -> i64 {
    100 + u as i64
}

/// Resources with labels, copies and base details; returns what the loan plan needs.
fn write_resources(
    conn: &mut Connection,
    sizes: &Sizes,
    days: &Days,
    corpus: &Corpus,
    rng: &mut Rng,
) -> anyhow::Result<Vec<Resource>> {
    let mut out = Vec::with_capacity(sizes.resources);
    let mut copy_id = 0i64;
    for chunk_start in (0..sizes.resources).step_by(CHUNK / 4) {
        let tx = conn.transaction()?;
        {
            let mut resource = tx.prepare_cached(
                "INSERT INTO resources (id, kind, title, summary, region, date, year, source,
                     duration_seconds, pages, access, status, licences, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
            )?;
            let mut label = tx.prepare_cached(
                "INSERT OR IGNORE INTO resource_labels (resource_id, facet, position, value)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            let mut copy = tx.prepare_cached(
                "INSERT INTO copies (id, resource_id, barcode, location, condition) VALUES (?1, ?2, ?3, ?4, 'good')",
            )?;
            let mut base = tx.prepare_cached(
                "INSERT INTO base_details (resource_id, address, capacity, max_group, contact_name, contact_phone)
                 VALUES (?1, ?2, ?3, ?4, '接待处', '0871-6000000')",
            )?;
            for r in chunk_start..(chunk_start + CHUNK / 4).min(sizes.resources) {
                // Popular items are spread over the catalogue, not its first ids.
                let popular = r % (sizes.resources / sizes.popular).max(1) == 0
                    && r / (sizes.resources / sizes.popular).max(1) < sizes.popular;
                let kind = if r % 500 == 499 && !popular { 4 } else { r % 4 };
                let id = resource_id(r);
                let province = *rng.pick(&PROVINCES);
                let sector = *rng.pick(&SECTORS);
                let clause = rng.pick(&corpus.clauses).clone();
                let title = match kind {
                    0 => format!("警示教育片《{clause}》"),
                    1 => format!("{province}{sector}系统{clause}典型案例通报"),
                    2 => format!("忏悔录：{clause}"),
                    3 => format!("{sector}廉政教材：{clause}"),
                    _ => format!("{province}{}警示教育基地", &clause),
                };
                let summary: String = (0..2 + rng.below(3))
                    .map(|_| rng.pick(&corpus.sentences).as_str())
                    .collect();
                let year = 2005 + rng.below(22) as i64;
                let status = match rng.below(100) {
                    _ if popular => "published",
                    0..5 => "draft",
                    5..8 => "withdrawn",
                    _ => "published",
                };
                let access = if kind != 4 && rng.chance(25) {
                    "open"
                } else {
                    "loan"
                };
                // Digital licences: unlimited for a third, a few for the rest.
                let licences = match rng.below(3) {
                    _ if kind == 4 => None,
                    _ if popular => Some(2 + rng.below(4) as u32),
                    0 => None,
                    _ => Some(1 + rng.below(5) as u32),
                };
                let copies = if kind == 4 {
                    0
                } else if popular {
                    2 + rng.below(3) as u32
                } else if rng.chance(30) {
                    1 + rng.below(3) as u32
                } else {
                    0
                };
                let created = rng.range(0, HISTORY_DAYS - 30);
                resource.execute(params![
                    id,
                    KINDS[kind],
                    title,
                    summary,
                    province,
                    year.to_string(),
                    year,
                    format!("{province}省纪委监委"),
                    (kind == 0).then(|| 600 + rng.below(2400) as i64),
                    (kind == 1 || kind == 2 || kind == 3).then(|| 5 + rng.below(200) as i64),
                    access,
                    status,
                    licences,
                    days.stamp(created, rng.next() as u32)
                ])?;
                for (position, value) in [sector, *rng.pick(&SECTORS)].iter().enumerate() {
                    label.execute(params![id, "sector", position as i64, value])?;
                }
                for position in 0..1 + rng.below(3) {
                    label.execute(params![
                        id,
                        "violation",
                        position as i64,
                        *rng.pick(&VIOLATIONS)
                    ])?;
                }
                for position in 0..1 + rng.below(3) {
                    label.execute(params![id, "tag", position as i64, *rng.pick(&TAGS)])?;
                }
                let first_copy = copy_id + 1;
                for c in 0..copies {
                    copy_id += 1;
                    copy.execute(params![
                        copy_id,
                        id,
                        format!("JS{copy_id:08}"),
                        format!("资料室 {} 架 {} 层", 1 + c, 1 + r % 6)
                    ])?;
                }
                if kind == 4 {
                    base.execute(params![id, format!("{province}某地"), 60, 40])?;
                }
                out.push(Resource {
                    kind,
                    published: status == "published",
                    licences,
                    copies,
                    first_copy,
                    popular,
                    title,
                });
            }
        }
        tx.commit()?;
    }
    Ok(out)
}

fn resource_id(r: usize) -> String {
    format!("n{:06}", r + 1)
}

/// The active units, busiest first: a few units borrow far more than most, and the
/// last 3% borrow nothing (the statistics' "units with no activity").
fn pick_unit(rng: &mut Rng, units: usize) -> u16 {
    let active = (units as f64 * 0.97) as usize;
    ((active as f64 * rng.unit().powf(1.6)) as usize).min(active - 1) as u16
}

/// Plans every loan, resource by resource, then orders them by creation so that ids
/// grow with time as they would in a real library.
fn plan_loans(resources: &[Resource], sizes: &Sizes, rng: &mut Rng) -> Vec<Loan> {
    let popular_loans_each = 1_100usize;
    let loanable: Vec<usize> = (0..resources.len())
        .filter(|&r| resources[r].published && resources[r].kind != 4)
        .collect();
    let ordinary = loanable
        .iter()
        .filter(|&&r| !resources[r].popular)
        .count()
        .max(1);
    let budget = sizes
        .loans
        .saturating_sub(sizes.popular * popular_loans_each)
        .max(ordinary);
    let mean = budget as f64 / ordinary as f64;
    let mut loans = Vec::with_capacity(sizes.loans + sizes.loans / 10);
    let mut open_units = HashSet::new();
    for &r in &loanable {
        let resource = &resources[r];
        open_units.clear();
        let n = if resource.popular {
            popular_loans_each
        } else {
            (mean * 2.0 * rng.unit()).round() as usize
        };
        // Physical requests where there are copies: about a third of them.
        let physical_share = if resource.copies > 0 { 35 } else { 0 };
        let n_physical = n * physical_share / 100;
        for (physical, count) in [(false, n - n_physical), (true, n_physical)] {
            let lanes = if physical {
                Some(resource.copies)
            } else {
                resource.licences
            };
            plan_format(
                r as u32,
                resource,
                physical,
                lanes,
                count,
                sizes.units,
                &mut open_units,
                rng,
                &mut loans,
            );
        }
    }
    loans.sort_by_key(|l| (l.created, l.created_second));
    loans
}

/// The loans of one resource and format. Candidates are laid out by start; each that
/// would hold a licence or copy takes the first lane free by its start, so that no
/// day ever has more holders than lanes; one that finds none was turned down (in the
/// past) or waits (ahead of today).
#[allow(clippy::too_many_arguments)]
fn plan_format(
    resource_index: u32,
    resource: &Resource,
    physical: bool,
    lanes: Option<u32>,
    count: usize,
    units: usize,
    open_units: &mut HashSet<u16>,
    rng: &mut Rng,
    out: &mut Vec<Loan>,
) {
    let today = HISTORY_DAYS;
    let (min_len, max_len) = if physical { (7, 45) } else { (2, 21) };
    let mut candidates: Vec<(i32, i32)> = Vec::with_capacity(count + 400);
    if resource.popular {
        // The past evenly, the weeks ahead fully booked, and a long queue behind them.
        let ahead = lanes.unwrap_or(4) as usize * 10;
        let waiting = count * 3 / 10;
        let past = count.saturating_sub(ahead + waiting);
        for i in 0..count {
            let start = if i < past {
                rng.range(0, today - 1)
            } else if i < past + ahead {
                rng.range(today - 10, today + 60)
            } else {
                rng.range(today + 1, today + FUTURE_DAYS - 30)
            };
            candidates.push((start, rng.range(min_len, max_len)));
        }
    } else {
        for _ in 0..count {
            candidates.push((rng.range(0, today + 60), rng.range(min_len, max_len)));
        }
    }
    candidates.sort_unstable();
    // Per lane: the first day it is free, and whether its copy is still out with an
    // overdue loan. Capacity counts an overdue loan only to its end, so the lane takes
    // bookings ahead of today, but nothing that would need the copy before today.
    let mut free_from: Vec<(i32, bool)> = vec![(0, false); lanes.unwrap_or(0) as usize];
    for (start, len) in candidates {
        let end = start + len - 1;
        let mut loan = Loan {
            resource: resource_index,
            unit: pick_unit(rng, units),
            physical,
            start,
            end,
            status: Status::Cancelled,
            copy: 0,
            created: (start - rng.range(1, 20)).clamp(0, today),
            created_second: rng.next() as u32,
            settled: 0,
        };
        let roll = rng.below(100);
        let lane = if roll < 9 {
            None
        } else if lanes.is_none() {
            Some(usize::MAX)
        } else {
            free_from
                .iter()
                .position(|&(f, out)| f <= start && (!out || start > today))
        };
        let before = lane.and_then(|l| free_from.get(l).copied());
        loan.status = match lane {
            _ if roll < 6 => Status::Cancelled,
            _ if roll < 9 => Status::Rejected,
            Some(_) => settle_holding(&loan, physical, rng),
            // A request can wait only for a period still ahead.
            None if start > today => Status::Waitlisted,
            None => Status::Rejected,
        };
        if let Some(l) = lane.filter(|&l| l != usize::MAX) {
            let (_, out) = free_from[l];
            free_from[l] = (end + 1, out || loan.status == Status::Overdue);
            if physical
                && matches!(
                    loan.status,
                    Status::Active | Status::Overdue | Status::Returned
                )
            {
                loan.copy = resource.first_copy + l as i64;
            }
        }
        if loan.status == Status::Waitlisted {
            // Waiting requests were made in the last weeks.
            loan.created = today - rng.range(0, 30);
        }
        if matches!(loan.status, Status::Requested) {
            loan.created = loan.created.max(today - 10);
        }
        if loan.status.open() && !take_open_slot(&mut loan, open_units, units, rng) {
            loan.status = Status::Cancelled;
            loan.copy = 0;
            if let (Some(l), Some(f)) = (lane, before) {
                free_from[l] = f;
            }
        }
        loan.settled = settled_day(&loan, rng);
        out.push(loan);
    }
}

/// The state of a loan that holds a licence or copy, from where its period lies.
fn settle_holding(loan: &Loan, may_be_overdue: bool, rng: &mut Rng) -> Status {
    let today = HISTORY_DAYS;
    if loan.end < today {
        if may_be_overdue && loan.end >= today - 40 && rng.chance(25) {
            Status::Overdue
        } else if loan.physical || rng.chance(30) {
            Status::Returned
        } else {
            Status::Expired
        }
    } else if loan.start <= today {
        Status::Active
    } else if rng.chance(55) {
        Status::Approved
    } else {
        Status::Requested
    }
}

/// Gives the loan a unit that has no other open loan of the resource.
fn take_open_slot(loan: &mut Loan, open: &mut HashSet<u16>, units: usize, rng: &mut Rng) -> bool {
    for _ in 0..8 {
        if open.insert(loan.unit) {
            return true;
        }
        loan.unit = pick_unit(rng, units);
    }
    false
}

/// The day of the loan's last transition.
fn settled_day(loan: &Loan, rng: &mut Rng) -> i32 {
    let today = HISTORY_DAYS;
    let day = match loan.status {
        Status::Requested | Status::Waitlisted => loan.created,
        Status::Approved | Status::Rejected => loan.created + rng.range(0, 2),
        Status::Cancelled => loan.created + rng.range(0, 5),
        Status::Active => loan.start,
        Status::Returned => loan.end - rng.range(0, 2),
        Status::Expired | Status::Overdue => loan.end + 1,
    };
    day.clamp(loan.created, today)
}

/// Loans, their usage reports and the loan slips of copies out; returns the reports.
fn write_loans(
    conn: &mut Connection,
    loans: &[Loan],
    days: &Days,
    rng: &mut Rng,
) -> anyhow::Result<usize> {
    let mut reports = 0;
    for (chunk_index, chunk) in loans.chunks(CHUNK).enumerate() {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO loans (id, resource_id, unit_code, requested_by, requested_by_name, format,
                     start_date, end_date, requested_end, status, purpose, audience, renewals, copy_id,
                     reject_reason, return_condition, returned_on, created_at, updated_at,
                     issued_at, issued_on, issued_by, issued_by_name, cancel_reason)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                         ?17, ?18, ?19, ?20, ?21, ?22, ?23)",
            )?;
            let mut report = tx.prepare_cached(
                "INSERT INTO loan_reports (loan_id, held_on, participants, feedback, reported_by, reported_at, sessions)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (offset, loan) in chunk.iter().enumerate() {
                let id = (chunk_index * CHUNK + offset + 1) as i64;
                let unit = loan.unit as usize;
                let code = unit_code(unit);
                let status = loan.status;
                let issued = loan.physical
                    && matches!(status, Status::Active | Status::Overdue | Status::Returned);
                let librarian = 2 + (id % 5);
                let librarian_name = format!("工委馆员{}", librarian - 1);
                let created = days.stamp(loan.created, loan.created_second);
                insert.execute(params![
                    id,
                    resource_id(loan.resource as usize),
                    code,
                    borrower_id(unit),
                    "纪检干部",
                    if loan.physical { "physical" } else { "digital" },
                    days.date(loan.start),
                    days.date(loan.end),
                    status.as_str(),
                    PURPOSES[id as usize % PURPOSES.len()],
                    20 + rng.below(280) as i64,
                    // Some loans that ran their course were renewed on the way.
                    if matches!(status, Status::Returned | Status::Expired) && id % 7 == 0 {
                        1
                    } else {
                        0
                    },
                    (loan.copy != 0).then_some(loan.copy),
                    (status == Status::Rejected).then_some("所选时段无可用副本，请改期"),
                    (status == Status::Returned && loan.physical).then_some("good"),
                    (status == Status::Returned).then(|| days.date(loan.settled).to_owned()),
                    created,
                    days.stamp(loan.settled, loan.created_second.wrapping_add(3_600)),
                    issued.then(|| days.stamp(loan.start, 600)),
                    issued.then(|| days.date(loan.start).to_owned()),
                    issued.then_some(librarian),
                    if issued { librarian_name.as_str() } else { "" },
                    (status == Status::Cancelled).then_some("单位调整了学习安排"),
                ])?;
                if matches!(status, Status::Returned | Status::Expired) && rng.chance(40) {
                    let held = rng.range(loan.start, loan.end);
                    report.execute(params![
                        id,
                        days.date(held),
                        10 + rng.below(290) as i64,
                        FEEDBACK[rng.below(FEEDBACK.len() as u64) as usize],
                        format!("officer-{code}"),
                        days.stamp(held.min(HISTORY_DAYS), 20_000),
                        1 + rng.below(3) as i64
                    ])?;
                    reports += 1;
                }
            }
        }
        tx.commit()?;
    }
    Ok(reports)
}

/// One or two audit rows per loan: the request, and its last transition.
fn write_audit(
    conn: &mut Connection,
    loans: &[Loan],
    sizes: &Sizes,
    days: &Days,
    rng: &mut Rng,
) -> anyhow::Result<usize> {
    // (day, second, loan index, what): sorted so that ids follow time.
    let mut events: Vec<(i32, u32, u32, u8)> = Vec::with_capacity(loans.len() * 2);
    for (i, loan) in loans.iter().enumerate() {
        events.push((loan.created, loan.created_second, i as u32, 0));
        if !matches!(loan.status, Status::Requested | Status::Waitlisted) {
            events.push((
                loan.settled,
                loan.created_second.wrapping_add(3_600),
                i as u32,
                1,
            ));
        }
    }
    events.sort_unstable();
    let names: Vec<String> = (0..sizes.units).map(unit_name).collect();
    for chunk in events.chunks(CHUNK * 2) {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO audit_log (at, user_id, username, unit_code, action, resource_id, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for &(day, second, index, what) in chunk {
                let loan = &loans[index as usize];
                let id = index + 1;
                let unit = loan.unit as usize;
                let code = unit_code(unit);
                let (action, detail) = match (what, loan.status) {
                    (0, Status::Waitlisted) => ("loan_waitlisted", "排队候补"),
                    (0, _) => ("loan_requested", "申请借阅"),
                    (_, Status::Approved | Status::Active) => ("loan_approve", "批准借阅"),
                    (_, Status::Rejected) => ("loan_reject", "驳回借阅：所选时段无可用副本"),
                    (_, Status::Cancelled) => ("loan_cancel", "取消借阅"),
                    (_, Status::Returned) => ("loan_return", "归还"),
                    (_, Status::Expired) => ("loan_expire", "借阅到期"),
                    _ => ("loan_overdue", "逾期"),
                };
                let system = matches!(action, "loan_expire" | "loan_overdue");
                let (user, username, unit_code) = if what == 0 || action == "loan_cancel" {
                    (
                        Some(borrower_id(unit)),
                        Some(format!("officer-{code}")),
                        Some(code),
                    )
                } else if system {
                    (None, None, None)
                } else {
                    let librarian = 2 + rng.below(5) as i64;
                    (
                        Some(librarian),
                        Some(format!("librarian{}", librarian - 1)),
                        None,
                    )
                };
                insert.execute(params![
                    days.stamp(day, second),
                    user,
                    username,
                    unit_code,
                    action,
                    resource_id(loan.resource as usize),
                    format!("借阅 {id}（{}）：{detail}", names[unit])
                ])?;
            }
        }
        tx.commit()?;
    }
    Ok(events.len())
}

/// In-app notifications about loans: mostly old and read, the last weeks' partly unread.
fn write_notifications(
    conn: &mut Connection,
    loans: &[Loan],
    resources: &[Resource],
    sizes: &Sizes,
    days: &Days,
    rng: &mut Rng,
) -> anyhow::Result<usize> {
    let mut chosen: Vec<(i32, u32, u32, &'static str)> = Vec::with_capacity(sizes.notifications);
    let mut tries = 0;
    while chosen.len() < sizes.notifications && tries < sizes.notifications * 20 {
        tries += 1;
        // Recent loans are more likely to still have a notification worth showing.
        let index = (loans.len() as f64 * (1.0 - rng.unit().powi(3))) as usize;
        let Some(loan) = loans.get(index) else {
            continue;
        };
        let kind = match loan.status {
            Status::Approved | Status::Active => "approved",
            Status::Rejected => "rejected",
            Status::Returned => "returned",
            Status::Expired => "due_soon",
            Status::Overdue => "overdue",
            Status::Cancelled if rng.chance(30) => "cancelled",
            _ => continue,
        };
        chosen.push((loan.settled, loan.created_second, index as u32, kind));
    }
    chosen.sort_unstable();
    for chunk in chosen.chunks(CHUNK) {
        let tx = conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO notifications (unit_code, loan_id, resource_id, kind, message, created_at, read_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for &(day, second, index, kind) in chunk {
                let loan = &loans[index as usize];
                let title = &resources[loan.resource as usize].title;
                let message = match kind {
                    "approved" => format!("你单位借阅《{title}》的申请已获批准"),
                    "rejected" => {
                        format!("你单位借阅《{title}》的申请未获批准：所选时段无可用副本")
                    }
                    "returned" => format!("《{title}》已归还，感谢使用"),
                    "due_soon" => format!("你单位借阅的《{title}》即将到期"),
                    "overdue" => format!("你单位借阅的《{title}》已逾期，请尽快归还"),
                    _ => format!("你单位借阅《{title}》的申请已取消"),
                };
                let old = day < HISTORY_DAYS - 14;
                let read = if old { rng.chance(97) } else { rng.chance(40) };
                insert.execute(params![
                    unit_code(loan.unit as usize),
                    index as i64 + 1,
                    None::<String>,
                    kind,
                    message,
                    days.stamp(day, second),
                    read.then(|| days.stamp((day + rng.range(0, 3)).min(HISTORY_DAYS), second))
                ])?;
            }
        }
        tx.commit()?;
    }
    // The reminders the background task has already sent for loans ending within two
    // days (deduplicated by end date as it does), so the first start has none to send.
    let tx = conn.transaction()?;
    let mut reminders = 0;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO notifications (unit_code, loan_id, kind, message, dedupe, created_at)
             VALUES (?1, ?2, 'due_soon', ?3, ?4, ?5)",
        )?;
        for (index, loan) in loans.iter().enumerate() {
            if loan.status != Status::Active || loan.end > HISTORY_DAYS + 2 {
                continue;
            }
            let title = &resources[loan.resource as usize].title;
            insert.execute(params![
                unit_code(loan.unit as usize),
                index as i64 + 1,
                format!(
                    "借阅 #{}：《{title}》的借阅将于 {} 到期",
                    index + 1,
                    days.date(loan.end)
                ),
                days.date(loan.end),
                days.stamp(loan.end - 2, loan.created_second)
            ])?;
            reminders += 1;
        }
    }
    tx.commit()?;
    Ok(chosen.len() + reminders)
}

/// Marks the library as set up (so the first start imports no demo), counts the
/// published resources as already alerted, and folds the WAL into the database.
fn finish_database(conn: &Connection, days: &Days) -> anyhow::Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES ('initialized_at', ?1)",
        [days.stamp(0, 0)],
    )?;
    conn.execute("UPDATE publications SET alerted = 1", [])?;
    conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")?;
    Ok(())
}

/// Builds the search index as `jingshi reindex` does.
fn build_index(db: &Database, data: &DataDir) -> anyhow::Result<u64> {
    let opened = jingshi::search::SearchIndex::open(&data.index())?;
    let total = jingshi::indexer::rebuild(db, &opened.index, &|done, total| {
        if done > 0 && done % 20_000 == 0 {
            println!("  indexed {done} / {total}");
        }
    })?;
    opened.index.wait_for_merges()?;
    Ok(total)
}
