//! What the inspector shows for a selected pod, node or component: facts from the engine's
//! state, the scheduler's decision for a pod (per-plugin scores), and the recent messages the
//! thing sent or received. Plain Rust, so it is tested natively; the UI only renders it.

use crate::sim::message::{Component, ControllerKind, NodeId};
use crate::sim::objects::Kind;
use crate::sim::trace::TraceEntry;
use crate::sim::Sim;

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    Pod { namespace: String, name: String },
    Node(String),
    Component(Component),
}

#[derive(Clone, Debug, PartialEq)]
pub struct ScoreRow {
    pub node: String,
    /// (plugin, normalized score, weight)
    pub plugins: Vec<(String, i64, i64)>,
    pub total: i64,
    pub chosen: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct DecisionView {
    pub summary: String,
    pub filtered: Vec<String>,
    pub scores: Vec<ScoreRow>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Inspection {
    pub title: String,
    pub facts: Vec<(String, String)>,
    pub decision: Option<DecisionView>,
    pub messages: Vec<String>,
}

const MESSAGES_SHOWN: usize = 12;

/// The DOM id the diagram gives a component (`data-comp`), and back.
pub fn comp_id(c: Component) -> String {
    match c {
        Component::User => "user".into(),
        Component::ApiServer => "apiserver".into(),
        Component::Etcd => "etcd".into(),
        Component::Scheduler => "scheduler".into(),
        Component::ControllerManager => "kcm".into(),
        Component::Controller(k) => match k {
            ControllerKind::Deployment => "ctl-deployment".into(),
            ControllerKind::ReplicaSet => "ctl-replicaset".into(),
            ControllerKind::Endpoints => "ctl-endpoints".into(),
            ControllerKind::EndpointSlice => "ctl-endpointslice".into(),
            ControllerKind::GarbageCollector => "ctl-gc".into(),
            ControllerKind::NodeLifecycle => "ctl-nodes".into(),
            ControllerKind::TaintEviction => "ctl-taints".into(),
            ControllerKind::Namespace => "ctl-namespace".into(),
        },
        Component::Kubelet(n) => format!("kubelet-{}", n.0),
        Component::Runtime(n) => format!("runtime-{}", n.0),
        Component::Proxy(n) => format!("proxy-{}", n.0),
    }
}

pub fn parse_comp_id(id: &str) -> Option<Component> {
    let node = |s: &str| s.parse().ok().map(NodeId);
    Some(match id {
        "user" => Component::User,
        "apiserver" => Component::ApiServer,
        "etcd" => Component::Etcd,
        "scheduler" => Component::Scheduler,
        "kcm" => Component::ControllerManager,
        "ctl-deployment" => Component::Controller(ControllerKind::Deployment),
        "ctl-replicaset" => Component::Controller(ControllerKind::ReplicaSet),
        "ctl-endpoints" => Component::Controller(ControllerKind::Endpoints),
        "ctl-endpointslice" => Component::Controller(ControllerKind::EndpointSlice),
        "ctl-gc" => Component::Controller(ControllerKind::GarbageCollector),
        "ctl-nodes" => Component::Controller(ControllerKind::NodeLifecycle),
        "ctl-taints" => Component::Controller(ControllerKind::TaintEviction),
        "ctl-namespace" => Component::Controller(ControllerKind::Namespace),
        _ => {
            let (role, n) = id.split_once('-')?;
            match role {
                "kubelet" => Component::Kubelet(node(n)?),
                "runtime" => Component::Runtime(node(n)?),
                "proxy" => Component::Proxy(node(n)?),
                _ => return None,
            }
        }
    })
}

fn line(sim: &Sim, e: &TraceEntry) -> String {
    format!("{}  {} → {}  {}", e.delivered, sim.component_name(e.from), sim.component_name(e.to), e.summary)
}

fn recent(sim: &Sim, upto: crate::sim::SimTime, pred: impl Fn(&TraceEntry) -> bool) -> Vec<String> {
    let mut v: Vec<String> = sim.trace().entries().iter().rev().filter(|e| e.delivered <= upto && pred(e)).take(MESSAGES_SHOWN).map(|e| line(sim, e)).collect();
    v.reverse();
    v
}

fn role_text(c: Component) -> &'static str {
    match c {
        Component::User => "You, through kubectl: every command is a request to the API server.",
        Component::ApiServer => "The front door: validates and defaults requests, writes them to etcd with optimistic concurrency, and pushes changes to every watcher.",
        Component::Etcd => "The cluster's only database: every object is a key with a revision. Only the API server talks to it.",
        Component::Scheduler => "Watches for pods without a node, filters and scores the nodes, and writes a binding. It never starts anything.",
        Component::ControllerManager => "One process running the controllers below. Its shared informers hold one watch per resource; each change lands in one cache and is handed to every controller that cares. The controllers then write as themselves.",
        Component::Controller(ControllerKind::Deployment) => "Turns each Deployment into ReplicaSets (one per pod template) and rolls between them.",
        Component::Controller(ControllerKind::ReplicaSet) => "Keeps the number of pods of each ReplicaSet equal to its replicas.",
        Component::Controller(ControllerKind::Endpoints) => "Lists the ready pod IPs behind each Service (the older Endpoints objects, still kept up to date).",
        Component::Controller(ControllerKind::EndpointSlice) => "Writes each Service's EndpointSlices: up to 100 pod endpoints each, with whether they are ready, serving or terminating. kube-proxy reads these.",
        Component::Controller(ControllerKind::GarbageCollector) => "Deletes objects whose owner is gone, and pods bound to deleted nodes.",
        Component::Controller(ControllerKind::NodeLifecycle) => "Watches node heartbeats (Leases): a node silent for 50 s becomes NotReady and is tainted unreachable.",
        Component::Controller(ControllerKind::Namespace) => "Empties a namespace being deleted (every object in it), then finalizes it so the API server can delete it.",
        Component::Controller(ControllerKind::TaintEviction) => "Deletes pods from nodes with NoExecute taints once their tolerations run out (300 s by default).",
        Component::Kubelet(_) => "The node agent: runs the pods bound to its node through the container runtime and reports their status; renews the node's lease every 10 s.",
        Component::Runtime(_) => "containerd: pulls images and runs containers when the kubelet asks over CRI.",
        Component::Proxy(_) => "Programs the node's forwarding rules from Services and their EndpointSlices.",
    }
}

pub fn inspect(sim: &Sim, target: &Target, upto: crate::sim::SimTime) -> Option<Inspection> {
    match target {
        Target::Pod { namespace, name } => {
            let obj = sim.get(Kind::Pod, namespace, name)?;
            let pod = obj.as_pod()?;
            let mut facts = vec![
                ("Status".to_string(), pod.display_status()),
                ("Node".into(), if pod.spec.node_name.is_empty() { "(not scheduled yet)".into() } else { pod.spec.node_name.to_string() }),
                ("IP".into(), if pod.status.pod_ip.is_empty() { "(none yet)".into() } else { pod.status.pod_ip.to_string() }),
                ("Images".into(), pod.spec.containers.iter().map(|c| c.image.as_str()).collect::<Vec<_>>().join(", ")),
                ("resourceVersion".into(), pod.metadata.resource_version.to_string()),
            ];
            if let Some(o) = pod.controller_ref() {
                facts.push(("Controlled by".into(), format!("{}/{}", o.kind, o.name)));
            }
            let key = format!("{namespace}/{name}");
            let decision = sim.scheduler().decision(&key).map(|d| DecisionView {
                summary: match &d.chosen {
                    Some(n) => format!("At {} the scheduler looked at {} of {} nodes and chose {n}.", d.at, d.evaluated, d.total_nodes),
                    None => format!("At {} no node fit: {} of {} nodes were filtered out.", d.at, d.filtered.len(), d.total_nodes),
                },
                filtered: d.filtered.iter().map(|f| format!("{}: {} ({})", f.node, f.reason, f.plugin)).collect(),
                scores: d.scores.iter().map(|s| ScoreRow { node: s.node.to_string(), plugins: s.plugins.iter().map(|(p, v, w)| (p.to_string(), *v, *w)).collect(), total: s.total, chosen: d.chosen.as_deref() == Some(&s.node) }).collect(),
            });
            let suffix = format!("/{name}");
            let messages = recent(sim, upto, |e| e.key.ends_with(&suffix) || e.summary.contains(name.as_str()));
            Some(Inspection { title: format!("Pod {key}"), facts, decision, messages })
        }
        Target::Node(name) => {
            let node = sim.get(Kind::Node, "", name)?.as_node()?.clone();
            let index = sim.nodes().iter().position(|a| a.name == *name);
            let pods: Vec<_> = sim.pods().filter(|p| p.spec.node_name == *name).collect();
            let cpu: i64 = pods.iter().map(|p| p.requests().milli_cpu).sum();
            let mut facts = vec![
                ("Ready".to_string(), node.is_ready().to_string()),
                ("Schedulable".into(), (!node.spec.unschedulable).to_string()),
                ("Taints".into(), if node.spec.taints.is_empty() { "none".into() } else { node.spec.taints.iter().map(|t| format!("{}={}:{}", t.key, t.value, t.effect)).collect::<Vec<_>>().join(", ") }),
                ("CPU requested".into(), format!("{cpu}m of {}m", node.allocatable().milli_cpu)),
                ("Pods".into(), format!("{} of {}", pods.len(), node.allowed_pods())),
                ("Internal IP".into(), node.internal_ip().to_string()),
            ];
            if let Some((i, a)) = index.map(|i| (i, &sim.nodes()[i])) {
                facts.push(("kubelet".into(), if sim.kubelet_running(i) { format!("running, {} lease renewals", a.kubelet.lease_renewals) } else { "stopped".into() }));
                facts.push(("Images cached".into(), a.runtime.images_at(upto).collect::<Vec<_>>().join(", ")));
            }
            let messages = match index {
                Some(i) => recent(sim, upto, |e| [e.from, e.to].iter().any(|c| c.node() == Some(NodeId(i as u32)))),
                None => Vec::new(),
            };
            Some(Inspection { title: format!("Node {name}"), facts, decision: None, messages })
        }
        Target::Component(c) => {
            let mut facts = vec![("Role".to_string(), role_text(*c).to_string())];
            match c {
                Component::Etcd | Component::ApiServer => {
                    facts.push(("etcd revision".into(), sim.etcd().revision().to_string()));
                    facts.push(("Keys".into(), sim.etcd().len().to_string()));
                }
                Component::Scheduler => {
                    let (active, backoff, unschedulable) = sim.scheduler().pending_count();
                    facts.push(("Queue".into(), format!("{active} active, {backoff} backing off, {unschedulable} unschedulable")));
                    facts.push(("Pods bound".into(), sim.scheduler().scheduled_total.to_string()));
                }
                _ => {}
            }
            facts.push(("Noticing change by".into(), match sim.config().mode {
                crate::sim::NoticeMode::Watch => "watch: the API server pushes each change".into(),
                crate::sim::NoticeMode::Poll => format!("poll: listing again every {}", sim.config().poll_interval),
            }));
            let messages = recent(sim, upto, |e| e.from == *c || e.to == *c);
            Some(Inspection { title: sim.component_name(*c), facts, decision: None, messages })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::Session;
    use crate::sim::{SimConfig, SimDuration};

    #[test]
    fn a_pod_shows_its_scheduling_decision_and_messages() {
        let mut s = Session::new(SimConfig::default());
        s.execute("kubectl create deployment web --image=nginx --replicas=3", None);
        s.sim.run_until_settled(SimDuration::secs(30));
        let pod = s.sim.pods().next().unwrap().clone();
        let target = Target::Pod { namespace: "default".into(), name: pod.metadata.name.to_string() };
        let i = inspect(&s.sim, &target, s.sim.now()).unwrap();
        let d = i.decision.expect("the scheduler's decision is kept");
        assert!(d.summary.contains(&format!("chose {}", pod.spec.node_name)), "{}", d.summary);
        assert_eq!(d.scores.len(), 2, "both nodes were scored");
        let chosen = d.scores.iter().find(|r| r.chosen).unwrap();
        assert!(d.scores.iter().all(|r| r.total <= chosen.total), "the chosen node has the best total");
        let plugins: Vec<&str> = chosen.plugins.iter().map(|p| p.0.as_str()).collect();
        assert_eq!(plugins, ["TaintToleration", "NodeResourcesFit", "PodTopologySpread", "NodeResourcesBalancedAllocation"]);
        assert_eq!(chosen.total, chosen.plugins.iter().map(|(_, v, w)| v * w).sum::<i64>());
        let status_update = format!("update status pods/default/{}", pod.metadata.name);
        assert!(i.messages.iter().any(|m| m.contains(&status_update)), "{:#?}", i.messages);
        assert!(i.messages.len() <= MESSAGES_SHOWN);
        assert!(i.facts.iter().any(|(k, v)| k == "Status" && v == "Running"));
    }

    #[test]
    fn components_and_nodes_round_trip_and_inspect() {
        let mut s = Session::new(SimConfig::default());
        s.execute("kubectl cordon node-2", None);
        let controllers = ControllerKind::ALL.map(Component::Controller);
        for c in [Component::User, Component::ApiServer, Component::Etcd, Component::Scheduler, Component::ControllerManager, Component::Kubelet(NodeId(1)), Component::Runtime(NodeId(0)), Component::Proxy(NodeId(1))].into_iter().chain(controllers) {
            assert_eq!(parse_comp_id(&comp_id(c)), Some(c));
            assert!(inspect(&s.sim, &Target::Component(c), s.sim.now()).is_some());
        }
        assert_eq!(parse_comp_id("kubelet-x"), None);
        let n = inspect(&s.sim, &Target::Node("node-2".into()), s.sim.now()).unwrap();
        assert!(n.facts.contains(&("Schedulable".into(), "false".into())));
        assert!(inspect(&s.sim, &Target::Node("nope".into()), s.sim.now()).is_none());
    }
}
