//! kube-scheduler: watches pods and nodes, queues pods that have no node, and in each
//! scheduling cycle filters and scores nodes for one pod, assumes the result in its cache (so
//! the next cycle already counts it) and binds it through the API server. Pods that fit
//! nowhere wait in the unschedulable queue until the cluster changes; failed binds back off.
//!
//! Like kube-scheduler, in big clusters it stops looking once it has found enough feasible
//! nodes (percentageOfNodesToScore, adaptive: 50% - nodes/125, at least 5% and 100 nodes),
//! starting each cycle where the last one stopped.

pub mod framework;
pub mod plugins;

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use framework::*;
use plugins::*;

use crate::sim::api_server::set_condition;
use crate::sim::controllers::source;
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::keyed::{FxHashMap, FxHashSet};

const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE: usize = 5;
const INITIAL_BACKOFF: SimDuration = SimDuration::secs(1);
const MAX_BACKOFF: SimDuration = SimDuration::secs(10);
/// How often the queue looks for pods unschedulable for too long, and how long is too long
/// (podMaxInUnschedulablePodsDuration).
const UNSCHEDULABLE_FLUSH_PERIOD: SimDuration = SimDuration::secs(30);
const MAX_IN_UNSCHEDULABLE: SimDuration = SimDuration::secs(300);
/// Decisions kept for the inspector.
const DECISIONS_KEPT: usize = 256;

/// One plugin's view of one node in a decision.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeScore {
    pub node: Str,
    /// (plugin, normalized score, weight).
    pub plugins: Vec<(&'static str, i64, i64)>,
    pub total: i64,
}

/// A node a Filter plugin ruled out for a pod.
#[derive(Clone, Debug, PartialEq)]
pub struct Filtered {
    pub node: Str,
    pub plugin: &'static str,
    pub reason: String,
    /// Whether evicting lower-priority pods could make room (the preemption half of the message).
    pub resolvable_by_preemption: bool,
}

/// Why the scheduler put a pod where it did, for people to inspect.
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub pod: Str,
    pub at: SimTime,
    pub chosen: Option<Str>,
    pub filtered: Vec<Filtered>,
    pub scores: Vec<NodeScore>,
    pub evaluated: usize,
    pub total_nodes: usize,
}

#[derive(Clone, Debug)]
struct QueuedPod {
    attempts: u32,
    enqueued: u64,
    priority: i32,
}

#[derive(Clone, Debug)]
pub struct Scheduler {
    pub informers: Informers,
    nodes: Vec<NodeInfo>,
    // Hash tables where only lookups are made: 150,000 long pod keys in a B-tree cost a
    // pointer chase and a prefix comparison per level. Nothing iterates them in an order
    // that could reach the trace (`active` orders the queue by priority and arrival).
    node_index: FxHashMap<Str, usize>,
    /// Pod key → node name for pods in the cache (bound or assumed).
    placed: FxHashMap<Str, Str>,
    assumed: FxHashSet<Str>,
    active: BTreeSet<(i32, u64, Str)>,
    queued: FxHashMap<Str, QueuedPod>,
    backoff: VecDeque<(SimTime, Str)>,
    /// Pods no node fits, and since when: back in the queue when the cluster changes in a way
    /// that may help, or after 5 minutes (podMaxInUnschedulablePodsDuration).
    unschedulable: FxHashMap<Str, SimTime>,
    /// Whether the 30 s check for pods unschedulable too long is running.
    flush_armed: bool,
    seq: u64,
    next_start_node_index: usize,
    cycle_pending: bool,
    binding: BTreeMap<RequestId, (Str, Str)>,
    decisions: VecDeque<Decision>,
    /// Per-zone pod counts per controller (PodTopologySpread's zone domains).
    zone_counts: BTreeMap<GroupId, BTreeMap<String, i64>>,
    /// Controller uid → the small id the cache counts by.
    groups: BTreeMap<String, GroupId>,
    pub scheduled_total: u64,
    /// Buffers reused by every cycle rather than allocated for each pod.
    scratch: Scratch,
    /// What earlier cycles learned about each node for pods like the last one.
    memo: NodeMemo,
}

/// What makes two pods score alike: a Deployment's replicas all share one shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shape {
    requests: Resources,
    non_zero: Resources,
    group: Option<GroupId>,
}

