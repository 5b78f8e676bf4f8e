//! kubectl: each command parses its flags like cobra does, talks to the simulated API server
//! through `Sim::call` (so every request shows in the trace), and prints what kubectl 1.32
//! prints.

use crate::sim::message::{Propagation, FOREGROUND_FINALIZER, ORPHAN_FINALIZER};
use serde_json::{json, Value};

use super::args::{flag, parse, FlagSpec, Parsed};
use super::printers::{human_duration, table};
use super::yaml;
use crate::sim::message::{ApiReply, ApiRequest, StatusReason, Verb};
use crate::sim::objects::*;
use crate::sim::message::{MetaOp, MetaPatch};
use crate::sim::patch::{self, cannot_decode, go_format, merge_key, PatchType};
use crate::sim::validation::MAX_REPLICAS;
use crate::sim::{ApiError, Sim, SimDuration};

pub type CmdResult = Result<String, String>;

const COMMANDS: &[&str] = &["create", "run", "apply", "replace", "diff", "get", "describe", "events", "scale", "set", "patch", "delete", "cordon", "uncordon", "drain", "taint", "label", "annotate", "expose", "wait", "rollout", "logs", "version", "help", "api-resources", "api-versions", "cluster-info"];

/// `Error from server (NotFound): ...`, or kubectl's own wording for invalid objects.
pub fn server_error(e: &ApiError) -> String {
    match e.reason {
        StatusReason::Invalid if !e.kind.is_empty() => {
            let body = e.message.split_once(" is invalid: ").map(|(_, b)| b).unwrap_or(&e.message);
            format!("The {} {:?} is invalid: {}", e.kind, e.name, body)
        }
        StatusReason::Unknown => format!("Error from server: {}", e.message),
        r => format!("Error from server ({}): {}", r.name(), e.message),
    }
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            cur.push((prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

/// kubectl 1.32's other commands: real ones kubesim does not simulate, which it says so of
/// rather than calling them unknown.
const REAL_COMMANDS: &[&str] = &[
    "explain", "edit", "autoscale", "certificate", "attach", "exec", "port-forward", "proxy", "cp", "auth",
    "debug", "kustomize", "completion", "alpha", "config", "plugin", "options",
];

/// The answer to a real kubectl command kubesim does not simulate.
pub fn not_simulated(cmd: &str) -> String {
    let what = match cmd.split(' ').next().unwrap_or(cmd) {
        "attach" | "exec" | "port-forward" | "proxy" | "cp" | "debug" => "kubesim simulates the control plane, not the processes inside containers, so there is nothing to connect to",
        _ => "kubesim does not simulate it (yet)",
    };
    format!("error: kubectl {cmd}: {what}. `kubectl help` lists the commands it knows.")
}

pub fn unknown_command(cmd: &str, parent: &str, known: &[&str]) -> String {
    let mut s = format!("error: unknown command {cmd:?} for {parent:?}");
    let close: Vec<&&str> = known.iter().filter(|k| levenshtein(cmd, k) <= 2 || k.starts_with(cmd)).collect();
    if !close.is_empty() {
        s.push_str("\n\nDid you mean this?\n");
        for k in close {
            s.push_str(&format!("\t{k}\n"));
        }
    }
    s.push_str(&format!("\nRun '{parent} --help' for usage."));
    s
}

/// Resource names kubectl accepts, with short names and plurals.
pub fn resolve_kind(s: &str) -> Option<Kind> {
    let s = s.to_lowercase();
    let base = s.split('.').next().unwrap_or(&s);
    Some(match base {
        "po" | "pod" | "pods" => Kind::Pod,
        "deploy" | "deployment" | "deployments" => Kind::Deployment,
        "rs" | "replicaset" | "replicasets" => Kind::ReplicaSet,
        "no" | "node" | "nodes" => Kind::Node,
        "svc" | "service" | "services" => Kind::Service,
        "ev" | "event" | "events" => Kind::Event,
        "ns" | "namespace" | "namespaces" => Kind::Namespace,
        "ep" | "endpoints" => Kind::Endpoints,
        "endpointslice" | "endpointslices" => Kind::EndpointSlice,
        "lease" | "leases" => Kind::Lease,
        "sa" | "serviceaccount" | "serviceaccounts" => Kind::ServiceAccount,
        "cm" | "configmap" | "configmaps" => Kind::ConfigMap,
        _ => return None,
    })
}

pub(super) fn unknown_resource(s: &str) -> String {
    format!("error: the server doesn't have a resource type {s:?}")
}

pub(super) const NS_FLAGS: [FlagSpec; 2] = [flag("namespace", Some('n'), true), flag("all-namespaces", Some('A'), false)];

pub(super) fn namespace(p: &Parsed) -> String {
    p.get("namespace").unwrap_or("default").to_string()
}

pub(super) fn list(sim: &mut Sim, kind: Kind, ns: &str, selector: Option<LabelSelector>) -> Result<Vec<ObjectRc>, String> {
    list_at(sim, kind, ns, selector).map(|(items, _)| items)
}

/// A list and the revision it was read at (where a watch of it would start).
fn list_at(sim: &mut Sim, kind: Kind, ns: &str, selector: Option<LabelSelector>) -> Result<(Vec<ObjectRc>, u64), String> {
    let mut req = ApiRequest::new(Verb::List, kind, if kind.namespaced() { ns } else { "" }, "");
    req.label_selector = selector;
    match sim.call(req) {
        Ok(ApiReply::List { items, revision }) => Ok((items, revision)),
        Ok(_) => Ok((vec![], sim.etcd().revision())),
        Err(e) => Err(server_error(&e)),
    }
}

/// `TYPE/NAME` or `TYPE NAME`, as scale and expose take them.
pub(super) fn resource_and_name(p: &Parsed) -> Result<(Kind, String), String> {
    const NO_NAME: &str = "error: resource(s) were provided, but no name was specified";
    let what = p.positional.first().ok_or(NO_NAME)?;
    let (k, name) = match what.split_once('/') {
        Some((k, n)) => (k.to_string(), n.to_string()),
        None => (what.clone(), p.positional.get(1).cloned().ok_or(NO_NAME)?),
    };
    Ok((resolve_kind(&k).ok_or_else(|| unknown_resource(&k))?, name))
}

pub(super) fn get_one(sim: &mut Sim, kind: Kind, ns: &str, name: &str) -> Result<ObjectRc, String> {
    match sim.call(ApiRequest::new(Verb::Get, kind, if kind.namespaced() { ns } else { "" }, name)) {
        Ok(ApiReply::Object(o)) => Ok(o),
        Ok(_) => Err("error: unexpected answer".into()),
        Err(e) => Err(server_error(&e)),
    }
}

/// `-l app=web,tier!=x` (equality-based selectors).
pub fn parse_selector(s: &str) -> Result<LabelSelector, String> {
    let mut sel = LabelSelector::default();
    // The requirements, split on the commas outside parentheses (`app in (web,api),tier`).
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    for part in parts.into_iter().map(str::trim).filter(|p| !p.is_empty()) {
        // Set-based: `key in (a,b)`, `key notin (a)`.
        let set = [(" in ", "In"), (" notin ", "NotIn")].into_iter().find_map(|(word, op)| part.split_once(word).map(|(k, v)| (k.trim(), v.trim(), op)));
        if let Some((k, v, op)) = set {
            let values = v.strip_prefix('(').and_then(|v| v.strip_suffix(')')).ok_or_else(|| format!("error: unable to parse requirement: found '{v}', expected: '('"))?;
            let values: Vec<Str> = values.split(',').map(str::trim).filter(|v| !v.is_empty()).map(Str::new).collect();
            sel.match_expressions.push(LabelSelectorRequirement { key: k.into(), operator: op.into(), values });
        } else if let Some((k, v)) = part.split_once("!=") {
            sel.match_expressions.push(LabelSelectorRequirement { key: k.trim().into(), operator: "NotIn".into(), values: vec![v.trim().into()] });
        } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
            sel.match_labels.insert(k.trim().into(), v.trim().into());
        } else if let Some(k) = part.strip_prefix('!') {
            sel.match_expressions.push(LabelSelectorRequirement { key: k.into(), operator: "DoesNotExist".into(), values: vec![] });
        } else if part.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
            sel.match_expressions.push(LabelSelectorRequirement { key: part.into(), operator: "Exists".into(), values: vec![] });
        } else {
            return Err(format!("error: unable to parse requirement: found '{part}', expected: '=', '!=', '==', 'in', notin'"));
        }
    }
    Ok(sel)
}

pub fn run(sim: &mut Sim, args: &[String], stdin: Option<&str>) -> CmdResult {
    let Some(cmd) = args.first() else { return Ok(help()) };
    let rest = &args[1..];
    // `kubectl delete --help`, `kubectl help delete`, `kubectl rollout status -h`.
    let asked = if cmd == "help" {
        rest
    } else if super::help::wants_help(rest) {
        &args[..if rest.first().is_some_and(|a| !a.starts_with('-')) { 2 } else { 1 }]
    } else {
        &[][..]
    };
    if let Some(first) = asked.first() {
        let two = asked.get(1).map(|second| format!("{first} {second}"));
        let command = match two {
            Some(two) if super::help::command_help(&two).is_some() => two,
            _ => first.clone(),
        };
        if let Some(text) = super::help::command_help(&command) {
            return Ok(text);
        }
        if cmd == "help" {
            return Ok(format!("Unknown help topic [`{first}`]\n\n{}", help()));
        }
    }
    match cmd.as_str() {
        "create" => create(sim, rest, stdin),
        "run" => run_pod(sim, rest),
        "apply" => apply(sim, rest, stdin, Mode::Apply),
        "replace" => apply(sim, rest, stdin, Mode::Replace),
        "diff" => diff(sim, rest, stdin),
        "get" => get(sim, rest),
        "describe" => describe(sim, rest),
        "scale" => scale(sim, rest),
        "set" => super::kubectl_update::set(sim, rest),
        "patch" => super::kubectl_update::patch(sim, rest),
        "delete" => delete(sim, rest, stdin),
        "cordon" => cordon(sim, rest, true),
        "uncordon" => cordon(sim, rest, false),
        "expose" => expose(sim, rest),
        "label" => super::kubectl_ops::label(sim, rest),
        "annotate" => super::kubectl_ops::annotate(sim, rest),
        "taint" => super::kubectl_ops::taint(sim, rest),
        "drain" => super::kubectl_ops::drain(sim, rest),
        "wait" => super::kubectl_ops::wait(sim, rest),
        "rollout" => super::kubectl_ops::rollout(sim, rest),
        "logs" => super::kubectl_ops::logs(sim, rest),
        "events" => events(sim, rest),
        "version" => Ok("Client Version: v1.32.0\nKustomize Version: v5.5.0\nServer Version: v1.32.0 (kubesim)".into()),
        "api-resources" => Ok(api_resources()),
        "api-versions" => {
            let mut versions: Vec<&str> = Kind::ALL.iter().map(|k| k.api_version()).collect();
            versions.sort_unstable();
            versions.dedup();
            Ok(versions.join("\n"))
        }
        "cluster-info" if rest.first().is_some_and(|a| a == "dump") => Err(not_simulated("cluster-info dump")),
        // (No CoreDNS Service here, so only the control plane's line.)
        "cluster-info" => Ok(format!("Kubernetes control plane is running at https://{}:6443\n\nTo further debug and diagnose cluster problems, use 'kubectl cluster-info dump'.", crate::sim::engine::API_SERVER_IP)),
        "help" | "--help" | "-h" => Ok(help()),
        // kind runs no metrics-server, and neither does kubesim: the answer a kind cluster gives.
        "top" => Err("error: Metrics API not available".into()),
        c if REAL_COMMANDS.contains(&c) => Err(not_simulated(c)),
        c => Err(unknown_command(c, "kubectl", COMMANDS)),
    }
}

pub fn help() -> String {
    "kubectl controls the (simulated) Kubernetes cluster manager.\n\n\
Basic Commands:\n  create          Create a resource from a file or from stdin, or a deployment\n  expose          Take a deployment or pod and expose it as a new Kubernetes service\n  run             Run a particular image on the cluster (creates a Pod)\n  get             Display one or many resources\n  delete          Delete resources by file names, stdin, resources and names, or by label selector\n\n\
Deploy Commands:\n  rollout         Manage the rollout of a resource (status, history, pause, resume, restart)\n  scale           Set a new size for a deployment or replica set\n\n\
Cluster Management Commands:\n  cluster-info    Display cluster information\n  cordon          Mark node as unschedulable\n  uncordon        Mark node as schedulable\n  drain           Drain node in preparation for maintenance\n  taint           Update the taints on one or more nodes\n\n\
Troubleshooting and Debugging Commands:\n  describe        Show details of a specific resource or group of resources\n  logs            Print the logs for a container in a pod\n  events          List events\n\n\
Advanced Commands:\n  diff            Diff the live version against a would-be applied version\n  apply           Apply a configuration to a resource by file name or stdin\n  patch           Update fields of a resource\n  replace         Replace a resource by file name or stdin\n  wait            Experimental: Wait for a specific condition on one or many resources\n\n\
Settings Commands:\n  label           Update the labels on a resource\n  set             Set specific features on objects (image)\n  annotate        Update the annotations on a resource\n\n\
Other Commands:\n  api-resources   Print the supported API resources on the server\n  api-versions    Print the supported API versions on the server, in the form of \"group/version\"\n  version         Print the client and server version information\n\n\
Usage:\n  kubectl [flags] [options]".into()
}

fn api_resources() -> String {
    let rows: Vec<Vec<String>> = [
        ("configmaps", "cm", "v1", true, "ConfigMap"), ("endpoints", "ep", "v1", true, "Endpoints"), ("events", "ev", "v1", true, "Event"),
        ("namespaces", "ns", "v1", false, "Namespace"), ("nodes", "no", "v1", false, "Node"), ("pods", "po", "v1", true, "Pod"),
        ("serviceaccounts", "sa", "v1", true, "ServiceAccount"), ("services", "svc", "v1", true, "Service"),
        ("deployments", "deploy", "apps/v1", true, "Deployment"), ("replicasets", "rs", "apps/v1", true, "ReplicaSet"),
        ("leases", "", "coordination.k8s.io/v1", true, "Lease"), ("endpointslices", "", "discovery.k8s.io/v1", true, "EndpointSlice"),
    ]
    .iter()
    .map(|(n, s, v, ns, k)| vec![n.to_string(), s.to_string(), v.to_string(), ns.to_string(), k.to_string()])
    .collect();
    table(&["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"], &rows).trim_end().to_string()
}

pub(super) fn created(o: &ObjectRc, verb: &str) -> String {
    format!("{}/{} {verb}", o.kind().singular_group(), o.name())
}

pub(super) fn submit(sim: &mut Sim, verb: Verb, obj: Object) -> Result<ObjectRc, String> {
    match sim.call(ApiRequest::with_object(verb, obj)) {
        Ok(ApiReply::Object(o)) => Ok(o),
        Ok(_) => Err("error: unexpected answer".into()),
        Err(e) => Err(server_error(&e)),
    }
}

/// `kubectl replace` sends the manifest without a resourceVersion (unless it has one): the
/// API server takes it in place of the object it has, whatever changed in between.
fn unconditional(mut o: Object) -> Object {
    o.meta_mut().resource_version.clear();
    o
}

/// A patch of `cur`, sent as kubectl sends one: no precondition, so the API server applies it
/// to the object it has then (retrying on a lost race). Answers the stored object.
pub(super) fn submit_patch(sim: &mut Sim, cur: &Object, op: MetaOp) -> Result<ObjectRc, String> {
    match sim.call(MetaPatch::client(cur.kind(), cur.namespace(), cur.name(), op)) {
        Ok(ApiReply::Object(o)) => Ok(o),
        Ok(_) => Err("error: unexpected answer".into()),
        Err(e) => Err(server_error(&e)),
    }
}

/// kubectl's cordon, taint, set image, rollout and apply compute the object they want from the
/// one they read, and send the difference as a strategic merge patch (CreateTwoWayMergePatch),
/// so a field a controller wrote since their read is not put back. `next` is the object's JSON
/// as kubectl wants it. Some(the stored object) if anything changed.
pub(super) fn send_changes(sim: &mut Sim, cur: &ObjectRc, next: &Value) -> Result<Option<ObjectRc>, String> {
    let mut changes = patch::strategic_diff(&cur.to_value(), next);
    // (No resourceVersion: that would be a precondition.)
    if let Some(Value::Object(meta)) = changes.get_mut("metadata") {
        meta.remove("resourceVersion");
        if meta.is_empty() {
            changes.as_object_mut().map(|c| c.remove("metadata"));
        }
    }
    if patch::is_empty(&changes) {
        return Ok(None);
    }
    submit_patch(sim, cur, MetaOp::Document(PatchType::Strategic, std::rc::Rc::new(changes))).map(Some)
}

fn container_name(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    let base = last.split([':', '@']).next().unwrap_or(last);
    base.to_lowercase().chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect::<String>().trim_matches('-').to_string()
}

fn create(sim: &mut Sim, args: &[String], stdin: Option<&str>) -> CmdResult {
    match args.first().map(|s| s.as_str()) {
        Some("deployment") | Some("deploy") => {
            let specs = [flag("image", None, true), flag("replicas", Some('r'), true), flag("port", None, true), NS_FLAGS[0], CREATE_OUTPUT[0], CREATE_OUTPUT[1]];
            let p = parse(&args[1..], &specs).map_err(|e| format!("error: {e}"))?;
            let name = p.positional.first().ok_or("error: exactly one NAME is required, got 0")?;
            let images = p.all("image");
            if images.is_empty() {
                return Err("error: required flag(s) \"image\" not set".into());
            }
            let replicas: i32 = match p.get("replicas") {
                None => 1,
                Some(r) => r.parse().map_err(|_| format!("error: invalid argument {r:?} for \"-r, --replicas\" flag: strconv.ParseInt: parsing {r:?}: invalid syntax"))?,
            };
            let port: Option<i32> = match p.get("port") {
                None => None,
                Some(x) => Some(x.parse().map_err(|_| format!("error: invalid argument {x:?} for \"--port\" flag: strconv.ParseInt: parsing {x:?}: invalid syntax"))?),
            };
            let mut labels = Labels::new();
            labels.insert("app".into(), Str::new(&name));
            let containers = images
                .iter()
                .map(|img| Container { name: container_name(img).into(), image: Str::new(&img), ports: port.map(|p| vec![ContainerPort { container_port: p, ..Default::default() }].into()).unwrap_or_default(), ..Default::default() })
                .collect();
            let d = Deployment {
                metadata: ObjectMeta { name: Str::new(&name), namespace: namespace(&p).into(), labels: labels.clone(), ..Default::default() },
                spec: DeploymentSpec {
                    replicas: Some(replicas),
                    selector: LabelSelector { match_labels: labels.clone(), ..Default::default() },
                    template: Box::new(PodTemplateSpec { metadata: ObjectMeta { labels, ..Default::default() }, spec: PodSpec { containers, ..Default::default() } }),
                    ..Default::default()
                },
                status: Default::default(),
            };
            // What kubectl builds, before the API server defaults anything (--dry-run=client).
            let containers: Vec<Value> = images.iter().map(|img| {
                let mut c = json!({"image": img, "name": container_name(img), "resources": {}});
                if let Some(p) = port {
                    c["ports"] = json!([{"containerPort": p}]);
                }
                c
            }).collect();
            let client = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": client_meta(&p, name, Some(json!({"app": name}))), "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "strategy": {}, "template": {"metadata": {"creationTimestamp": null, "labels": {"app": name}}, "spec": {"containers": containers}}}, "status": {}});
            create_and_print(sim, &p, Object::Deployment(Box::new(d)), client, "created", Some("deployment"))
        }
        Some("namespace") | Some("ns") => {
            let p = parse(&args[1..], &CREATE_OUTPUT).map_err(|e| format!("error: {e}"))?;
            let name = p.positional.first().ok_or("error: exactly one NAME is required, got 0")?;
            let client = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"creationTimestamp": null, "name": name}, "spec": {}, "status": {}});
            let ns = Object::Namespace(Namespace { metadata: ObjectMeta { name: Str::new(name), ..Default::default() }, spec: None, status: None });
            create_and_print(sim, &p, ns, client, "created", None)
        }
        Some("configmap") | Some("cm") => {
            let p = parse(&args[1..], &[flag("from-literal", None, true), NS_FLAGS[0], CREATE_OUTPUT[0], CREATE_OUTPUT[1]]).map_err(|e| format!("error: {e}"))?;
            let name = p.positional.first().ok_or("error: exactly one NAME is required, got 0")?;
            let mut data = std::collections::BTreeMap::new();
            for literal in p.all("from-literal") {
                // (kubectl: "invalid literal source a, expected key=value".)
                let (k, v) = literal.split_once('=').filter(|(k, _)| !k.is_empty()).ok_or_else(|| format!("error: invalid literal source {literal}, expected key=value"))?;
                if data.insert(Str::new(k), Str::new(v)).is_some() {
                    return Err(format!("error: cannot add key {k:?}, another key by that name already exists in Data for ConfigMap {name:?}"));
                }
            }
            let mut client = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": client_meta(&p, name, None)});
            if !data.is_empty() {
                client["data"] = string_map(data.iter());
            }
            let cm = ConfigMap { metadata: ObjectMeta { name: Str::new(name), namespace: namespace(&p).into(), ..Default::default() }, data, ..Default::default() };
            create_and_print(sim, &p, Object::ConfigMap(cm), client, "created", Some("configmap"))
        }
        Some("serviceaccount") | Some("sa") => {
            let p = parse(&args[1..], &[NS_FLAGS[0], CREATE_OUTPUT[0], CREATE_OUTPUT[1]]).map_err(|e| format!("error: {e}"))?;
            let name = p.positional.first().ok_or("error: exactly one NAME is required, got 0")?;
            let client = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": client_meta(&p, name, None)});
            let sa = ServiceAccount { metadata: ObjectMeta { name: Str::new(name), namespace: namespace(&p).into(), ..Default::default() }, ..Default::default() };
            create_and_print(sim, &p, Object::ServiceAccount(sa), client, "created", Some("serviceaccount"))
        }
        Some("service") | Some("svc") => create_service(sim, &args[1..]),
        Some(_) if args.iter().any(|a| a == "-f" || a.starts_with("--filename")) => apply(sim, args, stdin, Mode::Create),
        Some(other @ ("clusterrole" | "clusterrolebinding" | "cronjob" | "ingress" | "job" | "poddisruptionbudget" | "priorityclass" | "quota" | "role" | "rolebinding" | "secret" | "token")) => Err(not_simulated(&format!("create {other}"))),
        Some(other) if !other.starts_with('-') => Err(unknown_command(other, "kubectl create", &["configmap", "deployment", "namespace", "serviceaccount"])),
        _ => apply(sim, args, stdin, Mode::Create),
    }
}

