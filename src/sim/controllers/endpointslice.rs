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

use std::borrow::Cow;
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
    /// Service key → its slices as the last sync left them.
    placements: BTreeMap<Str, Placement>,
}

/// What the controller knows of a Service's slices after its last sync, so that the next one
/// need only look at what changed since. A sync leaves the Service's pods partitioned among
/// its slices, each endpoint as it was wanted then; until something else writes the slices
/// (their resourceVersions say so) or the Service changes, the only endpoints that can be out
/// of date are those of the pods changed since (`dirty`), and the only pods without a slice
/// are new ones among those. A rolling update of 30,000 pods behind a Service changes a pod
/// some 120,000 times: a sync per change that looked at every endpoint made it quadratic.
/// (The simulation's own bookkeeping: upstream's reconciler looks at every endpoint on every
/// sync, and its syncs take long enough that changes pile up between them.)
#[derive(Clone, Debug, Default)]
struct Placement {
    /// Whether the rest may be trusted: set by a sync that looked at everything, cleared by a
    /// change of the Service or a failed write.
    valid: bool,
    /// The slices as this controller's writes left them: name → (resourceVersion, pods).
    slices: BTreeMap<Str, (u64, Vec<Str>)>,
    /// Pod name → the slice that holds it.
    owner: crate::sim::keyed::FxHashMap<Str, Str>,
    /// Pods whose endpoint may have changed since the last sync.
    dirty: std::collections::BTreeSet<Str>,
}

impl Placement {
    fn forget(&mut self, name: &Str) {
        if let Some((_, pods)) = self.slices.remove(name) {
            for p in pods {
                if self.owner.get(&p) == Some(name) {
                    self.owner.remove(&p);
                }
            }
        }
    }
    fn learn(&mut self, slice: &EndpointSlice) {
        let name = slice.metadata.name.clone();
        self.forget(&name);
        let pods: Vec<Str> = slice.endpoints.iter().filter_map(pod_of).cloned().collect();
        for p in &pods {
            self.owner.insert(p.clone(), name.clone());
        }
        self.slices.insert(name, (slice.metadata.resource_version.0, pods));
    }
}

