//! What travels between components: API requests and responses, etcd transactions, watch
//! notifications, CRI calls, and timers a component sets for itself. Each delivery is one
//! entry in the trace the UI animates.

use std::fmt;

use super::etcd::{Compare, KeyValue, Revision, TxnOp, TxnResult};
use super::objects::{Kind, LabelSelector, Object, ObjectRc, OwnerReference, Str};
use super::patch::PatchType;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ControllerKind {
    Deployment,
    ReplicaSet,
    Endpoints,
    EndpointSlice,
    GarbageCollector,
    NodeLifecycle,
    TaintEviction,
    Namespace,
}

impl ControllerKind {
    pub const ALL: [ControllerKind; 8] = [ControllerKind::Deployment, ControllerKind::ReplicaSet, ControllerKind::Endpoints, ControllerKind::EndpointSlice, ControllerKind::GarbageCollector, ControllerKind::NodeLifecycle, ControllerKind::TaintEviction, ControllerKind::Namespace];
    pub fn name(self) -> &'static str {
        match self {
            ControllerKind::Deployment => "deployment-controller",
            ControllerKind::ReplicaSet => "replicaset-controller",
            ControllerKind::Endpoints => "endpoint-controller",
            ControllerKind::EndpointSlice => "endpointslice-controller",
            ControllerKind::GarbageCollector => "garbage-collector",
            ControllerKind::NodeLifecycle => "node-lifecycle-controller",
            ControllerKind::TaintEviction => "taint-eviction-controller",
            ControllerKind::Namespace => "namespace-controller",
        }
    }
}

/// Who sends and receives messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Component {
    /// The person at the terminal, through kubectl.
    User,
    ApiServer,
    Etcd,
    /// kube-controller-manager itself: its shared informers' watches end here.
    ControllerManager,
    Controller(ControllerKind),
    Scheduler,
    Kubelet(NodeId),
    Runtime(NodeId),
    Proxy(NodeId),
}

impl Component {
    /// Short name without the node, e.g. `kubelet`.
    pub fn role(self) -> &'static str {
        match self {
            Component::User => "kubectl",
            Component::ApiServer => "kube-apiserver",
            Component::Etcd => "etcd",
            Component::ControllerManager => "kube-controller-manager",
            Component::Controller(c) => c.name(),
            Component::Scheduler => "kube-scheduler",
            Component::Kubelet(_) => "kubelet",
            Component::Runtime(_) => "containerd",
            Component::Proxy(_) => "kube-proxy",
        }
    }
    pub fn node(self) -> Option<NodeId> {
        match self {
            Component::Kubelet(n) | Component::Runtime(n) | Component::Proxy(n) => Some(n),
            _ => None,
        }
    }
}

pub type RequestId = u64;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verb {
    Create,
    Get,
    List,
    /// List, then stream changes (the watch-list form of a watch).
    Watch,
    Update,
    UpdateStatus,
    /// POST pods/NAME/binding, the scheduler's write.
    Bind,
    Delete,
    /// A patch (`MetaPatch`): the controllers' of ownership and finalizers, kubectl's of anything.
    Patch,
    /// PUT namespaces/NAME/finalize: the namespace controller's write of spec.finalizers.
    Finalize,
    /// POST pods/NAME/eviction (the Eviction API `kubectl drain` uses): a graceful delete,
    /// once the pod's PodDisruptionBudgets allow it.
    Evict,
}

impl Verb {
    pub fn name(self) -> &'static str {
        match self {
            Verb::Create => "CREATE",
            Verb::Get => "GET",
            Verb::List => "LIST",
            Verb::Watch => "WATCH",
            Verb::Update => "UPDATE",
            Verb::UpdateStatus => "UPDATE status",
            Verb::Bind => "CREATE binding",
            Verb::Finalize => "UPDATE finalize",
            Verb::Evict => "CREATE eviction",
            Verb::Delete => "DELETE",
            Verb::Patch => "PATCH",
        }
    }
}

