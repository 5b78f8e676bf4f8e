//! Validation with Kubernetes' own messages (k8s.io/apimachinery/pkg/util/validation and
//! pkg/apis/*/validation). Each problem is a `Cause` naming the field, as in field.ErrorList.

use super::objects::*;
use super::text::{concat, quote};

/// Kubesim's own limits, so a typo cannot freeze the page.
pub const MAX_REPLICAS: i32 = 150_000;
pub const MAX_CONTAINERS: usize = 32;

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub field: String,
    pub message: String,
}

impl Cause {
    pub(crate) fn invalid(field: &str, value: impl std::fmt::Display, detail: &str) -> Cause {
        Cause { field: field.into(), message: format!("Invalid value: {value}: {detail}") }
    }
    fn required(field: &str) -> Cause {
        Cause { field: field.into(), message: "Required value".into() }
    }
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

pub fn is_dns1123_label(s: &str) -> bool {
    s.len() <= 63 && is_label(s)
}

/// Dot-separated labels as `is_dns1123_label` checks them. Every object created is checked,
/// Events included, so in two quick passes: every byte allowed, then each dot (and the ends)
/// between two letters or digits.
pub fn is_dns1123_subdomain(s: &str) -> bool {
    const fn allowed() -> [bool; 256] {
        let mut t = [false; 256];
        let mut c = 0;
        while c < 256 {
            t[c] = matches!(c as u8, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.');
            c += 1;
        }
        t
    }
    const ALLOWED: [bool; 256] = allowed();
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if b.is_empty() || b.len() > 253 || !b.iter().fold(true, |ok, &c| ok & ALLOWED[c as usize]) {
        return false;
    }
    alnum(b[0]) && alnum(b[b.len() - 1]) && b.windows(3).all(|w| w[1] != b'.' || (alnum(w[0]) && alnum(w[2])))
}

pub fn is_dns1035_label(s: &str) -> bool {
    is_dns1123_label(s) && s.as_bytes()[0].is_ascii_lowercase()
}

/// A name (`checked`) by the rule its kind uses, reported under `field` as `shown`.
fn check_name(kind: Kind, field: &str, checked: &str, shown: &str, causes: &mut Vec<Cause>) {
    let (ok, msg, max) = match kind {
        Kind::Service => (is_dns1035_label(checked), DNS1035_LABEL_MSG, 63),
        Kind::Namespace => (is_dns1123_label(checked), DNS1123_LABEL_MSG, 63),
        _ => (is_dns1123_subdomain(checked), DNS1123_SUBDOMAIN_MSG, 253),
    };
    if checked.len() > max {
        causes.push(Cause::invalid(field, quote(shown), &format!("must be no more than {max} characters")));
    } else if !ok {
        causes.push(Cause::invalid(field, quote(shown), msg));
    }
}

/// `metadata.name` by the rule the kind uses.
pub fn validate_name(kind: Kind, name: &str, causes: &mut Vec<Cause>) {
    if name.is_empty() {
        causes.push(Cause { field: "metadata.name".into(), message: "Required value: name or generateName is required".into() });
        return;
    }
    check_name(kind, "metadata.name", name, name, causes);
}

/// ValidateObjectMeta's check of generateName: the name rule applied to the prefix, with a
/// trailing dash allowed (maskTrailingDash).
fn validate_generate_name(kind: Kind, prefix: &str, causes: &mut Vec<Cause>) {
    if prefix.is_empty() {
        return;
    }
    let masked = match prefix.strip_suffix('-') {
        Some(p) if !p.is_empty() => concat(&[p, "a"]),
        _ => prefix.to_string(),
    };
    check_name(kind, "metadata.generateName", &masked, prefix, causes);
}

/// IsQualifiedName's check of a key's name part (after any `prefix/`), and its message.
fn is_qualified_name_part(key: &str) -> bool {
    let name = key.rsplit('/').next().unwrap_or(key);
    !name.is_empty() && name.len() <= 63 && name.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c)) && name.as_bytes()[0].is_ascii_alphanumeric() && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric()
}
const QUALIFIED_NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

