//! kube-apiserver: the only component that talks to etcd. It validates and defaults what
//! clients send, turns writes into etcd transactions guarded by the object's mod revision
//! (optimistic concurrency: a stale `resourceVersion` gets 409 Conflict), answers the client
//! once etcd has answered, and pushes every committed change to the watchers that asked for it.
//!
//! Reads of current state before a write (admission, GuaranteedUpdate's first read) come from
//! its view of etcd, as the real server's watch cache serves them; the write itself is a
//! message to etcd and can lose a race.

use std::collections::BTreeSet;

use super::engine::Ctx;
use super::etcd::{Compare, Etcd, EtcdEvent, EventType, TxnOp};
use super::keyed::FxHashMap;
use super::message::*;
use super::objects::*;
use super::patch::{self, PatchType};
use super::text::quote;
use super::validation::{invalid_message, validate, Cause};

#[derive(Clone, Debug, Default)]
pub struct ApiServer {
    /// Watchers by kind (indexed by `Kind as usize`): 5,000 kube-proxies watch Services and
    /// Endpoints, and a pod write should not look at them.
    watchers: [Vec<Component>; Kind::ALL.len()],
    /// Pod watchers with a `spec.nodeName=` selector, by node: the index kube-apiserver's watch
    /// cache keeps so 5,000 kubelets do not each filter every pod.
    node_pod_watchers: FxHashMap<Str, Vec<Component>>,
    pub allocated_cluster_ips: BTreeSet<String>,
}

/// kube-apiserver's --service-node-port-range (its default).
const NODE_PORT_RANGE: std::ops::RangeInclusive<i32> = 30000..=32767;
/// The bottom of the range that dynamic allocation leaves for ports people choose
/// (ServiceNodePortStaticSubrange: min(max(16, size / 32), 128) ports).
const NODE_PORT_STATIC_BAND: i32 = 86;

/// The node port allocator of the Service registry, for a NodePort or LoadBalancer Service: a
/// port that names a node port keeps it if it is in range and free; the others get a free one
/// at random, above the static band while there is one. On an update (`old`), a port that
/// names none keeps the one it had (patchAllocatedValues, by port name). Ports are free when
/// no other Service holds them, so a deleted Service's are free again.
fn allocate_node_ports(ctx: &mut Ctx, etcd: &Etcd, s: &mut Service, old: Option<&Service>) -> Vec<Cause> {
    if !s.spec.needs_node_port() {
        return Vec::new();
    }
    if let Some(old) = old.filter(|o| o.spec.needs_node_port()) {
        for p in s.spec.ports.iter_mut().filter(|p| p.node_port.is_none()) {
            p.node_port = old.spec.ports.iter().find(|o| o.name == p.name).and_then(|o| o.node_port);
        }
    }
    let (ns, name) = (&s.metadata.namespace, &s.metadata.name);
    let mut used: BTreeSet<i32> = etcd
        .range(Kind::Service.etcd_prefix())
        .filter_map(|(_, kv)| kv.value.as_service())
        .filter(|o| !(o.metadata.namespace == *ns && o.metadata.name == *name))
        .flat_map(|o| o.spec.ports.iter().filter_map(|p| p.node_port))
        .collect();
    let mut causes = Vec::new();
    for (i, p) in s.spec.ports.iter_mut().enumerate() {
        let field = format!("spec.ports[{i}].nodePort");
        match p.node_port {
            Some(np) if !NODE_PORT_RANGE.contains(&np) => causes.push(Cause::invalid(&field, np, &format!("provided port is not in the valid range. The range of valid ports is {}-{}", NODE_PORT_RANGE.start(), NODE_PORT_RANGE.end()))),
            Some(np) if !used.insert(np) => causes.push(Cause::invalid(&field, np, "provided port is already allocated")),
            Some(_) => {}
            None => {
                let dynamic = NODE_PORT_RANGE.start() + NODE_PORT_STATIC_BAND..=*NODE_PORT_RANGE.end();
                let size = (dynamic.end() - dynamic.start() + 1) as u64;
                let start = dynamic.start() + ctx.rng.below(size) as i32;
                // From a random place in the dynamic band round it, then the static band.
                let free = (start..=*dynamic.end()).chain(*dynamic.start()..start).chain(*NODE_PORT_RANGE.start()..*dynamic.start()).find(|n| !used.contains(n));
                match free {
                    Some(n) => {
                        used.insert(n);
                        p.node_port = Some(n);
                    }
                    None => causes.push(Cause { field, message: "Internal error: failed to allocate a nodePort: range is full".into() }),
                }
            }
        }
    }
    causes
}

/// dropTypeDependentFields: a Service changed to a type that has no use for its node ports,
/// external traffic policy or allocateLoadBalancerNodePorts loses them, unless the update set
/// them anew.
fn drop_type_dependent_fields(old: &Service, new: &mut Service) {
    let node_ports = |s: &Service| s.spec.ports.iter().filter_map(|p| p.node_port).collect::<BTreeSet<i32>>();
    if old.spec.needs_node_port() && !new.spec.needs_node_port() && node_ports(old) == node_ports(new) {
        for p in &mut new.spec.ports {
            p.node_port = None;
        }
    }
    if old.spec.needs_node_port() && !new.spec.needs_node_port() && old.spec.external_traffic_policy == new.spec.external_traffic_policy {
        new.spec.external_traffic_policy = Str::default();
    }
    if old.spec.type_ == "LoadBalancer" && new.spec.type_ != "LoadBalancer" && old.spec.allocate_load_balancer_node_ports == new.spec.allocate_load_balancer_node_ports {
        new.spec.allocate_load_balancer_node_ports = None;
    }
}

fn err(reason: StatusReason, msg: impl Into<String>) -> ApiError {
    ApiError::new(reason, msg)
}

/// 422 Invalid, with the causes as kubectl prints them.
fn invalid(kind: Kind, name: &str, causes: &[Cause]) -> ApiError {
    let mut e = err(StatusReason::Invalid, invalid_message(kind, name, causes));
    e.kind = kind.name().into();
    e.name = name.into();
    e
}

fn conflict(kind: Kind, name: &str) -> ApiError {
    err(StatusReason::Conflict, format!("Operation cannot be fulfilled on {} \"{}\": the object has been modified; please apply your changes to the latest version and try again", kind.group_resource(), name))
}

