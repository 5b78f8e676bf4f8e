//! kubectl's commands that change an object in place: `set image`, `patch`, and `rollout
//! history|restart|pause|resume`. Each reads the object, changes it the way kubectl's patch
//! would, and sends it back as a patch (no resourceVersion), so a controller's write in between
//! is no conflict. What happens next (a Deployment rolling out its new ReplicaSet, a pod's
//! kubelet restarting the container) is the engine's.

use serde_json::Value;

use super::args::{flag, parse, Parsed};
use super::kubectl::{created, get_one, list, namespace, not_simulated, parse_selector, resolve_kind, send_changes, submit_patch, unknown_command, unknown_resource, CmdResult, NS_FLAGS};
use crate::sim::controllers::{CHANGE_CAUSE_ANNOTATION, REVISION_ANNOTATION};
use crate::sim::message::MetaOp;
use crate::sim::patch::PatchType;
use crate::sim::objects::*;
use crate::sim::Sim;

/// ResourceTypeOrNameArgs: `TYPE/NAME...`, or `TYPE NAME...`, or `TYPE` with `--all` or `-l`
/// (or alone, where the command takes that as all of them: the rollout commands).
fn targets(sim: &mut Sim, p: &Parsed, resources: &[String], type_alone_is_all: bool) -> Result<Vec<ObjectRc>, String> {
    let ns = namespace(p);
    let Some(first) = resources.first() else {
        return Err("error: You must provide one or more resources by argument or filename.\nExample resource specifications include:\n   '-f rsrc.yaml'\n   '--filename=rsrc.json'\n   '<resource> <name>'\n   '<resource>'".into());
    };
    let kind_of = |k: &str| resolve_kind(k).ok_or_else(|| unknown_resource(k));
    let mut out = Vec::new();
    if first.contains('/') {
        for r in resources {
            let Some((k, name)) = r.split_once('/') else {
                return Err("error: there is no need to specify a resource type as a separate argument when passing arguments in resource/name form (e.g. 'kubectl get resource/<resource_name>' instead of 'kubectl get resource resource/<resource_name>'".into());
            };
            out.push(get_one(sim, kind_of(k)?, &ns, name)?);
        }
        return Ok(out);
    }
    let kind = kind_of(first)?;
    let names = &resources[1..];
    if names.is_empty() {
        let selector = match p.get("selector") {
            Some(s) => Some(parse_selector(s)?),
            None if p.has("all") || type_alone_is_all => None,
            None => return Err("error: resource(s) were provided, but no name was specified".into()),
        };
        return list(sim, kind, &ns, selector);
    }
    for name in names {
        out.push(get_one(sim, kind, &ns, name)?);
    }
    Ok(out)
}

/// `deployment.apps "web"`, as kubectl names an object in a patch's error.
fn quoted(o: &ObjectRc) -> String {
    format!("{} {:?}", o.kind().group_resource(), o.name())
}

/// The pod spec inside an object's JSON: a pod's own, or its template's.
fn pod_spec_mut(kind: Kind, v: &mut Value) -> Option<&mut Value> {
    match kind {
        Kind::Pod => v.get_mut("spec"),
        Kind::Deployment | Kind::ReplicaSet => v.get_mut("spec")?.get_mut("template")?.get_mut("spec"),
        _ => None,
    }
}

/// `kubectl set image TYPE NAME CONTAINER=IMAGE...` (or `*=IMAGE` for every container).
/// kubectl's other `set` commands are not simulated.
pub fn set(sim: &mut Sim, args: &[String]) -> CmdResult {
    const SUBCOMMANDS: [&str; 6] = ["env", "image", "resources", "selector", "serviceaccount", "subject"];
    let Some(sub) = args.first() else {
        return Err(super::help::command_help("set").unwrap_or_default());
    };
    match sub.as_str() {
        "image" => set_image(sim, &args[1..]),
        s if SUBCOMMANDS.contains(&s) => Err(not_simulated(&format!("set {s}"))),
        s => Err(unknown_command(s, "kubectl set", &SUBCOMMANDS)),
    }
}