fn validate_labels(field: &str, labels: &Labels, causes: &mut Vec<Cause>) {
    for (k, v) in labels {
        if !is_qualified_name_part(k) {
            causes.push(Cause::invalid(field, quote(k), QUALIFIED_NAME_PART_MSG));
        }
        let value_ok = v.is_empty() || (v.len() <= 63 && v.bytes().all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(&c)) && v.as_bytes()[0].is_ascii_alphanumeric() && v.as_bytes()[v.len() - 1].is_ascii_alphanumeric());
        if !value_ok {
            causes.push(Cause::invalid(field, quote(v), "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"));
        }
    }
}

/// ValidateAnnotations: each key a qualified name (the values are free), all of them together
/// at most 256 KiB.
fn validate_annotations(annotations: &Labels, causes: &mut Vec<Cause>) {
    const FIELD: &str = "metadata.annotations";
    const MAX_TOTAL: usize = 256 * 1024;
    let mut total = 0;
    for (k, v) in annotations {
        total += k.len() + v.len();
        if !is_qualified_name_part(k) {
            causes.push(Cause::invalid(FIELD, quote(&k.to_lowercase()), QUALIFIED_NAME_PART_MSG));
        }
    }
    if total > MAX_TOTAL {
        causes.push(Cause { field: FIELD.into(), message: format!("Too long: must have at most {MAX_TOTAL} bytes") });
    }
}

/// The name of a volume or container (at `item()`): required, a DNS-1123 label, and not one an
/// earlier item of the list has. (Lists are short: the caller scans the earlier items.)
fn validate_item_name(item: &dyn Fn() -> String, name: &str, duplicate: bool, causes: &mut Vec<Cause>) {
    if name.is_empty() {
        causes.push(Cause::required(&format!("{}.name", item())));
    } else if !is_dns1123_label(name) {
        causes.push(Cause::invalid(&format!("{}.name", item()), quote(name), DNS1123_LABEL_MSG));
    } else if duplicate {
        causes.push(Cause { field: format!("{}.name", item()), message: format!("Duplicate value: {}", quote(name)) });
    }
}

pub fn validate_pod_spec(field: &str, spec: &PodSpec, causes: &mut Vec<Cause>) {
    // ValidateVolumes, before the containers whose mounts name them.
    for (i, v) in spec.volumes.iter().enumerate() {
        // The field path is only spelled out for an error.
        let f = || format!("{field}.volumes[{i}]");
        validate_item_name(&f, &v.name, spec.volumes[..i].iter().any(|w| w.name == v.name), causes);
        if v.source.is_empty() {
            causes.push(Cause { field: f(), message: "Required value: must specify a volume type".into() });
        }
    }
    if spec.containers.is_empty() {
        causes.push(Cause::required(&format!("{field}.containers")));
    }
    if spec.containers.len() > MAX_CONTAINERS {
        causes.push(Cause { field: format!("{field}.containers"), message: format!("Too many: {}: must have at most {MAX_CONTAINERS} items", spec.containers.len()) });
    }
    for (i, c) in spec.containers.iter().enumerate() {
        // The field path is only spelled out for an error.
        let f = || format!("{field}.containers[{i}]");
        validate_item_name(&f, &c.name, spec.containers[..i].iter().any(|d| d.name == c.name), causes);
        if c.image.trim().is_empty() {
            causes.push(Cause::required(&format!("{}.image", f())));
        }
        if !matches!(c.image_pull_policy.as_str(), "" | "Always" | "IfNotPresent" | "Never") {
            causes.push(Cause { field: format!("{}.imagePullPolicy", f()), message: format!("Unsupported value: {}: supported values: \"Always\", \"IfNotPresent\", \"Never\"", quote(&c.image_pull_policy)) });
        }
        for (j, p) in c.ports.iter().enumerate() {
            if !(1..=65535).contains(&p.container_port) {
                causes.push(Cause::invalid(&format!("{}.ports[{j}].containerPort", f()), p.container_port, "must be between 1 and 65535, inclusive"));
            }
        }
        // ValidateVolumeMounts.
        for (j, m) in c.volume_mounts.iter().enumerate() {
            let f = || format!("{}.volumeMounts[{j}]", f());
            if m.name.is_empty() {
                causes.push(Cause::required(&format!("{}.name", f())));
            }
            if !spec.volumes.iter().any(|v| v.name == m.name) {
                causes.push(Cause { field: format!("{}.name", f()), message: format!("Not found: {}", quote(&m.name)) });
            }
            if m.mount_path.is_empty() {
                causes.push(Cause::required(&format!("{}.mountPath", f())));
            } else if c.volume_mounts[..j].iter().any(|n| n.mount_path == m.mount_path) {
                causes.push(Cause::invalid(&format!("{}.mountPath", f()), quote(&m.mount_path), "must be unique"));
            }
        }
        for (which, list) in [("requests", &c.resources.requests), ("limits", &c.resources.limits)] {
            for (res, q) in list {
                let ok = match res.as_str() {
                    "cpu" => parse_cpu(q).is_some(),
                    _ => parse_memory(q).is_some(),
                };
                if !ok {
                    causes.push(Cause::invalid(&format!("{}.resources.{which}[{res}]", f()), quote(q), "must be a valid quantity"));
                }
            }
        }
    }
    if !matches!(spec.restart_policy.as_str(), "" | "Always" | "OnFailure" | "Never") {
        causes.push(Cause { field: format!("{field}.restartPolicy"), message: format!("Unsupported value: {}: supported values: \"Always\", \"OnFailure\", \"Never\"", quote(&spec.restart_policy)) });
    }
}

