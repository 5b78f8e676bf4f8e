//! Nothing a user types may stop the simulation: a panic in wasm kills the page. Valid
//! manifests, mutated one field at a time into what people get wrong (wrong types, missing
//! fields, odd numbers, references to things that do not exist), are applied to a running
//! cluster together with the commands people run next; then the cluster runs on. Random
//! text (tests/cli.rs) mostly stops at the parser; these reach the API server, the
//! controllers, the scheduler and the kubelets. Seeded, so a failure replays.

use std::panic::{catch_unwind, AssertUnwindSafe};

use kubesim::cli::{yaml, Session};
use kubesim::sim::rng::Rng;
use kubesim::sim::*;
use serde_json::{json, Map, Value};

const MANIFESTS: &[&str] = &[
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 3\n  selector:\n    matchLabels: {app: web}\n  strategy:\n    type: RollingUpdate\n    rollingUpdate: {maxSurge: 1, maxUnavailable: 25%}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx:1.27\n        ports:\n        - containerPort: 80\n        resources:\n          requests: {cpu: 100m, memory: 64Mi}\n          limits: {cpu: 500m, memory: 128Mi}\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bare\n  labels: {app: web, pod-template-hash: abc}\nspec:\n  nodeSelector: {kubernetes.io/hostname: node-1}\n  tolerations:\n  - {key: dedicated, operator: Equal, value: special, effect: NoSchedule}\n  containers:\n  - name: c\n    image: busybox:1.36\n    imagePullPolicy: IfNotPresent\n  terminationGracePeriodSeconds: 5\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: web\nspec:\n  selector: {app: web}\n  ports:\n  - {port: 80, targetPort: 80, protocol: TCP}\n",
    "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata:\n  name: rs\nspec:\n  replicas: 2\n  selector:\n    matchExpressions:\n    - {key: app, operator: In, values: [web, api]}\n  template:\n    metadata:\n      labels: {app: api}\n    spec:\n      containers:\n      - {name: c, image: redis:7}\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: owned\n  ownerReferences:\n  - {apiVersion: apps/v1, kind: ReplicaSet, name: rs, uid: u-1, controller: true, blockOwnerDeletion: true}\n  finalizers: [example.com/keep]\nspec:\n  containers:\n  - {name: c, image: nginx}\n",
    "apiVersion: v1\nkind: Node\nmetadata:\n  name: node-9\n  labels: {topology.kubernetes.io/zone: z1}\nspec:\n  unschedulable: false\n  taints:\n  - {key: dedicated, value: special, effect: NoSchedule}\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n",
    "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: team\nspec:\n  replicas: 2\n  paused: false\n  minReadySeconds: 5\n  progressDeadlineSeconds: 60\n  revisionHistoryLimit: 1\n  strategy: {type: Recreate}\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n      annotations: {note: x}\n    spec:\n      priority: 10\n      restartPolicy: Always\n      containers:\n      - name: app\n        image: nginx:1.28\n        command: [nginx]\n        args: [-g, daemon off;]\n        resources:\n          requests: {cpu: '2', memory: 1Gi, pods: '1'}\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: pinned-\nspec:\n  nodeName: node-2\n  schedulerName: default-scheduler\n  restartPolicy: Never\n  containers:\n  - name: c\n    image: nginx\n    resources:\n      requests: {cpu: '64', memory: 1Ti}\n",
    "apiVersion: v1\nkind: Service\nmetadata:\n  name: np\nspec:\n  type: NodePort\n  sessionAffinity: ClientIP\n  internalTrafficPolicy: Local\n  selector: {app: web}\n  ports:\n  - {name: http, port: 8080, targetPort: 80, nodePort: 30080}\n",
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: vols\nspec:\n  automountServiceAccountToken: true\n  volumes:\n  - {name: data, emptyDir: {}}\n  - name: conf\n    configMap: {name: app-config, optional: true}\n  containers:\n  - name: c\n    image: nginx:1.27\n    env:\n    - {name: MODE, value: fast}\n    - name: POD\n      valueFrom: {fieldRef: {fieldPath: metadata.name}}\n    volumeMounts:\n    - {name: data, mountPath: /data}\n    - {name: conf, mountPath: /etc/app, readOnly: true, subPath: app.conf}\n",
];