/// The filter results and raw scores of earlier cycles, per node, for pods of one `Shape` that
/// name no node and select none. A Deployment's replicas are scheduled one after another, and
/// between two of them only the node that took the last one has changed; yet each cycle looks
/// at 500 of 5,000 nodes. An entry is cleared whenever its node's cache entry changes (a pod
/// placed or removed, the Node updated: every change goes through `Scheduler::node_mut`), and
/// all of them when the shape or the list of nodes changes. Only what the node alone decides
/// is kept: a zone's counts change with every pod placed in it, so zoned nodes keep their
/// filter result but are scored afresh. kube-scheduler computes every score in every cycle;
/// the results are the same, which the golden transcripts and a test check.
#[derive(Clone, Debug, Default)]
struct NodeMemo {
    shape: Option<Shape>,
    entries: Vec<Memo>,
    /// PodTopologySpread's raw score by host count (None: not yet worked out), for the
    /// hostname weight in `host_weight` (its bits): the weight depends only on the number of
    /// feasible nodes, which is nearly always the same, and the counts are few.
    host_scores: Vec<Option<i64>>,
    host_weight: u64,
}

#[derive(Clone, Copy, Debug, Default)]
struct Memo {
    /// Passed the filters of a plain pod on a plain node (untainted, schedulable).
    fits: bool,
    /// Whether the node has a zone (known when `fits`).
    zoned: bool,
    /// `fit`, `balanced` and `host` are known (never for a node with a zone).
    scored: bool,
    /// PodTopologySpread's count of the shape's pods on the node.
    host: u32,
    /// NodeResourcesFit's and NodeResourcesBalancedAllocation's raw scores.
    fit: i64,
    balanced: i64,
}

#[derive(Clone, Debug, Default)]
struct Scratch {
    feasible: Vec<usize>,
    totals: Vec<i64>,
    per_plugin: Vec<Vec<i64>>,
}

impl Default for Scheduler {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheduler {
    pub fn new() -> Self {
        Scheduler {
            informers: Informers::new(&[Kind::Node, Kind::Pod]),
            nodes: Vec::new(),
            node_index: FxHashMap::default(),
            placed: FxHashMap::default(),
            assumed: FxHashSet::default(),
            active: BTreeSet::new(),
            queued: FxHashMap::default(),
            backoff: VecDeque::new(),
            unschedulable: FxHashMap::default(),
            flush_armed: false,
            seq: 0,
            next_start_node_index: 0,
            cycle_pending: false,
            binding: BTreeMap::new(),
            decisions: VecDeque::new(),
            zone_counts: BTreeMap::new(),
            groups: BTreeMap::new(),
            scheduled_total: 0,
            scratch: Scratch::default(),
            memo: NodeMemo::default(),
        }
    }

    pub fn start(&mut self, ctx: &mut Ctx) {
        self.informers.start(ctx);
    }

    /// The latest decision made for a pod ("namespace/name"), if still remembered.
    pub fn decision(&self, pod_key: &str) -> Option<&Decision> {
        self.decisions.iter().rev().find(|d| d.pod == pod_key)
    }
    pub fn decisions(&self) -> impl Iterator<Item = &Decision> {
        self.decisions.iter()
    }
    pub fn pending_count(&self) -> (usize, usize, usize) {
        (self.active.len(), self.backoff.len(), self.unschedulable.len())
    }

    pub fn handle(&mut self, ctx: &mut Ctx, body: Body) {
        if let Some(changes) = self.informers.handle(ctx, &body) {
            for (kind, change) in changes {
                match kind {
                    Kind::Node => self.on_node_change(change),
                    _ => self.on_pod_change(change),
                }
            }
        } else {
            match body {
                Body::Timer(Timer::ScheduleOne) => {
                    self.cycle_pending = false;
                    self.schedule_one(ctx);
                }
                Body::Timer(Timer::FlushBackoff) => self.flush_backoff(ctx.now),
                Body::Timer(Timer::FlushUnschedulable) => self.flush_unschedulable_leftover(ctx),
                Body::Response(resp) => self.on_bind_response(ctx, resp),
                _ => {}
            }
        }
        self.kick(ctx);
    }

