//! What a warning-education base (警示教育基地) is like for a visiting group: the
//! `base` object of SPEC §8, its validation, and its row in `base_details`, written in
//! the caller's transaction together with the resource.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::CatalogError;
use super::model::ResourceId;

/// Seats of a session, at most (the schema's CHECK says the same).
pub const MAX_CAPACITY: i64 = 10_000;
/// Working days of notice a base may ask for, at most.
pub const MAX_LEAD_DAYS: i64 = 90;

/// The `base` object as a manifest, the API or the editor gives it. Every field may be
/// left out: a patch changes only the fields present; the checks say what a base needs.
/// Numbers are signed so that a negative one is refused with a message, not a parse
/// error.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct BaseInput {
    /// Where the base is (必填).
    pub address: Option<String>,
    /// How to get there: transport, parking, the entrance to use.
    pub directions: Option<String>,
    /// Default seats per session, 1–10000 (必填).
    pub capacity: Option<i64>,
    /// Working days between the request and the visit, 0–90 (default 0).
    pub lead_days: Option<i64>,
    /// Largest group one unit may bring, 1 to `capacity` (default `capacity`).
    pub max_group: Option<i64>,
    /// What visitors must bring and observe (证件、着装、纪律).
    pub requirements: Option<String>,
    pub contact_name: Option<String>,
    /// A mobile or landline number with area code.
    pub contact_phone: Option<String>,
    /// Whether the base needs a list of visitors with ID numbers (prisons, courts).
    pub needs_visitor_list: Option<bool>,
}

/// A base's details, checked and normalised, as stored and shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BaseDetails {
    pub address: String,
    pub directions: String,
    pub capacity: u32,
    pub lead_days: u32,
    pub max_group: u32,
    pub requirements: String,
    pub contact_name: String,
    /// Written one way (`13800138000`, `0871-65123456`), or empty.
    pub contact_phone: String,
    pub needs_visitor_list: bool,
}

fn text(field: &str, what: &str, value: Option<&str>, max: usize) -> Result<String, CatalogError> {
    let value = value.unwrap_or("").trim();
    if value.chars().count() > max {
        return Err(CatalogError::invalid(
            field,
            format!("{what}不能超过 {max} 个字符"),
        ));
    }
    Ok(value.to_owned())
}

fn within(field: &str, value: i64, low: i64, high: i64, what: &str) -> Result<u32, CatalogError> {
    if (low..=high).contains(&value) {
        Ok(value as u32)
    } else {
        Err(CatalogError::invalid(
            field,
            format!("{what}应在 {low} 至 {high} 之间，现在是 {value}"),
        ))
    }
}

impl BaseInput {
    /// Checks every field and returns the normalised details.
    pub fn validate(&self) -> Result<BaseDetails, CatalogError> {
        let address = text("base.address", "基地地址", self.address.as_deref(), 200)?;
        if address.is_empty() {
            return Err(CatalogError::invalid("base.address", "请填写基地地址"));
        }
        let capacity = match self.capacity {
            Some(n) => within("base.capacity", n, 1, MAX_CAPACITY, "每场可接待人数")?,
            None => {
                return Err(CatalogError::invalid(
                    "base.capacity",
                    "请填写每场可接待人数（1 至 10000）",
                ));
            }
        };
        let lead_days = within(
            "base.lead_days",
            self.lead_days.unwrap_or(0),
            0,
            MAX_LEAD_DAYS,
            "提前预约的工作日数",
        )?;
        let max_group = match self.max_group {
            None => capacity,
            Some(n) if (1..=i64::from(capacity)).contains(&n) => n as u32,
            Some(n) => {
                return Err(CatalogError::invalid(
                    "base.max_group",
                    format!(
                        "单个团组人数上限应在 1 至每场可接待人数（{capacity}）之间，现在是 {n}"
                    ),
                ));
            }
        };
        let phone = self.contact_phone.as_deref().unwrap_or("").trim();
        let contact_phone = if phone.is_empty() {
            String::new()
        } else {
            crate::accounts::contact::normalize_phone("base.contact_phone", phone).map_err(
                |err| match err {
                    crate::accounts::AccountError::Invalid { message, .. } => {
                        CatalogError::invalid("base.contact_phone", format!("联系人{message}"))
                    }
                    other => CatalogError::invalid("base.contact_phone", other.to_string()),
                },
            )?
        };
        Ok(BaseDetails {
            address,
            directions: text(
                "base.directions",
                "交通指引",
                self.directions.as_deref(),
                2_000,
            )?,
            capacity,
            lead_days,
            max_group,
            requirements: text(
                "base.requirements",
                "参观要求",
                self.requirements.as_deref(),
                2_000,
            )?,
            contact_name: text(
                "base.contact_name",
                "联系人姓名",
                self.contact_name.as_deref(),
                50,
            )?,
            contact_phone,
            needs_visitor_list: self.needs_visitor_list.unwrap_or(false),
        })
    }

    /// The fields present in `patch` laid over these.
    pub fn overlaid(mut self, patch: BaseInput) -> BaseInput {
        let BaseInput {
            address,
            directions,
            capacity,
            lead_days,
            max_group,
            requirements,
            contact_name,
            contact_phone,
            needs_visitor_list,
        } = patch;
        self.address = address.or(self.address);
        self.directions = directions.or(self.directions);
        // A smaller capacity without a group size: the group size follows it down.
        if capacity.is_some() && max_group.is_none() {
            self.max_group = match (self.max_group, capacity) {
                (Some(old), Some(new)) if old > new => Some(new),
                (old, _) => old,
            };
        }
        self.capacity = capacity.or(self.capacity);
        self.lead_days = lead_days.or(self.lead_days);
        self.max_group = max_group.or(self.max_group);
        self.requirements = requirements.or(self.requirements);
        self.contact_name = contact_name.or(self.contact_name);
        self.contact_phone = contact_phone.or(self.contact_phone);
        self.needs_visitor_list = needs_visitor_list.or(self.needs_visitor_list);
        self
    }
}

