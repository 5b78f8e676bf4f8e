//! The namespace controller (pkg/controller/namespace): a namespace marked for deletion is
//! emptied, then finalized. Each round lists every namespaced resource in it (upstream asks
//! discovery for them and deletes each collection), deletes what is not already going, and once
//! a round finds nothing left, empties spec.finalizers through namespaces/NAME/finalize, at
//! which the API server deletes the namespace. Objects that take time to go (pods, for their
//! grace period) start another round when they are gone.
//!
//! Simplified: the namespace's status conditions (NamespaceContentRemaining and friends) are
//! not written.

use std::collections::BTreeMap;

use super::WorkQueue;
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;

#[derive(Clone, Debug, Default)]
pub struct NamespaceController {
    queue: WorkQueue,
    /// Namespace → objects the current round's lists found so far, and lists still out.
    rounds: BTreeMap<Str, (usize, usize)>,
    /// List requests in flight: id → namespace.
    listing: BTreeMap<RequestId, Str>,
    /// Delete requests in flight: id → namespace.
    deleting: BTreeMap<RequestId, Str>,
}

/// Whether the informers show namespace `ns` being deleted.
fn terminating(informers: &Informers, ns: &str) -> bool {
    informers.get(Kind::Namespace).get("", ns).is_some_and(|o| o.meta().deletion_timestamp.is_some())
}

impl NamespaceController {
    pub fn new() -> Self {
        Self::default()
    }

    /// A namespace marked for deletion, or an object that went from one, queues it.
    pub fn on_change(&mut self, informers: &Informers, kind: Kind, change: &Change) {
        let o = change.object();
        match (kind, change) {
            (Kind::Namespace, Change::Added(_) | Change::Updated { .. }) if o.meta().deletion_timestamp.is_some() => self.queue.add(o.meta().name.clone()),
            (Kind::Namespace, _) => {}
            (_, Change::Deleted(_)) if terminating(informers, o.namespace()) => self.queue.add(o.meta().namespace.clone()),
            _ => {}
        }
    }

    /// The lists' answers: delete what they found (unless it is going already); once every list
    /// of the round is in and found nothing, finalize.
    pub fn on_response(&mut self, ctx: &mut Ctx, informers: &Informers, resp: &ApiResponse) {
        if let Some(ns) = self.deleting.remove(&resp.id) {
            // (Another round once this one is done: what is left is listed again.)
            self.queue.add(ns);
        }
        if let Some(ns) = self.listing.remove(&resp.id) {
            let items = match &resp.result {
                Ok(ApiReply::List { items, .. }) => items.as_slice(),
                _ => &[],
            };
            for o in items.iter().filter(|o| o.meta().deletion_timestamp.is_none()) {
                let id = self.queue.request(ctx, &ns, ApiRequest::new(Verb::Delete, o.kind(), o.namespace(), o.name()));
                self.deleting.insert(id, ns.clone());
            }
            let round = self.rounds.entry(ns.clone()).or_default();
            round.0 += items.len();
            round.1 = round.1.saturating_sub(1);
            if round.1 == 0 {
                let found = round.0;
                self.rounds.remove(&ns);
                if found == 0 {
                    self.finalize(ctx, informers, &ns);
                }
            }
        }
        self.queue.done(resp.id);
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn drain(&mut self, ctx: &mut Ctx, informers: &Informers) {
        while let Some(ns) = self.queue.pop() {
            self.sync_namespace(ctx, informers, &ns);
        }
    }

    /// deleteAllContent: one list per namespaced resource.
    fn sync_namespace(&mut self, ctx: &mut Ctx, informers: &Informers, ns: &Str) {
        let Some(o) = informers.get(Kind::Namespace).get("", ns) else { return };
        let Some(n) = o.as_namespace() else { return };
        if n.metadata.deletion_timestamp.is_none() || n.spec_finalizers() == 0 || self.rounds.contains_key(ns) {
            return;
        }
        let kinds: Vec<Kind> = Kind::ALL.into_iter().filter(|k| k.namespaced()).collect();
        self.rounds.insert(ns.clone(), (0, kinds.len()));
        for kind in kinds {
            let id = self.queue.request(ctx, ns, ApiRequest::new(Verb::List, kind, ns, ""));
            self.listing.insert(id, ns.clone());
        }
    }

    /// finalizeNamespace: spec.finalizers without `kubernetes`.
    fn finalize(&mut self, ctx: &mut Ctx, informers: &Informers, ns: &Str) {
        let Some(n) = informers.get(Kind::Namespace).get("", ns).and_then(|o| o.as_namespace()) else { return };
        let mut next = n.clone();
        next.spec = Some(serde_json::json!({ "finalizers": [] }));
        next.metadata.resource_version.clear();
        self.queue.request(ctx, ns, ApiRequest::with_object(Verb::Finalize, Object::Namespace(next)));
    }
}
