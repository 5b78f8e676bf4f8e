//! The simulated etcd: a key-value store with one global revision, per-key create/mod
//! revisions and versions, prefix ranges, transactions that compare a key's mod revision (the
//! compare-and-swap kube-apiserver's GuaranteedUpdate relies on), and a bounded event history
//! that watches replay from. Like real etcd after compaction, a watch from a revision older
//! than the history is refused ("required revision has been compacted"); the API server turns
//! that into 410 Gone, "resource version too old", and the client relists.
//!
//! Real etcd stores opaque protobuf bytes and the API server fills in `resourceVersion` when it
//! decodes them. Here values are shared immutable objects and the store stamps the revision
//! into `metadata.resourceVersion` as it writes, which is what every reader would see.

use std::collections::VecDeque;
use std::rc::Rc;

use super::keyed::{FxHashMap, FxHashSet, KeyedMap};
use super::objects::{Kind, ObjectRc, ResourceVersion, Str};

const POD_PREFIX: &str = Kind::Pod.etcd_prefix();

pub type Revision = u64;

#[derive(Clone, Debug)]
pub struct KeyValue {
    /// The key again (shared with the table's), so a write finds key and value in one lookup.
    pub key: Str,
    pub create_revision: Revision,
    pub mod_revision: Revision,
    pub version: u64,
    pub value: ObjectRc,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Put,
    Delete,
}

/// One entry of etcd's history: what a watcher receives.
#[derive(Clone, Debug)]
pub struct EtcdEvent {
    pub revision: Revision,
    pub kind: EventType,
    pub key: Str,
    /// The new value for a put; the last value for a delete.
    pub value: ObjectRc,
    pub prev: Option<ObjectRc>,
    pub create_revision: Revision,
}

/// The condition of a transaction: the key's mod revision must equal this (0 = absent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Compare {
    pub mod_revision: Revision,
}

#[derive(Clone, Debug)]
pub enum TxnOp {
    Put(ObjectRc),
    Delete,
}

#[derive(Clone, Debug)]
pub struct TxnResult {
    pub succeeded: bool,
    /// The store's revision after the transaction.
    pub revision: Revision,
    /// On success, the event written; on failure, the key's current value, if any.
    pub event: Option<EtcdEvent>,
    pub current: Option<KeyValue>,
    /// A refused put's value, back to the writer (to try again under another name).
    pub rejected: Option<ObjectRc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Compacted {
    pub compact_revision: Revision,
}

#[derive(Clone, Debug)]
pub struct Etcd {
    revision: Revision,
    kvs: KeyedMap<Str, KeyValue>,
    history: VecDeque<EtcdEvent>,
    history_limit: usize,
    /// The newest revision dropped from the history (0: nothing dropped yet).
    compacted: Revision,
    /// The simulation's own index, not etcd's: the keys of the pods bound to each node, and
    /// how many pods there are. A kubelet that polls lists the pods of its node: etcd hands
    /// the API server every pod and the API server keeps the node's (`list`). With 5,000
    /// kubelets polling 150,000 pods each second, copying every pod for each of them only to
    /// drop all but 30 would stop the simulation; the index finds the 30, and the count says
    /// how many etcd read.
    pods_by_node: FxHashMap<Str, FxHashSet<Str>>,
    pods: usize,
}

impl Etcd {
    pub fn new(history_limit: usize) -> Self {
        Etcd { revision: 1, kvs: KeyedMap::new(), history: VecDeque::new(), history_limit: history_limit.max(1), compacted: 0, pods_by_node: FxHashMap::default(), pods: 0 }
    }

    /// The current revision (etcd starts at 1 for an empty store).
    pub fn revision(&self) -> Revision {
        self.revision
    }

    pub fn len(&self) -> usize {
        self.kvs.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kvs.is_empty()
    }

    pub fn get(&self, key: &str) -> Option<&KeyValue> {
        self.kvs.get(key)
    }

    /// All keys under `prefix`, in key order, like `etcdctl get --prefix`.
    pub fn range<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a Str, &'a KeyValue)> + 'a {
        self.kvs.range(prefix)
    }

    /// What a LIST under `prefix` reads: how many keys etcd returns, and those of them the API
    /// server may keep. For the pods of one node (`node`, a kubelet's list of every
    /// namespace's pods) only those are copied, from the index; for anything else, all.
    pub fn list<'a>(&'a self, prefix: &'a str, node: Option<&str>) -> (usize, Vec<&'a KeyValue>) {
        match node {
            Some(node) if prefix == POD_PREFIX => {
                let mut kvs: Vec<&KeyValue> = self.pods_by_node.get(node).into_iter().flatten().filter_map(|k| self.kvs.get(k)).collect();
                kvs.sort_unstable_by(|a, b| a.key.cmp(&b.key));
                (self.pods, kvs)
            }
            _ => {
                let kvs: Vec<&KeyValue> = self.range(prefix).map(|(_, kv)| kv).collect();
                (kvs.len(), kvs)
            }
        }
    }