/// `kubectl events [--for TYPE/NAME] [--types=Normal,Warning] [-A]`: the Events, oldest first
/// (by last timestamp), each object as Kind/name.
fn events(sim: &mut Sim, args: &[String]) -> CmdResult {
    let p = parse(args, &[NS_FLAGS[0], NS_FLAGS[1], flag("for", None, true), flag("types", None, true), flag("watch", Some('w'), false)]).map_err(|e| format!("error: {e}"))?;
    if p.has("watch") {
        return Err("error: kubesim does not stream `events --watch`; press Play and watch the diagram, or run `kubectl events` again".into());
    }
    let types: Vec<String> = p.get("types").map_or(Vec::new(), |t| t.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect());
    if types.iter().any(|t| !t.eq_ignore_ascii_case("Normal") && !t.eq_ignore_ascii_case("Warning")) {
        return Err("error: valid --types are Normal or Warning".into());
    }
    let target = match p.get("for") {
        None => None,
        Some(f) => {
            let (k, n) = f.split_once('/').filter(|(k, n)| !k.is_empty() && !n.is_empty()).ok_or("error: --for must be in resource/name form")?;
            Some((resolve_kind(k).ok_or_else(|| unknown_resource(k))?, n.to_string()))
        }
    };
    let all_ns = p.has("all-namespaces");
    let ns = namespace(&p);
    let mut found: Vec<ObjectRc> = list(sim, Kind::Event, if all_ns { "" } else { &ns }, None)?
        .into_iter()
        .filter(|o| {
            let Some(e) = o.as_event() else { return false };
            let of = |(k, n): &(Kind, String)| e.involved_object.kind == k.name() && e.involved_object.name == n.as_str();
            target.as_ref().is_none_or(of) && (types.is_empty() || types.iter().any(|t| t.eq_ignore_ascii_case(&e.type_)))
        })
        .collect();
    if found.is_empty() {
        // (On stderr, and not an error.)
        return Ok(if all_ns { "No events found.".into() } else { format!("No events found in {ns} namespace.") });
    }
    found.sort_by_key(|o| o.as_event().map(|e| e.last_timestamp));
    let rows: Vec<Vec<String>> = found
        .iter()
        .filter_map(|o| o.as_event())
        .map(|e| {
            let interval = super::printers::event_interval(sim.now(), e);
            let mut row = if all_ns { vec![e.metadata.namespace.to_string()] } else { Vec::new() };
            row.extend([interval, e.type_.to_string(), e.reason.to_string(), format!("{}/{}", e.involved_object.kind, e.involved_object.name), e.message.trim().to_string()]);
            row
        })
        .collect();
    let header: &[&str] = if all_ns { &["NAMESPACE", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"] } else { &["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"] };
    Ok(table(header, &rows).trim_end().to_string())
}

/// `kubectl create service clusterip|nodeport|loadbalancer NAME --tcp=PORT[:TARGET]...`: a
/// Service selecting `app=NAME`, each port named after its pair, as create_service.go makes it.
fn create_service(sim: &mut Sim, args: &[String]) -> CmdResult {
    const TYPES: [&str; 4] = ["clusterip", "externalname", "loadbalancer", "nodeport"];
    let Some(sub) = args.first() else { return Err(super::help::command_help("create service").unwrap_or_default()) };
    let type_ = match sub.as_str() {
        "clusterip" => "ClusterIP",
        "nodeport" => "NodePort",
        "loadbalancer" => "LoadBalancer",
        "externalname" => return Err(not_simulated("create service externalname")),
        other => return Err(unknown_command(other, "kubectl create service", &TYPES)),
    };
    let p = parse(&args[1..], &[flag("tcp", None, true), flag("node-port", None, true), flag("clusterip", None, true), NS_FLAGS[0], CREATE_OUTPUT[0], CREATE_OUTPUT[1]]).map_err(|e| format!("error: {e}"))?;
    let name = p.positional.first().ok_or("error: exactly one NAME is required, got 0")?;
    let cluster_ip = p.get("clusterip").unwrap_or("");
    let tcp: Vec<String> = p.all("tcp").iter().flat_map(|t| t.split(',').map(str::to_string)).collect();
    if cluster_ip == "None" && type_ != "ClusterIP" {
        return Err("error: ClusterIP=None can only be used with ClusterIP service type".into());
    }
    if cluster_ip != "None" && tcp.is_empty() {
        return Err("error: at least one tcp port specifier must be provided".into());
    }
    let node_port = match p.get("node-port") {
        None => None,
        Some(n) => Some(n.parse::<i32>().map_err(|_| format!("error: invalid argument {n:?} for \"--node-port\" flag: strconv.ParseInt: parsing {n:?}: invalid syntax"))?).filter(|n| *n != 0),
    };
    let mut ports = Vec::new();
    for pair in &tcp {
        let (port, target) = pair.split_once(':').unwrap_or((pair, pair));
        let port: i32 = port.parse().ok().filter(|p| (1..=65535).contains(p)).ok_or_else(|| format!("error: invalid port {port:?}"))?;
        let target = match target.parse::<i32>() {
            Ok(t) if (1..=65535).contains(&t) => Value::from(t),
            Ok(_) => return Err("error: must be between 1 and 65535, inclusive".into()),
            Err(_) => Value::String(target.to_string()),
        };
        ports.push(ServicePort { name: pair.replace(':', "-").into(), protocol: "TCP".into(), port, target_port: Some(target), node_port });
    }
    let mut labels = Labels::new();
    labels.insert("app".into(), Str::new(name));
    let client_ports: Vec<Value> = ports.iter().map(|sp| {
        let mut v = json!({"name": sp.name.as_str(), "port": sp.port, "protocol": "TCP", "targetPort": sp.target_port});
        if let Some(np) = sp.node_port {
            v["nodePort"] = json!(np);
        }
        v
    }).collect();
    let mut client_spec = json!({"selector": {"app": name}, "type": type_});
    if !client_ports.is_empty() {
        client_spec["ports"] = json!(client_ports);
    }
    if !cluster_ip.is_empty() {
        client_spec["clusterIP"] = json!(cluster_ip);
    }
    let client = json!({"apiVersion": "v1", "kind": "Service", "metadata": client_meta(&p, name, Some(json!({"app": name}))), "spec": client_spec, "status": {"loadBalancer": {}}});
    let svc = Service {
        metadata: ObjectMeta { name: Str::new(name), namespace: namespace(&p).into(), labels: labels.clone(), ..Default::default() },
        spec: ServiceSpec { type_: type_.into(), selector: labels, ports, cluster_ip: cluster_ip.into(), ..Default::default() },
        status: None,
    };
    create_and_print(sim, &p, Object::Service(Box::new(svc)), client, "created", Some(&format!("{type_} service")))
}

/// `kubectl create deployment|configmap|serviceaccount|service`: their commands wrap whatever
/// the server says, "failed to create deployment: %v" ("failed to create NodePort service").
/// `--dry-run` and `-o` of the commands that create one object (create, run).
pub(super) const CREATE_OUTPUT: [FlagSpec; 2] = [flag("dry-run", None, true), flag("output", Some('o'), true)];

/// The metadata kubectl writes into an object it builds: `creationTimestamp: null` (a zero
/// time), the name, the labels, and the namespace only when `-n` named one.
fn client_meta(p: &Parsed, name: &str, labels: Option<Value>) -> Value {
    let mut m = json!({"creationTimestamp": null, "name": name});
    if let Some(l) = labels {
        m["labels"] = l;
    }
    if let Some(ns) = p.get("namespace") {
        m["namespace"] = json!(ns);
    }
    m
}

/// Labels, a selector or a ConfigMap's data as the JSON object kubectl builds.
fn string_map<'a>(pairs: impl Iterator<Item = (&'a Str, &'a Str)>) -> Value {
    Value::Object(pairs.map(|(k, v)| (k.to_string(), json!(v.as_str()))).collect())
}

/// JSON as kubectl prints it: indented by four spaces.
pub(super) fn json_pretty(v: &Value) -> String {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    serde::Serialize::serialize(v, &mut ser).map(|_| String::from_utf8(out).unwrap_or_default()).unwrap_or_default()
}

/// Creates `obj` and prints it as `-o` asks. `what` words a failure as `kubectl create TYPE`
/// does ("failed to create deployment: ..."); None, as the API server's error. With
/// `--dry-run=client` it prints `client` (the object as kubectl built it) without sending it;
/// with `--dry-run=server` the API server takes it through its whole create path and answers
/// the object as it would store it, but stores nothing.
fn create_and_print(sim: &mut Sim, p: &Parsed, obj: Object, client: Value, verb: &str, what: Option<&str>) -> CmdResult {
    let output = p.get("output").unwrap_or("");
    let jsonpath = match output.split_once('=') {
        Some(("jsonpath", t)) => Some(super::jsonpath::JsonPath::parse(t).map_err(|e| format!("error: error parsing jsonpath {t}, {e}"))?),
        _ if matches!(output, "" | "yaml" | "json" | "name") => None,
        _ => return Err(format!("error: unable to match a printer suitable for the output format {output:?}, allowed formats are: json,jsonpath,name,yaml")),
    };
    let kind = obj.kind();
    let print = |v: &Value, name: &str, suffix: &str| match (&jsonpath, output) {
        (Some(t), _) => t.execute(v),
        (None, "yaml") => yaml::to_yaml(v).trim_end().to_string(),
        (None, "json") => json_pretty(v),
        (None, "name") => format!("{}/{name}", kind.singular_group()),
        _ => format!("{}/{name} {verb}{suffix}", kind.singular_group()),
    };
    let dry_run = match p.get("dry-run").unwrap_or("none") {
        "none" => false,
        "server" => true,
        "client" => return Ok(print(&client, obj.name(), " (dry run)")),
        v => return Err(format!("error: Invalid dry-run value ({v}). Must be \"none\", \"server\", or \"client\".")),
    };
    let mut req = ApiRequest::with_object(Verb::Create, obj);
    req.dry_run = dry_run;
    match sim.call(req) {
        Ok(ApiReply::Object(o)) => Ok(print(&o.to_value(), o.name(), if dry_run { " (server dry run)" } else { "" })),
        Ok(_) => Err("error: unexpected answer".into()),
        Err(e) => Err(match what {
            Some(what) => format!("error: failed to create {what}: {}", e.message),
            None => server_error(&e),
        }),
    }
}

fn run_pod(sim: &mut Sim, args: &[String]) -> CmdResult {
    let specs = [flag("image", None, true), flag("port", None, true), flag("labels", Some('l'), true), flag("restart", None, true), NS_FLAGS[0], flag("env", None, true), flag("command", None, false), flag("rm", None, false), flag("stdin", Some('i'), false), flag("tty", Some('t'), false), flag("attach", None, false), CREATE_OUTPUT[0], CREATE_OUTPUT[1]];
    let p = match parse(args, &specs) {
        Ok(p) => p,
        Err(e) if e.starts_with("unknown flag: --replicas") => {
            return Err(format!("error: {e}\nSee 'kubectl run --help' for usage.\nhint: `kubectl run` creates a single Pod since Kubernetes 1.18 (--replicas was removed in 1.21); `kubectl create deployment NAME --image=IMAGE --replicas=N` does what it used to do."));
        }
        Err(e) => return Err(format!("error: {e}\nSee 'kubectl run --help' for usage.")),
    };
    let name = p.positional.first().ok_or("error: NAME is required for run")?;
    let image = p.get("image").ok_or("error: required flag(s) \"image\" not set")?;
    let mut labels = Labels::new();
    match p.get("labels") {
        Some(l) => {
            for kv in l.split(',') {
                let (k, v) = kv.split_once('=').ok_or_else(|| format!("error: invalid label spec: {kv}"))?;
                labels.insert(k.into(), v.into());
            }
        }
        None => {
            labels.insert("run".into(), Str::new(&name));
        }
    }
    if ["rm", "stdin", "tty", "attach"].iter().any(|f| p.has(f)) {
        return Err("error: kubectl run -i/-t/--attach/--rm: kubesim simulates the control plane, not the processes inside containers, so there is nothing to attach to (leave them out to create the pod).".into());
    }
    let restart = p.get("restart").unwrap_or("Always");
    if !matches!(restart, "Always" | "OnFailure" | "Never") {
        return Err(format!("error: invalid restart policy: {restart}"));
    }
    let port: Option<i32> = match p.get("port") {
        None => None,
        Some(x) => Some(x.parse().map_err(|_| format!("error: invalid argument {x:?} for \"--port\" flag: strconv.ParseInt: parsing {x:?}: invalid syntax"))?),
    };
    // `--env=K=V`, and what follows NAME (after `--`): args, or the command with --command.
    let mut env = Vec::new();
    for e in p.all("env") {
        let (k, v) = e.split_once('=').ok_or_else(|| format!("error: invalid env: {e}"))?;
        env.push(json!({"name": k, "value": v}));
    }
    let words: Vec<Str> = p.positional[1..].iter().map(|w| Str::new(w)).collect();
    let mut client_container = json!({"image": image, "name": name, "resources": {}});
    if !words.is_empty() {
        client_container[if p.has("command") { "command" } else { "args" }] = json!(words.iter().map(|w| w.as_str()).collect::<Vec<_>>());
    }
    if !env.is_empty() {
        client_container["env"] = json!(env);
    }
    if let Some(port) = port {
        client_container["ports"] = json!([{"containerPort": port}]);
    }
    let client = json!({"apiVersion": "v1", "kind": "Pod", "metadata": client_meta(&p, name, Some(string_map(labels.iter()))), "spec": {"containers": [client_container], "dnsPolicy": "ClusterFirst", "restartPolicy": restart}, "status": {}});
    let mut container = Container { name: Str::new(&name), image: image.into(), ports: port.map(|p| vec![ContainerPort { container_port: p, ..Default::default() }].into()).unwrap_or_default(), ..Default::default() };
    if !env.is_empty() {
        container.env = Some(Box::new(Value::Array(env)));
    }
    if p.has("command") {
        container.command = words.into();
    } else {
        container.args = words.into();
    }
    let pod = Pod {
        metadata: ObjectMeta { name: Str::new(&name), namespace: namespace(&p).into(), labels, ..Default::default() },
        spec: PodSpec { containers: vec![container].into(), restart_policy: restart.into(), ..Default::default() }.into(),
        status: Default::default(),
    };
    create_and_print(sim, &p, Object::Pod(pod), client, "created", None)
}

/// Decodes one manifest document into an object, with kubectl's messages for what is wrong.
pub fn decode(doc: Value, source: &str) -> Result<Object, String> {
    let Value::Object(mut m) = doc else { return Err(format!("error: error validating {source:?}: error validating data: invalid object: expected a mapping")) };
    let kind = match m.remove("kind") {
        Some(Value::String(k)) => k,
        _ => return Err(format!("error: error validating {source:?}: error validating data: kind not set; if you choose to ignore these errors, turn validation off with --validate=false")),
    };
    let api_version = match m.remove("apiVersion") {
        Some(Value::String(v)) => v,
        _ => return Err(format!("error: error validating {source:?}: error validating data: apiVersion not set; if you choose to ignore these errors, turn validation off with --validate=false")),
    };
    let k = Kind::from_name(&kind).ok_or_else(|| format!("error: resource mapping not found for name: {:?} namespace: \"\" from {source:?}: no matches for kind {kind:?} in version {api_version:?}\nensure CRDs are installed first", m.get("metadata").and_then(|md| md.get("name")).and_then(|n| n.as_str()).unwrap_or("")))?;
    if api_version != k.api_version() {
        return Err(format!("error: resource mapping not found for name: {:?} namespace: \"\" from {source:?}: no matches for kind {kind:?} in version {api_version:?}\nensure CRDs are installed first", m.get("metadata").and_then(|md| md.get("name")).and_then(|n| n.as_str()).unwrap_or("")));
    }
    Object::from_value(k, Value::Object(m)).map_err(|e| format!("Error from server (BadRequest): error when creating {source:?}: {}", cannot_decode(k, &e)))
}

/// What `-f` manifests are for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Create,
    /// Client-side apply: create, or a three-way merge with what is there.
    Apply,
    /// The whole object, in place of what is there (a PUT).
    Replace,
}

