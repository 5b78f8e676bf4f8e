//! kube-proxy: on every node, turns Services and their endpoints into packet-forwarding rules
//! (iptables or IPVS in a real cluster). Here a Service's rules are the Service and Endpoints
//! objects they were last written from (shared with the informer, not copied): its cluster IP
//! and ports, spread over the ready addresses.
//!
//! Like kube-proxy's iptables mode, changes are collected and the rules rewritten at most once
//! per `--iptables-min-sync-period` (default 1 s): a change after a quiet second is synced at
//! once, later ones wait for the next allowed sync, and each sync rewrites only the Services
//! that changed. (The real runner also allows a burst of two syncs; this one allows one.)
//! (Real kube-proxy reads EndpointSlices; kubesim's endpoints controller writes the older
//! Endpoints objects, which carry the same addresses.)

use std::collections::{BTreeMap, BTreeSet};

use crate::sim::engine::Ctx;
use crate::sim::informer::Informers;
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::time::{SimDuration, SimTime};

/// kube-proxy's default `--iptables-min-sync-period`.
pub const MIN_SYNC_PERIOD: SimDuration = SimDuration::secs(1);

/// What one Service's rules were written from.
#[derive(Clone, Debug)]
pub struct ProgrammedService {
    pub service: ObjectRc,
    pub endpoints: Option<ObjectRc>,
}

impl ProgrammedService {
    fn same_as(&self, other: &ProgrammedService) -> bool {
        fn rv(o: &ObjectRc) -> u64 {
            o.resource_version()
        }
        rv(&self.service) == rv(&other.service) && self.endpoints.as_ref().map(rv) == other.endpoints.as_ref().map(rv)
    }
}

#[derive(Clone, Debug)]
pub struct KubeProxy {
    pub informers: Informers,
    /// "namespace/name" → what the Service's rules were last written from.
    pub rules: BTreeMap<Str, ProgrammedService>,
    /// Services whose Service or Endpoints changed since the last sync.
    pending: BTreeSet<Str>,
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
        KubeProxy { informers: Informers::new(&[Kind::Service, Kind::Endpoints]), rules: BTreeMap::new(), pending: BTreeSet::new(), last_sync: None, sync_scheduled: false, syncs: 0 }
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
        for (_, change) in changes.iter() {
            self.pending.insert(crate::sim::controllers::object_key(change.object()));
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

    /// syncProxyRules: rewrites the rules of the Services that changed.
    fn sync(&mut self, ctx: &mut Ctx) {
        let mut changed = false;
        for key in std::mem::take(&mut self.pending) {
            let (ns, name) = crate::sim::controllers::split_key(&key);
            let now = self.informers.get(Kind::Service).get(ns, name).map(|service| ProgrammedService { service: service.clone(), endpoints: self.informers.get(Kind::Endpoints).get(ns, name).cloned() });
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
