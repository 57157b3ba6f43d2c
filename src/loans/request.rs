//! Asking for a loan, moving a booking, and the waitlist: a request that fits its
//! period is `requested` (and holds its slot), one that does not is `waitlisted`;
//! whenever capacity frees, the waitlisted requests that now fit are promoted in
//! order of arrival.

use crate::audit::AuditAction;
use crate::clock::Moment;
use jiff::civil::Date;
use rusqlite::{Connection, params};
use serde::Deserialize;

use super::capacity::{self, period_fits};
use super::days::{OpeningDays, add_days, length_days, parse_date};
use super::model::{Action, Actor, Format, Loan, LoanId, LoanStatus, Period};
use super::notify::{NoticeKind, notify};
use super::settings::{check_length, check_open_limit, settings_of};
use super::steps::step;
use super::store::{self, LoanRow, advance, record, transition};
use super::waitlist::promote;
use super::{LoanError, read};

/// The longest period one request may ask for, whatever a resource's settings say.
pub const MAX_LOAN_DAYS: i64 = 92;
/// How far ahead a period may start.
pub const MAX_LEAD_DAYS: i64 = 366;

/// `POST /api/v1/loans`. Every field is optional here so that a missing one is
/// answered in words rather than with a parser message.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct LoanRequest {
    pub resource_id: Option<String>,
    /// `digital` or `physical`.
    pub format: Option<String>,
    /// `YYYY-MM-DD`, the first day.
    #[schema(format = Date)]
    pub start: Option<String>,
    /// `YYYY-MM-DD`, the last day.
    #[schema(format = Date)]
    pub end: Option<String>,
    pub purpose: Option<String>,
    pub audience: Option<i64>,
    /// The unit asked for; librarians filing a request for a unit must name it.
    pub unit: Option<String>,
}

/// `POST /api/v1/loans/{id}/move`.
#[derive(Debug, Clone, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct MoveRequest {
    pub start: Option<String>,
    pub end: Option<String>,
}

fn required<'a>(field: &str, value: &'a Option<String>, what: &str) -> Result<&'a str, LoanError> {
    match value.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Ok(v),
        _ => Err(LoanError::invalid(field, format!("请填写{what}"))),
    }
}

/// Checks a requested period and moves its end off a closed day; answers the period
/// and the end as asked.
pub(crate) fn checked_period(
    conn: &Connection,
    start: &Option<String>,
    end: &Option<String>,
    today: Date,
) -> Result<(Period, Date), LoanError> {
    let start = parse_date("start", required("start", start, "开始日期")?)?;
    let asked_end = parse_date("end", required("end", end, "结束日期")?)?;
    if start < today {
        return Err(LoanError::invalid(
            "start",
            format!("开始日期 {start} 已过，不能早于今天（{today}）"),
        ));
    }
    if asked_end < start {
        return Err(LoanError::invalid("end", "结束日期不能早于开始日期"));
    }
    if start > add_days(today, MAX_LEAD_DAYS) {
        return Err(LoanError::invalid("start", "最多只能预约一年以内的日期"));
    }
    if length_days(start, asked_end) > MAX_LOAN_DAYS {
        return Err(LoanError::invalid(
            "end",
            format!("一次借阅最长 {MAX_LOAN_DAYS} 天，需要更久请到期后续借"),
        ));
    }
    let end = OpeningDays::load(conn)?.next_open(asked_end);
    Ok((Period { start, end }, asked_end))
}

/// The unit a request is for: the actor's own, or for a librarian the one named.
pub(super) fn requesting_unit(actor: &Actor, named: Option<&str>) -> Result<String, LoanError> {
    match (&actor.unit, named.map(str::trim)) {
        (_, Some(named)) if actor.librarian && !named.is_empty() => Ok(named.to_owned()),
        (Some(own), None) => Ok(own.clone()),
        (Some(own), Some(named)) if named == own || named.is_empty() => Ok(own.clone()),
        (Some(_), Some(_)) => Err(LoanError::OtherUnit),
        (None, _) if actor.librarian => {
            Err(LoanError::invalid("unit", "请填写为哪个单位申请（unit）"))
        }
        (None, _) => Err(LoanError::NoUnit),
    }
}