fn set_image(sim: &mut Sim, args: &[String]) -> CmdResult {
    let p = parse(args, &[NS_FLAGS[0], flag("selector", Some('l'), true), flag("all", None, false)]).map_err(|e| format!("error: {e}"))?;
    // GetResourcesAndPairs: the resources, then the CONTAINER=IMAGE pairs.
    let is_pair = |s: &str| (s.contains('=') && !s.starts_with('=')) || (s.ends_with('-') && s != "-");
    let split = p.positional.iter().position(|s| is_pair(s)).unwrap_or(p.positional.len());
    let (resources, pairs) = p.positional.split_at(split);
    if let Some(late) = pairs.iter().find(|s| !is_pair(s)) {
        return Err(format!("error: all resources must be specified before image changes: {late}"));
    }
    let invalid: Vec<&str> = pairs.iter().filter(|s| !s.contains('=') || s.starts_with('=')).map(|s| s.as_str()).collect();
    if !invalid.is_empty() {
        return Err(format!("error: invalid image format: {}", invalid.join(", ")));
    }
    // (A later pair for the same container wins, as in kubectl's map.)
    let mut images: Vec<(&str, &str)> = Vec::new();
    for (c, i) in pairs.iter().filter_map(|s| s.split_once('=')) {
        images.retain(|(n, _)| *n != c);
        images.push((c, i));
    }
    let objects = targets(sim, &p, resources, false)?;
    if p.has("all") && p.has("selector") {
        return Err("error: cannot set --all and --selector at the same time".into());
    }
    if images.is_empty() {
        return Err("error: at least one image update is required".into());
    }
    if images.len() > 1 && images.iter().any(|(c, _)| *c == "*") {
        return Err("error: all containers are already specified by *, but saw more than one container_name=container_image pairs".into());
    }
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for o in &objects {
        let mut v = o.to_value();
        let Some(spec) = pod_spec_mut(o.kind(), &mut v) else {
            errors.push(format!("error: {}/{} the object is not a pod or does not have a pod template: *v1.{}", o.kind().plural(), o.name(), o.kind().name()));
            continue;
        };
        for (name, image) in &images {
            let mut found = false;
            for list in ["initContainers", "containers"] {
                for c in spec.get_mut(list).and_then(|l| l.as_array_mut()).into_iter().flatten() {
                    if *name == "*" || c.get("name").and_then(|n| n.as_str()) == Some(name) {
                        c["image"] = Value::String(image.to_string());
                        found = true;
                    }
                }
            }
            if !found {
                errors.push(format!("error: unable to find container named {name:?}"));
            }
        }
        match send_changes(sim, o, &v) {
            Ok(Some(stored)) => out.push(created(&stored, "image updated")),
            // (No change: kubectl prints nothing for it.)
            Ok(None) => {}
            Err(e) => errors.push(format!("failed to patch image update to pod template: {}", e.trim_start_matches("error: "))),
        }
    }
    finish(out, errors)
}

/// Output lines, then the errors; an error if there was any.
fn finish(mut out: Vec<String>, errors: Vec<String>) -> CmdResult {
    let failed = !errors.is_empty();
    out.extend(errors);
    if failed { Err(out.join("\n")) } else { Ok(out.join("\n")) }
}

/// `kubectl patch TYPE NAME -p PATCH [--type strategic|merge|json]`.
pub fn patch(sim: &mut Sim, args: &[String]) -> CmdResult {
    let p = parse(args, &[NS_FLAGS[0], flag("patch", Some('p'), true), flag("type", None, true), flag("patch-file", None, true)]).map_err(|e| format!("error: {e}"))?;
    let text = match (p.get("patch"), p.get("patch-file")) {
        (Some(_), Some(_)) => return Err("error: cannot specify --patch and --patch-file together".into()),
        (None, Some(f)) => return Err(format!("error: unable to read patch file: open {f}: no such file or directory (kubesim has no files: use -p)")),
        (None, None) => return Err("error: must specify --patch or --patch-file containing the contents of the patch".into()),
        (Some(t), None) => t,
    };
    let kind = match p.get("type").map(|t| t.to_ascii_lowercase()) {
        None => "strategic".to_string(),
        Some(t) if matches!(t.as_str(), "json" | "merge" | "strategic") => t,
        Some(t) => return Err(format!("error: --type must be one of [json merge strategic], not {t:?}")),
    };
    // kubectl reads the patch as YAML (JSON is YAML) and sends it as JSON.
    let doc = match super::yaml::parse_documents(text) {
        Ok(mut docs) if docs.len() <= 1 => docs.pop().unwrap_or(Value::Null),
        Ok(_) => return Err(format!("error: unable to parse {text:?}: yaml: expected a single document")),
        Err(e) => return Err(format!("error: unable to parse {text:?}: yaml: {}", e.trim_start_matches("error: "))),
    };
    let objects = targets(sim, &p, &p.positional, false)?;
    if objects.is_empty() {
        return Err("error: no objects passed to patch".into());
    }
    let type_ = match kind.as_str() {
        "json" => PatchType::Json,
        "merge" => PatchType::Merge,
        _ => PatchType::Strategic,
    };
    let doc = std::rc::Rc::new(doc);
    let mut out = Vec::new();
    for o in &objects {
        // The server applies the patch to the object it has then, and says why it does not apply.
        let stored = submit_patch(sim, o, MetaOp::Document(type_, doc.clone()))?;
        // (kubectl compares the object it read with the one the server returns.)
        out.push(if stored.resource_version() != o.resource_version() { created(&stored, "patched") } else { created(o, "patched (no change)") });
    }
    Ok(out.join("\n"))
}