fn apply(sim: &mut Sim, args: &[String], stdin: Option<&str>, mode: Mode) -> CmdResult {
    let is_apply = mode == Mode::Apply;
    let specs = [flag("filename", Some('f'), true), NS_FLAGS[0], flag("validate", None, true)];
    let p = parse(args, &specs).map_err(|e| format!("error: {e}"))?;
    let files = p.all("filename");
    if files.is_empty() {
        return Err("error: must specify one of -f and -k".into());
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for f in files {
        if f != "-" {
            errors.push(format!("error: the path {f:?} does not exist (kubesim has no files: use `-f -` with a heredoc)"));
            continue;
        }
        let source = "STDIN";
        let text = stdin.unwrap_or("");
        let docs = match yaml::parse_documents(text) {
            Ok(d) => d,
            Err(e) => {
                errors.push(format!("error: error parsing {source}: {e}"));
                continue;
            }
        };
        if docs.is_empty() {
            errors.push("error: no objects passed to apply".into());
        }
        for doc in docs {
            let mut obj = match decode(doc.clone(), source) {
                Ok(o) => o,
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            };
            if obj.kind().namespaced() && obj.meta().namespace.is_empty() {
                obj.meta_mut().namespace = p.get("namespace").unwrap_or("default").into();
            }
            let existing = if obj.name().is_empty() { None } else { sim.get(obj.kind(), obj.namespace(), obj.name()).cloned() };
            // What `kubectl apply` records of the manifest (GetModifiedConfiguration).
            let modified = is_apply.then(|| modified_configuration(doc, &obj));
            let res = match (&existing, modified) {
                // replace: the manifest is the object (what it leaves out is defaulted again).
                (None, _) if mode == Mode::Replace => Err(format!("Error from server (NotFound): error when replacing {source:?}: {} {:?} not found", obj.kind().group_resource(), obj.name())),
                (Some(_), _) if mode == Mode::Replace => submit(sim, Verb::Update, unconditional(obj)).map(|o| created(&o, "replaced")),
                (Some(cur), Some(modified)) => {
                    let original = cur.meta().annotations.get(LAST_APPLIED).and_then(|a| serde_json::from_str::<Value>(a).ok());
                    if original.is_none() {
                        out.push(format!("Warning: resource {}/{} is missing the {LAST_APPLIED} annotation which is required by kubectl apply. kubectl apply should only be used on resources created declaratively by either kubectl create --save-config or kubectl apply. The missing annotation will be patched automatically.", obj.kind().plural(), obj.name()));
                    }
                    let mut merged = three_way_merge(&cur.to_value(), original.as_ref(), &modified);
                    set_last_applied(&mut merged, &modified);
                    match decode(merged, source) {
                        Err(e) => Err(e),
                        Ok(mut next) => {
                            // finalizers merge as a set in a strategic merge patch: the ones a
                            // `--cascade` deletion added stay even if the manifest lists others.
                            let server_side: Vec<Str> = cur.meta().finalizers.iter().filter(|f| matches!(f.as_str(), ORPHAN_FINALIZER | FOREGROUND_FINALIZER) && !next.meta().finalizers.contains(f)).cloned().collect();
                            if !server_side.is_empty() {
                                let mut all = next.meta().finalizers.to_vec();
                                all.extend(server_side);
                                next.meta_mut().finalizers = all.into();
                            }
                            let unchanged = { let mut a = next.clone(); crate::sim::api_server::default_object(&mut a); spec_eq(&a, cur) };
                            if unchanged {
                                Ok(format!("{}/{} unchanged", obj.kind().singular_group(), obj.name()))
                            } else {
                                send_changes(sim, cur, &next.to_value()).map(|o| created(o.as_ref().unwrap_or(cur), "configured"))
                            }
                        }
                    }
                }
                (_, modified) => {
                    if let Some(m) = &modified {
                        obj.meta_mut().annotations.insert(LAST_APPLIED.into(), last_applied_text(m).into());
                    }
                    submit(sim, Verb::Create, obj).map(|o| created(&o, "created"))
                }
            };
            match res {
                Ok(s) => out.push(s),
                Err(e) => errors.push(e),
            }
        }
    }
    out.extend(errors.iter().cloned());
    if errors.is_empty() { Ok(out.join("\n")) } else { Err(out.join("\n")) }
}

/// `kubectl diff -f -`: for each object, `diff -u` of it as it is (LIVE) and as `kubectl
/// apply` would leave it (MERGED: the three-way merge, defaulted, with what the server keeps of
/// the live object), under kubectl's file names; nothing for an object apply would not change.
/// (A real kubectl exits 1 when it found differences.)
fn diff(sim: &mut Sim, args: &[String], stdin: Option<&str>) -> CmdResult {
    let p = parse(args, &[flag("filename", Some('f'), true), NS_FLAGS[0]]).map_err(|e| format!("error: {e}"))?;
    let files = p.all("filename");
    if files.is_empty() {
        return Err("error: must specify one of -f and -k".into());
    }
    if let Some(f) = files.iter().find(|f| *f != "-") {
        return Err(format!("error: the path {f:?} does not exist (kubesim has no files: use `-f -` with a heredoc)"));
    }
    let text = stdin.unwrap_or("");
    let docs = yaml::parse_documents(text).map_err(|e| format!("error: error parsing STDIN: {e}"))?;
    // (kubectl's temporary folders: numbers drawn from the input, so a session replays the same.)
    let dir = |salt: u64| text.bytes().fold(salt ^ 0xcbf2_9ce4_8422_2325, |h, b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)) % 9_000_000_000 + 1_000_000_000;
    let (live_dir, merged_dir) = (format!("/tmp/LIVE-{}", dir(1)), format!("/tmp/MERGED-{}", dir(2)));
    let stamp = {
        let t = sim.now().rfc3339();
        format!("{} {}.{:09} +0000", &t[..10], &t[11..19], (sim.now().as_micros() % 1_000_000) * 1000)
    };
    let mut out = Vec::new();
    for doc in docs {
        let mut obj = decode(doc.clone(), "STDIN")?;
        if obj.kind().namespaced() && obj.meta().namespace.is_empty() {
            obj.meta_mut().namespace = p.get("namespace").unwrap_or("default").into();
        }
        let modified = modified_configuration(doc, &obj);
        let existing = sim.get(obj.kind(), obj.namespace(), obj.name()).cloned();
        let (live, merged) = match &existing {
            Some(cur) => {
                let original = cur.meta().annotations.get(LAST_APPLIED).and_then(|a| serde_json::from_str::<Value>(a).ok());
                let mut m = three_way_merge(&cur.to_value(), original.as_ref(), &modified);
                set_last_applied(&mut m, &modified);
                let mut next = decode(m, "STDIN")?;
                crate::sim::api_server::default_object(&mut next);
                let (live, mut merged) = (cur.to_value(), next.to_value());
                // What the API server keeps of the live object: its identity and status; a
                // changed spec counts one more generation.
                for field in ["uid", "creationTimestamp", "resourceVersion", "generation"] {
                    match live["metadata"].get(field) {
                        Some(v) => merged["metadata"][field] = v.clone(),
                        None => {
                            merged["metadata"].as_object_mut().map(|m| m.remove(field));
                        }
                    }
                }
                if let (Some(g), true) = (live["metadata"].get("generation").and_then(|g| g.as_i64()), live.get("spec") != merged.get("spec")) {
                    merged["metadata"]["generation"] = json!(g + 1);
                }
                match live.get("status") {
                    Some(st) => merged["status"] = st.clone(),
                    None => {
                        merged.as_object_mut().map(|m| m.remove("status"));
                    }
                }
                (yaml::to_yaml(&live), yaml::to_yaml(&merged))
            }
            None => {
                obj.meta_mut().annotations.insert(LAST_APPLIED.into(), last_applied_text(&modified).into());
                crate::sim::api_server::default_object(&mut obj);
                (String::new(), yaml::to_yaml(&obj.to_value()))
            }
        };
        let hunks = super::diff::unified(&live, &merged);
        if hunks.is_empty() {
            continue;
        }
        let kind = obj.kind();
        let file = format!("{}.{}.{}.{}", kind.api_version().replace('/', "."), kind.name(), if kind.namespaced() { obj.namespace() } else { "" }, obj.name()).replace("..", ".");
        out.push(format!("diff -u -N {live_dir}/{file} {merged_dir}/{file}\n--- {live_dir}/{file}\t{stamp}\n+++ {merged_dir}/{file}\t{stamp}\n{}", hunks.trim_end()));
    }
    Ok(out.join("\n"))
}

