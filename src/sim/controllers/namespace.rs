//! The namespace controller (pkg/controller/namespace): a namespace marked for deletion is
//! emptied, then finalized. Each round lists every namespaced resource in it (upstream asks
//! discovery for them and deletes each collection), deletes what is not already going, and once
//! a round finds nothing left, empties spec.finalizers through namespaces/NAME/finalize, at
//! which the API server deletes the namespace. Objects that take time to go (pods, for their
//! grace period) start another round when they are gone.
//!
//! Each round that leaves something behind records the deletion's conditions on the
//! namespace (NamespaceContentRemaining: which resources, how many), as a namespace stuck in
//! Terminating shows them.

use std::collections::BTreeMap;

use super::WorkQueue;
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;

#[derive(Clone, Debug, Default)]
struct Round {
    found: usize,
    lists: usize,
    remaining: BTreeMap<String, usize>,
    finalizers: BTreeMap<String, usize>,
}

#[derive(Clone, Debug, Default)]
pub struct NamespaceController {
    queue: WorkQueue,
    /// Namespace → the current round: objects its lists found, lists still out, and what will
    /// not go at once (pods a kubelet must stop, objects with finalizers) by resource.
    rounds: BTreeMap<Str, Round>,
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
            round.found += items.len();
            round.lists = round.lists.saturating_sub(1);
            for o in items {
                // (What a delete does not remove at once: a pod its kubelet must stop first, and
                // anything with finalizers.)
                let resource = resp.kind.group_resource();
                if o.as_pod().is_some_and(|p| !p.spec.node_name.is_empty()) || !o.meta().finalizers.is_empty() {
                    *round.remaining.entry(resource.clone()).or_default() += 1;
                }
                for f in o.meta().finalizers.iter() {
                    *round.finalizers.entry(f.to_string()).or_default() += 1;
                }
            }
            if round.lists == 0 {
                let round = self.rounds.remove(&ns).unwrap_or_default();
                if round.found == 0 {
                    self.finalize(ctx, informers, &ns);
                } else {
                    self.report(ctx, informers, &ns, &round);
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
        self.rounds.insert(ns.clone(), Round { lists: kinds.len(), ..Default::default() });
        for kind in kinds {
            let id = self.queue.request(ctx, ns, ApiRequest::new(Verb::List, kind, ns, ""));
            self.listing.insert(id, ns.clone());
        }
    }

    /// updateNamespaceStatusFunc: the deletion's conditions, as `kubectl describe namespace`
    /// shows them while a namespace is stuck in Terminating.
    fn report(&mut self, ctx: &mut Ctx, informers: &Informers, ns: &Str, round: &Round) {
        let Some(n) = informers.get(Kind::Namespace).get("", ns).and_then(|o| o.as_namespace()) else { return };
        // ("pods." for the core group: the resource and its empty group, as upstream prints it.)
        let remaining: Vec<String> = round.remaining.iter().map(|(r, n)| format!("{}{} has {n} resource instances", r, if r.contains('.') { "" } else { "." })).collect();
        let finalizers: Vec<String> = round.finalizers.iter().map(|(f, n)| format!("{f} in {n} resource instances")).collect();
        let (content, content_reason, content_message) = if remaining.is_empty() { ("False", "ContentRemoved", "All content successfully removed".to_string()) } else { ("True", "SomeResourcesRemain", format!("Some resources are remaining: {}", remaining.join(", "))) };
        let (fin, fin_reason, fin_message) = if finalizers.is_empty() { ("False", "ContentHasNoFinalizers", "All content-preserving finalizers finished".to_string()) } else { ("True", "SomeFinalizersRemain", format!("Some content in the namespace has finalizers remaining: {}", finalizers.join(", "))) };
        let wanted = [
            ("NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered", "All resources successfully discovered".to_string()),
            ("NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions", "All legacy kube types successfully parsed".to_string()),
            ("NamespaceDeletionContentFailure", "False", "ContentDeleted", "All content successfully deleted, may be waiting on finalization".to_string()),
            ("NamespaceContentRemaining", content, content_reason, content_message),
            ("NamespaceFinalizersRemaining", fin, fin_reason, fin_message),
        ];
        let old = n.status.as_ref().and_then(|s| s.get("conditions")).and_then(|c| c.as_array()).cloned().unwrap_or_default();
        let conditions: Vec<serde_json::Value> = wanted
            .iter()
            .map(|(type_, status, reason, message)| {
                // A condition keeps its transition time while its status stays.
                let before = old.iter().find(|c| c.get("type").and_then(|t| t.as_str()) == Some(type_));
                let since = before.filter(|c| c.get("status").and_then(|s| s.as_str()) == Some(status)).and_then(|c| c.get("lastTransitionTime").cloned()).unwrap_or_else(|| serde_json::json!(ctx.now.rfc3339()));
                serde_json::json!({"lastTransitionTime": since, "message": message, "reason": reason, "status": status, "type": type_})
            })
            .collect();
        if conditions == old {
            return;
        }
        let mut next = n.clone();
        next.status = Some(serde_json::json!({"conditions": conditions, "phase": "Terminating"}));
        next.metadata.resource_version.clear();
        self.queue.request(ctx, ns, ApiRequest::with_object(Verb::UpdateStatus, Object::Namespace(next)));
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