/// The longest purpose a request may give.
pub const MAX_PURPOSE_CHARS: usize = 200;

/// What the loan is for and how many will attend, checked.
pub(super) fn purpose_and_audience(
    purpose: &Option<String>,
    audience: Option<i64>,
) -> Result<(String, u32), LoanError> {
    let purpose = required("purpose", purpose, "用途（如 专题警示教育大会）")?.to_owned();
    if purpose.chars().count() > MAX_PURPOSE_CHARS {
        return Err(LoanError::invalid(
            "purpose",
            format!("用途不能超过 {MAX_PURPOSE_CHARS} 个字符"),
        ));
    }
    let audience = match audience {
        Some(n) if (1..=MAX_AUDIENCE).contains(&n) => n as u32,
        Some(_) => {
            return Err(LoanError::invalid(
                "audience",
                format!("预计参加人数应在 1 到 {MAX_AUDIENCE} 之间"),
            ));
        }
        None => return Err(LoanError::invalid("audience", "请填写预计参加人数")),
    };
    Ok((purpose, audience))
}

/// The most participants a request may name.
pub const MAX_AUDIENCE: i64 = 100_000;

/// The resource is published (drafts do not exist for borrowers) and the unit is
/// known.
pub(super) fn check_requestable(
    tx: &Connection,
    actor: &Actor,
    resource_id: &str,
    unit: &str,
) -> Result<(), LoanError> {
    match crate::catalog::holdings::lendable(tx, resource_id)? {
        Some(r) if r.status == "published" && r.visited => {
            return Err(LoanError::invalid(
                "resource_id",
                "警示教育基地请通过预约参观申请，不能借阅",
            ));
        }
        Some(r) if r.status == "published" => {}
        Some(_) if actor.librarian => {
            return Err(LoanError::invalid(
                "resource_id",
                "该资源尚未发布或已撤下，不能借阅",
            ));
        }
        _ => return Err(LoanError::ResourceNotFound(resource_id.to_owned())),
    }
    // A unit's contribution is lent only within its sharing scope (SPEC §9).
    let visibility = crate::catalog::read::visibility(tx, resource_id)?;
    let sector = crate::accounts::units::sector_of(tx, unit)?;
    if !crate::accounts::policy::reaches_unit(&visibility, unit, sector.as_deref()) {
        if !actor.librarian {
            return Err(LoanError::ResourceNotFound(resource_id.to_owned()));
        }
        return Err(LoanError::invalid(
            "unit",
            format!(
                "该资源只在{}范围内共享，不能借给这个单位",
                visibility.share.label()
            ),
        ));
    }
    // Asked of `accounts`, which owns units; a deactivated unit may not borrow.
    match crate::accounts::units::name_and_state(tx, unit)? {
        Some((_, true)) => Ok(()),
        Some((name, false)) => Err(LoanError::UnitInactive(name)),
        None => Err(LoanError::invalid(
            "unit",
            format!("没有代码为“{unit}”的单位"),
        )),
    }
}

/// What the loans of one request share: the unit, the period, the purpose and the
/// audience (one loan's, or every loan's of a batch).
pub(crate) struct Terms {
    pub unit: String,
    pub period: Period,
    /// The end as asked (the period's end may be moved off a closed day).
    pub asked_end: Date,
    pub purpose: String,
    pub audience: u32,
}

/// Files a request for the actor's unit (or, for a librarian, the unit named).
pub fn create(
    conn: &mut Connection,
    actor: &Actor,
    input: LoanRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    let today = at.today();
    let unit = requesting_unit(actor, input.unit.as_deref())?;
    let resource_id = required("resource_id", &input.resource_id, "要借阅的资源")?.to_owned();
    let format = Format::parse(required(
        "format",
        &input.format,
        "借阅形式（digital 或 physical）",
    )?)?;
    let (purpose, audience) = purpose_and_audience(&input.purpose, input.audience)?;
    store::write(conn, |tx| {
        // An unknown resource is told before a bad period.
        check_requestable(tx, actor, &resource_id, &unit)?;
        let (period, asked_end) = checked_period(tx, &input.start, &input.end, today)?;
        let terms = Terms {
            unit,
            period,
            asked_end,
            purpose,
            audience,
        };
        let loan = create_in(tx, actor, &terms, &resource_id, format, None, at)?;
        read::view(tx, &loan, actor, today)
    })
}

