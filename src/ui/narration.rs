//! Plain-words narration keyed to the trace: each significant message becomes one sentence
//! about what just happened and why. Where the walkthrough talk simplifies or has aged, the
//! sentence says what Kubernetes does today.

use crate::sim::message::{Component, ControllerKind};
use crate::sim::trace::{MessageKind, TraceEntry};

fn last_segment(key: &str) -> &str {
    key.rsplit('/').next().unwrap_or(key)
}

/// The object and the owner of an ownership patch, from its summary ("patch pods/ns/name:
/// remove owner ReplicaSet/web-x").
fn patched(e: &TraceEntry) -> (&str, &str) {
    let owner = e.summary.rsplit(' ').next().unwrap_or("");
    (last_segment(&e.key), owner)
}

/// A sentence for a trace entry, or None for routine traffic (leases, events, replies).
/// `name` turns a component into its display name (`kubelet/node-1`).
pub fn narrate(e: &TraceEntry, name: &dyn Fn(Component) -> String) -> Option<String> {
    let is_event = e.key.starts_with("events/") || e.key.starts_with("/registry/events/") || e.key.starts_with("leases/") || e.key.starts_with("/registry/leases/");
    if is_event {
        return None;
    }
    match e.kind {
        MessageKind::Request if e.verb == "CREATE eviction" && e.from == Component::User => Some(format!(
            "kubectl drain evicts pod {} through the Eviction API: the API server would refuse if a PodDisruptionBudget forbade it (kubesim has none), and deletes the pod gracefully; its controller replaces it on another node.",
            last_segment(&e.key)
        )),
        MessageKind::Request if e.verb == "PATCH" && e.from == Component::User => Some(format!(
            "kubectl sent PATCH to the API server: {}. It sends only what it changes in {}; the API server applies that to the object as it is now, so what a controller wrote since kubectl read it stays.",
            e.summary, e.key
        )),
        MessageKind::Request if e.from == Component::User => Some(format!("kubectl sent {} to the API server: {}.", e.verb, e.summary)),
        MessageKind::EtcdReply if e.summary.starts_with("created") && !e.key.is_empty() => {
            let what = if e.key.starts_with("/registry/deployments/") {
                format!("The API server stored Deployment {} in etcd at revision {}. The answer \"created\" goes back to kubectl now, but nothing is running yet: the Deployment is only a record.", last_segment(&e.key), e.revision)
            } else if e.key.starts_with("/registry/replicasets/") {
                format!("ReplicaSet {} is stored in etcd (revision {}).", last_segment(&e.key), e.revision)
            } else if e.key.starts_with("/registry/pods/") {
                format!("Pod {} is stored in etcd (revision {}).", last_segment(&e.key), e.revision)
            } else {
                return None;
            };
            Some(what)
        }
        MessageKind::Watch if e.verb == "ADDED" && e.key.starts_with("/registry/deployments/") && e.to == Component::ControllerManager => Some(format!(
            "The API server pushed the new Deployment {} to kube-controller-manager through its watch; the shared informer hands it to the deployment controller. (The talk says controllers poll; real ones watch. Switch to poll mode to see the difference.)",
            last_segment(&e.key)
        )),
        MessageKind::Request if e.verb == "CREATE" && e.key.starts_with("replicasets/") => Some(format!("The deployment controller asks the API server to create ReplicaSet {}, named after the Deployment and a hash of its pod template.", last_segment(&e.key))),
        MessageKind::Request if e.verb == "CREATE" && e.key.starts_with("pods/") && e.from == Component::Controller(ControllerKind::ReplicaSet) => {
            Some("The ReplicaSet controller sees fewer pods than replicas and creates one: Pending, with no node yet.".into())
        }
        MessageKind::Request if e.verb == "CREATE binding" => Some(format!(
            "The scheduler filtered and scored the nodes and chose one: {}. It only records the choice in etcd; it starts nothing.",
            e.summary.trim_start_matches("bind ")
        )),
        MessageKind::Watch if e.verb == "ADDED" && e.key.starts_with("/registry/pods/") && matches!(e.to, Component::Kubelet(_)) => {
            Some(format!("{} sees pod {} bound to its node and starts work on it.", name(e.to), last_segment(&e.key)))
        }
        MessageKind::Cri if e.verb == "RunPodSandbox" => Some(format!(
            "{} asks containerd for a pod sandbox over CRI. (The talk says Docker: since Kubernetes 1.24 kubelets talk to a CRI runtime such as containerd.)",
            name(e.from)
        )),
        MessageKind::Cri if e.verb == "PullImage" => Some(format!("containerd on {} pulls image {}.", name(e.to).trim_start_matches("containerd/"), e.summary.trim_start_matches("PullImage "))),
        MessageKind::Cri if e.verb == "StartContainer" => Some(format!("containerd starts the container; {} will report the pod Running.", name(e.from))),
        MessageKind::Request if e.verb == "PATCH" && e.from == Component::Controller(ControllerKind::ReplicaSet) => {
            let (pod, owner) = patched(e);
            Some(if e.summary.contains(": remove owner") {
                format!("The ReplicaSet controller releases pod {pod}: its labels no longer match the selector of {owner}, so it removes the pod's owner reference (the pod keeps running) and no longer counts it.")
            } else {
                format!("The ReplicaSet controller adopts pod {pod}: it has no controller and matches the selector of {owner}, so it gets an owner reference and counts toward the replicas.")
            })
        }
        MessageKind::Request if e.verb == "UPDATE status" && e.key.starts_with("nodes/") && e.from == Component::Controller(ControllerKind::NodeLifecycle) => Some(format!(
            "The node lifecycle controller has not heard from {} for 50 s (no Lease renewal): it marks the node NotReady (its conditions Unknown) and its pods not ready.",
            last_segment(&e.key)
        )),
        MessageKind::Request if e.verb == "UPDATE status" && e.key.starts_with("nodes/") && matches!(e.from, Component::Kubelet(_)) => Some(format!(
            "{} posts its node's status: every condition, with a new heartbeat time. It does so when something changes, and every 5 minutes anyway; the Lease it renews every 10 s is the heartbeat the control plane watches closely.",
            name(e.from)
        )),
        MessageKind::Request if e.verb == "UPDATE" && e.key.starts_with("nodes/") && e.from == Component::Controller(ControllerKind::NodeLifecycle) => Some(format!(
            "The node lifecycle controller brings the taints of {} in line with its state: unreachable (NoSchedule, NoExecute) while it is silent, unschedulable (NoSchedule) while it is cordoned, none of these once it is Ready and schedulable.",
            last_segment(&e.key)
        )),
        MessageKind::Request if e.verb == "DELETE" && e.from == Component::Controller(ControllerKind::TaintEviction) => Some(format!(
            "The taint eviction controller deletes pod {}: its node is unreachable and its toleration (300 s by default) ran out. Its ReplicaSet will replace it elsewhere.",
            last_segment(&e.key)
        )),
        MessageKind::Request if e.verb == "PATCH" && e.from == Component::Controller(ControllerKind::GarbageCollector) => {
            let (pod, owner) = patched(e);
            Some(format!("The garbage collector drops {pod}'s reference to {owner}, which was deleted. It has another owner, so it is kept."))
        }
        MessageKind::Request if e.verb == "DELETE" && e.key.starts_with("pods/") && e.from == Component::User => Some("kubectl asked to delete a pod: the API server marks it Terminating and the kubelet stops its containers.".into()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::*;

    /// Every sentence the session's trace narrates, in order.
    fn narrated(session: &crate::cli::Session) -> Vec<String> {
        let name = |c| session.sim.component_name(c);
        session.sim.trace().entries().iter().filter_map(|e| narrate(e, &name)).collect()
    }

    /// Where the first line containing `needle` is.
    fn position(lines: &[String], needle: &str) -> usize {
        lines.iter().position(|l| l.contains(needle)).unwrap_or_else(|| panic!("no line with {needle:?} in {lines:#?}"))
    }

    #[test]
    fn the_story_is_narrated_in_order() {
        let mut session = crate::cli::Session::new(SimConfig::default());
        session.execute("kubectl create deployment web --image=nginx --replicas=3", None);
        session.sim.run_until_settled(SimDuration::secs(60));
        let lines = narrated(&session);
        let pos = |needle: &str| position(&lines, needle);
        assert!(pos("stored Deployment web in etcd") < pos("create ReplicaSet web-"));
        assert!(pos("create ReplicaSet web-") < pos("creates one: Pending"));
        assert!(pos("creates one: Pending") < pos("The scheduler"));
        assert!(pos("The scheduler") < pos("containerd for a pod sandbox"));
        assert!(lines.iter().any(|l| l.contains("real ones watch")));
        assert!(lines.iter().any(|l| l.contains("since Kubernetes 1.24")));
    }

    #[test]
    fn releasing_and_adopting_a_pod_are_explained() {
        let mut session = crate::cli::Session::new(SimConfig::default());
        session.execute("kubectl create deployment web --image=nginx --replicas=1", None);
        session.sim.run_until_settled(SimDuration::secs(60));
        let pod = session.sim.pods().next().map(|p| p.metadata.name.to_string()).expect("a pod");
        session.execute(&format!("kubectl label pod {pod} app=debug --overwrite"), None);
        session.sim.run_until_settled(SimDuration::secs(60));
        session.execute(&format!("kubectl label pod {pod} app=web --overwrite"), None);
        session.sim.run_until_settled(SimDuration::secs(60));
        let lines = narrated(&session);
        let line = |start: &str| lines.iter().find(|l| l.starts_with(start)).unwrap_or_else(|| panic!("no line starting {start:?} in {lines:#?}")).clone();
        assert!(line("The ReplicaSet controller releases pod").contains(&format!("pod {pod}: its labels no longer match the selector of ReplicaSet/web-")));
        assert!(line("The ReplicaSet controller adopts pod").contains(&format!("pod {pod}: it has no controller")));
    }

    #[test]
    fn a_node_failure_is_explained() {
        let mut session = crate::cli::Session::new(SimConfig::default());
        session.execute("kubectl create deployment web --image=nginx --replicas=2", None);
        session.sim.run_until_settled(SimDuration::secs(60));
        session.execute("kubelet stop node-1", None);
        session.sim.run_for(SimDuration::secs(400));
        let lines = narrated(&session);
        let pos = |needle: &str| position(&lines, needle);
        assert!(pos("has not heard from node-1 for 50 s") < pos("brings the taints of node-1"));
        assert!(pos("brings the taints of node-1") < pos("The taint eviction controller deletes pod web-"));
    }

    #[test]
    fn a_drain_is_explained_as_evictions() {
        let mut session = crate::cli::Session::new(SimConfig::default());
        session.execute("kubectl create deployment web --image=nginx --replicas=2", None);
        session.sim.run_until_settled(SimDuration::secs(60));
        session.execute("kubectl drain node-1", None);
        let lines = narrated(&session);
        assert!(lines.iter().any(|l| l.starts_with("kubectl drain evicts pod web-") && l.contains("Eviction API")), "{lines:#?}");
    }

    #[test]
    fn the_kubelets_node_status_report_is_explained() {
        let mut session = crate::cli::Session::new(SimConfig::default());
        session.sim.run_for(SimDuration::secs(320));
        let lines = narrated(&session);
        assert!(lines.iter().any(|l| l.starts_with("kubelet/node-1 posts its node's status") && l.contains("every 5 minutes")), "{lines:#?}");
    }

    #[test]
    fn a_cordon_is_a_patch_and_the_taint_is_the_controllers() {
        let mut session = crate::cli::Session::new(SimConfig::default());
        session.execute("kubectl cordon node-2", None);
        session.sim.run_until_settled(SimDuration::secs(60));
        let lines = narrated(&session);
        let pos = |needle: &str| position(&lines, needle);
        assert!(pos("It sends only what it changes in nodes/node-2") < pos("brings the taints of node-2 in line with its state"));
    }
}
