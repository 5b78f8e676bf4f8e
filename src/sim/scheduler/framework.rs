//! The scheduling framework (staging/src/k8s.io/kube-scheduler/framework/interface.go) cut down
//! to what the default profile uses for plain workloads: Filter plugins say whether a pod can
//! run on a node and why not; Score plugins rank the feasible nodes, NormalizeScore maps each
//! plugin's scores onto 0..=MAX_NODE_SCORE, and weights combine them.

use std::collections::BTreeMap;

use crate::sim::objects::*;

pub const MAX_NODE_SCORE: i64 = 100;

/// A small number standing for a controller's uid (the pods PodTopologySpread counts together),
/// so the per-node counts are compared as integers rather than 36-character strings.
pub type GroupId = u32;

/// What the scheduler knows about one node: its object plus what is already placed on it
/// (pkg/scheduler/framework/types.go NodeInfo).
///
/// A cycle reads a few numbers of 500 nodes in a row, and at 5,000 nodes those are rarely still
/// in cache. So what the filter and score loops of a plain pod read fits in the first 64 bytes
/// (one cache line per node); `requested` (read only for pods with requests), the zone (read
/// only when `has_zone`), the name, the object and the pod table follow.
#[derive(Clone, Debug)]
#[repr(C, align(64))]
pub struct NodeInfo {
    pub allocatable: Resources,
    pub non_zero_requested: Resources,
    pub allowed_pods: u32,
    /// Pods on the node (`pods.len()`, kept here so the filter need not reach the table).
    pub pod_count: u32,
    /// Copied out of the Node so the filters and scores read them without chasing it.
    pub unschedulable: bool,
    pub has_taints: bool,
    pub has_zone: bool,
    /// Pods per owning controller: what PodTopologySpread's system default constraints count.
    /// (Its inline counts are the rest of the first cache line.)
    pub group_counts: GroupCounts,
    pub requested: Resources,
    pub zone: Option<String>,
    pub name: Str,
    pub node: ObjectRc,
    /// Only looked up by key (a hash table: 110 pods per node under long keys).
    pub pods: crate::sim::keyed::FxHashMap<Str, PlacedPod>,
}

/// Pods per group on one node. Nodes usually run pods of one or two controllers, so those
/// counts live inline: scoring reads them for 500 nodes per pod without chasing a pointer.
/// `more` holds further groups only while both inline slots are taken, so a lookup that misses
/// the inline slots while one is free is done without reading `more`.
#[derive(Clone, Debug, Default)]
#[repr(C)]
pub struct GroupCounts {
    inline: [(GroupId, u32); 2],
    more: BTreeMap<GroupId, u32>,
}