    /// Keeps `pods_by_node` and `pods` in step with a pod's write.
    fn index_pod(&mut self, e: &EtcdEvent) {
        let node_of = |o: &ObjectRc| o.as_pod().map(|p| p.spec.node_name.clone()).filter(|n| !n.is_empty());
        let before = e.prev.as_ref().and_then(node_of);
        let after = match e.kind {
            EventType::Put => node_of(&e.value),
            EventType::Delete => None,
        };
        match (e.kind, &e.prev) {
            (EventType::Put, None) => self.pods += 1,
            (EventType::Delete, _) => self.pods -= 1,
            _ => {}
        }
        if before == after {
            return;
        }
        if let Some(node) = before {
            if let Some(keys) = self.pods_by_node.get_mut(&node) {
                keys.remove(&e.key);
                if keys.is_empty() {
                    self.pods_by_node.remove(&node);
                }
            }
        }
        if let Some(node) = after {
            self.pods_by_node.entry(node).or_default().insert(e.key.clone());
        }
    }

    /// Applies `op` if the key's mod revision equals `cmp` (0 meaning the key must not exist).
    /// `key` is a `&str`, or a `Str` the store keeps as it is when the key is new.
    pub fn txn(&mut self, key: impl AsRef<str> + Into<Str>, cmp: Compare, op: TxnOp) -> TxnResult {
        // One lookup finds the key's current value, to compare and then to update in place
        // (keys are long and rarely in cache: each lookup costs a miss).
        let current = self.kvs.get_mut(key.as_ref());
        let current_mod = current.as_ref().map_or(0, |kv| kv.mod_revision);
        if current_mod != cmp.mod_revision || (matches!(op, TxnOp::Delete) && current.is_none()) {
            let rejected = match op {
                TxnOp::Put(v) => Some(v),
                TxnOp::Delete => None,
            };
            return TxnResult { succeeded: false, revision: self.revision, event: None, current: current.map(|kv| kv.clone()), rejected };
        }
        self.revision += 1;
        let rev = self.revision;
        let event = match (op, current) {
            (TxnOp::Put(mut value), current) => {
                // The writer's copy is normally the only one, so this changes it in place.
                Rc::make_mut(&mut value).meta_mut().resource_version = ResourceVersion(rev);
                match current {
                    Some(kv) => {
                        let prev = std::mem::replace(&mut kv.value, value.clone());
                        kv.mod_revision = rev;
                        kv.version += 1;
                        EtcdEvent { revision: rev, kind: EventType::Put, key: kv.key.clone(), value, prev: Some(prev), create_revision: kv.create_revision }
                    }
                    None => {
                        let k: Str = key.into();
                        self.kvs.insert(k.clone(), KeyValue { key: k.clone(), create_revision: rev, mod_revision: rev, version: 1, value: value.clone() });
                        EtcdEvent { revision: rev, kind: EventType::Put, key: k, value, prev: None, create_revision: rev }
                    }
                }
            }
            (TxnOp::Delete, _) => {
                let (k, prev) = self.kvs.remove_entry(key.as_ref()).expect("checked above");
                EtcdEvent { revision: rev, kind: EventType::Delete, key: k, value: prev.value.clone(), prev: Some(prev.value), create_revision: prev.create_revision }
            }
        };
        if event.key.starts_with(POD_PREFIX) {
            self.index_pod(&event);
        }
        self.history.push_back(event.clone());
        if self.history.len() > self.history_limit {
            if let Some(dropped) = self.history.pop_front() {
                self.compacted = dropped.revision;
            }
        }
        TxnResult { succeeded: true, revision: rev, event: Some(event), current: None, rejected: None }
    }

