//! A node whose kubelet stops: NotReady after the grace period, tainted unreachable, its pods
//! evicted when their tolerations run out and replaced elsewhere; and back when the kubelet
//! returns. (kube-controller-manager's node lifecycle and taint eviction controllers.)

use kubesim::cli::Session;
use kubesim::sim::objects::*;
use kubesim::sim::*;

fn run(s: &mut Session, line: &str) -> String {
    let out = s.execute(line, None);
    assert!(!out.is_error, "{line}: {}", out.text);
    out.text
}

fn node(s: &Session, name: &str) -> Node {
    s.sim.get(Kind::Node, "", name).and_then(|o| o.as_node().cloned()).expect("node")
}

fn ready(n: &Node) -> String {
    n.status.conditions.iter().find(|c| c.type_ == "Ready").map(|c| c.status.to_string()).unwrap_or_default()
}

fn taints(n: &Node) -> Vec<String> {
    n.spec.taints.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect()
}

fn pods_on(s: &Session, node: &str) -> Vec<Pod> {
    s.sim.pods().filter(|p| p.spec.node_name == node).cloned().collect()
}

#[test]
fn a_silent_node_goes_not_ready_and_its_pods_are_replaced_elsewhere_after_300_seconds() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=4");
    s.sim.run_until_settled(SimDuration::secs(60));
    let lost: Vec<String> = pods_on(&s, "node-1").iter().map(|p| p.metadata.name.to_string()).collect();
    assert!(!lost.is_empty(), "the scheduler spread the pods over both nodes");
    run(&mut s, "kubelet stop node-1");
    let stopped = s.sim.now();

    // Within the grace period (50 s from the last lease renewal, itself at most 10 s old)
    // nothing changes.
    s.sim.run_for(SimDuration::secs(39));
    assert_eq!(ready(&node(&s, "node-1")), "True");
    s.sim.run_for(SimDuration::secs(26));
    let n = node(&s, "node-1");
    assert_eq!(ready(&n), "Unknown", "{} s after the kubelet stopped", s.sim.now().since(stopped).as_secs_f64());
    assert_eq!(taints(&n), vec!["node.kubernetes.io/unreachable:NoSchedule", "node.kubernetes.io/unreachable:NoExecute"]);
    assert!(run(&mut s, "kubectl get nodes").contains("node-1   NotReady"));
    for p in pods_on(&s, "node-1") {
        assert!(!p.is_ready(), "{} is marked not ready", p.metadata.name);
        assert!(!p.is_terminating(), "{} is not evicted yet: it tolerates unreachable for 300 s", p.metadata.name);
    }
    let events = run(&mut s, "kubectl describe node node-1");
    assert!(events.contains("NodeNotReady  ") && events.contains("node-controller  Node node-1 status is now: NodeNotReady"), "{events}");

    // The default toleration runs out 300 s after the taint: evicted (Terminating, since no
    // kubelet confirms), and replaced on node-2.
    s.sim.run_for(SimDuration::secs(310));
    for name in &lost {
        let p = s.sim.get(Kind::Pod, "default", name).and_then(|o| o.as_pod().cloned()).expect("still there, Terminating");
        assert!(p.is_terminating(), "{name} was evicted");
        let described = run(&mut s, &format!("kubectl describe pod {name}"));
        assert!(described.contains(&format!("taint-eviction-controller  Marking for deletion Pod default/{name}")), "{described}");
    }
    let running: Vec<Pod> = s.sim.pods().filter(|p| !p.is_terminating() && p.status.phase == "Running").cloned().collect();
    assert_eq!(running.len(), 4, "the ReplicaSet replaced them");
    assert!(running.iter().all(|p| p.spec.node_name == "node-2"), "not on the unreachable node");

    // The kubelet comes back: Ready, untainted, and the evicted pods are finally gone.
    run(&mut s, "kubelet start node-1");
    s.sim.run_for(SimDuration::secs(20));
    let n = node(&s, "node-1");
    assert_eq!(ready(&n), "True");
    assert!(taints(&n).is_empty(), "{:?}", taints(&n));
    for name in &lost {
        assert!(s.sim.get(Kind::Pod, "default", name).is_none(), "{name} is gone");
    }
    // The kubelet says it started, and which conditions it brought back from Unknown.
    let events = run(&mut s, "kubectl get events --field-selector involvedObject.name=node-1,source=kubelet");
    let reasons: Vec<&str> = events.lines().skip(1).filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert_eq!(reasons, ["Starting", "NodeHasSufficientMemory", "NodeHasNoDiskPressure", "NodeHasSufficientPID", "NodeAllocatableEnforced", "NodeReady"], "{events}");
}

