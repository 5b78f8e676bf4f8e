//! kubectl's operational commands: label, taint, drain, wait, rollout status and logs. The
//! waiting ones advance simulated time until their condition holds or their timeout passes,
//! reading the result the way kubectl's watch would see it.

use super::args::{flag, parse};
use super::kubectl::{get_one, list, namespace, parse_selector, resolve_kind, resource_and_name, send_changes, server_error, submit_patch, unknown_resource, CmdResult, NS_FLAGS};
use super::parse_duration;
use crate::sim::message::{ApiRequest, MetaOp, Verb};
use crate::sim::objects::*;
use crate::sim::{Sim, SimDuration};

/// Runs the simulation until `done` holds (true) or `timeout` passes (false).
fn wait_until(sim: &mut Sim, timeout: SimDuration, mut done: impl FnMut(&Sim) -> bool) -> bool {
    let deadline = sim.now() + timeout;
    loop {
        if done(sim) {
            return true;
        }
        if sim.now() >= deadline {
            return false;
        }
        let next = (sim.now() + SimDuration::millis(50)).min(deadline);
        sim.run_until(next);
    }
}

pub(super) fn timeout_flag(p: &super::args::Parsed, default: SimDuration) -> Result<SimDuration, String> {
    match p.get("timeout") {
        None => Ok(default),
        Some(t) => parse_duration(t).filter(|d| *d <= SimDuration::secs(super::MAX_SLEEP_SECS)).ok_or_else(|| format!("error: invalid argument {t:?} for \"--timeout\" flag: time: invalid duration {t:?}")),
    }
}

/// `kubectl label TYPE NAME k=v k2- [--overwrite]`.
pub fn label(sim: &mut Sim, args: &[String]) -> CmdResult {
    label_or_annotate(sim, args, false)
}

/// `kubectl annotate TYPE NAME key=value | key-`: as `label`, on the annotations.
pub fn annotate(sim: &mut Sim, args: &[String]) -> CmdResult {
    label_or_annotate(sim, args, true)
}

fn label_or_annotate(sim: &mut Sim, args: &[String], annotate: bool) -> CmdResult {
    let p = parse(args, &[flag("overwrite", None, false), NS_FLAGS[0]]).map_err(|e| format!("error: {e}"))?;
    let (kind, name) = resource_and_name(&p).map_err(|_| "error: one or more resources must be specified as <resource> <name> or <resource>/<name>".to_string())?;
    let skip = if p.positional.first().is_some_and(|f| f.contains('/')) { 1 } else { 2 };
    let changes = &p.positional[skip.min(p.positional.len())..];
    if changes.is_empty() {
        return Err(format!("error: at least one {} update is required", if annotate { "annotation" } else { "label" }));
    }
    let cur = get_one(sim, kind, &namespace(&p), &name)?;
    let mut next = (*cur).clone();
    let meta = next.meta_mut();
    let map = if annotate { &mut meta.annotations } else { &mut meta.labels };
    let (mut added, mut removed) = (false, false);
    let mut taken = Vec::new();
    // What is sent: a merge patch of these keys only (kubectl computes it from the object it
    // read; the server applies it to the object as it is then, so a change made meanwhile, a
    // pod bound by the scheduler, stays).
    let mut patch: Vec<(Str, Option<Str>)> = Vec::new();
    for c in changes {
        if let Some(k) = c.strip_suffix('-') {
            if map.remove(k).is_some() {
                removed = true;
                patch.push((k.into(), None));
            }
        } else if let Some((k, v)) = c.split_once('=') {
            if let Some(old) = map.get(k) {
                if old != v && !p.has("overwrite") {
                    if !annotate {
                        return Err(format!("error: '{k}' already has a value ({old}), and --overwrite is false"));
                    }
                    taken.push(format!("'{k}' already has a value ({old})"));
                    continue;
                }
            }
            if map.insert(k.into(), v.into()).as_deref() != Some(v) {
                added = true;
                patch.push((k.into(), Some(v.into())));
            }
        } else {
            return Err(format!("error: invalid {} spec: {c}", if annotate { "annotation" } else { "label" }));
        }
    }
    if !taken.is_empty() {
        return Err(format!("error: --overwrite is false but found the following declared annotation(s): {}", taken.join("; ")));
    }
    let what = format!("{}/{}", kind.singular_group(), name);
    if annotate {
        // (kubectl annotate says "annotated" whether or not anything changed.)
        if added || removed {
            submit_patch(sim, &next, MetaOp::Map { annotations: true, changes: patch })?;
        }
        return Ok(format!("{what} annotated"));
    }
    if !added && !removed {
        return Ok(format!("{what} not labeled"));
    }
    submit_patch(sim, &next, MetaOp::Map { annotations: false, changes: patch })?;
    Ok(format!("{what} {}", if added { "labeled" } else { "unlabeled" }))
}