/// Whether an update would change nothing kubectl apply sends: every field but metadata and
/// status (a Deployment's spec, a ConfigMap's data), and the labels, annotations and
/// finalizers.
fn spec_eq(a: &Object, b: &Object) -> bool {
    let (va, vb) = (a.to_value(), b.to_value());
    let content = |v: &Value| v.as_object().map(|m| m.iter().filter(|(k, _)| !matches!(k.as_str(), "metadata" | "status")).map(|(k, v)| (k.clone(), v.clone())).collect::<serde_json::Map<_, _>>());
    content(&va) == content(&vb) && ["labels", "annotations", "finalizers"].iter().all(|f| va["metadata"].get(f) == vb["metadata"].get(f))
}

/// The annotation in which client-side `kubectl apply` keeps the manifest it last applied.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The manifest as kubectl records it: its own fields (not the server's defaults), with the
/// namespace kubectl resolved and an annotations map (empty if it had none), without the
/// annotation itself. Its JSON, keys sorted, is what `-o yaml` shows in the annotation.
fn modified_configuration(mut doc: Value, obj: &Object) -> Value {
    if let Some(m) = doc.as_object_mut() {
        let meta = m.entry("metadata").or_insert_with(|| Value::Object(Default::default()));
        if let Some(meta) = meta.as_object_mut() {
            if obj.kind().namespaced() {
                meta.insert("namespace".into(), Value::String(obj.namespace().into()));
            }
            let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(Default::default()));
            if let Some(a) = annotations.as_object_mut() {
                a.remove(LAST_APPLIED);
            }
        }
    }
    doc
}

