//! The garbage collector (pkg/controller/garbagecollector) and the pod GC: when an owner is
//! deleted, its dependents (ownerReferences pointing at its uid) are deleted in the background,
//! which is how deleting a Deployment removes its ReplicaSets and, through them, its pods.
//! Pods bound to a Node that no longer exists are deleted too (podgc's orphaned pods).


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
}

impl Default for GarbageCollector {
    fn default() -> Self {
        Self::new()
    }
}

impl GarbageCollector {
    pub fn new() -> Self {
        GarbageCollector { dependents: FxHashMap::default(), live: FxHashSet::default(), deleting: FxHashSet::default() }
    }

    /// The graph builder's handler for a change of any owner or dependent (Deployments,
    /// ReplicaSets, pods; Nodes for the pod GC).
    pub fn on_change(&mut self, ctx: &mut Ctx, informers: &Informers, change: &Change) {
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
                let mut orphan = false;
                for r in &o.meta().owner_references {
                    if owners_changed {
                        self.dependents.entry(r.uid.clone()).or_default().insert(id.clone());
                    }
                    orphan |= informers.synced() && !self.live.contains(&r.uid) && is_gone(informers, &r.kind, o, r);
                }
                let unbound_node = o.as_pod().is_some_and(|p| !p.spec.node_name.is_empty() && informers.synced() && informers.get(Kind::Node).get("", &p.spec.node_name).is_none());
                if orphan || unbound_node {
                    self.delete(ctx, id, unbound_node);
                }
            }
            Change::Deleted(o) => {
                let uid = o.meta().uid.clone();
                self.live.remove(&uid);
                self.deleting.remove(&(o.kind(), o.meta().namespace.clone(), o.meta().name.clone()));
                for r in &o.meta().owner_references {
                    if let Some(set) = self.dependents.get_mut(&r.uid) {
                        set.remove(&(o.kind(), o.meta().namespace.clone(), o.meta().name.clone()));
                    }
                }
                // Deleted in name order, whatever the hash table's order.
                let mut deps: Vec<_> = self.dependents.remove(&uid).unwrap_or_default().into_iter().collect();
                deps.sort();
                for dep in deps {
                    self.delete(ctx, dep, false);
                }
                if o.kind() == Kind::Node {
                    let orphans: Vec<_> = informers.get(Kind::Pod).iter().filter_map(|p| p.as_pod()).filter(|p| p.spec.node_name == o.name()).map(|p| (Kind::Pod, p.metadata.namespace.clone(), p.metadata.name.clone())).collect();
                    for p in orphans {
                        self.delete(ctx, p, true);
                    }
                }
            }
        }
    }

    fn delete(&mut self, ctx: &mut Ctx, (kind, ns, name): (Kind, Str, Str), force: bool) {
        if !self.deleting.insert((kind, ns.clone(), name.clone())) {
            return;
        }
        let mut req = ApiRequest::new(Verb::Delete, kind, &ns, &name);
        if force {
            req.grace_period = Some(0);
        }
        ctx.request(req);
    }
}

/// Whether the owner `r` of `o` is missing from the caches (or is another object by that name).
fn is_gone(informers: &Informers, kind: &str, o: &ObjectRc, r: &OwnerReference) -> bool {
    let Some(k) = Kind::from_name(kind) else { return false };
    !informers.get(k).get(o.namespace(), &r.name).is_some_and(|owner| owner.meta().uid == r.uid)
}