/// `kubectl taint nodes NAME key=value:Effect | key:Effect | key- | key:Effect-`.
pub fn taint(sim: &mut Sim, args: &[String]) -> CmdResult {
    let p = parse(args, &[flag("overwrite", None, false)]).map_err(|e| format!("error: {e}"))?;
    let (kind, name) = resource_and_name(&p).map_err(|_| "error: at least one taint update is required".to_string())?;
    if kind != Kind::Node {
        return Err(format!("error: invalid resource type {}, only nodes are supported", kind.plural()));
    }
    let skip = if p.positional.first().is_some_and(|f| f.contains('/')) { 1 } else { 2 };
    let specs = &p.positional[skip.min(p.positional.len())..];
    if specs.is_empty() {
        return Err("error: at least one taint update is required".into());
    }
    let cur = get_one(sim, Kind::Node, "", &name)?;
    let mut node = cur.as_node().cloned().ok_or("error: not a node")?;
    let (mut added, mut removed) = (false, false);
    for spec in specs {
        if let Some(rest) = spec.strip_suffix('-') {
            let (key, effect) = rest.split_once(':').map_or((rest, None), |(k, e)| (k, Some(e)));
            let before = node.spec.taints.len();
            node.spec.taints.retain(|t| !(t.key == key && effect.is_none_or(|e| t.effect == e)));
            if node.spec.taints.len() == before {
                return Err(format!("error: taint {rest:?} not found"));
            }
            removed = true;
            continue;
        }
        let (kv, effect) = spec.split_once(':').ok_or_else(|| format!("error: invalid taint spec: {spec}, unsupported taint effect"))?;
        if !matches!(effect, "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
            return Err(format!("error: invalid taint effect: {effect}, unsupported taint effect"));
        }
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        if key.is_empty() {
            return Err(format!("error: invalid taint spec: {spec}"));
        }
        if let Some(t) = node.spec.taints.iter_mut().find(|t| t.key == key && t.effect == effect) {
            if !p.has("overwrite") {
                return Err(format!("error: node {name} already has {key} taint(s) with same effect(s) and --overwrite is false"));
            }
            t.value = value.into();
        } else {
            node.spec.taints.push(Taint { key: key.into(), value: value.into(), effect: effect.into(), time_added: None });
        }
        added = true;
    }
    send_changes(sim, &cur, &Object::Node(node).to_value())?;
    Ok(format!("node/{name} {}", if added { "tainted" } else if removed { "untainted" } else { "modified" }))
}

