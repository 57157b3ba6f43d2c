//! The request basket (借阅清单, SPEC §10): an officer of a unit collects resources
//! from search results, resource pages and collections, chooses each one's format and
//! one period, purpose and audience, sees before sending which items fit the period
//! and which would wait (with the nearest free period), and sends it all as one loan
//! batch. It is kept per account in the database, so it survives signing out; only
//! accounts of a unit have one. What it lists follows the borrower's visibility: an
//! item that is no longer published or shared with the unit is shown by its id only.

use std::collections::HashSet;

use jiff::civil::Date;
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::batch::{Asked, LoanBatch, MAX_BATCH_ITEMS, batch_view, create_batch_in};
use super::capacity::capacity_of;
use super::days::{OpeningDays, length_days, parse_date};
use super::model::{Actor, Format, Period};
use super::request::{
    MAX_AUDIENCE, MAX_PURPOSE_CHARS, Terms, check_requestable, checked_period, preview_in,
    purpose_and_audience,
};
use super::{LoanError, store};
use crate::clock::Moment;

/// The most resources one addition may name (a collection added whole).
pub const MAX_ADD_AT_ONCE: usize = 200;

/// `POST /api/v1/basket/items`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BasketAddition {
    pub resource_ids: Vec<String>,
}

/// `PATCH /api/v1/basket/items/{resource_id}`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ItemFormat {
    /// `digital` or `physical`.
    pub format: Option<String>,
}

/// `PUT /api/v1/basket`: what the request will carry; an empty or absent field is
/// left unset until sending.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct BasketTerms {
    #[schema(format = Date)]
    pub start: Option<String>,
    #[schema(format = Date)]
    pub end: Option<String>,
    pub purpose: Option<String>,
    pub audience: Option<i64>,
}

/// What an item would become if the basket were sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ItemCheck {
    /// There is room: it would be `requested`.
    Fits,
    /// No room for the period: it would be `waitlisted`.
    Waitlist,
    /// It would be refused (and with it the whole request): `problem` says why.
    Refused,
    /// No usable period is chosen yet.
    Unchecked,
}

/// One item of the basket with its check for the chosen period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BasketEntry {
    pub resource_id: String,
    /// Empty when the resource is no longer visible to the unit.
    pub title: String,
    pub format: Format,
    /// The formats the resource can be lent in.
    pub digital: bool,
    pub physical: bool,
    pub added_at: String,
    pub check: ItemCheck,
    /// Why the item would be refused.
    pub problem: Option<String>,
    /// For an item that would wait: the free period of the same length nearest to
    /// the chosen one.
    pub nearest: Option<Period>,
}

/// The basket as its owner sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Basket {
    pub items: Vec<BasketEntry>,
    #[schema(format = Date)]
    pub start: Option<String>,
    #[schema(format = Date)]
    pub end: Option<String>,
    /// The end the loans would get (moved off a closed day), once the period is valid.
    #[schema(value_type = Option<String>, format = Date)]
    pub loan_end: Option<Date>,
    pub purpose: String,
    pub audience: Option<u32>,
    /// Why the chosen period cannot be used (a past start, too long, …).
    pub period_problem: Option<String>,
    pub max_items: usize,
}

impl Basket {
    /// Whether sending now would file every item (the terms still checked on send).
    pub fn sendable(&self) -> bool {
        !self.items.is_empty()
            && self.period_problem.is_none()
            && self
                .items
                .iter()
                .all(|i| matches!(i.check, ItemCheck::Fits | ItemCheck::Waitlist))
    }

    pub fn waiting(&self) -> usize {
        self.count(ItemCheck::Waitlist)
    }

    pub fn refused(&self) -> usize {
        self.count(ItemCheck::Refused)
    }

    fn count(&self, check: ItemCheck) -> usize {
        self.items.iter().filter(|i| i.check == check).count()
    }
}

/// A resource an addition left out, and why.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Refusal {
    pub resource_id: String,
    pub reason: String,
}

/// What an addition did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Addition {
    pub added: Vec<String>,
    /// Already in the basket (left as they were).
    pub already: Vec<String>,
    pub refused: Vec<Refusal>,
    /// Items in the basket now.
    pub items: usize,
}