fn last_applied_text(modified: &Value) -> String {
    serde_json::to_string(modified).unwrap_or_default() + "\n"
}

fn set_last_applied(v: &mut Value, modified: &Value) {
    if let Some(meta) = v.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        let annotations = meta.entry("annotations").or_insert_with(|| Value::Object(Default::default()));
        if let Some(a) = annotations.as_object_mut() {
            a.insert(LAST_APPLIED.into(), Value::String(last_applied_text(modified)));
        }
    }
}

/// Client-side apply's three-way merge of the live object (`current`), the manifest applied
/// last time (`original`, from the annotation) and the new one (`modified`): what the manifest
/// sets wins; what the last manifest set and this one no longer does is removed; what neither
/// set (a `kubectl scale`, labels others added, the server's defaults and admission's
/// additions, such as the service account token's volume and mounts) stays. Maps merge key by
/// key. Lists a strategic merge patch merges by key (`merge_key`) merge item by item; other
/// lists are replaced whole.
fn three_way_merge(current: &Value, original: Option<&Value>, modified: &Value) -> Value {
    match (current, modified) {
        (Value::Object(cur), Value::Object(m)) => {
            let mut out = cur.clone();
            for (k, mv) in m {
                if mv.is_null() {
                    out.remove(k);
                    continue;
                }
                let orig = original.and_then(|o| o.get(k));
                let next = match (cur.get(k), mv) {
                    (Some(Value::Array(cv)), Value::Array(items)) => match merge_key(k, items) {
                        Some(key) => Value::Array(merge_list(cv, orig.and_then(|o| o.as_array()).map(|o| o.as_slice()), items, key)),
                        None => mv.clone(),
                    },
                    (Some(cv), _) => three_way_merge(cv, orig, mv),
                    (None, _) => mv.clone(),
                };
                out.insert(k.clone(), next);
            }
            if let Some(Value::Object(o)) = original {
                for k in o.keys().filter(|k| !m.contains_key(*k)) {
                    out.remove(k);
                }
            }
            Value::Object(out)
        }
        _ => modified.clone(),
    }
}

/// A list merged item by item on `key`: live items the manifest names are merged with its
/// item; live items the last manifest had and this one dropped go; the others (the server's)
/// stay where they are; the manifest's new items come after them.
fn merge_list(current: &[Value], original: Option<&[Value]>, modified: &[Value], key: &str) -> Vec<Value> {
    // Items by their key's JSON (the first of equal keys wins), so a long list costs no more
    // than a sort: a manifest may hold thousands of env entries.
    let index = |list: &[Value]| {
        let mut by_key = std::collections::HashMap::new();
        for (i, v) in list.iter().enumerate() {
            by_key.entry(v.get(key).map(|k| k.to_string())).or_insert(i);
        }
        by_key
    };
    let id = |v: &Value| v.get(key).map(|k| k.to_string());
    let (in_modified, in_current) = (index(modified), index(current));
    let in_original = original.map(index).unwrap_or_default();
    let mut out = Vec::with_capacity(current.len().max(modified.len()));
    for c in current {
        let k = id(c);
        match in_modified.get(&k) {
            Some(&i) => out.push(three_way_merge(c, original.and_then(|o| in_original.get(&k).map(|&j| &o[j])), &modified[i])),
            None if in_original.contains_key(&k) => {}
            None => out.push(c.clone()),
        }
    }
    out.extend(modified.iter().filter(|m| !in_current.contains_key(&id(m))).cloned());
    out
}

fn age(sim: &Sim, o: &ObjectRc) -> String {
    o.meta().creation_timestamp.map(|t| human_duration(sim.now().since(t))).unwrap_or_else(|| "<unknown>".into())
}

fn row_for(sim: &Sim, o: &ObjectRc, wide: bool) -> Vec<String> {
    let name = o.name().to_string();
    match &**o {
        Object::Pod(p) => {
            let (ready, total) = p.ready_count();
            // printPod: "1 (5s ago)", from the latest finishedAt of the containers' last state.
            let last_restart = p.status.container_statuses.iter().filter_map(|c| c.last_state.terminated.as_ref().and_then(|t| t.finished_at)).max();
            let restarts = match last_restart {
                Some(t) if p.restarts() != 0 => format!("{} ({} ago)", p.restarts(), human_duration(sim.now().since(t))),
                _ => p.restarts().to_string(),
            };
            let mut r = vec![name, format!("{ready}/{total}"), p.display_status(), restarts, age(sim, o)];
            if wide {
                r.extend([none(&p.status.pod_ip), none(&p.spec.node_name), "<none>".into(), "<none>".into()]);
            }
            r
        }
        Object::Deployment(d) => {
            let want = d.spec.replicas.unwrap_or(1);
            let mut r = vec![name, format!("{}/{}", d.status.ready_replicas, want), d.status.updated_replicas.to_string(), d.status.available_replicas.to_string(), age(sim, o)];
            if wide {
                r.extend(containers_and_images(&d.spec.template.spec.containers));
                r.push(d.spec.selector.to_selector_string());
            }
            r
        }
        Object::ReplicaSet(rs) => {
            let mut r = vec![name, rs.spec.replicas.unwrap_or(1).to_string(), rs.status.replicas.to_string(), rs.status.ready_replicas.to_string(), age(sim, o)];
            if wide {
                r.extend(containers_and_images(&rs.spec.template.spec.containers));
                r.push(rs.spec.selector.to_selector_string());
            }
            r
        }
        Object::Node(n) => {
            let mut status = if n.is_ready() { "Ready".to_string() } else { "NotReady".to_string() };
            if n.spec.unschedulable {
                status.push_str(",SchedulingDisabled");
            }
            let version = n.status.node_info.as_ref().map(|i| i.kubelet_version.clone()).unwrap_or_default();
            let mut r = vec![name, status, "<none>".into(), age(sim, o), version.to_string()];
            if wide {
                let info = n.status.node_info.clone().unwrap_or_default();
                r.extend([none(n.internal_ip()), "<none>".into(), info.os_image.to_string(), info.kernel_version.to_string(), info.container_runtime_version.to_string()]);
            }
            r
        }
        Object::Service(s) => {
            let ports = s.spec.ports.iter().map(|p| match p.node_port { Some(np) => format!("{}:{np}/{}", p.port, p.protocol), None => format!("{}/{}", p.port, p.protocol) }).collect::<Vec<_>>().join(",");
            let ports = if ports.is_empty() { "<none>".to_string() } else { ports };
            // getServiceExternalIP: a LoadBalancer without an address (no cloud here) is pending.
            let external = if s.spec.type_ == "LoadBalancer" { "<pending>" } else { "<none>" };
            let mut r = vec![name, s.spec.type_.to_string(), s.spec.cluster_ip.to_string(), external.into(), ports, age(sim, o)];
            if wide {
                r.push(format_labels(&s.spec.selector, ","));
            }
            r
        }
        Object::Event(e) => {
            let obj = format!("{}/{}", e.involved_object.kind.to_lowercase(), e.involved_object.name);
            vec![human_duration(sim.now().since(e.last_timestamp)), e.type_.to_string(), e.reason.to_string(), obj, e.message.to_string()]
        }
        Object::Namespace(ns) => vec![name, ns.phase().to_string(), age(sim, o)],
        Object::Endpoints(e) => vec![name, format_endpoints(e), age(sim, o)],
        Object::Lease(l) => vec![name, l.spec.holder_identity.to_string(), age(sim, o)],
        // (Tokens are no longer kept as Secrets since 1.24: SECRETS is 0.)
        Object::ServiceAccount(a) => vec![name, a.secrets.as_ref().and_then(|s| s.as_array()).map_or(0, |s| s.len()).to_string(), age(sim, o)],
        Object::ConfigMap(c) => vec![name, (c.data.len() + c.binary_data.as_ref().and_then(|b| b.as_object()).map_or(0, |b| b.len())).to_string(), age(sim, o)],
        Object::EndpointSlice(e) => {
            // formatDiscoveryPorts and formatDiscoveryEndpoints: three, then "+ N more...".
            let ports = e.ports.iter().map(|p| p.port.map(|n| n.to_string()).or_else(|| p.name.as_ref().map(|n| n.to_string())).unwrap_or_else(|| "*".into()));
            let addresses = e.endpoints.iter().flat_map(|ep| ep.addresses.iter().map(|a| a.to_string()));
            vec![name, e.address_type.to_string(), three_and_more(ports), three_and_more(addresses), age(sim, o)]
        }
    }
}

