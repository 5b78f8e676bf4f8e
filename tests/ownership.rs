//! Ownership as a real cluster keeps it: a ReplicaSet releases a pod whose labels no longer
//! match its selector and adopts an orphan that matches (controller_ref_manager.go), and the
//! garbage collector deletes only dependents that still name their deleted owner and have no
//! other (attemptToDeleteItem).

use kubesim::cli::Session;
use kubesim::sim::message::{Component, ControllerKind};
use kubesim::sim::objects::*;
use kubesim::sim::rng::Rng;
use kubesim::sim::trace::MessageKind;
use kubesim::sim::*;

fn session(seed: u64) -> Session {
    Session::new(SimConfig { seed, nodes: 2, ..Default::default() })
}

fn run(s: &mut Session, line: &str) -> String {
    let out = s.execute(line, None);
    assert!(!out.is_error, "{line}: {}", out.text);
    out.text
}

fn apply(s: &mut Session, manifest: &str) {
    let out = s.execute("kubectl apply -f -", Some(manifest));
    assert!(!out.is_error, "{}", out.text);
}

fn settle(s: &mut Session) {
    s.sim.run_until_settled(SimDuration::secs(120));
    s.sim.run_for(SimDuration::secs(40)); // past graceful termination
    s.sim.run_until_settled(SimDuration::secs(120));
}

fn live_pods(s: &Session) -> Vec<&Pod> {
    s.sim.pods().filter(|p| !p.is_terminating()).collect()
}

fn controller(p: &Pod) -> Option<&OwnerReference> {
    p.metadata.owner_references.iter().find(|r| r.controller)
}

#[test]
fn relabelled_pods_leave_their_replica_set_and_matching_ones_join_it() {
    for seed in 1..=5u64 {
        let mut s = session(seed);
        run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=3");
        let mut rng = Rng::new(seed * 104_729);
        for _ in 0..20 {
            let names: Vec<String> = live_pods(&s).iter().map(|p| p.metadata.name.to_string()).collect();
            match rng.below(3) {
                // Out of service, or back in (a released pod with the old labels is adopted).
                0 | 1 if !names.is_empty() => {
                    let pod = &names[rng.below(names.len() as u64) as usize];
                    let app = if rng.below(2) == 0 { "debug" } else { "web" };
                    run(&mut s, &format!("kubectl label pod {pod} app={app} --overwrite"));
                }
                _ => s.sim.run_for(SimDuration::millis(rng.below(4000))),
            }
        }
        settle(&mut s);
        let rs = s.sim.objects(Kind::ReplicaSet).next().expect("the Deployment's ReplicaSet").clone();
        let live = live_pods(&s);
        let web: Vec<&&Pod> = live.iter().filter(|p| p.metadata.labels.get("app").is_some_and(|a| a == "web")).collect();
        assert_eq!(web.len(), 3, "seed {seed}: the selector matches exactly the desired pods");
        for p in &web {
            assert_eq!(controller(p).map(|c| c.uid.clone()), Some(rs.meta().uid.clone()), "seed {seed}: {} belongs to the ReplicaSet", p.metadata.name);
        }
        for p in live.iter().filter(|p| p.metadata.labels.get("app").is_some_and(|a| a == "debug")) {
            assert!(p.metadata.owner_references.is_empty(), "seed {seed}: {} was released", p.metadata.name);
            assert_eq!(p.status.phase, "Running", "seed {seed}: a released pod keeps running");
        }
        assert_eq!(rs.as_replica_set().map(|r| r.status.replicas), Some(3), "seed {seed}: the status counts what the selector matches");
    }
}