impl ApiServer {
    /// Handles a message; returns Nodes that were just registered (the engine starts their agents).
    pub fn handle(&mut self, ctx: &mut Ctx, etcd: &Etcd, from: Component, body: Body) -> Vec<ObjectRc> {
        match body {
            Body::Request(req) => {
                self.serve(ctx, etcd, from, req);
                Vec::new()
            }
            Body::EtcdReply(reply) => self.handle_etcd_reply(ctx, etcd, *reply),
            _ => Vec::new(),
        }
    }

    /// Handles a request, answering at once if it fails before reaching etcd.
    fn serve(&mut self, ctx: &mut Ctx, etcd: &Etcd, client: Component, req: Box<ApiRequest>) {
        let (id, verb, kind) = (req.id, req.verb, req.kind);
        if let Err(e) = self.handle_request(ctx, etcd, client, req) {
            ctx.send(client, Body::Response(ApiResponse { id, verb, kind, result: Err(Box::new(e)) }));
        }
    }

    fn handle_request(&mut self, ctx: &mut Ctx, etcd: &Etcd, from: Component, mut req: Box<ApiRequest>) -> Result<(), ApiError> {
        let kind = req.kind;
        if kind.namespaced() && matches!(req.verb, Verb::Create) && !req.namespace.is_empty() {
            // The NamespaceLifecycle admission plugin: no new content in a namespace that does
            // not exist, or is being deleted.
            match Kind::Namespace.with_etcd_key("", &req.namespace, |key| etcd.get(key).map(|kv| kv.value.meta().deletion_timestamp.is_some())) {
                None => return Err(ApiError::not_found(Kind::Namespace, &req.namespace)),
                Some(true) => {
                    let name = req.object.as_ref().map(|o| if o.name().is_empty() { o.meta().generate_name.to_string() } else { o.name().to_string() }).unwrap_or_default();
                    return Err(err(StatusReason::Forbidden, format!("{} {name:?} is forbidden: unable to create new content in namespace {} because it is being terminated", kind.group_resource(), req.namespace)));
                }
                Some(false) => {}
            }
        }
        match req.verb {
            Verb::Get => {
                let prefix = kind.etcd_key(&req.namespace, &req.name);
                ctx.send(Component::Etcd, Body::EtcdRange(Box::new(EtcdRange { prefix, pending: Pending { client: from, request: req } })));
            }
            Verb::List => {
                let prefix = list_prefix(&req);
                ctx.send(Component::Etcd, Body::EtcdRange(Box::new(EtcdRange { prefix, pending: Pending { client: from, request: req } })));
            }
            Verb::Watch => {
                // The watch-list form: the initial state straight from the watch cache, then events.
                let items = filtered_list(etcd, &req);
                match (&req.node_name, kind) {
                    (Some(node), Kind::Pod) => self.node_pod_watchers.entry(node.as_str().into()).or_default().push(from),
                    _ => self.watchers[kind as usize].push(from),
                }
                ctx.send(from, Body::Response(ApiResponse { id: req.id, verb: req.verb, kind, result: Ok(ApiReply::List { items, revision: etcd.revision() }) }));
            }
            Verb::Create => {
                // A create is never retried, so the object moves into the write; the request
                // keeps the final name for the AlreadyExists answer.
                let mut obj = req.object.take().ok_or_else(|| err(StatusReason::BadRequest, "the request has no object"))?;
                let (key, name_attempts) = self.prepare_create(ctx, etcd, &req, std::rc::Rc::make_mut(&mut obj))?;
                req.name = obj.meta().name.clone();
                req.name_attempts = name_attempts;
                if req.dry_run {
                    // Everything but the write: the answer is the object as it would be stored
                    // (without a resourceVersion); an address allocated for it is given back.
                    if let Object::Service(s) = &*obj {
                        self.release_cluster_ip(s);
                    }
                    let result = match etcd.get(&key) {
                        Some(_) => Err(already_exists(kind, &req.name)),
                        None => Ok(ApiReply::Object(obj)),
                    };
                    respond(ctx, from, &req, result);
                    return Ok(());
                }
                self.write(ctx, from, req, key, 0, TxnOp::Put(obj));
            }
            Verb::Update | Verb::UpdateStatus | Verb::Bind | Verb::Finalize => {
                // The stored entry's key travels on (no new key string per write).
                let current = kind.with_etcd_key(&req.namespace, &req.name, |k| etcd.get(k)).ok_or_else(|| match req.verb {
                    Verb::Bind => err(StatusReason::NotFound, format!("pods \"{}\" not found", req.name)),
                    _ => ApiError::not_found(kind, &req.name),
                })?;
                let next = self.prepare_update(ctx, etcd, &req, &current.value)?;
                let (key, rev) = (current.key.clone(), current.mod_revision);
                self.write(ctx, from, req, key, rev, put_or_finish(next));
            }
            Verb::Patch => {
                let patch = req.patch.as_deref().ok_or_else(|| err(StatusReason::BadRequest, "the request has no patch"))?;
                let current = kind.with_etcd_key(&req.namespace, &req.name, |k| etcd.get(k)).ok_or_else(|| ApiError::not_found(kind, &req.name))?;
                let next = match &patch.op {
                    MetaOp::Document(type_, doc) => self.patched(ctx, etcd, &current.value, *type_, doc)?,
                    MetaOp::Scale(replicas) => {
                        let mut next = (*current.value).clone();
                        match &mut next {
                            Object::Deployment(d) => d.spec.replicas = Some(*replicas),
                            Object::ReplicaSet(r) => r.spec.replicas = Some(*replicas),
                            _ => return Err(err(StatusReason::NotFound, "the server could not find the requested resource")),
                        }
                        self.changed_by_update(ctx, etcd, &current.value, next)?
                    }
                    _ => apply_patch(&current.value, patch)?,
                };
                match next {
                    Some(next) => {
                        let (key, rev) = (current.key.clone(), current.mod_revision);
                        self.write(ctx, from, req, key, rev, put_or_finish(next));
                    }
                    // A patch that changes nothing is answered without a write, as upstream's
                    // GuaranteedUpdate skips writing an unchanged object.
                    None => respond(ctx, from, &req, Ok(ApiReply::Object(current.value.clone()))),
                }
            }
            // The eviction subresource: no PodDisruptionBudget in kubesim stands in the way, so a
            // pod is deleted gracefully, as a DELETE would.
            Verb::Evict if kind != Kind::Pod => return Err(err(StatusReason::NotFound, "the server could not find the requested resource")),
            Verb::Delete | Verb::Evict => {
                let current = kind.with_etcd_key(&req.namespace, &req.name, |k| etcd.get(k)).ok_or_else(|| ApiError::not_found(kind, &req.name))?;
                let (key, rev) = (current.key.clone(), current.mod_revision);
                let op = match (current.value.as_pod(), &*current.value) {
                    (Some(pod), _) => graceful_pod_delete(ctx, pod, req.grace_period),
                    (_, Object::Namespace(ns)) => match delete_namespace(ctx, ns)? {
                        Some(op) => op,
                        None => {
                            respond(ctx, from, &req, Ok(ApiReply::Object(current.value.clone())));
                            return Ok(());
                        }
                    },
                    _ => match mark_for_deletion(ctx, &current.value, req.propagation) {
                        Some(op) => op,
                        // Already marked, with the finalizers it needs: nothing to write.
                        None => {
                            respond(ctx, from, &req, Ok(ApiReply::Object(current.value.clone())));
                            return Ok(());
                        }
                    },
                };
                self.write(ctx, from, req, key, rev, op);
            }
        }
        Ok(())
    }