#[test]
fn a_node_that_joins_says_so_and_a_quick_restart_changes_no_condition() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    // The cluster's own nodes were registered before the story began: no Events about them.
    s.sim.run_for(SimDuration::secs(6));
    assert!(run(&mut s, "kubectl describe node node-1").ends_with("Events:              <none>"));
    run(&mut s, "node add node-2");
    s.sim.run_for(SimDuration::secs(6));
    let described = run(&mut s, "kubectl describe node node-2");
    for line in ["kubelet          Starting kubelet.", "kubelet          Node node-2 status is now: NodeHasSufficientMemory", "kubelet          Node node-2 status is now: NodeReady", "node-controller  Node node-2 event: Registered Node node-2 in Controller"] {
        assert!(described.contains(line), "{line}: {described}");
    }
    // Stopped and started again before anyone noticed: nothing to report but the start.
    run(&mut s, "kubelet stop node-1");
    s.sim.run_for(SimDuration::secs(5));
    run(&mut s, "kubelet start node-1");
    s.sim.run_for(SimDuration::secs(2));
    let events = run(&mut s, "kubectl get events --field-selector involvedObject.name=node-1");
    let reasons: Vec<&str> = events.lines().skip(1).filter_map(|l| l.split_whitespace().nth(2)).collect();
    assert_eq!(reasons, ["Starting", "NodeAllocatableEnforced"], "{events}");
}

#[test]
fn a_node_owns_its_lease_and_a_removed_node_takes_it_along() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    run(&mut s, "node add node-2");
    s.sim.run_for(SimDuration::secs(12));
    let lease = |s: &Session, n: &str| s.sim.get(Kind::Lease, "kube-node-lease", n).cloned();
    for n in ["node-1", "node-2"] {
        let l = lease(&s, n).expect("lease");
        let owner = l.meta().owner_references.first().cloned().expect("owned");
        assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.uid.clone(), owner.controller), ("Node", n, node(&s, n).metadata.uid, false));
    }
    // Its renewTime is a MicroTime, with microseconds.
    let yaml = run(&mut s, "kubectl get lease node-1 -n kube-node-lease -o yaml");
    let renew = yaml.lines().find(|l| l.trim_start().starts_with("renewTime:")).expect("renewTime");
    assert!(renew.len() == "  renewTime: \"2026-01-01T00:00:08.000000Z\"".len() && renew.contains('.'), "{yaml}");
    let described = run(&mut s, "kubectl describe lease node-1 -n kube-node-lease");
    assert!(described.contains("API Version:  coordination.k8s.io/v1\nKind:         Lease\nMetadata:\n") && described.contains("  Owner References:\n    API Version:     v1\n    Kind:            Node\n") && described.contains("Spec:\n  Holder Identity:         node-1\n  Lease Duration Seconds:  40\n"), "{described}");
    run(&mut s, "node remove node-2");
    s.sim.run_for(SimDuration::secs(6));
    assert!(lease(&s, "node-2").is_none(), "the garbage collector deletes the Lease of a removed node");
    assert!(lease(&s, "node-1").is_some());
    let events = run(&mut s, "kubectl get events --field-selector involvedObject.name=node-2");
    assert!(events.lines().last().is_some_and(|l| l.contains("RemovingNode") && l.ends_with("Node node-2 event: Removing Node node-2 from Controller")), "{events}");
}