/// `kubectl drain NODE`: cordon, then evict every pod on the node and wait until they are gone.
/// (kubesim deletes where kubectl uses the Eviction API; there are no PodDisruptionBudgets.)
pub fn drain(sim: &mut Sim, args: &[String]) -> CmdResult {
    let specs = [flag("ignore-daemonsets", None, false), flag("delete-emptydir-data", None, false), flag("force", None, false), flag("grace-period", None, true), flag("timeout", None, true)];
    let p = parse(args, &specs).map_err(|e| format!("error: {e}"))?;
    let name = p.positional.first().ok_or("error: USAGE: drain NODE [flags]\nSee 'kubectl drain -h' for help and examples")?.clone();
    let mut out = vec![super::kubectl::cordon(sim, &[name.clone()], true)?];
    let pods: Vec<Pod> = list(sim, Kind::Pod, "", None)?.iter().filter_map(|o| o.as_pod().cloned()).filter(|p| p.spec.node_name == name && !p.is_terminating()).collect();
    let bare: Vec<String> = pods.iter().filter(|p| p.controller_ref().is_none()).map(|p| format!("{}/{}", p.metadata.namespace, p.metadata.name)).collect();
    if !bare.is_empty() && !p.has("force") {
        out.push(format!("error: unable to drain node {name:?} due to error: cannot delete Pods that declare no controller (use --force to override): {}, continuing command...\nThere are pending nodes to be drained:\n {name}\ncannot delete Pods that declare no controller (use --force to override): {}", bare.join(", "), bare.join(", ")));
        return Err(out.join("\n"));
    }
    if !bare.is_empty() {
        out.push(format!("Warning: deleting Pods that declare no controller: {}", bare.join(", ")));
    }
    let grace = p.get("grace-period").and_then(|g| g.parse::<i64>().ok()).filter(|g| *g >= 0);
    for pod in &pods {
        out.push(format!("evicting pod {}/{}", pod.metadata.namespace, pod.metadata.name));
        // (The Eviction API, as kubectl drain uses it: POST pods/NAME/eviction.)
        let mut req = ApiRequest::new(Verb::Evict, Kind::Pod, &pod.metadata.namespace, &pod.metadata.name);
        req.grace_period = grace;
        if let Err(e) = sim.call(req) {
            out.push(server_error(&e));
        }
    }
    let uids: Vec<Str> = pods.iter().map(|p| p.metadata.uid.clone()).collect();
    let timeout = timeout_flag(&p, SimDuration::secs(super::MAX_SLEEP_SECS))?;
    let gone = wait_until(sim, timeout, |s| !s.pods().any(|p| uids.contains(&p.metadata.uid)));
    for pod in &pods {
        out.push(format!("pod/{} evicted", pod.metadata.name));
    }
    if !gone {
        out.push(format!("error: unable to drain node {name:?}: global timeout reached"));
        return Err(out.join("\n"));
    }
    out.push(format!("node/{name} drained"));
    Ok(out.join("\n"))
}

/// What `kubectl delete` waits for (`--wait`, the default): until every object it deleted is
/// gone, that is, until no object of the same kind, namespace, name and uid is left (a new one
/// of the same name does not count). With `--timeout`, running out of it is an error, as in
/// kubectl. Without one kubectl would wait up to a week; kubesim stops as soon as the cluster
/// has nothing left to do that could finish the deletion (a pod on a node whose kubelet is
/// stopped stays Terminating), and says so.
pub(super) fn wait_for_deletion(sim: &mut Sim, deleted: &[(Kind, String, String, Str)], timeout: Option<SimDuration>) -> CmdResult {
    // (Sim::get ignores the namespace of a cluster-scoped kind.)
    let present = |s: &Sim| deleted.iter().find(|(kind, ns, name, uid)| s.get(*kind, ns, name).is_some_and(|o| o.meta().uid == *uid));
    let deadline = sim.now() + timeout.unwrap_or(SimDuration::secs(super::MAX_SLEEP_SECS));
    loop {
        let Some((kind, _, name, _)) = present(sim) else { return Ok(String::new()) };
        // (kubectl names the resource without its group here: "deployments/web".)
        let what = format!("{}/{}", kind.plural(), name);
        if sim.now() >= deadline {
            return match timeout {
                Some(_) => Err(format!("error: timed out waiting for the condition on {what}")),
                None => Ok(format!("(kubesim: {what} is still there after an hour of simulated time, so the wait stops here; a real kubectl delete would go on waiting, up to a week.)")),
            };
        }
        let step = SimDuration::millis(50).min(deadline.since(sim.now()));
        let settled = sim.run_until_settled(step);
        if settled && timeout.is_none() {
            if let Some((kind, _, name, _)) = present(sim) {
                return Ok(format!("(kubesim: nothing left in the cluster can finish deleting {}/{}, so the wait stops here; a real kubectl delete would go on waiting, up to a week, until you press Ctrl+C.)", kind.plural(), name));
            }
        } else if settled {
            // Settled with a timeout to honour: let time pass (a poll, a timer) up to it.
            let next = (sim.now() + SimDuration::millis(50)).min(deadline);
            sim.run_until(next);
        }
    }
}