/// The account and unit whose basket it is.
fn owner(actor: &Actor) -> Result<(i64, &str), LoanError> {
    match (actor.user_id, actor.unit.as_deref()) {
        (Some(user), Some(unit)) => Ok((user, unit)),
        _ => Err(LoanError::NoBasket),
    }
}

/// Runs `work` in one `BEGIN IMMEDIATE` transaction (the basket's own writes).
fn write<T>(
    conn: &mut Connection,
    work: impl FnOnce(&Connection) -> Result<T, LoanError>,
) -> Result<T, LoanError> {
    let tx = crate::db::begin_write(conn)?;
    let out = work(&tx)?;
    tx.commit()?;
    Ok(out)
}

/// The formats a resource can be lent in: digital (a licence, or unlimited) and
/// physical (a copy in circulation).
fn formats(conn: &Connection, resource_id: &str) -> Result<(bool, bool), LoanError> {
    Ok((
        capacity_of(conn, resource_id, Format::Digital)? != Some(0),
        capacity_of(conn, resource_id, Format::Physical)? != Some(0),
    ))
}

/// Whether the unit may put the resource in a basket: a published resource within
/// its sharing scope, not a base, with a licence or a copy to lend. Answers the
/// format it starts with (digital when offered).
fn addable(
    conn: &Connection,
    actor: &Actor,
    unit: &str,
    resource_id: &str,
) -> Result<Format, LoanError> {
    check_requestable(conn, actor, resource_id, unit)?;
    match formats(conn, resource_id)? {
        (true, _) => Ok(Format::Digital),
        (false, true) => Ok(Format::Physical),
        (false, false) => Err(LoanError::invalid(
            "resource_id",
            "该资源暂无可借的数字许可或实体拷贝",
        )),
    }
}

fn item_count(conn: &Connection, user: i64) -> Result<usize, LoanError> {
    Ok(conn.query_row(
        "SELECT count(*) FROM basket_items WHERE user_id = ?1",
        [user],
        |row| row.get(0),
    )?)
}

/// How many items the account's basket holds (the navigation's count).
pub fn basket_count(conn: &Connection, actor: &Actor) -> Result<usize, LoanError> {
    match owner(actor) {
        Ok((user, _)) => item_count(conn, user),
        Err(_) => Ok(0),
    }
}

fn touch(conn: &Connection, user: i64, at: Moment) -> Result<(), LoanError> {
    conn.execute(
        "INSERT INTO baskets (user_id, updated_at) VALUES (?1, ?2)
         ON CONFLICT (user_id) DO UPDATE SET updated_at = excluded.updated_at",
        params![user, at.stamp()],
    )?;
    Ok(())
}

/// Adds resources to the basket: those already in it are left as they are, those
/// the unit may not borrow (or past [`MAX_BATCH_ITEMS`]) are left out with the
/// reason. Refused as a whole only when nothing could be added.
pub fn add_to_basket(
    conn: &mut Connection,
    actor: &Actor,
    resource_ids: &[String],
    at: Moment,
) -> Result<Addition, LoanError> {
    let (user, unit) = owner(actor)?;
    if resource_ids.len() > MAX_ADD_AT_ONCE {
        return Err(LoanError::invalid(
            "resource_ids",
            format!(
                "一次最多加入 {MAX_ADD_AT_ONCE} 项，本次有 {} 项",
                resource_ids.len()
            ),
        ));
    }
    let mut asked: Vec<&str> = Vec::new();
    for id in resource_ids.iter().map(|id| id.trim()) {
        if !id.is_empty() && !asked.contains(&id) {
            asked.push(id);
        }
    }
    if asked.is_empty() {
        return Err(LoanError::invalid(
            "resource_ids",
            "请至少选择一项要加入借阅清单的资源",
        ));
    }
    write(conn, |tx| {
        let mut addition = Addition {
            added: Vec::new(),
            already: Vec::new(),
            refused: Vec::new(),
            items: item_count(tx, user)?,
        };
        let mut first_refusal = None;
        for (index, id) in asked.iter().enumerate() {
            match add_one(tx, actor, (user, unit), id, addition.items, at)? {
                Added::Already => addition.already.push((*id).to_owned()),
                Added::Now => {
                    addition.items += 1;
                    addition.added.push((*id).to_owned());
                }
                Added::Refused(err) => {
                    addition.refused.push(Refusal {
                        resource_id: super::error::shown_id(id),
                        reason: err.to_string(),
                    });
                    first_refusal.get_or_insert((index, (*id).to_owned(), err));
                }
            }
        }
        if addition.added.is_empty()
            && addition.already.is_empty()
            && let Some((index, resource_id, reason)) = first_refusal
        {
            return Err(LoanError::BadItem {
                index,
                resource_id,
                reason: Box::new(reason),
            });
        }
        touch(tx, user, at)?;
        Ok(addition)
    })
}

