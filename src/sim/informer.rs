//! Informers: a component's local cache of the objects it cares about, kept current in one of
//! the two ways the simulation can show.
//!
//! - Watch (what Kubernetes does): one request lists the objects and keeps the connection open;
//!   the API server then pushes every change as a watch event (client-go's reflector with the
//!   watch-list feature).
//! - Poll (what the walkthrough describes): the component lists again every interval and
//!   compares the answer with its cache to find what changed.
//!
//! Either way the component sees the same `Change`s, so controllers do not care which it is.


use super::engine::Ctx;
use super::message::{ApiReply, ApiRequest, Body, RequestId, Timer, Verb, WatchType};
use super::keyed::{FxHashMap, FxHashSet};
use super::objects::{Kind, ObjectRc, Str};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum NoticeMode {
    #[default]
    Watch,
    Poll,
}

#[derive(Clone, Debug)]
pub enum Change {
    Added(ObjectRc),
    Updated { old: ObjectRc, new: ObjectRc },
    Deleted(ObjectRc),
}

impl Change {
    pub fn object(&self) -> &ObjectRc {
        match self {
            Change::Added(o) | Change::Deleted(o) | Change::Updated { new: o, .. } => o,
        }
    }
}

/// What one message changed in a component's caches: nearly always one object (a watch event),
/// so that case is held without a heap allocation; a list can change many.
#[derive(Debug, Default)]
pub enum Changes {
    #[default]
    None,
    One(Kind, Change),
    Many(Vec<(Kind, Change)>),
}

impl Changes {
    pub fn iter(&self) -> impl Iterator<Item = (Kind, &Change)> {
        let (one, many) = match self {
            Changes::None => (None, &[][..]),
            Changes::One(k, c) => (Some((*k, c)), &[][..]),
            Changes::Many(v) => (None, &v[..]),
        };
        one.into_iter().chain(many.iter().map(|(k, c)| (*k, c)))
    }
}

impl IntoIterator for Changes {
    type Item = (Kind, Change);
    type IntoIter = std::iter::Chain<std::option::IntoIter<(Kind, Change)>, std::vec::IntoIter<(Kind, Change)>>;
    fn into_iter(self) -> Self::IntoIter {
        let (one, many) = match self {
            Changes::None => (None, Vec::new()),
            Changes::One(k, c) => (Some((k, c)), Vec::new()),
            Changes::Many(v) => (None, v),
        };
        one.into_iter().chain(many)
    }
}

#[derive(Clone, Debug)]
pub struct Informer {
    pub kind: Kind,
    /// Only objects bound to this node (the kubelet's `spec.nodeName=` field selector).
    pub node_name: Option<Str>,
    /// Objects by namespace, then name (client-go's cache keys them `namespace/name`): hash
    /// tables without a sorted index, since components look objects up on every event but walk
    /// the cache rarely. Keyed by the objects' own name strings, so caching one builds no key.
    items: FxHashMap<Str, FxHashMap<Str, ObjectRc>>,
    pub synced: bool,
    in_flight: Option<RequestId>,
}

/// The order of the keys `namespace/name` (as strings, which is not the order of the pairs).
pub(crate) fn key_order(a: (&str, &str), b: (&str, &str)) -> std::cmp::Ordering {
    fn bytes<'a>((ns, name): (&'a str, &'a str)) -> impl Iterator<Item = u8> + 'a {
        ns.bytes().chain(std::iter::once(b'/')).chain(name.bytes())
    }
    bytes(a).cmp(bytes(b))
}

