//! The patches the API server applies to the object it has (PATCH): a JSON merge patch
//! (RFC 7386), a strategic merge patch (Kubernetes' own: the lists it knows merge item by item
//! on a key) or a JSON patch (RFC 6902). The server applies a patch to the latest stored
//! object, so a client that changes one field does not undo what a controller wrote since the
//! client's read; kubectl sends its changes this way (`set image`, `cordon`, `taint`,
//! `rollout restart`, `apply`...). Also `diff` and `strategic_diff`, the patch between two
//! versions of an object (CreateTwoWayMergePatch), which is how kubectl turns "the object as I
//! want it" into the patch it sends.

use serde_json::Value;

use super::objects::Kind;

/// `kubectl patch --type`, the patch's content type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// application/merge-patch+json
    Merge,
    /// application/strategic-merge-patch+json (kubectl patch's default)
    Strategic,
    /// application/json-patch+json
    Json,
}

impl PatchType {
    pub fn name(self) -> &'static str {
        match self {
            PatchType::Merge => "merge",
            PatchType::Strategic => "strategic",
            PatchType::Json => "json",
        }
    }
}

/// Applies `patch` to `current` (both the object as JSON), or says why it does not apply, in
/// the words of the libraries the API server uses.
pub fn apply(type_: PatchType, current: &Value, patch: &Value) -> Result<Value, String> {
    match type_ {
        PatchType::Merge => Ok(merge_patch(current, patch)),
        PatchType::Strategic => strategic_patch(current, patch),
        PatchType::Json => json_patch(current, patch),
    }
}

/// The merge patch that turns `old` into `new`: changed fields, `null` for removed ones, lists
/// whole. An empty map if they are equal.
pub fn diff(old: &Value, new: &Value) -> Value {
    two_way(old, new, false)
}

/// The strategic merge patch that turns `old` into `new` (CreateTwoWayMergePatch): as `diff`,
/// but a list Kubernetes merges by a key (`merge_key`: containers by name, ports...) names only
/// its changed items (each with its key, and only what changed in it), `{"$patch":"delete"}`
/// for a removed one, and its order in `$setElementOrder/<field>`: so a change to one
/// container leaves what someone else changed in another.
pub fn strategic_diff(old: &Value, new: &Value) -> Value {
    two_way(old, new, true)
}

/// `diff`, or with `strategic` `strategic_diff`.
fn two_way(old: &Value, new: &Value, strategic: bool) -> Value {
    let (Value::Object(o), Value::Object(n)) = (old, new) else { return new.clone() };
    let mut out = serde_json::Map::new();
    for (k, nv) in n {
        let Some(ov) = o.get(k) else {
            out.insert(k.clone(), nv.clone());
            continue;
        };
        if ov == nv {
            continue;
        }
        match (ov, nv) {
            (Value::Object(_), Value::Object(_)) => {
                out.insert(k.clone(), two_way(ov, nv, strategic));
            }
            (Value::Array(ol), Value::Array(nl)) if strategic => {
                let both: Vec<Value> = ol.iter().chain(nl).cloned().collect();
                let keyed = merge_key(k, &both).filter(|key| both.iter().all(|i| i.get(*key).is_some()));
                match keyed {
                    Some(key) => {
                        let find = |list: &[Value], v: &Value| list.iter().find(|i| i.get(key) == Some(v)).cloned();
                        let mut items = Vec::new();
                        for item in nl {
                            match find(ol, &item[key]) {
                                Some(before) if before == *item => {}
                                Some(before) => {
                                    let mut d = two_way(&before, item, true);
                                    d[key] = item[key].clone();
                                    items.push(d);
                                }
                                None => items.push(item.clone()),
                            }
                        }
                        for item in ol.iter().filter(|i| find(nl, &i[key]).is_none()) {
                            items.push(serde_json::json!({"$patch": "delete", key: item[key].clone()}));
                        }
                        let order: Vec<Value> = nl.iter().map(|i| serde_json::json!({key: i[key].clone()})).collect();
                        out.insert(format!("$setElementOrder/{k}"), Value::Array(order));
                        if !items.is_empty() {
                            out.insert(k.clone(), Value::Array(items));
                        }
                    }
                    None => {
                        out.insert(k.clone(), nv.clone());
                    }
                }
            }
            _ => {
                out.insert(k.clone(), nv.clone());
            }
        }
    }
    for k in o.keys().filter(|k| !n.contains_key(*k)) {
        out.insert(k.clone(), Value::Null);
    }
    Value::Object(out)
}