/// What adding one resource did.
enum Added {
    Now,
    Already,
    /// Left out, and why.
    Refused(LoanError),
}

/// Adds one resource to the basket of `user` (of `unit`), which holds `held` items.
fn add_one(
    tx: &Connection,
    actor: &Actor,
    (user, unit): (i64, &str),
    id: &str,
    held: usize,
    at: Moment,
) -> Result<Added, LoanError> {
    let present = tx
        .query_row(
            "SELECT 1 FROM basket_items WHERE user_id = ?1 AND resource_id = ?2",
            params![user, id],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if present {
        return Ok(Added::Already);
    }
    if held >= MAX_BATCH_ITEMS {
        return Ok(Added::Refused(LoanError::invalid(
            "resource_ids",
            format!("借阅清单最多 {MAX_BATCH_ITEMS} 项，已满"),
        )));
    }
    match addable(tx, actor, unit, id) {
        Ok(format) => {
            tx.execute(
                "INSERT INTO basket_items (user_id, resource_id, format, added_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![user, id, format.as_str(), at.stamp()],
            )?;
            Ok(Added::Now)
        }
        Err(err @ (LoanError::Db(_) | LoanError::Open(_))) => Err(err),
        Err(err) => Ok(Added::Refused(err)),
    }
}

/// Takes one resource out of the basket.
pub fn remove_from_basket(
    conn: &mut Connection,
    actor: &Actor,
    resource_id: &str,
    at: Moment,
) -> Result<(), LoanError> {
    let (user, _) = owner(actor)?;
    write(conn, |tx| {
        let removed = tx.execute(
            "DELETE FROM basket_items WHERE user_id = ?1 AND resource_id = ?2",
            params![user, resource_id],
        )?;
        if removed == 0 {
            return Err(LoanError::NotInBasket(resource_id.to_owned()));
        }
        touch(tx, user, at)
    })
}

/// Chooses an item's format: one the resource can be lent in.
pub fn set_item_format(
    conn: &mut Connection,
    actor: &Actor,
    resource_id: &str,
    input: ItemFormat,
    at: Moment,
) -> Result<(), LoanError> {
    let (user, _) = owner(actor)?;
    let format = Format::parse(input.format.as_deref().unwrap_or(""))?;
    write(conn, |tx| {
        let changed = tx.execute(
            "UPDATE basket_items SET format = ?3 WHERE user_id = ?1 AND resource_id = ?2",
            params![user, resource_id, format.as_str()],
        )?;
        if changed == 0 {
            return Err(LoanError::NotInBasket(resource_id.to_owned()));
        }
        if capacity_of(tx, resource_id, format)? == Some(0) {
            return Err(LoanError::invalid(
                "format",
                format!("该资源没有可借的{}，请选择其他借阅形式", format.unit_name()),
            ));
        }
        touch(tx, user, at)
    })
}

/// A date typed into the basket's form: empty is unset, anything else a date.
fn optional_date(field: &str, value: &Option<String>) -> Result<Option<Date>, LoanError> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(day) => parse_date(field, day).map(Some),
    }
}

