//! Compact look-ups for the per-row loops of [`super::scan`]: a year's national
//! statistics look up 370,000 loans' resources and 120,000 reports' loans, and the
//! profile showed those look-ups waiting on memory (a hash bucket pointing at a key
//! elsewhere on the heap, a binary search over 12 MB). These keep what a look-up
//! reads in one place.

use super::scan::FastMap;

/// A resource id of at most [`ShortId::MAX`] bytes, inline: its bytes, zero padding,
/// and its length in the last byte.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
struct ShortId([u8; 16]);

impl ShortId {
    const MAX: usize = 15;

    fn of(id: &str) -> Option<Self> {
        let bytes = id.as_bytes();
        if bytes.len() > Self::MAX {
            return None;
        }
        let mut inline = [0u8; 16];
        inline[..bytes.len()].copy_from_slice(bytes);
        inline[15] = bytes.len() as u8;
        Some(ShortId(inline))
    }
}

/// Resource ids → positions. Short ids (all of a generated catalogue, most of a
/// curated one) are compared in the table itself; longer ones in a map of their own.
#[derive(Default)]
pub(super) struct ResourceIndex {
    short: FastMap<ShortId, u32>,
    long: FastMap<String, u32>,
}

impl ResourceIndex {
    pub fn insert(&mut self, id: &str, position: usize) {
        let position = u32::try_from(position).unwrap_or(u32::MAX);
        match ShortId::of(id) {
            Some(short) => self.short.insert(short, position),
            None => self.long.insert(id.to_owned(), position),
        };
    }

    pub fn get(&self, id: &str) -> Option<usize> {
        let found = match ShortId::of(id) {
            Some(short) => self.short.get(&short),
            None => self.long.get(id),
        };
        found.map(|&p| p as usize)
    }
}

/// Whose each loan of the first pass is (unit position, resource position if the
/// catalogue has it), by loan id.
pub(super) struct LoanOwners {
    kept: Vec<(i64, u32, u32)>,
    /// `kept` placed by id from `first`, when the ids are dense enough for it: slot
    /// `id - first` holds the unit position + 1 in the high half and the resource
    /// position + 1 in the low half, 0 for a loan not kept.
    by_id: Vec<u64>,
    first: i64,
}

/// The resource half of an owner when the catalogue does not know the resource.
const NO_RESOURCE: u32 = u32::MAX;

impl LoanOwners {
    pub fn with_capacity(n: usize) -> Self {
        LoanOwners {
            kept: Vec::with_capacity(n),
            by_id: Vec::new(),
            first: 0,
        }
    }

    pub fn push(&mut self, loan: i64, unit: usize, resource: Option<usize>) {
        let resource = resource.map_or(NO_RESOURCE, |r| u32::try_from(r).unwrap_or(NO_RESOURCE));
        self.kept
            .push((loan, u32::try_from(unit).unwrap_or(u32::MAX), resource));
    }

    /// Makes the loans ready to look up: placed by id when the ids span at most four
    /// times their number (a period's loans were made within months of each other),
    /// else sorted for a binary search.
    pub fn seal(&mut self) {
        let (Some(first), Some(last)) = (
            self.kept.iter().map(|k| k.0).min(),
            self.kept.iter().map(|k| k.0).max(),
        ) else {
            return;
        };
        let span = usize::try_from(last - first + 1).unwrap_or(usize::MAX);
        if span <= self.kept.len().saturating_mul(4) {
            self.first = first;
            self.by_id = vec![0; span];
            for &(loan, unit, resource) in &self.kept {
                let low = resource.wrapping_add(1);
                self.by_id[(loan - first) as usize] = (u64::from(unit) + 1) << 32 | u64::from(low);
            }
            self.kept = Vec::new();
        } else {
            self.kept.sort_unstable_by_key(|k| k.0);
        }
    }

    /// The owner of `loan` if the first pass kept it (after [`seal`](Self::seal)).
    pub fn get(&self, loan: i64) -> Option<(usize, Option<usize>)> {
        let (unit, resource) = if self.by_id.is_empty() {
            let at = self.kept.binary_search_by_key(&loan, |k| k.0).ok()?;
            (self.kept[at].1, self.kept[at].2)
        } else {
            let slot = *self
                .by_id
                .get(usize::try_from(loan.checked_sub(self.first)?).ok()?)?;
            if slot == 0 {
                return None;
            }
            ((slot >> 32) as u32 - 1, (slot as u32).wrapping_sub(1))
        };
        Some((
            unit as usize,
            (resource != NO_RESOURCE).then_some(resource as usize),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_long_ids_are_both_found() {
        let mut index = ResourceIndex::default();
        let ids = [
            "n000001",
            "",
            "a-rather-long-resource-identifier",
            "fifteen-bytes-x",
            "中文编号",
        ];
        for (i, id) in ids.iter().enumerate() {
            index.insert(id, i);
        }
        for (i, id) in ids.iter().enumerate() {
            assert_eq!(index.get(id), Some(i), "{id}");
        }
        assert_eq!(index.get("n000002"), None);
        assert_eq!(index.get("n00000"), None);
        assert_eq!(index.get("a-rather-long-resource-identifieR"), None);
    }

    #[test]
    fn owners_are_found_whether_ids_are_dense_or_scattered() {
        for scattered in [false, true] {
            let mut owners = LoanOwners::with_capacity(4);
            let far = if scattered { 1_000_000 } else { 14 };
            owners.push(12, 0, Some(7));
            owners.push(10, 3, None);
            owners.push(far, 2, Some(0));
            owners.push(11, 1, Some(NO_RESOURCE as usize - 1));
            owners.seal();
            assert_eq!(owners.get(12), Some((0, Some(7))), "scattered {scattered}");
            assert_eq!(owners.get(10), Some((3, None)));
            assert_eq!(owners.get(far), Some((2, Some(0))));
            assert_eq!(owners.get(11), Some((1, Some(NO_RESOURCE as usize - 1))));
            for missing in [9, 13, far + 1, -5, i64::MAX, i64::MIN] {
                assert_eq!(owners.get(missing), None, "{missing}");
            }
        }
        let mut empty = LoanOwners::with_capacity(0);
        empty.seal();
        assert_eq!(empty.get(1), None);
    }
}