/// Field names the API knows, to insert where they do not belong (or where they do).
const KEYS: &[&str] = &[
    "ownerReferences", "finalizers", "nodeName", "nodeSelector", "tolerations", "taints", "resources", "requests", "limits", "cpu", "memory", "pods",
    "replicas", "selector", "matchLabels", "matchExpressions", "operator", "values", "ports", "port", "targetPort", "containerPort", "image",
    "imagePullPolicy", "restartPolicy", "labels", "annotations", "generateName", "namespace", "deletionTimestamp", "resourceVersion", "uid", "strategy",
    "rollingUpdate", "maxSurge", "maxUnavailable", "paused", "minReadySeconds", "revisionHistoryLimit", "terminationGracePeriodSeconds", "type",
    "clusterIP", "unschedulable", "kind", "apiVersion", "controller", "name", "containers", "template", "metadata", "spec", "status", "phase", "effect",
    "key", "value", "protocol", "priority", "schedulerName", "initContainers", "command", "args",
    "volumes", "volumeMounts", "mountPath", "readOnly", "subPath", "emptyDir", "configMap", "projected", "automountServiceAccountToken", "env", "valueFrom",
];

const STRINGS: &[&str] = &[
        "", "x", "-", "0", "-1", "1.5", "abc/def", "Always", "Never", "IfNotPresent", "RollingUpdate", "Recreate", "In", "NotIn", "Exists", "DoesNotExist",
        "NoSchedule", "NoExecute", "PreferNoSchedule", "TCP", "SCTP", "100m", "1Gi", "-1Gi", "0.000001", "1e30", "9223372036854775807", "true", "Node",
        "Deployment", "ReplicaSet", "Pod", "Namespace", "Widget", "apps/v1", "v1", "/", "node-1", "node-2", "default", "team", "web", "Web!", "a.b.c",
        "ÄÖÜ", "25%", "150%", "-25%", "nginx:latest", "u-1",
];

/// Values people put in a field of that name: right, wrong, or for another field.
fn words_for(key: &str) -> &'static [&'static str] {
    match key {
        "kind" => &["Pod", "Deployment", "ReplicaSet", "Service", "Node", "Namespace", "Endpoints", "Event", "Lease", "Widget", ""],
        "apiVersion" => &["v1", "apps/v1", "", "x/y/z", "apps/v2", "example.com/v1"],
        "name" | "generateName" | "nodeName" | "namespace" => &["web", "rs", "bare", "owned", "node-1", "node-9", "team", "default", "", "-", "Web!", "a.b", "kube-system"],
        "uid" => &["u-1", "", "u-2"],
        "operator" => &["In", "NotIn", "Exists", "DoesNotExist", "Equal", "Gt", ""],
        "effect" => &["NoSchedule", "NoExecute", "PreferNoSchedule", ""],
        "image" => &["nginx", "nginx:1.27", "", ":", "redis@sha256:", "busybox:latest"],
        "imagePullPolicy" => &["Always", "Never", "IfNotPresent", ""],
        "cpu" | "memory" | "pods" | "maxSurge" | "maxUnavailable" => &["100m", "0", "-1", "1e30", "1Gi", "", "abc", "25%", "200%"],
        "type" => &["RollingUpdate", "Recreate", "ClusterIP", "NodePort", "LoadBalancer", ""],
        "protocol" => &["TCP", "UDP", "SCTP", ""],
        "restartPolicy" => &["Always", "OnFailure", "Never"],
        _ => STRINGS,
    }
}

fn random_string(rng: &mut Rng) -> Value {
    json!(STRINGS[rng.below(STRINGS.len() as u64) as usize])
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => random_string(rng),
        1 => json!([0i64, -1, 1, 3, 300, 2147483648, i64::MAX, i64::MIN][rng.below(8) as usize]),
        2 => json!([0.5, -0.5, 1e300, 1.0][rng.below(4) as usize]),
        _ => [json!(true), json!(false), Value::Null, json!([]), json!({})][rng.below(5) as usize].clone(),
    }
}