fn condition_true(o: &Object, cond: &str) -> bool {
    let conds = match o {
        Object::Pod(p) => &p.status.conditions,
        Object::Deployment(d) => &d.status.conditions,
        Object::Node(n) => &n.status.conditions,
        _ => return false,
    };
    conds.iter().any(|c| c.type_.eq_ignore_ascii_case(cond) && c.status == "True")
}

/// `kubectl wait --for=condition=Ready pod/x`, `--for=delete`, with `-l` or `--all`.
pub fn wait(sim: &mut Sim, args: &[String]) -> CmdResult {
    let specs = [flag("for", None, true), flag("timeout", None, true), flag("selector", Some('l'), true), flag("all", None, false), NS_FLAGS[0]];
    let p = parse(args, &specs).map_err(|e| format!("error: {e}"))?;
    let for_ = p.get("for").unwrap_or("");
    enum Want {
        Condition(String),
        Delete,
    }
    let want = if for_ == "delete" {
        Want::Delete
    } else if let Some(c) = for_.strip_prefix("condition=") {
        Want::Condition(c.split('=').next().unwrap_or(c).to_string())
    } else {
        return Err(format!("error: unrecognized condition: {for_:?}"));
    };
    let ns = namespace(&p);
    let timeout = timeout_flag(&p, SimDuration::secs(30))?;
    let what = p.positional.first().ok_or("error: resource(s) were provided, but no name was specified")?;
    let targets: Vec<(Kind, String)> = if let Some((k, n)) = what.split_once('/') {
        vec![(resolve_kind(k).ok_or_else(|| unknown_resource(k))?, n.to_string())]
    } else {
        let kind = resolve_kind(what).ok_or_else(|| unknown_resource(what))?;
        if p.get("selector").is_some() || p.has("all") {
            let sel = p.get("selector").map(parse_selector).transpose()?;
            list(sim, kind, &ns, sel)?.iter().map(|o| (kind, o.name().to_string())).collect()
        } else {
            p.positional[1..].iter().map(|n| (kind, n.clone())).collect()
        }
    };
    let for_delete = matches!(want, Want::Delete);
    // Waiting for deletion, an object already gone is no error and prints nothing.
    if targets.is_empty() && !for_delete {
        return Err("error: no matching resources found".into());
    }
    let mut out = Vec::new();
    for (kind, name) in targets {
        let cur = match get_one(sim, kind, &ns, &name) {
            Err(_) if for_delete && sim.get(kind, &ns, &name).is_none() => continue,
            other => other?,
        };
        let uid = cur.meta().uid.clone();
        let ok = wait_until(sim, timeout, |s| {
            let o = s.get(kind, &ns, &name).filter(|o| o.meta().uid == uid);
            match &want {
                Want::Delete => o.is_none(),
                Want::Condition(c) => o.is_some_and(|o| condition_true(o, c)),
            }
        });
        if !ok {
            out.push(format!("error: timed out waiting for the condition on {}/{}", kind.plural(), name));
            return Err(out.join("\n"));
        }
        // (kubectl's wait prints "condition met" for --for=delete too.)
        out.push(format!("{}/{} condition met", kind.singular_group(), name));
    }
    Ok(out.join("\n"))
}

/// The rollout status messages of kubectl's DeploymentStatusViewer.
fn deployment_status(d: &Deployment) -> (String, bool) {
    let name = &d.metadata.name;
    let s = &d.status;
    let want = d.spec.replicas.unwrap_or(1);
    if d.metadata.generation > s.observed_generation {
        return ("Waiting for deployment spec update to be observed...".into(), false);
    }
    if s.updated_replicas < want {
        return (format!("Waiting for deployment {name:?} rollout to finish: {} out of {want} new replicas have been updated...", s.updated_replicas), false);
    }
    if s.replicas > s.updated_replicas {
        return (format!("Waiting for deployment {name:?} rollout to finish: {} old replicas are pending termination...", s.replicas - s.updated_replicas), false);
    }
    if s.available_replicas < s.updated_replicas {
        return (format!("Waiting for deployment {name:?} rollout to finish: {} of {} updated replicas are available...", s.available_replicas, s.updated_replicas), false);
    }
    (format!("deployment {name:?} successfully rolled out"), true)
}

