//! NodeResourcesFit: Filter refuses a node whose allocatable cannot hold the pod's requests on
//! top of what is already requested there ("Insufficient cpu"); Score uses the default
//! LeastAllocated strategy, favouring emptier nodes, with CPU and memory weighted equally and
//! pods without requests counted at 100m CPU / 200Mi (non-zero requests). Weight 1.

use crate::sim::scheduler::framework::*;

pub struct NodeResourcesFit;

impl FilterPlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }
    #[inline]
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Unfit> {
        if node.pod_count >= node.allowed_pods {
            return Err("Too many pods".into());
        }
        if pod.requests.milli_cpu > 0 && node.requested.milli_cpu + pod.requests.milli_cpu > node.allocatable.milli_cpu {
            return Err("Insufficient cpu".into());
        }
        if pod.requests.memory > 0 && node.requested.memory + pod.requests.memory > node.allocatable.memory {
            return Err("Insufficient memory".into());
        }
        Ok(())
    }
    fn resolvable_by_preemption(&self) -> bool {
        true
    }
}

/// leastRequestedScore from least_allocated.go.
fn least_requested(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    (capacity - requested) * MAX_NODE_SCORE / capacity
}

impl ScorePlugin for NodeResourcesFit {
    fn name(&self) -> &'static str {
        "NodeResourcesFit"
    }
    fn weight(&self) -> i64 {
        1
    }
    #[inline]
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let cpu = least_requested(node.non_zero_requested.milli_cpu + pod.non_zero.milli_cpu, node.allocatable.milli_cpu);
        let mem = least_requested(node.non_zero_requested.memory + pod.non_zero.memory, node.allocatable.memory);
        (cpu + mem) / 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    // Cases from least_allocated_test.go: a node with 4000m/10000 and requests 3000m/5000
    // scores ((4000-3000)*100/4000 + (10000-5000)*100/10000) / 2 = (25 + 50) / 2 = 37.
    #[test]
    fn least_allocated_matches_kube_scheduler() {
        let cpu = least_requested(3000, 4000);
        let mem = least_requested(5000, 10000);
        assert_eq!((cpu + mem) / 2, 37);
        assert_eq!(least_requested(5000, 4000), 0);
    }
}