    fn write(&mut self, ctx: &mut Ctx, client: Component, request: Box<ApiRequest>, key: Str, rev: u64, op: TxnOp) {
        ctx.send(Component::Etcd, Body::EtcdTxn(EtcdTxn { key, compare: Compare { mod_revision: rev }, op, pending: Pending { client, request } }));
    }

    /// Fills in what the server sets on a create; returns the key and how many generated names
    /// were tried (1 if the name was generated, else 0).
    fn prepare_create(&mut self, ctx: &mut Ctx, etcd: &Etcd, req: &ApiRequest, obj: &mut Object) -> Result<(Str, u8), ApiError> {
        let kind = obj.kind();
        let mut name_attempts = 0;
        {
            let meta = obj.meta_mut();
            if kind.namespaced() {
                if meta.namespace.is_empty() {
                    meta.namespace = Str::new(&req.namespace);
                }
                if meta.namespace.is_empty() {
                    meta.namespace = "default".into();
                }
            } else {
                meta.namespace.clear();
            }
            if meta.name.is_empty() && !meta.generate_name.is_empty() {
                meta.name = generate_name(ctx, &meta.generate_name);
                name_attempts = 1;
            }
            meta.uid = ctx.rng.uuid().into();
            meta.creation_timestamp = Some(ctx.now);
            meta.resource_version.clear();
            meta.deletion_timestamp = None;
            meta.generation = if matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::EndpointSlice) { 1 } else { 0 };
        }
        default_object(obj);
        if let Object::Pod(p) = obj {
            // The ServiceAccount admission plugin: the pod's account must exist.
            let account = p.spec.service_account_name.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "default".into());
            if Kind::ServiceAccount.with_etcd_key(&p.metadata.namespace, &account, |k| etcd.get(k).is_none()) {
                let name = if p.metadata.name.is_empty() { &p.metadata.generate_name } else { &p.metadata.name };
                return Err(err(StatusReason::Forbidden, format!("pods {:?} is forbidden: error looking up service account {}/{account}: serviceaccount {:?} not found", name.as_str(), p.metadata.namespace, account.as_str())));
            }
            mount_service_account_token(ctx, p);
        }
        let causes = validate(obj);
        if !causes.is_empty() {
            return Err(invalid(kind, obj.name(), &causes));
        }
        if let Object::Service(s) = obj {
            // Checked before an IP is allocated for it (other kinds: etcd's create-if-absent
            // transaction refuses an existing key, and the answer is AlreadyExists, as in a
            // real cluster, without a lookup here first).
            if kind.with_etcd_key(&s.metadata.namespace, &s.metadata.name, |k| etcd.get(k).is_some()) {
                return Err(already_exists(kind, &s.metadata.name));
            }
            if s.spec.cluster_ip.is_empty() && s.spec.cluster_ips.is_empty() {
                let ip = self.allocate_cluster_ip(ctx);
                s.spec.cluster_ip = Str::new(&ip);
                s.spec.cluster_ips = vec![ip.into()];
            } else if s.spec.cluster_ip == "None" {
                // Headless: no address, and clusterIPs says so too.
                s.spec.cluster_ips = vec![s.spec.cluster_ip.clone()];
            } else {
                if !self.allocated_cluster_ips.insert(s.spec.cluster_ip.to_string()) {
                    return Err(err(StatusReason::Invalid, format!("Service {:?} is invalid: spec.clusterIPs: Invalid value: []string{{{:?}}}: failed to allocate IP {}: provided IP is already allocated", s.metadata.name, s.spec.cluster_ip, s.spec.cluster_ip)));
                }
                s.spec.cluster_ips = vec![s.spec.cluster_ip.clone()];
            }
            let causes = allocate_node_ports(ctx, etcd, s, None);
            if !causes.is_empty() {
                // (Refused: the address allocated for it is free again.)
                self.release_cluster_ip(s);
                return Err(invalid(kind, &s.metadata.name, &causes));
            }
        }
        Ok((obj.key(), name_attempts))
    }

    /// A Service's cluster IP is free again (a headless Service, "None", holds none).
    fn release_cluster_ip(&mut self, s: &Service) {
        if s.spec.cluster_ip != "None" {
            self.allocated_cluster_ips.remove(s.spec.cluster_ip.as_str());
        }
    }

    fn allocate_cluster_ip(&mut self, ctx: &mut Ctx) -> String {
        loop {
            // 10.96.0.0/12 without the first block, as the real allocator picks at random.
            let n = 16 + ctx.rng.below((1 << 20) - 32) as u32;
            let ip = format!("10.{}.{}.{}", 96 + (n >> 16), (n >> 8) & 255, n & 255);
            if self.allocated_cluster_ips.insert(ip.clone()) {
                return ip;
            }
        }
    }

    fn prepare_update(&mut self, ctx: &mut Ctx, etcd: &Etcd, req: &ApiRequest, current: &ObjectRc) -> Result<Object, ApiError> {
        let kind = req.kind;
        if req.verb == Verb::Bind {
            let Some(pod) = current.as_pod() else { return Err(err(StatusReason::BadRequest, "only pods can be bound")) };
            let node = req.node_name.clone().unwrap_or_default();
            if !pod.spec.node_name.is_empty() {
                return Err(err(StatusReason::Conflict, format!("Operation cannot be fulfilled on pods/binding \"{}\": pod {} is already assigned to node \"{}\"", pod.metadata.name, pod.metadata.name, pod.spec.node_name)));
            }
            if pod.metadata.deletion_timestamp.is_some() {
                return Err(err(StatusReason::Conflict, format!("Operation cannot be fulfilled on pods/binding \"{}\": pod {} is being deleted, cannot be assigned to a host", pod.metadata.name, pod.metadata.name)));
            }
            let mut next = pod.clone();
            std::rc::Rc::make_mut(&mut next.spec).node_name = node.into();
            set_condition(&mut next.status.conditions, "PodScheduled", "True", "", "", ctx.now);
            return Ok(Object::Pod(next));
        }
        let sent = req.object.as_ref().ok_or_else(|| err(StatusReason::BadRequest, "the request has no object"))?;
        if sent.kind() != kind {
            return Err(err(StatusReason::BadRequest, "the object's kind does not match the request"));
        }
        let sent_rv = &sent.meta().resource_version;
        if !sent_rv.is_empty() && *sent_rv != current.meta().resource_version {
            return Err(conflict(kind, &req.name));
        }
        if req.verb == Verb::Finalize {
            // namespaces/NAME/finalize changes spec.finalizers only.
            let (Object::Namespace(cur), Object::Namespace(sent)) = (&**current, &**sent) else { return Err(err(StatusReason::BadRequest, "only namespaces are finalized")) };
            let mut next = cur.clone();
            next.spec = sent.spec.clone();
            return Ok(Object::Namespace(next));
        }
        if req.verb == Verb::UpdateStatus {
            // The status subresource changes status only.
            let mut merged = (**current).clone();
            copy_status(sent, &mut merged, if sent_rv.is_empty() { Annotations::Merge } else { Annotations::Replace });
            return Ok(merged);
        }
        let mut next = (**sent).clone();
        // What the client may not change.
        {
            let (cur, meta) = (current.meta(), next.meta_mut());
            meta.name = cur.name.clone();
            meta.namespace = cur.namespace.clone();
            meta.uid = cur.uid.clone();
            meta.creation_timestamp = cur.creation_timestamp;
            meta.deletion_timestamp = cur.deletion_timestamp;
            meta.deletion_grace_period_seconds = cur.deletion_grace_period_seconds;
            meta.generation = cur.generation;
        }
        // The main resource ignores status (for kinds with a status subresource).
        copy_status(current, &mut next, Annotations::Keep);
        if let (Object::Namespace(cur), Object::Namespace(n)) = (&**current, &mut next) {
            // (spec.finalizers change only through finalize.)
            n.spec = cur.spec.clone();
            n.status = cur.status.clone();
        }
        default_object(&mut next);
        if let (Object::Service(old), Object::Service(new)) = (&**current, &mut next) {
            drop_type_dependent_fields(old, new);
        }
        if spec_changed(current, &next) {
            next.meta_mut().generation = current.meta().generation + 1;
        }
        let mut causes = validate(&next);
        if let (Object::Pod(old), Object::Pod(new)) = (&**current, &next) {
            causes.extend(super::validation::validate_pod_update(&old.spec, &new.spec));
        }
        if causes.is_empty() {
            if let (Object::Service(old), Object::Service(new)) = (&**current, &mut next) {
                causes = allocate_node_ports(ctx, etcd, new, Some(old));
            }
        }
        if !causes.is_empty() {
            return Err(invalid(kind, next.name(), &causes));
        }
        Ok(next)
    }

    /// A client's patch (the patch handler's applyPatch): applied to the stored object as
    /// JSON, decoded, and then taken where an update goes (what a client may not change, the
    /// status a main resource ignores, defaults, validation). None if it changes nothing. A
    /// resourceVersion the patch sets is a precondition.
    fn patched(&mut self, ctx: &mut Ctx, etcd: &Etcd, current: &ObjectRc, type_: PatchType, doc: &serde_json::Value) -> Result<Option<Object>, ApiError> {
        let kind = current.kind();
        let value = patch::apply(type_, &current.to_value(), doc).map_err(|e| match type_ {
            // (The strategic merge library's errors reach the client without a reason.)
            PatchType::Strategic => err(StatusReason::Unknown, e),
            _ => err(StatusReason::BadRequest, e),
        })?;
        let serde_json::Value::Object(mut fields) = value else {
            return Err(err(StatusReason::BadRequest, patch::cannot_decode(kind, "the patched object is not a map")));
        };
        fields.remove("apiVersion");
        fields.remove("kind");
        let mut next = Object::from_value(kind, serde_json::Value::Object(fields)).map_err(|e| err(StatusReason::BadRequest, patch::cannot_decode(kind, &e)))?;
        let (rv, current_rv) = (&mut next.meta_mut().resource_version, &current.meta().resource_version);
        if !rv.is_empty() && rv != current_rv {
            return Err(conflict(kind, current.name()));
        }
        *rv = *current_rv;
        self.changed_by_update(ctx, etcd, current, next)
    }

    /// `next`, a client's change of `current`, taken where an update goes; None if it changes
    /// nothing.
    fn changed_by_update(&mut self, ctx: &mut Ctx, etcd: &Etcd, current: &ObjectRc, next: Object) -> Result<Option<Object>, ApiError> {
        let next = self.prepare_update(ctx, etcd, &ApiRequest::with_object(Verb::Update, next), current)?;
        Ok((next != **current).then_some(next))
    }

    fn handle_etcd_reply(&mut self, ctx: &mut Ctx, etcd: &Etcd, reply: EtcdReply) -> Vec<ObjectRc> {
        match reply {
            EtcdReply::Range { kvs, revision, pending, .. } => {
                let req = &pending.request;
                let result = if req.verb == Verb::Get {
                    kvs.into_iter().find(|kv| kv.value.name() == req.name).map(|kv| ApiReply::Object(kv.value)).ok_or_else(|| ApiError::not_found(req.kind, &req.name))
                } else {
                    let items = kvs.into_iter().map(|kv| kv.value).filter(|o| matches_request(o, req)).collect();
                    Ok(ApiReply::List { items, revision })
                };
                respond(ctx, pending.client, req, result);
                Vec::new()
            }
            EtcdReply::Txn { result, pending } => {
                let Pending { client, mut request } = pending;
                if !result.succeeded {
                    // RetryGenerateName: a generated name that is taken is replaced, up to 8
                    // attempts, before anyone hears of it.
                    if let Some(mut obj) = result.rejected.filter(|_| request.verb == Verb::Create && (1..MAX_NAME_ATTEMPTS).contains(&request.name_attempts)) {
                        let meta = std::rc::Rc::make_mut(&mut obj).meta_mut();
                        meta.name = generate_name(ctx, &meta.generate_name);
                        request.name = meta.name.clone();
                        request.name_attempts += 1;
                        self.write(ctx, client, request, obj.key(), 0, TxnOp::Put(obj));
                        return Vec::new();
                    }
                    let e = match (&request.verb, result.current) {
                        (Verb::Create, _) => already_exists(request.kind, &request.name),
                        (_, None) => ApiError::not_found(request.kind, &request.name),
                        // Without a precondition the server retries, as GuaranteedUpdate does.
                        (_, Some(_)) if request.retries > 0 && request.object.as_ref().is_none_or(|o| o.meta().resource_version.is_empty()) => {
                            request.retries -= 1;
                            self.serve(ctx, etcd, client, request);
                            return Vec::new();
                        }
                        (_, Some(_)) => conflict(request.kind, &request.name),
                    };
                    respond(ctx, client, &request, Err(e));
                    return Vec::new();
                }
                let event = result.event.expect("a successful txn has an event");
                respond(ctx, client, &request, Ok(ApiReply::Object(event.value.clone())));
                self.notify_watchers(ctx, &event);
                if event.kind == EventType::Put && event.prev.is_none() && event.value.kind() == Kind::Node {
                    return vec![event.value.clone()];
                }
                Vec::new()
            }
        }
    }

    fn notify_watchers(&mut self, ctx: &mut Ctx, event: &EtcdEvent) {
        let kind = event.value.kind();
        let type_ = match (event.kind, &event.prev) {
            (EventType::Delete, _) => WatchType::Deleted,
            (EventType::Put, None) => WatchType::Added,
            (EventType::Put, Some(_)) => WatchType::Modified,
        };
        if let Object::Service(s) = &*event.value {
            if type_ == WatchType::Deleted {
                self.release_cluster_ip(s);
            }
        }
        for &w in &self.watchers[kind as usize] {
            ctx.send(w, Body::Watch(WatchEvent { type_, object: event.value.clone() }));
        }
        if kind == Kind::Pod && !self.node_pod_watchers.is_empty() {
            let new_node = event.value.as_pod().map(|p| p.spec.node_name.as_str()).unwrap_or("");
            let old_node = event.prev.as_ref().and_then(|p| p.as_pod()).map(|p| p.spec.node_name.as_str()).unwrap_or("");
            // A pod that just got bound enters the node's selection: ADDED, as a filtered watch reports it.
            let (node, t) = match type_ {
                WatchType::Deleted => (new_node, WatchType::Deleted),
                _ if old_node.is_empty() && !new_node.is_empty() => (new_node, WatchType::Added),
                t => (new_node, t),
            };
            if !node.is_empty() {
                if let Some(ws) = self.node_pod_watchers.get(node) {
                    for w in ws {
                        ctx.send(*w, Body::Watch(WatchEvent { type_: t, object: event.value.clone() }));
                    }
                }
            }
        }
    }
}

