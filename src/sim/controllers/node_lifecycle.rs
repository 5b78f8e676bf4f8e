//! What happens when a node stops answering: the node lifecycle controller
//! (pkg/controller/nodelifecycle) and the taint eviction controller
//! (pkg/controller/tainteviction), both in kube-controller-manager.
//!
//! - monitorNodeHealth, every 5 s: a node whose kubelet has neither renewed its Lease nor
//!   posted status for the grace period (50 s since 1.32) gets its conditions set to Unknown
//!   ("Kubelet stopped posting node status."), an event, and its pods marked not ready (so
//!   Services stop sending them traffic).
//! - The tainting passes: a node whose Ready condition is Unknown gets the
//!   `node.kubernetes.io/unreachable` taint (NoSchedule: no new pods; NoExecute: its pods are
//!   evicted), one whose Ready is False the `not-ready` one; both go when it is Ready again.
//!   A cordoned node (`spec.unschedulable`) gets the `unschedulable` NoSchedule taint.
//! - Taint eviction: a pod on a node with NoExecute taints is deleted once its tolerations
//!   run out: at once if it tolerates none, after `tolerationSeconds` otherwise (300 s for the
//!   not-ready and unreachable tolerations every pod gets by default). Its kubelet is gone,
//!   so it stays Terminating; its ReplicaSet replaces it on another node.
//!
//! Simplified: evictions due are carried out on the next 5 s tick, not to the second; nodes
//! are not evicted zone by zone at a limited rate.

use std::collections::{BTreeMap, BTreeSet};

use super::source;
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::time::{SimDuration, SimTime};

/// --node-monitor-period.
pub const NODE_MONITOR_PERIOD: SimDuration = SimDuration::secs(5);
/// --node-monitor-grace-period (50 s since Kubernetes 1.32; 40 s before).
pub const NODE_MONITOR_GRACE_PERIOD: SimDuration = SimDuration::secs(50);
pub const UNREACHABLE_TAINT: &str = "node.kubernetes.io/unreachable";
pub const NOT_READY_TAINT: &str = "node.kubernetes.io/not-ready";
pub const UNSCHEDULABLE_TAINT: &str = "node.kubernetes.io/unschedulable";
const NODE_CONDITIONS: [&str; 4] = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"];

#[derive(Clone, Debug, Default)]
pub struct NodeLifecycleController {
    /// Node writes in flight: request id → node name (one at a time per node).
    writing: BTreeMap<RequestId, Str>,
    /// The nodes it has registered (knownNodeSet: name → uid), once it has seen the first
    /// list: those it finds then were registered before the simulation began.
    known: Option<crate::sim::keyed::FxHashMap<Str, Str>>,
}

fn ready_status(n: &Node) -> Option<&str> {
    n.status.conditions.iter().find(|c| c.type_ == "Ready").map(|c| c.status.as_str())
}

impl NodeLifecycleController {
    fn busy(&self, node: &str) -> bool {
        self.writing.values().any(|n| n == node)
    }

    pub fn on_response(&mut self, resp: &ApiResponse) {
        self.writing.remove(&resp.id);
    }

    /// A node changed: bring its taints in line with its Ready condition.
    pub fn on_node_change(&mut self, ctx: &mut Ctx, change: &Change) {
        if matches!(change, Change::Deleted(_)) {
            return;
        }
        if let Some(n) = change.object().as_node() {
            self.taint(ctx, n);
        }
    }