/// The checks one loan of `terms` must pass before it is filed (the resource may be
/// lent to the unit, the period is not too long, the unit holds no more open loans of
/// it than allowed, it has room in the format at all); answers its settings.
fn check_loan(
    tx: &Connection,
    actor: &Actor,
    terms: &Terms,
    resource_id: &str,
    format: Format,
    today: Date,
) -> Result<super::settings::LoanSettings, LoanError> {
    check_requestable(tx, actor, resource_id, &terms.unit)?;
    let settings = settings_of(tx, resource_id)?;
    check_length(&settings, format, terms.period.start, terms.asked_end)?;
    check_open_limit(tx, &settings, resource_id, &terms.unit, today)?;
    if capacity::capacity_of(tx, resource_id, format)? == Some(0) {
        return Err(LoanError::invalid(
            "format",
            format!("该资源没有可借的{}，请选择其他借阅形式", format.unit_name()),
        ));
    }
    Ok(settings)
}

/// Whether a request of `resource_id` in `format` on `terms` would be filed, and
/// then whether it fits its period now (else it would wait); writes nothing. What the
/// basket shows before it is sent.
pub(crate) fn preview_in(
    tx: &Connection,
    actor: &Actor,
    terms: &Terms,
    resource_id: &str,
    format: Format,
    today: Date,
) -> Result<bool, LoanError> {
    check_loan(tx, actor, terms, resource_id, format, today)?;
    period_fits(tx, resource_id, format, terms.period, None)
}

/// Files one request on `terms` inside the caller's transaction (a single request's,
/// or one item of a batch, `batch` naming it): the checks, the insert as `requested`
/// or `waitlisted`, the audit row, and the approval when the resource auto-approves.
pub(crate) fn create_in(
    tx: &Connection,
    actor: &Actor,
    terms: &Terms,
    resource_id: &str,
    format: Format,
    batch: Option<i64>,
    at: Moment,
) -> Result<LoanRow, LoanError> {
    let settings = check_loan(tx, actor, terms, resource_id, format, at.today())?;
    let period = terms.period;
    // Requests already waiting go first when room has appeared since. Only a request
    // that would take room can pass them, so only then is the waitlist read (a long
    // one, on a popular item, is read only when room appears).
    let fits = period_fits(tx, resource_id, format, period, None)?
        && (promote(tx, resource_id, format, at)?.is_empty()
            || period_fits(tx, resource_id, format, period, None)?);
    let status = if fits {
        LoanStatus::Requested
    } else {
        LoanStatus::Waitlisted
    };
    let stamp = at.stamp();
    tx.execute(
        "INSERT INTO loans (resource_id, unit_code, requested_by, requested_by_name, format,
                            start_date, end_date, requested_end, status, purpose, audience,
                            created_at, updated_at, batch_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12, ?13)",
        params![
            resource_id,
            terms.unit,
            actor.user_id,
            actor.username,
            format.as_str(),
            period.start.to_string(),
            period.end.to_string(),
            terms.asked_end.to_string(),
            status.as_str(),
            terms.purpose,
            terms.audience,
            stamp,
            batch
        ],
    )?;
    let id = LoanId(tx.last_insert_rowid());
    let mut loan = store::find(tx, id)?.ok_or(LoanError::NotFound(id))?;
    let batch_note = batch
        .map(|b| format!("（借阅清单 #{b}）"))
        .unwrap_or_default();
    record(
        tx,
        actor,
        &loan,
        if status == LoanStatus::Waitlisted {
            AuditAction::LoanWaitlisted
        } else {
            AuditAction::LoanRequested
        },
        format!("{} 至 {}{batch_note}", period.start, period.end),
        at,
    )?;
    if fits && settings.auto_approve {
        approve_in(tx, &Actor::system(), &mut loan, at)?;
    }
    Ok(loan)
}