fn validate_replicas(replicas: Option<i32>, causes: &mut Vec<Cause>) {
    if let Some(r) = replicas {
        if r < 0 {
            causes.push(Cause::invalid("spec.replicas", r, "must be greater than or equal to 0"));
        } else if r > MAX_REPLICAS {
            causes.push(Cause::invalid("spec.replicas", r, &format!("must be less than or equal to {MAX_REPLICAS} (a kubesim limit)")));
        }
    }
}

fn validate_selector(selector: &LabelSelector, template: &PodTemplateSpec, causes: &mut Vec<Cause>) {
    if selector.is_empty() {
        causes.push(Cause::required("spec.selector"));
    } else if !selector.matches(&template.metadata.labels) {
        causes.push(Cause::invalid("spec.template.metadata.labels", format!("map[string]string{{{}}}", template.metadata.labels.iter().map(|(k, v)| format!("{k:?}:{v:?}")).collect::<Vec<_>>().join(", ")), "`selector` does not match template `labels`"));
    }
}

/// How field errors print an IntOrString (Go's %#v of the struct).
fn intstr_shown(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => format!("intstr.IntOrString{{Type:1, IntVal:0, StrVal:{s:?}}}"),
        serde_json::Value::Number(n) => format!("intstr.IntOrString{{Type:0, IntVal:{n}, StrVal:\"\"}}"),
        other => other.to_string(),
    }
}

/// An int-or-percent as a number and whether it is a percentage; Err with the cause's value and
/// message otherwise (ValidatePositiveIntOrPercent).
fn int_or_percent(v: &serde_json::Value) -> Result<(i64, bool), (String, &'static str)> {
    match v {
        serde_json::Value::Number(n) => match n.as_i64().filter(|i| i32::try_from(*i).is_ok()) {
            Some(i) if i < 0 => Err((i.to_string(), "must be greater than or equal to 0")),
            Some(i) => Ok((i, false)),
            // (A real API server cannot even decode a number that is not an int32.)
            None => Err((n.to_string(), "must be an integer or percentage (e.g '5%')")),
        },
        serde_json::Value::String(s) => match s.strip_suffix('%').filter(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())).and_then(|d| d.parse::<i64>().ok()) {
            Some(p) => Ok((p, true)),
            None => Err((intstr_shown(v), "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')")),
        },
        other => Err((other.to_string(), "must be an integer or percentage (e.g '5%')")),
    }
}