    /// monitorNodeHealth, then the tainting passes for every node. The nodes are looked at in
    /// no particular order and only those that need a write are sorted (by name, as the real
    /// controller lists them): sorting all 5,000 names every 5 s cost 1.6% of the 150,000-pod
    /// run, to act on none of them.
    pub fn monitor(&mut self, ctx: &mut Ctx, informers: &Informers) {
        enum Act {
            MarkUnknown,
            Taint(Vec<Taint>),
        }
        if !informers.synced() {
            return;
        }
        self.register_new_nodes(ctx, informers);
        let leases = informers.get(Kind::Lease);
        let mut due: Vec<(&ObjectRc, Act)> = Vec::new();
        for o in informers.get(Kind::Node).values() {
            let Some(n) = o.as_node() else { continue };
            if self.busy(&n.metadata.name) {
                continue;
            }
            let ready = n.status.conditions.iter().find(|c| c.type_ == "Ready");
            // (A node that never reported is left to its registration.)
            let expired = ready.filter(|c| c.status != "Unknown").is_some_and(|ready| {
                let renewed = leases.get("kube-node-lease", &n.metadata.name).and_then(|l| if let Object::Lease(l) = &**l { l.spec.renew_time } else { None });
                let heartbeat = [renewed, ready.last_heartbeat_time, n.metadata.creation_timestamp].into_iter().flatten().max();
                heartbeat.is_some_and(|h| ctx.now.since(h) > NODE_MONITOR_GRACE_PERIOD)
            });
            if expired {
                due.push((o, Act::MarkUnknown));
            } else if let Some(taints) = wanted_taints(n, ctx.now) {
                due.push((o, Act::Taint(taints)));
            }
        }
        due.sort_unstable_by(|a, b| a.0.name().cmp(b.0.name()));
        for (o, act) in due {
            let Some(n) = o.as_node() else { continue };
            match act {
                Act::MarkUnknown => self.mark_unknown(ctx, informers, o, n),
                Act::Taint(taints) => self.write_taints(ctx, n, taints),
            }
        }
    }

    /// Once kube-controller-manager's caches have synced: the nodes they hold were registered
    /// before the simulation began.
    pub fn remember_nodes(&mut self, informers: &Informers) {
        if self.known.is_none() {
            self.known = Some(informers.get(Kind::Node).values().map(|n| (n.meta().name.clone(), n.meta().uid.clone())).collect());
        }
    }

    /// monitorNodeHealth's first step (classifyNodes): a node it has not seen before gets a
    /// RegisteredNode Event, and one that is gone a RemovingNode Event, and is forgotten.
    fn register_new_nodes(&mut self, ctx: &mut Ctx, informers: &Informers) {
        let nodes = informers.get(Kind::Node);
        let Some(known) = &mut self.known else { return };
        if known.len() == nodes.len() && nodes.values().all(|n| known.contains_key(n.name())) {
            return;
        }
        let event = |ctx: &mut Ctx, meta: &ObjectMeta, reason: &str, what: &str| {
            let name = &meta.name;
            ctx.event(source("node-controller"), Kind::Node, meta, "Normal", reason, Str::concat(&["Node ", name, " event: ", what, " Node ", name, " ", if reason == "RegisteredNode" { "in" } else { "from" }, " Controller"]));
        };
        let mut added: Vec<&ObjectRc> = nodes.values().filter(|n| !known.contains_key(n.name())).collect();
        added.sort_unstable_by(|a, b| a.name().cmp(b.name()));
        for n in added {
            known.insert(n.meta().name.clone(), n.meta().uid.clone());
            event(ctx, n.meta(), "RegisteredNode", "Registered");
        }
        let mut deleted: Vec<(Str, Str)> = known.iter().filter(|(name, _)| nodes.get("", name).is_none()).map(|(n, u)| (n.clone(), u.clone())).collect();
        deleted.sort_unstable();
        for (name, uid) in deleted {
            known.remove(&name);
            event(ctx, &ObjectMeta { name, uid, ..Default::default() }, "RemovingNode", "Removing");
        }
    }

    /// tryUpdateNodeHealth for a node gone silent: every condition Unknown, an event, and its
    /// pods not ready (MarkPodsNotReady).
    fn mark_unknown(&mut self, ctx: &mut Ctx, informers: &Informers, o: &ObjectRc, n: &Node) {
        let mut next = n.clone();
        for c in next.status.conditions.iter_mut().filter(|c| NODE_CONDITIONS.contains(&c.type_.as_str())) {
            c.status = "Unknown".into();
            c.reason = "NodeStatusUnknown".into();
            c.message = "Kubelet stopped posting node status.".into();
            c.last_transition_time = Some(ctx.now);
        }
        next.metadata.resource_version.clear();
        let id = ctx.request(ApiRequest::with_object(Verb::UpdateStatus, Object::Node(next)));
        self.writing.insert(id, n.metadata.name.clone());
        ctx.event(source("node-controller"), Kind::Node, o.meta(), "Normal", "NodeNotReady", Str::concat(&["Node ", &n.metadata.name, " status is now: NodeNotReady"]));
        let pods: Vec<ObjectRc> = informers.get(Kind::Pod).iter().filter(|p| p.as_pod().is_some_and(|p| p.spec.node_name == n.metadata.name && p.is_ready())).cloned().collect();
        for p in pods {
            let Some(pod) = p.as_pod() else { continue };
            let mut next = pod.clone();
            if let Some(c) = next.status.conditions.iter_mut().find(|c| c.type_ == "Ready") {
                c.status = "False".into();
                c.last_transition_time = Some(ctx.now);
            }
            next.metadata.resource_version.clear();
            ctx.request(ApiRequest::with_object(Verb::UpdateStatus, Object::Pod(next)));
            ctx.event(source("node-controller"), Kind::Pod, p.meta(), "Warning", "NodeNotReady", "Node is not ready".into());
        }
    }

