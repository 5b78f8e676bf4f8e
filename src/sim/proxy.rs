//! kube-proxy: on every node, turns Services and their endpoints into packet-forwarding rules
//! (iptables or IPVS in a real cluster). Here a Service's rules are the Service and Endpoints
//! objects they were last written from (shared with the informer, not copied): its cluster IP
//! and ports, spread over the ready addresses.
//!
//! Like kube-proxy's iptables mode, changes are collected and the rules rewritten at most once
//! per `--iptables-min-sync-period` (default 1 s): a change after a quiet second is synced at
//! once, later ones wait for the next allowed sync, and each sync rewrites only the Services
//! that changed. (The real runner also allows a burst of two syncs; this one allows one.)
//! A Service's endpoints are its EndpointSlices (by their `kubernetes.io/service-name` label),
//! as kube-proxy reads them since Kubernetes 1.21.

use std::collections::{BTreeMap, BTreeSet};

use crate::sim::engine::Ctx;
use crate::sim::controllers::endpointslice::SERVICE_NAME_LABEL;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::time::{SimDuration, SimTime};

/// kube-proxy's default `--iptables-min-sync-period`.
pub const MIN_SYNC_PERIOD: SimDuration = SimDuration::secs(1);

/// What one Service's rules were written from.
#[derive(Clone, Debug)]
pub struct ProgrammedService {
    pub service: ObjectRc,
    /// Its EndpointSlices, by name.
    pub slices: Vec<ObjectRc>,
}

impl ProgrammedService {
    fn same_as(&self, other: &ProgrammedService) -> bool {
        fn rv(o: &ObjectRc) -> u64 {
            o.resource_version()
        }
        rv(&self.service) == rv(&other.service) && self.slices.iter().map(rv).eq(other.slices.iter().map(rv))
    }
}

/// The "namespace/name" of the Service an object concerns: its own, or, for an EndpointSlice,
/// the one it is labelled with.
fn service_key(o: &Object) -> Option<Str> {
    match o {
        Object::EndpointSlice(e) => e.metadata.labels.get(SERVICE_NAME_LABEL).map(|s| Str::concat(&[&e.metadata.namespace, "/", s])),
        o => Some(crate::sim::controllers::object_key(o)),
    }
}

#[derive(Clone, Debug)]
pub struct KubeProxy {
    pub informers: Informers,
    /// "namespace/name" → what the Service's rules were last written from.
    pub rules: BTreeMap<Str, ProgrammedService>,
    /// Services whose Service or EndpointSlices changed since the last sync.
    pending: BTreeSet<Str>,
    /// The cached EndpointSlices' names by the Service they are labelled with ("namespace/name"),
    /// so a sync finds a Service's slices without a walk over every slice in the cluster.
    slices_of: BTreeMap<Str, BTreeSet<Str>>,
    last_sync: Option<SimTime>,
    sync_scheduled: bool,
    pub syncs: u64,
}

impl Default for KubeProxy {
    fn default() -> Self {
        Self::new()
    }
}

impl KubeProxy {
    pub fn new() -> Self {
        KubeProxy { informers: Informers::new(&[Kind::Service, Kind::EndpointSlice]), rules: BTreeMap::new(), pending: BTreeSet::new(), slices_of: BTreeMap::new(), last_sync: None, sync_scheduled: false, syncs: 0 }
    }

    pub fn start(&mut self, ctx: &mut Ctx) {
        self.informers.start(ctx);
    }

    pub fn handle(&mut self, ctx: &mut Ctx, body: Body) {
        if let Body::Timer(Timer::ProxySync) = body {
            self.sync_scheduled = false;
            self.sync(ctx);
            return;
        }
        let Some(changes) = self.informers.handle(ctx, &body) else { return };
        for (kind, change) in changes.iter() {
            let Some(key) = service_key(change.object()) else { continue };
            if kind == Kind::EndpointSlice {
                let o = change.object();
                let old = match change {
                    Change::Added(_) => None,
                    Change::Updated { old, .. } => Some(old),
                    Change::Deleted(o) => Some(o),
                };
                // (A slice relabelled to another Service leaves the first one's rules too.)
                if let Some(old_key) = old.filter(|old| old.meta().labels.get(SERVICE_NAME_LABEL) != o.meta().labels.get(SERVICE_NAME_LABEL)).and_then(|old| service_key(old)) {
                    self.forget_slice(&old_key, o.name());
                    self.pending.insert(old_key);
                }
                match change {
                    Change::Deleted(_) => self.forget_slice(&key, o.name()),
                    _ => {
                        self.slices_of.entry(key.clone()).or_default().insert(o.meta().name.clone());
                    }
                }
            }
            self.pending.insert(key);
        }
        if self.pending.is_empty() || self.sync_scheduled {
            return;
        }
        match self.last_sync.map(|t| ctx.now.since(t)) {
            Some(since) if since < MIN_SYNC_PERIOD => {
                self.sync_scheduled = true;
                ctx.timer(SimDuration(MIN_SYNC_PERIOD.0 - since.0), Timer::ProxySync);
            }
            _ => self.sync(ctx),
        }
    }

    fn forget_slice(&mut self, key: &Str, slice: &str) {
        if let Some(names) = self.slices_of.get_mut(key) {
            names.remove(slice);
            if names.is_empty() {
                self.slices_of.remove(key);
            }
        }
    }

    /// syncProxyRules: rewrites the rules of the Services that changed.
    fn sync(&mut self, ctx: &mut Ctx) {
        let mut changed = false;
        for key in std::mem::take(&mut self.pending) {
            let (ns, name) = crate::sim::controllers::split_key(&key);
            let now = self.informers.get(Kind::Service).get(ns, name).map(|service| {
                let cached = self.informers.get(Kind::EndpointSlice);
                // (By name, as the set keeps them.)
                // (Each still labelled for this Service: the index is only a shortcut.)
                let slices: Vec<ObjectRc> = self.slices_of.get(&key).into_iter().flatten().filter_map(|slice| cached.get(ns, slice)).filter(|o| o.meta().labels.get(SERVICE_NAME_LABEL).is_some_and(|s| s == name)).cloned().collect();
                // (Tests check the index against a walk over every slice.)
                debug_assert!({
                    let mut all: Vec<&ObjectRc> = cached.values().filter(|o| o.namespace() == ns && service_key(o).is_some_and(|k| k == key)).collect();
                    all.sort_by(|a, b| a.name().cmp(b.name()));
                    all.len() == slices.len() && all.iter().zip(&slices).all(|(a, b)| std::rc::Rc::ptr_eq(a, b))
                }, "kube-proxy's slices of {key}");
                ProgrammedService { service: service.clone(), slices }
            });
            match (now, self.rules.get(&key)) {
                (Some(p), Some(old)) if p.same_as(old) => {}
                (Some(p), _) => {
                    self.rules.insert(key, p);
                    changed = true;
                }
                (None, Some(_)) => {
                    self.rules.remove(&key);
                    changed = true;
                }
                (None, None) => {}
            }
        }
        self.last_sync = Some(ctx.now);
        if changed {
            self.syncs += 1;
            // One iptables-restore, shown as the proxy's own work.
            ctx.timer(SimDuration::millis(5), Timer::ProxyRulesSynced);
        }
    }
}
