//! Scale benchmark (run with `make bench`): a cluster of N nodes scales one Deployment to P
//! replicas, run until every pod is Running. Prints wall time, simulated time and peak memory.
//! Kubernetes' own limits are 5,000 nodes and 150,000 pods. Components watch, as they do in a
//! real cluster; `poll` and `poll-large` run the same with every component polling each
//! second instead (the walkthrough's way), which lists every pod again and again. `rollout`
//! (300 nodes, 10,000 pods; `rollout-small` 1,000 / 30,000) times a rolling update of a
//! Deployment behind a Service. With NO_EVENTS=1 no component records Events (about a
//! quarter of the messages), to measure what they cost.

use std::time::Instant;

use kubesim::sim::objects::*;
use kubesim::sim::*;

fn deployment(replicas: i32) -> Object {
    let mut labels = Labels::new();
    labels.insert("app".into(), "web".into());
    Object::Deployment(Box::new(Deployment {
        metadata: ObjectMeta { name: "web".into(), namespace: "default".into(), ..Default::default() },
        spec: DeploymentSpec {
            replicas: Some(replicas),
            selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
            template: Box::new(PodTemplateSpec { metadata: ObjectMeta { labels, ..Default::default() }, spec: PodSpec { containers: vec![Container { name: "nginx".into(), image: "nginx:1.27".into(), ..Default::default() }].into(), ..Default::default() } }),
            ..Default::default()
        },
        status: Default::default(),
    }))
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time used by this process so far (user plus system), from /proc/self/stat: the scale
/// target is stated in CPU time. (0 where there is no /proc.)
fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let fields: Vec<&str> = stat.rsplit_once(')').map_or(Vec::new(), |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

fn run(nodes: u32, pods: i32, mode: NoticeMode) {
    let start = Instant::now();
    let cpu_start = cpu_secs();
    let mut sim = Sim::new(SimConfig { nodes, node_pods: 110, node_cpu: "32".into(), node_memory: "128Gi".into(), trace_limit: 0, etcd_history: 1000, mode, record_events: std::env::var("NO_EVENTS").is_err(), ..Default::default() });
    let built = start.elapsed();
    sim.call(ApiRequest::with_object(Verb::Create, deployment(pods))).expect("created");
    let mut steps = 0u64;
    loop {
        for _ in 0..1_000 {
            sim.step();
            steps += 1;
        }
        let d = sim.get(Kind::Deployment, "default", "web").and_then(|o| o.as_deployment().cloned()).unwrap_or_default();
        if d.status.available_replicas == pods || sim.now().as_micros() > 3_600_000_000 {
            break;
        }
    }
    // The clock stops here: what follows only checks the result (and walks every pod in order).
    let elapsed = start.elapsed();
    let cpu = cpu_secs() - cpu_start;
    let running = sim.pods().filter(|p| p.status.phase == "Running").count();
    let how = if mode == NoticeMode::Poll { " (poll)" } else { "" };
    println!(
        "{nodes:>5} nodes, {pods:>6} pods{how}: {running} Running in {:.2}s wall, {cpu:.2}s CPU ({:.2}s building the cluster), {:.1}s simulated, {steps} messages, peak RSS {:.0} MiB",
        elapsed.as_secs_f64(),
        built.as_secs_f64(),
        sim.now().as_secs_f64(),
        peak_rss_mib()
    );
    // Freeing 150,000 pods' worth of objects takes about half a second and measures nothing.
    std::mem::forget(sim);
}

/// A rolling update behind a Service: the cluster of `run`, with every pod Running and a Service
/// in front of them, changes its image; timed until every pod runs the new one. Every pod
/// change touches the EndpointSlices, and every slice update reaches every kube-proxy.
fn rollout(nodes: u32, pods: i32) {
    let mut sim = Sim::new(SimConfig { nodes, node_pods: 110, node_cpu: "32".into(), node_memory: "128Gi".into(), trace_limit: 0, etcd_history: 1000, ..Default::default() });
    sim.call(ApiRequest::with_object(Verb::Create, deployment(pods))).expect("created");
    let available = |sim: &Sim| sim.get(Kind::Deployment, "default", "web").and_then(|o| o.as_deployment().cloned()).unwrap_or_default();
    while available(&sim).status.available_replicas < pods && sim.now().as_micros() < 3_600_000_000 {
        sim.run_for(SimDuration::secs(1));
    }
    let mut selector = Labels::new();
    selector.insert("app".into(), "web".into());
    let svc = Service { metadata: ObjectMeta { name: "web".into(), namespace: "default".into(), ..Default::default() }, spec: ServiceSpec { selector, ports: vec![ServicePort { port: 80, protocol: "TCP".into(), ..Default::default() }], ..Default::default() }, ..Default::default() };
    sim.call(ApiRequest::with_object(Verb::Create, Object::Service(Box::new(svc)))).expect("service created");
    sim.run_for(SimDuration::secs(5));
    let (start, cpu_start, delivered) = (Instant::now(), cpu_secs(), sim.delivered());
    let mut d = available(&sim);
    let mut template = (*d.spec.template).clone();
    let mut spec = (*template.spec.containers).to_vec();
    spec[0].image = "nginx:1.28".into();
    template.spec.containers = spec.into();
    d.spec.template = Box::new(template);
    sim.call(ApiRequest::with_object(Verb::Update, Object::Deployment(Box::new(d)))).expect("image updated");
    let t0 = sim.now();
    loop {
        sim.run_for(SimDuration::secs(1));
        let d = available(&sim);
        let done = d.status.updated_replicas == pods && d.status.available_replicas == pods && d.status.replicas == pods;
        if done || sim.now().as_micros() > 3_600_000_000 {
            break;
        }
    }
    println!(
        "{nodes:>5} nodes, {pods:>6} pods behind a Service: rolled out to a new image in {:.2}s wall, {:.2}s CPU, {:.1}s simulated, {} messages, peak RSS {:.0} MiB",
        start.elapsed().as_secs_f64(),
        cpu_secs() - cpu_start,
        sim.now().since(t0).as_secs_f64(),
        sim.delivered() - delivered,
        peak_rss_mib()
    );
    std::mem::forget(sim);
}

fn main() {
    let which = std::env::args().nth(1).filter(|a| !a.starts_with('-'));
    match which.as_deref() {
        Some("tiny") => run(100, 3_000, NoticeMode::Watch),
        Some("small") => run(1_000, 30_000, NoticeMode::Watch),
        Some("large") => run(5_000, 150_000, NoticeMode::Watch),
        Some("poll") => run(1_000, 30_000, NoticeMode::Poll),
        Some("poll-large") => run(5_000, 150_000, NoticeMode::Poll),
        Some("rollout") => rollout(300, 10_000),
        Some("rollout-small") => rollout(1_000, 30_000),
        _ => {
            // Each in a process of its own, so that each peak memory is its own (a run leaves
            // its cluster behind, unfreed).
            let me = std::env::current_exe().expect("the benchmark's own path");
            for which in ["small", "large", "poll", "rollout"] {
                let status = std::process::Command::new(&me).arg(which).status().expect("the benchmark runs");
                assert!(status.success(), "{which}: {status}");
            }
        }
    }
}
