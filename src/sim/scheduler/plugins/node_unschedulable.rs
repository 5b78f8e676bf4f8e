//! NodeUnschedulable: cordoned nodes (`spec.unschedulable`) take no new pods unless the pod
//! tolerates the `node.kubernetes.io/unschedulable:NoSchedule` taint.

use crate::sim::objects::Taint;
use crate::sim::scheduler::framework::*;

pub struct NodeUnschedulable;

impl FilterPlugin for NodeUnschedulable {
    fn name(&self) -> &'static str {
        "NodeUnschedulable"
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Unfit> {
        if !node.unschedulable {
            return Ok(());
        }
        let taint = Taint { key: "node.kubernetes.io/unschedulable".into(), effect: "NoSchedule".into(), ..Default::default() };
        if pod.pod().spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
            Ok(())
        } else {
            Err("node(s) were unschedulable".into())
        }
    }
}
