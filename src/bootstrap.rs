//! First start on an empty database: the demo units, the `admin` account, the demo
//! catalogue with its collections, a sample contribution awaiting review and a demo borrower (SPEC §7, §9, §10),
//! the demo parts left out with `--no-demo`.

use crate::actor::Actor;
use crate::clock::Clock;
use rusqlite::OptionalExtension;

use crate::accounts::{self, NewUser, Role, password};
use crate::catalog;
use crate::config::Settings;
use crate::content::FileStore;
use crate::db::Database;

/// The demo units, named after the kinds of unit in the committee's survey.
pub const DEMO_UNITS: &[(&str, &str, &str)] = &[
    ("yn-tax", "国家税务总局云南省税务局", "税务"),
    ("kunming-customs", "昆明海关", "海关"),
    ("yn-tobacco", "云南省烟草专卖局", "烟草"),
    ("yn-finance", "国家金融监督管理总局云南监管局", "金融"),
    ("yn-meteorology", "云南省气象局", "气象"),
    ("yn-grain", "国家粮食和物资储备局云南局", "粮食和物资储备"),
    ("yn-comms", "云南省通信管理局", "通信"),
    ("xinhua-yn", "新华社云南分社", "新闻"),
    ("cas-kunming", "中国科学院昆明分院", "科研"),
    ("yn-fire", "云南省消防救援总队", "消防救援"),
    ("yn-mine-safety", "国家矿山安全监察局云南局", "矿山安全"),
    ("kunming-rehab", "应急管理部昆明康复中心", "应急管理"),
];

const INITIALIZED_KEY: &str = "initialized_at";

/// The demo borrower, an officer of the first demo unit, so that a newcomer sees the
/// unit's side of the library too.
pub const DEMO_BORROWER: &str = "demo-officer";
const DEMO_BORROWER_UNIT: &str = "yn-tax";

/// Runs the first-start steps once; later starts do nothing.
pub fn first_start(
    db: &Database,
    store: &FileStore,
    settings: &Settings,
    clock: &Clock,
) -> anyhow::Result<()> {
    let mut conn = db.get()?;
    let initialized: Option<String> = conn
        .query_row(
            "SELECT value FROM settings WHERE key = ?1",
            [INITIALIZED_KEY],
            |r| r.get(0),
        )
        .optional()?;
    if initialized.is_some() {
        return Ok(());
    }
    let needs_admin = !accounts::users::any_user(&conn)?;
    // Only beside the admin of a brand-new library, never into a real one's accounts.
    let needs_demo_borrower = needs_admin && settings.demo;
    let chosen = settings.admin_password.as_deref().filter(|s| !s.is_empty());
    if needs_admin && let Some(secret) = chosen {
        // Refused before anything is written: the operator fixes it and starts again.
        accounts::users::validate_new_password(secret, "admin").map_err(|err| {
            anyhow::anyhow!("JINGSHI_ADMIN_PASSWORD 不能用作 admin 的密码：{err}")
        })?;
    }
    let chosen_demo = settings.demo_password.as_deref().filter(|s| !s.is_empty());
    if let Some(secret) = chosen_demo {
        accounts::users::validate_new_password(secret, DEMO_BORROWER).map_err(|err| {
            anyhow::anyhow!("JINGSHI_DEMO_PASSWORD 不能用作 {DEMO_BORROWER} 的密码：{err}")
        })?;
    }
    // Each step only fills what is still empty, so a data folder prepared by
    // `jingshi import` before the first start still gets its admin account.
    let (first_start, at) = (Actor::operator("system"), clock.moment());
    if settings.demo && accounts::list_units(&conn)?.is_empty() {
        for (code, name, sector) in DEMO_UNITS {
            accounts::create_unit(&mut conn, &first_start, code, name, sector, at)?;
        }
    }
    if needs_admin {
        let admin = NewUser {
            username: "admin",
            password_hash: "",
            roles: &[Role::Librarian, Role::Admin],
            unit: None,
            email: None,
        };
        create_with_password(
            &mut conn,
            &first_start,
            admin,
            chosen,
            "JINGSHI_ADMIN_PASSWORD",
            at,
        )?;
    }
    let catalogue_empty = catalog::read::count_resources(&conn)? == 0;
    drop(conn);
    let manifest = settings.data.demo_manifest();
    if settings.demo && catalogue_empty && manifest.is_file() {
        import_demo(db, store, &manifest, at)?;
        crate::visits::demo::add_demo_sessions(&mut *db.get()?, &first_start, at)?;
        add_demo_collections(db, &first_start, at)?;
        add_demo_contribution(db, store, &manifest, at)?;
        if needs_demo_borrower {
            let mut conn = db.get()?;
            create_demo_borrower(&mut conn, &first_start, chosen_demo, at)?;
        }
    }
    let conn = db.get()?;
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
        [INITIALIZED_KEY, &at.stamp()],
    )?;
    Ok(())
}