    /// doNoScheduleTaintingPass and doNoExecuteTaintingPass for one node.
    fn taint(&mut self, ctx: &mut Ctx, n: &Node) {
        if self.busy(&n.metadata.name) {
            return;
        }
        if let Some(taints) = wanted_taints(n, ctx.now) {
            self.write_taints(ctx, n, taints);
        }
    }

    fn write_taints(&mut self, ctx: &mut Ctx, n: &Node, taints: Vec<Taint>) {
        // With its resourceVersion: a conflict (someone cordoned it meanwhile) is settled on
        // the next pass, from the newer copy.
        let mut next = n.clone();
        next.spec.taints = taints;
        let id = ctx.request(ApiRequest::with_object(Verb::Update, Object::Node(next)));
        self.writing.insert(id, n.metadata.name.clone());
    }
}

/// The taints a node should have, if they are not the ones it has: for its Ready condition
/// (Unknown means unreachable, False not ready, True neither; NoSchedule and NoExecute each),
/// and for `spec.unschedulable` (the NoSchedule taint `kubectl cordon` leads to:
/// doNoScheduleTaintingPass). A taint added gets the time it was added, as
/// SwapNodeControllerTaint stamps it.
fn wanted_taints(n: &Node, now: SimTime) -> Option<Vec<Taint>> {
    let want = match ready_status(n) {
        Some("Unknown") => Some(UNREACHABLE_TAINT),
        Some("False") => Some(NOT_READY_TAINT),
        _ => None,
    };
    let ours = |t: &Taint| ((t.key == UNREACHABLE_TAINT || t.key == NOT_READY_TAINT) && (t.effect == "NoSchedule" || t.effect == "NoExecute")) || (t.key == UNSCHEDULABLE_TAINT && t.effect == "NoSchedule");
    // Nearly every node, nearly every time: Ready, schedulable, and none of our taints.
    if want.is_none() && !n.spec.unschedulable && !n.spec.taints.iter().any(ours) {
        return None;
    }
    let keep = |t: &Taint| !ours(t) || Some(t.key.as_str()) == want || (t.key == UNSCHEDULABLE_TAINT && n.spec.unschedulable);
    let mut taints: Vec<Taint> = n.spec.taints.iter().filter(|t| keep(t)).cloned().collect();
    let mut add = |key: &str, effect: &str| {
        if !taints.iter().any(|t| t.key == key && t.effect == effect) {
            taints.push(Taint { key: key.into(), value: Str::EMPTY, effect: effect.into(), time_added: Some(now) });
        }
    };
    if let Some(key) = want {
        add(key, "NoSchedule");
        add(key, "NoExecute");
    }
    if n.spec.unschedulable {
        add(UNSCHEDULABLE_TAINT, "NoSchedule");
    }
    (taints != n.spec.taints).then_some(taints)
}

/// The taint eviction controller.
#[derive(Clone, Debug, Default)]
pub struct TaintEvictionController {
    /// Pods to delete, and when: (namespace, name) → due.
    due: BTreeMap<(Str, Str), SimTime>,
    /// Evictions sent (to be done once).
    evicted: BTreeSet<(Str, Str)>,
    /// Nodes with a NoExecute taint: a pod change elsewhere (nearly all of them) costs one
    /// look at this set.
    tainted: BTreeSet<Str>,
}

/// getMinTolerationTime over the tolerations that tolerate `taints`: None if a taint is not
/// tolerated (evict now), Some(None) if tolerated forever, Some(Some(s)) after s seconds.
fn toleration_time(pod: &Pod, taints: &[&Taint]) -> Option<Option<i64>> {
    let mut min: Option<i64> = None;
    for t in taints {
        let used: Vec<&Toleration> = pod.spec.tolerations.iter().filter(|tol| tol.tolerates(t)).collect();
        if used.is_empty() {
            return None;
        }
        for tol in used {
            if let Some(s) = tol.toleration_seconds {
                min = Some(min.map_or(s, |m| m.min(s)));
            }
        }
    }
    Some(min)
}

