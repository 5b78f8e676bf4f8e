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
//!
//! The index is kept per resource: one sorted list for the keys under each
//! `/registry/<resource>/` (the key up to its third `/`). A poll-mode cluster lists
//! something many times a second while other things are written: a kube-proxy's list of
//! Services then sorts in only the new Service keys, not every Event and pod written since.

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
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

/// The sorted index of one bucket, brought up to date lazily: inserts only append to
/// `pending`, removals only count, and the next ordered walk merges (a sort of the new keys
/// and one pass).
#[derive(Clone, Debug)]
struct Order<K> {
    sorted: Vec<K>,
    pending: Vec<K>,
    removed: usize,
}

impl<K> Default for Order<K> {
    fn default() -> Self {
        Order { sorted: Vec::new(), pending: Vec::new(), removed: 0 }
    }
}

/// Where the name of the bucket a key is indexed in ends: after the key's third `/`
/// (`/registry/pods/`). A key with fewer is a bucket of its own. Every key of a bucket starts
/// with the bucket's name, and two buckets' keys never interleave, so walking the buckets in
/// name order and each one's keys in order walks every key in order. (A bucket that is a
/// proper prefix of another is a whole key with fewer than three `/`, which sorts before
/// every key of the other.)
fn bucket_end(key: &str) -> Option<usize> {
    key.bytes().enumerate().filter(|&(_, b)| b == b'/').nth(2).map(|(i, _)| i + 1)
}

fn bucket(key: &str) -> &str {
    &key[..bucket_end(key).unwrap_or(key.len())]
}

#[derive(Debug)]
pub struct KeyedMap<K, V> {
    map: FxHashMap<K, V>,
    /// Behind a mutex because ordered walks take `&self`; nothing ever waits on it (the
    /// simulation is single-threaded), it only makes the map shareable. By bucket name.
    order: std::sync::Mutex<BTreeMap<Box<str>, Order<K>>>,
}

impl<K: Clone, V: Clone> Clone for KeyedMap<K, V> {
    fn clone(&self) -> Self {
        let order = self.order.lock().unwrap_or_else(|e| e.into_inner()).clone();
        KeyedMap { map: self.map.clone(), order: std::sync::Mutex::new(order) }
    }
}

impl<K, V> Default for KeyedMap<K, V> {
    fn default() -> Self {
        KeyedMap { map: HashMap::default(), order: std::sync::Mutex::new(BTreeMap::new()) }
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
    /// The index of `key`'s bucket (made on its first key).
    fn order_mut(&mut self, key: &str) -> &mut Order<K> {
        let buckets = self.order.get_mut().unwrap_or_else(|e| e.into_inner());
        let name = bucket(key);
        if !buckets.contains_key(name) {
            buckets.insert(name.into(), Order::default());
        }
        buckets.get_mut(name).expect("inserted above")
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
        self.order_mut(key.borrow()).pending.push(key);
        None
    }
    pub fn remove_entry(&mut self, key: &str) -> Option<(K, V)> {
        let (k, v) = self.map.remove_entry(key)?;
        self.order_mut(key).removed += 1;
        Some((k, v))
    }
    pub fn remove(&mut self, key: &str) -> Option<V> {
        self.remove_entry(key).map(|(_, v)| v)
    }
    pub fn clear(&mut self) {
        self.map.clear();
        self.order.get_mut().unwrap_or_else(|e| e.into_inner()).clear();
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
        let mut buckets = self.order.lock().unwrap_or_else(|e| e.into_inner());
        let mut keys: Vec<K> = Vec::new();
        // A prefix that reaches its third `/` is within one bucket; a shorter one may span
        // several: those whose names start with it.
        let one = bucket_end(prefix).map(|end| &prefix[..end]);
        let spans = |name: &str| match one {
            Some(one) => name == one,
            None => name.starts_with(prefix),
        };
        for (name, o) in buckets.range_mut::<str, _>((std::ops::Bound::Unbounded, std::ops::Bound::Unbounded)) {
            if !spans(name) {
                continue;
            }
            self.bring_up_to_date(o);
            let start = o.sorted.partition_point(|k| <K as Borrow<str>>::borrow(k) < prefix);
            keys.extend(o.sorted[start..].iter().take_while(|k| <K as Borrow<str>>::borrow(k).starts_with(prefix)).cloned());
        }
        drop(buckets);
        keys.into_iter().filter_map(move |k| self.map.get_key_value(k.borrow()))
    }

    /// Merges a bucket's new keys into its sorted list.
    fn bring_up_to_date(&self, o: &mut Order<K>) {
        if o.pending.is_empty() && o.removed == 0 {
            return;
        }
        let mut pending = std::mem::take(&mut o.pending);
        pending.sort_unstable();
        let sorted = std::mem::take(&mut o.sorted);
        // With nothing removed since the last merge, every listed key is still in the map,
        // and none is listed twice (a key is only listed again after it was removed).
        let check = o.removed > 0;
        let mut merged = Vec::with_capacity(sorted.len() + pending.len());
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
                if !check || self.map.contains_key(<K as Borrow<str>>::borrow(&k)) && merged.last() != Some(&k) {
                    merged.push(k);
                }
            }
        }
        o.sorted = merged;
        o.removed = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    // (BTreeMap comes with super::*.)

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
    fn walks_agree_with_a_sorted_map_across_buckets() {
        // Keys of many buckets and of none (fewer than three `/`), written, replaced and
        // removed at random; every walk, under every kind of prefix, in the sorted map's order.
        let mut rng = crate::sim::rng::Rng::new(11);
        let parts = ["", "/", "r", "registry", "pods", "p", "a", "a/b", "ns", "x"];
        let pick = |rng: &mut crate::sim::rng::Rng| {
            let n = 1 + rng.below(5) as usize;
            (0..n).map(|_| parts[rng.below(parts.len() as u64) as usize]).collect::<Vec<_>>().join("/")
        };
        let mut m: KeyedMap<Arc<str>, u64> = KeyedMap::new();
        let mut reference = BTreeMap::new();
        for step in 0..3_000u64 {
            let k = pick(&mut rng);
            if rng.below(4) == 0 {
                assert_eq!(m.remove(&k), reference.remove(&k));
            } else {
                assert_eq!(m.insert(Arc::from(k.as_str()), step), reference.insert(k, step));
            }
            if step % 7 == 0 {
                let prefix = pick(&mut rng);
                let prefix = &prefix[..rng.below(prefix.len() as u64 + 1) as usize];
                let got: Vec<(String, u64)> = m.range(prefix).map(|(k, v)| (k.to_string(), *v)).collect();
                let want: Vec<(String, u64)> = reference.iter().filter(|(k, _)| k.starts_with(prefix)).map(|(k, v)| (k.clone(), *v)).collect();
                assert_eq!(got, want, "prefix {prefix:?} at step {step}");
            }
        }
        assert_eq!(m.iter().count(), reference.len());
    }

    #[test]
    fn the_hash_is_the_same_every_run() {
        use std::hash::BuildHasher;
        let h = FxBuild::default().hash_one("/registry/pods/default/web");
        assert_eq!(h, FxBuild::default().hash_one("/registry/pods/default/web"));
        assert_ne!(h, FxBuild::default().hash_one("/registry/pods/default/wec"));
    }
}
