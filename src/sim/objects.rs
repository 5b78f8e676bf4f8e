//! Slim Kubernetes object types. They serialise to the same JSON shapes as the real API
//! (camelCase, `apiVersion`/`kind` added by [`Object::to_value`]) but carry only the fields the
//! simulation uses. Fields we accept but do not simulate (probes, env, volumes) are kept as opaque
//! JSON so manifests round-trip; anything else is an unknown field and rejected, as
//! kubectl's strict field validation does.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;

pub use super::text::{SharedMap, SharedVec, Str};
use super::time::SimTime;

pub type Labels = SharedMap;
pub type ResourceList = BTreeMap<Str, Str>;

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectMeta {
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub name: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub generate_name: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub namespace: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub uid: Str,
    #[serde(default, skip_serializing_if = "ResourceVersion::is_empty")]
    pub resource_version: ResourceVersion,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub generation: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creation_timestamp: Option<SimTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_timestamp: Option<SimTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deletion_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "SharedMap::is_empty")]
    pub labels: Labels,
    #[serde(default, skip_serializing_if = "SharedMap::is_empty")]
    pub annotations: Labels,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owner_references: SharedVec<OwnerReference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finalizers: SharedVec<Str>,
}

/// metadata.resourceVersion: the etcd revision of the object's last write, a decimal string on
/// the wire and the number here (0: unset). Every write sets one, and as a string each was an
/// allocation to write and a parse for every informer to compare.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ResourceVersion(pub u64);

impl ResourceVersion {
    pub fn is_empty(&self) -> bool {
        self.0 == 0
    }
    pub fn clear(&mut self) {
        self.0 = 0;
    }
}

impl std::fmt::Display for ResourceVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        if self.0 == 0 {
            return Ok(());
        }
        write!(f, "{}", self.0)
    }
}

