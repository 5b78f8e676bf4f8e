//! The event loop. `Sim` owns every component and a queue of messages ordered by delivery time;
//! `step` delivers the next one, lets its receiver react, and queues what it sends. Time only
//! moves when a message is delivered. Components never see each other: they get a `Ctx` to send
//! messages through, and read shared state only through the API server, as in Kubernetes.

use std::collections::BTreeMap;

use super::api_server::ApiServer;
use super::controllers::ControllerManager;
use super::etcd::{Compare, Etcd, TxnOp};
use super::events::{EventCorrelator, EventKey, Recorded};
use super::informer::NoticeMode;
use super::kubelet::{Kubelet, KubeletStart};
use super::message::*;
use super::objects::*;
use super::proxy::KubeProxy;
use super::queue::DeliveryQueue;
use super::rng::Rng;
use super::runtime::ContainerRuntime;
use super::scheduler::Scheduler;
use super::time::{SimDuration, SimTime};
use super::trace::{describe, Trace, TraceEntry};

/// Everything that shapes a simulation before it starts.
#[derive(Clone, Debug)]
pub struct SimConfig {
    pub seed: u64,
    /// Worker nodes created at start, named `node-1`, `node-2`, ...
    pub nodes: u32,
    pub node_cpu: String,
    pub node_memory: String,
    pub node_pods: u32,
    pub mode: NoticeMode,
    /// How often components list again in poll mode.
    pub poll_interval: SimDuration,
    /// Trace entries kept (oldest forgotten first); 0 records none.
    pub trace_limit: usize,
    /// Revisions of history etcd keeps for watches.
    pub etcd_history: usize,
    /// Whether components write Event objects (kubectl describe's Events).
    pub record_events: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            seed: 1,
            nodes: 2,
            node_cpu: "2".into(),
            node_memory: "4Gi".into(),
            node_pods: 110,
            mode: NoticeMode::Watch,
            poll_interval: SimDuration::millis(1000),
            trace_limit: 200_000,
            etcd_history: 10_000,
            record_events: true,
        }
    }
}

/// Largest cluster the engine accepts, Kubernetes' own documented limit.
pub const MAX_NODES: u32 = 5_000;

/// The address the `kubernetes` Service's endpoints give for the API server.
pub const API_SERVER_IP: &str = "172.18.0.1";

#[derive(Clone)]
pub struct Outgoing {
    /// Who sends it: the component handling the message, or a controller speaking inside
    /// kube-controller-manager.
    from: Component,
    to: Component,
    body: Body,
    delay: Option<SimDuration>,
}

/// What a component may do while it handles a message.
pub struct Ctx<'a> {
    pub now: SimTime,
    pub me: Component,
    pub rng: &'a mut Rng,
    /// What components may read of the configuration, copied (no reference count per message).
    mode: NoticeMode,
    poll_interval: SimDuration,
    record_events: bool,
    out: &'a mut Vec<Outgoing>,
    next_id: &'a mut u64,
    events: &'a mut EventCorrelator,
    phrases: &'a mut Phrases,
}

/// What a delivery borrows from the simulation besides the clock and the random numbers.
#[derive(Clone, Debug, Default)]
struct Lent {
    events: EventCorrelator,
    phrases: Phrases,
}

