//! The EndpointSlice controller (pkg/controller/endpointslice): for each Service with a
//! selector, EndpointSlices of up to 100 endpoints each, one per pod with an IP (terminating
//! ones too, marked so), owned by the Service and labelled with its name. kube-proxy programs
//! its rules from these.
//!
//! As upstream's reconciler does, a sync keeps each endpoint in the slice that holds it,
//! updates only the slices whose endpoints changed, fills slices that have room before it
//! creates new ones, deletes slices left empty, and keeps one empty placeholder slice for a
//! Service that selects no pods. Its own writes are remembered (the EndpointSliceTracker): while
//! the cache has not caught up with them, the Service is not synced, so a slice is not made
//! twice. Each Service's pods are kept up to date from the pod changes, as in the Endpoints
//! controller, rather than listed on every sync.

use std::collections::BTreeMap;

use super::endpoints::{is_terminal, pod_reference, selects, stamp_trigger, target_port, PodServices, Triggers};
use super::{object_key, split_key, WorkQueue};
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;

/// The controller's --max-endpoints-per-slice (its default).
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
pub const SERVICE_NAME_LABEL: &str = "kubernetes.io/service-name";
pub const MANAGED_BY_LABEL: &str = "endpointslice.kubernetes.io/managed-by";
pub const MANAGED_BY: &str = "endpointslice-controller.k8s.io";

/// podToEndpoint: the pod's address, and whether it is ready (serving and not terminating),
/// serving (its Ready condition) and terminating.
fn pod_endpoint(pod: &Pod) -> Endpoint {
    let serving = pod.is_ready();
    let terminating = pod.is_terminating();
    Endpoint {
        addresses: vec![pod.status.pod_ip.clone()],
        conditions: EndpointConditions { ready: Some(serving && !terminating), serving: Some(serving), terminating: Some(terminating) },
        target_ref: Some(pod_reference(pod)),
        node_name: (!pod.spec.node_name.is_empty()).then(|| pod.spec.node_name.clone()),
        ..Default::default()
    }
}

/// Whether the pod is an endpoint (ShouldPodBeInEndpoints): it has an IP and has not finished;
/// a terminating pod is one too, marked so.
fn has_endpoint(pod: &Pod) -> bool {
    !pod.status.pod_ip.is_empty() && !is_terminal(pod)
}

/// The pod an endpoint stands for.
fn pod_of(e: &Endpoint) -> Option<&Str> {
    e.target_ref.as_ref().map(|r| &r.name)
}

#[derive(Clone, Debug, Default)]
pub struct EndpointSliceController {
    queue: WorkQueue,
    /// Service key → the endpoints of the pods it selects, by pod name.
    members: BTreeMap<Str, BTreeMap<Str, Endpoint>>,
    triggers: BTreeMap<Str, Triggers>,
    /// Service key → its slices as this controller last wrote them (name → resourceVersion,
    /// or None: deleted), until the cache shows them so.
    expected: BTreeMap<Str, BTreeMap<Str, Option<u64>>>,
    /// Writes in flight: request id → (Service key, slice name; empty for a create).
    writing: BTreeMap<RequestId, (Str, Str)>,
}

impl EndpointSliceController {
    pub fn new() -> Self {
        Self::default()
    }