#[derive(Clone, Debug)]
pub struct ApiRequest {
    pub id: RequestId,
    pub verb: Verb,
    pub kind: Kind,
    /// Empty with List/Watch means all namespaces. (Shared strings: a request for an object
    /// carries its names without copying them.)
    pub namespace: Str,
    pub name: Str,
    /// Shared, so the object travels from client to etcd without being copied.
    pub object: Option<ObjectRc>,
    pub label_selector: Option<LabelSelector>,
    /// The `spec.nodeName=` field selector (List/Watch), or the Bind target.
    pub node_name: Option<Str>,
    /// Delete: seconds of grace; None uses the object's default.
    pub grace_period: Option<i64>,
    /// Retries left for an update the API server applies without a precondition
    /// (GuaranteedUpdate retries until it wins; the bound only stops a livelock).
    pub retries: u8,
    /// Names tried for a create with `generateName` (RetryGenerateName, GA in 1.32: the API
    /// server tries another generated name when one is taken, 8 attempts in all).
    pub name_attempts: u8,
    /// What a PATCH changes.
    pub patch: Option<Box<MetaPatch>>,
    /// Delete: what happens to the object's dependents (DeleteOptions.propagationPolicy).
    pub propagation: Propagation,
    /// Create with `?dryRun=All` (`kubectl create --dry-run=server`): the whole create path
    /// runs and the answer is the object as it would be stored, but nothing is written.
    pub dry_run: bool,
}

/// kubectl delete's `--cascade`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Propagation {
    /// The object goes at once; the garbage collector then deletes its dependents.
    #[default]
    Background,
    /// The object stays, marked for deletion, until the garbage collector has deleted its
    /// dependents (the `foregroundDeletion` finalizer).
    Foreground,
    /// The dependents are kept and lose their reference to it (the `orphan` finalizer).
    Orphan,
}

impl Propagation {
    /// The finalizer the API server adds for this policy.
    pub fn finalizer(self) -> Option<&'static str> {
        match self {
            Propagation::Background => None,
            Propagation::Foreground => Some(FOREGROUND_FINALIZER),
            Propagation::Orphan => Some(ORPHAN_FINALIZER),
        }
    }
}

pub const ORPHAN_FINALIZER: &str = "orphan";
pub const FOREGROUND_FINALIZER: &str = "foregroundDeletion";

/// The merge patches controllers send about ownership (controller_ref_manager.go's AdoptPod and
/// ReleasePod; the garbage collector's removal of a dangling owner and of the finalizer it
/// has done the work of). Each names the
/// object's uid as a precondition, so a patch meant for one object never lands on another of
/// the same name; it carries no resourceVersion, so the API server retries it on a conflict.
#[derive(Clone, Debug, PartialEq)]
pub struct MetaPatch {
    /// The patched object's uid (the precondition; none if empty).
    pub uid: Str,
    pub op: MetaOp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum MetaOp {
    /// Add this owner reference (a controller adopting an orphan).
    Add(OwnerReference),
    /// Remove the reference to this owner (matched by uid).
    Remove(OwnerReference),
    /// Remove this finalizer.
    RemoveFinalizer(Str),
    /// Set (or, for None, remove) these labels, or with `annotations`, these annotations: the
    /// merge patch `kubectl label` and `kubectl annotate` send, which changes nothing else.
    Map { annotations: bool, changes: Vec<(Str, Option<Str>)> },
    /// A patch of the whole object, as kubectl sends its changes (`kubectl patch`, and the
    /// strategic merge patch of what `set image`, `cordon`, `taint`, `rollout` and `apply`
    /// change), applied to the object as it is when the server gets it.
    Document(PatchType, std::rc::Rc<serde_json::Value>),
    /// The patch of the scale subresource `kubectl scale` sends (`{"spec":{"replicas":N}}` to
    /// `deployments/NAME/scale`): a Deployment's or ReplicaSet's replicas, and nothing else.
    Scale(i32),
}

impl MetaPatch {
    /// The request that applies `op` to `object`.
    pub fn request(object: &Object, op: MetaOp) -> ApiRequest {
        let mut req = ApiRequest::new(Verb::Patch, object.kind(), object.meta().namespace.clone(), object.meta().name.clone());
        req.patch = Some(Box::new(MetaPatch { uid: object.meta().uid.clone(), op }));
        req
    }
    /// A client's patch of object `kind` `namespace/name`, without a precondition: the server
    /// applies it to whatever object of that name it has (retrying on a conflict).
    pub fn client(kind: Kind, namespace: impl Into<Str>, name: impl Into<Str>, op: MetaOp) -> ApiRequest {
        let mut req = ApiRequest::new(Verb::Patch, kind, namespace, name);
        req.patch = Some(Box::new(MetaPatch { uid: Str::EMPTY, op }));
        req
    }
}

impl ApiRequest {
    pub fn new(verb: Verb, kind: Kind, namespace: impl Into<Str>, name: impl Into<Str>) -> Self {
        ApiRequest { id: 0, verb, kind, namespace: namespace.into(), name: name.into(), object: None, label_selector: None, node_name: None, grace_period: None, retries: 10, name_attempts: 0, patch: None, propagation: Propagation::Background, dry_run: false }
    }
    pub fn with_object(verb: Verb, object: Object) -> Self {
        let (namespace, name) = (object.meta().namespace.clone(), object.meta().name.clone());
        ApiRequest { id: 0, verb, kind: object.kind(), namespace, name, object: Some(std::rc::Rc::new(object)), label_selector: None, node_name: None, grace_period: None, retries: 10, name_attempts: 0, patch: None, propagation: Propagation::Background, dry_run: false }
    }
}

/// kube-apiserver's metav1.Status reasons the simulation produces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusReason {
    NotFound,
    AlreadyExists,
    Conflict,
    Invalid,
    BadRequest,
    Gone,
    MethodNotAllowed,
    Forbidden,
    /// An error without a reason (500): kubectl prints just "Error from server: ...".
    Unknown,
}

