//! kube-controller-manager (`manager.rs`) and its controllers. Each one follows the shape of its Kubernetes
//! counterpart: informer handlers only work out which object is affected and enqueue its key;
//! `sync_*` reconciles one key, comparing what is desired with what the informer caches show,
//! and writes the difference through the API server.

mod deployment;
mod endpoints;
pub mod endpointslice;
mod garbage_collector;
mod manager;
mod namespace;
pub mod namespace_defaults;
mod node_lifecycle;
mod replicaset;

pub use deployment::{pod_template_hash, DeploymentController, CHANGE_CAUSE_ANNOTATION, REVISION_ANNOTATION};
pub use endpoints::EndpointsController;
pub use endpointslice::EndpointSliceController;
pub use garbage_collector::GarbageCollector;
pub use manager::ControllerManager;
pub use namespace::NamespaceController;
pub use node_lifecycle::{NodeLifecycleController, TaintEvictionController, NODE_MONITOR_PERIOD};
pub use replicaset::ReplicaSetController;

use std::collections::VecDeque;

use super::keyed::{FxHashMap, FxHashSet};

use super::engine::Ctx;
use super::message::{ApiRequest, MetaOp, RequestId};
use super::objects::{EventSource, Object, ObjectRc, OwnerReference, Str};

/// A de-duplicating FIFO of object keys ("namespace/name") with client-go's workqueue
/// semantics: a key whose sync is still waiting on its API calls is "processing" and is not
/// handed out again; changes meanwhile only mark it dirty, and it is queued once the last
/// answer arrives. So a controller has at most one round of writes in flight per object,
/// as when a real sync blocks on its requests.
#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    order: VecDeque<Str>,
    // Membership only (`order` is the order), so hash tables.
    queued: FxHashSet<Str>,
    processing: FxHashMap<Str, usize>,
    waiting: FxHashMap<RequestId, Str>,
    dirty: FxHashSet<Str>,
}

impl WorkQueue {
    pub fn add(&mut self, key: Str) {
        if self.processing.contains_key(&key) {
            self.dirty.insert(key);
        } else if !self.queued.contains(&key) {
            self.queued.insert(key.clone());
            self.order.push_back(key);
        }
    }
    pub fn pop(&mut self) -> Option<Str> {
        let k = self.order.pop_front()?;
        self.queued.remove(&k);
        Some(k)
    }
    /// Sends a request on behalf of the sync of `key`, which stays processing until it is answered.
    pub fn request(&mut self, ctx: &mut Ctx, key: &Str, req: ApiRequest) -> RequestId {
        let id = ctx.request(req);
        self.track(key, id);
        id
    }
    /// Records that the sync of `key` waits for the answer to `id`.
    pub fn track(&mut self, key: &Str, id: RequestId) {
        *self.processing.entry(key.clone()).or_default() += 1;
        self.waiting.insert(id, key.clone());
    }
    /// An answer arrived; returns whether it belonged to a tracked sync.
    pub fn done(&mut self, id: RequestId) -> bool {
        let Some(key) = self.waiting.remove(&id) else { return false };
        if let Some(n) = self.processing.get_mut(&key) {
            *n -= 1;
            if *n == 0 {
                self.processing.remove(&key);
                if self.dirty.remove(&key) {
                    self.add(key);
                }
            }
        }
        true
    }
    pub fn len(&self) -> usize {
        self.order.len()
    }
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

pub fn object_key(o: &Object) -> Str {
    Str::concat(&[o.namespace(), "/", o.name()])
}

pub fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("", key))
}

pub fn controller_of(o: &ObjectRc) -> Option<&OwnerReference> {
    o.meta().owner_references.iter().find(|r| r.controller)
}

/// The owner reference a controller of `kind` (an apps/v1 kind) puts on what it controls.
pub fn controller_ref(kind: &str, owner: &ObjectRc) -> OwnerReference {
    OwnerReference { api_version: "apps/v1".into(), kind: kind.into(), name: owner.meta().name.clone(), uid: owner.meta().uid.clone(), controller: true, block_owner_deletion: true }
}

/// ClaimObject (controller_ref_manager.go): the patch, if any, by which the controller `owner`
/// (of `kind`) claims `o`: release it if it controls `o` but its selector no longer matches,
/// adopt it if it is an orphan the selector matches and `adoptable` (not being deleted, for a
/// pod also not finished). A controller being deleted neither adopts nor releases (the
/// callers check that first).
pub fn claim(kind: &str, owner: &ObjectRc, o: &ObjectRc, selected: bool, adoptable: bool) -> Option<MetaOp> {
    match controller_of(o) {
        Some(c) if c.uid == owner.meta().uid && !selected => Some(MetaOp::Remove(c.clone())),
        None if selected && adoptable => Some(MetaOp::Add(controller_ref(kind, owner))),
        _ => None,
    }
}

pub fn source(component: &str) -> EventSource {
    EventSource { component: component.into(), host: Str::EMPTY }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn a_key_in_processing_is_requeued_once_its_answers_are_in() {
        let mut q = WorkQueue::default();
        q.add("default/web".into());
        let k = q.pop().unwrap();
        q.track(&k, 7);
        q.add("default/web".into());
        q.add("default/web".into());
        assert!(q.pop().is_none(), "not handed out while processing");
        assert!(q.done(7));
        assert_eq!(q.pop().as_deref(), Some("default/web"));
        assert!(q.pop().is_none(), "changes while processing coalesce into one sync");
        assert!(!q.done(8));
    }
}