    fn kick(&mut self, ctx: &mut Ctx) {
        if !self.cycle_pending && !self.active.is_empty() && self.informers.synced() {
            self.cycle_pending = true;
            // A cycle costs a little time per node looked at.
            let evaluated = self.num_feasible_nodes_to_find().min(self.nodes.len());
            ctx.timer(SimDuration::micros(200 + 2 * evaluated as u64), Timer::ScheduleOne);
        }
    }

    fn num_feasible_nodes_to_find(&self) -> usize {
        let n = self.nodes.len();
        if n < MIN_FEASIBLE_NODES_TO_FIND {
            return n;
        }
        let pct = (50usize.saturating_sub(n / 125)).max(MIN_FEASIBLE_NODES_PERCENTAGE);
        (n * pct / 100).max(MIN_FEASIBLE_NODES_TO_FIND)
    }

    /// Queues the pod cached under `key` (its `namespace/name`).
    fn enqueue(&mut self, key: Str, pod: &Pod, attempts: u32) {
        if self.queued.contains_key(&key) || self.placed.contains_key(&key) {
            return;
        }
        self.seq += 1;
        let priority = pod.spec.priority.unwrap_or(0);
        self.queued.insert(key.clone(), QueuedPod { attempts, enqueued: self.seq, priority });
        self.active.insert((-priority, self.seq, key));
    }

    fn dequeue(&mut self, key: &str) {
        if let Some((k, q)) = self.queued.remove_entry(key) {
            self.active.remove(&(-q.priority, q.enqueued, k));
            self.unschedulable.remove(key);
            if !self.backoff.is_empty() {
                self.backoff.retain(|(_, k)| k != key);
            }
        }
    }

    fn on_node_change(&mut self, change: Change) {
        // Only a change that may let a pod fit sends the unschedulable ones back to the queue
        // (nodeSchedulingPropertiesChange): a heartbeat does not; a deleted node does not.
        let may_help = match &change {
            Change::Added(_) => true,
            Change::Updated { old, new } => match (old.as_node(), new.as_node()) {
                (Some(old), Some(new)) => scheduling_properties_changed(old, new),
                _ => true,
            },
            Change::Deleted(_) => false,
        };
        match change {
            Change::Added(n) | Change::Updated { new: n, .. } => match self.node_index.get(n.name()) {
                Some(&i) => self.node_mut(i).set_node(n),
                None => {
                    self.node_index.insert(n.meta().name.clone(), self.nodes.len());
                    self.nodes.push(NodeInfo::new(n));
                    self.memo.entries.clear();
                }
            },
            Change::Deleted(n) => {
                if let Some(i) = self.node_index.remove(n.name()) {
                    self.nodes.remove(i);
                    self.memo.entries.clear();
                    for (_, idx) in self.node_index.iter_mut() {
                        if *idx > i {
                            *idx -= 1;
                        }
                    }
                }
            }
        }
        if may_help {
            self.move_all_to_active();
        }
    }

    fn on_pod_change(&mut self, change: Change) {
        if let Change::Updated { old, new } = &change {
            // A bound pod's status changed: its binding was already taken in on an earlier event.
            let node = |o: &ObjectRc| o.as_pod().map(|p| p.spec.node_name.clone()).unwrap_or_default();
            let n = node(new);
            if !n.is_empty() && n == node(old) {
                return;
            }
        }
        let Some(pod) = change.object().as_pod() else { return };
        // The key is built on the stack for the lookups; a `Str` only for a table that keeps it.
        let (namespace, name) = (pod.metadata.namespace.clone(), pod.metadata.name.clone());
        crate::sim::text::with_concat(&[&namespace, "/", &name], |key| self.on_pod_key(change, key));
    }

    /// `on_pod_change` for the pod cached under `key`.
    fn on_pod_key(&mut self, change: Change, key: &str) {
        let deleted = matches!(change, Change::Deleted(_));
        let Some(pod) = change.object().as_pod() else { return };
        if deleted {
            self.dequeue(key);
            if self.forget(key) {
                self.move_all_to_active();
            }
            return;
        }
        if pod.spec.node_name.is_empty() {
            if pod.metadata.deletion_timestamp.is_none() && pod.spec.scheduler_name == "default-scheduler" && !self.assumed.contains(key) {
                self.enqueue(Str::new(key), pod, 0);
            }
            return;
        }
        // Bound: confirm an assumed pod, or learn about a pod bound by someone else.
        self.assumed.remove(key);
        self.dequeue(key);
        if !self.placed.contains_key(key) {
            let group = self.group_of(pod);
            if let Some(info) = PodInfo::new(Str::new(key), change.object(), group) {
                self.place(&info, &pod.spec.node_name);
            }
        }
    }