/// Whether a patch made by `diff` changes nothing.
pub fn is_empty(patch: &Value) -> bool {
    patch.as_object().is_some_and(|m| m.is_empty())
}

/// What the API server answers about an object it cannot decode (a manifest, or an object a
/// patch made): `Deployment in version "v1" cannot be handled as a Deployment: ...`.
pub fn cannot_decode(kind: Kind, serde_error: &str) -> String {
    let name = kind.name();
    if serde_error.starts_with("unknown field") {
        let field = serde_error.split('`').nth(1).unwrap_or("");
        format!("{name} in version \"v1\" cannot be handled as a {name}: strict decoding error: unknown field {field:?}")
    } else {
        format!("{name} in version \"v1\" cannot be handled as a {name}: {serde_error}")
    }
}

/// The `patchMergeKey` of a list field (k8s.io/api), for the lists kubesim's objects have.
/// `ports` are a container's (by containerPort) or a Service's (by port).
pub fn merge_key(field: &str, items: &[Value]) -> Option<&'static str> {
    match field {
        "containers" | "initContainers" | "env" | "volumes" | "imagePullSecrets" => Some("name"),
        "volumeMounts" => Some("mountPath"),
        "ports" if items.iter().any(|i| i.get("containerPort").is_some()) => Some("containerPort"),
        "ports" => Some("port"),
        _ => None,
    }
}

/// A strategic merge patch applied to `current` (`kubectl patch`'s default): what the patch sets
/// wins and a `null` removes a field, as in a merge patch, but the lists Kubernetes merges by a
/// key (`merge_key`) merge item by item, and each of their items must carry its key. An item
/// with `$patch: delete` is removed, a map with `$patch: replace` replaces the live one, and
/// `$setElementOrder` puts a list's items in the client's order.
pub fn strategic_merge(current: &Value, patch: &Value) -> Result<Value, String> {
    match (current, patch) {
        (Value::Object(cur), Value::Object(p)) => {
            let replace = p.get("$patch").and_then(|v| v.as_str()) == Some("replace");
            let mut out = if replace { Default::default() } else { cur.clone() };
            for (k, pv) in p.iter().filter(|(k, _)| !k.starts_with('$')) {
                if pv.is_null() {
                    out.remove(k);
                    continue;
                }
                let live = if replace { None } else { cur.get(k) };
                let next = match (live, pv) {
                    (live, Value::Array(items)) => {
                        let live_items = live.and_then(|l| l.as_array()).map_or(&[][..], |a| a.as_slice());
                        let both: Vec<Value> = live_items.iter().chain(items).cloned().collect();
                        match merge_key(k, &both) {
                            Some(key) => Value::Array(strategic_list(live_items, items, key)?),
                            None => pv.clone(),
                        }
                    }
                    (Some(cv), _) => strategic_merge(cv, pv)?,
                    (None, _) => strategic_merge(&Value::Null, pv)?,
                };
                out.insert(k.clone(), next);
            }
            // `$setElementOrder/<field>`: the list's items in the order the client has them
            // (those it does not name, added by someone else, after them as they were).
            for (directive, order) in p.iter().filter(|(k, _)| k.starts_with("$setElementOrder/")) {
                let field = &directive["$setElementOrder/".len()..];
                let (Some(Value::Array(items)), Some(order)) = (out.get_mut(field), order.as_array()) else { continue };
                let Some(key) = merge_key(field, items) else { continue };
                let rank = |item: &Value| order.iter().position(|o| o.get(key).is_some_and(|v| item.get(key) == Some(v))).unwrap_or(usize::MAX);
                // (A stable sort: items it does not name keep their order.)
                items.sort_by_key(rank);
            }
            Ok(Value::Object(out))
        }
        (_, Value::Object(_)) => strategic_merge(&Value::Object(Default::default()), patch),
        _ => Ok(patch.clone()),
    }
}