/// `kubectl rollout history|restart|pause|resume`, for Deployments.
pub fn rollout(sim: &mut Sim, sub: &str, args: &[String]) -> CmdResult {
    let p = parse(args, &[NS_FLAGS[0], flag("selector", Some('l'), true), flag("revision", None, true)]).map_err(|e| format!("error: {e}"))?;
    if sub != "history" && p.has("revision") {
        return Err("error: unknown flag: --revision".into());
    }
    if p.positional.is_empty() {
        return Err("error: required resource not specified".into());
    }
    let revision = match p.get("revision") {
        None => 0,
        Some(r) => r.parse::<i64>().map_err(|_| format!("error: invalid argument {r:?} for \"--revision\" flag: strconv.ParseInt: parsing {r:?}: invalid syntax"))?,
    };
    let objects = targets(sim, &p, &p.positional, true)?;
    if objects.is_empty() {
        return Err(super::kubectl::no_resources_found(false, &namespace(&p)));
    }
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    for o in &objects {
        let result = match (sub, &**o) {
            ("history", Object::Deployment(_)) => history(sim, o, revision),
            ("history", _) => {
                let kind = o.kind();
                let group_kind = kind.api_version().split_once('/').map_or(kind.name().to_string(), |(group, _)| format!("{}.{group}", kind.name()));
                Err(format!("error: no history viewer has been implemented for {group_kind:?}"))
            }
            (_, Object::Deployment(d)) => change_deployment(sim, o, d, sub),
            ("restart", _) => Err(format!("error: {} restarting is not supported", quoted(o))),
            ("pause", _) => Err(format!("error: {} pausing is not supported", quoted(o))),
            _ => Err(format!("error: {} resuming is not supported", quoted(o))),
        };
        match result {
            Ok(s) => out.push(s),
            Err(e) => errors.push(e),
        }
    }
    finish(out, errors)
}

/// restart, pause or resume one Deployment, as kubectl's ObjectRestarter, ObjectPauser and
/// ObjectResumer change it.
fn change_deployment(sim: &mut Sim, o: &ObjectRc, d: &Deployment, sub: &str) -> Result<String, String> {
    let mut next = d.clone();
    let done = match sub {
        "restart" if d.spec.paused => return Err(format!("error: {} can't restart paused deployment (run rollout resume first)", quoted(o))),
        "restart" => {
            // The template changes, so the Deployment rolls out a new ReplicaSet.
            next.spec.template.metadata.annotations.insert("kubectl.kubernetes.io/restartedAt".into(), sim.now().rfc3339().into());
            "restarted"
        }
        "pause" if d.spec.paused => return Err(format!("error: {} is already paused", quoted(o))),
        "pause" => {
            next.spec.paused = true;
            "paused"
        }
        _ if !d.spec.paused => return Err(format!("error: {} is not paused", quoted(o))),
        _ => {
            next.spec.paused = false;
            "resumed"
        }
    };
    if next == *d {
        return Err(format!("failed to create patch for {}: if restart has already been triggered within the past second, please wait before attempting to trigger another", o.name()));
    }
    let stored = send_changes(sim, o, &Object::Deployment(Box::new(next)).to_value()).map_err(|e| format!("failed to patch: {}", e.trim_start_matches("error: ")))?;
    Ok(created(stored.as_ref().unwrap_or(o), done))
}

/// DeploymentHistoryViewer: the revisions of the Deployment's ReplicaSets and their change
/// causes, or one revision's pod template.
fn history(sim: &mut Sim, o: &ObjectRc, revision: i64) -> Result<String, String> {
    let mut revisions: Vec<(i64, &ReplicaSet)> = Vec::new();
    let uid = &o.meta().uid;
    let all: Vec<ObjectRc> = sim.objects(Kind::ReplicaSet).filter(|r| r.namespace() == o.namespace()).cloned().collect();
    for rs in all.iter().filter_map(|r| r.as_replica_set()) {
        if !rs.metadata.owner_references.iter().any(|r| r.controller && r.uid == *uid) {
            continue;
        }
        if let Some(n) = rs.metadata.annotations.get(REVISION_ANNOTATION).and_then(|r| r.parse::<i64>().ok()) {
            // (Two ReplicaSets with one revision: the last one listed wins, as in kubectl's map.)
            revisions.retain(|(r, _)| *r != n);
            revisions.push((n, rs));
        }
    }
    revisions.sort_by_key(|(r, _)| *r);
    let name = created(o, "");
    if revisions.is_empty() {
        return Ok(format!("{name}\nNo rollout history found."));
    }
    if revision > 0 {
        let (_, rs) = revisions.iter().find(|(r, _)| *r == revision).ok_or("error: unable to find the specified revision")?;
        let mut template = (*rs.spec.template).clone();
        if let Some(cause) = rs.metadata.annotations.get(CHANGE_CAUSE_ANNOTATION) {
            template.metadata.annotations.insert(CHANGE_CAUSE_ANNOTATION.into(), cause.clone());
        }
        // (kubectl prints the template's tab-separated lines as they are.)
        return Ok(format!("{}/{} with revision #{revision}\n{}", o.kind().singular_group(), o.name(), super::describe::pod_template_text(&template)));
    }
    let mut table = String::from("REVISION\tCHANGE-CAUSE\n");
    for (r, rs) in &revisions {
        let cause = rs.metadata.annotations.get(CHANGE_CAUSE_ANNOTATION).filter(|c| !c.is_empty()).map_or("<none>", |c| c.as_str());
        table += &format!("{r}\t{cause}\n");
    }
    Ok(format!("{name}\n{}", super::tabwriter::align(&table)))
}