/// A sync's writes: updated slices (in name order), new slices' endpoints, slices to delete.
struct Plan {
    updates: Vec<EndpointSlice>,
    creates: Vec<Vec<Endpoint>>,
    deletes: Vec<Str>,
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
                        self.placements.remove(&key);
                    }
                    (_, Some(svc)) => {
                        let mut m = BTreeMap::new();
                        self.triggers.entry(key.clone()).or_default().reselect(informers, svc, |p| {
                            if has_endpoint(p) {
                                m.insert(p.metadata.name.clone(), pod_endpoint(p));
                            }
                        });
                        self.members.insert(key.clone(), m);
                        if let Some(pl) = self.placements.get_mut(&key) {
                            pl.valid = false;
                        }
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
                    if let Some(pl) = self.placements.get_mut(key) {
                        pl.dirty.extend(old.iter().chain(new.iter()).map(|p| p.metadata.name.clone()));
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
        if let Some(pl) = self.placements.get_mut(&key) {
            match (&resp.result, resp.verb) {
                (Ok(_), Verb::Delete) => {}
                (Ok(ApiReply::Object(o)), _) => match o.as_endpoint_slice() {
                    Some(slice) => pl.learn(slice),
                    None => pl.valid = false,
                },
                _ => pl.valid = false,
            }
        }
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
    fn current_slices(&mut self, informers: &Informers, key: &Str, svc: &Service) -> Option<Vec<ObjectRc>> {
        let (ns, name) = split_key(key);
        let mine = |e: &EndpointSlice| {
            e.metadata.namespace == ns
                && e.metadata.labels.get(SERVICE_NAME_LABEL).is_some_and(|s| s == name)
                && e.metadata.labels.get(MANAGED_BY_LABEL).is_some_and(|m| m == MANAGED_BY)
                && e.metadata.owner_references.iter().any(|r| r.controller && r.uid == svc.metadata.uid)
        };
        let mut slices: Vec<ObjectRc> = informers.get(Kind::EndpointSlice).values().filter(|o| o.as_endpoint_slice().is_some_and(mine)).cloned().collect();
        slices.sort_by(|a, b| a.name().cmp(b.name()));
        if let Some(expected) = self.expected.get(key) {
            let caught_up = expected.iter().all(|(n, rv)| {
                let cached = slices.iter().find(|e| e.name() == n.as_str()).map(|e| e.resource_version());
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
        let mut labels = svc.metadata.labels.clone();
        labels.insert(SERVICE_NAME_LABEL.into(), name.into());
        labels.insert(MANAGED_BY_LABEL.into(), MANAGED_BY.into());
        let pl = self.placements.entry(key.clone()).or_default();
        let plan = match FULL_SYNCS_ONLY.with(|f| f.get()) {
            false => quick_plan(pl, &existing, desired),
            true => None,
        };
        let plan = match plan {
            Some(plan) => plan,
            None => {
                let plan = full_plan(&existing, desired, &ports, &labels);
                // Everything was looked at: what is not written stays as it is.
                *pl = Placement { valid: true, ..Default::default() };
                for o in &existing {
                    if let Some(slice) = o.as_endpoint_slice() {
                        pl.learn(slice);
                    }
                }
                plan
            }
        };
        // What is written is learnt again from its answer.
        pl.dirty.clear();
        for slice in plan.updates.iter().map(|s| &s.metadata.name).chain(&plan.deletes) {
            pl.forget(slice);
        }
        // The writes: labels and the trigger time as the controller sets them.
        for mut slice in plan.updates {
            slice.metadata.labels = labels.clone();
            stamp_trigger(&mut slice.metadata, trigger);
            let slice_name = slice.metadata.name.clone();
            let id = self.queue.request(ctx, key, ApiRequest::with_object(Verb::Update, Object::EndpointSlice(Box::new(slice))));
            self.writing.insert(id, (key.clone(), slice_name));
        }
        for endpoints in plan.creates {
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
        for slice_name in plan.deletes {
            let id = self.queue.request(ctx, key, ApiRequest::new(Verb::Delete, Kind::EndpointSlice, ns, &slice_name));
            self.writing.insert(id, (key.clone(), slice_name));
        }
    }
}

thread_local! {
    /// Tests set this to compare `quick_plan` with `full_plan` on the same story.
    pub static FULL_SYNCS_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// A copy of `slice` holding `endpoints` (its own are not copied).
fn with_endpoints(slice: &EndpointSlice, endpoints: Vec<Endpoint>) -> EndpointSlice {
    EndpointSlice { metadata: slice.metadata.clone(), address_type: slice.address_type.clone(), endpoints, ports: slice.ports.clone() }
}

/// The reconciler as upstream runs it, over every endpoint: `existing` are the Service's
/// slices in name order.
fn full_plan(existing: &[ObjectRc], desired: &BTreeMap<Str, Endpoint>, ports: &[EndpointPort], labels: &Labels) -> Plan {
    // 1. Each slice keeps the endpoints it holds that are still wanted, brought up to date;
    //    a slice for other ports is replaced.
    let mut placed = crate::sim::keyed::FxHashSet::default();
    let mut kept: Vec<(Cow<EndpointSlice>, bool)> = Vec::new();
    let mut deletes: Vec<Str> = Vec::new();
    for slice in existing.iter().filter_map(|o| o.as_endpoint_slice()) {
        if slice.ports != ports || slice.address_type != "IPv4" {
            deletes.push(slice.metadata.name.clone());
            continue;
        }
        let endpoints: Vec<Endpoint> = slice.endpoints.iter().filter_map(|e| pod_of(e).and_then(|p| desired.get(p)).filter(|d| placed.insert(pod_of(d).cloned())).cloned()).collect();
        let changed = endpoints != slice.endpoints;
        kept.push((Cow::Owned(with_endpoints(slice, endpoints)), changed));
    }
    // 2. New endpoints fill the slices being written anyway, then those with room, then new
    //    slices.
    let rest = desired.values().filter(|d| !placed.contains(&pod_of(d).cloned())).cloned();
    let creates = fill(&mut kept, rest);
    // 3. Slices left empty go, but one stays (or is made) as the Service's placeholder.
    let (updates, creates, emptied) = finish(kept, creates, |s| s.metadata.labels != *labels);
    deletes.extend(emptied);
    Plan { updates, creates, deletes }
}

/// The same result from what changed since the last sync (`Placement`), or None when that is
/// not known and `full_plan` must look at everything.
fn quick_plan(pl: &Placement, existing: &[ObjectRc], desired: &BTreeMap<Str, Endpoint>) -> Option<Plan> {
    if !pl.valid || existing.len() != pl.slices.len() {
        return None;
    }
    // The slices must be those this controller left (written by nobody else since).
    let mut slices = Vec::with_capacity(existing.len());
    for (o, (name, (rv, _))) in existing.iter().zip(&pl.slices) {
        let slice = o.as_endpoint_slice()?;
        if slice.metadata.name != *name || slice.metadata.resource_version.0 != *rv {
            return None;
        }
        slices.push(slice);
    }
    // Only the slices of changed pods can change; changed pods without one are new.
    let touched: std::collections::BTreeSet<&Str> = pl.dirty.iter().filter_map(|p| pl.owner.get(p)).collect();
    let mut kept: Vec<(Cow<EndpointSlice>, bool)> = slices
        .into_iter()
        .map(|slice| {
            if !touched.contains(&slice.metadata.name) {
                return (Cow::Borrowed(slice), false);
            }
            let endpoints: Vec<Endpoint> = slice.endpoints.iter().filter_map(|e| pod_of(e).and_then(|p| desired.get(p))).cloned().collect();
            let changed = endpoints != slice.endpoints;
            (Cow::Owned(with_endpoints(slice, endpoints)), changed)
        })
        .collect();
    let rest = pl.dirty.iter().filter(|p| !pl.owner.contains_key(*p)).filter_map(|p| desired.get(p)).cloned();
    let creates = fill(&mut kept, rest);
    // (Slices as this controller wrote them carry the Service's labels already.)
    let (updates, creates, deletes) = finish(kept, creates, |_| false);
    Some(Plan { updates, creates, deletes })
}

/// Step 2 of the reconciler: `rest` (in pod name order) fills the slices being written anyway,
/// then those with room (each group in name order); what is left makes new slices.
fn fill(kept: &mut [(Cow<EndpointSlice>, bool)], rest: impl Iterator<Item = Endpoint>) -> Vec<Vec<Endpoint>> {
    let mut rest = rest.peekable();
    let mut order: Vec<usize> = (0..kept.len()).collect();
    order.sort_by_key(|&i| !kept[i].1);
    for i in order {
        if rest.peek().is_none() {
            break;
        }
        let (slice, changed) = &mut kept[i];
        if slice.endpoints.len() >= MAX_ENDPOINTS_PER_SLICE {
            continue;
        }
        // (A slice left as it was is copied only now that it changes.)
        let slice = slice.to_mut();
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
    creates
}

/// Step 3: slices left empty are deleted, but one stays (or is made) as the Service's
/// placeholder; the slices to write are the changed ones and those `relabel` says need it.
fn finish(kept: Vec<(Cow<EndpointSlice>, bool)>, mut creates: Vec<Vec<Endpoint>>, relabel: impl Fn(&EndpointSlice) -> bool) -> (Vec<EndpointSlice>, Vec<Vec<Endpoint>>, Vec<Str>) {
    let any_endpoints = kept.iter().any(|(s, _)| !s.endpoints.is_empty()) || !creates.is_empty();
    let mut placeholder_kept = false;
    let (mut updates, mut deletes, mut left) = (Vec::new(), Vec::new(), 0);
    for (slice, changed) in kept {
        if slice.endpoints.is_empty() && (any_endpoints || placeholder_kept) {
            deletes.push(slice.metadata.name.clone());
            continue;
        }
        placeholder_kept |= slice.endpoints.is_empty();
        left += 1;
        if changed || relabel(&slice) {
            updates.push(slice.into_owned());
        }
    }
    if left == 0 && creates.is_empty() {
        creates.push(Vec::new());
    }
    (updates, creates, deletes)
}

#[cfg(test)]
mod tests {
    use super::FULL_SYNCS_ONLY;
    use crate::cli::Session;
    use crate::sim::objects::Kind;
    use crate::sim::rng::Rng;
    use crate::sim::SimConfig;

    /// A random story of a Service's pods: scaling across several slices, rollouts, deleted
    /// pods, stopped kubelets, relabelled pods, a changed port, a slice annotated or deleted by
    /// hand.
    fn story(seed: u64, full_syncs_only: bool) -> (Vec<crate::sim::TraceEntry>, String) {
        FULL_SYNCS_ONLY.with(|f| f.set(full_syncs_only));
        let mut rng = Rng::new(seed);
        let mut s = Session::new(SimConfig { seed, nodes: 3, trace_limit: 10_000_000, ..Default::default() });
        let mut errors = Vec::new();
        let mut run = |s: &mut Session, line: &str| {
            let out = s.execute(line, None);
            if out.is_error {
                errors.push(format!("{line}: {}", out.text));
            }
        };
        run(&mut s, &format!("kubectl create deployment web --image=nginx:1.27 --replicas={}", rng.below(260)));
        run(&mut s, "kubectl expose deployment web --port=80");
        for _ in 0..14 {
            let line = match rng.below(11) {
                0 | 1 => format!("kubectl scale deployment web --replicas={}", rng.below(260)),
                2 => format!("kubectl set image deployment/web nginx=nginx:1.2{}", rng.below(8)),
                3 => "kubectl delete pod -l app=web --wait=false".to_string(),
                4 => {
                    let node = format!("node-{}", 1 + rng.below(3));
                    format!("kubelet {} {node}", if rng.below(2) == 0 { "stop" } else { "start" })
                }
                5 => {
                    let pods: Vec<String> = s.sim.pods().map(|p| p.metadata.name.to_string()).collect();
                    match pods.get(rng.below(pods.len().max(1) as u64) as usize) {
                        Some(p) => format!("kubectl label pod {p} app=other --overwrite"),
                        None => "kubectl get pods".to_string(),
                    }
                }
                6 => format!("kubectl patch service web -p '{{\"spec\":{{\"ports\":[{{\"port\":80,\"targetPort\":{}}}]}}}}'", 80 + rng.below(3)),
                7 | 8 => {
                    let slices: Vec<String> = s.sim.etcd().range(Kind::EndpointSlice.etcd_prefix()).map(|(_, kv)| kv.value.name().to_string()).filter(|n| n.starts_with("web-")).collect();
                    match slices.get(rng.below(slices.len().max(1) as u64) as usize) {
                        // (A slice written by someone else: the controller's next write of it,
                        // made from its older copy, may fail.)
                        Some(n) if rng.below(2) == 0 => format!("kubectl annotate endpointslice {n} touched={} --overwrite", rng.below(100)),
                        Some(n) => format!("kubectl delete endpointslice {n}"),
                        None => "kubectl get endpointslices".to_string(),
                    }
                }
                _ => format!("sleep {}ms", 100 + rng.below(5_000)),
            };
            run(&mut s, &line);
            run(&mut s, &format!("sleep {}ms", rng.below(3_000)));
        }
        run(&mut s, "sleep 60s");
        assert!(errors.is_empty(), "seed {seed}: every command is understood: {errors:?}");
        let slices = s.execute("kubectl get endpointslices -o yaml", None).text;
        FULL_SYNCS_ONLY.with(|f| f.set(false));
        (s.sim.trace().entries().iter().cloned().collect(), slices)
    }

    #[test]
    fn syncs_from_what_changed_write_what_syncs_over_everything_write() {
        // (More stories: SLICE_FIRST=N SLICE_SEEDS=M cargo test --release --lib syncs_from.)
        let env = |name: &str, default: u64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
        let first = env("SLICE_FIRST", 1);
        for seed in first..first + env("SLICE_SEEDS", 8) {
            let (quick, quick_slices) = story(seed, false);
            let (full, full_slices) = story(seed, true);
            assert_eq!(quick_slices, full_slices, "seed {seed}: the slices at the end");
            assert!(quick_slices.contains("kind: EndpointSlice"));
            if let Some(i) = quick.iter().zip(&full).position(|(a, b)| a != b) {
                panic!("seed {seed}: message {i} differs:\n  quick: {:?}\n  full:  {:?}", quick[i], full[i]);
            }
            assert_eq!(quick.len(), full.len(), "seed {seed}");
        }
    }

    /// Someone else writes a slice just before the controller syncs from a cache that has not
    /// seen that write yet: the controller's update of the slice fails (409), so it no longer
    /// trusts what it remembers of its slices and syncs over everything, as upstream does after
    /// any failed write. Returns the trace, the slices at the end and the failed writes.
    fn race(full_syncs_only: bool) -> (Vec<crate::sim::TraceEntry>, String, usize) {
        use crate::sim::message::{Component, ControllerKind};
        use crate::sim::trace::MessageKind;
        FULL_SYNCS_ONLY.with(|f| f.set(full_syncs_only));
        let mut s = Session::new(SimConfig { nodes: 3, trace_limit: 10_000_000, ..Default::default() });
        s.execute("kubectl create deployment web --image=nginx:1.27 --replicas=150", None);
        s.execute("kubectl expose deployment web --port=80", None);
        s.execute("sleep 30s", None);
        s.execute("kubectl scale deployment web --replicas=260", None);
        let to_slices = Component::Controller(ControllerKind::EndpointSlice);
        let failed = |s: &Session| s.sim.trace().entries().iter().filter(|e| e.to == to_slices && e.verb == "409").count();
        // At each pod change on its way to kube-controller-manager, the slice with the fewest
        // endpoints (where new ones go) is annotated, until one of the controller's writes fails.
        let mut touched = 0;
        for _ in 0..100_000 {
            let before = s.sim.trace().len();
            if !s.sim.step() {
                break;
            }
            let sent = || s.sim.trace().entries().iter().skip(before);
            if sent().any(|e| e.to == to_slices && e.verb == "409") {
                break;
            }
            if sent().any(|e| e.kind == MessageKind::Watch && e.to == Component::ControllerManager && e.key.starts_with("/registry/pods/")) {
                let slice = s.sim.etcd().range(Kind::EndpointSlice.etcd_prefix()).filter_map(|(_, kv)| kv.value.as_endpoint_slice().map(|e| (e.endpoints.len(), e.metadata.name.to_string()))).filter(|(_, n)| n.starts_with("web-")).min();
                if let Some((_, n)) = slice {
                    touched += 1;
                    s.execute(&format!("kubectl annotate endpointslice {n} touched={touched} --overwrite"), None);
                }
            }
        }
        s.execute("sleep 60s", None);
        let slices = s.execute("kubectl get endpointslices -o yaml", None).text;
        FULL_SYNCS_ONLY.with(|f| f.set(false));
        let n = failed(&s);
        (s.sim.trace().entries().iter().cloned().collect(), slices, n)
    }

    #[test]
    fn after_a_failed_write_the_controller_syncs_over_everything() {
        let (quick, quick_slices, failed) = race(false);
        assert!(failed > 0, "the story makes a slice write fail: {:?}", quick.iter().filter(|e| e.verb == "409" || (e.verb == "UPDATE" && e.key.contains("endpointslices"))).map(|e| format!("{} {:?} {}", e.verb, e.from, e.summary)).collect::<Vec<_>>());
        let (full, full_slices, _) = race(true);
        assert_eq!(quick_slices, full_slices);
        assert_eq!(quick_slices.matches("- addresses:").count(), 260 + 1, "every pod is an endpoint once (and the API server one of the kubernetes Service)");
        if let Some(i) = quick.iter().zip(&full).position(|(a, b)| a != b) {
            panic!("message {i} differs:\n  quick: {:?}\n  full:  {:?}", quick[i], full[i]);
        }
        assert_eq!(quick.len(), full.len());
    }
}
