//! The garbage collector (pkg/controller/garbagecollector) and the pod GC: when an owner is
//! deleted, its dependents (ownerReferences pointing at its uid) are deleted in the background,
//! which is how deleting a Deployment removes its ReplicaSets and, through them, its pods.
//! As upstream's attemptToDeleteItem does, each dependent is looked at as it is now first: one
//! that no longer names the owner is left alone, and one that still has another owner loses
//! only the reference to the deleted one (a patch) instead of being deleted.
//! Pods bound to a Node that no longer exists are deleted too (podgc's orphaned pods).
//!
//! `kubectl delete --cascade=orphan|foreground` leaves the owner in place, marked for
//! deletion with a finalizer the GC works off: `orphan` (each dependent loses its reference
//! to the owner, then the finalizer goes) or `foregroundDeletion` (the dependents are deleted,
//! in the foreground too if they own others, and the finalizer goes once the last is gone).
//! Removing the last finalizer is what deletes the owner.
//!
//! A node's Lease is owned by the Node, so it goes when the node is removed.
//!
//! Simplified: the GC sees owners through kube-controller-manager's caches (Deployments,
//! ReplicaSets, pods, Services, Endpoints, EndpointSlices, Nodes, Leases, Namespaces,
//! ServiceAccounts, ConfigMaps). An owner of any other kind is taken to
//! exist, where the real GC would look it up and collect the dependent if it is missing.


use std::collections::BTreeMap;

use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::keyed::{FxHashMap, FxHashSet};
use crate::sim::message::*;
use crate::sim::objects::*;

#[derive(Clone, Debug)]
pub struct GarbageCollector {
    /// Owner uid → dependents (kind, namespace, name): the GC's dependency graph.
    /// Hash tables: a ReplicaSet of 150,000 pods has 150,000 dependents, and a B-tree of
    /// long names made every pod's arrival cost a dozen string comparisons.
    dependents: FxHashMap<Str, FxHashSet<(Kind, Str, Str)>>,
    /// Uids of live owners (all but pods): a quick answer before the caches are asked.
    live: FxHashSet<Str>,
    deleting: FxHashSet<(Kind, Str, Str)>,
    /// Owners marked for deletion whose finalizer the GC is working off, by uid: the owner as
    /// last seen, and which finalizer.
    finalizing: BTreeMap<Str, (ObjectRc, &'static str)>,
    /// Orphaning patches in flight: request id → owner uid.
    orphaning: BTreeMap<RequestId, Str>,
    /// Deletes in flight: request id → what (a refused one may be tried again).
    deletes: BTreeMap<RequestId, (Kind, Str, Str)>,
}

impl Default for GarbageCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl GarbageCollector {
    pub fn new() -> Self {
        GarbageCollector { dependents: FxHashMap::default(), live: FxHashSet::default(), deleting: FxHashSet::default(), finalizing: BTreeMap::new(), orphaning: BTreeMap::new(), deletes: BTreeMap::new() }
    }

    /// Answers to the GC's own writes: once an owner's dependents are all orphaned, its
    /// `orphan` finalizer goes.
    pub fn on_response(&mut self, ctx: &mut Ctx, resp: &ApiResponse) {
        if let Some(id) = self.deletes.remove(&resp.id) {
            if resp.result.is_err() {
                self.deleting.remove(&id);
            }
        }
        if let Some(uid) = self.orphaning.remove(&resp.id) {
            if !self.orphaning.values().any(|u| *u == uid) {
                self.finish(ctx, &uid);
            }
        }
    }