impl StatusReason {
    pub fn code(self) -> u16 {
        match self {
            StatusReason::NotFound => 404,
            StatusReason::AlreadyExists | StatusReason::Conflict => 409,
            StatusReason::Invalid => 422,
            StatusReason::BadRequest => 400,
            StatusReason::Gone => 410,
            StatusReason::MethodNotAllowed => 405,
            StatusReason::Forbidden => 403,
            StatusReason::Unknown => 500,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            StatusReason::NotFound => "NotFound",
            StatusReason::AlreadyExists => "AlreadyExists",
            StatusReason::Conflict => "Conflict",
            StatusReason::Invalid => "Invalid",
            StatusReason::BadRequest => "BadRequest",
            StatusReason::Gone => "Gone",
            StatusReason::MethodNotAllowed => "MethodNotAllowed",
            StatusReason::Forbidden => "Forbidden",
            // (metav1.StatusReasonUnknown is "": named here for the trace.)
            StatusReason::Unknown => "Unknown",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub reason: StatusReason,
    pub message: String,
    /// For Invalid: the kind and name the causes refer to.
    pub kind: String,
    pub name: String,
}

impl ApiError {
    pub fn new(reason: StatusReason, message: impl Into<String>) -> Self {
        ApiError { reason, message: message.into(), kind: String::new(), name: String::new() }
    }
    pub fn not_found(kind: Kind, name: &str) -> Self {
        ApiError::new(StatusReason::NotFound, format!("{} \"{}\" not found", kind.group_resource(), name))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

#[derive(Clone, Debug)]
pub enum ApiReply {
    Object(ObjectRc),
    List { items: Vec<ObjectRc>, revision: Revision },
}

#[derive(Clone, Debug)]
pub struct ApiResponse {
    pub id: RequestId,
    pub verb: Verb,
    pub kind: Kind,
    /// (The error boxed: a message carries the larger of its bodies, and errors are rare.)
    pub result: Result<ApiReply, Box<ApiError>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchType {
    Added,
    Modified,
    Deleted,
}

impl WatchType {
    pub fn name(self) -> &'static str {
        match self {
            WatchType::Added => "ADDED",
            WatchType::Modified => "MODIFIED",
            WatchType::Deleted => "DELETED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub type_: WatchType,
    pub object: ObjectRc,
}

/// The API server's memory of a request while etcd works on it.
#[derive(Clone, Debug)]
pub struct Pending {
    pub client: Component,
    pub request: Box<ApiRequest>,
}

#[derive(Clone, Debug)]
pub struct EtcdTxn {
    pub key: Str,
    pub compare: Compare,
    pub op: TxnOp,
    pub pending: Pending,
}

#[derive(Clone, Debug)]
pub struct EtcdRange {
    pub prefix: String,
    pub pending: Pending,
}

#[derive(Clone, Debug)]
pub enum EtcdReply {
    Txn { result: TxnResult, pending: Pending },
    /// `read` keys were read; `kvs` are those the API server may keep (all of them, but for a
    /// node's pods: `Etcd::list`).
    Range { kvs: Vec<KeyValue>, read: usize, revision: Revision, pending: Pending },
}

/// Container Runtime Interface calls (k8s.io/cri-api RuntimeService and ImageService).
#[derive(Clone, Debug)]
pub enum CriCall {
    RunPodSandbox { pod_uid: Str, pod: Str },
    ImageStatus { pod_uid: Str, image: Str, container: usize },
    PullImage { pod_uid: Str, image: Str, container: usize },
    CreateContainer { pod_uid: Str, container: usize, name: Str, image: Str },
    StartContainer { pod_uid: Str, container: usize, container_id: Str },
    StopContainer { pod_uid: Str, container_id: Str, timeout_secs: i64 },
    StopPodSandbox { pod_uid: Str, sandbox_id: Str },
    /// A restarted kubelet asks what is running (ListPodSandbox and ListContainers).
    ListPodSandbox,
}

#[derive(Clone, Debug)]
pub enum CriReply {
    SandboxReady { pod_uid: Str, sandbox_id: Str, pod_ip: Str },
    ImageStatus { pod_uid: Str, container: usize, present: bool },
    ImagePulled { pod_uid: Str, container: usize, image: Str, result: Result<PullInfo, String> },
    ContainerCreated { pod_uid: Str, container: usize, container_id: Str },
    ContainerStarted { pod_uid: Str, container: usize },
    ContainerStopped { pod_uid: Str, container_id: Str },
    SandboxStopped { pod_uid: Str },
    /// The pods' sandboxes and containers, in pod uid order.
    Sandboxes(Vec<SandboxInfo>),
}

/// A pod sandbox as the runtime knows it: what survives a kubelet restart. (Its ids and IP
/// are the strings the kubelet's worker holds too: shared, not copied.)
#[derive(Clone, Debug, PartialEq)]
pub struct SandboxInfo {
    pub pod_uid: Str,
    pub sandbox_id: Str,
    pub pod_ip: Str,
    /// Per container of the pod spec, in order: its id and when it started (None: not yet).
    pub containers: Vec<(Str, Option<crate::sim::time::SimTime>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PullInfo {
    pub size_bytes: u64,
    /// Zero when the image was already present and not pulled.
    pub pull_secs: f64,
    pub already_present: bool,
}

impl CriCall {
    pub fn name(&self) -> &'static str {
        match self {
            CriCall::RunPodSandbox { .. } => "RunPodSandbox",
            CriCall::ImageStatus { .. } => "ImageStatus",
            CriCall::PullImage { .. } => "PullImage",
            CriCall::CreateContainer { .. } => "CreateContainer",
            CriCall::StartContainer { .. } => "StartContainer",
            CriCall::StopContainer { .. } => "StopContainer",
            CriCall::StopPodSandbox { .. } => "StopPodSandbox",
            CriCall::ListPodSandbox => "ListPodSandbox",
        }
    }
}

/// Work a component schedules for itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Poll mode: list this resource again.
    Poll(Kind),
    /// The kubelet renews its node Lease.
    RenewLease,
    /// The kubelet posts its node's status again (nodeStatusReportFrequency).
    ReportNodeStatus,
    /// The scheduler runs one scheduling cycle.
    ScheduleOne,
    /// The scheduler moves pods whose back-off has expired back to the active queue.
    FlushBackoff,
    /// The scheduler looks for pods unschedulable for 5 minutes (every 30 s while there are any).
    FlushUnschedulable,
    /// The kubelet retries a pod whose image pull failed.
    RetryPod(Str),
    /// kube-proxy rewrote its rules (shown, not waited on).
    ProxyRulesSynced,
    /// kube-proxy's next allowed sync (min-sync-period) has come.
    ProxySync,
    /// kube-controller-manager's node lifecycle controller checks the nodes' heartbeats.
    MonitorNodes,
}

#[derive(Clone, Debug)]
pub enum Body {
    Request(Box<ApiRequest>),
    Response(ApiResponse),
    EtcdTxn(EtcdTxn),
    EtcdRange(Box<EtcdRange>),
    EtcdReply(Box<EtcdReply>),
    Watch(WatchEvent),
    Cri(CriCall),
    CriReply(CriReply),
    Timer(Timer),
}

impl Body {
    /// Timers that recur forever; "quiet" means nothing but these is left.
    pub fn is_background(&self) -> bool {
        matches!(self, Body::Timer(Timer::Poll(_) | Timer::RenewLease | Timer::ReportNodeStatus | Timer::MonitorNodes | Timer::FlushUnschedulable))
    }
}
