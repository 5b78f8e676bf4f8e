//! `KeyedMap`: a map with string keys that answers point lookups from a hash table and walks
//! keys in order from a sorted index.
//!
//! etcd and the informers hold up to 150,000 pods and 750,000 events under long keys that
//! share most of their prefix (`/registry/pods/default/web-5d98b758f9-...`). In a B-tree
//! every lookup compares against ~17 such keys, each a pointer to chase and a prefix to
//! compare; most lookups are updates of a key that already exists. Here a lookup is one hash
//! and one comparison, and only inserts and removals touch the sorted index. Iteration
//! follows the index, so the order (and with it the simulation) stays deterministic.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::Bound;

/// The Fx hash (rustc's): a multiply and a rotate per 8 bytes. Not DoS-resistant, which a
/// simulation whose keys the user types does not need.
#[derive(Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.add(n as u64);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.add(n);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

pub type FxBuild = BuildHasherDefault<FxHasher>;
pub type FxHashMap<K, V> = HashMap<K, V, FxBuild>;
pub type FxHashSet<K> = std::collections::HashSet<K, FxBuild>;

#[derive(Clone, Debug)]
pub struct KeyedMap<K, V> {
    map: FxHashMap<K, V>,
    order: BTreeSet<K>,
}

impl<K, V> Default for KeyedMap<K, V> {
    fn default() -> Self {
        KeyedMap { map: HashMap::default(), order: BTreeSet::new() }
    }
}

impl<K: Clone + Ord + Hash + Borrow<str>, V> KeyedMap<K, V> {
    pub fn new() -> Self {
        Self::default()
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    pub fn get(&self, key: &str) -> Option<&V> {
        self.map.get(key)
    }
    pub fn get_key_value(&self, key: &str) -> Option<(&K, &V)> {
        self.map.get_key_value(key)
    }
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        self.map.get_mut(key)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.map.contains_key(key)
    }
    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        if let Some(slot) = self.map.get_mut(key.borrow()) {
            return Some(std::mem::replace(slot, value));
        }
        self.order.insert(key.clone());
        self.map.insert(key, value);
        None
    }
    pub fn remove_entry(&mut self, key: &str) -> Option<(K, V)> {
        let (k, v) = self.map.remove_entry(key)?;
        self.order.remove(key);
        Some((k, v))
    }
    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }
    pub fn clear(&mut self) {
        self.map.clear();
        self.order.clear();
    }
    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.order.iter().map(|k| (k, &self.map[k.borrow()]))
    }
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
    /// Entries whose key starts with `prefix`, in key order.
    pub fn range<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a K, &'a V)> + 'a {
        self.order.range::<str, _>((Bound::Included(prefix), Bound::Unbounded)).take_while(move |k| (*k).borrow().starts_with(prefix)).map(|k| (k, &self.map[k.borrow()]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn looks_up_by_hash_and_walks_in_key_order() {
        let mut m: KeyedMap<Arc<str>, i32> = KeyedMap::new();
        for (i, k) in ["/b/2", "/a/1", "/b/1", "/c"].iter().enumerate() {
            assert_eq!(m.insert(Arc::from(*k), i as i32), None);
        }
        assert_eq!(m.insert(Arc::from("/b/1"), 9), Some(2), "a second insert replaces");
        assert_eq!(m.len(), 4);
        assert_eq!(m.get("/b/1"), Some(&9));
        assert_eq!(m.iter().map(|(k, _)| &**k).collect::<Vec<_>>(), ["/a/1", "/b/1", "/b/2", "/c"]);
        assert_eq!(m.range("/b/").map(|(_, v)| *v).collect::<Vec<_>>(), [9, 0]);
        assert_eq!(m.remove("/b/1"), Some(9));
        assert_eq!(m.remove("/b/1"), None);
        assert_eq!(m.range("/b").count(), 1);
        assert!(m.get("/b/1").is_none() && m.len() == 3);
    }

    #[test]
    fn the_hash_is_the_same_every_run() {
        use std::hash::BuildHasher;
        let h = FxBuild::default().hash_one("/registry/pods/default/web");
        assert_eq!(h, FxBuild::default().hash_one("/registry/pods/default/web"));
        assert_ne!(h, FxBuild::default().hash_one("/registry/pods/default/wec"));
    }
}