fn random_value(rng: &mut Rng, depth: u32) -> Value {
    if depth > 1 || rng.below(3) > 0 {
        return random_scalar(rng);
    }
    if rng.below(2) == 0 {
        Value::Array((0..rng.below(3)).map(|_| random_value(rng, depth + 1)).collect())
    } else {
        let mut m = Map::new();
        for _ in 0..rng.below(3) {
            m.insert(KEYS[rng.below(KEYS.len() as u64) as usize].into(), random_value(rng, depth + 1));
        }
        Value::Object(m)
    }
}

/// Every place in `v` (itself included), as JSON pointers under `at`.
fn places(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                places(child, format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")), out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                places(child, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

/// Changes one place under `metadata` or `spec`: replaces a value, removes a key or an item,
/// or adds a key. (A manifest without its kind stops at the parser, which tests/cli.rs covers.)
fn mutate(rng: &mut Rng, v: &mut Value) {
    // Any place under metadata or spec, all equally likely (as a JSON pointer, to borrow once).
    let mut paths = Vec::new();
    for top in ["metadata", "spec"] {
        if let Some(t) = v.get(top) {
            places(t, format!("/{top}"), &mut paths);
        }
    }
    if paths.is_empty() {
        return;
    }
    let path = paths.swap_remove(rng.below(paths.len() as u64) as usize);
    let here = v.pointer_mut(&path).expect("a path it has");
    match (rng.below(3), &mut *here) {
        (0, Value::Object(m)) if !m.is_empty() => {
            let k = m.keys().nth(rng.below(m.len() as u64) as usize).cloned().unwrap_or_default();
            m.remove(&k);
        }
        (0, Value::Array(a)) if !a.is_empty() => {
            if rng.below(2) == 0 {
                a.remove(rng.below(a.len() as u64) as usize);
            } else {
                let copy = a[0].clone();
                a.push(copy);
            }
        }
        (1, Value::Object(m)) => {
            m.insert(KEYS[rng.below(KEYS.len() as u64) as usize].into(), random_value(rng, 0));
        }
        // A string for a string: the kind of mistake that passes the parser and reaches the
        // controllers (a wrong name, kind, label or quantity).
        (1 | 2, Value::String(_)) => {
            let key = path.rsplit('/').next().unwrap_or("");
            let words = words_for(key);
            *here = json!(words[rng.below(words.len() as u64) as usize]);
        }
        _ => *here = random_value(rng, 0),
    }
}

fn random_command(rng: &mut Rng) -> String {
    // Mostly a kind and a name that go together (what the corpus creates), sometimes not.
    let pairs = [("deployment", "web"), ("rs", "rs"), ("pod", "bare"), ("pod", "owned"), ("svc", "web"), ("node", "node-1"), ("node", "node-9"), ("namespace", "team"), ("deploy/web", ""), ("pods", "nope")];
    let (kind, name) = pairs[rng.below(pairs.len() as u64) as usize];
    let name = if rng.below(5) == 0 { ["node-2", "web", "web-x"][rng.below(3) as usize] } else { name };
    let n = [0i64, 1, 5, -3, 200_000][rng.below(5) as usize];
    let cascade = ["", " --cascade=orphan", " --cascade=foreground", " --cascade=background", " --force --grace-period=0"][rng.below(5) as usize];
    match rng.below(13) {
        0 => format!("kubectl scale {kind} {name} --replicas={n}"),
        1 => format!("kubectl delete {kind} {name}{cascade}"),
        2 => format!("kubectl label {kind} {name} app={} --overwrite", ["web", "api", "debug", "-"][rng.below(4) as usize]),
        3 => format!("kubectl cordon {name}"),
        4 => format!("kubectl uncordon {name}"),
        5 => format!("kubectl drain {name} --ignore-daemonsets --force"),
        6 => format!("kubectl taint nodes {name} dedicated=special:NoSchedule"),
        7 => match rng.below(8) {
            0 => "kubectl rollout undo deployment/web".into(),
            1 => format!("kubectl set image {kind} {name} nginx=nginx:1.2{} *=busybox", n.rem_euclid(10)),
            2 => format!("kubectl rollout {} {kind} {name}", ["restart", "pause", "resume", "history"][rng.below(4) as usize]),
            3 => format!("kubectl patch {kind} {name} -p '{{\"spec\":{{\"replicas\":{n}}}}}'"),
            4 => format!("kubectl patch {kind} {name} --type=json -p '[{{\"op\":\"remove\",\"path\":\"/spec/template/spec/containers/0\"}}]'"),
            5 => format!("kubectl patch {kind} {name} --type=merge -p '{{\"metadata\":{}}}'", ["null", "{\"name\":\"other\"}", "{\"labels\":null}"][rng.below(3) as usize]),
            6 => format!("kubectl patch {kind} {name} -p '{{\"spec\":{{\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"x\",\"image\":\"redis\"}}]}}}}}}}}'"),
            _ => format!("kubectl rollout history {kind} {name} --revision={n}"),
        },
        8 => format!("kubectl create deployment {name} --image=nginx:1.27 --replicas={n}"),
        9 => format!("kubectl expose deployment {name} --port=80{}", ["", " --type=NodePort", " --type=LoadBalancer"][rng.below(3) as usize]),
        10 => format!("kubectl delete pods -l app={} --now", ["web", "api"][rng.below(2) as usize]),
        11 => ["node add node-9", "node remove node-1", "node remove node-9", "kubelet stop node-2", "kubelet start node-2", "node add node-2"][rng.below(6) as usize].into(),
        _ => format!("kubectl get {kind} -o yaml"),
    }
}

#[test]
fn mutated_manifests_and_the_commands_that_follow_never_stop_the_simulation() {
    let mut applied = 0;
    // ROBUSTNESS_SEEDS=1000 searches longer, ROBUSTNESS_FIRST=N replays from seed N (CI runs
    // seeds 1 to 16).
    let seeds: u64 = std::env::var("ROBUSTNESS_SEEDS").ok().and_then(|n| n.parse().ok()).unwrap_or(16);
    let first: u64 = std::env::var("ROBUSTNESS_FIRST").ok().and_then(|n| n.parse().ok()).unwrap_or(1);
    for seed in first..first + seeds {
        let mut rng = Rng::new(seed * 31_337);
        let mut s = Session::new(SimConfig { seed, nodes: 3, ..Default::default() });
        for step in 0..200 {
            let input = if rng.below(3) == 0 {
                random_command(&mut rng)
            } else {
                let src = MANIFESTS[rng.below(MANIFESTS.len() as u64) as usize];
                let mut doc = yaml::parse_documents(src).expect("the corpus parses").remove(0);
                for _ in 0..rng.below(4) {
                    mutate(&mut rng, &mut doc);
                }
                yaml::to_yaml(&doc)
            };
            let run_for = SimDuration::millis(rng.below(20_000));
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let out = if input.starts_with("kubectl") || !input.contains('\n') { s.execute(&input, None) } else { s.execute("kubectl apply -f -", Some(&input)) };
                s.sim.run_for(run_for);
                out
            }));
            match outcome {
                Ok(out) => applied += usize::from(!out.is_error && input.contains('\n')),
                Err(_) => panic!("seed {seed}, step {step}: the simulation panicked on\n{input}"),
            }
        }
        let settled = catch_unwind(AssertUnwindSafe(|| s.sim.run_until_settled(SimDuration::secs(600))));
        assert!(settled.is_ok(), "seed {seed}: the simulation panicked while settling");
    }
    // Most mutations are refused, but enough get in to reach the controllers.
    eprintln!("{applied} mutated manifests accepted");
    assert!(applied as u64 > seeds * 40, "only {applied} mutated manifests were accepted");
}