    /// An owner just marked for deletion with `orphan` or `foregroundDeletion`.
    fn start_finalizing(&mut self, ctx: &mut Ctx, informers: &Informers, o: &ObjectRc, finalizer: &'static str) {
        let uid = o.meta().uid.clone();
        self.finalizing.insert(uid.clone(), (o.clone(), finalizer));
        let mut ids: Vec<(Kind, Str, Str)> = self.dependents.get(&uid).map(|s| s.iter().cloned().collect()).unwrap_or_default();
        ids.sort();
        for (kind, ns, name) in ids {
            let Some(d) = informers.find(kind).and_then(|c| c.get(&ns, &name)).cloned() else { continue };
            let Some(r) = d.meta().owner_references.iter().find(|r| r.uid == uid).cloned() else { continue };
            if finalizer == ORPHAN_FINALIZER {
                let id = ctx.request(MetaPatch::request(&d, MetaOp::Remove(r)));
                self.orphaning.insert(id, uid.clone());
            } else {
                // A dependent that owns others is deleted in the foreground as well.
                let owns = self.dependents.get(&d.meta().uid).is_some_and(|s| !s.is_empty());
                self.delete(ctx, (kind, ns, name), false, if owns { Propagation::Foreground } else { Propagation::Background });
            }
        }
        self.finish(ctx, &uid);
    }

    /// Removes the finalizer of owner `uid` once its work is done: no orphaning patch in
    /// flight, or no dependent left.
    fn finish(&mut self, ctx: &mut Ctx, uid: &Str) {
        let Some((_, finalizer)) = self.finalizing.get(uid) else { return };
        let done = match *finalizer {
            ORPHAN_FINALIZER => !self.orphaning.values().any(|u| u == uid),
            _ => self.dependents.get(uid).is_none_or(|s| s.is_empty()),
        };
        if done {
            if let Some((o, f)) = self.finalizing.remove(uid) {
                ctx.request(MetaPatch::request(&o, MetaOp::RemoveFinalizer(f.into())));
            }
        }
    }

    /// The graph builder's handler for a change of any owner or dependent (Deployments,
    /// ReplicaSets, pods; Nodes for the pod GC).
    pub fn on_change(&mut self, ctx: &mut Ctx, informers: &Informers, change: &Change) {
        if let Change::Added(o) | Change::Updated { new: o, .. } = change {
            if o.kind() != Kind::Pod && o.meta().deletion_timestamp.is_some() && !self.finalizing.contains_key(&o.meta().uid) {
                if let Some(f) = [ORPHAN_FINALIZER, FOREGROUND_FINALIZER].into_iter().find(|f| o.meta().finalizers.iter().any(|x| x == f)) {
                    self.start_finalizing(ctx, informers, o, f);
                }
            }
        }
        match change {
            // Status updates (nearly all updates) change neither ownership nor binding.
            Change::Updated { old, new } if old.meta().owner_references == new.meta().owner_references && old.as_pod().map(|p| &p.spec.node_name) == new.as_pod().map(|p| &p.spec.node_name) => {}
            Change::Added(o) | Change::Updated { new: o, .. } => {
                let id = (o.kind(), o.meta().namespace.clone(), o.meta().name.clone());
                // Pods own nothing in practice: leaving their uids out keeps 150,000 of them out
                // of the table (an object owned by a pod is still checked in the caches).
                if o.kind() != Kind::Pod {
                    self.live.insert(o.meta().uid.clone());
                }
                // A pod's binding (the other update that reaches here) leaves its owners as they were.
                let owners_changed = match change {
                    Change::Updated { old, .. } => old.meta().owner_references != o.meta().owner_references,
                    _ => true,
                };
                if let (Change::Updated { old, .. }, true) = (change, owners_changed) {
                    // The graph builder's referencesDiffs: owners it no longer names lose it.
                    for r in old.meta().owner_references.iter().filter(|r| !o.meta().owner_references.iter().any(|n| n.uid == r.uid)) {
                        if let Some(set) = self.dependents.get_mut(&r.uid) {
                            set.remove(&id);
                        }
                    }
                }
                if owners_changed {
                    for r in &o.meta().owner_references {
                        self.dependents.entry(r.uid.clone()).or_default().insert(id.clone());
                    }
                }
                if !informers.synced() {
                    return;
                }
                if o.as_pod().is_some_and(|p| !p.spec.node_name.is_empty() && informers.get(Kind::Node).get("", &p.spec.node_name).is_none()) {
                    self.delete(ctx, id, true, Propagation::Background);
                } else {
                    self.attempt_to_delete(ctx, informers, o, None);
                }
            }
            Change::Deleted(o) => {
                let uid = o.meta().uid.clone();
                self.live.remove(&uid);
                self.finalizing.remove(&uid);
                self.deleting.remove(&(o.kind(), o.meta().namespace.clone(), o.meta().name.clone()));
                for r in &o.meta().owner_references {
                    if let Some(set) = self.dependents.get_mut(&r.uid) {
                        set.remove(&(o.kind(), o.meta().namespace.clone(), o.meta().name.clone()));
                    }
                    // An owner deleted in the foreground waits for its last dependent.
                    if self.finalizing.get(&r.uid).is_some_and(|(_, f)| *f == FOREGROUND_FINALIZER) {
                        self.finish(ctx, &r.uid);
                    }
                }
                // Deleted in name order, whatever the hash table's order.
                let mut deps: Vec<_> = self.dependents.remove(&uid).unwrap_or_default().into_iter().collect();
                deps.sort();
                for dep in deps {
                    self.collect(ctx, informers, dep, &uid);
                }
                if o.kind() == Kind::Node {
                    let orphans: Vec<_> = informers.get(Kind::Pod).iter().filter_map(|p| p.as_pod()).filter(|p| p.spec.node_name == o.name()).map(|p| (Kind::Pod, p.metadata.namespace.clone(), p.metadata.name.clone())).collect();
                    for p in orphans {
                        self.delete(ctx, p, true, Propagation::Background);
                    }
                }
            }
        }
    }

