//! NodeAffinity, the `nodeSelector` part: every selector label must be on the node.
//! (Affinity expressions are accepted in manifests but not evaluated; the page says so.)

use crate::sim::scheduler::framework::*;

pub struct NodeAffinity;

impl FilterPlugin for NodeAffinity {
    fn name(&self) -> &'static str {
        "NodeAffinity"
    }
    fn filter(&self, pod: &PodInfo, node: &NodeInfo) -> Result<(), Unfit> {
        if pod.pod().spec.node_selector.is_empty() {
            return Ok(());
        }
        let labels = &node.node().metadata.labels;
        if pod.pod().spec.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v)) {
            Ok(())
        } else {
            Err("node(s) didn't match Pod's node affinity/selector".into())
        }
    }
}