    /// The informer handlers: a changed Service, a pod it may select, or one of its slices
    /// queues the Service.
    pub fn on_change(&mut self, informers: &Informers, kind: Kind, change: &Change, pod: Option<&PodServices>) {
        match kind {
            Kind::Service => {
                let key = object_key(change.object());
                match (change, change.object().as_service()) {
                    (Change::Deleted(_), _) | (_, None) => {
                        self.members.remove(&key);
                        self.triggers.remove(&key);
                        self.expected.remove(&key);
                    }
                    (_, Some(svc)) => {
                        let mut m = BTreeMap::new();
                        self.triggers.entry(key.clone()).or_default().reselect(informers, svc, |p| {
                            if has_endpoint(p) {
                                m.insert(p.metadata.name.clone(), pod_endpoint(p));
                            }
                        });
                        self.members.insert(key.clone(), m);
                    }
                }
                self.queue.add(key);
            }
            Kind::Pod => {
                let Some((old, new, services)) = pod else { return };
                let (old, new) = (*old, *new);
                for (key, svc) in services {
                    if let Some(m) = self.members.get_mut(key) {
                        if let Some(p) = old {
                            m.remove(&p.metadata.name);
                        }
                        if let Some(p) = new.filter(|p| selects(svc, p) && has_endpoint(p)) {
                            m.insert(p.metadata.name.clone(), pod_endpoint(p));
                        }
                    }
                    self.triggers.entry(key.clone()).or_default().pod_changed(svc, old, new);
                    self.queue.add(key.clone());
                }
            }
            Kind::EndpointSlice => {
                let o = change.object();
                let labels = &o.meta().labels;
                if let (Some(service), Some(MANAGED_BY)) = (labels.get(SERVICE_NAME_LABEL), labels.get(MANAGED_BY_LABEL).map(|m| m.as_str())) {
                    self.queue.add(Str::concat(&[o.namespace(), "/", service]));
                }
            }
            _ => {}
        }
    }

    pub fn on_response(&mut self, resp: &ApiResponse) {
        self.queue.done(resp.id);
        let Some((key, name)) = self.writing.remove(&resp.id) else { return };
        let seen = match (&resp.result, resp.verb) {
            (Ok(ApiReply::Object(o)), Verb::Delete) => Some((o.meta().name.clone(), None)),
            (Ok(ApiReply::Object(o)), _) => Some((o.meta().name.clone(), Some(o.resource_version()))),
            // (Already gone: nothing to wait for.)
            (Err(_), Verb::Delete) => Some((name, None)),
            (Err(_), _) => None,
            (Ok(_), _) => None,
        };
        if let Some((name, rv)) = seen {
            self.expected.entry(key).or_default().insert(name, rv);
        }
    }

    pub fn drain(&mut self, ctx: &mut Ctx, informers: &Informers) {
        while let Some(key) = self.queue.pop() {
            self.sync_service(ctx, informers, &key);
        }
    }

    pub fn is_idle(&self) -> bool {
        self.queue.is_empty()
    }

    /// The Service's slices in the cache, by name, if the cache has caught up with this
    /// controller's writes (StaleSlices); None while it has not.
    fn current_slices(&mut self, informers: &Informers, key: &Str, svc: &Service) -> Option<Vec<EndpointSlice>> {
        let (ns, name) = split_key(key);
        let mut slices: Vec<EndpointSlice> = informers
            .get(Kind::EndpointSlice)
            .values()
            .filter_map(|o| o.as_endpoint_slice())
            .filter(|e| e.metadata.namespace == ns && e.metadata.labels.get(SERVICE_NAME_LABEL).is_some_and(|s| s == name))
            .filter(|e| e.metadata.labels.get(MANAGED_BY_LABEL).is_some_and(|m| m == MANAGED_BY))
            .filter(|e| e.metadata.owner_references.iter().any(|r| r.controller && r.uid == svc.metadata.uid))
            .cloned()
            .collect();
        slices.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
        if let Some(expected) = self.expected.get(key) {
            let caught_up = expected.iter().all(|(n, rv)| {
                let cached = slices.iter().find(|e| e.metadata.name == *n).map(|e| e.metadata.resource_version.0);
                match rv {
                    Some(rv) => cached.is_some_and(|c| c >= *rv),
                    None => cached.is_none(),
                }
            });
            if !caught_up {
                return None;
            }
            self.expected.remove(key);
        }
        Some(slices)
    }

