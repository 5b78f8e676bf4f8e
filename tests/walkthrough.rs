//! The talk in shared/seed/walkthrough.txt, as an integration test: `kubectl create deployment
//! web --image=nginx --replicas=3` on a two-node cluster, checked step by step on the trace
//! and in etcd.

use kubesim::sim::message::{ApiReply, Component, ControllerKind};
use kubesim::sim::objects::*;
use kubesim::sim::trace::MessageKind;
use kubesim::sim::*;

pub fn web_deployment(replicas: i32) -> Object {
    let mut labels = Labels::new();
    labels.insert("app".into(), "web".into());
    Object::Deployment(Box::new(Deployment {
        metadata: ObjectMeta { name: "web".into(), namespace: "default".into(), labels: labels.clone(), ..Default::default() },
        spec: DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
            template: Box::new(PodTemplateSpec {
                metadata: ObjectMeta { labels, ..Default::default() },
                spec: PodSpec { containers: vec![Container { name: "nginx".into(), image: "nginx".into(), ..Default::default() }].into(), ..Default::default() },
            }),
            ..Default::default()
        },
        status: Default::default(),
    }))
}

fn first_time(sim: &Sim, pred: impl Fn(&TraceEntry) -> bool) -> Option<SimTime> {
    sim.trace().entries().iter().find(|e| pred(e)).map(|e| e.delivered)
}

#[test]
fn the_walkthrough_happens_in_order() {
    let mut sim = Sim::new(SimConfig::default());
    sim.run_until_settled(SimDuration::secs(5));
    let start = sim.now();

    let reply = sim.call(ApiRequest::with_object(Verb::Create, web_deployment(3))).expect("created");
    let ApiReply::Object(d) = reply else { panic!("expected the object") };
    assert_eq!(d.name(), "web");
    // "created" comes back while no ReplicaSet or pod exists yet.
    assert_eq!(sim.objects(Kind::Pod).count(), 0, "no pod exists when the API server answers");
    assert!(sim.get(Kind::Deployment, "default", "web").is_some());
    assert!(sim.now().since(start) < SimDuration::millis(50));

    assert!(sim.run_until_settled(SimDuration::secs(60)), "the cluster settles");

    let writes = |sim: &Sim, prefix: &str| first_time(sim, |e| e.kind == MessageKind::EtcdWrite && e.key.starts_with(prefix));
    let t_deploy = writes(&sim, "/registry/deployments/default/web").unwrap();
    let t_rs = writes(&sim, "/registry/replicasets/default/web-").unwrap();
    let t_pod = writes(&sim, "/registry/pods/default/web-").unwrap();
    let t_bind = first_time(&sim, |e| e.from == Component::Scheduler && e.verb == "CREATE binding").unwrap();
    let t_creating = first_time(&sim, |e| matches!(e.from, Component::Kubelet(_)) && e.summary.contains("update status pods")).unwrap();
    let t_start = first_time(&sim, |e| e.verb == "StartContainer").unwrap();
    assert!(t_deploy < t_rs && t_rs < t_pod && t_pod < t_bind && t_bind < t_creating && t_creating < t_start, "{t_deploy} {t_rs} {t_pod} {t_bind} {t_creating} {t_start}");

    // The ReplicaSet is written by the deployment controller; the pods by the replicaset controller.
    let rs_writer = sim.trace().entries().iter().find(|e| e.kind == MessageKind::Request && e.verb == "CREATE" && e.key.starts_with("replicasets/")).unwrap();
    assert_eq!(rs_writer.from, Component::Controller(ControllerKind::Deployment));
    let pod_writer = sim.trace().entries().iter().find(|e| e.kind == MessageKind::Request && e.verb == "CREATE" && e.key.starts_with("pods/")).unwrap();
    assert_eq!(pod_writer.from, Component::Controller(ControllerKind::ReplicaSet));
    // kube-controller-manager's controllers share one informer per resource: each pod change
    // reaches the process once (not once per controller), as it reaches the scheduler once.
    let pod_watch_to = |c: Component| sim.trace().entries().iter().filter(|e| e.kind == MessageKind::Watch && e.key.starts_with("/registry/pods/") && e.to == c).count();
    assert!(pod_watch_to(Component::Scheduler) > 0);
    assert_eq!(pod_watch_to(Component::ControllerManager), pod_watch_to(Component::Scheduler));
    assert!(sim.trace().entries().iter().all(|e| !(e.kind == MessageKind::Watch && matches!(e.to, Component::Controller(_)))), "watch events go to the process, not to each controller");

    // Three pods, Running and Ready, spread 2 + 1.
    let pods: Vec<&Pod> = sim.pods().collect();
    assert_eq!(pods.len(), 3);
    let mut per_node = std::collections::BTreeMap::new();
    for p in &pods {
        assert_eq!(p.status.phase, "Running");
        assert!(p.is_ready());
        assert!(p.metadata.name.starts_with("web-"));
        *per_node.entry(p.spec.node_name.clone()).or_insert(0) += 1;
    }
    let mut counts: Vec<i32> = per_node.values().copied().collect();
    counts.sort();
    assert_eq!(counts, vec![1, 2]);

    let d = sim.get(Kind::Deployment, "default", "web").unwrap().as_deployment().unwrap().clone();
    assert_eq!(d.status.available_replicas, 3);
    let rs = sim.objects(Kind::ReplicaSet).next().unwrap().as_replica_set().unwrap().clone();
    let hash = rs.metadata.labels.get("pod-template-hash").unwrap();
    assert_eq!(rs.metadata.name, format!("web-{hash}"));
    assert!(hash.bytes().all(|c| b"bcdfghjklmnpqrstvwxz2456789".contains(&c)));

    // The events a real cluster records.
    let events: Vec<String> = sim.objects(Kind::Event).filter_map(|o| o.as_event()).map(|e| format!("{} {}", e.reason, e.message)).collect();
    assert!(events.iter().any(|e| e == &format!("ScalingReplicaSet Scaled up replica set {} from 0 to 3", rs.metadata.name)), "{events:#?}");
    assert_eq!(events.iter().filter(|e| e.starts_with("SuccessfulCreate Created pod: web-")).count(), 3);
    assert_eq!(events.iter().filter(|e| e.starts_with("Scheduled Successfully assigned default/web-")).count(), 3);
    assert!(events.iter().any(|e| e.starts_with("Pulling Pulling image \"nginx\"")));
    assert!(events.iter().any(|e| e.starts_with("Pulled Successfully pulled image \"nginx\" in ")));
    assert_eq!(events.iter().filter(|e| e == &"Created Created container: nginx").count(), 3);
    assert_eq!(events.iter().filter(|e| e == &"Started Started container nginx").count(), 3);
}