fn strategic_list(current: &[Value], patch: &[Value], key: &str) -> Result<Vec<Value>, String> {
    let mut out = current.to_vec();
    for item in patch {
        let Some(k) = item.get(key) else {
            return Err(format!("map: {} does not contain declared merge key: {key}", go_format(item)));
        };
        let at = out.iter().position(|c| c.get(key) == Some(k));
        if item.get("$patch").and_then(|v| v.as_str()) == Some("delete") {
            if let Some(i) = at {
                out.remove(i);
            }
            continue;
        }
        match at {
            Some(i) => out[i] = strategic_merge(&out[i], item)?,
            None => out.push(strategic_merge(&Value::Null, item)?),
        }
    }
    Ok(out)
}

/// A JSON value as Go's `%v` prints what it decoded into interface{} (`map[name:web port:80]`).
pub fn go_format(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            format!("map[{}]", keys.iter().map(|k| format!("{k}:{}", go_format(&m[k.as_str()]))).collect::<Vec<_>>().join(" "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(go_format).collect::<Vec<_>>().join(" ")),
        Value::String(s) => s.clone(),
        Value::Null => "<nil>".into(),
        other => other.to_string(),
    }
}

/// A strategic merge patch: maps merge, `null` removes a field, the lists Kubernetes merges by
/// a key (containers by name, ports by port...) merge item by item, other lists are replaced.
fn strategic_patch(cur: &Value, patch: &Value) -> Result<Value, String> {
    if !patch.is_object() {
        return Err(format!("json: cannot unmarshal {} into Go value of type map[string]interface {{}}", json_type(patch)));
    }
    strategic_merge(cur, patch)
}

/// An RFC 7386 JSON merge patch: maps merge, `null` removes, anything else replaces.
fn merge_patch(cur: &Value, patch: &Value) -> Value {
    match (cur, patch) {
        (Value::Object(c), Value::Object(p)) => {
            let mut out = c.clone();
            for (k, v) in p {
                if v.is_null() {
                    out.remove(k);
                } else {
                    let next = merge_patch(c.get(k).unwrap_or(&Value::Null), v);
                    out.insert(k.clone(), next);
                }
            }
            Value::Object(out)
        }
        (_, Value::Object(_)) => merge_patch(&Value::Object(Default::default()), patch),
        _ => patch.clone(),
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Object(_) => "object",
        Value::Array(_) => "array",
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "bool",
        Value::Null => "null",
    }
}

