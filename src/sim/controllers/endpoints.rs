//! The Endpoints controller (pkg/controller/endpoint): for each Service with a selector, the
//! Endpoints object lists the IPs of the pods it selects, ready ones in `addresses` and the
//! rest in `notReadyAddresses`. kube-proxy on every node programs its rules from these.
//!
//! The real controller lists the Service's pods on every sync. Here each Service's selected
//! addresses are kept up to date from the pod changes instead (a Service in front of 20,000
//! pods synced thousands of times, each a walk over every pod), so a sync costs at most the
//! 1,000 addresses an Endpoints object holds.

use std::collections::BTreeMap;

use super::{object_key, split_key, WorkQueue};
use crate::sim::keyed::FxHashMap;
use crate::sim::time::SimTime;
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;

/// The addresses of the pods a Service selects, in RepackSubsets' order (IP, then pod).
#[derive(Clone, Debug, Default)]
struct Members {
    ready: BTreeMap<(Str, Str), EndpointAddress>,
    not_ready: BTreeMap<(Str, Str), EndpointAddress>,
}

impl Members {
    fn remove(&mut self, pod: &Pod) {
        let key = (pod.status.pod_ip.clone(), pod.metadata.name.clone());
        self.ready.remove(&key);
        self.not_ready.remove(&key);
    }
    /// Adds the pod if it has an address to offer (an IP, and not terminating).
    fn add(&mut self, pod: &Pod) {
        if pod.status.pod_ip.is_empty() || pod.is_terminating() || is_terminal(pod) {
            return;
        }
        let addr = EndpointAddress { ip: pod.status.pod_ip.clone(), node_name: pod.spec.node_name.clone(), target_ref: Some(Box::new(pod_reference(pod))) };
        let key = (addr.ip.clone(), pod.metadata.name.clone());
        if pod.is_ready() { self.ready.insert(key, addr) } else { self.not_ready.insert(key, addr) };
    }
}

/// A pod that has finished (Succeeded or Failed) is no endpoint (ShouldPodBeInEndpoints).
pub(super) fn is_terminal(pod: &Pod) -> bool {
    matches!(pod.status.phase.as_str(), "Succeeded" | "Failed")
}

/// Whether the Service selects the pod (same namespace, labels matching its selector).
pub(super) fn selects(svc: &Service, pod: &Pod) -> bool {
    pod.metadata.namespace == svc.metadata.namespace && labels_match(&svc.spec.selector, &pod.metadata.labels)
}

/// An endpoint's targetRef: the pod, by kind, namespace, name and uid.
pub fn pod_reference(pod: &Pod) -> ObjectReference {
    let m = &pod.metadata;
    ObjectReference { kind: "Pod".into(), namespace: m.namespace.clone(), name: m.name.clone(), uid: m.uid.clone(), ..Default::default() }
}

/// What the TriggerTimeTracker (pkg/controller/util/endpoint) remembers of one Service: the
/// time of the change that led to each Endpoints write, which the controller records in the
/// `endpoints.kubernetes.io/last-change-trigger-time` annotation. A pod's trigger time is its
/// Ready condition's last transition, the Service's its creation.
#[derive(Clone, Debug, Default)]
pub(super) struct Triggers {
    /// Each selected pod's trigger time as of the last sync.
    synced: FxHashMap<Str, SimTime>,
    /// Pods changed since the last sync, with their trigger time now (None: gone or unselected).
    changed: FxHashMap<Str, Option<SimTime>>,
    /// Whether a sync has counted the Service's own creation.
    service_counted: bool,
}

impl Triggers {
    /// A new or changed selector: every pod the Service selected counts as changed, and so
    /// does each it selects now (from the pod cache), which `add` is also given.
    pub(super) fn reselect(&mut self, informers: &Informers, svc: &Service, mut add: impl FnMut(&Pod)) {
        self.changed.extend(self.synced.keys().map(|pod| (pod.clone(), None)));
        for p in informers.get(Kind::Pod).values().filter_map(|o| o.as_pod()).filter(|p| selects(svc, p)) {
            add(p);
            self.changed.insert(p.metadata.name.clone(), pod_trigger(p));
        }
    }

    /// A pod the Service selects before or after a change: its trigger time now (None once it
    /// is gone or no longer selected), for the next sync.
    pub(super) fn pod_changed(&mut self, svc: &Service, old: Option<&Pod>, new: Option<&Pod>) {
        if let Some(p) = old.or(new) {
            let now = new.filter(|p| selects(svc, p)).and_then(pod_trigger);
            self.changed.insert(p.metadata.name.clone(), now);
        }
    }

