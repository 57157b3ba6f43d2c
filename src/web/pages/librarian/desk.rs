//! `/librarian/today` (今日出借与归还): the copies to hand out (approved physical
//! loans in their issue window), the copies due back today and the overdue ones,
//! each with the unit's liaison to call and the issue or check-in form.

use std::collections::HashMap;

use askama::Template;
use axum::extract::State;
use jiff::civil::{Date, Weekday};
use serde::Deserialize;

use super::rows::{DeskRow, LoanRetry, unplaced};
use crate::accounts::{self, SessionUser};
use crate::app::AppState;
use crate::loans::days::day_number;
use crate::loans::{self, Actor, Loan};
use crate::web::error::AppError;
use crate::web::pages::extract::{PageLibrarian, PageQuery};
use crate::web::pages::loans::done_notice;
use crate::web::pages::{Chrome, PageError, Section, pages};

/// The page's own address, where its forms come back to.
pub const TODAY_PATH: &str = "/librarian/today";

#[derive(Template)]
#[template(path = "librarian/today.html")]
pub struct TodayPage {
    chrome: Chrome,
    /// `2027-03-01（星期一）`.
    today: String,
    notice: Option<String>,
    slip: Option<i64>,
    error: Option<String>,
    sections: Vec<DeskSection>,
    here: &'static str,
}
pages!(TodayPage);

/// One list of the day.
pub struct DeskSection {
    pub id: &'static str,
    pub heading: &'static str,
    pub hint: &'static str,
    pub empty: &'static str,
    pub rows: Vec<DeskRow>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TodayQuery {
    done: String,
    slip: String,
}

pub async fn show_today(
    State(state): State<AppState>,
    PageLibrarian(user): PageLibrarian,
    PageQuery(query): PageQuery<TodayQuery>,
) -> Result<TodayPage, PageError> {
    let mut page = today_page(&state, &user, None)
        .await
        .map_err(|err| err.for_user(&user))?;
    page.notice = done_notice(Some(&query.done));
    page.slip = query.slip.trim().parse().ok().filter(|id| *id > 0);
    Ok(page)
}

fn weekday(date: Date) -> &'static str {
    match date.weekday() {
        Weekday::Monday => "星期一",
        Weekday::Tuesday => "星期二",
        Weekday::Wednesday => "星期三",
        Weekday::Thursday => "星期四",
        Weekday::Friday => "星期五",
        Weekday::Saturday => "星期六",
        Weekday::Sunday => "星期日",
    }
}

struct DeskData {
    day: loans::DeskDay,
    liaisons: HashMap<String, accounts::Liaison>,
    shelves: HashMap<String, Vec<String>>,
}

impl DeskData {
    async fn load(state: &AppState, actor: Actor, today: Date) -> Result<Self, PageError> {
        let data = state
            .with_conn(move |conn| -> Result<DeskData, AppError> {
                let day = loans::desk_day(conn, &actor, today)?;
                let mut shelves = HashMap::new();
                for pickup in &day.pickups {
                    let id = &pickup.loan.resource_id;
                    if !shelves.contains_key(id) {
                        shelves.insert(id.clone(), loans::shelf_copies(conn, id)?);
                    }
                }
                Ok(DeskData {
                    day,
                    liaisons: accounts::units::liaisons(conn)?,
                    shelves,
                })
            })
            .await?;
        Ok(data)
    }

    fn row(&self, loan: &Loan, note: String) -> DeskRow {
        let mut row = DeskRow::of(loan, None, &self.liaisons);
        row.note = note;
        if row.loan.can_issue {
            row.shelf = self
                .shelves
                .get(&loan.resource_id)
                .cloned()
                .unwrap_or_default();
        }
        row
    }

    /// The day's three lists as rows, each with what the desk should know.
    fn sections(&self) -> Vec<DeskSection> {
        let today = self.day.today;
        let pickups = self.day.pickups.iter().map(|p| {
            let note = if p.loan.start <= today {
                format!("{} 开始，今天可交付", p.loan.start)
            } else {
                format!("{} 开始，{} 起可提前交付", p.loan.start, p.from)
            };
            self.row(&p.loan, note)
        });
        let due = self
            .day
            .due_today
            .iter()
            .map(|l| self.row(l, "今天到期".to_owned()));
        let overdue = self.day.overdue.iter().map(|l| {
            let late = day_number(today) - day_number(l.end);
            self.row(l, format!("已逾期 {late} 天"))
        });
        vec![
            DeskSection {
                id: "pickups",
                heading: "待交付的实体拷贝",
                hint: "已批准、已到可出借日期的实体借阅。扫描或填写拷贝条码后出借，并打印出借凭证请领取人签字。",
                empty: "今天没有要交付的拷贝。",
                rows: pickups.collect(),
            },
            DeskSection {
                id: "due",
                heading: "今天应归还",
                hint: "",
                empty: "今天没有到期的拷贝。",
                rows: due.collect(),
            },
            DeskSection {
                id: "overdue",
                heading: "已逾期",
                hint: "请联系单位联系人尽快归还。",
                empty: "没有逾期未还的拷贝。",
                rows: overdue.collect(),
            },
        ]
    }
}

/// Today's desk, with a refused form shown beside its row when given.
pub(super) async fn today_page(
    state: &AppState,
    user: &SessionUser,
    retry: Option<LoanRetry>,
) -> Result<TodayPage, PageError> {
    let today = state.clock.today();
    let data = DeskData::load(state, Actor::user(user), today).await?;
    let mut sections = data.sections();
    let mut placed = false;
    for row in sections.iter_mut().flat_map(|s| s.rows.iter_mut()) {
        placed |= row.take_retry(&retry);
    }
    Ok(TodayPage {
        chrome: Chrome::for_user(user, Section::Loans),
        today: format!("{today}（{}）", weekday(today)),
        notice: None,
        slip: None,
        error: unplaced(&retry, placed),
        sections,
        here: TODAY_PATH,
    })
}