/// Applies an ownership, finalizer, label or annotation patch to the stored object: None if it
/// changes nothing.
fn apply_patch(current: &ObjectRc, patch: &MetaPatch) -> Result<Option<Object>, ApiError> {
    let (kind, meta) = (current.kind(), current.meta());
    if !patch.uid.is_empty() && meta.uid != patch.uid {
        // The patch sets metadata.uid, which an update may not change: that is how its
        // precondition fails (the object was deleted and made again under the same name).
        return Err(invalid(kind, &meta.name, &[Cause { field: "metadata.uid".into(), message: format!("Invalid value: {}: field is immutable", quote(&patch.uid)) }]));
    }
    let mut next = (**current).clone();
    if let MetaOp::Map { annotations, changes } = &patch.op {
        let m = next.meta_mut();
        let map = if *annotations { &mut m.annotations } else { &mut m.labels };
        let mut changed = false;
        for (k, v) in changes {
            changed |= match v {
                Some(v) => map.insert(k.clone(), v.clone()).as_ref() != Some(v),
                None => map.remove(k).is_some(),
            };
        }
        if !changed {
            return Ok(None);
        }
        let causes = validate(&next);
        if !causes.is_empty() {
            return Err(invalid(kind, &meta.name, &causes));
        }
        return Ok(Some(next));
    }
    if let MetaOp::RemoveFinalizer(f) = &patch.op {
        if !meta.finalizers.iter().any(|x| x == f) {
            return Ok(None);
        }
        next.meta_mut().finalizers = meta.finalizers.iter().filter(|x| *x != f).cloned().collect::<Vec<_>>().into();
        return Ok(Some(next));
    }
    let mut refs = meta.owner_references.to_vec();
    match &patch.op {
        MetaOp::Add(r) => match refs.iter_mut().find(|x| x.uid == r.uid) {
            Some(x) if x == r => return Ok(None),
            Some(x) => *x = r.clone(),
            None => refs.push(r.clone()),
        },
        MetaOp::Remove(r) => {
            let before = refs.len();
            refs.retain(|x| x.uid != r.uid);
            if refs.len() == before {
                return Ok(None);
            }
        }
        MetaOp::RemoveFinalizer(_) | MetaOp::Map { .. } | MetaOp::Document(..) | MetaOp::Scale(_) => {}
    }
    next.meta_mut().owner_references = refs.into();
    let causes = validate(&next);
    if !causes.is_empty() {
        return Err(invalid(kind, &meta.name, &causes));
    }
    Ok(Some(next))
}

