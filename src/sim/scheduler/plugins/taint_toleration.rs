//! TaintToleration: NoSchedule and NoExecute taints the pod does not tolerate filter the node
//! out; untolerated PreferNoSchedule taints lower its score (normalized in reverse: fewer is
//! better). Weight 3 in the default profile.

use crate::sim::scheduler::framework::*;

pub struct TaintToleration;

impl FilterPlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }
    #[inline]
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Unfit> {
        if !node.has_taints {
            return Ok(());
        }
        let untolerated = node.node().spec.taints.iter().find(|t| (t.effect == "NoSchedule" || t.effect == "NoExecute") && !pod.pod().spec.tolerations.iter().any(|tol| tol.tolerates(t)));
        match untolerated {
            None => Ok(()),
            Some(t) if t.value.is_empty() => Err(format!("node(s) had untolerated taint {{{}: }}", t.key)),
            Some(t) => Err(format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value)),
        }
    }
}

impl ScorePlugin for TaintToleration {
    fn name(&self) -> &'static str {
        "TaintToleration"
    }
    fn weight(&self) -> i64 {
        3
    }
    #[inline]
    fn score(&self, _: &CycleState, pod: &PodInfo, node: &NodeInfo) -> i64 {
        if !node.has_taints {
            return 0;
        }
        node.node().spec.taints.iter().filter(|t| t.effect == "PreferNoSchedule" && !pod.pod().spec.tolerations.iter().any(|tol| tol.tolerates(t))).count() as i64
    }
    fn normalize(&self, scores: &mut [i64]) {
        default_normalize(scores, true);
    }
}
