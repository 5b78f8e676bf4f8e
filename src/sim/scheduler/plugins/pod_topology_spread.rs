//! PodTopologySpread with the cluster's system default constraints, which apply to every pod
//! owned by a controller:
//!   kubernetes.io/hostname      maxSkew 3  ScheduleAnyway
//!   topology.kubernetes.io/zone maxSkew 5  ScheduleAnyway
//! Both are soft, so they only score (scoring.go): a node's raw score is the number of matching
//! pods in its domain times log(domains + 2), plus maxSkew - 1; normalization then flips it so
//! the emptiest domain scores 100. This is what spreads three replicas 2 + 1 over two nodes.
//! Weight 2.
//!
//! Simplification: "matching pods" are the pods with the same controller (the real default
//! selector is built from the Services, ReplicaSets and StatefulSets that select the pod, which
//! for a Deployment's pods is the same set).

use std::collections::BTreeMap;

use crate::sim::scheduler::framework::*;

pub const HOSTNAME_MAX_SKEW: i64 = 3;
pub const ZONE_MAX_SKEW: i64 = 5;
pub const ZONE_LABEL: &str = "topology.kubernetes.io/zone";

#[derive(Default)]
pub struct PodTopologySpread {
    /// Matching pods per zone for the pod being scheduled, filled in PreScore.
    pub zone_counts: BTreeMap<String, i64>,
    /// topologyNormalizingWeight of the hostname and zone domain counts, computed once per
    /// cycle (PreScore) rather than once per node.
    pub host_weight: f64,
    pub zone_weight: f64,
}

impl PodTopologySpread {
    /// PreScore: `nodes` feasible nodes spread over `zones` zones.
    pub fn new(zone_counts: BTreeMap<String, i64>, nodes: usize, zones: usize) -> Self {
        PodTopologySpread { zone_counts, host_weight: topology_normalizing_weight(nodes), zone_weight: topology_normalizing_weight(zones) }
    }
}

/// math.Round for the non-negative scores here, without a call into libm (the default x86-64
/// target has no rounding instruction, and this runs for 500 nodes per pod).
fn round(x: f64) -> i64 {
    let t = x as i64;
    if x - t as f64 >= 0.5 {
        t + 1
    } else {
        t
    }
}

impl PodTopologySpread {
    /// The raw score of a node running `host_count` matching pods, in a zone running
    /// `zone_count` (None: the node has no zone label), for a pod owned by a controller.
    #[inline]
    pub fn raw(&self, host_count: u32, zone_count: Option<i64>) -> i64 {
        let mut score = host_count as f64 * self.host_weight + (HOSTNAME_MAX_SKEW - 1) as f64;
        if let Some(c) = zone_count {
            score += c as f64 * self.zone_weight + (ZONE_MAX_SKEW - 1) as f64;
        }
        round(score)
    }
}

fn topology_normalizing_weight(size: usize) -> f64 {
    ((size + 2) as f64).ln()
}

impl ScorePlugin for PodTopologySpread {
    fn name(&self) -> &'static str {
        "PodTopologySpread"
    }
    fn weight(&self) -> i64 {
        2
    }
    #[inline]
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let Some(group) = pod.group else { return 0 };
        let zone = node.zone.as_ref().filter(|_| node.has_zone).map(|zone| self.zone_counts.get(zone).copied().unwrap_or(0));
        self.raw(node.group_counts.get(group), zone)
    }
    fn normalize(&self, scores: &mut [i64]) {
        let Some(&first) = scores.first() else { return };
        let (min, max) = scores.iter().fold((first, first), |(lo, hi), &s| (lo.min(s), hi.max(s)));
        if max == 0 {
            scores.iter_mut().for_each(|s| *s = MAX_NODE_SCORE);
            return;
        }
        // Raw scores come from a few pod counts, so neighbours repeat: reuse the last division.
        let mut last = (i64::MIN, 0);
        for s in scores.iter_mut() {
            if *s != last.0 {
                last = (*s, MAX_NODE_SCORE * (max + min - *s) / max);
            }
            *s = last.1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_node_with_fewer_replicas_scores_higher() {
        // Two feasible nodes, one already running a replica: raw 1*ln(4)+2 = 3 vs 2.
        let mut scores = vec![(1.0 * topology_normalizing_weight(2) + 2.0f64).round() as i64, 2];
        PodTopologySpread::new(BTreeMap::new(), 2, 0).normalize(&mut scores);
        assert_eq!(scores, vec![66, 100]);
    }
    #[test]
    fn normalizing_flips_raw_scores_so_the_emptiest_node_scores_100() {
        // scoring.go NormalizeScore: MaxNodeScore * (max + min - s) / max, for every node.
        let raw = vec![2, 5, 5, 2, 8, 5, 8, 2];
        let mut scores = raw.clone();
        PodTopologySpread::new(BTreeMap::new(), raw.len(), 0).normalize(&mut scores);
        assert_eq!(scores, vec![100, 62, 62, 100, 25, 62, 25, 100]);
        let mut none = vec![0, 0, 0];
        PodTopologySpread::default().normalize(&mut none);
        assert_eq!(none, vec![100, 100, 100], "no matching pods anywhere: all equal");
    }
    #[test]
    fn rounding_matches_math_round_for_scores() {
        for x in [0.0, 0.49999999999999994, 0.5, 1.4999, 2.5, 3.2958, 1e9 + 0.5] {
            assert_eq!(round(x), (x as f64).round() as i64, "{x}");
        }
    }
}