/// listWithMoreString: the first three, joined, then "+ N more..."; `<unset>` for none.
fn three_and_more(items: impl Iterator<Item = String>) -> String {
    let all: Vec<String> = items.collect();
    match all.len() {
        0 => "<unset>".into(),
        n if n > 3 => format!("{} + {} more...", all[..3].join(","), n - 3),
        _ => all.join(","),
    }
}

/// A label map as `k=v` pairs joined by `sep`, or `<none>` (kubectl's labels.FormatLabels).
pub fn format_labels(l: &Labels, sep: &str) -> String {
    if l.is_empty() { "<none>".into() } else { l.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(sep) }
}

/// formatEndpoints (kubectl's printers): the first three `ip:port`s of the ready addresses,
/// then "+ N more...".
pub fn format_endpoints(e: &Endpoints) -> String {
    const MAX: usize = 3;
    if e.subsets.is_empty() {
        return "<none>".into();
    }
    let (mut list, mut count) = (Vec::new(), 0);
    for ss in &e.subsets {
        let ports: Vec<Option<i32>> = if ss.ports.is_empty() { vec![None] } else { ss.ports.iter().map(|p| Some(p.port)).collect() };
        for port in ports {
            count += ss.addresses.len();
            for a in ss.addresses.iter().take(MAX.saturating_sub(list.len())) {
                list.push(match port {
                    Some(p) => format!("{}:{p}", a.ip),
                    None => a.ip.to_string(),
                });
            }
        }
    }
    let shown = list.join(",");
    if count > MAX { format!("{shown} + {} more...", count - MAX) } else { shown }
}

/// The CONTAINERS and IMAGES columns of `-o wide` for workloads.
fn containers_and_images(c: &[Container]) -> [String; 2] {
    [c.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(","), c.iter().map(|c| c.image.as_str()).collect::<Vec<_>>().join(",")]
}

fn none(s: &str) -> String {
    if s.is_empty() { "<none>".into() } else { s.into() }
}

