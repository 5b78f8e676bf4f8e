//! NodeResourcesBalancedAllocation: favours nodes where CPU and memory would be used in similar
//! proportions. With two resources the score is (1 - |cpu% - mem%| / 2) * 100
//! (balanced_allocation.go; the standard deviation of two values is half their distance).
//! Weight 1.

use crate::sim::scheduler::framework::*;

pub struct BalancedAllocation;

impl ScorePlugin for BalancedAllocation {
    fn name(&self) -> &'static str {
        "NodeResourcesBalancedAllocation"
    }
    fn weight(&self) -> i64 {
        1
    }
    #[inline]
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> i64 {
        let frac = |req: i64, cap: i64| if cap == 0 { 1.0 } else { (req as f64 / cap as f64).min(1.0) };
        let cpu = frac(node.non_zero_requested.milli_cpu + pod.non_zero.milli_cpu, node.allocatable.milli_cpu);
        let mem = frac(node.non_zero_requested.memory + pod.non_zero.memory, node.allocatable.memory);
        let std = (cpu - mem).abs() / 2.0;
        ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn equal_fractions_score_full_marks() {
        let cpu = 0.5f64;
        let mem = 0.5f64;
        assert_eq!(((1.0 - (cpu - mem).abs() / 2.0) * 100.0) as i64, MAX_NODE_SCORE);
        // balanced_allocation_test.go: cpu 3000/4000, mem 5000/10000 -> std 0.125 -> 87.
        let std = (0.75f64 - 0.5).abs() / 2.0;
        assert_eq!(((1.0 - std) * 100.0) as i64, 87);
    }
}
