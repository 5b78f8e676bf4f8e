//! `KeyedMap`: a map with string keys that answers point lookups from a hash table and walks
//! keys in order from a sorted index.
//!
//! etcd and the informers hold up to 150,000 pods and 750,000 events under long keys that
//! share most of their prefix (`/registry/pods/default/web-5d98b758f9-...`). In a B-tree
//! every lookup compares against ~17 such keys, each a pointer to chase and a prefix to
//! compare; most lookups are updates of a key that already exists. Here a lookup is one hash
//! and one comparison. The sorted index is rebuilt lazily, when something walks the keys in
//! order (a List, etcdctl, the UI's etcd panel): writes, which happen a hundred times more
//! often, never pay for it. Walks follow the index, so the order stays deterministic.

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

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

/// The sorted index, brought up to date lazily: inserts only append to `pending`, removals
/// only count, and the next ordered walk merges (a sort of the new keys and one pass).
#[derive(Clone, Debug)]
struct Order<K> {
    sorted: Vec<K>,
    pending: Vec<K>,
    removed: usize,
}

#[derive(Debug)]
pub struct KeyedMap<K, V> {
    map: FxHashMap<K, V>,
    /// Behind a mutex because ordered walks take `&self`; nothing ever waits on it (the
    /// simulation is single-threaded), it only makes the map shareable.
    order: std::sync::Mutex<Order<K>>,
}

impl<K: Clone, V: Clone> Clone for KeyedMap<K, V> {
    fn clone(&self) -> Self {
        let order = self.order.lock().unwrap_or_else(|e| e.into_inner()).clone();
        KeyedMap { map: self.map.clone(), order: std::sync::Mutex::new(order) }
    }
}

impl<K, V> Default for KeyedMap<K, V> {
    fn default() -> Self {
        KeyedMap { map: HashMap::default(), order: std::sync::Mutex::new(Order { sorted: Vec::new(), pending: Vec::new(), removed: 0 }) }
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
    fn order_mut(&mut self) -> &mut Order<K> {
        self.order.get_mut().unwrap_or_else(|e| e.into_inner())
    }
    /// Inserts or replaces; returns the old value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        // One probe (the key is hashed once): a long key costs a pass over its bytes to hash.
        let key = match self.map.entry(key) {
            std::collections::hash_map::Entry::Occupied(mut e) => return Some(e.insert(value)),
            std::collections::hash_map::Entry::Vacant(e) => {
                let key = e.key().clone();
                e.insert(value);
                key
            }
        };
        self.order_mut().pending.push(key);
        None
    }
    pub fn remove_entry(&mut self, key: &str) -> Option<(K, V)> {
        let (k, v) = self.map.remove_entry(key)?;
        self.order_mut().removed += 1;
        Some((k, v))
    }
    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }
    pub fn clear(&mut self) {
        self.map.clear();
        let o = self.order_mut();
        o.sorted.clear();
        o.pending.clear();
        o.removed = 0;
    }
    /// Entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> + '_ {
        self.range("")
    }
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }
    /// Entries whose key starts with `prefix`, in key order.
    pub fn range<'a>(&'a self, prefix: &str) -> impl Iterator<Item = (&'a K, &'a V)> + 'a {
        let mut o = self.order.lock().unwrap_or_else(|e| e.into_inner());
        if !o.pending.is_empty() || o.removed > 0 {
            let mut pending = std::mem::take(&mut o.pending);
            pending.sort_unstable();
            let sorted = std::mem::take(&mut o.sorted);
            let mut merged = Vec::with_capacity(self.map.len());
            let (mut a, mut b) = (sorted.into_iter().peekable(), pending.into_iter().peekable());
            loop {
                let next = match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) if x <= y => a.next(),
                    (Some(_), Some(_)) | (None, Some(_)) => b.next(),
                    (Some(_), None) => a.next(),
                    (None, None) => break,
                };
                if let Some(k) = next {
                    // Drop keys removed since (and re-inserted keys' old copies).
                    if self.map.contains_key(<K as Borrow<str>>::borrow(&k)) && merged.last() != Some(&k) {
                        merged.push(k);
                    }
                }
            }
            o.sorted = merged;
            o.removed = 0;
        }
        let start = o.sorted.partition_point(|k| <K as Borrow<str>>::borrow(k) < prefix);
        let keys: Vec<K> = o.sorted[start..].iter().take_while(|k| <K as Borrow<str>>::borrow(k).starts_with(prefix)).cloned().collect();
        drop(o);
        keys.into_iter().filter_map(move |k| self.map.get_key_value(k.borrow()))
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
        m.insert(Arc::from("/b/1"), 5);
        m.insert(Arc::from("/a/0"), 6);
        assert_eq!(m.iter().map(|(k, v)| (&**k, *v)).collect::<Vec<_>>(), [("/a/0", 6), ("/a/1", 1), ("/b/1", 5), ("/b/2", 0), ("/c", 3)], "a removed key inserted again appears once");
        let copy = m.clone();
        m.clear();
        assert_eq!((m.iter().count(), copy.iter().count()), (0, 5));
    }

    #[test]
    fn the_hash_is_the_same_every_run() {
        use std::hash::BuildHasher;
        let h = FxBuild::default().hash_one("/registry/pods/default/web");
        assert_eq!(h, FxBuild::default().hash_one("/registry/pods/default/web"));
        assert_ne!(h, FxBuild::default().hash_one("/registry/pods/default/wec"));
    }
}