    /// The events after `since` (exclusive) whose key starts with `prefix`, or `Compacted` if the
    /// history no longer reaches back that far.
    pub fn events_since(&self, since: Revision, prefix: &str) -> Result<Vec<EtcdEvent>, Compacted> {
        // Events after `since` are all still here unless one of them was dropped.
        if since < self.compacted {
            return Err(Compacted { compact_revision: self.compacted });
        }
        Ok(self.history.iter().filter(|e| e.revision > since && e.key.starts_with(prefix)).cloned().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::objects::{Namespace, Object, ObjectMeta};

    fn ns(name: &str) -> Object {
        Object::Namespace(Namespace { metadata: ObjectMeta { name: name.into(), ..Default::default() }, ..Default::default() })
    }

    #[test]
    fn revisions_grow_and_keys_track_create_and_mod_revision() {
        let mut etcd = Etcd::new(100);
        let r1 = etcd.txn("/registry/namespaces/a", Compare { mod_revision: 0 }, TxnOp::Put(Rc::new(ns("a"))));
        assert!(r1.succeeded);
        assert_eq!(r1.revision, 2);
        let r2 = etcd.txn("/registry/namespaces/a", Compare { mod_revision: 2 }, TxnOp::Put(Rc::new(ns("a"))));
        assert!(r2.succeeded);
        let kv = etcd.get("/registry/namespaces/a").unwrap();
        assert_eq!((kv.create_revision, kv.mod_revision, kv.version), (2, 3, 2));
        assert_eq!(kv.value.meta().resource_version, ResourceVersion(3));
    }

    #[test]
    fn compare_and_swap_refuses_a_stale_revision() {
        let mut etcd = Etcd::new(100);
        etcd.txn("/k", Compare { mod_revision: 0 }, TxnOp::Put(Rc::new(ns("a"))));
        let stale = etcd.txn("/k", Compare { mod_revision: 0 }, TxnOp::Put(Rc::new(ns("a"))));
        assert!(!stale.succeeded);
        assert_eq!(stale.current.unwrap().mod_revision, 2);
        assert_eq!(etcd.revision(), 2);
    }

    #[test]
    fn a_node_s_pods_are_listed_as_a_full_range_filtered_would_list_them() {
        use crate::sim::objects::{Pod, PodSpec};
        let pod = |name: &str, node: &str| {
            let spec = PodSpec { node_name: node.into(), ..Default::default() };
            Rc::new(Object::Pod(Pod { metadata: ObjectMeta { name: name.into(), namespace: "default".into(), ..Default::default() }, spec: Rc::new(spec), ..Default::default() }))
        };
        // Pods created unbound or bound, bound later, moved (as a delete and a create of the
        // same name would), deleted, and other keys beside them.
        let mut rng = crate::sim::rng::Rng::new(3);
        let mut etcd = Etcd::new(10);
        let nodes = ["", "n1", "n2", "n3"];
        for step in 0..2_000 {
            let name = format!("p{}", rng.below(60));
            let key = format!("/registry/pods/default/{name}");
            let current = etcd.get(&key).map_or(0, |kv| kv.mod_revision);
            if current != 0 && rng.below(5) == 0 {
                assert!(etcd.txn(key.as_str(), Compare { mod_revision: current }, TxnOp::Delete).succeeded);
            } else {
                let node = nodes[rng.below(nodes.len() as u64) as usize];
                assert!(etcd.txn(key.as_str(), Compare { mod_revision: current }, TxnOp::Put(pod(&name, node))).succeeded);
            }
            if step % 50 == 0 {
                etcd.txn(format!("/registry/namespaces/ns{step}").as_str(), Compare { mod_revision: 0 }, TxnOp::Put(Rc::new(ns("x"))));
            }
            for node in &nodes[1..] {
                let (read, kvs) = etcd.list(POD_PREFIX, Some(node));
                let all: Vec<&KeyValue> = etcd.range(POD_PREFIX).map(|(_, kv)| kv).collect();
                let want: Vec<&Str> = all.iter().filter(|kv| kv.value.as_pod().is_some_and(|p| p.spec.node_name == *node)).map(|kv| &kv.key).collect();
                assert_eq!(kvs.iter().map(|kv| &kv.key).collect::<Vec<_>>(), want, "{node}'s pods in key order at step {step}");
                assert_eq!(read, all.len(), "etcd reads every pod");
            }
        }
        // Anything but a node's pods is the whole range.
        let (read, kvs) = etcd.list("/registry/namespaces/", Some("n1"));
        assert_eq!((read, kvs.len()), (40, 40));
    }

    #[test]
    fn watch_from_a_compacted_revision_is_refused() {
        let mut etcd = Etcd::new(3);
        for i in 0..6 {
            etcd.txn(&format!("/k{i}"), Compare { mod_revision: 0 }, TxnOp::Put(Rc::new(ns("a"))));
        }
        assert_eq!(etcd.events_since(1, "/").unwrap_err(), Compacted { compact_revision: 4 });
        assert!(etcd.events_since(3, "/").is_err());
        assert_eq!(etcd.events_since(4, "/").unwrap().len(), 3, "revisions 5, 6 and 7 are kept");
        assert_eq!(etcd.events_since(5, "/").unwrap().len(), 2);
        let fresh = Etcd::new(3);
        assert!(fresh.events_since(0, "/").unwrap().is_empty(), "nothing dropped, nothing refused");
        assert_eq!(etcd.range("/k").count(), 6);
    }
}