/// `kubectl rollout status deployment/NAME`, printing each new message as the rollout moves.
pub fn rollout(sim: &mut Sim, args: &[String]) -> CmdResult {
    let Some(sub) = args.first() else { return Err("error: required resource not specified".into()) };
    match sub.as_str() {
        "status" => {}
        "history" | "pause" | "restart" | "resume" => return super::kubectl_update::rollout(sim, sub, &args[1..]),
        // (Rollbacks are not simulated yet: changing the template back, with `set image` or
        // `apply`, rolls the old ReplicaSet out again as the newest revision.)
        "undo" => return Err(super::kubectl::not_simulated("rollout undo")),
        _ => return Err(super::kubectl::unknown_command(sub, "kubectl rollout", &["history", "pause", "restart", "resume", "status"])),
    }
    let p = parse(&args[1..], &[flag("timeout", None, true), flag("watch", Some('w'), true), NS_FLAGS[0]]).map_err(|e| format!("error: {e}"))?;
    let (kind, name) = resource_and_name(&p)?;
    if kind != Kind::Deployment {
        return Err(format!("error: no status viewer has been implemented for {}", kind.name()));
    }
    let ns = namespace(&p);
    get_one(sim, kind, &ns, &name)?;
    let timeout = timeout_flag(&p, SimDuration::secs(super::MAX_SLEEP_SECS))?;
    let mut lines: Vec<String> = Vec::new();
    let done = wait_until(sim, timeout, |s| {
        let Some(d) = s.get(Kind::Deployment, &ns, &name).and_then(|o| o.as_deployment()) else { return true };
        let (msg, done) = deployment_status(d);
        if lines.last() != Some(&msg) {
            lines.push(msg);
        }
        done
    });
    if !done {
        lines.push("error: timed out waiting for the condition".into());
        return Err(lines.join("\n"));
    }
    Ok(lines.join("\n"))
}

/// `kubectl logs POD [-c CONTAINER]`, `kubectl logs deployment/web` (one of its pods, as
/// kubectl picks it), `kubectl logs -l app=web` (each pod's last 10 lines): what the simulated
/// containers printed. nginx logs its start-up lines, as the official image does; other images
/// have nothing to say.
pub fn logs(sim: &mut Sim, args: &[String]) -> CmdResult {
    let p = parse(args, &[flag("container", Some('c'), true), flag("tail", None, true), flag("follow", Some('f'), false), flag("selector", Some('l'), true), NS_FLAGS[0]]).map_err(|e| format!("error: {e}"))?;
    let usage = "error: expected 'logs [-f] [-p] (POD | TYPE/NAME) [-c CONTAINER]'.\nPOD or TYPE/NAME is a required argument for the logs command\nSee 'kubectl logs -h' for help and examples";
    let ns = namespace(&p);
    let tail = match p.get("tail") {
        None => None,
        Some(t) => Some(t.parse::<i64>().map_err(|_| format!("error: invalid argument {t:?} for \"--tail\" flag: strconv.ParseInt: parsing {t:?}: invalid syntax"))?).filter(|n| *n >= 0).map(|n| n as usize),
    };
    if let Some(sel) = p.get("selector") {
        if !p.positional.is_empty() {
            return Err("error: only a selector (-l) or a POD name is allowed".into());
        }
        let pods = list(sim, Kind::Pod, &ns, Some(parse_selector(sel)?))?;
        if pods.is_empty() {
            return Ok(super::kubectl::no_resources_found(false, &ns));
        }
        // With a selector, the last 10 lines of each pod unless --tail says otherwise.
        let mut out = Vec::new();
        for o in &pods {
            out.extend(pod_logs(o, p.get("container"), tail.or(Some(10)))?);
        }
        return Ok(out.join("\n"));
    }
    let what = p.positional.first().ok_or(usage)?;
    let (kind, name) = match what.split_once('/') {
        Some((k, n)) => (resolve_kind(k).ok_or_else(|| unknown_resource(k))?, n),
        None => (Kind::Pod, what.as_str()),
    };
    let mut out = Vec::new();
    let obj = match kind {
        Kind::Pod => get_one(sim, Kind::Pod, &ns, name)?,
        Kind::Deployment | Kind::ReplicaSet | Kind::Service => {
            // AttachablePodForObject: the first of the pods its selector matches, by ByLogging.
            let owner = get_one(sim, kind, &ns, name)?;
            let selector = match &*owner {
                Object::Deployment(d) => d.spec.selector.clone(),
                Object::ReplicaSet(r) => r.spec.selector.clone(),
                Object::Service(s) => LabelSelector { match_labels: s.spec.selector.clone(), ..Default::default() },
                _ => LabelSelector::default(),
            };
            let mut pods = list(sim, Kind::Pod, &ns, Some(selector))?;
            if pods.is_empty() {
                // (kubectl waits --pod-running-timeout for one to appear.)
                return Err("error: timed out waiting for the condition".into());
            }
            pods.sort_by_key(|o| by_logging(o));
            if pods.len() > 1 {
                out.push(format!("Found {} pods, using pod/{}", pods.len(), pods[0].name()));
            }
            pods.swap_remove(0)
        }
        _ => return Err(format!("error: cannot get the logs from {}", kind.group_resource())),
    };
    out.extend(pod_logs(&obj, p.get("container"), tail)?);
    Ok(out.join("\n"))
}

