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

use std::collections::BTreeMap;

use super::engine::Ctx;
use super::message::{ApiReply, ApiRequest, Body, RequestId, Timer, Verb, WatchType};
use super::keyed::FxHashMap;
use super::objects::{Kind, ObjectRc, Str};
use super::text::with_concat;

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
    /// Objects by `namespace/name`, as client-go's cache keys them. A hash table without a
    /// sorted index: components look objects up on every event but walk the cache rarely.
    items: FxHashMap<Str, ObjectRc>,
    pub synced: bool,
    in_flight: Option<RequestId>,
}

/// Calls `f` with the cache key `namespace/name`, without allocating (lookups are hot).
fn with_key<R>(namespace: &str, name: &str, f: impl FnOnce(&str) -> R) -> R {
    with_concat(&[namespace, "/", name], f)
}

impl Informer {
    pub fn new(kind: Kind) -> Self {
        Informer { kind, node_name: None, items: FxHashMap::default(), synced: false, in_flight: None }
    }
    pub fn get(&self, namespace: &str, name: &str) -> Option<&ObjectRc> {
        with_key(namespace, name, |k| self.items.get(k))
    }
    /// Every cached object, in key order (sorted on each call).
    pub fn iter(&self) -> impl Iterator<Item = &ObjectRc> {
        let mut all: Vec<(&Str, &ObjectRc)> = self.items.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(b.0));
        all.into_iter().map(|(_, o)| o)
    }
    /// Every cached object in no particular order, for callers that sort what they keep.
    pub fn values(&self) -> impl Iterator<Item = &ObjectRc> {
        self.items.values()
    }
    pub fn len(&self) -> usize {
        self.items.len()
    }
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn insert(&mut self, o: ObjectRc) -> Option<ObjectRc> {
        let (ns, name) = (o.namespace(), o.name());
        let key = match with_key(ns, name, |k| self.items.get_mut(k)) {
            Some(slot) => return Some(std::mem::replace(slot, o)),
            None => Str::concat(&[ns, "/", name]),
        };
        self.items.insert(key, o);
        None
    }

    fn remove(&mut self, namespace: &str, name: &str) -> Option<ObjectRc> {
        with_key(namespace, name, |k| self.items.remove(k))
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

    /// Replaces the cache with a fresh list, returning what changed (the relist diff).
    fn replace(&mut self, items: &[ObjectRc]) -> Vec<Change> {
        let mut fresh: BTreeMap<(Str, Str), ObjectRc> = items.iter().map(|o| ((o.meta().namespace.clone(), o.meta().name.clone()), o.clone())).collect();
        let mut changes = Vec::new();
        let old: Vec<ObjectRc> = self.iter().cloned().collect();
        self.items.clear();
        for old in old {
            match fresh.remove(&(old.meta().namespace.clone(), old.meta().name.clone())) {
                Some(new) if new.resource_version() != old.resource_version() => {
                    changes.push(Change::Updated { old, new: new.clone() });
                    self.insert(new);
                }
                Some(new) => {
                    self.insert(new);
                }
                None => changes.push(Change::Deleted(old)),
            }
        }
        for (_, new) in fresh {
            changes.push(Change::Added(new.clone()));
            self.insert(new);
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
        self.list.iter().find(|i| i.kind == kind).expect("component asked for an informer it does not have")
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