/// ValidateRollingUpdateDeployment, in its order.
fn validate_rolling_update(ru: &RollingUpdateDeployment, causes: &mut Vec<Cause>) {
    const FIELD: &str = "spec.strategy.rollingUpdate";
    let mut check = |name: &str, v: &Option<serde_json::Value>| -> Option<(i64, bool)> {
        let v = v.as_ref()?;
        match int_or_percent(v) {
            Ok(x) => Some(x),
            Err((shown, message)) => {
                causes.push(Cause::invalid(&format!("{FIELD}.{name}"), shown, message));
                None
            }
        }
    };
    let unavailable = check("maxUnavailable", &ru.max_unavailable);
    let surge = check("maxSurge", &ru.max_surge);
    let shown = ru.max_unavailable.as_ref().map(intstr_shown).unwrap_or_default();
    if let (Some((0, _)), Some((0, _))) = (unavailable, surge) {
        causes.push(Cause::invalid(&format!("{FIELD}.maxUnavailable"), &shown, "may not be 0 when `maxSurge` is 0"));
    }
    if let Some((u, true)) = unavailable {
        if u > 100 {
            causes.push(Cause::invalid(&format!("{FIELD}.maxUnavailable"), &shown, "must not be greater than 100%"));
        }
    }
}

/// ValidateOwnerReferences (apimachinery): every reference names its owner fully, and at most
/// one is the controller. (The path has no index, as upstream's has none.)
fn validate_owner_references(refs: &[OwnerReference], causes: &mut Vec<Cause>) {
    const FIELD: &str = "metadata.ownerReferences";
    let mut first_controller: Option<&OwnerReference> = None;
    for r in refs {
        // The version is what follows the group's slash ("v1" for the core group).
        if r.api_version.rsplit('/').next().unwrap_or("").is_empty() {
            causes.push(Cause::invalid(&format!("{FIELD}.apiVersion"), quote(&r.api_version), "version must not be empty"));
        }
        for (field, value) in [("kind", &r.kind), ("name", &r.name), ("uid", &r.uid)] {
            if value.is_empty() {
                causes.push(Cause::invalid(&format!("{FIELD}.{field}"), "\"\"", "must not be empty"));
            }
        }
        if r.controller {
            match first_controller {
                Some(first) => {
                    let shown: Vec<String> = refs.iter().map(|r| format!("v1.OwnerReference{{APIVersion:{:?}, Kind:{:?}, Name:{:?}, UID:{:?}, Controller:{}}}", r.api_version.as_str(), r.kind.as_str(), r.name.as_str(), r.uid.as_str(), r.controller)).collect();
                    let message = format!("Only one reference can have Controller set to true. Found \"true\" in references for {}/{} and {}/{}", first.kind, first.name, r.kind, r.name);
                    causes.push(Cause::invalid(FIELD, format!("[]v1.OwnerReference{{{}}}", shown.join(", ")), &message));
                }
                None => first_controller = Some(r),
            }
        }
    }
}

/// Validates an object as kube-apiserver would on create and update.
/// The fields of a running pod's spec an update may change (ValidatePodUpdate, 1.32).
const POD_UPDATABLE: &str = "`spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)";

/// ValidatePodUpdate: a pod's spec is immutable but for its containers' images, additions to
/// its tolerations and a negative grace period set to 1. The API server follows the message
/// with a diff of the whole internal PodSpec; kubesim names the fields that differ instead.
pub fn validate_pod_update(old: &PodSpec, new: &PodSpec) -> Vec<Cause> {
    if new.containers.len() != old.containers.len() {
        return vec![Cause { field: "spec.containers".into(), message: "Forbidden: pod updates may not add or remove containers".into() }];
    }
    let mut munged = new.clone();
    for (m, o) in munged.containers.iter_mut().zip(old.containers.iter()) {
        m.image = o.image.clone();
    }
    if old.tolerations.iter().all(|t| new.tolerations.contains(t)) {
        munged.tolerations = old.tolerations.clone();
    }
    if old.termination_grace_period_seconds.is_some_and(|g| g < 0) && new.termination_grace_period_seconds == Some(1) {
        munged.termination_grace_period_seconds = old.termination_grace_period_seconds;
    }
    if munged == *old {
        return Vec::new();
    }
    let (a, b) = (serde_json::to_value(old).unwrap_or_default(), serde_json::to_value(&munged).unwrap_or_default());
    let mut changed = Vec::new();
    differing_paths(&a, &b, "spec", &mut changed);
    vec![Cause {
        field: "spec".into(),
        message: format!("Forbidden: pod updates may not change fields other than {POD_UPDATABLE}\n  (kubesim: the API server goes on with a diff of the whole pod spec; the fields that differ: {})", changed.join(", ")),
    }]
}