/// Approves inside an open transaction (librarian approval, auto-approval).
pub(crate) fn approve_in(
    conn: &Connection,
    actor: &Actor,
    loan: &mut LoanRow,
    at: Moment,
) -> Result<(), LoanError> {
    let today = at.today();
    check_transition_only(loan, Action::Approve)?;
    if loan.end < today {
        return Err(LoanError::invalid(
            "end",
            "借阅期已结束，请先调整日期再批准",
        ));
    }
    // A request holds its slot, so this only fails if holdings shrank meanwhile.
    let period = Period {
        start: loan.start,
        end: loan.end,
    };
    if !period_fits(conn, &loan.resource_id, loan.format, period, Some(loan.id))? {
        return Err(LoanError::NoCapacity {
            start: loan.start,
            end: loan.end,
            what: loan.format.unit_name(),
        });
    }
    transition(conn, actor, loan, Action::Approve, at)?;
    // Approved on the spot when asked (auto-approval): the unit sees it as it asks.
    if !super::notify::own_unit(actor, &loan.unit) {
        let title = super::notify::marked(&store::resource_title(conn, &loan.resource_id)?);
        notify(
            conn,
            &loan.unit,
            loan.id,
            NoticeKind::Approved,
            &format!("{title}的借阅申请（{} 至 {}）已批准", loan.start, loan.end),
            None,
            at,
        )?;
    }
    advance(conn, loan, at)
}

fn check_transition_only(loan: &LoanRow, action: Action) -> Result<(), LoanError> {
    super::transitions::check_transition(loan.status, action, loan.format).map(|_| ())
}

/// A librarian moves a booking to another period (the unit is told). A request or
/// approved loan must fit the new period; a waitlisted request that fits there is
/// promoted.
pub(super) fn move_loan(
    conn: &mut Connection,
    actor: &Actor,
    id: LoanId,
    input: MoveRequest,
    at: Moment,
) -> Result<Loan, LoanError> {
    let today = at.today();
    step(conn, actor, id, Action::Move, at, |tx, loan| {
        check_transition_only(loan, Action::Move)?;
        let (period, asked_end) = checked_period(tx, &input.start, &input.end, today)?;
        let settings = settings_of(tx, &loan.resource_id)?;
        check_length(&settings, loan.format, period.start, asked_end)?;
        if loan.status != LoanStatus::Waitlisted
            && !period_fits(tx, &loan.resource_id, loan.format, period, Some(loan.id))?
        {
            return Err(LoanError::NoCapacity {
                start: period.start,
                end: period.end,
                what: loan.format.unit_name(),
            });
        }
        let before = (loan.start, loan.end);
        tx.execute(
            "UPDATE loans SET start_date = ?2, end_date = ?3, requested_end = ?4, updated_at = ?5 WHERE id = ?1",
            params![loan.id.0, period.start.to_string(), period.end.to_string(), asked_end.to_string(), at.stamp()],
        )?;
        loan.start = period.start;
        loan.end = period.end;
        loan.requested_end = asked_end;
        record(
            tx,
            actor,
            loan,
            AuditAction::LoanMoved,
            format!(
                "{} 至 {} → {} 至 {}",
                before.0, before.1, period.start, period.end
            ),
            at,
        )?;
        let title = super::notify::marked(&store::resource_title(tx, &loan.resource_id)?);
        notify(
            tx,
            &loan.unit,
            loan.id,
            NoticeKind::Moved,
            &format!(
                "管理员已将{title}的借阅日期调整为 {} 至 {}（原为 {} 至 {}）",
                period.start, period.end, before.0, before.1
            ),
            None,
            at,
        )?;
        // The old days may have freed room; this loan may now fit too.
        promote(tx, &loan.resource_id, loan.format, at)?;
        Ok(())
    })
}