impl GroupCounts {
    pub fn get(&self, g: GroupId) -> u32 {
        match self.inline.iter().find(|(id, n)| *id == g && *n > 0) {
            Some((_, n)) => *n,
            None if self.inline.iter().any(|(_, n)| *n == 0) => 0,
            None => self.more.get(&g).copied().unwrap_or(0),
        }
    }
    pub fn add(&mut self, g: GroupId) {
        if let Some(slot) = self.inline.iter_mut().find(|(id, n)| *id == g && *n > 0) {
            slot.1 += 1;
        } else if let Some(n) = self.more.get_mut(&g) {
            *n += 1;
        } else if let Some(slot) = self.inline.iter_mut().find(|(_, n)| *n == 0) {
            *slot = (g, 1);
        } else {
            self.more.insert(g, 1);
        }
    }
    pub fn remove(&mut self, g: GroupId) {
        if let Some(slot) = self.inline.iter_mut().find(|(id, n)| *id == g && *n > 0) {
            slot.1 -= 1;
            if slot.1 == 0 {
                // Keep `more` empty while a slot is free: its first group moves in.
                if let Some((id, n)) = self.more.pop_first() {
                    *slot = (id, n);
                }
            }
        } else if let Some(n) = self.more.get_mut(&g) {
            *n -= 1;
            if *n == 0 {
                self.more.remove(&g);
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct PlacedPod {
    pub requests: Resources,
    pub non_zero: Resources,
    pub group: Option<GroupId>,
}

impl NodeInfo {
    pub fn new(node: ObjectRc) -> Self {
        let n = node.as_node().cloned().unwrap_or_default();
        let mut info = NodeInfo {
            name: n.metadata.name.clone(),
            allocatable: Resources::default(),
            allowed_pods: 0,
            has_zone: false,
            node: node.clone(),
            requested: Resources::default(),
            non_zero_requested: Resources::default(),
            pods: Default::default(),
            pod_count: 0,
            group_counts: GroupCounts::default(),
            unschedulable: false,
            has_taints: false,
            zone: None,
        };
        info.set_node(node);
        info
    }
    pub fn set_node(&mut self, node: ObjectRc) {
        if let Some(n) = node.as_node() {
            self.allocatable = n.allocatable();
            self.allowed_pods = n.allowed_pods().clamp(0, u32::MAX as i64) as u32;
            self.unschedulable = n.spec.unschedulable;
            self.has_taints = !n.spec.taints.is_empty();
            self.zone = n.metadata.labels.get(super::plugins::ZONE_LABEL).map(|z| z.to_string());
            self.has_zone = self.zone.is_some();
        }
        self.node = node;
    }
    pub fn node(&self) -> &Node {
        self.node.as_node().expect("NodeInfo holds a Node")
    }
    pub fn add_pod(&mut self, key: Str, p: PlacedPod) {
        if self.pods.contains_key(&key) {
            return;
        }
        self.requested.milli_cpu += p.requests.milli_cpu;
        self.requested.memory += p.requests.memory;
        self.non_zero_requested.milli_cpu += p.non_zero.milli_cpu;
        self.non_zero_requested.memory += p.non_zero.memory;
        if let Some(g) = p.group {
            self.group_counts.add(g);
        }
        self.pods.insert(key, p);
        self.pod_count = self.pods.len() as u32;
    }
    pub fn remove_pod(&mut self, key: &str) -> bool {
        let Some(p) = self.pods.remove(key) else { return false };
        self.requested.milli_cpu -= p.requests.milli_cpu;
        self.requested.memory -= p.requests.memory;
        self.non_zero_requested.milli_cpu -= p.non_zero.milli_cpu;
        self.non_zero_requested.memory -= p.non_zero.memory;
        if let Some(g) = p.group {
            self.group_counts.remove(g);
        }
        self.pod_count = self.pods.len() as u32;
        true
    }
}

/// The pod being scheduled, with what the plugins need computed once per cycle.
#[derive(Clone, Debug)]
pub struct PodInfo {
    pub key: Str,
    /// The pod as the informer holds it (shared, not copied).
    pub obj: ObjectRc,
    pub requests: Resources,
    pub non_zero: Resources,
    pub group: Option<GroupId>,
}

impl PodInfo {
    /// `group` is the interned id of the pod's controller (see `Scheduler::group_of`).
    /// `key` is the pod's `namespace/name`, which the caller already holds.
    pub fn new(key: Str, obj: &ObjectRc, group: Option<GroupId>) -> Option<Self> {
        let pod = obj.as_pod()?;
        Some(PodInfo {
            key,
            requests: pod.requests(),
            non_zero: pod.non_zero_requests(),
            group,
            obj: obj.clone(),
        })
    }
    pub fn pod(&self) -> &Pod {
        self.obj.as_pod().expect("PodInfo holds a Pod")
    }
    pub fn placed(&self) -> PlacedPod {
        PlacedPod { requests: self.requests, non_zero: self.non_zero, group: self.group }
    }
}

/// State shared by the plugins within one scheduling cycle (PreScore results).
#[derive(Clone, Debug, Default)]
pub struct CycleState {
    /// Number of feasible nodes: PodTopologySpread's hostname domain count.
    pub feasible_nodes: usize,
}

/// Why a node was filtered out: the reason string kube-scheduler counts in FailedScheduling.
pub type Unfit = String;

pub trait FilterPlugin {
    fn name(&self) -> &'static str;
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Unfit>;
    /// Whether evicting pods could help (PostFilter's preemption message).
    fn resolvable_by_preemption(&self) -> bool {
        false
    }
}

pub trait ScorePlugin {
    fn name(&self) -> &'static str;
    fn weight(&self) -> i64;
    fn score(&self, state: &CycleState, pod: &PodInfo, node: &NodeInfo) -> i64;
    /// Maps raw scores onto 0..=MAX_NODE_SCORE; the default leaves them as they are.
    fn normalize(&self, _scores: &mut [i64]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_a_plain_cycle_reads_fits_in_one_cache_line() {
        let inline_counts_end = std::mem::offset_of!(NodeInfo, group_counts) + std::mem::size_of::<[(GroupId, u32); 2]>();
        assert!(inline_counts_end <= 64, "hot fields end at byte {inline_counts_end}");
        assert_eq!(std::mem::align_of::<NodeInfo>(), 64);
    }

    #[test]
    fn group_counts_count_past_the_inline_slots() {
        let mut c = GroupCounts::default();
        for g in [1, 2, 3, 1, 3, 3] {
            c.add(g);
        }
        assert_eq!((c.get(1), c.get(2), c.get(3), c.get(4)), (2, 1, 3, 0));
        c.remove(2);
        c.remove(2);
        c.add(4);
        c.remove(3);
        assert_eq!((c.get(1), c.get(2), c.get(3), c.get(4)), (2, 0, 2, 1));
        // Emptying an inline slot pulls a group back in from `more`, which stays consistent.
        c.remove(1);
        c.remove(1);
        assert_eq!((c.get(1), c.get(2), c.get(3), c.get(4)), (0, 0, 2, 1));
        c.add(5);
        c.add(1);
        assert_eq!((c.get(1), c.get(3), c.get(4), c.get(5)), (1, 2, 1, 1));
    }
}

/// DefaultNormalizeScore from pkg/scheduler/framework/plugins/helper/normalize_score.go.
pub fn default_normalize(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    if max == 0 {
        if reverse {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
        }
        return;
    }
    for s in scores.iter_mut() {
        *s = MAX_NODE_SCORE * *s / max;
        if reverse {
            *s = MAX_NODE_SCORE - *s;
        }
    }
}
