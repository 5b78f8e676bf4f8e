//! The kubelet: the node agent that does the actual work. It watches the pods bound to its
//! node (a `spec.nodeName=<node>` field selector), and for each one drives the container
//! runtime through the CRI: RunPodSandbox, ImageStatus / PullImage, CreateContainer,
//! StartContainer. It reports each stage back as pod status and Events, renews its node's Lease
//! every 10 seconds as its heartbeat, and on deletion stops the containers and removes the pod.


use crate::sim::api_server::set_condition;
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::time::{SimDuration, SimTime};
use crate::sim::text::quote;

pub const LEASE_RENEW_INTERVAL: SimDuration = SimDuration::secs(10);
/// --node-status-report-frequency: how often the kubelet posts its node's status when nothing
/// in it changed (the conditions' lastHeartbeatTime); the Lease is the frequent heartbeat.
pub const NODE_STATUS_REPORT_FREQUENCY: SimDuration = SimDuration::secs(300);
const IMAGE_BACKOFF_INITIAL: SimDuration = SimDuration::secs(10);
const IMAGE_BACKOFF_MAX: SimDuration = SimDuration::secs(300);

#[derive(Clone, Debug, PartialEq)]
pub enum Stage {
    Sandbox,
    Pulling(usize),
    Creating(usize),
    Starting(usize),
    Running,
    ImagePullBackOff(usize),
    /// Containers whose image changed are being stopped, to start again with the new one.
    Restarting,
    Stopping,
}

#[derive(Clone, Debug)]
pub struct PodWorker {
    pub pod: Pod,
    pub stage: Stage,
    pub sandbox_id: Str,
    pub pod_ip: Str,
    pub container_ids: Vec<Str>,
    pub started_at: Vec<Option<SimTime>>,
    /// Each container's image as the runtime reports it, and its image ID (worked out once).
    images: Vec<(Str, Str)>,
    pull_started: SimTime,
    backoff: SimDuration,
    stopping: usize,
    /// Once a container has restarted: per container, restarts so far and how its previous
    /// run ended. (None for nearly every pod: 8 bytes, not two vectors, per worker.)
    restarted: Option<Box<Restarts>>,
    /// A spec whose images changed while the containers were (re)starting.
    newer_spec: Option<std::rc::Rc<PodSpec>>,
}

#[derive(Clone, Debug, Default)]
struct Restarts {
    counts: Vec<i32>,
    last_run: Vec<Option<Box<ContainerStateTerminated>>>,
}

/// When a kubelet starts, for the Events it records (`Kubelet::register`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KubeletStart {
    /// With the cluster the simulation starts with: before the story begins.
    Before,
    /// On a node that joins the cluster.
    Joined,
    /// Again, after `kubelet start`.
    Again,
}

#[derive(Clone, Debug)]
pub struct Kubelet {
    pub node: String,
    index: u32,
    /// The node's address (one: kubesim's nodes are single-stack), shared by its pods' statuses.
    node_ips: SharedVec<PodIP>,
    /// Who this kubelet's Events come from (built once: one is recorded per pod step).
    source: EventSource,
    pub informers: Informers,
    /// Pod workers by pod uid: a hash table, only looked up (each CRI answer finds its pod;
    /// a B-tree cost a string comparison per level, each a likely cache miss). Boxed: a table
    /// of 30 pods has 64 slots, and slots of whole workers were most of a kubelet's memory.
    pub workers: crate::sim::keyed::FxHashMap<Str, Box<PodWorker>>,
    pub lease_renewals: u64,
    /// After a restart, until the runtime has said what is running: the pod changes seen
    /// meanwhile, looked at once it has.
    recovering: Option<Vec<Change>>,
    /// Sandboxes the runtime still runs, by pod uid, not yet matched with a pod.
    recovered: crate::sim::keyed::FxHashMap<Str, SandboxInfo>,
    /// The node as the owner of its Lease (set once the node is known).
    lease_owners: SharedVec<OwnerReference>,
}

/// The owner reference a kubelet's lease controller puts on its node's Lease (setNodeOwnerFunc),
/// so the Lease goes with the Node.
pub fn node_lease_owner(node: &ObjectMeta) -> OwnerReference {
    OwnerReference { api_version: "v1".into(), kind: "Node".into(), name: node.name.clone(), uid: node.uid.clone(), controller: false, block_owner_deletion: false }
}