impl Informer {
    pub fn new(kind: Kind) -> Self {
        Informer { kind, node_name: None, items: FxHashMap::default(), synced: false, in_flight: None }
    }
    pub fn get(&self, namespace: &str, name: &str) -> Option<&ObjectRc> {
        self.items.get(namespace)?.get(name)
    }
    /// Every cached object, in key order (sorted on each call). The keys `namespace/name` of
    /// two namespaces differ before either name starts (no namespace has a `/`), so the
    /// namespaces are put in key order and each one's names in plain string order.
    pub fn iter(&self) -> impl Iterator<Item = &ObjectRc> {
        let mut namespaces: Vec<(&str, &FxHashMap<Str, ObjectRc>)> = self.items.iter().map(|(ns, m)| (ns.as_str(), m)).collect();
        namespaces.sort_unstable_by(|a, b| key_order((a.0, ""), (b.0, "")));
        namespaces.into_iter().flat_map(|(_, m)| {
            let mut names: Vec<(&str, &ObjectRc)> = m.iter().map(|(name, o)| (name.as_str(), o)).collect();
            names.sort_unstable_by(|a, b| a.0.cmp(b.0));
            names.into_iter().map(|(_, o)| o)
        })
    }
    /// Every cached object in no particular order, for callers that sort what they keep.
    pub fn values(&self) -> impl Iterator<Item = &ObjectRc> {
        self.items.values().flat_map(|m| m.values())
    }
    pub fn len(&self) -> usize {
        self.items.values().map(|names| names.len()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn insert(&mut self, o: ObjectRc) -> Option<ObjectRc> {
        let names = match self.items.get_mut(o.namespace()) {
            Some(m) => m,
            None => self.items.entry(o.meta().namespace.clone()).or_default(),
        };
        if let Some(slot) = names.get_mut(o.name()) {
            return Some(std::mem::replace(slot, o));
        }
        names.insert(o.meta().name.clone(), o);
        None
    }

    fn remove(&mut self, namespace: &str, name: &str) -> Option<ObjectRc> {
        let names = self.items.get_mut(namespace)?;
        let o = names.remove(name)?;
        if names.is_empty() {
            self.items.remove(namespace);
        }
        Some(o)
    }

    fn request(&self) -> ApiRequest {
        let mut req = ApiRequest::new(Verb::List, self.kind, "", "");
        req.node_name = self.node_name.clone();
        req
    }

    fn apply(&mut self, type_: WatchType, o: ObjectRc) -> Option<Change> {
        match type_ {
            WatchType::Deleted => self.remove(o.namespace(), o.name()).map(|_| Change::Deleted(o)),
            _ => match self.insert(o.clone()) {
                Some(old) => Some(Change::Updated { old, new: o }),
                None => Some(Change::Added(o)),
            },
        }
    }

    /// Replaces the cache with a fresh list, returning what changed (the relist diff): the
    /// updated and deleted objects in key order, then the added ones in (namespace, name)
    /// order. A component that polls relists every second, so the cache is updated in place:
    /// one lookup per listed object, and only the changes are sorted.
    fn replace(&mut self, items: &[ObjectRc]) -> Vec<Change> {
        let before = self.len();
        let (mut changes, mut added, mut kept) = (Vec::new(), Vec::new(), 0);
        for new in items {
            match self.items.get_mut(new.namespace()).and_then(|names| names.get_mut(new.name())) {
                Some(slot) => {
                    kept += 1;
                    let old = std::mem::replace(slot, new.clone());
                    if old.resource_version() != new.resource_version() {
                        changes.push(Change::Updated { old, new: new.clone() });
                    }
                }
                None => added.push(new.clone()),
            }
        }
        if kept < before {
            // Whatever the list no longer has was deleted.
            let listed: FxHashSet<(&str, &str)> = items.iter().map(|o| (o.namespace(), o.name())).collect();
            let gone: Vec<(Str, Str)> = self.values().filter(|o| !listed.contains(&(o.namespace(), o.name()))).map(|o| (o.meta().namespace.clone(), o.meta().name.clone())).collect();
            for (ns, name) in gone {
                changes.extend(self.remove(&ns, &name).map(Change::Deleted));
            }
        }
        changes.sort_by(|a, b| {
            let (a, b) = (a.object(), b.object());
            key_order((a.namespace(), a.name()), (b.namespace(), b.name()))
        });
        added.sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));
        for new in added {
            self.insert(new.clone());
            changes.push(Change::Added(new));
        }
        self.synced = true;
        changes
    }
}