    /// ComputeEndpointLastChangeTriggerTime: the earliest trigger time that changed since the
    /// last sync (none: the annotation goes).
    pub(super) fn take(&mut self, svc: &Service) -> Option<SimTime> {
        let mut earliest: Option<SimTime> = None;
        let mut note = |t: SimTime| earliest = Some(earliest.map_or(t, |e| e.min(t)));
        for (pod, now) in self.changed.drain() {
            match now {
                Some(t) => {
                    if self.synced.get(&pod).is_none_or(|before| t > *before) {
                        note(t);
                    }
                    self.synced.insert(pod, t);
                }
                None => {
                    self.synced.remove(&pod);
                }
            }
        }
        if !self.service_counted {
            self.service_counted = true;
            if let Some(t) = svc.metadata.creation_timestamp {
                note(t);
            }
        }
        earliest
    }
}

/// A pod's trigger time: when its Ready condition last changed.
fn pod_trigger(pod: &Pod) -> Option<SimTime> {
    pod.status.conditions.iter().find(|c| c.type_ == "Ready").and_then(|c| c.last_transition_time)
}

pub const LAST_CHANGE_TRIGGER_TIME: &str = "endpoints.kubernetes.io/last-change-trigger-time";

/// The trigger time annotation as a sync writes it: the time, or none at all.
pub(super) fn stamp_trigger(meta: &mut ObjectMeta, trigger: Option<SimTime>) {
    match trigger {
        Some(t) => {
            meta.annotations.insert(LAST_CHANGE_TRIGGER_TIME.into(), t.rfc3339().into());
        }
        None => {
            meta.annotations.remove(LAST_CHANGE_TRIGGER_TIME);
        }
    }
}

#[derive(Clone, Debug)]
pub struct EndpointsController {
    queue: WorkQueue,
    /// Service key → the addresses of the pods it selects.
    members: BTreeMap<Str, Members>,
    /// Service key → its trigger times.
    triggers: BTreeMap<Str, Triggers>,
}

impl Default for EndpointsController {
    fn default() -> Self {
        Self::new()
    }
}

impl EndpointsController {
    pub fn new() -> Self {
        EndpointsController { queue: WorkQueue::default(), members: BTreeMap::new(), triggers: BTreeMap::new() }
    }

    /// The informer handlers: a changed Service, or a pod it may select, queues the Service.
    /// (`pod`: a pod change's Services, worked out once for both endpoints controllers.)
    pub fn on_change(&mut self, informers: &Informers, kind: Kind, change: &Change, pod: Option<&PodServices>) {
        match kind {
            Kind::Service => {
                // A new or changed selector: work out the members once, from the pod cache.
                let key = object_key(change.object());
                match (change, change.object().as_service()) {
                    (Change::Deleted(_), _) | (_, None) => {
                        self.members.remove(&key);
                        self.triggers.remove(&key);
                    }
                    (_, Some(svc)) => {
                        let mut m = Members::default();
                        self.triggers.entry(key.clone()).or_default().reselect(informers, svc, |p| m.add(p));
                        self.members.insert(key.clone(), m);
                    }
                }
                self.queue.add(key);
            }
            Kind::Pod => {
                if let Some(pod) = pod {
                    self.on_pod_change(pod);
                }
            }
            _ => {}
        }
    }

    pub fn on_response(&mut self, resp: &ApiResponse) {
        self.queue.done(resp.id);
    }

    /// Syncs every queued Service (once the caches are synced).
    pub fn drain(&mut self, ctx: &mut Ctx, informers: &Informers) {
        while let Some(key) = self.queue.pop() {
            self.sync_service(ctx, informers, &key);
        }
    }

