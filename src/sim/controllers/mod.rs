//! kube-controller-manager's controllers. Each one follows the shape of its Kubernetes
//! counterpart: informer handlers only work out which object is affected and enqueue its key;
//! `sync_*` reconciles one key, comparing what is desired with what the informer caches show,
//! and writes the difference through the API server.

mod deployment;
mod endpoints;
mod garbage_collector;
mod replicaset;

pub use deployment::{pod_template_hash, DeploymentController};
pub use endpoints::EndpointsController;
pub use garbage_collector::GarbageCollector;
pub use replicaset::ReplicaSetController;

use std::collections::{BTreeSet, VecDeque};

use super::objects::{EventSource, Object, ObjectRc, OwnerReference};

/// A de-duplicating FIFO of object keys ("namespace/name"), like client-go's workqueue.
#[derive(Clone, Debug, Default)]
pub struct WorkQueue {
    order: VecDeque<String>,
    queued: BTreeSet<String>,
}

impl WorkQueue {
    pub fn add(&mut self, key: String) {
        if self.queued.insert(key.clone()) {
            self.order.push_back(key);
        }
    }
    pub fn pop(&mut self) -> Option<String> {
        let k = self.order.pop_front()?;
        self.queued.remove(&k);
        Some(k)
    }
    pub fn len(&self) -> usize {
        self.order.len()
    }
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

pub fn object_key(o: &Object) -> String {
    format!("{}/{}", o.namespace(), o.name())
}

pub fn split_key(key: &str) -> (&str, &str) {
    key.split_once('/').unwrap_or(("", key))
}

pub fn controller_of(o: &ObjectRc) -> Option<&OwnerReference> {
    o.meta().owner_references.iter().find(|r| r.controller)
}

pub fn source(component: &str) -> EventSource {
    EventSource { component: component.into(), host: String::new() }
}