    /// Interns the uid of the pod's controller.
    fn group_of(&mut self, pod: &Pod) -> Option<GroupId> {
        let uid = &pod.controller_ref()?.uid;
        if let Some(&g) = self.groups.get(uid.as_str()) {
            return Some(g);
        }
        let g = self.groups.len() as GroupId;
        self.groups.insert(uid.to_string(), g);
        Some(g)
    }

    fn place(&mut self, info: &PodInfo, node: &Str) {
        if let Some(&i) = self.node_index.get(node) {
            self.node_mut(i).add_pod(info.key.clone(), info.placed());
            if let (Some(g), Some(zone)) = (info.group, &self.nodes[i].zone) {
                *self.zone_counts.entry(g).or_default().entry(zone.clone()).or_default() += 1;
            }
        }
        self.placed.insert(info.key.clone(), node.clone());
    }

    /// Removes a pod from the cache; true if it held resources somewhere.
    fn forget(&mut self, key: &str) -> bool {
        self.assumed.remove(key);
        let Some(node) = self.placed.remove(key) else { return false };
        let Some(&i) = self.node_index.get(&node) else { return false };
        let group = self.nodes[i].pods.get(key).and_then(|p| p.group);
        if let (Some(g), Some(zone)) = (group, self.nodes[i].zone.clone()) {
            if let Some(z) = self.zone_counts.get_mut(&g).and_then(|m| m.get_mut(&zone)) {
                *z -= 1;
            }
        }
        self.node_mut(i).remove_pod(key)
    }

    /// The cache entry of node `i`, to change: what the memo knew of it is forgotten.
    fn node_mut(&mut self, i: usize) -> &mut NodeInfo {
        if let Some(m) = self.memo.entries.get_mut(i) {
            *m = Memo::default();
        }
        &mut self.nodes[i]
    }

    /// MoveAllToActiveOrBackoffQueue: the cluster changed, so unschedulable pods may fit now.
    fn move_all_to_active(&mut self) {
        for key in std::mem::take(&mut self.unschedulable).into_keys() {
            self.activate(key);
        }
    }

    /// A queued pod back in the active queue, in its place by priority and arrival (`active`
    /// sorts them, whatever order they come back in).
    fn activate(&mut self, key: Str) {
        if let Some(q) = self.queued.get(&key) {
            self.active.insert((-q.priority, q.enqueued, key));
        }
    }

    fn flush_backoff(&mut self, now: SimTime) {
        while self.backoff.front().is_some_and(|(t, _)| *t <= now) {
            let (_, key) = self.backoff.pop_front().expect("peeked");
            self.activate(key);
        }
    }

    /// The pod cached under `namespace/name`.
    fn pod_object(&self, key: &str) -> Option<&ObjectRc> {
        let (ns, name) = key.split_once('/')?;
        self.informers.get(Kind::Pod).get(ns, name)
    }

    fn schedule_one(&mut self, ctx: &mut Ctx) {
        let Some(first) = self.active.iter().next().cloned() else { return };
        self.active.remove(&first);
        let key = first.2;
        let obj = self.pod_object(&key).cloned();
        let Some(pod) = obj.as_ref().and_then(|o| o.as_pod()) else {
            self.queued.remove(&key);
            return;
        };
        if !pod.spec.node_name.is_empty() || pod.metadata.deletion_timestamp.is_some() {
            self.queued.remove(&key);
            return;
        }
        let group = self.group_of(pod);
        let Some(info) = obj.as_ref().and_then(|o| PodInfo::new(key.clone(), o, group)) else { return };
        let decision = self.find_node(ctx, &info);
        let chosen = decision.chosen.clone();
        let unfit_message = chosen.is_none().then(|| fit_error_message(decision.total_nodes, &decision.filtered));
        self.decisions.push_back(decision);
        if self.decisions.len() > DECISIONS_KEPT {
            self.decisions.pop_front();
        }
        match chosen {
            Some(node) => {
                // Assume, then bind asynchronously.
                self.queued.remove(&key);
                self.assumed.insert(key.clone());
                self.place(&info, &node);
                let mut req = ApiRequest::new(Verb::Bind, Kind::Pod, &pod.metadata.namespace, &pod.metadata.name);
                req.node_name = Some(node.clone());
                let id = ctx.request(req);
                self.binding.insert(id, (key, node));
            }
            None => {
                let msg = unfit_message.unwrap_or_default();
                ctx.event(source("default-scheduler"), Kind::Pod, &pod.metadata, "Warning", "FailedScheduling", Str::new(&msg));
                let mut next = pod.clone();
                set_condition(&mut next.status.conditions, "PodScheduled", "False", "Unschedulable", &msg, ctx.now);
                next.metadata.resource_version.clear();
                ctx.request(ApiRequest::with_object(Verb::UpdateStatus, Object::Pod(next)));
                if let Some(q) = self.queued.get_mut(&key) {
                    q.attempts += 1;
                }
                self.unschedulable.insert(key, ctx.now);
                if !self.flush_armed {
                    self.flush_armed = true;
                    ctx.timer(UNSCHEDULABLE_FLUSH_PERIOD, Timer::FlushUnschedulable);
                }
            }
        }
    }