/// Strings built from one container name or image that every pod repeats ("Started container
/// nginx", "Container image \"nginx:1.27\" already present on machine"): built once per
/// simulation and shared, so the Events of 150,000 pods do not each carry a copy. (One table
/// for all kubelets: 5,000 tables of their own were 5,000 places to miss the cache.)
#[derive(Clone, Debug, Default)]
pub struct Phrases(super::keyed::FxHashMap<(&'static str, Str), Str>);

impl<'a> Ctx<'a> {
    /// The phrase `what` of `subject` (a container name, an image), built by `build` only the
    /// first time it is asked for.
    pub fn phrase(&mut self, what: &'static str, subject: &Str, build: impl FnOnce(&str) -> Str) -> Str {
        self.phrases.0.entry((what, subject.clone())).or_insert_with(|| build(subject)).clone()
    }
    pub fn mode(&self) -> NoticeMode {
        self.mode
    }
    pub fn poll_interval(&self) -> SimDuration {
        self.poll_interval
    }
    pub fn send(&mut self, to: Component, body: Body) {
        self.out.push(Outgoing { from: self.me, to, body, delay: None });
    }
    pub fn send_after(&mut self, to: Component, body: Body, delay: SimDuration) {
        self.out.push(Outgoing { from: self.me, to, body, delay: Some(delay) });
    }
    pub fn timer(&mut self, delay: SimDuration, t: Timer) {
        let me = self.me;
        self.send_after(me, Body::Timer(t), delay);
    }
    pub fn next_id(&mut self) -> u64 {
        *self.next_id += 1;
        *self.next_id
    }
    /// Sends a request to the API server; the response comes back as a message.
    pub fn request(&mut self, mut req: ApiRequest) -> RequestId {
        let id = self.next_id();
        req.id = id;
        self.send(Component::ApiServer, Body::Request(Box::new(req)));
        id
    }
    /// Records a Kubernetes Event about the object of `kind` with metadata `meta`, as client-go's
    /// event recorder does: through the correlator (`events.rs`), which may turn it into an
    /// update of an earlier Event's count, or drop it.
    pub fn event(&mut self, source: EventSource, kind: Kind, meta: &ObjectMeta, type_: &str, reason: &str, message: Str) {
        if !self.record_events {
            return;
        }
        let nanos = self.now.unix_nanos() + (self.next_id() % 1000) as i128;
        let name = || Str::concat(&[&meta.name, ".", super::text::hex(u64::try_from(nanos).unwrap_or(0), &mut [0; 16])]);
        let key = EventKey { component: &source.component, host: &source.host, kind: kind.name(), namespace: &meta.namespace, name: &meta.name, uid: &meta.uid, api_version: kind.api_version(), type_, reason };
        let (recorded, key) = self.events.correlate(self.now, &key, message, name);
        let (verb, name, message, count, first) = match recorded {
            Recorded::Skip => return,
            Recorded::Create { name, message } => (Verb::Create, name, message, 1, self.now),
            Recorded::Update { name, message, count, first } => (Verb::Update, name, message, count, first),
        };
        let ev = Event {
            metadata: ObjectMeta { name, namespace: if meta.namespace.is_empty() { "default".into() } else { meta.namespace.clone() }, ..Default::default() },
            involved_object: ObjectReference { kind: kind.name().into(), namespace: meta.namespace.clone(), name: meta.name.clone(), uid: meta.uid.clone(), api_version: kind.api_version().into(), field_path: Str::EMPTY },
            reason: reason.into(),
            message,
            type_: type_.into(),
            source,
            first_timestamp: first,
            last_timestamp: self.now,
            count,
        };
        if let Some(req) = self.events.defer(key, ApiRequest::with_object(verb, Object::Event(ev))) {
            let id = self.request(req);
            self.events.sent(id, key);
        }
    }
}

#[derive(Clone, Debug)]
struct Queued {
    from: Component,
    to: Component,
    body: Body,
    sent: SimTime,
}

/// Whether a node's agents run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AgentState {
    Running,
    /// `kubelet stop`: the kubelet alone.
    KubeletStopped,
    /// The node was removed.
    Gone,
}

/// The agents that run on one worker node.
#[derive(Clone, Debug)]
pub struct NodeAgents {
    pub name: String,
    pub kubelet: Kubelet,
    pub runtime: ContainerRuntime,
    pub proxy: KubeProxy,
}

/// The whole simulated cluster. Cloning it forks the simulation.
#[derive(Clone)]
pub struct Sim {
    now: SimTime,
    rng: Rng,
    config: std::rc::Rc<SimConfig>,
    seq: u64,
    next_id: u64,
    /// Slots of `slots`, by delivery time then send order.
    queue: DeliveryQueue,
    slots: Vec<Option<Queued>>,
    free_slots: Vec<u32>,
    outbox: Vec<Outgoing>,
    /// Boxed so that lending it to a `Ctx` for each delivery moves a pointer, not the tables.
    lent: Option<Box<Lent>>,
    foreground: usize,
    delivered: u64,
    last_change: SimTime,
    etcd: Etcd,
    api: ApiServer,
    controller_manager: ControllerManager,
    scheduler: Scheduler,
    nodes: Vec<NodeAgents>,
    /// Per node, whether its agents run: after `kubelet stop` the kubelet ignores everything
    /// (containerd and kube-proxy go on, as they do when a real kubelet stops); once the node
    /// is removed, all of them do. (Apart from the agents: reading a flag inside each node's
    /// 400 bytes of agents cost a cache miss on every message to a node, 1.3% of the
    /// 150,000-pod run.)
    agents: Vec<AgentState>,
    /// Per node, when its kubelet last started (again): messages sent to it before were for the
    /// one that stopped.
    kubelet_since: Vec<SimTime>,
    trace: Trace,
    user_inbox: BTreeMap<RequestId, ApiResponse>,
}

impl Sim {
    pub fn new(mut config: SimConfig) -> Sim {
        config.nodes = config.nodes.min(MAX_NODES);
        let mut sim = Sim {
            now: SimTime::ZERO,
            rng: Rng::new(config.seed),
            seq: 0,
            next_id: 0,
            queue: DeliveryQueue::default(),
            slots: Vec::new(),
            free_slots: Vec::new(),
            outbox: Vec::new(),
            lent: Some(Box::default()),
            foreground: 0,
            delivered: 0,
            last_change: SimTime::ZERO,
            etcd: Etcd::new(config.etcd_history),
            api: ApiServer::default(),
            controller_manager: ControllerManager::new(),
            scheduler: Scheduler::new(),
            nodes: Vec::new(),
            agents: Vec::new(),
            kubelet_since: Vec::new(),
            trace: Trace::new(config.trace_limit),
            user_inbox: BTreeMap::new(),
            config: std::rc::Rc::new(config),
        };
        sim.bootstrap();
        sim
    }

    /// Writes what a freshly installed cluster has (namespaces, the `kubernetes` Service, the
    /// worker nodes and their leases) straight into etcd, then starts every component.
    fn bootstrap(&mut self) {
        const NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];
        for ns in NAMESPACES {
            let mut meta = self.new_meta(ns, "");
            meta.labels.insert("kubernetes.io/metadata.name".into(), ns.into());
            self.seed_object(Object::Namespace(Namespace { metadata: meta, spec: None, status: None }));
        }
        // What kube-controller-manager puts in every namespace (controllers/namespace_defaults.rs).
        for ns in NAMESPACES {
            let mut sa = super::controllers::namespace_defaults::default_service_account(ns);
            sa.metadata = ObjectMeta { uid: self.rng.uuid().into(), creation_timestamp: Some(self.now), ..sa.metadata };
            self.seed_object(Object::ServiceAccount(sa));
        }
        for ns in NAMESPACES {
            let mut cm = super::controllers::namespace_defaults::root_ca_config_map(ns);
            cm.metadata = ObjectMeta { uid: self.rng.uuid().into(), creation_timestamp: Some(self.now), ..cm.metadata };
            self.seed_object(Object::ConfigMap(cm));
        }
        let mut svc_meta = self.new_meta("kubernetes", "default");
        svc_meta.labels.insert("component".into(), "apiserver".into());
        svc_meta.labels.insert("provider".into(), "kubernetes".into());
        let kubernetes = self.seed_object(Object::Service(Box::new(Service {
            metadata: svc_meta,
            // The rest (type, protocol, session affinity, IP families) is the API server's defaulting.
            spec: ServiceSpec {
                cluster_ip: "10.96.0.1".into(),
                cluster_ips: vec!["10.96.0.1".into()],
                ports: vec![ServicePort { name: "https".into(), port: 443, target_port: Some(6443.into()), ..Default::default() }],
                ..Default::default()
            },
            status: None,
        })));
        self.api.allocated_cluster_ips.insert("10.96.0.1".into());
        self.seed_api_server_endpoints(&kubernetes);
        let startups = self.config.nodes;
        for i in 1..=startups {
            let name = format!("node-{i}");
            let node = self.default_node(&name);
            let obj = self.seed_object(Object::Node(node));
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Str::new(&name),
                    namespace: "kube-node-lease".into(),
                    uid: self.rng.uuid().into(),
                    creation_timestamp: Some(self.now),
                    owner_references: std::iter::once(super::kubelet::node_lease_owner(obj.meta())).collect(),
                    ..Default::default()
                },
                spec: LeaseSpec { holder_identity: name.into(), lease_duration_seconds: Some(40), renew_time: Some(self.now) },
            };
            self.seed_object(Object::Lease(lease));
            self.spawn_agents(&obj, KubeletStart::Before);
        }
        self.with_ctx(Component::ControllerManager, |s, ctx| s.controller_manager.start(ctx));
        self.with_ctx(Component::Scheduler, |s, ctx| s.scheduler.start(ctx));
    }

    fn new_meta(&mut self, name: &str, namespace: &str) -> ObjectMeta {
        ObjectMeta { name: name.into(), namespace: namespace.into(), uid: self.rng.uuid().into(), creation_timestamp: Some(self.now), ..Default::default() }
    }

    /// A worker node as `kind` would register it, with the configured capacity.
    pub fn default_node(&mut self, name: &str) -> Node {
        let mut meta = self.new_meta(name, "");
        for (k, v) in [("kubernetes.io/hostname", name), ("kubernetes.io/os", "linux"), ("kubernetes.io/arch", "amd64"), ("beta.kubernetes.io/os", "linux"), ("beta.kubernetes.io/arch", "amd64")] {
            meta.labels.insert(k.into(), v.into());
        }
        let capacity: ResourceList = [("cpu", self.config.node_cpu.clone()), ("memory", self.config.node_memory.clone()), ("pods", self.config.node_pods.to_string()), ("ephemeral-storage", "100Gi".to_string())]
            .into_iter()
            .map(|(k, v)| (Str::from(k), Str::from(v)))
            .collect();
        let mut node = Node { metadata: meta, spec: NodeSpec::default(), status: Box::new(NodeStatus { allocatable: capacity.clone(), capacity, ..Default::default() }) };
        let index = self.nodes.len() as u32;
        super::kubelet::ready_node_status(&mut node, index, self.now);
        node
    }

    /// The `kubernetes` Service's Endpoints and EndpointSlice, which kube-apiserver's endpoint
    /// reconciler keeps: its own address, port 6443. (The uids are drawn from the Service's,
    /// so the simulation's random numbers are not shifted.)
    fn seed_api_server_endpoints(&mut self, svc: &ObjectRc) {
        let mut side = super::rng::Rng::new(svc.meta().uid.bytes().fold(0u64, |h, b| h.rotate_left(5) ^ b as u64));
        let meta = |side: &mut super::rng::Rng, labels: &[(&str, &str)]| ObjectMeta {
            name: "kubernetes".into(),
            namespace: "default".into(),
            uid: side.uuid(),
            creation_timestamp: Some(self.now),
            labels: labels.iter().map(|(k, v)| (Str::new(k), Str::new(v))).collect(),
            ..Default::default()
        };
        let endpoints = Endpoints {
            metadata: meta(&mut side, &[("endpointslice.kubernetes.io/skip-mirror", "true")]),
            subsets: vec![EndpointSubset { addresses: vec![EndpointAddress { ip: API_SERVER_IP.into(), ..Default::default() }], ports: vec![ServicePort { name: "https".into(), port: 6443, protocol: "TCP".into(), ..Default::default() }], ..Default::default() }],
        };
        let mut slice_meta = meta(&mut side, &[(super::controllers::endpointslice::SERVICE_NAME_LABEL, "kubernetes")]);
        slice_meta.generation = 1;
        let slice = EndpointSlice {
            metadata: slice_meta,
            address_type: "IPv4".into(),
            endpoints: vec![Endpoint { addresses: vec![API_SERVER_IP.into()], conditions: EndpointConditions { ready: Some(true), ..Default::default() }, ..Default::default() }],
            ports: vec![EndpointPort { name: Some("https".into()), port: Some(6443), protocol: "TCP".into() }],
        };
        self.seed_object(Object::Endpoints(endpoints));
        self.seed_object(Object::EndpointSlice(Box::new(slice)));
    }

    /// Writes `obj` straight into etcd, defaulted as the API server defaults what it stores.
    fn seed_object(&mut self, mut obj: Object) -> ObjectRc {
        super::api_server::default_object(&mut obj);
        let r = self.etcd.txn(obj.key(), Compare { mod_revision: 0 }, TxnOp::Put(std::rc::Rc::new(obj)));
        r.event.map(|e| e.value).expect("bootstrap keys are new")
    }

    /// Starts the kubelet, runtime and kube-proxy of a node that has just been registered.
    fn spawn_agents(&mut self, node: &ObjectRc, start: KubeletStart) {
        let Some(n) = node.as_node() else { return };
        if self.nodes.iter().any(|a| a.name == n.metadata.name) {
            return;
        }
        let id = NodeId(self.nodes.len() as u32);
        let index = self.nodes.len() as u32;
        self.nodes.push(NodeAgents {
            name: n.metadata.name.to_string(),
            kubelet: Kubelet::new(&n.metadata.name, index),
            runtime: ContainerRuntime::new(index),
            proxy: KubeProxy::new(),
        });
        self.agents.push(AgentState::Running);
        self.kubelet_since.push(self.now);
        let node_obj = n.clone();
        self.with_ctx(Component::Kubelet(id), |s, ctx| s.nodes[id.0 as usize].kubelet.register(ctx, &node_obj, index, start));
        self.with_ctx(Component::Proxy(id), |s, ctx| s.nodes[id.0 as usize].proxy.start(ctx));
    }

    fn with_ctx(&mut self, me: Component, f: impl FnOnce(&mut Self, &mut Ctx)) {
        // The outbox is reused from one delivery to the next (taken, so a nested call gets its own).
        let mut out = std::mem::take(&mut self.outbox);
        let mut rng = std::mem::replace(&mut self.rng, Rng::new(0));
        let mut next_id = self.next_id;
        // (A nested call, if there ever is one, records through a throwaway correlator.)
        let lent = self.lent.take();
        let nested = lent.is_none();
        let mut lent = lent.unwrap_or_default();
        let Lent { events, phrases } = &mut *lent;
        let (mode, poll_interval, record_events) = (self.config.mode, self.config.poll_interval, self.config.record_events);
        {
            let mut ctx = Ctx { now: self.now, me, rng: &mut rng, mode, poll_interval, record_events, out: &mut out, next_id: &mut next_id, events, phrases };
            f(self, &mut ctx);
        }
        if !nested {
            self.lent = Some(lent);
        }
        self.rng = rng;
        self.next_id = next_id;
        for o in out.drain(..) {
            self.enqueue(o.from, o);
        }
        self.outbox = out;
    }

    fn latency(&mut self, from: Component, to: Component, body: &Body) -> SimDuration {
        let base: u64 = match (from, to, body) {
            (_, _, Body::Watch(_)) => 600,
            (Component::User, _, _) | (_, Component::User, _) => 4_000,
            (_, Component::Etcd, _) | (Component::Etcd, _, _) => 900,
            (Component::Kubelet(_), Component::Runtime(_), _) => 300,
            (Component::Kubelet(_) | Component::Proxy(_), _, _) | (_, Component::Kubelet(_) | Component::Proxy(_), _) => 1_500,
            _ => 500,
        };
        SimDuration(base * (90 + self.rng.below(21)) / 100)
    }

    fn enqueue(&mut self, from: Component, o: Outgoing) {
        let delay = match o.delay {
            Some(d) => d,
            None => self.latency(from, o.to, &o.body),
        };
        let at = self.now + delay;
        self.seq += 1;
        if self.trace.enabled() && !matches!(o.body, Body::Timer(Timer::ScheduleOne | Timer::FlushBackoff | Timer::FlushUnschedulable)) {
            let (kind, verb, key, revision, summary) = describe(&o.body);
            self.trace.push(TraceEntry { seq: self.seq, sent: self.now, delivered: at, from, to: o.to, kind, verb, key, revision, summary });
        }
        if !o.body.is_background() {
            self.foreground += 1;
        }
        let q = Some(Queued { from, to: o.to, body: o.body, sent: self.now });
        let slot = match self.free_slots.pop() {
            Some(i) => {
                self.slots[i as usize] = q;
                i
            }
            None => {
                self.slots.push(q);
                (self.slots.len() - 1) as u32
            }
        };
        self.queue.push(at.as_micros(), slot);
    }

    // ------------------------------------------------------------------ advancing

    /// Delivers the next message. Returns false when nothing is queued.
    pub fn step(&mut self) -> bool {
        let Some((at, slot)) = self.queue.pop() else { return false };
        let Some(q) = self.slots[slot as usize].take() else { return false };
        self.free_slots.push(slot);
        self.now = self.now.max(SimTime::from_micros(at));
        if !q.body.is_background() {
            self.foreground -= 1;
        }
        self.delivered += 1;
        self.deliver(q);
        true
    }

    /// Messages delivered so far: a cheap way to tell whether anything happened.
    pub fn delivered(&self) -> u64 {
        self.delivered
    }

    /// When the next message will be delivered.
    pub fn next_delivery(&self) -> Option<SimTime> {
        self.queue.peek().map(SimTime::from_micros)
    }

    /// Delivers every message due by `t`, then sets the clock to `t`.
    pub fn run_until(&mut self, t: SimTime) {
        while self.next_delivery().is_some_and(|at| at <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    pub fn run_for(&mut self, d: SimDuration) {
        let t = self.now + d;
        self.run_until(t);
    }

    /// Runs until the cluster has nothing left to do: no message in flight but recurring timers
    /// and, in poll mode, no write for two poll intervals (a poll may still find work).
    /// Stops at `limit` of simulated time from now. Returns whether it settled.
    pub fn run_until_settled(&mut self, limit: SimDuration) -> bool {
        let deadline = self.now + limit;
        loop {
            let quiet_for = match self.config.mode {
                NoticeMode::Watch => SimDuration::ZERO,
                NoticeMode::Poll => SimDuration(self.config.poll_interval.0 * 2),
            };
            if self.foreground == 0 && self.now.since(self.last_change) >= quiet_for {
                return true;
            }
            match self.next_delivery() {
                Some(at) if at <= deadline => {
                    self.step();
                }
                _ => {
                    self.now = deadline;
                    return false;
                }
            }
        }
    }

    /// Sends a request as the user (kubectl) and runs the simulation until its answer arrives.
    pub fn call(&mut self, req: ApiRequest) -> Result<ApiReply, ApiError> {
        let mut id = 0;
        self.with_ctx(Component::User, |_, ctx| id = ctx.request(req));
        let deadline = self.now + SimDuration::secs(60);
        loop {
            if let Some(resp) = self.user_inbox.remove(&id) {
                return resp.result.map_err(|e| *e);
            }
            if self.next_delivery().is_none_or(|t| t > deadline) || !self.step() {
                return Err(ApiError::new(StatusReason::Gone, "the server did not answer in time"));
            }
        }
    }

    fn deliver(&mut self, q: Queued) {
        let Queued { from, to, body, sent } = q;
        if let Body::Response(r) = &body {
            // The component's event recorder hears about its own writes first.
            if let Some((key, next)) = self.lent.as_mut().and_then(|l| l.events.answered(r.id)) {
                self.with_ctx(to, |_, ctx| {
                    let id = ctx.request(next);
                    ctx.events.sent(id, key);
                });
            }
        }
        match to {
            Component::User => {
                if let Body::Response(r) = body {
                    self.user_inbox.insert(r.id, r);
                }
            }
            Component::Etcd => self.serve_etcd(body),
            Component::ApiServer => {
                let mut registered = Vec::new();
                self.with_ctx(to, |s, ctx| registered = s.api.handle(ctx, &s.etcd, from, body));
                for node in registered {
                    self.spawn_agents(&node, KubeletStart::Joined);
                }
            }
            Component::ControllerManager | Component::Controller(_) => self.with_ctx(to, |s, ctx| s.controller_manager.handle(ctx, to, body)),
            Component::Scheduler => self.with_ctx(to, |s, ctx| s.scheduler.handle(ctx, body)),
            Component::Kubelet(n) | Component::Runtime(n) | Component::Proxy(n) => {
                let i = n.0 as usize;
                let up = match (to, self.agents.get(i)) {
                    (_, None | Some(AgentState::Gone)) => false,
                    // (What was on its way to a kubelet that stopped is lost with it: answers,
                    // watch events and its own timers do not reach the one that started again.)
                    (Component::Kubelet(_), Some(s)) => *s == AgentState::Running && self.kubelet_since.get(i).is_none_or(|t| sent >= *t),
                    _ => true,
                };
                if !up {
                    return;
                }
                self.with_ctx(to, |s, ctx| {
                    let agents = &mut s.nodes[i];
                    match to {
                        Component::Kubelet(_) => agents.kubelet.handle(ctx, body),
                        Component::Runtime(_) => agents.runtime.handle(ctx, body),
                        _ => agents.proxy.handle(ctx, body),
                    }
                });
            }
        }
    }

    fn serve_etcd(&mut self, body: Body) {
        let reply = match body {
            Body::EtcdTxn(t) => {
                // (Heartbeats are no change: Lease renewals, and a kubelet's report of its node.)
                let req = &t.pending.request;
                let heartbeat = t.key.starts_with(Kind::Lease.etcd_prefix()) || (matches!(t.pending.client, Component::Kubelet(_)) && req.kind == Kind::Node && req.verb == Verb::UpdateStatus);
                let result = self.etcd.txn(t.key, t.compare, t.op);
                if result.succeeded && !heartbeat {
                    self.last_change = self.now;
                }
                EtcdReply::Txn { result, pending: t.pending }
            }
            Body::EtcdRange(r) => {
                let (read, kvs) = self.etcd.list(&r.prefix, r.pending.request.node_name.as_deref());
                EtcdReply::Range { kvs: kvs.into_iter().cloned().collect(), read, revision: self.etcd.revision(), pending: r.pending }
            }
            _ => return,
        };
        self.with_ctx(Component::Etcd, |_, ctx| ctx.send(Component::ApiServer, Body::EtcdReply(Box::new(reply))));
    }

    // ------------------------------------------------------------------ simulation controls

    /// Registers a new worker node, as a kubelet does when it first starts.
    pub fn add_node(&mut self, name: &str) -> Result<ApiReply, ApiError> {
        let node = self.default_node(name);
        self.call(ApiRequest::with_object(Verb::Create, Object::Node(node)))
    }

    /// Stops or starts a node's kubelet (its containerd and kube-proxy go on either way).
    pub fn set_kubelet_running(&mut self, node: &str, running: bool) -> Result<(), String> {
        let i = self.nodes.iter().position(|a| a.name == node).ok_or_else(|| format!("nodes \"{node}\" not found"))?;
        let next = if running { AgentState::Running } else { AgentState::KubeletStopped };
        if self.agents[i] == next || self.agents[i] == AgentState::Gone {
            return Ok(());
        }
        self.agents[i] = next;
        if running {
            self.kubelet_since[i] = self.now;
            // A restarted kubelet lists its pods again and renews its lease at once.
            let id = NodeId(i as u32);
            let stored = self.get(Kind::Node, "", node).and_then(|o| o.as_node().cloned());
            self.with_ctx(Component::Kubelet(id), |s, ctx| s.nodes[i].kubelet.restart(ctx, stored.as_ref()));
        }
        Ok(())
    }

    // ------------------------------------------------------------------ read-only views

    pub fn now(&self) -> SimTime {
        self.now
    }
    pub fn config(&self) -> &SimConfig {
        &self.config
    }
    pub fn etcd(&self) -> &Etcd {
        &self.etcd
    }
    pub fn trace(&self) -> &Trace {
        &self.trace
    }
    pub fn nodes(&self) -> &[NodeAgents] {
        &self.nodes
    }
    /// Whether the kubelet of the `i`th node runs (`false` after `kubelet stop`).
    pub fn kubelet_running(&self, i: usize) -> bool {
        self.agents.get(i).is_some_and(|s| *s == AgentState::Running)
    }

    /// A removed node's agents stop, all of them, for good.
    pub fn stop_node_agents(&mut self, node: &str) {
        if let Some(i) = self.nodes.iter().position(|a| a.name == node) {
            self.agents[i] = AgentState::Gone;
        }
    }
    pub fn scheduler(&self) -> &Scheduler {
        &self.scheduler
    }
    pub fn is_settled(&self) -> bool {
        self.foreground == 0
    }
    /// Messages queued but not yet delivered.
    pub fn in_flight(&self) -> usize {
        self.queue.len()
    }
    /// All stored objects of a kind, straight from etcd, in key order.
    pub fn objects(&self, kind: Kind) -> impl Iterator<Item = &ObjectRc> {
        self.etcd.range(kind.etcd_prefix()).map(|(_, kv)| &kv.value)
    }
    pub fn get(&self, kind: Kind, namespace: &str, name: &str) -> Option<&ObjectRc> {
        kind.with_etcd_key(namespace, name, |key| self.etcd.get(key)).map(|kv| &kv.value)
    }
    pub fn pods(&self) -> impl Iterator<Item = &Pod> {
        self.objects(Kind::Pod).filter_map(|o| o.as_pod())
    }
    /// The display name of a component, with its node: `kubelet/node-1`.
    pub fn component_name(&self, c: Component) -> String {
        match c.node() {
            Some(n) => format!("{}/{}", c.role(), self.nodes.get(n.0 as usize).map_or("?", |a| a.name.as_str())),
            None => c.role().to_string(),
        }
    }
}
