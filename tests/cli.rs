//! The command language end to end: the runner as a process, kubectl's wording, and random
//! input that must never panic or change the cluster.

use std::io::Write;
use std::process::{Command, Stdio};

use kubesim::cli::Session;
use kubesim::sim::rng::Rng;
use kubesim::sim::objects::EndpointSlice;
use kubesim::sim::{Kind, SimConfig};

/// Sleeps until 100 ms past the next whole second of simulated time, so that the commands that
/// follow (each a few milliseconds) see the same second: ages and second-resolution
/// timestamps do not tick over between them.
fn align_to_second(s: &mut Session) {
    let micros = s.sim.now().as_micros() % 1_000_000;
    s.execute(&format!("sleep {}ms", (1_100_000 - micros) / 1000), None);
}

#[test]
fn runner_prints_each_line_and_its_output() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubesim")).args(["--seed", "3"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"kubectl create deployment web --image=nginx --replicas=3\nsleep 15\nkubectl get deploy web\nkubectl get deploy nope\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success());
    assert!(stdout.contains("$ kubectl create deployment web --image=nginx --replicas=3\ndeployment.apps/web created"), "{stdout}");
    assert!(stdout.contains("web    3/3     3            3           15s"), "{stdout}");
    assert!(stderr.contains("Error from server (NotFound): deployments.apps \"nope\" not found"), "{stderr}");
    let missing = Command::new(env!("CARGO_BIN_EXE_kubesim")).arg("/no/such/script").output().unwrap();
    assert!(!missing.status.success());
    let bad_flag = Command::new(env!("CARGO_BIN_EXE_kubesim")).args(["--nodes", "lots"]).output().unwrap();
    assert!(!bad_flag.status.success());
    assert!(String::from_utf8_lossy(&bad_flag.stderr).contains("invalid --nodes \"lots\""));

    // --trace: one line per message with times, kind, from, to, verb, revision and key.
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubesim")).arg("--trace").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"kubectl create deployment web --image=nginx\n").unwrap();
    let traced = String::from_utf8_lossy(&child.wait_with_output().unwrap().stdout).to_string();
    assert!(traced.lines().any(|l| l.contains("etcd-write") && l.contains("kube-apiserver etcd PUT") && l.contains("/registry/deployments/default/web")), "{traced}");
    assert!(traced.lines().any(|l| l.contains("request") && l.contains("kubectl kube-apiserver CREATE")), "{traced}");
}

#[test]
fn errors_read_like_kubectl() {
    let mut s = Session::new(SimConfig::default());
    let err = |s: &mut Session, l: &str| {
        let o = s.execute(l, None);
        assert!(o.is_error, "{l} should fail");
        o.text
    };
    // create_deployment.go wraps the server's error; apply prints it as "The <Kind> ... is invalid".
    assert!(err(&mut s, "kubectl create deployment Web --image=nginx").starts_with("error: failed to create deployment: Deployment.apps \"Web\" is invalid: metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain"));
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: Web\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: nginx\n        image: nginx\n";
    let o = s.execute("kubectl apply -f -", Some(manifest));
    assert!(o.is_error && o.text.starts_with("The Deployment \"Web\" is invalid: metadata.name: Invalid value: \"Web\": a lowercase RFC 1123 subdomain"), "{}", o.text);
    assert!(err(&mut s, "kubectl gte pods").contains("Did you mean this?\n\tget"));
    assert!(err(&mut s, "kubectl run web --image=nginx --replicas=3").starts_with("error: unknown flag: --replicas"));
    s.execute("kubectl create deployment web --image=nginx", None);
    assert_eq!(err(&mut s, "kubectl create deployment web --image=nginx"), "error: failed to create deployment: deployments.apps \"web\" already exists");
    assert!(err(&mut s, "kubectl scale deployment web --replicas=-1").contains("greater than or equal to 0"));
    // generateName is cut to 58 bytes before the random suffix; a two-byte character across
    // the cut must not split (that panicked), and the name is then refused like any other.
    let pod = format!("apiVersion: v1\nkind: Pod\nmetadata:\n  generateName: {}é-\nspec:\n  containers:\n  - name: c\n    image: nginx\n", "a".repeat(57));
    let o = s.execute("kubectl create -f -", Some(&pod));
    assert!(o.is_error && o.text.contains(&format!("is invalid: metadata.generateName: Invalid value: \"{}é-\": a lowercase RFC 1123 subdomain", "a".repeat(57))), "{}", o.text);
    assert!(!s.execute("kubectl get pods -o name", None).text.contains("aaaa"), "nothing was created");
    // A Service's traffic policy is a field the API knows, and checks.
    let svc = |policy: &str| format!("apiVersion: v1\nkind: Service\nmetadata:\n  name: local\nspec:\n  selector: {{app: web}}\n  internalTrafficPolicy: {policy}\n  ports:\n  - port: 80\n");
    let o = s.execute("kubectl apply -f -", Some(&svc("Bogus")));
    assert!(o.is_error && o.text.contains("spec.internalTrafficPolicy: Unsupported value: \"Bogus\": supported values: \"Cluster\", \"Local\""), "{}", o.text);
    let o = s.execute("kubectl apply -f -", Some(&svc("Local")));
    assert!(!o.is_error, "{}", o.text);
    assert!(s.execute("kubectl describe svc local", None).text.contains("Internal Traffic Policy:  Local"));
}

#[test]
fn random_input_never_panics_and_leaves_the_cluster_alone() {
    let words = ["kubectl", "get", "create", "deployment", "apply", "-f", "-", "--image=", "pods", "-o", "yaml", "--replicas=", "delete", "scale", "etcdctl", "describe", "node", "'", "\"", "\\", "-l", "=", "999999999999", "-1", "\u{0}", "é", "sleep", "x/y", "--", "<<EOF", "-o=jsonpath={..a[?(@.b==1)]}{range", "custom-columns=A:.b,", "--sort-by=.x[-1]", "{end}", "-w", "diff", "|", "grep", "-c", "awk", "{print $9}", "head", "-n"];
    let mut rng = Rng::new(99);
    let mut s = Session::new(SimConfig::default());
    s.execute("kubectl create deployment keep --image=nginx --replicas=2", None);
    for _ in 0..3000 {
        let n = rng.below(6) as usize + 1;
        let line: Vec<&str> = (0..n).map(|_| words[rng.below(words.len() as u64) as usize]).collect();
        let line = line.join(" ");
        if line.contains("delete") || line.contains("scale") || line.contains("sleep") || line.contains("<<") {
            // Those may legitimately change things; still must not panic.
            let _ = s.execute(&line, None);
            continue;
        }
        let before = s.sim.objects(Kind::Deployment).count();
        let _ = s.execute(&line, Some("kind: Deployment\napiVersion: apps/v1\nmetadata: [oops"));
        assert_eq!(s.sim.objects(Kind::Deployment).count(), before, "{line:?}");
    }
}

#[test]
fn random_manifests_never_panic_and_a_rejected_one_changes_nothing() {
    let keys = ["apiVersion", "kind", "metadata", "name", "spec", "replicas", "containers", "image", "selector", "matchLabels", "template", "labels", "status", "ports", "- name", "-", "resources", "requests", "cpu", "bogus"];
    let values = ["v1", "apps/v1", "Pod", "Deployment", "Service", "Node", "web", "nginx", "3", "-1", "\"x\"", "[a, b]", "{a: 1}", "", "'", "99999999999", "true", "null", "&anchor", "|", "[[[", "Web!", "1e400"];
    let mut rng = Rng::new(4242);
    let mut s = Session::new(SimConfig::default());
    let counts = |s: &Session| [Kind::Pod, Kind::Deployment, Kind::Service, Kind::Node, Kind::ReplicaSet].map(|k| s.sim.objects(k).count());
    let mut rejected = 0;
    for _ in 0..2000 {
        let mut doc = String::new();
        if rng.below(2) == 0 {
            doc.push_str(["apiVersion: v1\nkind: Pod\n", "apiVersion: apps/v1\nkind: Deployment\n", "kind: Service\n", ""][rng.below(4) as usize]);
        }
        for _ in 0..rng.below(12) {
            let indent = "  ".repeat(rng.below(4) as usize);
            doc.push_str(&format!("{indent}{}: {}\n", keys[rng.below(keys.len() as u64) as usize], values[rng.below(values.len() as u64) as usize]));
        }
        let before = counts(&s);
        let out = s.execute("kubectl apply -f -", Some(&doc));
        if out.is_error {
            rejected += 1;
            assert_eq!(counts(&s), before, "a rejected manifest changed the cluster:\n{doc}\n{}", out.text);
        }
    }
    assert!(rejected > 1000, "most random manifests are rejected ({rejected})");
}