    /// flushUnschedulablePodsLeftover, every 30 s while any pod is unschedulable: a pod that has
    /// waited 5 minutes for the cluster to change goes back to the queue anyway.
    fn flush_unschedulable_leftover(&mut self, ctx: &mut Ctx) {
        let due: Vec<Str> = self.unschedulable.iter().filter(|(_, since)| ctx.now.since(**since) >= MAX_IN_UNSCHEDULABLE).map(|(k, _)| k.clone()).collect();
        for key in due {
            self.unschedulable.remove(&key);
            self.activate(key);
        }
        self.flush_armed = !self.unschedulable.is_empty();
        if self.flush_armed {
            ctx.timer(UNSCHEDULABLE_FLUSH_PERIOD, Timer::FlushUnschedulable);
        }
    }

    fn on_bind_response(&mut self, ctx: &mut Ctx, resp: ApiResponse) {
        let Some((key, node)) = self.binding.remove(&resp.id) else { return };
        let obj = self.pod_object(&key).cloned();
        let Some(pod) = obj.as_ref().and_then(|o| o.as_pod()) else {
            self.forget(&key);
            return;
        };
        match resp.result {
            Ok(_) => {
                self.scheduled_total += 1;
                ctx.event(source("default-scheduler"), Kind::Pod, &pod.metadata, "Normal", "Scheduled", Str::concat(&["Successfully assigned ", &key, " to ", &node]));
            }
            Err(e) => {
                // The bind lost: forget the assumption and retry after a back-off.
                self.forget(&key);
                if pod.spec.node_name.is_empty() && e.reason != StatusReason::NotFound {
                    self.enqueue(key.clone(), &pod, 1);
                    if let Some(q) = self.queued.get(&key) {
                        let backoff = INITIAL_BACKOFF.0.saturating_mul(1 << q.attempts.min(4)).min(MAX_BACKOFF.0);
                        let entry = (-q.priority, q.enqueued, key.clone());
                        self.active.remove(&entry);
                        self.backoff.push_back((ctx.now + SimDuration(backoff), key));
                        ctx.timer(SimDuration(backoff), Timer::FlushBackoff);
                    }
                }
            }
        }
    }

    /// findNodesThatFitPod + prioritizeNodes + selectHost.
    fn find_node(&mut self, ctx: &mut Ctx, pod: &PodInfo) -> Decision {
        let filters: [&dyn FilterPlugin; 5] = [&NodeUnschedulable, &NodeName, &TaintToleration, &NodeAffinity, &NodeResourcesFit];
        let want = self.num_feasible_nodes_to_find();
        let mut scratch = std::mem::take(&mut self.scratch);
        let decision = self.find_node_with(ctx, pod, filters, want, &mut scratch);
        self.scratch = scratch;
        decision
    }