fn already_exists(kind: Kind, name: &str) -> ApiError {
    err(StatusReason::AlreadyExists, format!("{} \"{}\" already exists", kind.group_resource(), name))
}

/// Attempts at a generated name before AlreadyExists (the apiserver's
/// maxNameGenerationCreateAttempts).
const MAX_NAME_ATTEMPTS: u8 = 8;

/// SimpleNameGenerator: the prefix, cut to fit, plus 5 random characters. (Cut on a character
/// boundary: a non-ASCII prefix is then rejected by validation.)
fn generate_name(ctx: &mut Ctx, prefix: &str) -> Str {
    let cut = (0..=prefix.len().min(58)).rev().find(|&i| prefix.is_char_boundary(i)).unwrap_or(0);
    let suffix = ctx.rng.name_suffix::<5>();
    // (The alphabet is ASCII.)
    Str::concat(&[&prefix[..cut], std::str::from_utf8(&suffix).unwrap_or_default()])
}

/// Where the ServiceAccount admission plugin mounts a pod's API credentials.
pub const TOKEN_MOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The ServiceAccount admission plugin's mountServiceAccountToken: unless the pod opts out
/// (`automountServiceAccountToken: false`), every container that mounts nothing at
/// `TOKEN_MOUNT_PATH` gets the `kube-api-access-<5 random characters>` volume there,
/// read-only, and the pod gets that volume: a projected service account token, the cluster's
/// CA (the `kube-root-ca.crt` ConfigMap) and the pod's namespace. (Kubesim has no tokens or
/// ConfigMaps behind it: the volume is what the pod's spec says, not something it reads.)
fn mount_service_account_token(ctx: &mut Ctx, pod: &mut Pod) {
    fn needs(c: &Container) -> bool {
        !c.volume_mounts.iter().any(|m| m.mount_path == TOKEN_MOUNT_PATH)
    }
    if pod.spec.automount_service_account_token == Some(false) || !pod.spec.containers.iter().any(needs) {
        return;
    }
    let existing = pod.spec.volumes.iter().find(|v| v.name.starts_with("kube-api-access-")).map(|v| v.name.clone());
    let name = existing.clone().unwrap_or_else(|| generate_name(ctx, "kube-api-access-"));
    let spec = std::rc::Rc::make_mut(&mut pod.spec);
    let mount = VolumeMount { name: name.clone(), mount_path: TOKEN_MOUNT_PATH.into(), read_only: true, ..Default::default() };
    // (Lists of exactly the room they need: 150,000 pods each hold these.)
    fn append<T: Clone + 'static>(list: &mut SharedVec<T>, item: T) {
        if list.is_empty() {
            *list = vec![item].into();
        } else {
            list.push(item);
        }
    }
    for c in spec.containers.iter_mut().filter(|c| needs(c)) {
        append(&mut c.volume_mounts, mount.clone());
    }
    if existing.is_none() {
        thread_local! {
            // TokenVolumeSource(): the same for every pod, so shared by all of them.
            static SOURCE: std::rc::Rc<serde_json::Map<String, serde_json::Value>> = match serde_json::json!({"projected": {"defaultMode": 420, "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}, "path": "namespace"}]}},
            ]}}) {
                serde_json::Value::Object(m) => std::rc::Rc::new(m),
                _ => Default::default(),
            };
        }
        append(&mut spec.volumes, Volume { name, source: SOURCE.with(|s| s.clone()) });
    }
}

