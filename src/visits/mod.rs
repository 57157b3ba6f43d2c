//! Warning-education bases and the coordination of group visits (SPEC §8): a base's
//! sessions (场次) made from weekly templates on open days or one-off, units' visit
//! requests with up to three preferred sessions, the states of a visit, seats never
//! oversold, visitor lists with ID numbers where a base needs them, the proposed
//! schedule (一键排期) and calendar feeds. No HTTP here.

pub mod ical;
pub mod id_number;
pub mod propose;