/// An RFC 6902 JSON patch: add, remove, replace, move, copy and test, each at a JSON pointer,
/// in the words of the json-patch library the API server uses.
fn json_patch(cur: &Value, patch: &Value) -> Result<Value, String> {
    let Some(ops) = patch.as_array() else {
        return Err(format!("json: cannot unmarshal {} into Go value of type jsonpatch.Patch", json_type(patch)));
    };
    let mut doc = cur.clone();
    for op in ops {
        let field = |k: &str| op.get(k).and_then(|v| v.as_str()).map(str::to_string);
        let kind = field("op").unwrap_or_default();
        let path = field("path").ok_or_else(|| format!("{kind} operation does not apply: doc is missing path: \"\": missing value"))?;
        let value = || op.get("value").cloned().ok_or_else(|| format!("{kind} operation does not apply: value is missing"));
        match kind.as_str() {
            "add" => pointer_add(&mut doc, &path, value()?).ok_or_else(|| format!("add operation does not apply: doc is missing path: {path:?}: missing value"))?,
            "remove" => {
                pointer_remove(&mut doc, &path).ok_or_else(|| format!("remove operation does not apply: doc is missing path: {path:?}: missing value"))?;
            }
            "replace" => {
                let slot = doc.pointer_mut(&path).filter(|_| !path.is_empty()).ok_or_else(|| format!("replace operation does not apply: doc is missing key: {path}: missing value"))?;
                *slot = value()?;
            }
            "move" | "copy" => {
                let from = field("from").unwrap_or_default();
                let v = if kind == "move" { pointer_remove(&mut doc, &from) } else { doc.pointer(&from).cloned() };
                let v = v.ok_or_else(|| format!("{kind} operation does not apply: doc is missing from path: {from:?}: missing value"))?;
                pointer_add(&mut doc, &path, v).ok_or_else(|| format!("{kind} operation does not apply: doc is missing destination path: {path:?}: missing value"))?;
            }
            "test" => {
                if doc.pointer(&path) != Some(&value()?) {
                    return Err(format!("testing value {path} failed: test failed"));
                }
            }
            other => return Err(format!("Unexpected kind: {other}")),
        }
    }
    Ok(doc)
}

/// The parent of a JSON pointer's target, and the target's last token (unescaped).
fn parent_mut<'a>(doc: &'a mut Value, path: &str) -> Option<(&'a mut Value, String)> {
    let (parent, last) = path.rsplit_once('/')?;
    let last = last.replace("~1", "/").replace("~0", "~");
    Some((doc.pointer_mut(parent)?, last))
}

fn pointer_add(doc: &mut Value, path: &str, v: Value) -> Option<()> {
    if path.is_empty() {
        *doc = v;
        return Some(());
    }
    let (parent, last) = parent_mut(doc, path)?;
    match parent {
        Value::Object(m) => {
            m.insert(last, v);
        }
        Value::Array(a) => {
            let i = if last == "-" { a.len() } else { last.parse::<usize>().ok().filter(|i| *i <= a.len())? };
            a.insert(i, v);
        }
        _ => return None,
    }
    Some(())
}