#[test]
fn a_release_is_a_patch_before_the_replacement_is_created() {
    let mut s = session(1);
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=2");
    settle(&mut s);
    let pod = live_pods(&s)[0].metadata.name.to_string();
    let before = s.sim.trace().entries().back().map_or(0, |e| e.seq);
    run(&mut s, &format!("kubectl label pod {pod} app=debug --overwrite"));
    settle(&mut s);
    let entries: Vec<&TraceEntry> = s.sim.trace().entries().iter().filter(|e| e.seq > before).collect();
    // kubectl label sends a merge patch of the labels, as the real one does.
    let writes: Vec<&&TraceEntry> = entries.iter().filter(|e| e.kind == MessageKind::Request && e.from == Component::User && e.verb != "GET").collect();
    assert_eq!(writes.len(), 1, "kubectl reads the pod, then writes once");
    assert_eq!((writes[0].verb.as_str(), writes[0].summary.contains(&format!("pods/default/{pod}: labels app=debug"))), ("PATCH", true), "{}", writes[0].summary);
    let patch = entries.iter().position(|e| e.kind == MessageKind::Request && e.verb == "PATCH" && e.from != Component::User).expect("a PATCH request");
    assert!(entries[patch].summary.contains(&format!("pods/default/{pod}: remove owner ReplicaSet/web-")), "{}", entries[patch].summary);
    assert_eq!(entries[patch].from, Component::Controller(ControllerKind::ReplicaSet));
    let create = entries.iter().position(|e| e.kind == MessageKind::Request && e.verb == "CREATE" && e.key == "pods/default").expect("a replacement pod");
    assert!(patch < create, "released in the same sync, then replaced");
    assert_eq!(live_pods(&s).len(), 3);

    // Deleting the Deployment leaves the released pod alone.
    run(&mut s, "kubectl delete deployment web");
    settle(&mut s);
    let left: Vec<String> = live_pods(&s).iter().map(|p| p.metadata.name.to_string()).collect();
    assert_eq!(left, vec![pod]);
}