fn respond(ctx: &mut Ctx, to: Component, req: &ApiRequest, result: Result<ApiReply, ApiError>) {
    ctx.send(to, Body::Response(ApiResponse { id: req.id, verb: req.verb, kind: req.kind, result: result.map_err(Box::new) }));
}

fn list_prefix(req: &ApiRequest) -> String {
    if req.kind.namespaced() && !req.namespace.is_empty() {
        format!("{}{}/", req.kind.etcd_prefix(), req.namespace)
    } else {
        req.kind.etcd_prefix().to_string()
    }
}

fn matches_request(o: &ObjectRc, req: &ApiRequest) -> bool {
    if let Some(sel) = &req.label_selector {
        if !sel.matches(&o.meta().labels) {
            return false;
        }
    }
    match (&req.node_name, o.as_pod()) {
        (Some(node), Some(p)) => p.spec.node_name == *node,
        _ => true,
    }
}

fn filtered_list(etcd: &Etcd, req: &ApiRequest) -> Vec<ObjectRc> {
    let prefix = list_prefix(req);
    etcd.list(&prefix, req.node_name.as_deref()).1.into_iter().map(|kv| &kv.value).filter(|o| matches_request(o, req)).cloned().collect()
}

/// The namespaces kube-apiserver keeps (--immortal-namespaces' default).
const IMMORTAL_NAMESPACES: [&str; 3] = ["default", "kube-public", "kube-system"];

/// Deleting a namespace: refused for the immortal ones; otherwise it is marked Terminating,
/// and goes once the namespace controller has deleted its content and emptied
/// spec.finalizers. None: already terminating.
fn delete_namespace(ctx: &mut Ctx, ns: &Namespace) -> Result<Option<TxnOp>, ApiError> {
    if IMMORTAL_NAMESPACES.contains(&ns.metadata.name.as_str()) {
        return Err(err(StatusReason::Forbidden, format!("namespaces {:?} is forbidden: this namespace may not be deleted", ns.metadata.name.as_str())));
    }
    if ns.metadata.deletion_timestamp.is_some() {
        return Ok(None);
    }
    if ns.spec_finalizers() == 0 && ns.metadata.finalizers.is_empty() {
        return Ok(Some(TxnOp::Delete));
    }
    let mut next = ns.clone();
    next.metadata.deletion_timestamp = Some(ctx.now);
    next.metadata.deletion_grace_period_seconds = Some(0);
    next.status = Some(serde_json::json!({ "phase": "Terminating" }));
    Ok(Some(TxnOp::Put(std::rc::Rc::new(Object::Namespace(next)))))
}

/// Deleting anything but a pod: at once, unless it has finalizers (its own, or the one the
/// propagation policy adds); then it is only marked (deletionTimestamp) until they are removed.
/// None if it is marked already. (Pods keep kubesim's graceful deletion and ignore finalizers
/// and `--cascade`.)
fn mark_for_deletion(ctx: &mut Ctx, current: &ObjectRc, propagation: Propagation) -> Option<TxnOp> {
    let meta = current.meta();
    let add = propagation.finalizer().filter(|f| !meta.finalizers.iter().any(|x| x == f));
    if meta.finalizers.is_empty() && add.is_none() {
        return Some(TxnOp::Delete);
    }
    if meta.deletion_timestamp.is_some() && add.is_none() {
        return None;
    }
    let mut next = (**current).clone();
    let m = next.meta_mut();
    if m.deletion_timestamp.is_none() {
        m.deletion_timestamp = Some(ctx.now);
        m.deletion_grace_period_seconds = Some(0);
    }
    if let Some(f) = add {
        let mut finalizers = m.finalizers.to_vec();
        finalizers.push(f.into());
        m.finalizers = finalizers.into();
    }
    Some(TxnOp::Put(std::rc::Rc::new(next)))
}