/// The informers of one component.
#[derive(Clone, Debug, Default)]
pub struct Informers {
    pub list: Vec<Informer>,
}

impl Informers {
    pub fn new(kinds: &[Kind]) -> Self {
        Informers { list: kinds.iter().map(|k| Informer::new(*k)).collect() }
    }
    pub fn get(&self, kind: Kind) -> &Informer {
        self.find(kind).expect("component asked for an informer it does not have")
    }
    /// The informer for `kind`, if this component has one (for kinds that come from user
    /// input, such as an owner reference's).
    pub fn find(&self, kind: Kind) -> Option<&Informer> {
        self.list.iter().find(|i| i.kind == kind)
    }
    pub fn synced(&self) -> bool {
        self.list.iter().all(|i| i.synced)
    }

    /// Opens the watches, or sends the first polls.
    pub fn start(&mut self, ctx: &mut Ctx) {
        for inf in &mut self.list {
            let mut req = inf.request();
            if ctx.mode() == NoticeMode::Watch {
                req.verb = Verb::Watch;
            }
            inf.in_flight = Some(ctx.request(req));
        }
    }

    /// Feeds a message to the informers. Returns `None` if it was not theirs, else the changes.
    pub fn handle(&mut self, ctx: &mut Ctx, body: &Body) -> Option<Changes> {
        match body {
            Body::Watch(ev) => {
                let inf = self.list.iter_mut().find(|i| i.kind == ev.object.kind())?;
                Some(inf.apply(ev.type_, ev.object.clone()).map_or(Changes::None, |c| Changes::One(inf.kind, c)))
            }
            Body::Response(resp) if matches!(resp.verb, Verb::List | Verb::Watch) => {
                let inf = self.list.iter_mut().find(|i| i.in_flight == Some(resp.id))?;
                inf.in_flight = None;
                if ctx.mode() == NoticeMode::Poll {
                    ctx.timer(ctx.poll_interval(), Timer::Poll(inf.kind));
                }
                match &resp.result {
                    Ok(ApiReply::List { items, .. }) => Some(Changes::Many(inf.replace(items).into_iter().map(|c| (inf.kind, c)).collect())),
                    _ => Some(Changes::None),
                }
            }
            Body::Timer(Timer::Poll(kind)) => {
                let inf = self.list.iter_mut().find(|i| i.kind == *kind)?;
                if inf.in_flight.is_none() {
                    let req = inf.request();
                    inf.in_flight = Some(ctx.request(req));
                }
                Some(Changes::None)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::objects::{Namespace, Object, ObjectMeta, Pod};

    fn pod(ns: &str, name: &str, rv: u64) -> ObjectRc {
        std::rc::Rc::new(Object::Pod(Pod { metadata: ObjectMeta { namespace: ns.into(), name: name.into(), resource_version: crate::sim::objects::ResourceVersion(rv), ..Default::default() }, ..Default::default() }))
    }

    #[test]
    fn the_cache_walks_in_key_order_and_finds_by_namespace_and_name() {
        let mut inf = Informer::new(Kind::Pod);
        for (ns, name) in [("a", "x"), ("a-b", "y"), ("a", "w"), ("b", "x")] {
            assert!(inf.insert(pod(ns, name, 1)).is_none());
        }
        // "a-b/y" sorts before "a/w" as a string ('-' < '/'), though ("a", _) < ("a-b", _).
        let keys: Vec<String> = inf.iter().map(|o| format!("{}/{}", o.namespace(), o.name())).collect();
        assert_eq!(keys, ["a-b/y", "a/w", "a/x", "b/x"]);
        let old = inf.insert(pod("a", "x", 2)).expect("replaces");
        assert_eq!((old.resource_version(), inf.get("a", "x").unwrap().resource_version(), inf.len()), (1, 2, 4));
        assert!(inf.get("b", "w").is_none() && inf.get("c", "x").is_none());
        assert!(inf.remove("a-b", "y").is_some() && inf.remove("a-b", "y").is_none());
        assert_eq!((inf.len(), inf.values().count()), (3, 3));
        // Cluster-scoped objects live under the empty namespace.
        let mut nodes = Informer::new(Kind::Namespace);
        nodes.insert(std::rc::Rc::new(Object::Namespace(Namespace { metadata: ObjectMeta { name: "default".into(), ..Default::default() }, ..Default::default() })));
        assert!(nodes.get("", "default").is_some());
    }

    /// What a relist must report, computed the plain way: every cached object in key order,
    /// updated or deleted, then every new one in (namespace, name) order.
    fn relist_reference(cache: &[ObjectRc], items: &[ObjectRc]) -> Vec<String> {
        let mut fresh: std::collections::BTreeMap<(String, String), ObjectRc> = items.iter().map(|o| ((o.namespace().to_string(), o.name().to_string()), o.clone())).collect();
        let mut out = Vec::new();
        for old in cache {
            match fresh.remove(&(old.namespace().to_string(), old.name().to_string())) {
                Some(new) if new.resource_version() != old.resource_version() => out.push(format!("updated {}/{} {}", new.namespace(), new.name(), new.resource_version())),
                Some(_) => {}
                None => out.push(format!("deleted {}/{}", old.namespace(), old.name())),
            }
        }
        out.extend(fresh.values().map(|o| format!("added {}/{} {}", o.namespace(), o.name(), o.resource_version())));
        out
    }

    #[test]
    fn a_relist_reports_what_changed_in_the_order_of_a_plain_diff() {
        let mut rng = crate::sim::rng::Rng::new(5);
        let namespaces = ["a", "a-b", "b", ""];
        let mut inf = Informer::new(Kind::Pod);
        let mut world: Vec<(usize, u64, u64)> = Vec::new();
        for round in 0..300u64 {
            // The listed world: some objects changed, some gone, some new.
            for _ in 0..rng.below(6) {
                world.push((rng.below(namespaces.len() as u64) as usize, rng.below(40), round));
            }
            world.retain(|_| rng.below(8) != 0);
            for w in world.iter_mut() {
                if rng.below(4) == 0 {
                    w.2 = round + 1000;
                }
            }
            world.sort_by_key(|w| (w.0, w.1));
            world.dedup_by_key(|w| (w.0, w.1));
            let mut items: Vec<ObjectRc> = world.iter().map(|&(ns, name, rv)| pod(namespaces[ns], &format!("p{name}"), rv)).collect();
            // (Listed in etcd's key order, as the API server answers.)
            items.sort_by(|a, b| key_order((a.namespace(), a.name()), (b.namespace(), b.name())));
            let cache: Vec<ObjectRc> = inf.iter().cloned().collect();
            let want = relist_reference(&cache, &items);
            let got: Vec<String> = inf
                .replace(&items)
                .into_iter()
                .map(|c| match c {
                    Change::Updated { new, .. } => format!("updated {}/{} {}", new.namespace(), new.name(), new.resource_version()),
                    Change::Deleted(o) => format!("deleted {}/{}", o.namespace(), o.name()),
                    Change::Added(o) => format!("added {}/{} {}", o.namespace(), o.name(), o.resource_version()),
                })
                .collect();
            assert_eq!(got, want, "round {round}");
            let cached: Vec<String> = inf.iter().map(|o| format!("{}/{} {}", o.namespace(), o.name(), o.resource_version())).collect();
            let listed: Vec<String> = items.iter().map(|o| format!("{}/{} {}", o.namespace(), o.name(), o.resource_version())).collect();
            assert_eq!(cached, listed, "the cache holds what was listed, round {round}");
        }
    }
}
