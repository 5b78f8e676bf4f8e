//! Property tests, driven by the simulation's own seeded RNG so every failure replays:
//! random sequences of scaling and pod deletions converge to the desired count, never place
//! more requests on a node than it can hold, and etcd's revisions only grow.

use kubesim::cli::Session;
use kubesim::sim::objects::*;
use kubesim::sim::rng::Rng;
use kubesim::sim::*;

fn requested_per_node(sim: &Sim) -> std::collections::BTreeMap<String, i64> {
    let mut m = std::collections::BTreeMap::new();
    for p in sim.pods().filter(|p| !p.spec.node_name.is_empty()) {
        *m.entry(p.spec.node_name.to_string()).or_insert(0) += p.requests().milli_cpu;
    }
    m
}

#[test]
fn random_scaling_and_deletions_converge_without_overcommit() {
    for seed in 1..=6u64 {
        // Three small nodes (1 CPU each); pods ask for 300m, so at most 3 fit per node.
        let mut s = Session::new(SimConfig { seed, nodes: 3, node_cpu: "1".into(), ..Default::default() });
        let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.27\n        resources:\n          requests: {cpu: 300m}\n";
        assert!(!s.execute("kubectl apply -f -", Some(manifest)).is_error);
        let mut rng = Rng::new(seed * 7919);
        let mut desired = 2u64;
        let mut last_revision = s.sim.etcd().revision();
        for _ in 0..25 {
            match rng.below(3) {
                0 => {
                    desired = rng.below(12);
                    let out = s.execute(&format!("kubectl scale deployment web --replicas={desired}"), None);
                    assert!(!out.is_error, "{}", out.text);
                }
                1 => {
                    let names: Vec<String> = s.sim.pods().filter(|p| !p.is_terminating()).map(|p| p.metadata.name.to_string()).collect();
                    if !names.is_empty() {
                        let victim = &names[rng.below(names.len() as u64) as usize];
                        s.execute(&format!("kubectl delete pod {victim}"), None);
                    }
                }
                _ => {
                    s.sim.run_for(SimDuration::millis(rng.below(3000)));
                }
            }
            // Never overcommitted, at any moment.
            for (node, cpu) in requested_per_node(&s.sim) {
                assert!(cpu <= 1000, "seed {seed}: {node} holds {cpu}m of 1000m");
            }
            let rev = s.sim.etcd().revision();
            assert!(rev >= last_revision, "revisions only grow");
            last_revision = rev;
        }
        s.sim.run_until_settled(SimDuration::secs(120));
        s.sim.run_for(SimDuration::secs(40)); // past graceful termination
        s.sim.run_until_settled(SimDuration::secs(120));
        let live: Vec<&Pod> = s.sim.pods().filter(|p| !p.is_terminating()).collect();
        let fit = desired.min(9) as usize;
        assert_eq!(live.len(), desired as usize, "seed {seed}: the ReplicaSet keeps exactly the desired pods");
        assert_eq!(live.iter().filter(|p| p.status.phase == "Running").count(), fit, "seed {seed}: as many run as fit");
        for (_, kv) in s.sim.etcd().range("/registry/") {
            assert!(kv.mod_revision <= s.sim.etcd().revision() && kv.create_revision <= kv.mod_revision);
        }
    }
}

#[test]
fn the_trace_is_ordered_and_etcd_replies_carry_growing_revisions() {
    let mut s = Session::new(SimConfig { seed: 5, ..Default::default() });
    s.execute("kubectl create deployment web --image=nginx --replicas=4", None);
    s.execute("kubectl scale deployment web --replicas=1", None);
    s.sim.run_until_settled(SimDuration::secs(60));
    let entries = s.sim.trace().entries();
    assert!(entries.iter().zip(entries.iter().skip(1)).all(|(a, b)| a.sent <= b.sent && a.seq < b.seq));
    let mut replies: Vec<_> = entries.iter().filter(|e| e.kind == MessageKind::EtcdReply && e.revision > 0 && e.summary != "compare failed").collect();
    replies.sort_by_key(|e| e.sent);
    let revs: Vec<u64> = replies.iter().filter(|e| !e.summary.contains("keys at")).map(|e| e.revision).collect();
    assert!(revs.windows(2).all(|w| w[0] < w[1]), "each write gets a new, higher revision");
}

#[test]
fn scaling_down_takes_pods_from_the_nodes_that_have_the_most() {
    // getPodsToDelete ranks each pod by the pods of its Deployment on the same node, so
    // scaling down one at a time keeps the spread the scheduler made (the walkthrough's
    // 2 + 1 becomes 1 + 1). (The ranks are counted once per sync: a bigger step takes all
    // its victims from the most crowded node, in a real cluster too.)
    for seed in 1..=4u64 {
        let mut s = Session::new(SimConfig { seed, nodes: 3, ..Default::default() });
        assert!(!s.execute("kubectl create deployment web --image=nginx:1.27 --replicas=10", None).is_error);
        s.sim.run_until_settled(SimDuration::secs(120));
        for replicas in (1..10).rev() {
            assert!(!s.execute(&format!("kubectl scale deployment web --replicas={replicas}"), None).is_error);
            s.sim.run_until_settled(SimDuration::secs(120));
            s.sim.run_for(SimDuration::secs(40)); // past graceful termination
            s.sim.run_until_settled(SimDuration::secs(120));
            let mut per_node = std::collections::BTreeMap::new();
            for p in s.sim.pods().filter(|p| !p.is_terminating()) {
                *per_node.entry(p.spec.node_name.to_string()).or_insert(0) += 1;
            }
            let counts: Vec<i32> = ["node-1", "node-2", "node-3"].iter().map(|n| per_node.get(*n).copied().unwrap_or(0)).collect();
            assert_eq!(counts.iter().sum::<i32>(), replicas, "seed {seed}");
            assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1, "seed {seed}: {replicas} replicas spread {counts:?}");
        }
    }
}