#[test]
fn tolerations_decide_how_long_a_pod_stays_on_an_unreachable_node() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    let pod = |name: &str, toleration: &str| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - {{name: c, image: nginx:1.27}}\n  tolerations:\n  - {toleration}\n");
    for (name, toleration) in [("forever", "{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute}"), ("briefly", "{key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 20}")] {
        let out = s.execute("kubectl apply -f -", Some(&pod(name, toleration)));
        assert!(!out.is_error, "{}", out.text);
    }
    s.sim.run_until_settled(SimDuration::secs(60));
    run(&mut s, "kubelet stop node-1");
    s.sim.run_for(SimDuration::secs(65));
    assert_eq!(ready(&node(&s, "node-1")), "Unknown");
    let terminating = |s: &Session, name: &str| s.sim.get(Kind::Pod, "default", name).and_then(|o| o.as_pod().map(Pod::is_terminating)).expect("pod");
    assert!(!terminating(&s, "briefly"));
    s.sim.run_for(SimDuration::secs(30));
    assert!(terminating(&s, "briefly"), "evicted once its 20 s ran out");
    s.sim.run_for(SimDuration::secs(600));
    assert!(!terminating(&s, "forever"), "a toleration without tolerationSeconds keeps the pod");
}

#[test]
fn a_restarted_kubelet_takes_its_running_pods_back_as_they_are() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=2");
    s.sim.run_until_settled(SimDuration::secs(60));
    let before: Vec<Pod> = pods_on(&s, "node-1");
    let events = |s: &mut Session| run(s, "kubectl get events").lines().filter(|l| l.contains("Started")).count();
    let started = events(&mut s);
    run(&mut s, "kubelet stop node-1");
    s.sim.run_for(SimDuration::secs(70));
    assert!(pods_on(&s, "node-1").iter().all(|p| !p.is_ready()), "marked not ready while the node is silent");
    run(&mut s, "kubelet start node-1");
    s.sim.run_for(SimDuration::secs(10));
    let after = pods_on(&s, "node-1");
    assert_eq!(after.len(), before.len());
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(a.metadata.name, b.metadata.name);
        assert_eq!(a.status.pod_ip, b.status.pod_ip, "same sandbox, same IP");
        assert_eq!(a.status.container_statuses[0].container_id, b.status.container_statuses[0].container_id, "same container");
        assert_eq!(a.restarts(), 0);
        assert!(a.is_ready(), "{} is ready again", a.metadata.name);
    }
    assert_eq!(events(&mut s), started, "no container was started again");
    let trace: Vec<String> = s.sim.trace().entries().iter().filter(|e| e.verb == "ListPodSandbox").map(|e| e.summary.clone()).collect();
    assert_eq!(trace.len(), 1, "the kubelet asked the runtime once: {trace:?}");
}

fn heartbeat(n: &Node) -> Option<SimTime> {
    n.status.conditions.iter().find(|c| c.type_ == "Ready").and_then(|c| c.last_heartbeat_time)
}