#[test]
fn delete_waits_until_the_objects_are_gone_unless_nothing_can_finish_it() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    for l in ["kubectl create deployment web --image=nginx:1.27 --replicas=2", "kubectl rollout status deployment/web"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let before = s.sim.now();
    // Foreground: the pods go, then the ReplicaSet, then the Deployment; kubectl returns after.
    let out = s.execute("kubectl delete deployment web --cascade=foreground", None);
    assert_eq!((out.is_error, out.text.as_str()), (false, "deployment.apps \"web\" deleted"));
    assert!(s.sim.get(Kind::Deployment, "default", "web").is_none() && s.sim.objects(Kind::ReplicaSet).count() == 0, "gone when kubectl returns");
    assert!(s.sim.pods().count() == 0 && s.sim.now() > before, "the wait took simulated time");

    // A pod on a stopped kubelet stays Terminating: the wait stops, and says why.
    for l in ["kubectl run solo --image=nginx:1.27", "kubectl wait --for=condition=Ready pod/solo"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let node = s.sim.get(Kind::Pod, "default", "solo").and_then(|o| o.as_pod()).map(|p| p.spec.node_name.to_string()).expect("bound");
    assert!(!s.execute(&format!("kubelet stop {node}"), None).is_error);
    let out = s.execute("kubectl delete pod solo", None);
    assert!(!out.is_error && out.text.contains("pod \"solo\" deleted") && out.text.contains("nothing left in the cluster can finish deleting pods/solo"), "{}", out.text);
    assert!(s.sim.get(Kind::Pod, "default", "solo").is_some_and(|o| o.meta().deletion_timestamp.is_some()), "still Terminating");
    // With a timeout it is kubectl's error.
    let out = s.execute("kubectl delete pod solo --timeout=5s", None);
    assert!(out.is_error && out.text.ends_with("error: timed out waiting for the condition on pods/solo"), "{}", out.text);
}

#[test]
fn apply_merges_three_ways_like_client_side_kubectl_apply() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    let manifest = |replicas: &str| format!("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n{replicas}  selector:\n    matchLabels: {{app: web}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers:\n      - {{name: nginx, image: nginx:1.27}}\n");
    let replicas = |s: &Session| s.sim.get(Kind::Deployment, "default", "web").and_then(|o| o.as_deployment().and_then(|d| d.spec.replicas));
    assert_eq!(s.execute("kubectl apply -f -", Some(&manifest(""))).text, "deployment.apps/web created");
    let recorded = s.sim.get(Kind::Deployment, "default", "web").and_then(|o| o.meta().annotations.get("kubectl.kubernetes.io/last-applied-configuration").cloned()).expect("recorded");
    assert!(recorded.starts_with("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"annotations\":{},\"name\":\"web\",\"namespace\":\"default\"},\"spec\":{\"selector\""), "{recorded}");
    // A field the manifest never set keeps what kubectl scale wrote.
    assert!(!s.execute("kubectl scale deployment web --replicas=4", None).is_error);
    assert_eq!(s.execute("kubectl apply -f -", Some(&manifest(""))).text, "deployment.apps/web unchanged");
    assert_eq!(replicas(&s), Some(4));
    // Set by the manifest, then dropped from it: removed, so defaulted again.
    assert_eq!(s.execute("kubectl apply -f -", Some(&manifest("  replicas: 2\n"))).text, "deployment.apps/web configured");
    assert_eq!(replicas(&s), Some(2));
    s.execute("sleep 5", None);
    assert_eq!(s.execute("kubectl apply -f -", Some(&manifest(""))).text, "deployment.apps/web configured");
    assert_eq!(replicas(&s), Some(1));
}

#[test]
fn set_image_rolls_out_and_changing_back_makes_the_old_replica_set_the_newest_revision() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    let ok = |s: &mut Session, l: &str| {
        let o = s.execute(l, None);
        assert!(!o.is_error, "{l}: {}", o.text);
        o.text
    };
    ok(&mut s, "kubectl create deployment web --image=nginx:1.26 --replicas=3");
    ok(&mut s, "kubectl rollout status deployment/web");
    let first = s.sim.objects(Kind::ReplicaSet).map(|o| o.name().to_string()).next().expect("a ReplicaSet");
    assert_eq!(ok(&mut s, "kubectl set image deployment/web nginx=nginx:1.27"), "deployment.apps/web image updated");
    // Changing nothing prints nothing, as kubectl does.
    assert_eq!(ok(&mut s, "kubectl set image deployment/web nginx=nginx:1.27"), "");
    ok(&mut s, "kubectl rollout status deployment/web");
    let rs = |s: &Session| {
        let mut v: Vec<(String, i32, String, String)> = s
            .sim
            .objects(Kind::ReplicaSet)
            .filter_map(|o| o.as_replica_set())
            .map(|r| {
                let a = |k: &str| r.metadata.annotations.get(k).map(|v| v.to_string()).unwrap_or_default();
                (r.metadata.name.to_string(), r.spec.replicas.unwrap_or(0), a("deployment.kubernetes.io/revision"), a("deployment.kubernetes.io/revision-history"))
            })
            .collect();
        v.sort();
        v
    };
    let pods_on = |s: &Session, image: &str| s.sim.pods().filter(|p| p.spec.containers[0].image == image && p.status.phase == "Running" && p.metadata.deletion_timestamp.is_none()).count();
    assert_eq!(pods_on(&s, "nginx:1.27"), 3);
    assert_eq!(ok(&mut s, "kubectl rollout history deployment/web"), "deployment.apps/web \nREVISION  CHANGE-CAUSE\n1         <none>\n2         <none>\n");
    // A change cause on the Deployment is copied to its current ReplicaSet.
    ok(&mut s, "kubectl annotate deployment web kubernetes.io/change-cause=rollback");
    ok(&mut s, "kubectl set image deployment web nginx=nginx:1.26");
    ok(&mut s, "kubectl rollout status deployment/web");
    assert_eq!(pods_on(&s, "nginx:1.26"), 3);
    let now = rs(&s);
    assert_eq!(now.len(), 2, "the first ReplicaSet is reused, not a third made: {now:?}");
    let old = now.iter().find(|r| r.0 == first).expect("first");
    assert_eq!((old.1, old.2.as_str(), old.3.as_str()), (3, "3", "1"), "{now:?}");
    let history = ok(&mut s, "kubectl rollout history deployment web");
    assert!(history.ends_with("REVISION  CHANGE-CAUSE\n2         rollback\n3         rollback\n"), "{history}");
    let revision = ok(&mut s, "kubectl rollout history deployment web --revision=3");
    assert!(revision.starts_with("deployment.apps/web with revision #3\nPod Template:\n  Labels:\tapp=web\n\tpod-template-hash=") && revision.contains("    Image:\tnginx:1.26\n"), "{revision}");
    assert_eq!(s.execute("kubectl rollout history deployment web --revision=1", None).text, "error: unable to find the specified revision");
    assert_eq!(s.sim.get(Kind::Deployment, "default", "web").and_then(|o| o.meta().annotations.get("deployment.kubernetes.io/revision").cloned()).as_deref(), Some("3"));

    // Paused, a new image waits; resumed, it rolls out.
    assert_eq!(ok(&mut s, "kubectl rollout pause deployment/web"), "deployment.apps/web paused");
    assert_eq!(s.execute("kubectl rollout pause deployment/web", None).text, "error: deployments.apps \"web\" is already paused");
    ok(&mut s, "kubectl set image deployment/web nginx=nginx:1.25");
    ok(&mut s, "sleep 10");
    assert_eq!(pods_on(&s, "nginx:1.26"), 3);
    assert_eq!(rs(&s).len(), 2);
    // checkPausedConditions: Progressing is Unknown while paused.
    let described = ok(&mut s, "kubectl describe deployment web");
    assert!(described.contains("  Progressing    Unknown  DeploymentPaused\nOldReplicaSets:  "), "{described}");
    let timed_out = s.execute("kubectl rollout status deployment/web --timeout=2s", None).text;
    assert!(timed_out.starts_with("Waiting for deployment \"web\" rollout to finish: 0 out of 3 new replicas have been updated...") && timed_out.ends_with("error: timed out waiting for the condition"), "{timed_out}");
    assert!(s.execute("kubectl rollout restart deployment/web", None).text.contains("can't restart paused deployment (run rollout resume first)"));
    assert_eq!(ok(&mut s, "kubectl rollout resume deployment/web"), "deployment.apps/web resumed");
    ok(&mut s, "kubectl rollout status deployment/web");
    assert_eq!(pods_on(&s, "nginx:1.25"), 3);
    assert!(ok(&mut s, "kubectl describe deployment web").contains("  Progressing    True    NewReplicaSetAvailable\n"));

    // A restart changes the template's annotation: new pods from a new ReplicaSet.
    let before: Vec<String> = s.sim.pods().map(|p| p.metadata.name.to_string()).collect();
    align_to_second(&mut s);
    assert_eq!(ok(&mut s, "kubectl rollout restart deployment/web"), "deployment.apps/web restarted");
    assert!(s.execute("kubectl rollout restart deployment/web", None).text.contains("if restart has already been triggered within the past second"));
    ok(&mut s, "kubectl rollout status deployment/web");
    let after: Vec<String> = s.sim.pods().filter(|p| p.status.phase == "Running" && p.metadata.deletion_timestamp.is_none()).map(|p| p.metadata.name.to_string()).collect();
    assert_eq!(after.len(), 3);
    assert!(after.iter().all(|p| !before.contains(p)), "{before:?} {after:?}");
    assert_eq!(rs(&s).len(), 4);

    // kubectl's own errors.
    let err = |s: &mut Session, l: &str| {
        let o = s.execute(l, None);
        assert!(o.is_error, "{l} should fail: {}", o.text);
        o.text
    };
    assert_eq!(err(&mut s, "kubectl set image deployment/web nope=x"), "error: unable to find container named \"nope\"");
    assert_eq!(err(&mut s, "kubectl set image deployment/web"), "error: at least one image update is required");
    assert_eq!(err(&mut s, "kubectl set image deployment/nope nginx=x"), "Error from server (NotFound): deployments.apps \"nope\" not found");
    assert!(err(&mut s, "kubectl set image svc/kubernetes a=b").contains("the object is not a pod or does not have a pod template"));
    assert_eq!(err(&mut s, "kubectl rollout history pod/web"), "Error from server (NotFound): pods \"web\" not found");
    assert!(err(&mut s, "kubectl set env deployment/web A=B").contains("does not simulate it"));
    assert_eq!(rs(&s).len(), 4, "errors change nothing");
}