    /// Only changes that matter to endpoints (labels, IP, readiness, existence) touch the
    /// Services that select the pod (before or after the change), and queue them.
    fn on_pod_change(&mut self, (old, new, services): &PodServices) {
        let (old, new) = (*old, *new);
        for (key, svc) in services {
            if let Some(m) = self.members.get_mut(key) {
                if let Some(p) = old {
                    m.remove(p);
                }
                if let Some(p) = new.filter(|p| selects(svc, p)) {
                    m.add(p);
                }
            }
            self.triggers.entry(key.clone()).or_default().pod_changed(svc, old, new);
            self.queue.add(key.clone());
        }
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    fn sync_service(&mut self, ctx: &mut Ctx, informers: &Informers, key: &Str) {
        let (ns, name) = split_key(key);
        let existing = informers.get(Kind::Endpoints).get(ns, name).cloned();
        let Some(svc) = informers.get(Kind::Service).get(ns, name).and_then(|s| s.as_service().cloned()) else {
            if existing.is_some() {
                self.queue.request(ctx, key, ApiRequest::new(Verb::Delete, Kind::Endpoints, ns, name));
            }
            return;
        };
        if svc.spec.selector.is_empty() {
            return;
        }
        let members = self.members.entry(key.clone()).or_default();
        // truncateEndpoints for one subset: past 1,000 addresses, ready ones first.
        let (ready, not_ready) = (members.ready.len(), members.not_ready.len());
        let over_capacity = ready + not_ready > MAX_CAPACITY;
        let mut subset = EndpointSubset::default();
        subset.addresses = members.ready.values().take(MAX_CAPACITY).cloned().collect();
        subset.not_ready_addresses = members.not_ready.values().take(MAX_CAPACITY.saturating_sub(ready)).cloned().collect();
        subset.ports = svc.spec.ports.iter().map(|sp| ServicePort { name: sp.name.clone(), protocol: sp.protocol.clone(), port: target_port(sp), target_port: None, node_port: None }).collect();
        let subsets = if subset.addresses.is_empty() && subset.not_ready_addresses.is_empty() { vec![] } else { vec![subset] };
        let mut labels = svc.metadata.labels.clone();
        labels.insert("endpoints.kubernetes.io/managed-by".into(), "endpoint-controller".into());
        let trigger = self.triggers.entry(key.clone()).or_default().take(&svc);
        let annotate = |meta: &mut ObjectMeta| {
            stamp_trigger(meta, trigger);
            if over_capacity {
                meta.annotations.insert(OVER_CAPACITY.into(), "truncated".into());
            } else {
                meta.annotations.remove(OVER_CAPACITY);
            }
        };
        match existing.as_ref().and_then(|e| e.as_endpoints()) {
            // Over capacity the real controller compares the whole list with the truncated one
            // stored, so it writes on every sync; so does this one.
            Some(e) if !over_capacity && e.subsets == subsets && !e.metadata.annotations.contains_key(OVER_CAPACITY) => {}
            Some(e) => {
                let mut next = e.clone();
                next.subsets = subsets;
                annotate(&mut next.metadata);
                next.metadata.resource_version.clear();
                self.queue.request(ctx, key, ApiRequest::with_object(Verb::Update, Object::Endpoints(next)));
            }
            None => {
                let mut ep = Endpoints { metadata: ObjectMeta { name: name.into(), namespace: ns.into(), labels, ..Default::default() }, subsets };
                annotate(&mut ep.metadata);
                self.queue.request(ctx, key, ApiRequest::with_object(Verb::Create, Object::Endpoints(ep)));
            }
        }
    }
}

/// A pod before and after a change, and the Services that select it before or after.
pub type PodServices<'a> = (Option<&'a Pod>, Option<&'a Pod>, Vec<(Str, &'a Service)>);

/// A pod change that matters to endpoints (labels, IP, readiness, termination, existence):
/// the pod before and after, and the Services that select it before or after, in key order.
/// None for one that does not matter.
pub fn services_of_pod_change<'a>(informers: &'a Informers, change: &'a Change) -> Option<PodServices<'a>> {
    let (old, new) = match change {
        Change::Added(p) => (None, p.as_pod()),
        Change::Updated { old, new } => (old.as_pod(), new.as_pod()),
        Change::Deleted(p) => (p.as_pod(), None),
    };
    fn view(p: &Pod) -> (&Labels, &Str, bool, bool, &str) {
        (&p.metadata.labels, &p.status.pod_ip, p.is_ready(), p.is_terminating(), &p.status.phase)
    }
    if old.is_some() && new.is_some() && old.map(view) == new.map(view) {
        return None;
    }
    let mut services: Vec<(Str, &Service)> = informers
        .get(Kind::Service)
        .values()
        .filter_map(|o| o.as_service().filter(|svc| [old, new].iter().flatten().any(|p| selects(svc, p))).map(|svc| (object_key(o), svc)))
        .collect();
    services.sort_by(|a, b| a.0.cmp(&b.0));
    Some((old, new, services))
}

/// The most addresses an Endpoints object holds (the controller's maxCapacity); past it the
/// object is annotated over-capacity: "truncated". (kube-proxy reads EndpointSlices, which are
/// not truncated; see the README.)
pub const MAX_CAPACITY: usize = 1000;
pub const OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";

pub(super) fn target_port(sp: &ServicePort) -> i32 {
    match &sp.target_port {
        Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(sp.port as i64) as i32,
        _ => sp.port,
    }
}