/// The kubelet renews its Lease every 10 s and posts its node's status every 5 minutes, with a
/// new heartbeat time on each condition and the transition times as they were; a stopped
/// kubelet does neither, and a restarted one keeps one rhythm, not two.
#[test]
fn a_kubelet_reports_its_node_every_five_minutes_and_renews_its_lease_every_ten_seconds() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    let before = node(&s, "node-1");
    run(&mut s, "sleep 290s");
    assert_eq!(heartbeat(&node(&s, "node-1")), heartbeat(&before), "nothing changed: no report yet");
    run(&mut s, "sleep 20s");
    let reported = node(&s, "node-1");
    let beat = heartbeat(&reported).expect("a heartbeat");
    assert!(beat >= SimTime::ZERO + SimDuration::secs(300) && beat <= SimTime::ZERO + SimDuration::secs(310), "{beat:?}");
    assert!(reported.status.conditions.iter().all(|c| c.last_heartbeat_time == Some(beat)), "every condition");
    let transitions = |n: &Node| n.status.conditions.iter().map(|c| c.last_transition_time).collect::<Vec<_>>();
    assert_eq!(transitions(&reported), transitions(&before));
    assert!(run(&mut s, "kubectl describe node node-1").contains("Thu, 01 Jan 2026 00:05:"));

    // Stopped: no more reports. Started again a second later, while its old timers are still
    // pending: one Lease renewal every 10 s.
    run(&mut s, "kubelet stop node-1");
    run(&mut s, "sleep 1s");
    run(&mut s, "kubelet start node-1");
    let renewals = |s: &Session| s.sim.nodes()[0].kubelet.lease_renewals;
    let (start, at) = (renewals(&s), s.sim.now());
    run(&mut s, "sleep 100s");
    let n = renewals(&s) - start;
    assert!((10..=11).contains(&n), "{n} renewals in 100 s after {at:?}");
    run(&mut s, "sleep 300s");
    let again = heartbeat(&node(&s, "node-1")).expect("a heartbeat");
    assert!(again > beat + SimDuration::secs(300), "reported again: {again:?}");
}

/// Stopping a kubelet stops the kubelet only: the node's kube-proxy still hears of every
/// Service change and programs its rules, as a real one does; a removed node's agents all stop.
#[test]
fn with_its_kubelet_stopped_a_nodes_kube_proxy_keeps_programming_rules() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=2");
    run(&mut s, "kubectl expose deployment web --port=80");
    run(&mut s, "sleep 20s");
    run(&mut s, "kubelet stop node-1");
    run(&mut s, "kubectl scale deployment web --replicas=4");
    run(&mut s, "sleep 20s");
    let rules = |s: &Session, i: usize| format!("{:?}", s.sim.nodes()[i].proxy.rules.get("default/web"));
    let syncs = |s: &Session, i: usize| s.sim.nodes()[i].proxy.syncs;
    assert_eq!(rules(&s, 0), rules(&s, 1), "node-1's kube-proxy has the new endpoints too");
    let before = syncs(&s, 1);
    run(&mut s, "node remove node-2");
    run(&mut s, "kubectl scale deployment web --replicas=1");
    run(&mut s, "sleep 20s");
    assert_eq!(syncs(&s, 1), before, "a removed node's kube-proxy does nothing");
    assert!(syncs(&s, 0) > 0);
}

/// What was on its way to a kubelet when it stopped is lost with it: a restart in the middle of
/// an image pull gives no "Successfully pulled" from the old kubelet's pull to the new one.
/// The new kubelet finds the image still being pulled (not on the node yet), pulls it too,
/// after the first pull, and then starts the container once.
#[test]
fn a_kubelet_restarted_during_a_pull_pulls_again_and_starts_the_container_once() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    run(&mut s, "kubectl create deployment web --image=redis:7 --replicas=1");
    run(&mut s, "sleep 1500ms");
    run(&mut s, "kubelet stop node-1");
    run(&mut s, "kubelet start node-1");
    run(&mut s, "sleep 30s");
    let pod = s.sim.pods().next().expect("a pod").clone();
    assert_eq!(pod.status.phase.as_str(), "Running");
    let events = run(&mut s, &format!("kubectl get events --field-selector involvedObject.name={} -o custom-columns=REASON:.reason,MESSAGE:.message", pod.metadata.name));
    let reasons: Vec<&str> = events.lines().skip(1).map(|l| l.split_whitespace().next().unwrap_or("")).collect();
    assert_eq!(reasons, ["Scheduled", "Pulling", "Pulled", "Created", "Started"], "{events}");
    let pulled = events.lines().find(|l| l.starts_with("Pulled")).unwrap_or("");
    assert!(pulled.contains("Successfully pulled image \"redis:7\" in ") && pulled.contains("including waiting"), "{events}");
    assert_eq!(s.sim.nodes()[0].runtime.containers_running, 1);
}