    fn find_node_with(&mut self, ctx: &mut Ctx, pod: &PodInfo, filters: [&dyn FilterPlugin; 5], want: usize, scratch: &mut Scratch) -> Decision {
        let total = self.nodes.len();
        let feasible = &mut scratch.feasible;
        feasible.clear();
        let plain = pod.pod().spec.node_name.is_empty() && pod.pod().spec.node_selector.is_empty();
        let memo = &mut self.memo;
        if plain {
            let shape = Shape { requests: pod.requests, non_zero: pod.non_zero, group: pod.group };
            if memo.shape != Some(shape) || memo.entries.len() != total {
                memo.shape = Some(shape);
                memo.entries.clear();
                memo.entries.resize(total, Memo::default());
            }
        }
        let mut filtered = Vec::new();
        let mut processed = 0;
        // Round the ring of nodes from where the last cycle stopped (no division per node).
        let mut next = self.next_start_node_index.min(total);
        for _ in 0..total {
            if feasible.len() >= want {
                break;
            }
            let i = if next == total { 0 } else { next };
            next = i + 1;
            processed += 1;
            if plain && memo.entries[i].fits {
                feasible.push(i);
                continue;
            }
            let node = &self.nodes[i];
            // The common case decided without the plugin calls: for a pod that names no node and
            // selects none, an untainted schedulable node passes every filter but
            // NodeResourcesFit. Anything else goes through all the plugins for their reasons.
            if plain && !node.unschedulable && !node.has_taints && NodeResourcesFit.filter(pod, node).is_ok() {
                memo.entries[i] = Memo { fits: true, zoned: node.has_zone, ..Memo::default() };
                feasible.push(i);
                continue;
            }
            match filters.iter().find_map(|f| f.filter(pod, node).err().map(|reason| Filtered { node: node.name.clone(), plugin: f.name(), reason, resolvable_by_preemption: f.resolvable_by_preemption() })) {
                None => feasible.push(i),
                Some(f) => filtered.push(f),
            }
        }
        if total > 0 {
            self.next_start_node_index = (self.next_start_node_index + processed) % total;
        }
        let mut decision = Decision { pod: pod.key.clone(), at: ctx.now, chosen: None, filtered, scores: Vec::new(), evaluated: processed, total_nodes: total };
        if feasible.is_empty() {
            return decision;
        }
        if feasible.len() == 1 {
            decision.chosen = Some(self.nodes[feasible[0]].name.clone());
            return decision;
        }
        let (mut zone_counts, mut zones) = (BTreeMap::new(), 0);
        if let Some(g) = pod.group {
            if let Some(z) = self.zone_counts.get(&g) {
                zone_counts = z.clone();
            }
            // (A node remembered as unzoned is not read.)
            let unzoned = |i: usize| plain && memo.entries[i].fits && !memo.entries[i].zoned;
            zones = feasible.iter().filter(|&&i| !unzoned(i) && self.nodes[i].has_zone).filter_map(|&i| self.nodes[i].zone.as_ref()).collect::<BTreeSet<_>>().len();
        }
        let spread = PodTopologySpread::new(zone_counts, feasible.len(), zones);
        let state = CycleState { feasible_nodes: feasible.len() };
        let scorers: [&dyn ScorePlugin; 4] = [&TaintToleration, &NodeResourcesFit, &spread, &BalancedAllocation];
        // Each node's four scores in one visit (its cache line is read once, not once per
        // plugin), by the plugins' own Score functions; then each plugin's NormalizeScore over
        // its column and the weighted sum, as the framework's RunScorePlugins does.
        scratch.per_plugin.resize_with(scorers.len(), Vec::new);
        let [taint, fit, pts, balanced] = &mut scratch.per_plugin[..] else { unreachable!("four score plugins") };
        for column in [&mut *taint, &mut *fit, &mut *pts, &mut *balanced] {
            column.clear();
            column.resize(feasible.len(), 0);
        }
        let columns = taint.iter_mut().zip(fit.iter_mut()).zip(pts.iter_mut()).zip(balanced.iter_mut());
        if memo.host_weight != spread.host_weight.to_bits() {
            memo.host_weight = spread.host_weight.to_bits();
            memo.host_scores.clear();
        }
        for (&i, (((taint, fit), pts), balanced)) in feasible.iter().zip(columns) {
            // A remembered node is plain (untainted: TaintToleration's raw score is 0) and has
            // no zone; its PodTopologySpread score depends on this cycle's feasible count.
            if plain {
                let m = &memo.entries[i];
                if m.scored {
                    (*taint, *fit, *balanced) = (0, m.fit, m.balanced);
                    *pts = match memo.host_scores.get(m.host as usize) {
                        _ if pod.group.is_none() => 0,
                        Some(&Some(raw)) => raw,
                        _ => {
                            let raw = spread.raw(m.host, None);
                            let h = m.host as usize;
                            if h < 1024 {
                                if memo.host_scores.len() <= h {
                                    memo.host_scores.resize(h + 1, None);
                                }
                                memo.host_scores[h] = Some(raw);
                            }
                            raw
                        }
                    };
                    continue;
                }
            }
            let node = &self.nodes[i];
            *taint = TaintToleration.score(&state, pod, node);
            *fit = NodeResourcesFit.score(&state, pod, node);
            *pts = spread.score(&state, pod, node);
            *balanced = BalancedAllocation.score(&state, pod, node);
            if plain && memo.entries[i].fits && !memo.entries[i].zoned {
                let host = pod.group.map_or(0, |g| node.group_counts.get(g));
                memo.entries[i] = Memo { fits: true, zoned: false, scored: true, host, fit: *fit, balanced: *balanced };
            }
        }
        for (s, scores) in scorers.iter().zip(scratch.per_plugin.iter_mut()) {
            s.normalize(scores);
        }
        // The weighted sum, over the four columns at once.
        let totals = &mut scratch.totals;
        totals.clear();
        let [wt, wf, wp, wb] = scorers.map(|s| s.weight());
        let [taint, fit, pts, balanced] = &scratch.per_plugin[..] else { unreachable!("four score plugins") };
        totals.extend(taint.iter().zip(fit).zip(pts).zip(balanced).map(|(((t, f), p), b)| t * wt + f * wf + p * wp + b * wb));
        let per_plugin = &scratch.per_plugin;
        // selectHost: the best score, ties broken uniformly at random (reservoir sampling).
        let mut best = 0;
        let mut ties = 0u64;
        for (j, &t) in totals.iter().enumerate() {
            if t > totals[best] {
                best = j;
                ties = 1;
            } else if t == totals[best] {
                ties += 1;
                if ctx.rng.below(ties) == 0 {
                    best = j;
                }
            }
        }
        decision.chosen = Some(self.nodes[feasible[best]].name.clone());
        if feasible.len() <= 64 {
            decision.scores = feasible
                .iter()
                .enumerate()
                .map(|(j, &i)| NodeScore { node: self.nodes[i].name.clone(), plugins: scorers.iter().zip(per_plugin.iter()).map(|(s, v)| (s.name(), v[j], s.weight())).collect(), total: totals[j] })
                .collect();
        }
        decision
    }
}

/// FitError.Error(): "0/2 nodes are available: 2 Insufficient cpu. preemption: ...".
fn fit_error_message(total: usize, filtered: &[Filtered]) -> String {
    let mut hist: BTreeMap<&str, usize> = BTreeMap::new();
    let mut preempt: BTreeMap<&str, usize> = BTreeMap::new();
    for f in filtered {
        *hist.entry(&f.reason).or_default() += 1;
        let p = if f.resolvable_by_preemption { "No preemption victims found for incoming pod" } else { "Preemption is not helpful for scheduling" };
        *preempt.entry(p).or_default() += 1;
    }
    let fmt = |h: &BTreeMap<&str, usize>| {
        let mut v: Vec<String> = h.iter().map(|(r, n)| format!("{n} {r}")).collect();
        v.sort();
        v.join(", ")
    };
    if total == 0 {
        return "no nodes available to schedule pods".into();
    }
    format!("0/{total} nodes are available: {}. preemption: 0/{total} nodes are available: {}.", fmt(&hist), fmt(&preempt))
}

/// nodeSchedulingPropertiesChange: what in a node's update may let an unschedulable pod fit:
/// it became schedulable, or its allocatable, labels, taints, annotations or its conditions'
/// statuses changed (not their heartbeat times).
fn scheduling_properties_changed(old: &Node, new: &Node) -> bool {
    let statuses = |n: &Node| n.status.conditions.iter().map(|c| (c.type_.clone(), c.status.clone())).collect::<BTreeMap<_, _>>();
    (old.spec.unschedulable && !new.spec.unschedulable)
        || old.allocatable() != new.allocatable()
        || old.metadata.labels != new.metadata.labels
        || old.spec.taints != new.spec.taints
        || old.metadata.annotations != new.metadata.annotations
        || statuses(old) != statuses(new)
}

#[cfg(test)]
impl Scheduler {
    /// Checks every remembered entry against what its node's cache entry says now.
    fn memo_matches_cache(&self) -> Result<(), String> {
        let Some(shape) = self.memo.shape else { return Ok(()) };
        let pod = PodInfo { key: Str::EMPTY, obj: std::rc::Rc::new(Object::Pod(Pod::default())), requests: shape.requests, non_zero: shape.non_zero, group: shape.group };
        let state = CycleState::default();
        for (i, m) in self.memo.entries.iter().enumerate().filter(|(_, m)| m.fits) {
            let node = &self.nodes[i];
            let plain = !node.unschedulable && !node.has_taints && NodeResourcesFit.filter(&pod, node).is_ok();
            let host = shape.group.map_or(0, |g| node.group_counts.get(g));
            if !plain || m.zoned != node.has_zone {
                return Err(format!("{}: remembered as fitting ({m:?}), but is not plain or its zone changed", node.name));
            }
            if m.scored && (m.host, m.fit, m.balanced) != (host, NodeResourcesFit.score(&state, &pod, node), BalancedAllocation.score(&state, &pod, node)) {
                return Err(format!("{}: remembered scores {m:?} are stale", node.name));
            }
        }
        let spread = PodTopologySpread { host_weight: f64::from_bits(self.memo.host_weight), ..Default::default() };
        for (h, raw) in self.memo.host_scores.iter().enumerate() {
            if raw.is_some_and(|raw| raw != spread.raw(h as u32, None)) {
                return Err(format!("the raw PodTopologySpread score for {h} pods is remembered as {raw:?}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_the_memo_remembers_is_what_the_nodes_say() {
        use crate::cli::Session;
        use crate::sim::engine::SimConfig;
        use crate::sim::rng::Rng;
        let deployment = |name: &str, cpu: &str| format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {{app: {name}}}\n  template:\n    metadata:\n      labels: {{app: {name}}}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n        resources:\n          requests: {{cpu: {cpu}}}\n");
        for seed in 1..=4u64 {
            let mut s = Session::new(SimConfig { seed, nodes: 5, node_cpu: "2".into(), ..Default::default() });
            for (name, cpu) in [("web", "300m"), ("api", "450m")] {
                assert!(!s.execute("kubectl apply -f -", Some(&deployment(name, cpu))).is_error);
            }
            let mut rng = Rng::new(seed);
            let mut remembered = 0;
            for round in 0..40 {
                let node = format!("node-{}", 1 + rng.below(5));
                let cmd = match rng.below(8) {
                    0 => format!("kubectl scale deployment web --replicas={}", rng.below(14)),
                    1 => format!("kubectl scale deployment api --replicas={}", rng.below(10)),
                    2 => format!("kubectl cordon {node}"),
                    3 => format!("kubectl uncordon {node}"),
                    4 => format!("kubectl taint nodes {node} dedicated=x:NoSchedule"),
                    5 => format!("kubectl taint nodes {node} dedicated-"),
                    6 => format!("kubectl label nodes {node} topology.kubernetes.io/zone=zone-{} --overwrite", rng.below(2)),
                    _ => match s.sim.pods().map(|p| p.metadata.name.to_string()).nth(rng.below(8) as usize) {
                        Some(pod) => format!("kubectl delete pod {pod} --wait=false"),
                        None => continue,
                    },
                };
                s.execute(&cmd, None);
                let until = s.sim.now() + SimDuration::millis(rng.below(4000));
                while s.sim.next_delivery().is_some_and(|t| t <= until) {
                    s.sim.step();
                    let scheduler = s.sim.scheduler();
                    if let Err(e) = scheduler.memo_matches_cache() {
                        panic!("seed {seed}, round {round}, after `{cmd}`: {e}");
                    }
                    remembered = remembered.max(scheduler.memo.entries.iter().filter(|m| m.scored).count());
                }
            }
            assert!(remembered > 0, "seed {seed}: the memo was used");
        }
    }
    #[test]
    fn fit_error_reads_like_kube_scheduler() {
        let f = |node: &str| Filtered { node: node.into(), plugin: "NodeResourcesFit", reason: "Insufficient cpu".into(), resolvable_by_preemption: true };
        let r = vec![f("node-1"), f("node-2")];
        assert_eq!(fit_error_message(2, &r), "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available: 2 No preemption victims found for incoming pod.");
    }
}