#[test]
fn same_seed_gives_the_same_trace_and_another_seed_other_names() {
    let run = |seed| {
        let mut sim = Sim::new(SimConfig { seed, ..Default::default() });
        sim.call(ApiRequest::with_object(Verb::Create, web_deployment(3))).unwrap();
        sim.run_until_settled(SimDuration::secs(60));
        let names: Vec<String> = sim.pods().map(|p| p.metadata.name.to_string()).collect();
        (sim.trace().entries().iter().cloned().collect::<Vec<_>>(), names)
    };
    let (a, na) = run(7);
    let (b, nb) = run(7);
    assert_eq!(a, b);
    assert_eq!(na, nb);
    let (_, nc) = run(8);
    assert_ne!(na, nc);
}

#[test]
fn poll_mode_reaches_the_same_outcome_with_more_traffic() {
    let run = |mode| {
        let mut sim = Sim::new(SimConfig { mode, ..Default::default() });
        sim.call(ApiRequest::with_object(Verb::Create, web_deployment(3))).unwrap();
        assert!(sim.run_until_settled(SimDuration::secs(120)));
        let running = sim.pods().filter(|p| p.status.phase == "Running").count();
        let lists = sim.trace().entries().iter().filter(|e| e.verb == "LIST").count();
        let watches = sim.trace().entries().iter().filter(|e| e.kind == MessageKind::Watch).count();
        (running, lists, watches)
    };
    let (rw, lw, ww) = run(NoticeMode::Watch);
    let (rp, lp, wp) = run(NoticeMode::Poll);
    assert_eq!((rw, rp), (3, 3));
    assert!(ww > 0 && wp == 0, "watch mode pushes events, poll mode none");
    assert!(lp > lw + 10, "poll mode lists over and over: {lp} vs {lw}");
}

/// A pod of its own: a name, or a prefix for the API server to complete.
fn bare_pod(name: &str, generate_name: &str) -> Object {
    let container = Container { name: "app".into(), image: "nginx".into(), ..Default::default() };
    Object::Pod(Pod { metadata: ObjectMeta { name: name.into(), generate_name: generate_name.into(), namespace: "default".into(), ..Default::default() }, spec: std::rc::Rc::new(PodSpec { containers: vec![container].into(), ..Default::default() }), ..Default::default() })
}

#[test]
fn a_generated_name_that_is_taken_is_replaced_not_refused() {
    // Learn the name the next generateName create will get (the run is deterministic)...
    let mut sim = Sim::new(SimConfig { nodes: 1, ..Default::default() });
    sim.run_until_settled(SimDuration::secs(5));
    let mut probe = sim.clone();
    probe.call(ApiRequest::with_object(Verb::Create, bare_pod("first", ""))).expect("created");
    let Ok(ApiReply::Object(p)) = probe.call(ApiRequest::with_object(Verb::Create, bare_pod("", "web-"))) else { panic!("created") };
    let taken = p.name().to_string();
    // ...then take that name first: the API server tries another (RetryGenerateName, as
    // kube-apiserver 1.32 does), and the client never hears of the collision.
    sim.call(ApiRequest::with_object(Verb::Create, bare_pod(&taken, ""))).expect("created");
    let Ok(ApiReply::Object(p)) = sim.call(ApiRequest::with_object(Verb::Create, bare_pod("", "web-"))) else { panic!("a generated name is never refused as taken") };
    assert!(p.name().starts_with("web-") && p.name() != taken && p.name().len() == taken.len());
    assert!(sim.get(Kind::Pod, "default", &taken).is_some() && sim.get(Kind::Pod, "default", p.name()).is_some());
    // A name asked for explicitly is still refused.
    let again = sim.call(ApiRequest::with_object(Verb::Create, bare_pod(&taken, "")));
    assert!(matches!(again, Err(e) if e.message.contains("already exists")));
}