fn header(kind: Kind, wide: bool) -> Vec<&'static str> {
    let (base, extra): (&[&str], &[&str]) = match kind {
        Kind::Pod => (&["NAME", "READY", "STATUS", "RESTARTS", "AGE"], &["IP", "NODE", "NOMINATED NODE", "READINESS GATES"]),
        Kind::Deployment => (&["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        Kind::ReplicaSet => (&["NAME", "DESIRED", "CURRENT", "READY", "AGE"], &["CONTAINERS", "IMAGES", "SELECTOR"]),
        Kind::Node => (&["NAME", "STATUS", "ROLES", "AGE", "VERSION"], &["INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"]),
        Kind::Service => (&["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"], &["SELECTOR"]),
        Kind::Event => (&["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"], &[]),
        Kind::Namespace => (&["NAME", "STATUS", "AGE"], &[]),
        Kind::Endpoints => (&["NAME", "ENDPOINTS", "AGE"], &[]),
        Kind::Lease => (&["NAME", "HOLDER", "AGE"], &[]),
        Kind::ServiceAccount => (&["NAME", "SECRETS", "AGE"], &[]),
        Kind::ConfigMap => (&["NAME", "DATA", "AGE"], &[]),
        Kind::EndpointSlice => (&["NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"], &[]),
    };
    let mut h = base.to_vec();
    if wide {
        h.extend_from_slice(extra);
    }
    h
}

/// `--field-selector spec.nodeName=node-1,status.phase!=Running`: (field, value, equals).
fn parse_field_selector(s: &str) -> Result<Vec<(String, String, bool)>, String> {
    const KNOWN: [&str; 11] = ["metadata.name", "metadata.namespace", "spec.nodeName", "status.phase", "involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid", "reason", "type", "source"];
    s.split(',')
        .map(|part| {
            let (field, value, eq) = match part.split_once("!=") {
                Some((f, v)) => (f, v, false),
                None => match part.split_once("==").or_else(|| part.split_once('=')) {
                    Some((f, v)) => (f, v, true),
                    None => return Err(format!("error: invalid selector: '{s}'; can't understand '{part}'")),
                },
            };
            if !KNOWN.contains(&field) {
                return Err(format!("Error from server (BadRequest): field label not supported: {field} (kubesim knows {})", KNOWN.join(", ")));
            }
            Ok((field.to_string(), value.to_string(), eq))
        })
        .collect()
}

fn field_value(o: &ObjectRc, field: &str) -> String {
    match (field, &**o) {
        ("metadata.name", _) => o.name().into(),
        ("metadata.namespace", _) => o.namespace().into(),
        ("spec.nodeName", Object::Pod(p)) => p.spec.node_name.to_string(),
        ("status.phase", Object::Pod(p)) => p.status.phase.to_string(),
        // Events' own fields (the API's event field selectors).
        ("involvedObject.kind", Object::Event(e)) => e.involved_object.kind.to_string(),
        ("involvedObject.name", Object::Event(e)) => e.involved_object.name.to_string(),
        ("involvedObject.namespace", Object::Event(e)) => e.involved_object.namespace.to_string(),
        ("involvedObject.uid", Object::Event(e)) => e.involved_object.uid.to_string(),
        ("reason", Object::Event(e)) => e.reason.to_string(),
        ("type", Object::Event(e)) => e.type_.to_string(),
        ("source", Object::Event(e)) => e.source.component.to_string(),
        _ => String::new(),
    }
}

/// Whether the object passes every `--field-selector` requirement.
fn fields_match(fields: &[(String, String, bool)], o: &ObjectRc) -> bool {
    fields.iter().all(|(field, want, eq)| (field_value(o, field) == *want) == *eq)
}

/// What `get`, `describe`, `logs -l` and the rollout commands say of an empty answer.
pub(super) fn no_resources_found(cluster_wide: bool, ns: &str) -> String {
    if cluster_wide { "No resources found".into() } else { format!("No resources found in {ns} namespace.") }
}

fn get(sim: &mut Sim, args: &[String]) -> CmdResult {
    let specs = [NS_FLAGS[0], NS_FLAGS[1], flag("output", Some('o'), true), flag("selector", Some('l'), true), flag("field-selector", None, true), flag("show-labels", None, false), flag("watch", Some('w'), false), flag("sort-by", None, true)];
    let p = parse(args, &specs).map_err(|e| format!("error: {e}\nSee 'kubectl get --help' for usage."))?;
    let Some(what) = p.positional.first() else {
        return Err("You must specify the type of resource to get. Use \"kubectl api-resources\" for a complete list of supported resources.\n\nerror: Required resource not specified.\nUse \"kubectl explain <resource>\" for a detailed description of that resource (e.g. kubectl explain pods).\nSee 'kubectl get -h' for help and examples".into());
    };
    let all_ns = p.has("all-namespaces");
    let ns = namespace(&p);
    let output = p.get("output").unwrap_or("");
    // `-o jsonpath=TEMPLATE` and `-o custom-columns=SPEC`, parsed before anything is fetched.
    let (output, template) = match output.split_once('=') {
        Some((format @ ("jsonpath" | "custom-columns"), t)) => (format, t),
        _ => (output, ""),
    };
    let jsonpath = match output {
        "jsonpath" if template.is_empty() => return Err("error: template format specified but no template given".into()),
        "jsonpath" => Some(super::jsonpath::JsonPath::parse(template).map_err(|e| format!("error: error parsing jsonpath {template}, {e}"))?),
        _ => None,
    };
    let columns = match output {
        "custom-columns" => Some(custom_columns(template)?),
        _ => None,
    };
    if !matches!(output, "" | "wide" | "yaml" | "json" | "name" | "jsonpath" | "custom-columns") {
        return Err(format!("error: unable to match a printer suitable for the output format {output:?}, allowed formats are: custom-columns,json,jsonpath,name,wide,yaml"));
    }
    let sort_by = p.get("sort-by").map(|e| super::jsonpath::relaxed(e).map_err(|err| format!("error: error parsing jsonpath {e}, {err}"))).transpose()?;
    let selector = p.get("selector").map(parse_selector).transpose()?;
    let fields = p.get("field-selector").map(parse_field_selector).transpose()?;
    // `get pod/web-1`, `get pods web-1 web-2`, `get all`, `get po,svc`.
    let mut targets: Vec<(Kind, Option<String>)> = Vec::new();
    if let Some((k, n)) = what.split_once('/') {
        targets.push((resolve_kind(k).ok_or_else(|| unknown_resource(k))?, Some(n.to_string())));
        for extra in &p.positional[1..] {
            let (k, n) = extra.split_once('/').ok_or("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form")?;
            targets.push((resolve_kind(k).ok_or_else(|| unknown_resource(k))?, Some(n.to_string())));
        }
    } else {
        let kinds: Vec<Kind> = if what == "all" {
            vec![Kind::Pod, Kind::Service, Kind::Deployment, Kind::ReplicaSet]
        } else {
            what.split(',').map(|k| resolve_kind(k).ok_or_else(|| unknown_resource(k))).collect::<Result<_, _>>()?
        };
        if p.positional.len() > 1 {
            for n in &p.positional[1..] {
                targets.push((kinds[0], Some(n.clone())));
            }
        } else {
            targets.extend(kinds.into_iter().map(|k| (k, None)));
        }
    }
    let multi_kind = targets.iter().map(|t| t.0).collect::<std::collections::BTreeSet<_>>().len() > 1 || what == "all";
    let mut found: Vec<(Kind, Vec<ObjectRc>)> = Vec::new();
    let mut errors = Vec::new();
    // (The revision of the first list: a watch goes on from there.)
    let mut listed_at: Option<u64> = None;
    for (kind, name) in targets {
        let objs = match name {
            Some(n) => match get_one(sim, kind, &ns, &n) {
                Ok(o) => vec![o],
                Err(e) => {
                    errors.push(e);
                    continue;
                }
            },
            None => {
                let (mut v, revision) = list_at(sim, kind, if all_ns { "" } else { &ns }, selector.clone())?;
                listed_at.get_or_insert(revision);
                if let Some(f) = &fields {
                    v.retain(|o| fields_match(f, o));
                }
                // (Events come in the API's order, by name: `kubectl events` sorts them by time.)
                v
            }
        };
        match found.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, v)) => v.extend(objs),
            None => found.push((kind, objs)),
        }
    }
    // --watch: the simulation runs on, and each change to what was listed is one more row, as
    // kubectl prints each watch event, until nothing more changes.
    // (Each row as it read when it happened: its AGE then.)
    let mut watched: Vec<(ObjectRc, Vec<String>)> = Vec::new();
    let mut watch_note = String::new();
    let wide = output == "wide";
    let mut listed_rows: Option<Vec<Vec<String>>> = None;
    if p.has("watch") {
        if !matches!(output, "" | "wide") || multi_kind {
            return Err("error: kubesim streams `get --watch` for one resource type, as a table (-o wide at most); press Play and watch the diagram for the rest".into());
        }
        if let Some((kind, objs)) = found.first() {
            let kind = *kind;
            // (The list's rows as they read before the watch began.)
            listed_rows = Some(objs.iter().map(|o| row_for(sim, o, wide)).collect());
            let names: Option<Vec<String>> = (p.positional.len() > 1 || what.contains('/')).then(|| objs.iter().map(|o| o.name().to_string()).collect());
            let in_scope = |o: &ObjectRc| match &names {
                Some(n) => n.iter().any(|n| n == o.name()) && (!kind.namespaced() || o.namespace() == ns),
                None => {
                    (all_ns || !kind.namespaced() || o.namespace() == ns)
                        && selector.as_ref().is_none_or(|s| s.matches(&o.meta().labels))
                        && fields.as_ref().is_none_or(|f| fields_match(f, o))
                }
            };
            // Each watch event (from etcd's history, as the API server's watch reads it) is a
            // row; a deletion shows the object as it was last.
            let mut since = listed_at.unwrap_or_else(|| sim.etcd().revision());
            let deadline = sim.now() + SimDuration::secs(super::MAX_SLEEP_SECS.min(300));
            loop {
                let settled = sim.run_until_settled(SimDuration::millis(100));
                let events = sim.etcd().events_since(since, kind.etcd_prefix()).unwrap_or_default();
                since = sim.etcd().revision();
                for e in events.iter().filter(|e| in_scope(&e.value)) {
                    watched.push((e.value.clone(), row_for(sim, &e.value, wide)));
                }
                if settled || sim.now() >= deadline {
                    watch_note = if settled { "(kubesim: nothing more changed, so the watch stops here; a real kubectl get --watch goes on until Ctrl+C.)".into() } else { "(kubesim: the watch stops after 5 minutes of simulated time; a real kubectl get --watch goes on until Ctrl+C.)".into() };
                    break;
                }
            }
        }
    }
    // --sort-by: by the value the expression finds (numbers as numbers), stable.
    if let Some(path) = &sort_by {
        let key = |o: &ObjectRc| path.find(&o.to_value()).into_iter().next().unwrap_or(Value::Null);
        for (_, objs) in found.iter_mut() {
            let mut keyed: Vec<(Value, ObjectRc)> = objs.drain(..).map(|o| (key(&o), o)).collect();
            keyed.sort_by(|(a, _), (b, _)| match (a.as_f64(), b.as_f64()) {
                (Some(x), Some(y)) => x.partial_cmp(&y).unwrap_or(std::cmp::Ordering::Equal),
                _ => a.as_str().unwrap_or_default().cmp(b.as_str().unwrap_or_default()),
            });
            objs.extend(keyed.into_iter().map(|(_, o)| o));
        }
    }
    let mut out = match output {
        // Only errors: no empty List is printed before them (as when every name asked for is missing).
        "yaml" | "json" | "jsonpath" if found.iter().all(|(_, v)| v.is_empty()) && !errors.is_empty() => String::new(),
        "yaml" | "json" | "jsonpath" => {
            let items: Vec<Value> = found.iter().flat_map(|(_, v)| v.iter().map(|o| o.to_value())).collect();
            let single = items.len() == 1 && p.positional.len() > 1 || items.len() == 1 && what.contains('/');
            let v = if single { items.into_iter().next().unwrap_or(Value::Null) } else { json!({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}) };
            match (&jsonpath, output) {
                (Some(t), _) => t.execute(&v),
                (None, "json") => json_pretty(&v),
                _ => yaml::to_yaml(&v).trim_end().to_string(),
            }
        }
        "custom-columns" => {
            let columns = columns.as_deref().unwrap_or_default();
            let header: Vec<&str> = columns.iter().map(|(h, _)| h.as_str()).collect();
            let rows: Vec<Vec<String>> = found
                .iter()
                .flat_map(|(_, v)| v.iter())
                .map(|o| {
                    let v = o.to_value();
                    columns
                        .iter()
                        .map(|(_, path)| {
                            let found = path.find(&v);
                            if found.is_empty() { "<none>".to_string() } else { found.iter().map(go_format).collect::<Vec<_>>().join(",") }
                        })
                        .collect()
                })
                .collect();
            if rows.is_empty() { String::new() } else { table(&header, &rows).trim_end().to_string() }
        }
        "name" => {
            let names: Vec<String> = found.iter().flat_map(|(k, v)| v.iter().map(move |o| format!("{}/{}", k.singular_group(), o.name()))).collect();
            names.join("\n")
        }
        _ => {
            let wide = output == "wide";
            let mut blocks = Vec::new();
            for (kind, objs) in &found {
                if objs.is_empty() {
                    continue;
                }
                let mut h = header(*kind, wide);
                let mut rows: Vec<Vec<String>> = listed_rows.take().unwrap_or_else(|| objs.iter().map(|o| row_for(sim, o, wide)).collect());
                // (With --watch, each change follows as one more row.)
                rows.extend(watched.iter().map(|(_, r)| r.clone()));
                let objs: Vec<ObjectRc> = objs.iter().cloned().chain(watched.iter().map(|(o, _)| o.clone())).collect();
                let objs = &objs;
                if multi_kind {
                    for (r, o) in rows.iter_mut().zip(objs) {
                        r[0] = format!("{}/{}", kind.singular_group(), o.name());
                    }
                }
                if p.has("show-labels") {
                    h.push("LABELS");
                    for (r, o) in rows.iter_mut().zip(objs) {
                        r.push(format_labels(&o.meta().labels, ","));
                    }
                }
                if all_ns && kind.namespaced() {
                    h.insert(0, "NAMESPACE");
                    for (r, o) in rows.iter_mut().zip(objs) {
                        r.insert(0, o.namespace().to_string());
                    }
                }
                blocks.push(table(&h, &rows).trim_end().to_string());
            }
            blocks.join("\n\n")
        }
    };
    if out.trim().is_empty() && errors.is_empty() && !matches!(output, "json" | "yaml" | "jsonpath") {
        out = no_resources_found(all_ns || found.iter().all(|(k, _)| !k.namespaced()), &ns);
    }
    if !watch_note.is_empty() {
        out = format!("{out}\n{watch_note}");
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        let mut all = if out.is_empty() { vec![] } else { vec![out] };
        all.extend(errors);
        Err(all.join("\n"))
    }
}

/// `-o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[*].image`: each column's
/// header and its JSONPath.
fn custom_columns(spec: &str) -> Result<Vec<(String, super::jsonpath::JsonPath)>, String> {
    if spec.is_empty() {
        return Err("error: custom-columns format specified but no custom columns given".into());
    }
    spec.split(',')
        .map(|col| {
            let (header, path) = col.split_once(':').ok_or_else(|| format!("error: unexpected custom-columns spec: {col}, expected <header>:<json-path-expr>"))?;
            let parsed = super::jsonpath::relaxed(path).map_err(|e| format!("error: error parsing jsonpath {path}, {e}"))?;
            Ok((header.to_string(), parsed))
        })
        .collect()
}

fn describe(sim: &mut Sim, args: &[String]) -> CmdResult {
    let p = parse(args, &[NS_FLAGS[0], NS_FLAGS[1], flag("selector", Some('l'), true)]).map_err(|e| format!("error: {e}"))?;
    let what = p.positional.first().ok_or("error: Required resource not specified.")?;
    let (kind_s, name) = match what.split_once('/') {
        Some((k, n)) => (k.to_string(), Some(n.to_string())),
        None => (what.clone(), p.positional.get(1).cloned()),
    };
    let kind = resolve_kind(&kind_s).ok_or_else(|| unknown_resource(&kind_s))?;
    let all_ns = p.has("all-namespaces");
    let ns = if all_ns { String::new() } else { namespace(&p) };
    let selector = p.get("selector").map(parse_selector).transpose()?;
    let objs = match name {
        // `describe pods web`: that pod, or else (DescribeMatchingResources) every pod whose
        // name starts with "web"; none at all is the first answer's NotFound.
        Some(n) => match get_one(sim, kind, &ns, &n) {
            Ok(o) => vec![o],
            Err(e) if p.positional.len() == 2 => {
                let matching: Vec<ObjectRc> = list(sim, kind, &ns, None)?.into_iter().filter(|o| o.name().starts_with(n.as_str())).collect();
                if matching.is_empty() {
                    return Err(e);
                }
                matching
            }
            Err(e) => return Err(e),
        },
        None => list(sim, kind, &ns, selector)?,
    };
    if objs.is_empty() {
        // (kubectl says so on stderr but succeeds, as `get` does.)
        return Ok(no_resources_found(all_ns || !kind.namespaced(), &ns));
    }
    let events = list(sim, Kind::Event, "", None)?;
    let mut out = Vec::new();
    for o in objs {
        out.push(super::describe::describe(sim, &o, &events));
    }
    Ok(out.join("\n\n"))
}

fn scale(sim: &mut Sim, args: &[String]) -> CmdResult {
    let p = parse(args, &[flag("replicas", None, true), NS_FLAGS[0]]).map_err(|e| format!("error: {e}"))?;
    let r = p.get("replicas").ok_or("error: required flag(s) \"replicas\" not set")?;
    let n: i32 = r.parse().map_err(|_| format!("error: invalid argument {r:?} for \"--replicas\" flag: strconv.ParseInt: parsing {r:?}: invalid syntax"))?;
    if n < 0 {
        return Err("error: The --replicas=COUNT flag is required, and COUNT must be greater than or equal to 0".into());
    }
    if n > MAX_REPLICAS {
        return Err(format!("error: kubesim simulates at most {MAX_REPLICAS} replicas"));
    }
    let (kind, name) = resource_and_name(&p)?;
    let ns = namespace(&p);
    let cur = get_one(sim, kind, &ns, &name)?;
    if !matches!(&*cur, Object::Deployment(_) | Object::ReplicaSet(_)) {
        return Err(format!("error: cannot scale {}", kind.plural()));
    }
    // The scale subresource's patch, sent whether or not the count changes.
    let o = submit_patch(sim, &cur, MetaOp::Scale(n))?;
    Ok(created(&o, "scaled"))
}

