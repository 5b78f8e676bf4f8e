//! The default plugins, one file each, as under pkg/scheduler/framework/plugins/.

mod balanced_allocation;
mod node_affinity;
mod node_name;
mod node_resources_fit;
mod node_unschedulable;
mod pod_topology_spread;
mod taint_toleration;

pub use balanced_allocation::BalancedAllocation;
pub use node_affinity::NodeAffinity;
pub use node_name::NodeName;
pub use node_resources_fit::NodeResourcesFit;
pub use node_unschedulable::NodeUnschedulable;
pub use pod_topology_spread::{PodTopologySpread, ZONE_LABEL};
pub use taint_toleration::TaintToleration;