#[test]
fn patch_takes_strategic_merge_and_json_patches() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    let run = |s: &mut Session, l: &str| s.execute(l, None).text;
    run(&mut s, "kubectl create deployment web --image=nginx:1.26 --replicas=2");
    let d = |s: &Session| s.sim.get(Kind::Deployment, "default", "web").and_then(|o| o.as_deployment().cloned()).expect("web");
    assert_eq!(run(&mut s, r#"kubectl patch deployment web -p '{"spec":{"replicas":3}}'"#), "deployment.apps/web patched");
    // (kubectl compares the object it read with the one the server answers: once the
    // controllers are done writing its status, the same patch changes nothing.)
    run(&mut s, "sleep 30s");
    assert_eq!(run(&mut s, r#"kubectl patch deployment web -p '{"spec":{"replicas":3}}'"#), "deployment.apps/web patched (no change)");
    assert_eq!(d(&s).spec.replicas, Some(3));
    // A container is merged by its name: the image changes, the rest of it stays.
    run(&mut s, r#"kubectl patch deployment web -p '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}'"#);
    let c = d(&s).spec.template.spec.containers[0].clone();
    assert_eq!((c.name.as_str(), c.image.as_str(), c.image_pull_policy.as_str()), ("nginx", "nginx:1.27", "IfNotPresent"));
    assert_eq!(run(&mut s, r#"kubectl patch deployment web -p '{"spec":{"template":{"spec":{"containers":[{"image":"x"}]}}}}'"#), "Error from server: map: map[image:x] does not contain declared merge key: name");
    // A merge patch replaces lists; null removes a field.
    run(&mut s, r#"kubectl patch deployment web --type=merge -p '{"metadata":{"labels":{"tier":"web"}}}'"#);
    assert_eq!(d(&s).metadata.labels.get("tier").map(|v| v.as_str()), Some("web"));
    run(&mut s, r#"kubectl patch deployment web --type merge -p '{"metadata":{"labels":{"tier":null}}}'"#);
    assert_eq!(d(&s).metadata.labels.get("tier"), None);
    // A JSON patch, operation by operation.
    assert_eq!(run(&mut s, r#"kubectl patch deployment web --type=json -p '[{"op":"replace","path":"/spec/replicas","value":1},{"op":"add","path":"/metadata/labels/a","value":"b"}]'"#), "deployment.apps/web patched");
    assert_eq!((d(&s).spec.replicas, d(&s).metadata.labels.get("a").map(|v| v.to_string())), (Some(1), Some("b".to_string())));
    assert_eq!(run(&mut s, r#"kubectl patch deployment web --type=json -p '[{"op":"replace","path":"/spec/nope","value":1}]'"#), "Error from server (BadRequest): replace operation does not apply: doc is missing key: /spec/nope: missing value");
    assert_eq!(run(&mut s, r#"kubectl patch deployment web --type=json -p '{"op":"remove"}'"#), "Error from server (BadRequest): json: cannot unmarshal object into Go value of type jsonpatch.Patch");
    assert_eq!(run(&mut s, "kubectl patch deployment web --type=xml -p '{}'"), "error: --type must be one of [json merge strategic], not \"xml\"");
    assert_eq!(run(&mut s, "kubectl patch deployment web"), "error: must specify --patch or --patch-file containing the contents of the patch");
    assert!(run(&mut s, r#"kubectl patch deployment web -p '{"spec":{"replicas":"x"}}'"#).starts_with("Error from server (BadRequest): Deployment in version \"v1\" cannot be handled as a Deployment"));
    assert_eq!(d(&s).spec.replicas, Some(1), "a rejected patch changes nothing");
    // A node, through the same patch: cordoned.
    assert_eq!(run(&mut s, r#"kubectl patch node node-1 -p '{"spec":{"unschedulable":true}}'"#), "node/node-1 patched");
    assert!(run(&mut s, "kubectl get nodes").contains("node-1   Ready,SchedulingDisabled"));
}

#[test]
fn node_port_services_get_a_port_from_the_range_and_keep_it() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    let run = |s: &mut Session, l: &str| s.execute(l, None).text;
    run(&mut s, "kubectl create deployment web --image=nginx --replicas=2");
    run(&mut s, "kubectl expose deployment web --port=80 --type=NodePort");
    run(&mut s, "kubectl expose deployment web --port=8080 --type=LoadBalancer --name=lb");
    let svc = |s: &Session, n: &str| s.sim.get(Kind::Service, "default", n).and_then(|o| o.as_service().cloned()).expect("service");
    let (web, lb) = (svc(&s, "web"), svc(&s, "lb"));
    let (np, lb_np) = (web.spec.ports[0].node_port.expect("allocated"), lb.spec.ports[0].node_port.expect("allocated"));
    // Dynamic ports come from above the static band, and no two Services share one.
    assert!((30086..=32767).contains(&np) && (30086..=32767).contains(&lb_np) && np != lb_np, "{np} {lb_np}");
    assert_eq!((web.spec.external_traffic_policy.as_str(), lb.spec.allocate_load_balancer_node_ports), ("Cluster", Some(true)));
    let listed = run(&mut s, "kubectl get svc");
    assert!(listed.contains(&format!("<pending>     8080:{lb_np}/TCP")) && listed.contains(&format!("<none>        80:{np}/TCP")), "{listed}");
    let yaml = run(&mut s, "kubectl get svc web -o yaml");
    assert!(yaml.contains(&format!("  - nodePort: {np}\n    port: 80\n")) && yaml.contains("  externalTrafficPolicy: Cluster\n") && yaml.ends_with("status:\n  loadBalancer: {}"), "{yaml}");
    let described = run(&mut s, "kubectl describe svc web");
    assert!(described.contains(&format!("NodePort:                 <unset>  {np}/TCP\n")) && described.contains("External Traffic Policy:  Cluster\n"), "{described}");
    // An update that names no node port keeps the one it has.
    run(&mut s, "kubectl label svc web tier=web");
    assert_eq!(svc(&s, "web").spec.ports[0].node_port, Some(np));
    // The API server's refusals.
    let out = run(&mut s, &format!(r#"kubectl patch svc lb --type=json -p '[{{"op":"replace","path":"/spec/ports/0/nodePort","value":{np}}}]'"#));
    assert_eq!(out, format!("The Service \"lb\" is invalid: spec.ports[0].nodePort: Invalid value: {np}: provided port is already allocated"));
    let out = run(&mut s, r#"kubectl patch svc lb --type=json -p '[{"op":"replace","path":"/spec/ports/0/nodePort","value":80}]'"#);
    assert_eq!(out, "The Service \"lb\" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767");
    assert_eq!(svc(&s, "lb").spec.ports[0].node_port, Some(lb_np), "refused: unchanged");
    // Back to ClusterIP: the allocated port and the traffic policy go (dropTypeDependentFields).
    assert_eq!(run(&mut s, r#"kubectl patch svc web -p '{"spec":{"type":"ClusterIP"}}'"#), "service/web patched");
    let web = svc(&s, "web");
    assert_eq!((web.spec.ports[0].node_port, web.spec.external_traffic_policy.as_str()), (None, ""));
    // A port chosen by hand, in the range and free, is taken as it is; the freed one is free.
    assert_eq!(run(&mut s, &format!(r#"kubectl patch svc web -p '{{"spec":{{"type":"NodePort","ports":[{{"port":80,"nodePort":{np}}}]}}}}'"#)), "service/web patched");
    assert_eq!(svc(&s, "web").spec.ports[0].node_port, Some(np));
    let manifest = "apiVersion: v1\nkind: Service\nmetadata:\n  name: plain\nspec:\n  ports:\n  - port: 80\n    nodePort: 30001\n";
    let out = s.execute("kubectl apply -f -", Some(manifest));
    assert!(out.is_error && out.text.contains("spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"), "{}", out.text);
}

#[test]
fn endpoint_slices_mark_terminating_pods_keep_a_placeholder_and_go_with_their_service() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    for l in ["kubectl create deployment web --image=nginx:1.27 --replicas=2", "kubectl expose deployment web --port=80 --target-port=8080", "kubectl rollout status deployment/web", "sleep 2"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let slices = |s: &Session| -> Vec<EndpointSlice> { s.sim.objects(Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()).filter(|e| e.metadata.labels.get("kubernetes.io/service-name").is_some_and(|n| n == "web")).cloned().collect() };
    let one = slices(&s);
    assert_eq!(one.len(), 1);
    let e = &one[0];
    assert!(e.metadata.name.starts_with("web-") && e.metadata.name.len() == 9 && e.metadata.owner_references[0].kind == "Service");
    assert_eq!((e.ports[0].port, e.ports[0].name.as_deref()), (Some(8080), Some("")), "the target port, unnamed");
    // A pod being deleted stays, terminating and not ready.
    let victim = e.endpoints[0].target_ref.as_ref().map(|r| r.name.to_string()).expect("target");
    assert!(!s.execute(&format!("kubectl delete pod {victim} --wait=false"), None).is_error);
    // (nginx stops at once on SIGTERM, and the pod is gone soon after: look in between.)
    s.execute("sleep 0.05", None);
    let marked = slices(&s)[0].endpoints.iter().find(|ep| ep.target_ref.as_ref().is_some_and(|r| r.name == victim)).cloned().expect("still listed");
    assert_eq!((marked.conditions.ready, marked.conditions.terminating), (Some(false), Some(true)));
    // No pods: one empty placeholder slice, `endpoints: null` as the API writes it.
    for l in ["kubectl scale deployment web --replicas=0", "sleep 40"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let left = slices(&s);
    assert_eq!((left.len(), left[0].endpoints.len()), (1, 0));
    let yaml = s.execute(&format!("kubectl get endpointslice {} -o yaml", left[0].metadata.name), None).text;
    assert!(yaml.contains("\nendpoints: null\n"), "{yaml}");
    // The garbage collector deletes them with their Service.
    assert!(!s.execute("kubectl delete svc web", None).is_error);
    s.execute("sleep 2", None);
    assert!(slices(&s).is_empty());
    assert_eq!(s.execute("kubectl get endpointslices -o name", None).text, "endpointslice.discovery.k8s.io/kubernetes");
}

#[test]
fn random_patches_never_panic_and_a_refused_one_changes_nothing() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    for l in ["kubectl create deployment web --image=nginx --replicas=2", "kubectl expose deployment web --port=80 --type=NodePort", "sleep 10"] {
        s.execute(l, None);
    }
    let paths = ["/spec/replicas", "/spec/template/spec/containers/0/image", "/spec/ports/0/nodePort", "/spec/type", "/metadata/labels/a~1b", "/metadata/name", "/spec/selector", "/spec/containers/-", "/status", "", "/spec/template/spec/containers/9", "nope"];
    let values = ["3", "-1", "\"x\"", "null", "{}", "[]", "\"NodePort\"", "99999", "{\"a\":[1,2]}", "true"];
    let targets = ["deployment web", "svc web", "node node-1", "pod nope"];
    let mut rng = kubesim::sim::rng::Rng::new(11);
    for _ in 0..300 {
        let target = targets[rng.below(targets.len() as u64) as usize];
        let patch = match rng.below(3) {
            0 => format!("--type=json -p '[{{\"op\":\"{}\",\"path\":\"{}\",\"from\":\"{}\",\"value\":{}}}]'", ["add", "remove", "replace", "move", "copy", "test", "bogus"][rng.below(7) as usize], paths[rng.below(paths.len() as u64) as usize], paths[rng.below(paths.len() as u64) as usize], values[rng.below(values.len() as u64) as usize]),
            1 => format!("--type=merge -p '{{\"spec\":{}}}'", values[rng.below(values.len() as u64) as usize]),
            _ => format!("-p '{{\"spec\":{{\"ports\":[{{\"port\":{}}}],\"template\":{{\"spec\":{{\"containers\":[{{\"name\":\"nginx\",\"image\":{}}}]}}}}}}}}'", values[rng.below(values.len() as u64) as usize], values[rng.below(values.len() as u64) as usize]),
        };
        let (kind, ns, name) = match target {
            "deployment web" => (Kind::Deployment, "default", "web"),
            "svc web" => (Kind::Service, "default", "web"),
            "node node-1" => (Kind::Node, "", "node-1"),
            _ => (Kind::Pod, "default", "nope"),
        };
        let version = |s: &Session| s.sim.get(kind, ns, name).map(|o| o.resource_version());
        let before = version(&s);
        let out = s.execute(&format!("kubectl patch {target} {patch}"), None);
        if out.is_error {
            assert_eq!(version(&s), before, "a refused patch wrote nothing: {patch}: {}", out.text);
        }
        s.execute("sleep 0.2", None);
    }
}

#[test]
fn deleting_a_namespace_empties_it_then_removes_it() {
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    for l in ["kubectl create namespace dev", "kubectl create deployment api -n dev --image=nginx:1.27 --replicas=3", "kubectl expose deployment api -n dev --port=80", "kubectl create configmap settings -n dev --from-literal=a=b", "kubectl rollout status deployment/api -n dev"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let in_dev = |s: &Session| Kind::ALL.iter().filter(|k| k.namespaced()).map(|k| s.sim.objects(*k).filter(|o| o.namespace() == "dev").count()).sum::<usize>();
    assert!(in_dev(&s) > 10, "a deployment's worth of objects, and the namespace's own");
    assert_eq!(s.execute("kubectl delete namespace dev --wait=false", None).text, "namespace \"dev\" deleted");
    assert!(s.execute("kubectl get ns dev", None).text.contains("dev    Terminating"));
    // NamespaceLifecycle: nothing new in a namespace being deleted.
    let refused = s.execute("kubectl create configmap late -n dev --from-literal=a=b", None);
    assert!(refused.is_error && refused.text.contains("configmaps \"late\" is forbidden: unable to create new content in namespace dev because it is being terminated"), "{}", refused.text);
    // kubectl delete waits until the namespace controller has emptied it and the API server removed it.
    assert!(!s.execute("kubectl wait --for=delete namespace/dev --timeout=60s", None).is_error);
    assert_eq!(in_dev(&s), 0);
    assert!(s.sim.get(Kind::Namespace, "", "dev").is_none());
    assert!(s.execute("kubectl get ns dev", None).text.contains("namespaces \"dev\" not found"));
    // The cluster's own namespaces stay.
    for ns in ["default", "kube-system", "kube-public"] {
        assert_eq!(s.execute(&format!("kubectl delete namespace {ns}"), None).text, format!("Error from server (Forbidden): namespaces {ns:?} is forbidden: this namespace may not be deleted"));
    }
    // Pods no kubelet can stop keep a namespace Terminating, and its conditions say why.
    for l in ["kubectl create namespace stuck", "kubectl create deployment api -n stuck --image=nginx:1.27 --replicas=2", "kubectl rollout status deployment/api -n stuck", "kubelet stop node-1", "kubelet stop node-2", "kubectl delete namespace stuck --wait=false", "sleep 3"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let described = s.execute("kubectl describe namespace stuck", None).text;
    assert!(described.contains("Status:       Terminating\nConditions:\n") && described.contains("SomeResourcesRemain     Some resources are remaining: pods. has 2 resource instances"), "{described}");
    for l in ["kubelet start node-1", "kubelet start node-2", "kubectl wait --for=delete namespace/stuck --timeout=60s"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    // A namespace is created with the kubernetes finalizer, Active.
    s.execute("kubectl create namespace again", None);
    let yaml = s.execute("kubectl get ns again -o yaml", None).text;
    assert!(yaml.contains("spec:\n  finalizers:\n  - kubernetes\nstatus:\n  phase: Active"), "{yaml}");
}

#[test]
fn a_new_image_restarts_the_container_and_any_other_change_to_a_pod_is_forbidden() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    let pod = |image: &str, extra: &str| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: {image}\n{extra}");
    assert!(!s.execute("kubectl apply -f -", Some(&pod("nginx:1.27", ""))).is_error);
    assert!(!s.execute("kubectl wait --for=condition=Ready pod/p", None).is_error);
    let out = s.execute("kubectl apply -f -", Some(&pod("nginx:1.27", "    ports:\n    - containerPort: 80\n")));
    assert!(out.is_error && out.text.starts_with("The Pod \"p\" is invalid: spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`"), "{}", out.text);
    assert!(out.text.contains("spec.containers[0].ports"), "names the field: {}", out.text);
    assert_eq!(s.execute("kubectl apply -f -", Some(&pod("nginx:1.26", ""))).text, "pod/p configured");
    let status = |s: &Session| s.sim.get(Kind::Pod, "default", "p").and_then(|o| o.as_pod().map(|p| (p.status.phase.to_string(), p.restarts(), p.status.container_statuses.first().map(|c| c.image.to_string()))));
    // The pod stays Running (never Pending again) while its container restarts.
    for _ in 0..100 {
        s.execute("sleep 0.1", None);
        assert_eq!(status(&s).map(|x| x.0), Some("Running".to_string()));
    }
    assert_eq!(status(&s), Some(("Running".to_string(), 1, Some("docker.io/library/nginx:1.26".to_string()))));
    let described = s.execute("kubectl describe pod p", None).text;
    assert!(described.contains("Container c definition changed, will be restarted") && described.contains("Last State:     Terminated"), "{described}");
    assert!(s.execute("kubectl get pod p", None).text.contains(" 1 (9s ago) "), "{}", s.execute("kubectl get pod p", None).text);
}

#[test]
fn pods_get_the_service_account_token_volume_unless_they_opt_out() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    let pod = |name: &str, extra: &str| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n{extra}  containers:\n  - name: c\n    image: nginx:1.27\n");
    let spec = |s: &Session, name: &str| s.sim.get(Kind::Pod, "default", name).and_then(|o| o.as_pod().map(|p| p.spec.clone())).expect("stored");
    assert!(!s.execute("kubectl apply -f -", Some(&pod("p", ""))).is_error);
    let p = spec(&s, "p");
    let volume = p.volumes.first().expect("the token volume").name.to_string();
    assert!(volume.starts_with("kube-api-access-") && volume.len() == "kube-api-access-".len() + 5, "{volume}");
    let mount = p.containers[0].volume_mounts.first().expect("mounted");
    assert_eq!((mount.name.as_str(), mount.mount_path.as_str(), mount.read_only), (volume.as_str(), "/var/run/secrets/kubernetes.io/serviceaccount", true));
    let yaml = s.execute("kubectl get pod p -o yaml", None).text;
    assert!(yaml.contains("    projected:\n      defaultMode: 420\n      sources:\n      - serviceAccountToken:\n          expirationSeconds: 3607\n          path: token\n"), "{yaml}");
    let described = s.execute("kubectl describe pod p", None).text;
    assert!(described.contains(&format!("    Mounts:\n      /var/run/secrets/kubernetes.io/serviceaccount from {volume} (ro)\n")), "{described}");
    assert!(described.contains("    TokenExpirationSeconds:  3607\n    ConfigMapName:           kube-root-ca.crt\n"), "{described}");
    // Applying the same manifest again keeps what admission added: nothing to change.
    assert_eq!(s.execute("kubectl apply -f -", Some(&pod("p", ""))).text, "pod/p unchanged");
    assert_eq!(spec(&s, "p").volumes.len(), 1);
    // Opting out: no volume, no mount.
    assert!(!s.execute("kubectl apply -f -", Some(&pod("q", "  automountServiceAccountToken: false\n"))).is_error);
    let q = spec(&s, "q");
    assert!(q.volumes.is_empty() && q.containers[0].volume_mounts.is_empty());
    // A mount must name one of the pod's volumes.
    let bad = format!("{}    volumeMounts:\n    - name: data\n      mountPath: /data\n", pod("r", ""));
    let out = s.execute("kubectl apply -f -", Some(&bad));
    assert!(out.is_error && out.text.contains("spec.containers[0].volumeMounts[0].name: Not found: \"data\""), "{}", out.text);
    assert!(s.sim.get(Kind::Pod, "default", "r").is_none());
}

#[test]
fn describe_node_shows_its_lease_system_info_and_what_its_pods_request() {
    let mut s = Session::new(SimConfig { nodes: 1, ..Default::default() });
    let pod = |name: &str| format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    resources:\n      requests: {{cpu: 250m, memory: 64Mi}}\n      limits: {{cpu: '1', memory: 128Mi}}\n");
    for name in ["a", "b"] {
        assert!(!s.execute("kubectl apply -f -", Some(&pod(name))).is_error);
    }
    s.execute("sleep 10", None);
    let d = s.execute("kubectl describe node node-1", None).text;
    // The node has 2 CPUs and 4Gi: each pod asks 12% of the CPU and 1% of the memory.
    assert!(d.contains("  default                     a       250m (12%)    1 (50%)     64Mi (1%)        128Mi (3%)     10s\n"), "{d}");
    assert!(d.contains("  cpu                500m (25%)  2 (100%)\n  memory             128Mi (3%)  256Mi (6%)\n"), "{d}");
    assert!(d.contains("Lease:\n  HolderIdentity:  node-1\n  AcquireTime:     <unset>\n"), "{d}");
    assert!(d.contains("  Kubelet Version:            v1.32.0\n  Kube-Proxy Version:         v1.32.0\nPodCIDR:                      10.244.1.0/24\n"), "{d}");
    assert!(d.contains("  Ready            True    Thu, 01 Jan 2026 "), "the conditions table: {d}");
}

#[test]
fn a_limit_without_a_request_is_the_request_the_scheduler_counts() {
    let mut s = Session::new(SimConfig { nodes: 2, node_cpu: "2".into(), ..Default::default() });
    let manifest = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: big\nspec:\n  replicas: 5\n  selector:\n    matchLabels: {app: big}\n  template:\n    metadata:\n      labels: {app: big}\n    spec:\n      containers:\n      - name: c\n        image: nginx:1.27\n        resources:\n          limits: {cpu: '1', memory: 256Mi}\n";
    assert!(!s.execute("kubectl apply -f -", Some(manifest)).is_error);
    s.execute("sleep 10", None);
    // Two nodes of 2 CPUs hold four pods that each request the 1 CPU they are limited to.
    let running = s.sim.pods().filter(|p| p.status.phase == "Running").count();
    assert_eq!(running, 4);
    let events = s.execute("kubectl get events --field-selector reason=FailedScheduling", None).text;
    assert!(events.contains("0/2 nodes are available: 2 Insufficient cpu."), "{events}");
    // The pods carry the requests; their template does not (SetDefaults_Pod is for pods).
    let pod = s.sim.pods().next().expect("a pod").clone();
    assert_eq!(pod.spec.containers[0].resources.requests.get("cpu").map(|q| q.as_str()), Some("1"));
    assert_eq!(pod.status.qos_class.as_str(), "Guaranteed");
    let template = s.execute("kubectl get deploy big -o yaml", None).text;
    assert!(!template.contains("requests"), "{template}");
    // describe by label, and by name prefix when no object has that exact name.
    align_to_second(&mut s);
    let by_label = s.execute("kubectl describe pods -l app=big", None).text;
    let by_prefix = s.execute("kubectl describe pod big", None).text;
    assert_eq!(by_label.matches("\nQoS Class:").count(), 5);
    assert_eq!(by_label, by_prefix);
    assert_eq!(s.execute("kubectl describe pods -l app=none", None).text, "No resources found in default namespace.");
    let missing = s.execute("kubectl describe pod none", None);
    assert!(missing.is_error && missing.text.contains("pods \"none\" not found"), "{}", missing.text);
}

#[test]
fn annotate_sets_and_removes_annotations_and_refuses_to_overwrite_unless_asked() {
    let mut s = Session::new(SimConfig::default());
    assert!(!s.execute("kubectl create deployment web --image=nginx:1.27", None).is_error);
    let annotations = |s: &Session| s.sim.get(Kind::Deployment, "default", "web").map(|o| o.meta().annotations.get("team").map(|v| v.to_string())).expect("stored");
    assert_eq!(s.execute("kubectl annotate deployment web team=blue", None).text, "deployment.apps/web annotated");
    let refused = s.execute("kubectl annotate deployment web team=red", None);
    assert!(refused.is_error && refused.text == "error: --overwrite is false but found the following declared annotation(s): 'team' already has a value (blue)", "{}", refused.text);
    s.execute("sleep 5", None);
    // The controllers' status writes keep it.
    assert_eq!(annotations(&s), Some("blue".into()));
    assert_eq!(s.execute("kubectl annotate deploy/web team=red --overwrite", None).text, "deployment.apps/web annotated");
    assert_eq!(annotations(&s), Some("red".into()));
    assert_eq!(s.execute("kubectl annotate deploy web team-", None).text, "deployment.apps/web annotated");
    assert_eq!(annotations(&s), None);
}

#[test]
fn configmaps_and_service_accounts_exist_and_apply_compares_their_data() {
    let mut s = Session::new(SimConfig::default());
    // What every namespace of a fresh cluster has, and pods' token volumes name.
    assert_eq!(s.execute("kubectl get sa", None).text, "NAME      SECRETS   AGE\ndefault   0         0s");
    assert!(s.execute("kubectl get cm -n kube-system kube-root-ca.crt -o yaml", None).text.contains("ca.crt: |\n    -----BEGIN CERTIFICATE-----"));
    let cm = |mode: &str| format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app\ndata:\n  mode: {mode}\n");
    assert_eq!(s.execute("kubectl apply -f -", Some(&cm("fast"))).text, "configmap/app created");
    assert_eq!(s.execute("kubectl apply -f -", Some(&cm("fast"))).text, "configmap/app unchanged");
    assert_eq!(s.execute("kubectl apply -f -", Some(&cm("slow"))).text, "configmap/app configured");
    let data = s.sim.get(Kind::ConfigMap, "default", "app").map(|o| o.to_value()["data"]["mode"].clone());
    assert_eq!(data, Some(serde_json::json!("slow")));
    assert_eq!(s.execute("kubectl create configmap env --from-literal=a=1 --from-literal=b=2", None).text, "configmap/env created");
    assert!(s.execute("kubectl get cm env", None).text.contains("env    2      "), "{}", s.execute("kubectl get cm env", None).text);
    // A namespace created now gets both from kube-controller-manager, shortly after.
    assert_eq!(s.execute("kubectl create namespace team", None).text, "namespace/team created");
    s.execute("sleep 1", None);
    assert!(s.sim.get(Kind::ServiceAccount, "team", "default").is_some() && s.sim.get(Kind::ConfigMap, "team", "kube-root-ca.crt").is_some());
    // Deleted, they are made again (new objects, new uids).
    let uid = |s: &Session, k: Kind, n: &str| s.sim.get(k, "team", n).map(|o| o.meta().uid.to_string());
    let (sa, cm) = (uid(&s, Kind::ServiceAccount, "default"), uid(&s, Kind::ConfigMap, "kube-root-ca.crt"));
    assert!(!s.execute("kubectl delete sa default -n team", None).is_error);
    assert!(!s.execute("kubectl delete cm kube-root-ca.crt -n team", None).is_error);
    s.execute("sleep 1", None);
    let (sa2, cm2) = (uid(&s, Kind::ServiceAccount, "default"), uid(&s, Kind::ConfigMap, "kube-root-ca.crt"));
    assert!(sa2.is_some() && cm2.is_some() && sa2 != sa && cm2 != cm, "{sa:?} {sa2:?} {cm:?} {cm2:?}");
    // The ServiceAccount admission plugin: a pod's account must exist.
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: team\nspec:\n  serviceAccountName: robot\n  containers:\n  - {name: c, image: nginx}\n";
    let out = s.execute("kubectl apply -f -", Some(pod));
    assert!(out.is_error && out.text.contains("pods \"p\" is forbidden: error looking up service account team/robot: serviceaccount \"robot\" not found"), "{}", out.text);
    assert!(!s.execute("kubectl create serviceaccount robot -n team", None).is_error);
    assert_eq!(s.execute("kubectl apply -f -", Some(pod)).text, "pod/p created");
}

#[test]
fn endpoints_record_the_time_of_the_change_that_led_to_them() {
    let mut s = Session::new(SimConfig::default());
    let ready_times = |s: &Session| -> Vec<String> {
        let mut t: Vec<String> = s.sim.pods().filter_map(|p| p.status.conditions.iter().find(|c| c.type_ == "Ready").and_then(|c| c.last_transition_time)).map(|t| t.rfc3339()).collect();
        t.sort();
        t
    };
    let trigger = |s: &Session| s.sim.get(Kind::Endpoints, "default", "web").and_then(|o| o.meta().annotations.get("endpoints.kubernetes.io/last-change-trigger-time").map(|v| v.to_string()));
    assert!(!s.execute("kubectl create deployment web --image=nginx:1.27 --replicas=2", None).is_error);
    s.execute("sleep 10", None);
    assert!(!s.execute("kubectl expose deployment web --port=80", None).is_error);
    s.execute("sleep 2", None);
    // The first sync counts every pod and the Service: the earliest is the first pod's readiness.
    let before = ready_times(&s);
    assert_eq!(trigger(&s), before.first().cloned());
    assert!(!s.execute("kubectl scale deployment web --replicas=3", None).is_error);
    s.execute("sleep 10", None);
    // Then only what changed: the new pod becoming ready.
    let new_one = ready_times(&s).into_iter().find(|t| !before.contains(t));
    assert!(new_one.is_some() && trigger(&s) == new_one, "{:?} vs {new_one:?}", trigger(&s));
}

#[test]
fn a_big_scale_up_aggregates_the_replicaset_events_like_client_go() {
    let mut s = Session::new(SimConfig { nodes: 3, ..Default::default() });
    for l in ["kubectl create deployment web --image=nginx:1.27 --replicas=40", "kubectl rollout status deployment/web", "sleep 30"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let out = s.execute("kubectl describe rs", None).text;
    let created: Vec<&str> = out.lines().filter(|l| l.contains("SuccessfulCreate")).collect();
    assert_eq!(created.len(), 10, "nine single events and one combined: {out}");
    let combined = created.last().unwrap();
    assert!(combined.contains("(combined from similar events): Created pod: web-"), "{out}");
    // 25 events pass the spam filter: 9 single ones, then the combined one created and updated 15 times.
    assert!(combined.contains("(x16 over "), "{out}");
}

#[test]
fn a_service_in_front_of_many_pods_keeps_up_and_its_endpoints_stop_at_1000() {
    // 1,200 pods behind one Service: the endpoints controller and every kube-proxy must not do
    // work per pod per change (this took minutes), and Endpoints keeps 1,000 addresses with the
    // over-capacity annotation, as the real controller does.
    let mut s = Session::new(SimConfig { nodes: 12, node_cpu: "64".into(), node_memory: "256Gi".into(), ..Default::default() });
    for l in ["kubectl create deployment web --image=nginx:1.27 --replicas=2", "kubectl expose deployment web --port=80", "kubectl rollout status deployment/web"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let ep = s.execute("kubectl get endpoints web", None).text;
    assert!(ep.lines().nth(1).is_some_and(|l| l.split_whitespace().nth(1).is_some_and(|e| e.matches(":80").count() == 2)), "{ep}");
    for l in ["kubectl scale deployment web --replicas=1200", "kubectl rollout status deployment/web", "sleep 5"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let ep = s.execute("kubectl get endpoints web", None).text;
    assert!(ep.contains(":80,") && ep.contains(" + 997 more..."), "three shown, 1,000 kept: {ep}");
    let yaml = s.execute("kubectl get endpoints web -o yaml", None).text;
    assert!(yaml.contains("endpoints.kubernetes.io/over-capacity: truncated"), "{yaml}");
    assert_eq!(yaml.matches("- ip: ").count(), 1000, "{}", &yaml[..yaml.len().min(2000)]);
    // EndpointSlices are not truncated: 1,200 endpoints in slices of at most 100, each pod once.
    let slices: Vec<EndpointSlice> = s.sim.objects(Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()).filter(|e| e.metadata.labels.get("kubernetes.io/service-name").is_some_and(|n| n == "web")).cloned().collect();
    let mut pods: Vec<String> = slices.iter().flat_map(|e| e.endpoints.iter().filter_map(|ep| ep.target_ref.as_ref().map(|r| r.name.to_string()))).collect();
    let total = pods.len();
    pods.sort();
    pods.dedup();
    assert_eq!((slices.len(), total, pods.len()), (12, 1200, 1200));
    assert!(slices.iter().all(|e| e.endpoints.len() <= 100 && e.endpoints.iter().all(|ep| ep.conditions.ready == Some(true))));
    let listed = s.execute("kubectl get endpointslices -l kubernetes.io/service-name=web", None).text;
    assert_eq!(listed.lines().count(), 13, "{listed}");
    assert!(listed.lines().nth(1).is_some_and(|l| l.contains("IPv4") && l.contains(" + 97 more...")), "{listed}");
    // Each kube-proxy rewrote its rules at most about once per simulated second, from the slices.
    let sim = &s.sim;
    let seconds = sim.now().as_secs_f64();
    for n in sim.nodes() {
        assert!((n.proxy.syncs as f64) <= seconds + 2.0, "{} synced {} times in {seconds:.0}s", n.name, n.proxy.syncs);
        let programmed = n.proxy.rules.get("default/web").expect("programmed");
        assert_eq!(programmed.slices.iter().filter_map(|o| o.as_endpoint_slice()).map(|e| e.endpoints.len()).sum::<usize>(), 1200);
    }
    // Scaling back under the capacity drops the annotation.
    for l in ["kubectl scale deployment web --replicas=10", "sleep 30"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let yaml = s.execute("kubectl get endpoints web -o yaml", None).text;
    assert!(!yaml.contains("over-capacity") && yaml.matches("- ip: ").count() == 10, "{yaml}");
    // The emptied slices are deleted; the endpoints left fit in what remains.
    let slices: Vec<EndpointSlice> = s.sim.objects(Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()).filter(|e| e.metadata.labels.get("kubernetes.io/service-name").is_some_and(|n| n == "web")).cloned().collect();
    assert_eq!(slices.iter().map(|e| e.endpoints.len()).sum::<usize>(), 10);
    assert!(slices.iter().all(|e| !e.endpoints.is_empty()), "{:?}", slices.iter().map(|e| e.endpoints.len()).collect::<Vec<_>>());
    // A pod relabeled out of the selector leaves the Endpoints.
    let names = s.execute("kubectl get pods -o name", None).text;
    let pod = names.lines().next().unwrap().trim_start_matches("pod/").to_string();
    assert!(yaml.contains(&format!("Pod/{pod}")) || yaml.contains(&pod), "{yaml}");
    assert!(!s.execute(&format!("kubectl label pod {pod} app=other --overwrite"), None).is_error);
    s.execute("sleep 1", None);
    let yaml = s.execute("kubectl get endpoints web -o yaml", None).text;
    assert!(!yaml.contains(&pod), "{pod} left: {yaml}");
}

#[test]
fn kube_proxy_follows_a_slice_relabelled_to_another_service() {
    // kube-proxy finds a Service's slices by their service-name label: a slice labelled for
    // another Service (by hand, here) moves to that Service's rules, and a deleted one goes.
    let mut s = Session::new(SimConfig::default());
    for l in ["kubectl create deployment web --image=nginx:1.27 --replicas=3", "kubectl expose deployment web --port=80", "kubectl create service clusterip api --tcp=80:80", "kubectl rollout status deployment/web", "sleep 3"] {
        assert!(!s.execute(l, None).is_error, "{l}");
    }
    let slices = |s: &Session, svc: &str| -> Vec<String> { s.sim.nodes()[0].proxy.rules.get(svc).map(|p| p.slices.iter().map(|o| o.name().to_string()).collect()).unwrap_or_default() };
    let web = slices(&s, "default/web");
    // (The api Service selects app=api, no pods: it has one empty placeholder slice.)
    assert_eq!((web.len(), slices(&s, "default/api").len()), (1, 1), "{web:?}");
    let out = s.execute(&format!("kubectl label endpointslice {} kubernetes.io/service-name=api endpointslice.kubernetes.io/managed-by=someone-else --overwrite", web[0]), None);
    assert!(!out.is_error, "{}", out.text);
    s.execute("sleep 3", None);
    assert!(slices(&s, "default/api").contains(&web[0]), "the relabelled slice is api's now: {:?}", slices(&s, "default/api"));
    assert!(!slices(&s, "default/web").contains(&web[0]), "and no longer web's: {:?}", slices(&s, "default/web"));
    assert!(!s.execute(&format!("kubectl delete endpointslice {}", web[0]), None).is_error);
    s.execute("sleep 3", None);
    assert!(!slices(&s, "default/api").contains(&web[0]));
}

#[test]
fn a_label_written_after_the_scheduler_bound_the_pod_keeps_the_binding() {
    // kubectl label reads the pod, then sends a merge patch of its labels. If the scheduler
    // binds the pod in between, the patch applies to the bound pod: an update carrying the
    // pod as read (unbound) would be refused, since a pod's spec may not change.
    use kubesim::sim::message::{ApiReply, ApiRequest, MetaOp, MetaPatch, Verb};
    use kubesim::sim::objects::{Container, Object, ObjectMeta, Pod, PodSpec};
    let mut s = Session::new(SimConfig::default());
    let run = |s: &mut Session, l: &str| assert!(!s.execute(l, None).is_error, "{l}");
    // The pod as the create's answer has it, before the scheduler has seen it.
    let manifest = Pod { metadata: ObjectMeta { name: "lone".into(), namespace: "default".into(), labels: [("run".into(), "lone".into())].into_iter().collect(), ..Default::default() }, spec: std::rc::Rc::new(PodSpec { containers: vec![Container { name: "lone".into(), image: "nginx:1.27".into(), ..Default::default() }].into(), ..Default::default() }), ..Default::default() };
    let unbound = match s.sim.call(ApiRequest::with_object(Verb::Create, Object::Pod(manifest))) {
        Ok(ApiReply::Object(o)) => o,
        other => panic!("{other:?}"),
    };
    assert!(unbound.as_pod().is_some_and(|p| p.spec.node_name.is_empty()), "read before the scheduler binds it");
    run(&mut s, "sleep 5");
    assert!(s.sim.get(Kind::Pod, "default", "lone").and_then(|o| o.as_pod()).is_some_and(|p| !p.spec.node_name.is_empty()));
    let stale_update = s.sim.call(ApiRequest::with_object(Verb::Update, { let mut o = (*unbound).clone(); o.meta_mut().resource_version = Default::default(); o }));
    assert!(stale_update.is_err_and(|e| e.message.contains("pod updates may not change fields")), "the pod as read cannot be written back");
    let mut patch = MetaPatch::request(&unbound, MetaOp::Map { annotations: false, changes: vec![("tier".into(), Some("front".into()))] });
    patch.patch.as_mut().unwrap().uid = Default::default();
    assert!(s.sim.call(patch).is_ok());
    let pod = s.sim.get(Kind::Pod, "default", "lone").and_then(|o| o.as_pod()).cloned().unwrap();
    assert!(pod.metadata.labels.get("tier").is_some_and(|v| v == "front") && pod.metadata.labels.get("run").is_some_and(|v| v == "lone"));
    assert!(!pod.spec.node_name.is_empty(), "still bound");
    let out = s.execute("kubectl label pod lone tier- app=x", None);
    assert_eq!(out.text, "pod/lone labeled");
    assert!(s.sim.get(Kind::Pod, "default", "lone").is_some_and(|o| o.meta().labels.get("tier").is_none() && o.meta().labels.get("app").is_some_and(|v| v == "x")));
}

/// kubectl's changes reach the API server as patches of what they change, applied to the
/// object as it is then; a cordoned node gets its taint from the node lifecycle controller.
#[test]
fn kubectl_sends_its_changes_as_patches() {
    use kubesim::sim::message::Component;
    use kubesim::sim::trace::MessageKind;
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    let run = |s: &mut Session, l: &str| s.execute(l, None).text;
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=2");
    run(&mut s, "sleep 20s");
    let kubectl_patches = |s: &Session| -> Vec<String> { s.sim.trace().entries().iter().filter(|e| e.kind == MessageKind::Request && e.from == Component::User && e.verb == "PATCH").map(|e| e.summary.clone()).collect() };
    let updates_by_user = |s: &Session| s.sim.trace().entries().iter().filter(|e| e.kind == MessageKind::Request && e.from == Component::User && e.verb.starts_with("UPDATE")).count();

    assert_eq!(run(&mut s, "kubectl scale deployment web --replicas=3"), "deployment.apps/web scaled");
    assert_eq!(kubectl_patches(&s).last().map(String::as_str), Some(r#"patch deployments/default/web/scale (merge): {"spec":{"replicas":3}}"#));

    assert_eq!(run(&mut s, "kubectl cordon node-1"), "node/node-1 cordoned");
    assert_eq!(kubectl_patches(&s).last().map(String::as_str), Some(r#"patch nodes/node-1 (strategic): {"spec":{"unschedulable":true}}"#));
    run(&mut s, "sleep 1s");
    // The node lifecycle controller adds the taint, stamped with the time it did.
    let taints = run(&mut s, "kubectl get node node-1 -o jsonpath={.spec.taints}");
    assert!(taints.contains(r#""key":"node.kubernetes.io/unschedulable""#) && taints.contains("timeAdded"), "{taints}");
    assert!(s.sim.trace().entries().iter().any(|e| e.from == Component::Controller(kubesim::sim::message::ControllerKind::NodeLifecycle) && e.kind == MessageKind::Request && e.key.contains("node-1")), "the controller's write");
    assert_eq!(run(&mut s, "kubectl uncordon node-1"), "node/node-1 uncordoned");
    assert_eq!(kubectl_patches(&s).last().map(String::as_str), Some(r#"patch nodes/node-1 (strategic): {"spec":{"unschedulable":null}}"#));
    run(&mut s, "sleep 1s");
    assert_eq!(run(&mut s, "kubectl get node node-1 -o jsonpath={.spec.taints}"), "");

    assert_eq!(run(&mut s, "kubectl taint nodes node-2 dedicated=db:NoSchedule"), "node/node-2 tainted");
    assert!(kubectl_patches(&s).last().is_some_and(|p| p.starts_with(r#"patch nodes/node-2 (strategic): {"spec":{"taints":[{"effect":"NoSchedule","key":"dedicated","value":"db"}]}}"#)), "{:?}", kubectl_patches(&s));
    assert_eq!(run(&mut s, "kubectl set image deployment/web nginx=nginx:1.28"), "deployment.apps/web image updated");
    // (Only the changed container, by its name, as kubectl's strategic merge patch names it.)
    assert!(kubectl_patches(&s).last().is_some_and(|p| p.starts_with(r#"patch deployments/default/web (strategic): {"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"nginx"}],"containers":[{"image":"nginx:1.28","name":"nginx"}]}}}}"#)), "{:?}", kubectl_patches(&s));
    assert_eq!(run(&mut s, "kubectl rollout pause deployment/web"), "deployment.apps/web paused");
    assert_eq!(kubectl_patches(&s).last().map(String::as_str), Some(r#"patch deployments/default/web (strategic): {"spec":{"paused":true}}"#));
    // (kubectl patch sends the patch it was given, of its type.)
    assert_eq!(run(&mut s, r#"kubectl patch deployment web --type=json -p '[{"op":"replace","path":"/spec/paused","value":false}]'"#), "deployment.apps/web patched");
    assert_eq!(kubectl_patches(&s).last().map(String::as_str), Some(r#"patch deployments/default/web (json): [{"op":"replace","path":"/spec/paused","value":false}]"#));
    assert_eq!(updates_by_user(&s), 0, "kubectl sent no whole object");

    // A resourceVersion in a patch is a precondition.
    assert_eq!(
        run(&mut s, r#"kubectl patch deployment web --type=merge -p '{"metadata":{"resourceVersion":"1"},"spec":{"replicas":1}}'"#),
        "Error from server (Conflict): Operation cannot be fulfilled on deployments.apps \"web\": the object has been modified; please apply your changes to the latest version and try again"
    );
    assert_eq!(s.sim.get(Kind::Deployment, "default", "web").and_then(|o| o.as_deployment().and_then(|d| d.spec.replicas)), Some(3));
}

/// The race kubectl's patches avoid: kubectl reads a node, the node lifecycle controller (or
/// anyone) writes it, then kubectl's change lands. A patch of what kubectl changed keeps the
/// other write; the whole object kubectl read would have undone it.
#[test]
fn a_patch_made_from_a_stale_read_keeps_what_was_written_since() {
    use kubesim::sim::message::{MetaOp, MetaPatch};
    use kubesim::sim::patch::{diff, PatchType};
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    s.execute("sleep 1s", None);
    let read = s.sim.get(Kind::Node, "", "node-1").cloned().expect("node-1");
    // Someone else's write, after kubectl's read.
    s.sim.call(MetaPatch::client(Kind::Node, "", "node-1", MetaOp::Map { annotations: false, changes: vec![("zone".into(), Some("a".into()))] })).expect("labelled");
    let mut wanted = read.to_value();
    wanted["spec"]["unschedulable"] = serde_json::Value::Bool(true);
    let changes = diff(&read.to_value(), &wanted);
    assert_eq!(changes.to_string(), r#"{"spec":{"unschedulable":true}}"#);
    s.sim.call(MetaPatch::client(Kind::Node, "", "node-1", MetaOp::Document(PatchType::Merge, std::rc::Rc::new(changes)))).expect("patched");
    let node = s.sim.get(Kind::Node, "", "node-1").and_then(|o| o.as_node().cloned()).expect("node-1");
    assert!(node.spec.unschedulable);
    assert_eq!(node.metadata.labels.get("zone").map(|v| v.as_str()), Some("a"), "the label written since kubectl's read stays");
}

/// `--dry-run=server` goes to the API server, which runs its whole create path and answers
/// the object as it would store it (uid, creationTimestamp, defaults, admission), but
/// writes nothing.
#[test]
fn a_server_dry_run_is_answered_by_the_api_server_and_stores_nothing() {
    use kubesim::sim::message::Component;
    use kubesim::sim::trace::MessageKind;
    let mut s = Session::new(SimConfig::default());
    let run = |s: &mut Session, l: &str| s.execute(l, None).text;
    let revision = s.sim.etcd().revision();
    let yaml = run(&mut s, "kubectl run probe --image=nginx:1.27 --dry-run=server -o yaml");
    for field in ["uid: ", "creationTimestamp: \"", "serviceAccountName: default", "kube-api-access-", "imagePullPolicy: IfNotPresent"] {
        assert!(yaml.contains(field), "{field} in {yaml}");
    }
    assert!(!yaml.contains("resourceVersion"), "{yaml}");
    assert_eq!(s.sim.etcd().revision(), revision, "nothing written");
    assert!(s.sim.get(Kind::Pod, "default", "probe").is_none());
    assert!(s.sim.trace().entries().iter().any(|e| e.kind == MessageKind::Request && e.from == Component::User && e.summary == "create pods/default/probe (dry run)"));
    assert_eq!(run(&mut s, "kubectl create deployment web --image=nginx --dry-run=server"), "deployment.apps/web created (server dry run)");
    assert!(s.sim.get(Kind::Deployment, "default", "web").is_none());
    // What a real create would be refused for, a dry run is refused for too.
    run(&mut s, "kubectl create deployment web --image=nginx");
    assert_eq!(run(&mut s, "kubectl create deployment web --image=nginx --dry-run=server"), "error: failed to create deployment: deployments.apps \"web\" already exists");
    assert_eq!(run(&mut s, "kubectl run bad --image=nginx -n nowhere --dry-run=server"), "Error from server (NotFound): namespaces \"nowhere\" not found");
    // A Service's address is not kept by a dry run: the real create may get it.
    let ip = |yaml: &str| yaml.lines().find_map(|l| l.trim().strip_prefix("clusterIP: ")).map(str::to_string);
    let dry = ip(&run(&mut s, "kubectl create service clusterip db --tcp=5432 --dry-run=server -o yaml"));
    let dry = dry.expect("an address");
    assert_eq!(run(&mut s, &format!("kubectl create service clusterip db --tcp=5432 --clusterip={dry}")), "service/db created", "the address was given back");
}

/// `kubectl drain` cordons the node, then evicts each pod through the Eviction API
/// (POST pods/NAME/eviction), which deletes it gracefully; its ReplicaSet replaces it elsewhere.
#[test]
fn drain_evicts_each_pod_through_the_eviction_api() {
    use kubesim::sim::message::Component;
    use kubesim::sim::trace::MessageKind;
    let mut s = Session::new(SimConfig { nodes: 2, ..Default::default() });
    let run = |s: &mut Session, l: &str| s.execute(l, None).text;
    run(&mut s, "kubectl create deployment web --image=nginx:1.27 --replicas=4");
    run(&mut s, "sleep 20s");
    let on_node_1: Vec<String> = s.sim.pods().filter(|p| p.spec.node_name == "node-1").map(|p| p.metadata.name.to_string()).collect();
    assert!(!on_node_1.is_empty());
    let out = run(&mut s, "kubectl drain node-1");
    assert!(out.ends_with("node/node-1 drained"), "{out}");
    let requests: Vec<(String, String)> = s.sim.trace().entries().iter().filter(|e| e.kind == MessageKind::Request && e.from == Component::User).map(|e| (e.verb.clone(), e.summary.clone())).collect();
    for pod in &on_node_1 {
        assert!(requests.contains(&("CREATE eviction".to_string(), format!("evict pod default/{pod}"))), "{pod}: {requests:?}");
    }
    assert!(!requests.iter().any(|(verb, _)| verb == "DELETE"), "{requests:?}");
    run(&mut s, "sleep 20s");
    assert_eq!(s.sim.pods().filter(|p| p.spec.node_name == "node-2" && p.status.phase == "Running").count(), 4);
    assert_eq!(run(&mut s, "kubectl get pods --field-selector spec.nodeName=node-1"), "No resources found in default namespace.");
}

/// A pod no node fits waits in the unschedulable queue: a node's heartbeat does not send it back
/// to be scheduled again, a change that may help (a new label) does, and so do 5 minutes of
/// waiting (podMaxInUnschedulablePodsDuration). Each attempt counts up its FailedScheduling event.
#[test]
fn an_unschedulable_pod_is_retried_when_a_node_changes_in_a_way_that_may_help_or_after_five_minutes() {
    use kubesim::sim::message::{ApiRequest, Verb};
    use kubesim::sim::objects::Object;
    let mut s = Session::new(SimConfig { nodes: 1, node_cpu: "2".into(), ..Default::default() });
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: big\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n    resources:\n      requests: {cpu: '3'}\n";
    assert!(!s.execute("kubectl apply -f -", Some(manifest)).is_error);
    let attempts = |s: &mut Session| s.execute("kubectl get events --field-selector reason=FailedScheduling -o jsonpath={.items[*].count}", None).text;
    s.execute("sleep 10s", None);
    assert_eq!(attempts(&mut s), "1");
    // A heartbeat: every condition as it was, with a new heartbeat time.
    let mut node = s.sim.get(Kind::Node, "", "node-1").and_then(|o| o.as_node().cloned()).expect("node-1");
    for c in node.status.conditions.iter_mut() {
        c.last_heartbeat_time = Some(s.sim.now());
    }
    node.metadata.resource_version.clear();
    s.sim.call(ApiRequest::with_object(Verb::UpdateStatus, Object::Node(node))).expect("status posted");
    s.execute("sleep 10s", None);
    assert_eq!(attempts(&mut s), "1", "a heartbeat changes nothing a pod needs");
    s.execute("kubectl label node node-1 disk=ssd", None);
    s.execute("sleep 10s", None);
    assert_eq!(attempts(&mut s), "2", "a new label may help: tried again");
    s.execute("sleep 330s", None);
    assert_eq!(attempts(&mut s), "3", "after 5 minutes unschedulable: tried again");
}