/// The write for an updated object: an object marked for deletion whose last finalizer has
/// just been removed is deleted (pods go through graceful deletion instead).
fn put_or_finish(next: Object) -> TxnOp {
    let m = next.meta();
    // (A namespace also waits for its spec.finalizers, which the namespace controller empties.)
    let spec_finalizers = match &next {
        Object::Namespace(ns) => ns.spec_finalizers(),
        _ => 0,
    };
    if m.deletion_timestamp.is_some() && m.finalizers.is_empty() && spec_finalizers == 0 && next.kind() != Kind::Pod {
        TxnOp::Delete
    } else {
        TxnOp::Put(std::rc::Rc::new(next))
    }
}

fn graceful_pod_delete(ctx: &mut Ctx, pod: &Pod, grace: Option<i64>) -> TxnOp {
    let grace = grace.or(pod.spec.termination_grace_period_seconds).unwrap_or(30).max(0);
    // Pods no kubelet runs yet, and grace 0, go at once; otherwise the kubelet must stop them.
    let already_gone = pod.metadata.deletion_timestamp.is_some() && grace == 0;
    if pod.spec.node_name.is_empty() || grace == 0 || already_gone {
        return TxnOp::Delete;
    }
    let mut next = pod.clone();
    if next.metadata.deletion_timestamp.is_none() {
        next.metadata.deletion_timestamp = Some(ctx.now + super::time::SimDuration::secs(grace as u64));
        next.metadata.deletion_grace_period_seconds = Some(grace);
    }
    TxnOp::Put(std::rc::Rc::new(Object::Pod(next)))
}

/// `message` may be a `&Str` that several conditions share (the kubelet's "containers with
/// unready status" goes on Ready and ContainersReady).
pub fn set_condition(conds: &mut Vec<Condition>, type_: &str, status: &str, reason: &str, message: impl AsRef<str> + Into<Str>, now: super::time::SimTime) {
    if let Some(c) = conds.iter_mut().find(|c| c.type_ == type_) {
        if c.status != status {
            c.last_transition_time = Some(now);
            c.status = status.into();
        }
        if c.reason != reason {
            c.reason = reason.into();
        }
        if c.message != message.as_ref() {
            c.message = message.into();
        }
    } else {
        conds.push(Condition { type_: type_.into(), status: status.into(), last_transition_time: Some(now), reason: reason.into(), message: message.into(), ..Default::default() });
    }
}

/// What an update takes of the annotations of the object it copies the status from.
#[derive(Clone, Copy)]
enum Annotations {
    /// The main resource: the ones the writer sent stay.
    Keep,
    /// A status update with its resourceVersion: the writer saw the latest ones.
    Replace,
    /// A status update without one (kubesim's controllers write status unconditionally): only
    /// the controller's own keys (`deployment.kubernetes.io/...`) over the ones stored, so a
    /// stale copy can neither drop nor put back an old value of someone else's (kubectl
    /// apply's last-applied-configuration).
    Merge,
}

fn copy_status(from: &Object, to: &mut Object, annotations: Annotations) {
    match (from, to) {
        (Object::Pod(a), Object::Pod(b)) => b.status = a.status.clone(),
        (Object::Deployment(a), Object::Deployment(b)) => {
            b.status = a.status.clone();
            // The Deployment status strategy resets only spec and labels: annotations (the
            // controller's revision) come with a status update.
            match annotations {
                Annotations::Keep => {}
                Annotations::Replace => b.metadata.annotations = a.metadata.annotations.clone(),
                Annotations::Merge => {
                    for (k, v) in a.metadata.annotations.iter().filter(|(k, _)| k.starts_with("deployment.kubernetes.io/")) {
                        if b.metadata.annotations.get(k) != Some(v) {
                            b.metadata.annotations.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
        }
        (Object::ReplicaSet(a), Object::ReplicaSet(b)) => b.status = a.status.clone(),
        (Object::Node(a), Object::Node(b)) => b.status = a.status.clone(),
        (Object::Service(a), Object::Service(b)) => b.status = a.status.clone(),
        (Object::Namespace(a), Object::Namespace(b)) => b.status = a.status.clone(),
        _ => {}
    }
}

fn spec_changed(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::Deployment(x), Object::Deployment(y)) => x.spec != y.spec,
        (Object::ReplicaSet(x), Object::ReplicaSet(y)) => x.spec != y.spec,
        // (An EndpointSlice's generation counts changes to anything but its metadata, and to
        // its labels.)
        (Object::EndpointSlice(x), Object::EndpointSlice(y)) => x.endpoints != y.endpoints || x.ports != y.ports || x.address_type != y.address_type || x.metadata.labels != y.metadata.labels,
        _ => false,
    }
}

/// `imagePullPolicy` defaulting: Always for `:latest` or untagged images, else IfNotPresent.
pub fn default_pull_policy(image: &str) -> &'static str {
    let last = image.rsplit('/').next().unwrap_or(image);
    if image.contains('@') {
        return "IfNotPresent";
    }
    match last.split_once(':') {
        Some((_, "latest")) | None => "Always",
        Some(_) => "IfNotPresent",
    }
}

fn default_pod_spec(spec: &mut PodSpec) {
    if spec.restart_policy.is_empty() {
        spec.restart_policy = "Always".into();
    }
    spec.termination_grace_period_seconds.get_or_insert(30);
    if spec.dns_policy.is_empty() {
        spec.dns_policy = "ClusterFirst".into();
    }
    if spec.scheduler_name.is_empty() {
        spec.scheduler_name = "default-scheduler".into();
    }
    spec.security_context.get_or_insert_with(|| serde_json::json!({}));
    // Containers are shared with the template they came from (already defaulted): copied
    // only if something is missing.
    let defaulted = |c: &Container| !c.image_pull_policy.is_empty() && c.termination_message_path.is_some() && c.termination_message_policy.is_some() && c.ports.iter().all(|p| !p.protocol.is_empty());
    if spec.containers.iter().all(defaulted) {
        return;
    }
    for c in spec.containers.iter_mut() {
        if c.image_pull_policy.is_empty() {
            c.image_pull_policy = default_pull_policy(&c.image).into();
        }
        c.termination_message_path.get_or_insert_with(|| "/dev/termination-log".into());
        c.termination_message_policy.get_or_insert_with(|| "File".into());
        for p in c.ports.iter_mut() {
            if p.protocol.is_empty() {
                p.protocol = "TCP".into();
            }
        }
    }
}

fn qos_class(spec: &PodSpec) -> &'static str {
    let any = spec.containers.iter().any(|c| !c.resources.is_empty());
    if !any {
        return "BestEffort";
    }
    let guaranteed = spec.containers.iter().all(|c| {
        ["cpu", "memory"].iter().all(|r| c.resources.limits.get(*r).is_some() && c.resources.requests.get(*r).is_none_or(|q| Some(q) == c.resources.limits.get(*r)))
    });
    if guaranteed { "Guaranteed" } else { "Burstable" }
}