/// podutils.ByLogging's order: scheduled, then Running, then ready, then the longest ready,
/// then the most restarted, then the oldest.
fn by_logging(o: &ObjectRc) -> (bool, u8, bool, Option<crate::sim::SimTime>, std::cmp::Reverse<i32>, Option<crate::sim::SimTime>) {
    let Some(p) = o.as_pod() else { return (true, 3, true, None, std::cmp::Reverse(0), None) };
    let phase = match p.status.phase.as_str() {
        "Running" => 0,
        "Unknown" => 1,
        "Pending" => 2,
        _ => 3,
    };
    let ready = p.status.conditions.iter().find(|c| c.type_ == "Ready" && c.status == "True");
    // (Ready for longer first: an earlier transition sorts first.)
    let ready_since = ready.and_then(|c| c.last_transition_time);
    (p.spec.node_name.is_empty(), phase, ready.is_none(), ready_since, std::cmp::Reverse(p.restarts()), o.meta().creation_timestamp)
}

/// One pod's log lines (the container `-c` names, or its only one), the last `tail` of them.
fn pod_logs(obj: &ObjectRc, container: Option<&str>, tail: Option<usize>) -> Result<Vec<String>, String> {
    let pod = obj.as_pod().ok_or("error: not a pod")?;
    let name = pod.metadata.name.as_str();
    let container = match container {
        Some(c) => pod.spec.containers.iter().find(|x| x.name == c).ok_or_else(|| format!("error: container {c} is not valid for pod {name}"))?,
        None if pod.spec.containers.len() > 1 => {
            return Err(format!("error: a container name must be specified for pod {name}, choose one of: [{}]", pod.spec.containers.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(" ")))
        }
        None => pod.spec.containers.first().ok_or("error: the pod has no containers")?,
    };
    let status = pod.status.container_statuses.iter().find(|s| s.name == container.name);
    let started = status.and_then(|s| s.state.running.as_ref()).map(|r| r.started_at);
    let Some(started) = started else {
        let reason = status.and_then(|s| s.state.waiting.as_ref()).map(|w| w.reason.clone()).unwrap_or_else(|| "ContainerCreating".into());
        return Err(format!("Error from server (BadRequest): container {:?} in pod {name:?} is waiting to start: {reason}", container.name));
    };
    let (repo, _) = crate::sim::runtime::normalize_image(&container.image);
    if repo != "docker.io/library/nginx" {
        return Ok(Vec::new());
    }
    let t = started.rfc3339();
    let stamp = format!("{} {}", t[..10].replace('-', "/"), &t[11..19]);
    let mut lines = vec![
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration".to_string(),
        "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/".into(),
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh".into(),
        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf".into(),
        "/docker-entrypoint.sh: Configuration complete; ready for start up".into(),
        format!("{stamp} [notice] 1#1: using the \"epoll\" event method"),
        format!("{stamp} [notice] 1#1: nginx/1.27.3"),
        format!("{stamp} [notice] 1#1: start worker processes"),
        format!("{stamp} [notice] 1#1: start worker process 29"),
    ];
    if let Some(n) = tail {
        let skip = lines.len().saturating_sub(n);
        lines.drain(..skip);
    }
    Ok(lines)
}