impl Serialize for ResourceVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for ResourceVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s.is_empty() {
            return Ok(ResourceVersion(0));
        }
        s.parse().map(ResourceVersion).map_err(|_| serde::de::Error::custom(format!("invalid resource version {s:?}: a resourceVersion is a decimal number")))
    }
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OwnerReference {
    pub api_version: Str,
    pub kind: Str,
    pub name: Str,
    pub uid: Str,
    #[serde(default, skip_serializing_if = "is_false")]
    pub controller: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    pub block_owner_deletion: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelector {
    #[serde(default, skip_serializing_if = "SharedMap::is_empty")]
    pub match_labels: Labels,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LabelSelectorRequirement {
    pub key: Str,
    pub operator: Str,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<Str>,
}

impl LabelSelector {
    pub fn matches(&self, labels: &Labels) -> bool {
        self.match_labels.iter().all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| {
                let have = labels.get(&r.key);
                match r.operator.as_str() {
                    "In" => have.is_some_and(|v| r.values.contains(v)),
                    "NotIn" => !have.is_some_and(|v| r.values.contains(v)),
                    "Exists" => have.is_some(),
                    "DoesNotExist" => have.is_none(),
                    _ => false,
                }
            })
    }
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
    /// `app=web,tier=fe` as kubectl prints selectors.
    pub fn to_selector_string(&self) -> String {
        let mut parts: Vec<String> = self.match_labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
        for r in &self.match_expressions {
            parts.push(match r.operator.as_str() {
                "Exists" => r.key.to_string(),
                "DoesNotExist" => format!("!{}", r.key),
                op => format!("{} {} ({})", r.key, op.to_lowercase().replace("notin", "notin"), r.values.join(",")),
            });
        }
        parts.join(",")
    }
}

pub fn labels_match(selector: &Labels, labels: &Labels) -> bool {
    !selector.is_empty() && selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

// ---------------------------------------------------------------- Pod

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplateSpec {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PodSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpec {
    #[serde(default)]
    pub containers: SharedVec<Container>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub node_name: Str,
    #[serde(default, skip_serializing_if = "SharedMap::is_empty")]
    pub node_selector: Labels,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: SharedVec<Toleration>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub restart_policy: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub scheduler_name: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub dns_policy: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_containers: Option<Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volumes: SharedVec<Volume>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Option<Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
    /// The deprecated alias of serviceAccountName, which the API server still fills in.
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub service_account: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_service_links: Option<bool>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub preemption_policy: Str,
}

/// A pod's volume: its name, and its source (`emptyDir: {}`, `projected: ...`) as JSON, which
/// kubesim keeps but does not simulate. Shared, so that the service account token volume
/// every pod gets is one value for all of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Volume {
    pub name: Str,
    pub source: Rc<serde_json::Map<String, Value>>,
}

impl Serialize for Volume {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.source.len() + 1))?;
        m.serialize_entry("name", &self.name)?;
        for (k, v) in self.source.iter() {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

impl<'de> Deserialize<'de> for Volume {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut source = serde_json::Map::<String, Value>::deserialize(d)?;
        // (A name of another type is refused as any string field refuses it.)
        let name = match source.remove("name") {
            None | Some(Value::Null) => Str::EMPTY,
            Some(other) => Str::deserialize(other).map_err(serde::de::Error::custom)?,
        };
        Ok(Volume { name, source: Rc::new(source) })
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeMount {
    #[serde(default)]
    pub name: Str,
    #[serde(default)]
    pub mount_path: Str,
    #[serde(default, skip_serializing_if = "is_false")]
    pub read_only: bool,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub sub_path: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub sub_path_expr: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub mount_propagation: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub recursive_read_only: Str,
}

/// A container. Every pod of a Deployment shares its template's containers until something
/// changes them (the service account token's mount does, at admission), so a container is kept
/// small: the lists are shared, and the parts kubesim keeps as JSON are boxed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Container {
    #[serde(default)]
    pub name: Str,
    #[serde(default)]
    pub image: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub image_pull_policy: Str,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: SharedVec<ContainerPort>,
    #[serde(default, skip_serializing_if = "ResourceRequirements::is_empty")]
    pub resources: ResourceRequirements,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub command: SharedVec<Str>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: SharedVec<Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Option<Box<Value>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub volume_mounts: SharedVec<VolumeMount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Box<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Box<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Box<Value>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_message_path: Option<Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_message_policy: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerPort {
    pub container_port: i32,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub name: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub protocol: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirements {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: ResourceList,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: ResourceList,
}
impl ResourceRequirements {
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub key: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub operator: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub value: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub effect: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// `ToleratesTaint` from k8s.io/api/core/v1/toleration.go.
    pub fn tolerates(&self, taint: &Taint) -> bool {
        if !self.effect.is_empty() && self.effect != taint.effect {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator.as_str() {
            "Exists" => true,
            "" | "Equal" => self.value == taint.value,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodStatus {
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub phase: Str,
    /// Written with `lastProbeTime: null`, as a pod's conditions are (a Go `metav1.Time` that
    /// is never set still prints).
    #[serde(default, skip_serializing_if = "Vec::is_empty", serialize_with = "pod_conditions")]
    pub conditions: SharedVec<Condition>,
    #[serde(default, rename = "hostIP", skip_serializing_if = "Str::is_empty")]
    pub host_ip: Str,
    /// The node's addresses, of which `host_ip` is the first (kubesim's nodes have one).
    #[serde(default, rename = "hostIPs", skip_serializing_if = "Vec::is_empty")]
    pub host_ips: SharedVec<PodIP>,
    #[serde(default, rename = "podIP", skip_serializing_if = "Str::is_empty")]
    pub pod_ip: Str,
    /// The pod's addresses, of which `pod_ip` is the first (kubesim's networks are single-stack).
    #[serde(default, rename = "podIPs", skip_serializing_if = "Vec::is_empty")]
    pub pod_ips: SharedVec<PodIP>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_time: Option<SimTime>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub container_statuses: SharedVec<ContainerStatus>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub qos_class: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub reason: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub message: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub nominated_node_name: Str,
}

/// One address of a pod or of its node (the API's `PodIP` and `HostIP`, which are alike).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodIP {
    pub ip: Str,
}

fn pod_conditions<S: serde::Serializer>(conditions: &SharedVec<Condition>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    struct PodCondition<'a> {
        last_probe_time: (),
        #[serde(flatten)]
        condition: &'a Condition,
    }
    s.collect_seq(conditions.iter().map(|condition| PodCondition { last_probe_time: (), condition }))
}

/// A field a manifest may carry that kubesim reads and drops (it takes no room).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Ignored;

impl<'de> Deserialize<'de> for Ignored {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde::de::IgnoredAny::deserialize(d).map(|_| Ignored)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Condition {
    #[serde(rename = "type")]
    pub type_: Str,
    pub status: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<SimTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<SimTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_heartbeat_time: Option<SimTime>,
    /// A pod condition's, never set (kubelet probes do not write it); see `pod_conditions`.
    #[serde(default, skip_serializing)]
    pub last_probe_time: Ignored,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub reason: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub message: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStatus {
    pub name: Str,
    pub image: Str,
    #[serde(default, rename = "imageID", skip_serializing_if = "Str::is_empty")]
    pub image_id: Str,
    #[serde(default, rename = "containerID", skip_serializing_if = "Str::is_empty")]
    pub container_id: Str,
    pub ready: bool,
    pub restart_count: i32,
    #[serde(default)]
    pub started: bool,
    pub state: ContainerState,
    /// How the container's previous run ended (`{}` until it has restarted).
    #[serde(default)]
    pub last_state: ContainerState,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<ContainerStateWaiting>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<ContainerStateRunning>,
    /// (Boxed: rare, and every container status carries two states.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated: Option<Box<ContainerStateTerminated>>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateWaiting {
    pub reason: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub message: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateRunning {
    pub started_at: SimTime,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateTerminated {
    #[serde(default, rename = "containerID", skip_serializing_if = "Str::is_empty")]
    pub container_id: Str,
    pub exit_code: i32,
    pub reason: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<SimTime>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<SimTime>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pod {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: Rc<PodSpec>,
    #[serde(default)]
    pub status: PodStatus,
}

impl Pod {
    pub fn is_ready(&self) -> bool {
        self.status.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
    }
    pub fn is_terminating(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }
    pub fn controller_ref(&self) -> Option<&OwnerReference> {
        self.metadata.owner_references.iter().find(|o| o.controller)
    }
    /// The STATUS column of `kubectl get pods`, following `printPod` in
    /// pkg/printers/internalversion/printers.go.
    pub fn display_status(&self) -> String {
        let mut reason = if self.status.reason.is_empty() { self.status.phase.clone() } else { self.status.reason.clone() };
        if reason.is_empty() {
            reason = "Pending".into();
        }
        for cs in self.status.container_statuses.iter().rev() {
            if let Some(w) = &cs.state.waiting {
                if !w.reason.is_empty() {
                    reason = w.reason.clone();
                }
            } else if let Some(t) = &cs.state.terminated {
                reason = if t.reason.is_empty() { format!("ExitCode:{}", t.exit_code).into() } else { t.reason.clone() };
            }
        }
        if self.metadata.deletion_timestamp.is_some() {
            reason = "Terminating".into();
        }
        reason.to_string()
    }
    pub fn ready_count(&self) -> (usize, usize) {
        let ready = self.status.container_statuses.iter().filter(|c| c.ready).count();
        (ready, self.spec.containers.len())
    }
    pub fn restarts(&self) -> i32 {
        self.status.container_statuses.iter().map(|c| c.restart_count).sum()
    }
    /// Requests summed over containers, with kube-scheduler's non-zero defaults for scoring
    /// (pkg/scheduler/util/pod_resources.go: 100m CPU, 200Mi memory).
    pub fn requests(&self) -> Resources {
        let mut r = Resources::default();
        for c in &self.spec.containers {
            r.milli_cpu += c.resources.requests.get("cpu").and_then(|q| parse_cpu(q)).unwrap_or(0);
            r.memory += c.resources.requests.get("memory").and_then(|q| parse_memory(q)).unwrap_or(0);
        }
        r
    }
    pub fn non_zero_requests(&self) -> Resources {
        let mut r = Resources::default();
        for c in &self.spec.containers {
            r.milli_cpu += c.resources.requests.get("cpu").and_then(|q| parse_cpu(q)).unwrap_or(DEFAULT_MILLI_CPU_REQUEST);
            r.memory += c.resources.requests.get("memory").and_then(|q| parse_memory(q)).unwrap_or(DEFAULT_MEMORY_REQUEST);
        }
        r
    }
}

pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Resources {
    pub milli_cpu: i64,
    pub memory: i64,
}

/// Parses a CPU quantity ("250m", "1", "0.5") into millicores.
pub fn parse_cpu(q: &str) -> Option<i64> {
    let q = q.trim();
    if let Some(m) = q.strip_suffix('m') {
        return m.parse::<i64>().ok().filter(|v| *v >= 0);
    }
    let v: f64 = q.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v < 1e12).then(|| (v * 1000.0).round() as i64)
}

/// Parses a memory quantity ("128Mi", "1Gi", "500M", "1e9") into bytes.
pub fn parse_memory(q: &str) -> Option<i64> {
    let q = q.trim();
    const SUFFIXES: [(&str, f64); 12] = [
        ("Ki", 1024.0), ("Mi", 1048576.0), ("Gi", 1073741824.0), ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0), ("Ei", 1152921504606846976.0),
        ("k", 1e3), ("M", 1e6), ("G", 1e9), ("T", 1e12), ("P", 1e15), ("E", 1e18),
    ];
    for (s, mul) in SUFFIXES {
        if let Some(n) = q.strip_suffix(s) {
            let v: f64 = n.parse().ok()?;
            return (v.is_finite() && v >= 0.0 && v * mul < 9e18).then(|| (v * mul) as i64);
        }
    }
    let v: f64 = q.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v < 9e18).then(|| v as i64)
}

// ---------------------------------------------------------------- workloads

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Deployment {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: DeploymentSpec,
    #[serde(default)]
    pub status: DeploymentStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default)]
    pub selector: LabelSelector,
    #[serde(default)]
    pub template: Box<PodTemplateSpec>,
    #[serde(default)]
    pub strategy: DeploymentStrategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub paused: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentStrategy {
    #[serde(rename = "type", default, skip_serializing_if = "Str::is_empty")]
    pub type_: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_update: Option<RollingUpdateDeployment>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollingUpdateDeployment {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeploymentStatus {
    #[serde(default, skip_serializing_if = "is_zero")]
    pub observed_generation: i64,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub updated_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub ready_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub available_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub unavailable_replicas: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

fn is_zero32(n: &i32) -> bool {
    *n == 0
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaSet {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ReplicaSetSpec,
    #[serde(default)]
    pub status: ReplicaSetStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaSetSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default)]
    pub selector: LabelSelector,
    #[serde(default)]
    pub template: Box<PodTemplateSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicaSetStatus {
    #[serde(default)]
    pub replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub fully_labeled_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub ready_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero32")]
    pub available_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub observed_generation: i64,
}

// ---------------------------------------------------------------- nodes, services, misc

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Node {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: NodeSpec,
    #[serde(default)]
    pub status: Box<NodeStatus>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSpec {
    #[serde(default, skip_serializing_if = "is_false")]
    pub unschedulable: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    #[serde(rename = "podCIDR", default, skip_serializing_if = "Str::is_empty")]
    pub pod_cidr: Str,
    #[serde(rename = "podCIDRs", default, skip_serializing_if = "Vec::is_empty")]
    pub pod_cidrs: Vec<Str>,
    #[serde(rename = "providerID", default, skip_serializing_if = "Str::is_empty")]
    pub provider_id: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Taint {
    pub key: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub value: Str,
    pub effect: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_added: Option<SimTime>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeStatus {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity: ResourceList,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub allocatable: ResourceList,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<NodeAddress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_info: Option<NodeSystemInfo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub images: Vec<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeAddress {
    #[serde(rename = "type")]
    pub type_: Str,
    pub address: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NodeSystemInfo {
    #[serde(default, rename = "machineID")]
    pub machine_id: Str,
    #[serde(default, rename = "systemUUID")]
    pub system_uuid: Str,
    #[serde(default, rename = "bootID")]
    pub boot_id: Str,
    #[serde(default)]
    pub kube_proxy_version: Str,
    pub kubelet_version: Str,
    pub container_runtime_version: Str,
    pub os_image: Str,
    pub kernel_version: Str,
    pub architecture: Str,
    pub operating_system: Str,
}

impl Node {
    pub fn allocatable(&self) -> Resources {
        let list = if self.status.allocatable.is_empty() { &self.status.capacity } else { &self.status.allocatable };
        Resources {
            milli_cpu: list.get("cpu").and_then(|q| parse_cpu(q)).unwrap_or(0),
            memory: list.get("memory").and_then(|q| parse_memory(q)).unwrap_or(0),
        }
    }
    pub fn allowed_pods(&self) -> i64 {
        let list = if self.status.allocatable.is_empty() { &self.status.capacity } else { &self.status.allocatable };
        list.get("pods").and_then(|q| q.parse().ok()).unwrap_or(110)
    }
    pub fn is_ready(&self) -> bool {
        self.status.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True")
    }
    pub fn internal_ip(&self) -> &str {
        self.status.addresses.iter().find(|a| a.type_ == "InternalIP").map(|a| a.address.as_str()).unwrap_or("")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ServiceSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    #[serde(rename = "type", default, skip_serializing_if = "Str::is_empty")]
    pub type_: Str,
    #[serde(default, skip_serializing_if = "SharedMap::is_empty")]
    pub selector: Labels,
    #[serde(default)]
    pub ports: Vec<ServicePort>,
    #[serde(rename = "clusterIP", default, skip_serializing_if = "Str::is_empty")]
    pub cluster_ip: Str,
    #[serde(rename = "clusterIPs", default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_ips: Vec<Str>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub session_affinity: Str,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ip_families: Vec<Str>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub ip_family_policy: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub internal_traffic_policy: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub external_traffic_policy: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocate_load_balancer_node_ports: Option<bool>,
}

impl ServiceSpec {
    /// needsNodePort: NodePort and LoadBalancer Services are reached on every node's port.
    pub fn needs_node_port(&self) -> bool {
        matches!(self.type_.as_str(), "NodePort" | "LoadBalancer")
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePort {
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub name: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub protocol: Str,
    pub port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoints {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subsets: Vec<EndpointSubset>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointSubset {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub addresses: Vec<EndpointAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub not_ready_addresses: Vec<EndpointAddress>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointAddress {
    pub ip: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub node_name: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<Box<ObjectReference>>,
}

/// discovery.k8s.io/v1 EndpointSlice: up to 100 of a Service's endpoints, what kube-proxy
/// programs its rules from.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointSlice {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub address_type: Str,
    /// (No omitempty in the API: an empty list is `null`.)
    #[serde(default, serialize_with = "null_if_empty", deserialize_with = "null_as_empty")]
    pub endpoints: Vec<Endpoint>,
    #[serde(default, serialize_with = "null_if_empty", deserialize_with = "null_as_empty")]
    pub ports: Vec<EndpointPort>,
}

fn null_if_empty<S: serde::Serializer, T: Serialize>(v: &[T], s: S) -> Result<S::Ok, S::Error> {
    if v.is_empty() { s.serialize_none() } else { v.serialize(s) }
}

fn null_as_empty<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Endpoint {
    #[serde(default)]
    pub addresses: Vec<Str>,
    #[serde(default)]
    pub conditions: EndpointConditions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname: Option<Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<ObjectReference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_name: Option<Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zone: Option<Str>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointConditions {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serving: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminating: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EndpointPort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<i32>,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub protocol: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Event {
    #[serde(default)]
    pub metadata: ObjectMeta,
    pub involved_object: ObjectReference,
    pub reason: Str,
    pub message: Str,
    #[serde(rename = "type")]
    pub type_: Str,
    pub source: EventSource,
    pub first_timestamp: SimTime,
    pub last_timestamp: SimTime,
    pub count: i32,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ObjectReference {
    pub kind: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub namespace: Str,
    pub name: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub uid: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub api_version: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub field_path: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EventSource {
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub component: Str,
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub host: Str,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Lease {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: LeaseSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeaseSpec {
    #[serde(default, skip_serializing_if = "Str::is_empty")]
    pub holder_identity: Str,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_duration_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none", with = "crate::sim::time::micro_time")]
    pub renew_time: Option<SimTime>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Namespace {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Value>,
}

impl Namespace {
    /// spec.finalizers: `kubernetes` until the namespace controller has emptied it.
    pub fn spec_finalizers(&self) -> usize {
        self.spec.as_ref().and_then(|s| s.get("finalizers")).and_then(|f| f.as_array()).map_or(0, |f| f.len())
    }
    /// status.phase: Active, or Terminating once it is being deleted.
    pub fn phase(&self) -> &str {
        self.status.as_ref().and_then(|s| s.get("phase")).and_then(|p| p.as_str()).unwrap_or("Active")
    }
}

/// Every namespace has a `default` one (the serviceaccount controller makes it), which pods
/// run as unless they name another.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAccount {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
}

/// Configuration data. Every namespace has `kube-root-ca.crt` (the root CA publisher
/// makes it), which the service account token volume projects into pods.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfigMap {
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub data: BTreeMap<Str, Str>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_data: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
}

// ---------------------------------------------------------------- the sum type

/// The resources the simulated API server serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    Deployment,
    ReplicaSet,
    Service,
    Endpoints,
    Event,
    Lease,
    ServiceAccount,
    ConfigMap,
    EndpointSlice,
}

impl Kind {
    pub const ALL: [Kind; 12] = [
        Kind::Namespace, Kind::Node, Kind::Pod, Kind::Deployment, Kind::ReplicaSet,
        Kind::Service, Kind::Endpoints, Kind::Event, Kind::Lease, Kind::ServiceAccount, Kind::ConfigMap, Kind::EndpointSlice,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Service => "Service",
            Kind::Endpoints => "Endpoints",
            Kind::Event => "Event",
            Kind::Lease => "Lease",
            Kind::ServiceAccount => "ServiceAccount",
            Kind::ConfigMap => "ConfigMap",
            Kind::EndpointSlice => "EndpointSlice",
        }
    }
    pub fn from_name(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
    pub fn api_version(self) -> &'static str {
        match self {
            Kind::Deployment | Kind::ReplicaSet => "apps/v1",
            Kind::Lease => "coordination.k8s.io/v1",
            Kind::EndpointSlice => "discovery.k8s.io/v1",
            _ => "v1",
        }
    }
    /// Plural resource name, as in URLs and `kubectl api-resources`.
    pub fn plural(self) -> &'static str {
        match self {
            Kind::Namespace => "namespaces",
            Kind::Node => "nodes",
            Kind::Pod => "pods",
            Kind::Deployment => "deployments",
            Kind::ReplicaSet => "replicasets",
            Kind::Service => "services",
            Kind::Endpoints => "endpoints",
            Kind::Event => "events",
            Kind::Lease => "leases",
            Kind::ServiceAccount => "serviceaccounts",
            Kind::ConfigMap => "configmaps",
            Kind::EndpointSlice => "endpointslices",
        }
    }
    /// `deployments.apps`, the group-qualified resource used in kubectl's messages.
    pub fn group_resource(self) -> String {
        match self.api_version().split_once('/') {
            Some((group, _)) => format!("{}.{}", self.plural(), group),
            None => self.plural().to_string(),
        }
    }
    /// `deployment.apps`, the prefix of kubectl's `deployment.apps/web created` lines.
    pub fn singular_group(self) -> String {
        let s = self.name().to_lowercase();
        match self.api_version().split_once('/') {
            Some((group, _)) => format!("{s}.{group}"),
            None => s,
        }
    }
    pub fn namespaced(self) -> bool {
        !matches!(self, Kind::Namespace | Kind::Node)
    }
    /// The etcd key prefix kube-apiserver uses (note "minions" for nodes and
    /// "services/specs" for services, both historical).
    pub const fn etcd_prefix(self) -> &'static str {
        match self {
            Kind::Namespace => "/registry/namespaces/",
            Kind::Node => "/registry/minions/",
            Kind::Pod => "/registry/pods/",
            Kind::Deployment => "/registry/deployments/",
            Kind::ReplicaSet => "/registry/replicasets/",
            Kind::Service => "/registry/services/specs/",
            Kind::Endpoints => "/registry/services/endpoints/",
            Kind::Event => "/registry/events/",
            Kind::Lease => "/registry/leases/",
            Kind::ServiceAccount => "/registry/serviceaccounts/",
            Kind::ConfigMap => "/registry/configmaps/",
            Kind::EndpointSlice => "/registry/endpointslices/",
        }
    }
    /// Calls `f` with the etcd key, built on the stack: for lookups.
    pub fn with_etcd_key<R>(self, namespace: &str, name: &str, f: impl FnOnce(&str) -> R) -> R {
        if self.namespaced() {
            super::text::with_concat(&[self.etcd_prefix(), namespace, "/", name], f)
        } else {
            super::text::with_concat(&[self.etcd_prefix(), name], f)
        }
    }
    pub fn etcd_key(self, namespace: &str, name: &str) -> String {
        self.with_etcd_key(namespace, name, str::to_string)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Object {
    Namespace(Namespace),
    Node(Node),
    Pod(Pod),
    /// Boxed, as Service: they are few, and the largest kinds; unboxed they would make every
    /// one of a million pods and Events as big as they are.
    Deployment(Box<Deployment>),
    ReplicaSet(ReplicaSet),
    Service(Box<Service>),
    Endpoints(Endpoints),
    Event(Event),
    Lease(Lease),
    ServiceAccount(ServiceAccount),
    ConfigMap(ConfigMap),
    EndpointSlice(Box<EndpointSlice>),
}

/// Objects are immutable once stored; everyone who holds one shares it.
pub type ObjectRc = Rc<Object>;

macro_rules! each_object {
    ($self:expr, $o:ident => $body:expr) => {
        match $self {
            Object::Namespace($o) => $body,
            Object::Node($o) => $body,
            Object::Pod($o) => $body,
            Object::Deployment($o) => $body,
            Object::ReplicaSet($o) => $body,
            Object::Service($o) => $body,
            Object::Endpoints($o) => $body,
            Object::Event($o) => $body,
            Object::Lease($o) => $body,
            Object::ServiceAccount($o) => $body,
            Object::ConfigMap($o) => $body,
            Object::EndpointSlice($o) => $body,
        }
    };
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Node(_) => Kind::Node,
            Object::Pod(_) => Kind::Pod,
            Object::Deployment(_) => Kind::Deployment,
            Object::ReplicaSet(_) => Kind::ReplicaSet,
            Object::Service(_) => Kind::Service,
            Object::Endpoints(_) => Kind::Endpoints,
            Object::Event(_) => Kind::Event,
            Object::Lease(_) => Kind::Lease,
            Object::ServiceAccount(_) => Kind::ServiceAccount,
            Object::ConfigMap(_) => Kind::ConfigMap,
            Object::EndpointSlice(_) => Kind::EndpointSlice,
        }
    }
    pub fn meta(&self) -> &ObjectMeta {
        each_object!(self, o => &o.metadata)
    }
    pub fn meta_mut(&mut self) -> &mut ObjectMeta {
        each_object!(self, o => &mut o.metadata)
    }
    pub fn name(&self) -> &str {
        &self.meta().name
    }
    pub fn namespace(&self) -> &str {
        &self.meta().namespace
    }
    /// The object's etcd key, as the shared string etcd keeps for a new key.
    pub fn key(&self) -> Str {
        self.kind().with_etcd_key(self.namespace(), self.name(), Str::new)
    }
    /// The object as the API serves it: `apiVersion` and `kind` first.
    pub fn to_value(&self) -> Value {
        let body = each_object!(self, o => serde_json::to_value(o)).unwrap_or(Value::Null);
        let mut map = serde_json::Map::new();
        map.insert("apiVersion".into(), Value::String(self.kind().api_version().into()));
        map.insert("kind".into(), Value::String(self.kind().name().into()));
        if let Value::Object(m) = body {
            map.extend(m);
        }
        Value::Object(map)
    }
    /// Decodes an object of a known kind from its JSON value (without apiVersion/kind),
    /// returning serde's message on failure.
    pub fn from_value(kind: Kind, v: Value) -> Result<Object, String> {
        fn de<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, String> {
            serde_json::from_value(v).map_err(|e| e.to_string())
        }
        Ok(match kind {
            Kind::Namespace => Object::Namespace(de(v)?),
            Kind::Node => Object::Node(de(v)?),
            Kind::Pod => Object::Pod(de(v)?),
            Kind::Deployment => Object::Deployment(de(v)?),
            Kind::ReplicaSet => Object::ReplicaSet(de(v)?),
            Kind::Service => Object::Service(de(v)?),
            Kind::Endpoints => Object::Endpoints(de(v)?),
            Kind::Event => Object::Event(de(v)?),
            Kind::Lease => Object::Lease(de(v)?),
            Kind::ServiceAccount => Object::ServiceAccount(de(v)?),
            Kind::ConfigMap => Object::ConfigMap(de(v)?),
            Kind::EndpointSlice => Object::EndpointSlice(de(v)?),
        })
    }
    pub fn as_pod(&self) -> Option<&Pod> {
        if let Object::Pod(p) = self { Some(p) } else { None }
    }
    pub fn as_namespace(&self) -> Option<&Namespace> {
        if let Object::Namespace(n) = self { Some(n) } else { None }
    }
    pub fn as_node(&self) -> Option<&Node> {
        if let Object::Node(n) = self { Some(n) } else { None }
    }
    pub fn as_deployment(&self) -> Option<&Deployment> {
        if let Object::Deployment(d) = self { Some(d) } else { None }
    }
    pub fn as_replica_set(&self) -> Option<&ReplicaSet> {
        if let Object::ReplicaSet(r) = self { Some(r) } else { None }
    }
    pub fn as_service(&self) -> Option<&Service> {
        if let Object::Service(s) = self { Some(s) } else { None }
    }
    pub fn as_endpoints(&self) -> Option<&Endpoints> {
        if let Object::Endpoints(e) = self { Some(e) } else { None }
    }
    pub fn as_endpoint_slice(&self) -> Option<&EndpointSlice> {
        if let Object::EndpointSlice(e) = self { Some(e) } else { None }
    }
    pub fn as_event(&self) -> Option<&Event> {
        if let Object::Event(e) = self { Some(e) } else { None }
    }
    pub fn resource_version(&self) -> u64 {
        self.meta().resource_version.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_rare_kind_makes_every_pod_and_event_bigger() {
        // A million pods and Events share the enum's size: the rare big kinds are boxed.
        let common = std::mem::size_of::<Pod>().max(std::mem::size_of::<Event>());
        assert_eq!(std::mem::size_of::<Object>(), common);
    }

    #[test]
    fn quantities_parse_like_kubernetes() {
        assert_eq!(parse_cpu("250m"), Some(250));
        assert_eq!(parse_cpu("1"), Some(1000));
        assert_eq!(parse_cpu("0.5"), Some(500));
        assert_eq!(parse_cpu("-1"), None);
        assert_eq!(parse_memory("128Mi"), Some(128 * 1024 * 1024));
        assert_eq!(parse_memory("1G"), Some(1_000_000_000));
        assert_eq!(parse_memory("lots"), None);
    }

    #[test]
    fn etcd_keys_follow_the_real_layout() {
        assert_eq!(Kind::Node.etcd_key("", "node-1"), "/registry/minions/node-1");
        assert_eq!(Kind::Service.etcd_key("default", "web"), "/registry/services/specs/default/web");
        assert_eq!(Kind::Deployment.group_resource(), "deployments.apps");
        assert_eq!(Kind::Deployment.singular_group(), "deployment.apps");
    }

    #[test]
    fn a_resource_version_is_a_decimal_string_on_the_wire() {
        let meta: ObjectMeta = serde_json::from_str(r#"{"name": "web", "resourceVersion": "1234567"}"#).expect("parses");
        assert_eq!(meta.resource_version, ResourceVersion(1234567));
        assert_eq!(serde_json::to_value(&meta).unwrap()["resourceVersion"], "1234567");
        let unset: ObjectMeta = serde_json::from_str(r#"{"name": "web", "resourceVersion": ""}"#).expect("parses");
        assert!(unset.resource_version.is_empty());
        assert!(serde_json::to_value(&unset).unwrap().get("resourceVersion").is_none(), "an unset one is left out");
        let err = serde_json::from_str::<ObjectMeta>(r#"{"resourceVersion": "abc"}"#).unwrap_err().to_string();
        assert!(err.starts_with(r#"invalid resource version "abc""#), "{err}");
    }
}
