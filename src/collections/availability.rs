//! Whether a collection's items can be lent for a chosen period: for each item the
//! viewer sees, whether a digital licence and a physical copy are free for every day
//! of it, and if not the nearest period of the same length that is, by the same rules
//! a loan request meets (`loans::availability`). Bases are visited, not lent.

use jiff::civil::Date;
use rusqlite::Connection;

use super::CollectionError;
use super::model::CollectionId;
use super::read::get;
use crate::actor::Actor;
use crate::catalog::Kind;
use crate::loans::{self, Format, Period};

/// How one format of an item fits the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fit {
    /// A request now would be granted for the period (the end may move off a closed
    /// day: `end`).
    Fits { end: Date },
    /// Taken on some day of the period; the nearest free period of its length, if
    /// one is free within a year.
    Full { nearest: Option<Period> },
    /// The library holds none in this format (no licence, no copy in circulation).
    NotHeld,
}

/// One item's answer, in the collection's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemAvailability {
    pub resource_id: String,
    /// `None` for a base (visited in sessions, booked as a visit).
    pub digital: Option<Fit>,
    pub physical: Option<Fit>,
}

/// The availability of the items of collection `id` that `actor` sees, for the
/// period `start`–`end` (dates as typed; checked as a loan request checks them).
pub fn availability(
    conn: &Connection,
    actor: &Actor,
    id: CollectionId,
    start: &str,
    end: &str,
    today: Date,
) -> Result<Vec<ItemAvailability>, CollectionError> {
    let collection = get(conn, actor, id)?;
    let mut answers = Vec::with_capacity(collection.items.len());
    for item in &collection.items {
        if item.kind == Kind::Base {
            answers.push(ItemAvailability {
                resource_id: item.resource_id.clone(),
                digital: None,
                physical: None,
            });
            continue;
        }
        let fit = |format: Format| -> Result<Fit, CollectionError> {
            let answer = loans::availability(
                conn,
                actor,
                &item.resource_id,
                Some(format.as_str()),
                Some(start.to_owned()),
                Some(end.to_owned()),
                today,
            )?;
            Ok(if answer.capacity == Some(0) {
                Fit::NotHeld
            } else if answer.fits {
                Fit::Fits { end: answer.end }
            } else {
                Fit::Full {
                    nearest: answer.suggestion,
                }
            })
        };
        answers.push(ItemAvailability {
            resource_id: item.resource_id.clone(),
            digital: Some(fit(Format::Digital)?),
            physical: Some(fit(Format::Physical)?),
        });
    }
    Ok(answers)
}
