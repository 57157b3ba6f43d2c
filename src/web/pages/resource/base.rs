//! What a base's page says to a unit planning a visit: where it is, how to get
//! there, how many people a session takes and how early to ask, what visitors must
//! observe, whom to call, and whether a list of visitors is needed. A base is visited,
//! not lent, so its page has this instead of the loan form.

use crate::catalog::BaseDetails;

pub struct BaseView {
    pub address: String,
    pub directions: String,
    pub capacity: u32,
    pub max_group: u32,
    /// 提前 N 个工作日预约, or that no notice is needed.
    pub lead: String,
    pub requirements: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub needs_visitor_list: bool,
    /// Where a unit asks for a visit.
    pub book_href: String,
    /// A loan asked of the base through the page's loan route, refused.
    pub refusal: Option<String>,
}

impl BaseView {
    pub fn new(id: &str, base: &BaseDetails) -> Self {
        Self {
            address: base.address.clone(),
            directions: base.directions.clone(),
            capacity: base.capacity,
            max_group: base.max_group,
            lead: match base.lead_days {
                0 => "无需提前，按场次预约即可".to_owned(),
                n => format!("提前 {n} 个工作日预约"),
            },
            requirements: base.requirements.clone(),
            contact_name: base.contact_name.clone(),
            contact_phone: base.contact_phone.clone(),
            needs_visitor_list: base.needs_visitor_list,
            // Resource ids are URL-safe (`ResourceId::parse`).
            book_href: format!("/visits/new?base={id}"),
            refusal: None,
        }
    }

    /// The contact as one line: name and number, whichever are known.
    pub fn contact(&self) -> String {
        [self.contact_name.as_str(), self.contact_phone.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }
}