/// Creates `user` with the `chosen` password or a random one, which is printed once:
/// this start is the only one that can know it.
fn create_with_password(
    conn: &mut rusqlite::Connection,
    actor: &Actor,
    user: NewUser<'_>,
    chosen: Option<&str>,
    variable: &str,
    at: crate::clock::Moment,
) -> anyhow::Result<()> {
    let (secret, generated) = match chosen {
        Some(secret) => (secret.to_owned(), false),
        None => (password::random_password(), true),
    };
    let hash = accounts::users::hash_new_password(&secret, user.username)?;
    let username = user.username;
    accounts::create_user(
        conn,
        actor,
        &NewUser {
            password_hash: &hash,
            ..user
        },
        at,
    )?;
    if generated {
        tracing::warn!(password = %secret, "created account `{username}` with a random password; set {variable} to choose one");
    } else {
        tracing::info!("created account `{username}` with the password from {variable}");
    }
    Ok(())
}

/// Imports the demo catalogue, logging what it did.
fn import_demo(
    db: &Database,
    store: &FileStore,
    manifest: &std::path::Path,
    at: crate::clock::Moment,
) -> anyhow::Result<()> {
    let summary = catalog::import_manifest(
        db,
        store,
        manifest,
        &Actor::operator("demo"),
        at,
        &mut |_, _| {},
    )?;
    tracing::info!(
        created = summary.created,
        files = summary.files_attached,
        "imported the demo catalogue"
    );
    for failure in &summary.failures {
        tracing::warn!(row = %failure.position, reason = %failure.reason, "demo catalogue row not imported");
    }
    Ok(())
}

/// The demo's collections (专题). A failure is logged and the library starts without
/// them: they are only samples.
fn add_demo_collections(
    db: &Database,
    actor: &Actor,
    at: crate::clock::Moment,
) -> anyhow::Result<()> {
    match crate::collections::demo::add_demo_collections(&mut *db.get()?, actor, at) {
        Ok(ids) => tracing::info!(count = ids.len(), "published the demo collections"),
        Err(err) => tracing::warn!(%err, "demo collections not added"),
    }
    Ok(())
}

/// The demo's sample contribution awaiting review. A failure is logged and the
/// library starts without it: it is only a sample.
fn add_demo_contribution(
    db: &Database,
    store: &FileStore,
    manifest: &std::path::Path,
    at: crate::clock::Moment,
) -> anyhow::Result<()> {
    let folder = manifest.parent().unwrap_or(manifest);
    match catalog::demo::add_demo_contribution(&mut *db.get()?, store, folder, at) {
        Ok(Some(id)) => tracing::info!(%id, "submitted the demo contribution for review"),
        Ok(None) => {}
        Err(err) => tracing::warn!(%err, "demo contribution not added"),
    }
    Ok(())
}

/// The demo borrower, when its unit is there (a data folder prepared with other
/// units keeps them, and gets no demo officer).
fn create_demo_borrower(
    conn: &mut rusqlite::Connection,
    actor: &Actor,
    chosen: Option<&str>,
    at: crate::clock::Moment,
) -> anyhow::Result<()> {
    let unit_known = accounts::list_units(conn)?
        .iter()
        .any(|unit| unit.code == DEMO_BORROWER_UNIT);
    if !unit_known {
        return Ok(());
    }
    let officer = NewUser {
        username: DEMO_BORROWER,
        password_hash: "",
        roles: &[Role::Borrower],
        unit: Some(DEMO_BORROWER_UNIT),
        email: None,
    };
    create_with_password(conn, actor, officer, chosen, "JINGSHI_DEMO_PASSWORD", at)
}