/// Sets the period, purpose and audience the request will carry. What is typed is
/// checked as far as it can be before sending (dates are dates, the end not before
/// the start, the purpose not too long, the audience a sensible number).
pub fn set_terms(
    conn: &mut Connection,
    actor: &Actor,
    input: BasketTerms,
    at: Moment,
) -> Result<(), LoanError> {
    let (user, _) = owner(actor)?;
    let start = optional_date("start", &input.start)?;
    let end = optional_date("end", &input.end)?;
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        return Err(LoanError::invalid("end", "结束日期不能早于开始日期"));
    }
    let purpose = input.purpose.as_deref().unwrap_or("").trim().to_owned();
    if purpose.chars().count() > MAX_PURPOSE_CHARS {
        return Err(LoanError::invalid(
            "purpose",
            format!("用途不能超过 {MAX_PURPOSE_CHARS} 个字符"),
        ));
    }
    if input
        .audience
        .is_some_and(|n| !(1..=MAX_AUDIENCE).contains(&n))
    {
        return Err(LoanError::invalid(
            "audience",
            format!("预计参加人数应在 1 到 {MAX_AUDIENCE} 之间"),
        ));
    }
    write(conn, |tx| {
        tx.execute(
            "INSERT INTO baskets (user_id, start_date, end_date, purpose, audience, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (user_id) DO UPDATE SET start_date = excluded.start_date,
                 end_date = excluded.end_date, purpose = excluded.purpose,
                 audience = excluded.audience, updated_at = excluded.updated_at",
            params![
                user,
                start.map(|d| d.to_string()),
                end.map(|d| d.to_string()),
                purpose,
                input.audience,
                at.stamp()
            ],
        )?;
        Ok(())
    })
}

/// The stored terms: start, end, purpose, audience.
type StoredTerms = (Option<String>, Option<String>, String, Option<u32>);