    /// A dependent of the deleted owner `owner_uid`, as the cache shows it now: left alone if it
    /// no longer names that owner.
    fn collect(&mut self, ctx: &mut Ctx, informers: &Informers, (kind, ns, name): (Kind, Str, Str), owner_uid: &Str) {
        let Some(o) = informers.find(kind).and_then(|c| c.get(&ns, &name)).cloned() else { return };
        if o.meta().owner_references.iter().any(|r| r.uid == *owner_uid) {
            self.attempt_to_delete(ctx, informers, &o, Some(owner_uid));
        }
    }

    /// attemptToDeleteItem: an object whose owners are all gone (`deleted` is one that just
    /// went) is deleted; one with an owner left only loses its references to the missing ones.
    fn attempt_to_delete(&mut self, ctx: &mut Ctx, informers: &Informers, o: &ObjectRc, deleted: Option<&Str>) {
        let refs = &o.meta().owner_references;
        let dangling: Vec<&OwnerReference> = refs.iter().filter(|r| Some(&r.uid) == deleted || (!self.live.contains(&r.uid) && is_gone(informers, &r.kind, o, r))).collect();
        if dangling.is_empty() {
            return;
        }
        if dangling.len() < refs.len() {
            for r in dangling {
                ctx.request(MetaPatch::request(o, MetaOp::Remove(r.clone())));
            }
        } else {
            self.delete(ctx, (o.kind(), o.meta().namespace.clone(), o.meta().name.clone()), false, Propagation::Background);
        }
    }

    fn delete(&mut self, ctx: &mut Ctx, (kind, ns, name): (Kind, Str, Str), force: bool, propagation: Propagation) {
        if !self.deleting.insert((kind, ns.clone(), name.clone())) {
            return;
        }
        let mut req = ApiRequest::new(Verb::Delete, kind, &ns, &name);
        req.propagation = propagation;
        if force {
            req.grace_period = Some(0);
        }
        let id = ctx.request(req);
        self.deletes.insert(id, (kind, ns, name));
    }
}

/// Whether the owner `r` of `o` is missing from the caches (or is another object by that name).
/// An owner of a kind the controller manager does not watch (any kind a manifest names) is
/// taken to exist: the GC cannot tell, and deleting on a guess would be worse.
fn is_gone(informers: &Informers, kind: &str, o: &ObjectRc, r: &OwnerReference) -> bool {
    let Some(cache) = Kind::from_name(kind).and_then(|k| informers.find(k)) else { return false };
    // A cluster-scoped owner (a Node) is cached without a namespace.
    let ns = if cache.kind.namespaced() { o.namespace() } else { "" };
    cache.get(ns, &r.name).is_none_or(|owner| owner.meta().uid != r.uid)
}