#[test]
fn the_garbage_collector_drops_a_deleted_owner_from_a_dependent_that_has_another() {
    let mut s = session(2);
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=1");
    run(&mut s, "kubectl create deployment api --image=nginx:1.27 --replicas=1");
    settle(&mut s);
    let uid = |s: &Session, name: &str| s.sim.get(Kind::Deployment, "default", name).map(|d| d.meta().uid.to_string()).expect("deployment");
    let (web, api) = (uid(&s, "web"), uid(&s, "api"));
    apply(&mut s, &format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: shared\n  ownerReferences:\n  - {{apiVersion: apps/v1, kind: Deployment, name: web, uid: {web}}}\n  - {{apiVersion: apps/v1, kind: Deployment, name: api, uid: {api}}}\nspec:\n  containers:\n  - {{name: c, image: nginx:1.27}}\n"));
    settle(&mut s);

    run(&mut s, "kubectl delete deployment web");
    settle(&mut s);
    let shared = s.sim.get(Kind::Pod, "default", "shared").expect("kept: it has another owner").clone();
    let owners: Vec<&str> = shared.meta().owner_references.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(owners, vec!["api"], "only the deleted owner's reference is gone");
    assert!(s.sim.pods().all(|p| !p.metadata.name.starts_with("web-")), "web's own pods went with it");

    run(&mut s, "kubectl delete deployment api");
    settle(&mut s);
    assert!(s.sim.get(Kind::Pod, "default", "shared").is_none(), "deleted with its last owner");
}

#[test]
fn owner_references_of_kinds_the_controllers_do_not_watch_do_not_stop_the_simulation() {
    let mut s = session(3);
    apply(&mut s, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  ownerReferences:\n  - {apiVersion: v1, kind: Namespace, name: nowhere, uid: u-1}\n  - {apiVersion: v1, kind: Node, name: node-1, uid: u-2}\n  - {apiVersion: example.com/v1, kind: Widget, name: w, uid: u-3}\nspec:\n  containers:\n  - {name: c, image: nginx:1.27}\n");
    settle(&mut s);
    assert!(run(&mut s, "kubectl get pods").contains("p "));
    // The Node is there, but not with that uid, and there is no Namespace "nowhere" (kube-
    // controller-manager watches both): those references are dropped. The GC cannot see
    // Widgets and leaves that one.
    let owners: Vec<&str> = s.sim.get(Kind::Pod, "default", "p").expect("kept").meta().owner_references.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(owners, vec!["Widget"]);
    let out = s.execute("kubectl apply -f -", Some("apiVersion: v1\nkind: Pod\nmetadata:\n  name: q\n  ownerReferences:\n  - {apiVersion: '', kind: '', name: '', uid: ''}\nspec:\n  containers:\n  - {name: c, image: nginx:1.27}\n"));
    assert!(out.is_error);
    for field in ["apiVersion: Invalid value: \"\": version must not be empty", "kind: Invalid value: \"\": must not be empty", "uid: Invalid value: \"\": must not be empty"] {
        assert!(out.text.contains(field), "{}", out.text);
    }
}

#[test]
fn foreground_deletion_removes_the_pods_then_the_replica_set_then_the_deployment() {
    let mut s = session(4);
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=2");
    settle(&mut s);
    let before = s.sim.trace().entries().back().map_or(0, |e| e.seq);
    // (--wait=false: kubectl would otherwise wait until the Deployment is gone.)
    run(&mut s, "kubectl delete deployment web --cascade=foreground --wait=false");
    let d = s.sim.get(Kind::Deployment, "default", "web").expect("kept until its dependents are gone").clone();
    assert!(d.meta().deletion_timestamp.is_some());
    assert_eq!(d.meta().finalizers.iter().map(|f| f.as_str()).collect::<Vec<_>>(), vec!["foregroundDeletion"]);
    settle(&mut s);
    assert!(s.sim.get(Kind::Deployment, "default", "web").is_none());
    assert_eq!(s.sim.objects(Kind::ReplicaSet).count() + s.sim.pods().count(), 0);
    let deletes: Vec<String> = s.sim.trace().entries().iter().filter(|e| e.seq > before && e.kind == MessageKind::EtcdWrite && e.verb == "DELETE").map(|e| e.key.clone()).collect();
    let last = |prefix: &str| deletes.iter().rposition(|k| k.starts_with(prefix)).unwrap_or_else(|| panic!("no delete of {prefix} in {deletes:?}"));
    let first = |prefix: &str| deletes.iter().position(|k| k.starts_with(prefix)).unwrap_or_else(|| panic!("no delete of {prefix} in {deletes:?}"));
    assert!(last("/registry/pods/") < first("/registry/replicasets/"), "{deletes:?}");
    assert!(last("/registry/replicasets/") < first("/registry/deployments/"), "{deletes:?}");
}

#[test]
fn orphaned_replica_sets_keep_their_pods_and_the_next_deployment_adopts_them() {
    let mut s = session(5);
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=2");
    settle(&mut s);
    let mut pods: Vec<String> = s.sim.pods().map(|p| p.metadata.name.to_string()).collect();
    run(&mut s, "kubectl delete deployment web --cascade=orphan");
    settle(&mut s);
    assert!(s.sim.get(Kind::Deployment, "default", "web").is_none());
    let rs = s.sim.objects(Kind::ReplicaSet).next().expect("kept").clone();
    assert!(rs.meta().owner_references.is_empty() && rs.meta().finalizers.is_empty());
    assert_eq!(s.sim.pods().map(|p| p.metadata.name.to_string()).collect::<Vec<_>>(), pods, "the pods run on");

    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=3");
    settle(&mut s);
    let d = s.sim.get(Kind::Deployment, "default", "web").expect("created").clone();
    let all: Vec<ObjectRc> = s.sim.objects(Kind::ReplicaSet).cloned().collect();
    assert_eq!(all.len(), 1, "the old ReplicaSet is adopted, not duplicated");
    assert_eq!(all[0].meta().uid, rs.meta().uid);
    assert_eq!(all[0].meta().owner_references.iter().find(|r| r.controller).map(|r| r.uid.clone()), Some(d.meta().uid.clone()));
    let now: Vec<String> = s.sim.pods().filter(|p| p.status.phase == "Running").map(|p| p.metadata.name.to_string()).collect();
    assert_eq!(now.len(), 3);
    pods.retain(|p| now.contains(p));
    assert_eq!(pods.len(), 2, "the orphaned pods are among them");
}