impl TaintEvictionController {
    /// Node and pod changes: work out when each pod on a NoExecute-tainted node goes.
    pub fn on_change(&mut self, ctx: &mut Ctx, informers: &Informers, kind: Kind, change: &Change) {
        match (kind, change) {
            (Kind::Pod, Change::Deleted(p)) => {
                let key = (p.meta().namespace.clone(), p.meta().name.clone());
                self.due.remove(&key);
                self.evicted.remove(&key);
            }
            (Kind::Pod, Change::Added(p) | Change::Updated { new: p, .. }) => {
                let Some(pod) = p.as_pod() else { return };
                if self.tainted.is_empty() || pod.spec.node_name.is_empty() || !self.tainted.contains(&pod.spec.node_name) {
                    return;
                }
                if let Some(n) = informers.get(Kind::Node).get("", &pod.spec.node_name).and_then(|n| n.as_node()) {
                    self.consider(ctx, pod, n);
                }
            }
            (Kind::Node, Change::Deleted(n)) => {
                self.tainted.remove(n.name());
            }
            (Kind::Node, Change::Added(_) | Change::Updated { .. }) => {
                let no_execute = |o: &ObjectRc| o.as_node().map(|n| n.spec.taints.iter().filter(|t| t.effect == "NoExecute").cloned().collect::<Vec<_>>()).unwrap_or_default();
                let new = change.object();
                let now = no_execute(new);
                if now.is_empty() {
                    self.tainted.remove(new.name());
                } else {
                    self.tainted.insert(new.meta().name.clone());
                }
                let unchanged = match change {
                    Change::Updated { old, .. } => no_execute(old) == now,
                    _ => now.is_empty(),
                };
                if unchanged {
                    return;
                }
                let Some(n) = new.as_node() else { return };
                let pods: Vec<ObjectRc> = informers.get(Kind::Pod).iter().filter(|p| p.as_pod().is_some_and(|p| p.spec.node_name == n.metadata.name)).cloned().collect();
                for p in pods.iter().filter_map(|p| p.as_pod()) {
                    self.consider(ctx, p, n);
                }
            }
            _ => {}
        }
    }

    /// processPodOnNode: schedule, keep or cancel the pod's eviction.
    fn consider(&mut self, ctx: &mut Ctx, pod: &Pod, n: &Node) {
        let key = (pod.metadata.namespace.clone(), pod.metadata.name.clone());
        let taints: Vec<&Taint> = n.spec.taints.iter().filter(|t| t.effect == "NoExecute").collect();
        let when = if taints.is_empty() || pod.is_terminating() {
            None
        } else {
            match toleration_time(pod, &taints) {
                None => Some(ctx.now),
                Some(None) => None,
                Some(Some(secs)) => Some(ctx.now + SimDuration::secs(secs.max(0) as u64)),
            }
        };
        match when {
            // Counted from when it was first seen on the tainted node.
            Some(at) => {
                self.due.entry(key).or_insert(at);
            }
            None => {
                if self.due.remove(&key).is_some() && !pod.is_terminating() {
                    ctx.event(source("taint-eviction-controller"), Kind::Pod, &pod.metadata, "Normal", "TaintManagerEviction", Str::concat(&["Cancelling deletion of Pod ", &pod.metadata.namespace, "/", &pod.metadata.name]));
                }
            }
        }
    }

    /// Deletes the pods whose time has come (on the controller manager's 5 s tick).
    pub fn evict_due(&mut self, ctx: &mut Ctx, informers: &Informers) {
        let now = ctx.now;
        let due: Vec<(Str, Str)> = self.due.iter().filter(|(_, at)| **at <= now).map(|(k, _)| k.clone()).collect();
        for key in due {
            self.due.remove(&key);
            let Some(p) = informers.get(Kind::Pod).get(&key.0, &key.1).cloned() else { continue };
            if p.as_pod().is_some_and(Pod::is_terminating) || !self.evicted.insert(key.clone()) {
                continue;
            }
            ctx.event(source("taint-eviction-controller"), Kind::Pod, p.meta(), "Normal", "TaintManagerEviction", Str::concat(&["Marking for deletion Pod ", &key.0, "/", &key.1]));
            ctx.request(ApiRequest::new(Verb::Delete, Kind::Pod, key.0.clone(), key.1.clone()));
        }
    }
}