/// The paths where two JSON values differ (`spec.containers[0].ports`), at most eight.
fn differing_paths(a: &serde_json::Value, b: &serde_json::Value, at: &str, out: &mut Vec<String>) {
    use serde_json::Value;
    if a == b || out.len() >= 8 {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                differing_paths(x.get(k).unwrap_or(&Value::Null), y.get(k).unwrap_or(&Value::Null), &format!("{at}.{k}"), out);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (p, q)) in x.iter().zip(y).enumerate() {
                differing_paths(p, q, &format!("{at}[{i}]"), out);
            }
        }
        _ => out.push(at.to_string()),
    }
}

pub fn validate(obj: &Object) -> Vec<Cause> {
    let mut causes = Vec::new();
    validate_generate_name(obj.kind(), &obj.meta().generate_name, &mut causes);
    validate_name(obj.kind(), obj.name(), &mut causes);
    validate_labels("metadata.labels", &obj.meta().labels, &mut causes);
    validate_annotations(&obj.meta().annotations, &mut causes);
    validate_owner_references(&obj.meta().owner_references, &mut causes);
    match obj {
        Object::Deployment(d) => {
            validate_replicas(d.spec.replicas, &mut causes);
            validate_selector(&d.spec.selector, &d.spec.template, &mut causes);
            validate_pod_spec("spec.template.spec", &d.spec.template.spec, &mut causes);
            if !matches!(d.spec.strategy.type_.as_str(), "" | "RollingUpdate" | "Recreate") {
                causes.push(Cause { field: "spec.strategy.type".into(), message: format!("Unsupported value: {}: supported values: \"Recreate\", \"RollingUpdate\"", quote(&d.spec.strategy.type_)) });
            }
            if let Some(ru) = &d.spec.strategy.rolling_update {
                validate_rolling_update(ru, &mut causes);
            }
        }
        Object::ReplicaSet(r) => {
            validate_replicas(r.spec.replicas, &mut causes);
            validate_selector(&r.spec.selector, &r.spec.template, &mut causes);
            validate_pod_spec("spec.template.spec", &r.spec.template.spec, &mut causes);
        }
        Object::Pod(p) => validate_pod_spec("spec", &p.spec, &mut causes),
        Object::Service(s) => {
            // (A headless Service may have no ports.)
            if s.spec.ports.is_empty() && s.spec.cluster_ip != "None" {
                causes.push(Cause::required("spec.ports"));
            }
            for (i, p) in s.spec.ports.iter().enumerate() {
                if !(1..=65535).contains(&p.port) {
                    causes.push(Cause::invalid(&format!("spec.ports[{i}].port"), p.port, "must be between 1 and 65535, inclusive"));
                }
            }
            if !matches!(s.spec.type_.as_str(), "" | "ClusterIP" | "NodePort" | "LoadBalancer") {
                causes.push(Cause { field: "spec.type".into(), message: format!("Unsupported value: {}: supported values: \"ClusterIP\", \"LoadBalancer\", \"NodePort\"", quote(&s.spec.type_)) });
            }
            // Node ports and the external traffic policy belong to Services reached from
            // outside (validateServiceExternalTrafficPolicy, ValidateService's nodePort check).
            let external = s.spec.needs_node_port();
            for (i, p) in s.spec.ports.iter().enumerate() {
                if p.node_port.is_some() && !external {
                    causes.push(Cause { field: format!("spec.ports[{i}].nodePort"), message: format!("Forbidden: may not be used when `type` is '{}'", if s.spec.type_.is_empty() { "ClusterIP" } else { s.spec.type_.as_str() }) });
                }
            }
            let etp = s.spec.external_traffic_policy.as_str();
            if !external && !etp.is_empty() {
                causes.push(Cause::invalid("spec.externalTrafficPolicy", quote(etp), "may only be set for externally-accessible services"));
            } else if !matches!(etp, "" | "Cluster" | "Local") {
                causes.push(Cause { field: "spec.externalTrafficPolicy".into(), message: format!("Unsupported value: {}: supported values: \"Cluster\", \"Local\"", quote(etp)) });
            }
            if !matches!(s.spec.internal_traffic_policy.as_str(), "" | "Cluster" | "Local") {
                causes.push(Cause { field: "spec.internalTrafficPolicy".into(), message: format!("Unsupported value: {}: supported values: \"Cluster\", \"Local\"", quote(&s.spec.internal_traffic_policy)) });
            }
            if !matches!(s.spec.ip_family_policy.as_str(), "" | "SingleStack" | "PreferDualStack" | "RequireDualStack") {
                causes.push(Cause { field: "spec.ipFamilyPolicy".into(), message: format!("Unsupported value: {}: supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"", quote(&s.spec.ip_family_policy)) });
            }
        }
        Object::Node(n) => {
            for (res, q) in n.status.capacity.iter().chain(n.status.allocatable.iter()) {
                let ok = match res.as_str() {
                    "cpu" => parse_cpu(q).is_some(),
                    "pods" => q.parse::<u32>().is_ok(),
                    _ => parse_memory(q).is_some(),
                };
                if !ok {
                    causes.push(Cause::invalid(&format!("status.capacity[{res}]"), quote(q), "must be a valid quantity"));
                }
            }
            for (i, t) in n.spec.taints.iter().enumerate() {
                if !matches!(t.effect.as_str(), "NoSchedule" | "PreferNoSchedule" | "NoExecute") {
                    causes.push(Cause { field: format!("spec.taints[{i}].effect"), message: format!("Unsupported value: {}: supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"", quote(&t.effect)) });
                }
            }
        }
        _ => {}
    }
    causes
}

/// kube-apiserver's message for an invalid object: `Deployment.apps "Web" is invalid: [...]`.
pub fn invalid_message(kind: Kind, name: &str, causes: &[Cause]) -> String {
    let qualified = match kind.api_version().split_once('/') {
        Some((group, _)) => format!("{}.{}", kind.name(), group),
        None => kind.name().to_string(),
    };
    let list: Vec<String> = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
    let body = if list.len() == 1 { list[0].clone() } else { format!("[{}]", list.join(", ")) };
    format!("{qualified} {name:?} is invalid: {body}")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn names_follow_dns_rules() {
        assert!(is_dns1123_subdomain("web-7d4b9c8f5"));
        assert!(is_dns1123_subdomain("a.b"));
        assert!(!is_dns1123_subdomain("Web"));
        assert!(!is_dns1123_subdomain("-web"));
        // Each label as a DNS-1123 label: the one-pass check agrees with splitting on dots.
        let by_labels = |s: &str| s.len() <= 253 && s.split('.').all(is_label);
        for s in ["", ".", "a.", ".a", "a..b", "a.-b", "a-.b", "a-", "-", "a.b-c.d", "web-7d.17f2a", "x", "a_b", "ab.", "A.b", "a.b.c", "0.9", "é"] {
            assert_eq!(is_dns1123_subdomain(s), by_labels(s), "{s:?}");
        }
        assert!(!is_dns1123_subdomain(&"a".repeat(254)));
        assert!(is_dns1123_subdomain(&["a".repeat(63), "b".repeat(63)].join(".")));
        assert!(!is_dns1035_label("1web"));
        assert!(is_dns1123_label("1web"));
        let mut c = Vec::new();
        validate_name(Kind::Deployment, "Web", &mut c);
        assert_eq!(invalid_message(Kind::Deployment, "Web", &c), format!("Deployment.apps \"Web\" is invalid: metadata.name: Invalid value: \"Web\": {DNS1123_SUBDOMAIN_MSG}"));
    }
}
