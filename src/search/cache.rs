//! A least-recently-used cache bounded by the bytes its values hold, shared by threads.

use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

use lru::LruCache;

/// A value's size as the cache counts it.
pub(crate) trait Weigh {
    fn weight(&self) -> usize;
}

pub(crate) struct WeightedLru<K: Hash + Eq, V> {
    inner: Mutex<Inner<K, V>>,
}

struct Inner<K: Hash + Eq, V> {
    entries: LruCache<K, Arc<V>>,
    bytes: usize,
    capacity_bytes: usize,
}

impl<K: Hash + Eq, V: Weigh> WeightedLru<K, V> {
    pub fn new(capacity_bytes: usize) -> Self {
        WeightedLru {
            inner: Mutex::new(Inner {
                entries: LruCache::unbounded(),
                bytes: 0,
                capacity_bytes,
            }),
        }
    }

    pub fn get(&self, key: &K) -> Option<Arc<V>> {
        self.lock().entries.get(key).map(Arc::clone)
    }

    /// Keeps `value` unless it would take more than a quarter of the cache, evicting the
    /// least recently used entries beyond the capacity.
    pub fn insert(&self, key: K, value: Arc<V>) {
        let weight = value.weight();
        let mut inner = self.lock();
        if weight > inner.capacity_bytes / 4 {
            return;
        }
        if let Some(old) = inner.entries.put(key, value) {
            inner.bytes -= old.weight();
        }
        inner.bytes += weight;
        inner.evict();
    }

    /// Changes the capacity (0 turns the cache off), evicting what no longer fits.
    pub fn set_capacity(&self, capacity_bytes: usize) {
        let mut inner = self.lock();
        inner.capacity_bytes = capacity_bytes;
        inner.evict();
    }

    /// Drops every entry whose key fails `keep`.
    pub fn retain(&self, keep: impl Fn(&K) -> bool) {
        let mut inner = self.lock();
        let Inner { entries, bytes, .. } = &mut *inner;
        let mut dropped = 0usize;
        let mut kept = LruCache::unbounded();
        // Oldest first, so the kept entries keep their order of use.
        while let Some((key, value)) = entries.pop_lru() {
            if keep(&key) {
                kept.put(key, value);
            } else {
                dropped += value.weight();
            }
        }
        *entries = kept;
        *bytes -= dropped;
    }

    /// Bytes held now.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    fn lock(&self) -> MutexGuard<'_, Inner<K, V>> {
        // Entries are whole values put in under the lock, so a poisoned lock still guards a
        // usable cache.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl<K: Hash + Eq, V: Weigh> Inner<K, V> {
    fn evict(&mut self) {
        while self.bytes > self.capacity_bytes {
            match self.entries.pop_lru() {
                Some((_, old)) => self.bytes -= old.weight(),
                None => break,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Weigh for String {
        fn weight(&self) -> usize {
            self.len()
        }
    }

    #[test]
    fn evicts_least_recently_used_beyond_its_bytes() {
        let cache = WeightedLru::new(40);
        let ten = |c: char| Arc::new(c.to_string().repeat(10));
        cache.insert(1, ten('a'));
        cache.insert(2, ten('b'));
        assert!(
            cache.get(&1).is_some(),
            "1 is now more recently used than 2"
        );
        cache.insert(3, ten('c'));
        cache.insert(4, ten('d'));
        assert_eq!(cache.bytes(), 40, "exactly full is kept");
        cache.insert(5, Arc::new("eeeee".to_owned()));
        assert_eq!(cache.bytes(), 35);
        assert!(cache.get(&2).is_none(), "2 was the least recently used");
        assert_eq!(cache.get(&1), Some(ten('a')));
        cache.insert(6, Arc::new("f".repeat(11)));
        assert!(
            cache.get(&6).is_none(),
            "more than a quarter of the cache is not kept"
        );
        cache.insert(1, Arc::new("x".to_owned()));
        assert_eq!(cache.bytes(), 26, "a replaced value's bytes are given back");
        cache.retain(|k| *k != 3);
        assert!(cache.get(&3).is_none());
        assert_eq!(
            cache.bytes(),
            16,
            "retain gives back the bytes of what it drops"
        );
        cache.set_capacity(0);
        assert_eq!(cache.bytes(), 0);
        assert!(cache.get(&1).is_none());
    }
}
