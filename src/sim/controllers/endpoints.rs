//! The Endpoints controller (pkg/controller/endpoint): for each Service with a selector, the
//! Endpoints object lists the IPs of the pods it selects, ready ones in `addresses` and the
//! rest in `notReadyAddresses`. kube-proxy on every node programs its rules from these.

use super::{object_key, split_key, WorkQueue};
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;

#[derive(Clone, Debug)]
pub struct EndpointsController {
    queue: WorkQueue,
}

impl Default for EndpointsController {
    fn default() -> Self {
        Self::new()
    }
}

impl EndpointsController {
    pub fn new() -> Self {
        EndpointsController { queue: WorkQueue::default() }
    }

    /// The informer handlers: a changed Service, or a pod it may select, queues the Service.
    pub fn on_change(&mut self, informers: &Informers, kind: Kind, change: &Change) {
        match kind {
            Kind::Service => self.queue.add(object_key(change.object())),
            Kind::Pod => self.on_pod_change(informers, change),
            _ => {}
        }
    }

    pub fn on_response(&mut self, resp: &ApiResponse) {
        self.queue.done(resp.id);
    }

    /// Syncs every queued Service (once the caches are synced).
    pub fn drain(&mut self, ctx: &mut Ctx, informers: &Informers) {
        while let Some(key) = self.queue.pop() {
            self.sync_service(ctx, informers, &key);
        }
    }

    /// Only changes that matter to endpoints (labels, IP, readiness, existence) enqueue services.
    fn on_pod_change(&mut self, informers: &Informers, change: &Change) {
        let relevant = match change {
            Change::Updated { old, new } => {
                let (a, b) = (old.as_pod(), new.as_pod());
                a.map(|p| (&p.metadata.labels, &p.status.pod_ip, p.is_ready(), p.is_terminating())) != b.map(|p| (&p.metadata.labels, &p.status.pod_ip, p.is_ready(), p.is_terminating()))
            }
            _ => true,
        };
        if !relevant {
            return;
        }
        let pod = change.object();
        let old_labels = match change {
            Change::Updated { old, .. } => Some(old.meta().labels.clone()),
            _ => None,
        };
        let keys: Vec<String> = informers
            .get(Kind::Service)
            .iter()
            .filter(|s| s.namespace() == pod.namespace())
            .filter_map(|s| s.as_service())
            .filter(|s| labels_match(&s.spec.selector, &pod.meta().labels) || old_labels.as_ref().is_some_and(|l| labels_match(&s.spec.selector, l)))
            .map(|s| format!("{}/{}", s.metadata.namespace, s.metadata.name))
            .collect();
        for k in keys {
            self.queue.add(k);
        }
    }

    fn sync_service(&mut self, ctx: &mut Ctx, informers: &Informers, key: &str) {
        let (ns, name) = split_key(key);
        let existing = informers.get(Kind::Endpoints).get(ns, name).cloned();
        let Some(svc) = informers.get(Kind::Service).get(ns, name).and_then(|s| s.as_service().cloned()) else {
            if existing.is_some() {
                self.queue.request(ctx, key, ApiRequest::new(Verb::Delete, Kind::Endpoints, ns, name));
            }
            return;
        };
        if svc.spec.selector.is_empty() {
            return;
        }
        let mut subset = EndpointSubset::default();
        for p in informers.get(Kind::Pod).iter().filter_map(|o| o.as_pod()) {
            if p.metadata.namespace != ns || !labels_match(&svc.spec.selector, &p.metadata.labels) || p.status.pod_ip.is_empty() || p.is_terminating() {
                continue;
            }
            let addr = EndpointAddress { ip: p.status.pod_ip.clone(), node_name: p.spec.node_name.clone(), target_ref: format!("Pod/{}", p.metadata.name).into() };
            if p.is_ready() { subset.addresses.push(addr) } else { subset.not_ready_addresses.push(addr) }
        }
        // RepackSubsets orders the addresses by IP (as strings), whatever order the pods came in.
        for list in [&mut subset.addresses, &mut subset.not_ready_addresses] {
            list.sort_by(|a, b| (&a.ip, &a.target_ref).cmp(&(&b.ip, &b.target_ref)));
        }
        subset.ports = svc.spec.ports.iter().map(|sp| ServicePort { name: sp.name.clone(), protocol: sp.protocol.clone(), port: target_port(sp), target_port: None, node_port: None }).collect();
        let subsets = if subset.addresses.is_empty() && subset.not_ready_addresses.is_empty() { vec![] } else { vec![subset] };
        let mut labels = svc.metadata.labels.clone();
        labels.insert("endpoints.kubernetes.io/managed-by".into(), "endpoint-controller".into());
        match existing.as_ref().and_then(|e| e.as_endpoints()) {
            Some(e) if e.subsets == subsets => {}
            Some(e) => {
                let mut next = e.clone();
                next.subsets = subsets;
                next.metadata.resource_version.clear();
                self.queue.request(ctx, key, ApiRequest::with_object(Verb::Update, Object::Endpoints(next)));
            }
            None => {
                let ep = Endpoints { metadata: ObjectMeta { name: name.into(), namespace: ns.into(), labels, ..Default::default() }, subsets };
                self.queue.request(ctx, key, ApiRequest::with_object(Verb::Create, Object::Endpoints(ep)));
            }
        }
    }
}

fn target_port(sp: &ServicePort) -> i32 {
    match &sp.target_port {
        Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(sp.port as i64) as i32,
        _ => sp.port,
    }
}
