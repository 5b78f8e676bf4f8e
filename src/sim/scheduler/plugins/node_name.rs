//! NodeName: a pod that names its node in `spec.nodeName` fits only there.

use crate::sim::scheduler::framework::*;

pub struct NodeName;

impl FilterPlugin for NodeName {
    fn name(&self) -> &'static str {
        "NodeName"
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Unfit> {
        let want = &pod.pod().spec.node_name;
        if want.is_empty() || *want == node.name {
            Ok(())
        } else {
            Err("node(s) didn't match the requested node name".into())
        }
    }
}