    /// reconcileByAddressType, for IPv4.
    fn sync_service(&mut self, ctx: &mut Ctx, informers: &Informers, key: &Str) {
        let (ns, name) = split_key(key);
        let Some(svc_obj) = informers.get(Kind::Service).get(ns, name).cloned() else { return };
        let Some(svc) = svc_obj.as_service() else { return };
        // (A Service without a selector has slices only if someone writes them.)
        if svc.spec.selector.is_empty() {
            return;
        }
        let Some(existing) = self.current_slices(informers, key, svc) else { return };
        let ports: Vec<EndpointPort> = svc.spec.ports.iter().map(|sp| EndpointPort { name: Some(sp.name.clone()), port: Some(target_port(sp)), protocol: sp.protocol.clone() }).collect();
        let desired = self.members.entry(key.clone()).or_default();
        let trigger = self.triggers.entry(key.clone()).or_default().take(svc);
        // 1. Each slice keeps the endpoints it holds that are still wanted, brought up to date;
        //    a slice for other ports is replaced.
        let mut placed = crate::sim::keyed::FxHashSet::default();
        let mut kept: Vec<(EndpointSlice, bool)> = Vec::new();
        let mut deletes: Vec<Str> = Vec::new();
        for slice in existing {
            if slice.ports != ports || slice.address_type != "IPv4" {
                deletes.push(slice.metadata.name.clone());
                continue;
            }
            let endpoints: Vec<Endpoint> = slice.endpoints.iter().filter_map(|e| pod_of(e).and_then(|p| desired.get(p)).filter(|d| placed.insert(pod_of(d).cloned())).cloned()).collect();
            let changed = endpoints != slice.endpoints;
            kept.push((EndpointSlice { endpoints, ..slice }, changed));
        }
        // 2. New endpoints fill the slices being written anyway, then those with room, then new
        //    slices.
        let mut rest = desired.values().filter(|d| !placed.contains(&pod_of(d).cloned())).cloned().peekable();
        kept.sort_by_key(|(_, changed)| !*changed);
        for (slice, changed) in kept.iter_mut() {
            while slice.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
                let Some(e) = rest.next() else { break };
                slice.endpoints.push(e);
                *changed = true;
            }
        }
        let mut creates: Vec<Vec<Endpoint>> = Vec::new();
        while rest.peek().is_some() {
            creates.push(rest.by_ref().take(MAX_ENDPOINTS_PER_SLICE).collect());
        }
        // 3. Slices left empty go, but one stays (or is made) as the Service's placeholder.
        kept.sort_by(|a, b| a.0.metadata.name.cmp(&b.0.metadata.name));
        let any_endpoints = kept.iter().any(|(s, _)| !s.endpoints.is_empty()) || !creates.is_empty();
        let mut placeholder_kept = false;
        kept.retain(|(s, _)| {
            if !s.endpoints.is_empty() {
                return true;
            }
            if !any_endpoints && !placeholder_kept {
                placeholder_kept = true;
                return true;
            }
            deletes.push(s.metadata.name.clone());
            false
        });
        if kept.is_empty() && creates.is_empty() {
            creates.push(Vec::new());
        }
        // The writes: labels and the trigger time as the controller sets them.
        let mut labels = svc.metadata.labels.clone();
        labels.insert(SERVICE_NAME_LABEL.into(), name.into());
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
        for (mut slice, changed) in kept {
            if !changed && slice.metadata.labels == labels {
                continue;
            }
            slice.metadata.labels = labels.clone();
            stamp_trigger(&mut slice.metadata, trigger);
            let slice_name = slice.metadata.name.clone();
            let id = self.queue.request(ctx, key, ApiRequest::with_object(Verb::Update, Object::EndpointSlice(Box::new(slice))));
            self.writing.insert(id, (key.clone(), slice_name));
        }
        for endpoints in creates {
            let mut meta = ObjectMeta {
                generate_name: Str::concat(&[name, "-"]),
                namespace: ns.into(),
                labels: labels.clone(),
                owner_references: vec![OwnerReference { api_version: "v1".into(), kind: "Service".into(), name: name.into(), uid: svc.metadata.uid.clone(), controller: true, block_owner_deletion: true }].into(),
                ..Default::default()
            };
            stamp_trigger(&mut meta, trigger);
            let slice = EndpointSlice { metadata: meta, address_type: "IPv4".into(), endpoints, ports: ports.clone() };
            let id = self.queue.request(ctx, key, ApiRequest::with_object(Verb::Create, Object::EndpointSlice(Box::new(slice))));
            self.writing.insert(id, (key.clone(), Str::default()));
        }
        for slice_name in deletes {
            let id = self.queue.request(ctx, key, ApiRequest::new(Verb::Delete, Kind::EndpointSlice, ns, &slice_name));
            self.writing.insert(id, (key.clone(), slice_name));
        }
    }
}