impl From<&BaseDetails> for BaseInput {
    fn from(details: &BaseDetails) -> Self {
        BaseInput {
            address: Some(details.address.clone()),
            directions: Some(details.directions.clone()),
            capacity: Some(i64::from(details.capacity)),
            lead_days: Some(i64::from(details.lead_days)),
            max_group: Some(i64::from(details.max_group)),
            requirements: Some(details.requirements.clone()),
            contact_name: Some(details.contact_name.clone()),
            contact_phone: Some(details.contact_phone.clone()),
            needs_visitor_list: Some(details.needs_visitor_list),
        }
    }
}

/// The base's details, or `None` when the resource has none (not a base).
pub fn load(conn: &Connection, id: &ResourceId) -> Result<Option<BaseDetails>, CatalogError> {
    let mut stmt = conn.prepare_cached(
        "SELECT address, directions, capacity, lead_days, max_group, requirements,
                contact_name, contact_phone, needs_visitor_list
         FROM base_details WHERE resource_id = ?1",
    )?;
    Ok(stmt
        .query_row([id.as_str()], |row| {
            Ok(BaseDetails {
                address: row.get(0)?,
                directions: row.get(1)?,
                capacity: row.get(2)?,
                lead_days: row.get(3)?,
                max_group: row.get(4)?,
                requirements: row.get(5)?,
                contact_name: row.get(6)?,
                contact_phone: row.get(7)?,
                needs_visitor_list: row.get(8)?,
            })
        })
        .optional()?)
}

/// Makes the stored details what `details` says (none: the row is removed).
pub(crate) fn store(
    tx: &Connection,
    id: &ResourceId,
    details: Option<&BaseDetails>,
) -> Result<(), CatalogError> {
    let Some(d) = details else {
        tx.execute(
            "DELETE FROM base_details WHERE resource_id = ?1",
            [id.as_str()],
        )?;
        return Ok(());
    };
    tx.execute(
        "INSERT INTO base_details (resource_id, address, directions, capacity, lead_days,
            max_group, requirements, contact_name, contact_phone, needs_visitor_list)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
         ON CONFLICT (resource_id) DO UPDATE SET address = excluded.address,
            directions = excluded.directions, capacity = excluded.capacity,
            lead_days = excluded.lead_days, max_group = excluded.max_group,
            requirements = excluded.requirements, contact_name = excluded.contact_name,
            contact_phone = excluded.contact_phone,
            needs_visitor_list = excluded.needs_visitor_list",
        params![
            id.as_str(),
            d.address,
            d.directions,
            d.capacity,
            d.lead_days,
            d.max_group,
            d.requirements,
            d.contact_name,
            d.contact_phone,
            d.needs_visitor_list,
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> BaseInput {
        BaseInput {
            address: Some(" 某市某区廉政路 1 号（示例） ".into()),
            capacity: Some(60),
            contact_phone: Some("0871 6512 3456".into()),
            ..Default::default()
        }
    }

    fn refused_field(input: &BaseInput) -> String {
        match input.validate() {
            Err(CatalogError::Invalid { field, .. }) => field,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn defaults_and_normal_forms() {
        let details = input().validate().unwrap();
        assert_eq!(details.address, "某市某区廉政路 1 号（示例）");
        assert_eq!((details.lead_days, details.max_group), (0, 60));
        assert_eq!(details.contact_phone, "0871-65123456");
        assert!(!details.needs_visitor_list);
    }

    #[test]
    fn bounds_are_enforced_field_by_field() {
        for (change, field) in [
            (
                BaseInput {
                    capacity: Some(0),
                    ..input()
                },
                "base.capacity",
            ),
            (
                BaseInput {
                    capacity: Some(10_001),
                    ..input()
                },
                "base.capacity",
            ),
            (
                BaseInput {
                    capacity: None,
                    ..input()
                },
                "base.capacity",
            ),
            (
                BaseInput {
                    lead_days: Some(91),
                    ..input()
                },
                "base.lead_days",
            ),
            (
                BaseInput {
                    lead_days: Some(-1),
                    ..input()
                },
                "base.lead_days",
            ),
            (
                BaseInput {
                    max_group: Some(61),
                    ..input()
                },
                "base.max_group",
            ),
            (
                BaseInput {
                    max_group: Some(0),
                    ..input()
                },
                "base.max_group",
            ),
            (
                BaseInput {
                    address: Some("  ".into()),
                    ..input()
                },
                "base.address",
            ),
            (
                BaseInput {
                    contact_phone: Some("12345".into()),
                    ..input()
                },
                "base.contact_phone",
            ),
            (
                BaseInput {
                    requirements: Some("规".repeat(2_001)),
                    ..input()
                },
                "base.requirements",
            ),
        ] {
            assert_eq!(refused_field(&change), field, "{change:?}");
        }
    }

    #[test]
    fn a_patch_changes_only_what_it_names() {
        let current = BaseInput::from(&input().validate().unwrap());
        let patched = current.clone().overlaid(BaseInput {
            capacity: Some(30),
            ..Default::default()
        });
        let details = patched.validate().unwrap();
        // The group size followed the smaller capacity; the rest stayed.
        assert_eq!((details.capacity, details.max_group), (30, 30));
        assert_eq!(details.address, "某市某区廉政路 1 号（示例）");
        let raised = current.overlaid(BaseInput {
            capacity: Some(100),
            ..Default::default()
        });
        assert_eq!(raised.validate().unwrap().max_group, 60);
    }
}