fn delete(sim: &mut Sim, args: &[String], stdin: Option<&str>) -> CmdResult {
    let specs = [
        NS_FLAGS[0],
        flag("selector", Some('l'), true),
        flag("filename", Some('f'), true),
        flag("grace-period", None, true),
        flag("force", None, false),
        flag("all", None, false),
        flag("now", None, false),
        flag("cascade", None, false),
        flag("wait", None, false),
        flag("timeout", None, true),
        flag("ignore-not-found", None, false),
    ];
    let p = parse(args, &specs).map_err(|e| format!("error: {e}"))?;
    let ns = namespace(&p);
    // `--cascade` alone is background; true and false are the deprecated boolean forms.
    let mut out = Vec::new();
    let propagation = match p.get("cascade").unwrap_or("background") {
        "background" | "true" => Propagation::Background,
        "foreground" => Propagation::Foreground,
        "orphan" => Propagation::Orphan,
        "false" => {
            out.push("warning: --cascade=false is deprecated (boolean value) and can be replaced with --cascade=orphan.".to_string());
            Propagation::Orphan
        }
        other => return Err(format!("error: invalid cascade value ({other}). Must be \"background\", \"foreground\", or \"orphan\"")),
    };
    let wait = match p.get("wait") {
        None => true,
        Some(v) => parse_bool(v).ok_or_else(|| format!("error: invalid argument {v:?} for \"--wait\" flag: strconv.ParseBool: parsing {v:?}: invalid syntax"))?,
    };
    // 0s, the default, means as long as it takes.
    let timeout = Some(super::kubectl_ops::timeout_flag(&p, SimDuration::ZERO)?).filter(|d| *d > SimDuration::ZERO);
    // DeleteOptions.Complete and Validate: -1 (the default) is the object's own grace period;
    // --now is 1; 0 without --force becomes 1 (no accidental immediate deletion); --force
    // alone is 0.
    let mut grace: i64 = match p.get("grace-period") {
        None => -1,
        Some(g) => g.parse().map_err(|_| format!("error: invalid argument {g:?} for \"--grace-period\" flag: strconv.ParseInt: parsing {g:?}: invalid syntax"))?,
    };
    if p.has("now") {
        if grace != -1 {
            return Err("error: --now and --grace-period cannot be specified together".into());
        }
        grace = 1;
    }
    let force = p.has("force");
    if grace == 0 && !force {
        grace = 1;
    }
    if force && grace < 0 {
        grace = 0;
    }
    if force && grace > 0 {
        return Err("error: --force and --grace-period greater than 0 cannot be specified together".into());
    }
    if force {
        out.push("warning: Immediate deletion does not wait for confirmation that the running resource has been terminated. The resource may continue to run on the cluster indefinitely.".to_string());
    }
    // With --all or -l, an object gone meanwhile is no error (unless --ignore-not-found=false).
    let mut ignore_not_found = p.has("ignore-not-found");
    let mut targets: Vec<(Kind, String, String)> = Vec::new();
    if p.get("filename").is_some() {
        let docs = yaml::parse_documents(stdin.unwrap_or("")).map_err(|e| format!("error: error parsing STDIN: {e}"))?;
        for d in docs {
            let o = decode(d, "STDIN")?;
            targets.push((o.kind(), if o.namespace().is_empty() { ns.clone() } else { o.namespace().into() }, o.name().into()));
        }
    } else {
        let what = p.positional.first().ok_or("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'")?;
        if let Some((k, n)) = what.split_once('/') {
            targets.push((resolve_kind(k).ok_or_else(|| unknown_resource(k))?, ns.clone(), n.into()));
        } else {
            let kind = resolve_kind(what).ok_or_else(|| unknown_resource(what))?;
            if p.get("selector").is_some() || p.has("all") {
                if p.get("selector").is_some() && p.has("all") {
                    return Err("error: cannot set --all and --selector at the same time".into());
                }
                ignore_not_found |= p.get("ignore-not-found").is_none();
                let selector = p.get("selector").map(parse_selector).transpose()?;
                for o in list(sim, kind, &ns, selector)? {
                    targets.push((kind, o.namespace().into(), o.name().into()));
                }
                if targets.is_empty() {
                    return Ok(out.into_iter().chain(["No resources found".to_string()]).collect::<Vec<_>>().join("\n"));
                }
            } else if p.positional.len() < 2 {
                return Err("error: resource(s) were provided, but no name was specified".into());
            } else {
                for n in &p.positional[1..] {
                    targets.push((kind, ns.clone(), n.clone()));
                }
            }
        }
    }
    let mut failed = false;
    let mut deleted: Vec<(Kind, String, String, Str)> = Vec::new();
    for (kind, ns, name) in targets {
        let uid = sim.get(kind, &ns, &name).map(|o| o.meta().uid.clone());
        let mut req = ApiRequest::new(Verb::Delete, kind, &ns, &name);
        req.grace_period = (grace >= 0).then_some(grace);
        req.propagation = propagation;
        match sim.call(req) {
            Ok(_) => {
                out.push(format!("{} {:?} {}", kind.singular_group(), name, if grace == 0 { "force deleted" } else { "deleted" }));
                deleted.extend(uid.map(|uid| (kind, ns, name, uid)));
            }
            Err(e) if ignore_not_found && e.reason == StatusReason::NotFound => {}
            Err(e) => {
                failed = true;
                out.push(server_error(&e));
            }
        }
    }
    // kubectl visits every object before it waits; a failed delete ends the command first.
    if wait && !failed && !deleted.is_empty() {
        match super::kubectl_ops::wait_for_deletion(sim, &deleted, timeout) {
            Ok(note) if note.is_empty() => {}
            Ok(note) => out.push(note),
            Err(e) => {
                out.push(e);
                return Err(out.join("\n"));
            }
        }
    }
    if failed { Err(out.join("\n")) } else { Ok(out.join("\n")) }
}

/// Go's strconv.ParseBool, as pflag reads a boolean flag's value.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

pub(super) fn cordon(sim: &mut Sim, args: &[String], on: bool) -> CmdResult {
    let p = parse(args, &[])?;
    let name = p.positional.first().ok_or_else(|| format!("error: USAGE: {} NODE [flags]\nSee 'kubectl {} -h' for help and examples", if on { "cordon" } else { "uncordon" }, if on { "cordon" } else { "uncordon" }))?;
    let cur = get_one(sim, Kind::Node, "", name)?;
    let mut n = cur.as_node().cloned().ok_or("error: not a node")?;
    let verb = if on { "cordoned" } else { "uncordoned" };
    if n.spec.unschedulable == on {
        return Ok(format!("node/{name} already {verb}"));
    }
    // {"spec":{"unschedulable":true}}: the node lifecycle controller then adds the
    // node.kubernetes.io/unschedulable taint (and takes it away on uncordon).
    n.spec.unschedulable = on;
    send_changes(sim, &cur, &Object::Node(n).to_value())?;
    Ok(format!("node/{name} {verb}"))
}

fn expose(sim: &mut Sim, args: &[String]) -> CmdResult {
    let specs = [flag("port", None, true), flag("target-port", None, true), flag("name", None, true), flag("type", None, true), flag("protocol", None, true), NS_FLAGS[0], CREATE_OUTPUT[0], CREATE_OUTPUT[1]];
    let p = parse(args, &specs).map_err(|e| format!("error: {e}"))?;
    if p.positional.is_empty() {
        return Err("error: You must provide one or more resources by argument or filename.".into());
    }
    let (kind, name) = resource_and_name(&p)?;
    let ns = namespace(&p);
    let src = get_one(sim, kind, &ns, &name)?;
    let (selector, ports): (Labels, Vec<i32>) = match &*src {
        Object::Deployment(d) => (d.spec.selector.match_labels.clone(), d.spec.template.spec.containers.iter().flat_map(|c| c.ports.iter().map(|p| p.container_port)).collect()),
        Object::ReplicaSet(r) => (r.spec.selector.match_labels.clone(), r.spec.template.spec.containers.iter().flat_map(|c| c.ports.iter().map(|p| p.container_port)).collect()),
        Object::Pod(p) => (p.metadata.labels.clone(), p.spec.containers.iter().flat_map(|c| c.ports.iter().map(|p| p.container_port)).collect()),
        _ => return Err(format!("error: cannot expose a {}", kind.name())),
    };
    let port: i32 = match p.get("port") {
        Some(x) => x.parse().map_err(|_| format!("error: invalid port {x:?}"))?,
        None => *ports.first().ok_or("error: couldn't find port via --port flag or introspection\nSee 'kubectl expose -h' for help and examples")?,
    };
    let target: Value = match p.get("target-port") {
        Some(t) => t.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::from(t)),
        None => port.into(),
    };
    let svc_name = p.get("name").unwrap_or(&name).to_string();
    let protocol = p.get("protocol").unwrap_or("TCP");
    let mut client_spec = json!({"ports": [{"port": port, "protocol": protocol, "targetPort": target}], "selector": string_map(selector.iter())});
    if let Some(t) = p.get("type") {
        client_spec["type"] = json!(t);
    }
    let meta = client_meta(&p, &svc_name, (!src.meta().labels.is_empty()).then(|| string_map(src.meta().labels.iter())));
    let client = json!({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": client_spec, "status": {"loadBalancer": {}}});
    let svc = Service {
        metadata: ObjectMeta { name: svc_name.as_str().into(), namespace: ns.into(), labels: src.meta().labels.clone(), ..Default::default() },
        spec: ServiceSpec { type_: p.get("type").unwrap_or("ClusterIP").into(), selector, ports: vec![ServicePort { port, protocol: protocol.into(), target_port: Some(target), ..Default::default() }], ..Default::default() },
        status: None,
    };
    create_and_print(sim, &p, Object::Service(Box::new(svc)), client, "exposed", None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_with_a_merge_key_merge_item_by_item() {
        // Live: the manifest's two env entries, and a mount admission added.
        let current = json!({"containers": [{"name": "c", "image": "nginx:1.26", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], "volumeMounts": [{"mountPath": "/token", "name": "t"}]}], "tolerations": [{"key": "x"}, {"key": "y"}]});
        let original = json!({"containers": [{"name": "c", "image": "nginx:1.26", "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}], "tolerations": [{"key": "x"}]});
        // Now: a new image, B dropped, C added; tolerations (no merge key) replaced whole.
        let modified = json!({"containers": [{"name": "c", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]}], "tolerations": [{"key": "z"}]});
        let merged = three_way_merge(&current, Some(&original), &modified);
        assert_eq!(
            merged,
            json!({"containers": [{"name": "c", "image": "nginx:1.27", "env": [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}], "volumeMounts": [{"mountPath": "/token", "name": "t"}]}], "tolerations": [{"key": "z"}]})
        );
        // Thousands of entries cost no more than a sort.
        let many: Vec<Value> = (0..20_000).map(|i| json!({"name": format!("V{i}"), "value": "x"})).collect();
        let out = merge_list(&many, Some(&many), &many, "name");
        assert_eq!(out.len(), many.len());
    }
}