fn stored_terms(conn: &Connection, user: i64) -> Result<StoredTerms, LoanError> {
    Ok(conn
        .query_row(
            "SELECT start_date, end_date, purpose, audience FROM baskets WHERE user_id = ?1",
            [user],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
        .optional()?
        .unwrap_or((None, None, String::new(), None)))
}

/// The stored items, in the order they were added: resource, format, when.
fn stored_items(conn: &Connection, user: i64) -> Result<Vec<(String, Format, String)>, LoanError> {
    let mut stmt = conn.prepare_cached(
        "SELECT resource_id, format, added_at FROM basket_items WHERE user_id = ?1
         ORDER BY added_at, rowid",
    )?;
    let rows = stmt
        .query_map([user], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get::<_, String>(1)?,
                row.get::<_, String>(2)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    rows.into_iter()
        .map(|(id, format, added)| Ok((id, Format::parse(&format)?, added)))
        .collect()
}

/// The basket with each item checked against the chosen period: whether it would be
/// requested, wait (with the nearest free period of the same length) or be refused.
pub fn basket(conn: &Connection, actor: &Actor, today: Date) -> Result<Basket, LoanError> {
    let (user, unit) = owner(actor)?;
    let (start, end, purpose, audience) = stored_terms(conn, user)?;
    let period = match (&start, &end) {
        (Some(_), Some(_)) => Some(checked_period(conn, &start, &end, today)),
        _ => None,
    };
    let (terms, period_problem) = match period {
        Some(Ok((period, asked_end))) => (
            Some(Terms {
                unit: unit.to_owned(),
                period,
                asked_end,
                purpose: purpose.clone(),
                audience: audience.unwrap_or(1),
            }),
            None,
        ),
        Some(Err(err @ (LoanError::Db(_) | LoanError::Open(_)))) => return Err(err),
        Some(Err(err)) => (None, Some(err.to_string())),
        None => (None, None),
    };
    let opening = OpeningDays::load(conn)?;
    let mut items = Vec::new();
    for (resource_id, format, added_at) in stored_items(conn, user)? {
        items.push(entry(
            conn,
            actor,
            unit,
            terms.as_ref(),
            (resource_id, format, added_at),
            today,
            &opening,
        )?);
    }
    Ok(Basket {
        items,
        start,
        end,
        loan_end: terms.as_ref().map(|t| t.period.end),
        purpose,
        audience,
        period_problem,
        max_items: MAX_BATCH_ITEMS,
    })
}

/// One item checked: visible to the unit at all, then against the terms.
fn entry(
    conn: &Connection,
    actor: &Actor,
    unit: &str,
    terms: Option<&Terms>,
    (resource_id, format, added_at): (String, Format, String),
    today: Date,
    opening: &OpeningDays,
) -> Result<BasketEntry, LoanError> {
    let mut entry = BasketEntry {
        title: String::new(),
        format,
        digital: false,
        physical: false,
        added_at,
        check: ItemCheck::Unchecked,
        problem: None,
        nearest: None,
        resource_id,
    };
    let id = entry.resource_id.as_str();
    match check_requestable(conn, actor, id, unit) {
        Ok(()) => {}
        Err(err @ (LoanError::Db(_) | LoanError::Open(_))) => return Err(err),
        Err(LoanError::ResourceNotFound(_)) => {
            entry.check = ItemCheck::Refused;
            entry.problem =
                Some("该资源已撤回或不再向本单位开放，不能借阅；请从清单中移除".to_owned());
            return Ok(entry);
        }
        Err(err) => {
            entry.title = store::resource_title(conn, id)?;
            entry.check = ItemCheck::Refused;
            entry.problem = Some(err.to_string());
            return Ok(entry);
        }
    }
    entry.title = store::resource_title(conn, id)?;
    (entry.digital, entry.physical) = formats(conn, id)?;
    let Some(terms) = terms else {
        return Ok(entry);
    };
    match preview_in(conn, actor, terms, id, format, today) {
        Ok(true) => entry.check = ItemCheck::Fits,
        Ok(false) => {
            entry.check = ItemCheck::Waitlist;
            entry.nearest = super::calendar::nearest_free_period(
                conn,
                id,
                format,
                terms.period.start,
                length_days(terms.period.start, terms.asked_end),
                today,
                opening,
            )?;
        }
        Err(err @ (LoanError::Db(_) | LoanError::Open(_))) => return Err(err),
        Err(err) => {
            entry.check = ItemCheck::Refused;
            entry.problem = Some(err.to_string());
        }
    }
    Ok(entry)
}

/// Sends the basket: files its items as one loan batch with its terms and empties
/// it, in one transaction. A refused item (or missing terms) refuses the whole send
/// and the basket stays as it was.
pub fn send_basket(
    conn: &mut Connection,
    actor: &Actor,
    at: Moment,
) -> Result<LoanBatch, LoanError> {
    let (user, unit) = owner(actor)?;
    let unit = unit.to_owned();
    store::write(conn, |tx| {
        let items: Vec<(String, Format)> = stored_items(tx, user)?
            .into_iter()
            .map(|(id, format, _)| (id, format))
            .collect();
        if items.is_empty() {
            return Err(LoanError::invalid(
                "items",
                "借阅清单是空的，请先从检索结果或资源页面加入资源",
            ));
        }
        let (start, end, purpose, audience) = stored_terms(tx, user)?;
        let purpose = (!purpose.is_empty()).then_some(purpose);
        let (purpose, audience) = purpose_and_audience(&purpose, audience.map(i64::from))?;
        let asked = Asked {
            unit,
            start,
            end,
            purpose,
            audience,
        };
        let id = create_batch_in(tx, actor, &asked, &items, at)?;
        tx.execute("DELETE FROM basket_items WHERE user_id = ?1", [user])?;
        tx.execute("DELETE FROM baskets WHERE user_id = ?1", [user])?;
        batch_view(tx, actor, id, at.today())
    })
}

/// How a resource stands with the account's basket, for the buttons of search hits
/// and resource pages.
#[derive(Debug, Clone, Default)]
pub struct BasketMarks {
    /// Already in the basket.
    pub in_basket: HashSet<String>,
    /// Could be added (published within scope, not a base, a licence or copy to lend).
    pub addable: HashSet<String>,
}

/// The marks of `resource_ids`, or `None` when the account has no basket.
pub fn basket_marks(
    conn: &Connection,
    actor: &Actor,
    resource_ids: &[String],
) -> Result<Option<BasketMarks>, LoanError> {
    let Ok((user, unit)) = owner(actor) else {
        return Ok(None);
    };
    let mut marks = BasketMarks::default();
    let present: HashSet<String> = stored_items(conn, user)?
        .into_iter()
        .map(|(id, ..)| id)
        .collect();
    for id in resource_ids {
        if present.contains(id) {
            marks.in_basket.insert(id.clone());
            continue;
        }
        match addable(conn, actor, unit, id) {
            Ok(_) => {
                marks.addable.insert(id.clone());
            }
            Err(err @ (LoanError::Db(_) | LoanError::Open(_))) => return Err(err),
            Err(_) => {}
        }
    }
    Ok(Some(marks))
}