fn pointer_remove(doc: &mut Value, path: &str) -> Option<Value> {
    let (parent, last) = parent_mut(doc, path)?;
    match parent {
        Value::Object(m) => m.remove(&last),
        Value::Array(a) => {
            let i = last.parse::<usize>().ok().filter(|i| *i < a.len())?;
            Some(a.remove(i))
        }
        _ => None,
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;
    use serde_json::json;

    /// A random JSON document without nulls (a merge patch cannot set a null), small enough
    /// that two of them share keys.
    fn document(rng: &mut Rng, depth: u32) -> Value {
        match rng.below(if depth == 0 { 3 } else { 5 }) {
            0 => json!(rng.below(3)),
            1 => json!(["a", "b", "c"][rng.below(3) as usize]),
            2 => json!(rng.below(2) == 0),
            3 => Value::Array((0..rng.below(3)).map(|_| document(rng, depth - 1)).collect()),
            _ => Value::Object((0..rng.below(4)).map(|_| (["x", "y", "z", "w"][rng.below(4) as usize].to_string(), document(rng, depth - 1))).collect()),
        }
    }

    #[test]
    fn the_diff_of_two_documents_turns_one_into_the_other() {
        let mut rng = Rng::new(11);
        for _ in 0..2_000 {
            let (old, new) = (document(&mut rng, 3), document(&mut rng, 3));
            let patch = diff(&old, &new);
            assert_eq!(apply(PatchType::Merge, &old, &patch), Ok(new.clone()), "{old} -> {new} by {patch}");
            // (Between two objects, as kubectl diffs them: empty exactly when nothing changed.)
            if old.is_object() && new.is_object() {
                assert_eq!(is_empty(&patch), old == new, "{old} -> {new} by {patch}");
            }
        }
    }

    /// A document shaped like a pod spec: containers (merged by name) with ports (by
    /// containerPort) and args (replaced whole), tolerations (no merge key).
    fn spec(rng: &mut Rng) -> Value {
        let containers: Vec<Value> = (0..rng.below(4))
            .map(|i| {
                let mut c = json!({"name": format!("c{}", (i + rng.below(3)) % 4), "image": (["nginx", "redis"][rng.below(2) as usize])});
                if rng.below(2) == 0 {
                    c["ports"] = Value::Array((0..rng.below(3)).map(|p| json!({"containerPort": 80 + p, "protocol": (["TCP", "UDP"][rng.below(2) as usize])})).collect());
                }
                if rng.below(3) == 0 {
                    c["args"] = json!(["-v", rng.below(3).to_string()]);
                }
                c
            })
            .collect();
        // (Names are unique, as validation makes them.)
        let mut seen = std::collections::BTreeSet::new();
        let containers: Vec<Value> = containers.into_iter().filter(|c| seen.insert(c["name"].to_string())).collect();
        let mut s = json!({"containers": containers});
        if rng.below(2) == 0 {
            s["tolerations"] = json!([{"key": (["a", "b"][rng.below(2) as usize])}]);
        }
        if rng.below(2) == 0 {
            s["nodeName"] = json!((["n1", "n2"][rng.below(2) as usize]));
        }
        json!({"spec": s})
    }

    #[test]
    fn the_strategic_diff_of_two_objects_turns_one_into_the_other() {
        let mut rng = Rng::new(5);
        for _ in 0..3_000 {
            let (old, new) = (spec(&mut rng), spec(&mut rng));
            let patch = strategic_diff(&old, &new);
            assert_eq!(apply(PatchType::Strategic, &old, &patch), Ok(new.clone()), "{old} -> {new} by {patch}");
            assert_eq!(is_empty(&patch), old == new, "{old} -> {new} by {patch}");
        }
    }

    #[test]
    fn a_strategic_diff_names_the_changed_container_by_its_name() {
        let old = json!({"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.27", "ports": [{"containerPort": 80}]}, {"name": "log", "image": "busybox"}]}}}});
        let mut new = old.clone();
        new["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx:1.28");
        // What kubectl set image sends.
        assert_eq!(strategic_diff(&old, &new).to_string(), r#"{"spec":{"template":{"spec":{"$setElementOrder/containers":[{"name":"web"},{"name":"log"}],"containers":[{"image":"nginx:1.28","name":"web"}]}}}}"#);
        // Applied to an object where someone changed the other container meanwhile, it keeps that.
        let mut live = old.clone();
        live["spec"]["template"]["spec"]["containers"][1]["image"] = json!("busybox:1.36");
        let patched = apply(PatchType::Strategic, &live, &strategic_diff(&old, &new)).expect("applies");
        assert_eq!(patched["spec"]["template"]["spec"]["containers"][1]["image"], json!("busybox:1.36"));
        assert_eq!(patched["spec"]["template"]["spec"]["containers"][0]["image"], json!("nginx:1.28"));
    }

    #[test]
    fn a_diff_names_only_what_changed() {
        let old = json!({"metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {"replicas": 2, "paused": true, "template": {"containers": [{"name": "c", "image": "nginx:1.27"}]}}});
        let new = json!({"metadata": {"name": "web", "labels": {"app": "web"}}, "spec": {"replicas": 3, "template": {"containers": [{"name": "c", "image": "nginx:1.28"}]}}});
        assert_eq!(diff(&old, &new), json!({"spec": {"replicas": 3, "paused": null, "template": {"containers": [{"name": "c", "image": "nginx:1.28"}]}}}));
        assert_eq!(apply(PatchType::Json, &old, &json!({"op": "remove"})), Err("json: cannot unmarshal object into Go value of type jsonpatch.Patch".to_string()));
    }
}