/// The status a kubelet reports for its node when it is healthy.
pub fn ready_node_status(node: &mut Node, index: u32, now: SimTime) {
    let conds = &mut node.status.conditions;
    for (t, reason, msg) in [
        ("MemoryPressure", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        ("DiskPressure", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        ("PIDPressure", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    ] {
        set_condition(conds, t, "False", reason, msg, now);
    }
    set_condition(conds, "Ready", "True", "KubeletReady", "kubelet is posting ready status", now);
    for c in conds.iter_mut() {
        c.last_heartbeat_time = Some(now);
    }
    if node.status.addresses.is_empty() {
        node.status.addresses = vec![
            NodeAddress { type_: "InternalIP".into(), address: node_ip(index).into() },
            NodeAddress { type_: "Hostname".into(), address: node.metadata.name.clone() },
        ];
    }
    if node.status.node_info.is_none() {
        // The machine's own identities, drawn from its uid (not from the simulation's random
        // numbers, which a node's registration would otherwise shift for everything after it).
        let mut rng = crate::sim::rng::Rng::new(node.metadata.uid.bytes().fold(index as u64, |h, b| h.rotate_left(5) ^ b as u64));
        let machine_id = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
        node.status.node_info = Some(NodeSystemInfo {
            machine_id: machine_id.into(),
            system_uuid: rng.uuid(),
            boot_id: rng.uuid(),
            // The kubelet still reports it in 1.32 (DisableNodeKubeProxyVersion is off).
            kube_proxy_version: "v1.32.0".into(),
            ..ready_node_info()
        });
    }
    if node.spec.pod_cidr.is_empty() {
        let n = index + 1;
        node.spec.pod_cidr = format!("10.{}.{}.0/24", 244 + n / 256, n % 256).into();
    }
    if node.spec.pod_cidrs.is_empty() {
        node.spec.pod_cidrs = vec![node.spec.pod_cidr.clone()];
    }
}

/// What a kind node's kubelet says of its software.
fn ready_node_info() -> NodeSystemInfo {
    NodeSystemInfo {
        kubelet_version: "v1.32.0".into(),
        container_runtime_version: "containerd://1.7.24".into(),
        os_image: "Debian GNU/Linux 12 (bookworm)".into(),
        kernel_version: "6.1.0-28-amd64".into(),
        architecture: "amd64".into(),
        operating_system: "linux".into(),
        ..Default::default()
    }
}

/// Node addresses as kind gives them: 172.18.0.2 onwards.
pub fn node_ip(index: u32) -> String {
    let n = index + 2;
    format!("172.18.{}.{}", n / 256, n % 256)
}

fn kubelet_source(node: &str) -> EventSource {
    EventSource { component: "kubelet".into(), host: node.into() }
}

impl Kubelet {
    pub fn new(node: &str, index: u32) -> Self {
        let mut informers = Informers::new(&[Kind::Pod]);
        informers.list[0].node_name = Some(node.into());
        Kubelet { node: node.into(), index, node_ips: std::iter::once(PodIP { ip: node_ip(index).into() }).collect(), source: kubelet_source(node), informers, workers: Default::default(), lease_renewals: 0, recovering: None, recovered: Default::default(), lease_owners: Default::default() }
    }

    pub fn start(&mut self, ctx: &mut Ctx) {
        self.informers.start(ctx);
        // Spread the heartbeats of many nodes over the interval.
        let first = SimDuration(ctx.rng.below(LEASE_RENEW_INTERVAL.0));
        ctx.timer(first, Timer::RenewLease);
        // The node status it posted (on registering, or before the simulation began) is
        // reported again once nodeStatusReportFrequency has passed with nothing to change it.
        ctx.timer(first + NODE_STATUS_REPORT_FREQUENCY, Timer::ReportNodeStatus);
    }

    /// Starts on a freshly registered node: report it Ready if nobody has, then start.
    /// `start`: whether the kubelet starts now (on a node that joins, or again after `kubelet
    /// start`), and records so; the nodes of the cluster the simulation starts with were
    /// registered before it, and their Events are not part of the story.
    pub fn register(&mut self, ctx: &mut Ctx, node: &Node, index: u32, start: KubeletStart) {
        self.lease_owners = std::iter::once(node_lease_owner(&node.metadata)).collect();
        let posted = (!node.is_ready()).then(|| {
            let mut n = node.clone();
            ready_node_status(&mut n, index, ctx.now);
            n.metadata.resource_version.clear();
            n
        });
        let after = posted.as_ref().map_or(&node.status.conditions, |n| &n.status.conditions);
        match start {
            KubeletStart::Before => {}
            // A node that joins registers with its conditions already set: all of them new.
            KubeletStart::Joined => self.record_start(ctx, &[], after),
            KubeletStart::Again => self.record_start(ctx, &node.status.conditions, after),
        }
        if let Some(n) = posted {
            ctx.request(ApiRequest::with_object(Verb::UpdateStatus, Object::Node(n)));
        }
        self.start(ctx);
    }

    /// The Events a starting kubelet records about its node (the node named by name, as the
    /// kubelet's node reference is): "Starting kubelet.", then, in the order its status setters
    /// run, each condition it sets for the first time or changes, with the allocatable limit it
    /// enforces before the Ready one.
    fn record_start(&self, ctx: &mut Ctx, before: &[Condition], after: &[Condition]) {
        let node = ObjectMeta { name: Str::new(&self.node), uid: Str::new(&self.node), ..Default::default() };
        ctx.event(self.source(), Kind::Node, &node, "Normal", "Starting", "Starting kubelet.".into());
        let status = |list: &[Condition], t: &str| list.iter().find(|c| c.type_ == t).map(|c| c.status.clone());
        for (t, ok, reason) in [("MemoryPressure", "False", "NodeHasSufficientMemory"), ("DiskPressure", "False", "NodeHasNoDiskPressure"), ("PIDPressure", "False", "NodeHasSufficientPID"), ("Ready", "True", "NodeReady")] {
            if t == "Ready" {
                ctx.event(self.source(), Kind::Node, &node, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across pods".into());
            }
            if status(after, t).is_some_and(|s| s == ok) && status(before, t).is_none_or(|s| s != ok) {
                ctx.event(self.source(), Kind::Node, &node, "Normal", reason, Str::concat(&["Node ", &self.node, " status is now: ", reason]));
            }
        }
    }

    /// After `kubelet start`: the kubelet's memory is gone, but the runtime kept the pods'
    /// sandboxes and containers. It asks the runtime what runs (ListPodSandbox), posts the
    /// node Ready again if the node lifecycle controller marked it otherwise meanwhile, and
    /// lists its pods again: each one still running is taken back as it is (same sandbox, IP
    /// and containers, no restart), and sandboxes no pod claims are stopped.
    pub fn restart(&mut self, ctx: &mut Ctx, node: Option<&Node>) {
        let (name, index) = (self.node.clone(), self.index);
        *self = Kubelet::new(&name, index);
        self.recovering = Some(Vec::new());
        ctx.send(Self::runtime(ctx), Body::Cri(CriCall::ListPodSandbox));
        match node {
            Some(n) => self.register(ctx, n, index, KubeletStart::Again),
            None => self.start(ctx),
        }
    }

    fn source(&self) -> EventSource {
        self.source.clone()
    }

    pub fn handle(&mut self, ctx: &mut Ctx, body: Body) {
        if let Some(changes) = self.informers.handle(ctx, &body) {
            for (_, change) in changes {
                match &mut self.recovering {
                    Some(waiting) => waiting.push(change),
                    None => self.on_pod_change(ctx, change),
                }
            }
            self.stop_unclaimed(ctx);
            return;
        }
        match body {
            Body::Timer(Timer::RenewLease) => self.renew_lease(ctx),
            Body::Timer(Timer::ReportNodeStatus) => {
                // tryUpdateNodeStatus: the node as the API server has it, then its status.
                ctx.request(ApiRequest::new(Verb::Get, Kind::Node, "", &self.node));
                ctx.timer(NODE_STATUS_REPORT_FREQUENCY, Timer::ReportNodeStatus);
            }
            Body::Response(r) if r.kind == Kind::Node && r.verb == Verb::Get => {
                if let Ok(ApiReply::Object(o)) = &r.result {
                    if let Some(node) = o.as_node() {
                        // Every condition as the kubelet sees it, with a new heartbeat time.
                        let mut n = node.clone();
                        ready_node_status(&mut n, self.index, ctx.now);
                        n.metadata.resource_version.clear();
                        ctx.request(ApiRequest::with_object(Verb::UpdateStatus, Object::Node(n)));
                    }
                }
            }
            Body::Timer(Timer::RetryPod(uid)) => self.retry_pull(ctx, &uid),
            Body::CriReply(r) => self.on_cri_reply(ctx, r),
            Body::Response(r) if r.kind == Kind::Lease => {
                if let Err(e) = &r.result {
                    if e.reason == StatusReason::NotFound {
                        self.create_lease(ctx);
                    }
                }
            }
            _ => {}
        }
    }

    fn lease(&self, now: SimTime) -> Lease {
        Lease {
            metadata: ObjectMeta { name: Str::new(&self.node), namespace: "kube-node-lease".into(), owner_references: self.lease_owners.clone(), ..Default::default() },
            spec: LeaseSpec { holder_identity: Str::new(&self.node), lease_duration_seconds: Some(40), renew_time: Some(now) },
        }
    }

    fn renew_lease(&mut self, ctx: &mut Ctx) {
        self.lease_renewals += 1;
        ctx.request(ApiRequest::with_object(Verb::Update, Object::Lease(self.lease(ctx.now))));
        ctx.timer(LEASE_RENEW_INTERVAL, Timer::RenewLease);
    }

    fn create_lease(&mut self, ctx: &mut Ctx) {
        ctx.request(ApiRequest::with_object(Verb::Create, Object::Lease(self.lease(ctx.now))));
    }

    fn on_pod_change(&mut self, ctx: &mut Ctx, change: Change) {
        let deleted = matches!(change, Change::Deleted(_));
        let Some(pod) = change.object().as_pod() else { return };
        let uid = pod.metadata.uid.clone();
        if deleted {
            if let Some(w) = self.workers.remove(&uid) {
                // Force-deleted while running: tear down without further status.
                for id in w.container_ids.iter().filter(|id| !id.is_empty()) {
                    ctx.send(Component::Runtime(ctx.me.node().expect("kubelet on a node")), Body::Cri(CriCall::StopContainer { pod_uid: uid.clone(), container_id: id.clone(), timeout_secs: 0 }));
                }
            }
            return;
        }
        if let Some(info) = self.recovered.remove(&uid) {
            // Running since before a restart: taken back, and stopped if it is being deleted.
            if self.adopt(ctx, pod.clone(), info) && pod.metadata.deletion_timestamp.is_some() {
                self.kill_pod(ctx, &uid);
            }
            return;
        }
        match self.workers.get_mut(&uid) {
            None if pod.metadata.deletion_timestamp.is_none() && pod.status.phase != "Succeeded" && pod.status.phase != "Failed" => self.start_pod(ctx, pod.clone()),
            None if pod.metadata.deletion_timestamp.is_some() => {
                // Nothing running here: confirm the deletion straight away.
                self.finish_delete(ctx, pod);
            }
            Some(w) => {
                // Of a later version the worker needs only the deletion fields (its Events and
                // status name the pod by name, namespace and uid, which never change) and,
                // since only their images may change, the containers' images.
                let (m, held) = (&pod.metadata, &w.pod.metadata);
                if (m.deletion_timestamp, m.deletion_grace_period_seconds) != (held.deletion_timestamp, held.deletion_grace_period_seconds) {
                    w.pod.metadata = m.clone();
                }
                if pod.metadata.deletion_timestamp.is_some() && w.stage != Stage::Stopping {
                    self.kill_pod(ctx, &uid);
                } else if !std::rc::Rc::ptr_eq(&pod.spec, &w.pod.spec) && changed_images(&pod.spec, &w.pod.spec).next().is_some() {
                    if w.stage == Stage::Running {
                        self.restart_changed(ctx, &uid, pod);
                    } else if w.stage != Stage::Stopping {
                        // Starting (or restarting) still: once running, the newest image counts.
                        w.newer_spec = Some(pod.spec.clone());
                    }
                }
            }
            None => {}
        }
    }

    /// computePodActions for a running pod whose containers' images changed: each such
    /// container is killed ("definition changed") and started again from its new image, its
    /// restart count one up.
    fn restart_changed(&mut self, ctx: &mut Ctx, uid: &Str, pod: &Pod) {
        let src = self.source();
        let rt = Self::runtime(ctx);
        let Some(w) = self.workers.get_mut(uid) else { return };
        let changed: Vec<usize> = changed_images(&pod.spec, &w.pod.spec).collect();
        w.pod.spec = pod.spec.clone();
        w.images = Self::images(ctx, &w.pod);
        let grace = w.pod.spec.termination_grace_period_seconds.unwrap_or(30).max(0);
        for i in changed {
            let name = w.pod.spec.containers[i].name.clone();
            ctx.event(src.clone(), Kind::Pod, &w.pod.metadata, "Normal", "Killing", Str::concat(&["Container ", &name, " definition changed, will be restarted"]));
            if w.container_ids[i].is_empty() {
                continue;
            }
            w.stopping += 1;
            ctx.send(rt, Body::Cri(CriCall::StopContainer { pod_uid: uid.clone(), container_id: w.container_ids[i].clone(), timeout_secs: grace }));
        }
        w.stage = Stage::Restarting;
    }

    fn runtime(ctx: &Ctx) -> Component {
        Component::Runtime(ctx.me.node().expect("kubelet on a node"))
    }

    /// Each container's image as the runtime reports it, and its image ID. An image's
    /// normalized reference and id are phrases of the image as written: worked out once per
    /// simulation, not for every pod.
    fn images(ctx: &mut Ctx, pod: &Pod) -> Vec<(Str, Str)> {
        pod.spec
            .containers
            .iter()
            .map(|c| {
                let reference = ctx.phrase("image reference", &c.image, |image| {
                    let (repo, tag) = crate::sim::runtime::normalize_image(image);
                    Str::concat(&[&repo, ":", &tag])
                });
                let id = ctx.phrase("image id", &c.image, |image| Str::concat(&[&crate::sim::runtime::normalize_image(image).0, "@sha256:", &crate::sim::runtime::digest(&reference)]));
                (reference, id)
            })
            .collect()
    }

    /// SyncPod, first pass: report ContainerCreating, then ask for a sandbox.
    fn start_pod(&mut self, ctx: &mut Ctx, pod: Pod) {
        let uid = pod.metadata.uid.clone();
        let n = pod.spec.containers.len();
        let images = Self::images(ctx, &pod);
        let mut w = Box::new(PodWorker { pod, stage: Stage::Sandbox, sandbox_id: Str::EMPTY, pod_ip: Str::EMPTY, container_ids: vec![Str::EMPTY; n], started_at: vec![None; n], images, pull_started: ctx.now, backoff: IMAGE_BACKOFF_INITIAL, stopping: 0, restarted: None, newer_spec: None });
        w.pod.status.start_time = Some(ctx.now);
        report(ctx, &self.node_ips, &mut w, "ContainerCreating", "");
        ctx.send(Self::runtime(ctx), Body::Cri(CriCall::RunPodSandbox { pod_uid: uid.clone(), pod: Str::concat(&[&w.pod.metadata.namespace, "/", &w.pod.metadata.name]) }));
        self.workers.insert(uid, w);
    }

    /// A pod whose sandbox outlived a kubelet restart, with all its containers started: its
    /// worker is rebuilt from what the runtime says and its status posted again (Ready, where
    /// the node lifecycle controller had marked it not ready). One caught half-started is
    /// started afresh. Returns whether it was taken back.
    fn adopt(&mut self, ctx: &mut Ctx, pod: Pod, info: SandboxInfo) -> bool {
        let n = pod.spec.containers.len();
        if info.containers.len() != n || info.containers.iter().any(|(_, at)| at.is_none()) {
            // (Its old sandbox is left to be replaced: a stop answered later would find the
            // new worker.)
            if pod.metadata.deletion_timestamp.is_none() {
                self.start_pod(ctx, pod);
            } else {
                self.finish_delete(ctx, &pod);
            }
            return false;
        }
        let uid = pod.metadata.uid.clone();
        let images = Self::images(ctx, &pod);
        let (container_ids, started_at) = info.containers.into_iter().unzip();
        let mut w = Box::new(PodWorker { pod, stage: Stage::Running, sandbox_id: info.sandbox_id, pod_ip: info.pod_ip, container_ids, started_at, images, pull_started: ctx.now, backoff: IMAGE_BACKOFF_INITIAL, stopping: 0, restarted: None, newer_spec: None });
        if w.pod.metadata.deletion_timestamp.is_none() {
            report(ctx, &self.node_ips, &mut w, "", "");
        }
        self.workers.insert(uid, w);
        true
    }

    /// Once both the runtime's list and the pods are in: sandboxes no pod claims (their pods
    /// were deleted while the kubelet was down) are stopped.
    fn stop_unclaimed(&mut self, ctx: &mut Ctx) {
        // (Checked after every batch of pod changes: the usual answer, nothing recovered, first.)
        if self.recovered.is_empty() || self.recovering.is_some() || !self.informers.synced() {
            return;
        }
        let rt = Self::runtime(ctx);
        let mut left: Vec<SandboxInfo> = std::mem::take(&mut self.recovered).into_values().collect();
        left.sort_by(|a, b| a.pod_uid.cmp(&b.pod_uid));
        for s in left {
            for (id, _) in s.containers.iter().filter(|(id, at)| !id.is_empty() && at.is_some()) {
                ctx.send(rt, Body::Cri(CriCall::StopContainer { pod_uid: s.pod_uid.clone(), container_id: id.clone(), timeout_secs: 0 }));
            }
            ctx.send(rt, Body::Cri(CriCall::StopPodSandbox { pod_uid: s.pod_uid, sandbox_id: s.sandbox_id }));
        }
    }

    fn on_cri_reply(&mut self, ctx: &mut Ctx, reply: CriReply) {
        let rt = Self::runtime(ctx);
        let src = self.source();
        match reply {
            CriReply::Sandboxes(list) => {
                self.recovered = list.into_iter().map(|s| (s.pod_uid.clone(), s)).collect();
                for change in self.recovering.take().unwrap_or_default() {
                    self.on_pod_change(ctx, change);
                }
                self.stop_unclaimed(ctx);
            }
            CriReply::SandboxReady { pod_uid, sandbox_id, pod_ip } => {
                let Some(w) = self.workers.get_mut(&pod_uid) else { return };
                if w.stage == Stage::Stopping {
                    return;
                }
                w.sandbox_id = sandbox_id;
                w.pod_ip = pod_ip;
                self.ensure_image(ctx, &pod_uid, 0);
            }
            CriReply::ImageStatus { pod_uid, container, present } => {
                let Some(w) = self.workers.get_mut(&pod_uid) else { return };
                let c = &w.pod.spec.containers[container];
                let pod_meta = &w.pod.metadata;
                if present && c.image_pull_policy != "Always" {
                    let message = ctx.phrase("present", &c.image, |image| Str::concat(&["Container image ", &quote(image), " already present on machine"]));
                    ctx.event(src, Kind::Pod, pod_meta, "Normal", "Pulled", message);
                    w.stage = Stage::Creating(container);
                    ctx.send(rt, Body::Cri(CriCall::CreateContainer { pod_uid, container, name: c.name.clone(), image: c.image.clone() }));
                } else {
                    let message = ctx.phrase("pulling", &c.image, |image| Str::concat(&["Pulling image ", &quote(image)]));
                    ctx.event(src, Kind::Pod, pod_meta, "Normal", "Pulling", message);
                    w.stage = Stage::Pulling(container);
                    w.pull_started = ctx.now;
                    ctx.send(rt, Body::Cri(CriCall::PullImage { pod_uid, image: c.image.clone(), container }));
                }
            }
            CriReply::ImagePulled { pod_uid, container, image, result } => {
                let Some(w) = self.workers.get_mut(&pod_uid) else { return };
                if w.stage == Stage::Stopping {
                    return;
                }
                let pod_meta = w.pod.metadata.clone();
                match result {
                    Ok(info) => {
                        let waited = ctx.now.since(w.pull_started);
                        let took = SimDuration((info.pull_secs * 1e6) as u64);
                        ctx.event(src, Kind::Pod, &pod_meta, "Normal", "Pulled", format!("Successfully pulled image {image:?} in {took} ({waited} including waiting). Image size: {} bytes.", info.size_bytes).into());
                        w.stage = Stage::Creating(container);
                        let name = w.pod.spec.containers[container].name.clone();
                        ctx.send(rt, Body::Cri(CriCall::CreateContainer { pod_uid, container, name, image }));
                    }
                    Err(e) => {
                        ctx.event(src.clone(), Kind::Pod, &pod_meta, "Warning", "Failed", format!("Failed to pull image {image:?}: {e}").into());
                        ctx.event(src, Kind::Pod, &pod_meta, "Warning", "Failed", "Error: ErrImagePull".into());
                        w.stage = Stage::ImagePullBackOff(container);
                        let delay = w.backoff;
                        w.backoff = SimDuration((w.backoff.0 * 2).min(IMAGE_BACKOFF_MAX.0));
                        report(ctx, &self.node_ips, w, "ErrImagePull", &format!("failed to pull image {image:?}: {e}"));
                        ctx.timer(delay, Timer::RetryPod(pod_uid.clone()));
                    }
                }
            }
            CriReply::ContainerCreated { pod_uid, container, container_id } => {
                let Some(w) = self.workers.get_mut(&pod_uid) else { return };
                if w.stage == Stage::Stopping {
                    return;
                }
                let message = ctx.phrase("created", &w.pod.spec.containers[container].name, |name| Str::concat(&["Created container: ", name]));
                ctx.event(src, Kind::Pod, &w.pod.metadata, "Normal", "Created", message);
                w.container_ids[container] = container_id.clone();
                w.stage = Stage::Starting(container);
                ctx.send(rt, Body::Cri(CriCall::StartContainer { pod_uid, container, container_id }));
            }
            CriReply::ContainerStarted { pod_uid, container } => {
                let Some(w) = self.workers.get_mut(&pod_uid) else { return };
                if w.stage == Stage::Stopping {
                    return;
                }
                let message = ctx.phrase("started", &w.pod.spec.containers[container].name, |name| Str::concat(&["Started container ", name]));
                ctx.event(src, Kind::Pod, &w.pod.metadata, "Normal", "Started", message);
                w.started_at[container] = Some(ctx.now);
                // The next container not running: all the later ones on a first start, the
                // next one whose image changed on a restart.
                if let Some(next) = (container + 1..w.started_at.len()).find(|i| w.started_at[*i].is_none()) {
                    self.ensure_image(ctx, &pod_uid, next);
                } else {
                    w.stage = Stage::Running;
                    report(ctx, &self.node_ips, w, "", "");
                    // An image changed while the containers were starting: now they restart.
                    if let Some(spec) = w.newer_spec.take() {
                        let pod = Pod { metadata: w.pod.metadata.clone(), spec, status: Default::default() };
                        self.restart_changed(ctx, &pod_uid, &pod);
                    }
                }
            }
            CriReply::ContainerStopped { pod_uid, container_id } if self.workers.get(&pod_uid).is_some_and(|w| w.stage == Stage::Restarting) => {
                let Some(w) = self.workers.get_mut(&pod_uid) else { return };
                w.stopping = w.stopping.saturating_sub(1);
                if let Some(i) = w.container_ids.iter().position(|id| *id == container_id) {
                    // nginx exits 0 on the stop signal.
                    let n = w.container_ids.len();
                    let r = w.restarted.get_or_insert_with(|| Box::new(Restarts { counts: vec![0; n], last_run: vec![None; n] }));
                    r.last_run[i] = Some(Box::new(ContainerStateTerminated { container_id: Str::concat(&["containerd://", &container_id]), exit_code: 0, reason: "Completed".into(), started_at: w.started_at[i], finished_at: Some(ctx.now) }));
                    r.counts[i] += 1;
                    w.started_at[i] = None;
                    w.container_ids[i] = Str::EMPTY;
                }
                if w.stopping == 0 {
                    report(ctx, &self.node_ips, w, "", "");
                    if let Some(first) = w.started_at.iter().position(|s| s.is_none()) {
                        self.ensure_image(ctx, &pod_uid, first);
                    }
                }
            }
            CriReply::ContainerStopped { pod_uid, .. } => {
                let Some(w) = self.workers.get_mut(&pod_uid) else { return };
                w.stopping = w.stopping.saturating_sub(1);
                if w.stopping == 0 {
                    let sandbox_id = w.sandbox_id.clone();
                    ctx.send(rt, Body::Cri(CriCall::StopPodSandbox { pod_uid, sandbox_id }));
                }
            }
            CriReply::SandboxStopped { pod_uid } => {
                if let Some(w) = self.workers.get(&pod_uid) {
                    let pod = w.pod.clone();
                    self.finish_delete(ctx, &pod);
                }
            }
        }
    }

    fn ensure_image(&mut self, ctx: &mut Ctx, uid: &Str, container: usize) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let image = w.pod.spec.containers[container].image.clone();
        w.stage = Stage::Pulling(container);
        ctx.send(Self::runtime(ctx), Body::Cri(CriCall::ImageStatus { pod_uid: uid.into(), image, container }));
    }

    fn retry_pull(&mut self, ctx: &mut Ctx, uid: &Str) {
        let src = self.source();
        let Some(w) = self.workers.get_mut(uid) else { return };
        let Stage::ImagePullBackOff(c) = w.stage else { return };
        let image = w.pod.spec.containers[c].image.clone();
        ctx.event(src, Kind::Pod, &w.pod.metadata, "Normal", "BackOff", format!("Back-off pulling image {image:?}").into());
        report(ctx, &self.node_ips, w, "ImagePullBackOff", &format!("Back-off pulling image {image:?}"));
        self.ensure_image(ctx, uid, c);
    }

    /// killPod: stop every container (after the grace period's SIGTERM), then the sandbox.
    fn kill_pod(&mut self, ctx: &mut Ctx, uid: &str) {
        let src = self.source();
        let rt = Self::runtime(ctx);
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.stage = Stage::Stopping;
        let grace = w.pod.metadata.deletion_grace_period_seconds.unwrap_or(30);
        let pod_meta = w.pod.metadata.clone();
        let running: Vec<(Str, Str)> = w.pod.spec.containers.iter().zip(&w.container_ids).filter(|(_, id)| !id.is_empty()).map(|(c, id)| (c.name.clone(), id.clone())).collect();
        w.stopping = running.len();
        for (name, id) in &running {
            ctx.event(src.clone(), Kind::Pod, &pod_meta, "Normal", "Killing", format!("Stopping container {name}").into());
            ctx.send(rt, Body::Cri(CriCall::StopContainer { pod_uid: uid.into(), container_id: id.clone(), timeout_secs: grace }));
        }
        if running.is_empty() {
            let sandbox_id = w.sandbox_id.clone();
            ctx.send(rt, Body::Cri(CriCall::StopPodSandbox { pod_uid: uid.into(), sandbox_id }));
        }
    }

    /// The status manager's final step: delete the pod object with grace 0 and its uid.
    fn finish_delete(&mut self, ctx: &mut Ctx, pod: &Pod) {
        let mut req = ApiRequest::new(Verb::Delete, Kind::Pod, &pod.metadata.namespace, &pod.metadata.name);
        req.grace_period = Some(0);
        ctx.request(req);
    }
}

/// generateAPIPodStatus + the status manager's patch.
/// The spec a status update carries: none (the status subresource ignores it), one shared copy.
fn no_spec() -> std::rc::Rc<PodSpec> {
    thread_local! {
        static NONE: std::rc::Rc<PodSpec> = Default::default();
    }
    NONE.with(|n| n.clone())
}

/// The containers whose image differs between two specs of one pod.
fn changed_images<'a>(a: &'a PodSpec, b: &'a PodSpec) -> impl Iterator<Item = usize> + 'a {
    a.containers.iter().zip(b.containers.iter()).enumerate().filter(|(_, (x, y))| x.image != y.image).map(|(i, _)| i)
}

/// A pod's conditions as the kubelet writes them (generateAPIPodStatus, then the status
/// manager's mergePodStatus): the ones other components own first, as they were, then the
/// kubelet's own (`wanted`: type, status, reason, message) in its order, each keeping its
/// lastTransitionTime while its status stays the same. (So PodScheduled, which the scheduler
/// wrote first, ends up last.)
fn kubelet_conditions(old: &[Condition], wanted: [(&str, &str, &str, &Str); 5], now: SimTime) -> SharedVec<Condition> {
    let mut conditions: Vec<Condition> = Vec::with_capacity(old.len().max(wanted.len()));
    conditions.extend(old.iter().filter(|c| !wanted.iter().any(|w| c.type_ == w.0)).cloned());
    for (type_, status, reason, message) in wanted {
        if let Some(c) = old.iter().find(|c| c.type_ == type_) {
            conditions.push(c.clone());
        }
        set_condition(&mut conditions, type_, status, reason, message.clone(), now);
    }
    conditions.into()
}

fn report(ctx: &mut Ctx, node_ips: &SharedVec<PodIP>, w: &mut PodWorker, waiting_reason: &str, waiting_message: &str) {
    let now = ctx.now;
    let p = &mut w.pod;
    let all_running = w.started_at.iter().all(|s| s.is_some());
    let s = &mut p.status;
    s.host_ip = Str::EMPTY;
    s.host_ips = SharedVec::new();
    // (A pod that has run stays Running while a container restarts.)
    s.phase = if all_running || w.restarted.is_some() { "Running".into() } else { "Pending".into() };
    if s.pod_ip != w.pod_ip {
        s.pod_ip = w.pod_ip.clone();
        s.pod_ips = if w.pod_ip.is_empty() { SharedVec::new() } else { std::iter::once(PodIP { ip: w.pod_ip.clone() }).collect() };
    }
    let not_ready: Vec<&Str> = p.spec.containers.iter().zip(&w.started_at).filter(|(_, st)| st.is_none()).map(|(c, _)| &c.name).collect();
    let ready = not_ready.is_empty();
    let unready = |names: &str| Str::concat(&["containers with unready status: [", names, "]"]);
    let unready_msg = match not_ready[..] {
        [] => Str::EMPTY,
        [one] => ctx.phrase("unready", one, unready),
        _ => unready(&not_ready.iter().map(|n| n.as_str()).collect::<Vec<_>>().join(" ")),
    };
    let (ready_status, ready_reason) = if ready { ("True", "") } else { ("False", "ContainersNotReady") };
    s.conditions = kubelet_conditions(
        &s.conditions,
        [
            ("PodReadyToStartContainers", if w.pod_ip.is_empty() { "False" } else { "True" }, "", &Str::EMPTY),
            ("Initialized", "True", "", &Str::EMPTY),
            ("Ready", ready_status, ready_reason, &unready_msg),
            ("ContainersReady", ready_status, ready_reason, &unready_msg),
            ("PodScheduled", "True", "", &Str::EMPTY),
        ],
        now,
    );
    s.container_statuses = p
        .spec
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let started = w.started_at[i];
            let state = match started {
                Some(t) => ContainerState { running: Some(ContainerStateRunning { started_at: t }), ..Default::default() },
                None => {
                    let reason = if waiting_reason.is_empty() { "ContainerCreating" } else { waiting_reason };
                    ContainerState { waiting: Some(ContainerStateWaiting { reason: reason.into(), message: waiting_message.into() }), ..Default::default() }
                }
            };
            let (image, image_id) = w.images.get(i).cloned().unwrap_or_default();
            ContainerStatus {
                name: c.name.clone(),
                image,
                image_id: if started.is_some() { image_id } else { Str::EMPTY },
                container_id: if started.is_some() { Str::concat(&["containerd://", &w.container_ids[i]]) } else { Str::EMPTY },
                ready: started.is_some(),
                restart_count: w.restarted.as_ref().and_then(|r| r.counts.get(i).copied()).unwrap_or(0),
                started: started.is_some(),
                state,
                last_state: ContainerState { terminated: w.restarted.as_ref().and_then(|r| r.last_run.get(i).cloned().flatten()), ..Default::default() },
            }
        })
        .collect();
    // The status manager patches status only; the API server's status subresource ignores the rest.
    let mut status = p.status.clone();
    status.host_ip = node_ips.first().map(|a| a.ip.clone()).unwrap_or_default();
    status.host_ips = node_ips.clone();
    let meta = ObjectMeta { name: p.metadata.name.clone(), namespace: p.metadata.namespace.clone(), ..Default::default() };
    ctx.request(ApiRequest::with_object(Verb::UpdateStatus, Object::Pod(Pod { metadata: meta, spec: no_spec(), status })));
}