/// The defaults kube-apiserver fills in (pkg/apis/*/v1/defaults.go) and the admission plugins
/// every cluster runs (DefaultTolerationSeconds).
pub fn default_object(obj: &mut Object) {
    match obj {
        Object::Namespace(ns) => {
            // The namespace strategy: the `kubernetes` finalizer, and Active.
            ns.spec.get_or_insert_with(|| serde_json::json!({ "finalizers": ["kubernetes"] }));
            ns.status.get_or_insert_with(|| serde_json::json!({ "phase": "Active" }));
        }
        Object::Deployment(d) => {
            d.spec.replicas.get_or_insert(1);
            if d.spec.strategy.type_.is_empty() {
                d.spec.strategy.type_ = "RollingUpdate".into();
            }
            if d.spec.strategy.type_ == "RollingUpdate" {
                let ru = d.spec.strategy.rolling_update.get_or_insert_with(Default::default);
                ru.max_unavailable.get_or_insert_with(|| "25%".into());
                ru.max_surge.get_or_insert_with(|| "25%".into());
            }
            d.spec.revision_history_limit.get_or_insert(10);
            d.spec.progress_deadline_seconds.get_or_insert(600);
            default_pod_spec(&mut d.spec.template.spec);
        }
        Object::ReplicaSet(r) => {
            r.spec.replicas.get_or_insert(1);
            default_pod_spec(&mut r.spec.template.spec);
        }
        Object::Pod(p) => {
            // Copy-on-write: a pod's spec is shared by its versions; a new pod's is its own.
            let spec = std::rc::Rc::make_mut(&mut p.spec);
            default_pod_spec(spec);
            // SetDefaults_Pod (for pods, not their templates): a limit without a request is
            // also the request, which the scheduler then counts.
            let unrequested = |c: &Container| c.resources.limits.keys().any(|k| !c.resources.requests.contains_key(k));
            if spec.containers.iter().any(unrequested) {
                for c in spec.containers.iter_mut() {
                    for (k, v) in c.resources.limits.clone() {
                        c.resources.requests.entry(k).or_insert(v);
                    }
                }
            }
            // SetDefaults_Pod, then the Priority and ServiceAccount admission plugins (which
            // also mount the service account's token, on create: `mount_service_account_token`).
            spec.enable_service_links.get_or_insert(true);
            spec.priority.get_or_insert(0);
            if spec.preemption_policy.is_empty() {
                spec.preemption_policy = "PreemptLowerPriority".into();
            }
            let account = spec.service_account_name.get_or_insert_with(|| "default".into());
            if spec.service_account.is_empty() {
                spec.service_account = account.clone();
            }
            let default_toleration = |key: &str| Toleration { key: key.into(), operator: "Exists".into(), effect: "NoExecute".into(), toleration_seconds: Some(300), ..Default::default() };
            const TOLERATED: [&str; 2] = ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"];
            if spec.tolerations.is_empty() {
                // The usual case: every such pod shares one list.
                thread_local! {
                    static DEFAULT: std::cell::OnceCell<SharedVec<Toleration>> = const { std::cell::OnceCell::new() };
                }
                spec.tolerations = DEFAULT.with(|d| d.get_or_init(|| TOLERATED.iter().map(|k| default_toleration(k)).collect()).clone());
            }
            for key in TOLERATED {
                if !spec.tolerations.iter().any(|t| t.key == key) {
                    spec.tolerations.push(default_toleration(key));
                }
            }
            if p.status.phase.is_empty() {
                p.status.phase = "Pending".into();
            }
            if p.status.qos_class.is_empty() {
                p.status.qos_class = qos_class(&p.spec).into();
            }
        }
        Object::Service(s) => {
            if s.spec.type_.is_empty() {
                s.spec.type_ = "ClusterIP".into();
            }
            if s.spec.session_affinity.is_empty() {
                s.spec.session_affinity = "None".into();
            }
            // The defaults of a single-stack IPv4 cluster.
            if s.spec.ip_families.is_empty() {
                s.spec.ip_families = vec!["IPv4".into()];
            }
            if s.spec.ip_family_policy.is_empty() {
                s.spec.ip_family_policy = "SingleStack".into();
            }
            if s.spec.internal_traffic_policy.is_empty() {
                s.spec.internal_traffic_policy = "Cluster".into();
            }
            if s.spec.needs_node_port() && s.spec.external_traffic_policy.is_empty() {
                s.spec.external_traffic_policy = "Cluster".into();
            }
            if s.spec.type_ == "LoadBalancer" && s.spec.allocate_load_balancer_node_ports.is_none() {
                s.spec.allocate_load_balancer_node_ports = Some(true);
            }
            // (No cloud provider: a LoadBalancer's stays empty, and its EXTERNAL-IP pending.)
            s.status.get_or_insert_with(|| serde_json::json!({ "loadBalancer": {} }));
            for p in &mut s.spec.ports {
                if p.protocol.is_empty() {
                    p.protocol = "TCP".into();
                }
                p.target_port.get_or_insert_with(|| p.port.into());
            }
        }
        _ => {}
    }
}
