//! kube-proxy: on every node, turns Services and their endpoints into packet-forwarding rules
//! (iptables or IPVS in a real cluster). Here the rules are a table the UI can show: for each
//! Service's cluster IP and port, the pod addresses traffic is spread over.
//! (Real kube-proxy reads EndpointSlices; kubesim's endpoints controller writes the older
//! Endpoints objects, which carry the same addresses.)

use std::collections::BTreeMap;

use crate::sim::engine::Ctx;
use crate::sim::informer::Informers;
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::time::SimDuration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProxyRule {
    pub cluster_ip: String,
    pub port: i32,
    pub protocol: String,
    pub endpoints: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct KubeProxy {
    pub informers: Informers,
    /// "namespace/name" → rules, as last programmed.
    pub rules: BTreeMap<String, Vec<ProxyRule>>,
    pub syncs: u64,
}

impl Default for KubeProxy {
    fn default() -> Self {
        Self::new()
    }
}

impl KubeProxy {
    pub fn new() -> Self {
        KubeProxy { informers: Informers::new(&[Kind::Service, Kind::Endpoints]), rules: BTreeMap::new(), syncs: 0 }
    }

    pub fn start(&mut self, ctx: &mut Ctx) {
        self.informers.start(ctx);
    }

    pub fn handle(&mut self, ctx: &mut Ctx, body: Body) {
        let Some(changes) = self.informers.handle(ctx, &body) else { return };
        if changes.is_empty() {
            return;
        }
        let rules = self.compute_rules();
        if rules != self.rules {
            self.rules = rules;
            self.syncs += 1;
            // syncProxyRules: one iptables-restore, shown as the proxy's own work.
            ctx.timer(SimDuration::millis(5), Timer::ProxyRulesSynced);
        }
    }

    fn compute_rules(&self) -> BTreeMap<String, Vec<ProxyRule>> {
        let mut out = BTreeMap::new();
        for s in self.informers.get(Kind::Service).iter().filter_map(|o| o.as_service()) {
            let key = format!("{}/{}", s.metadata.namespace, s.metadata.name);
            let ep = self.informers.get(Kind::Endpoints).get(&s.metadata.namespace, &s.metadata.name).and_then(|e| e.as_endpoints());
            let rules = s
                .spec
                .ports
                .iter()
                .map(|p| {
                    let endpoints = ep
                        .map(|e| e.subsets.iter().flat_map(|ss| ss.addresses.iter().flat_map(move |a| ss.ports.iter().filter(|pp| pp.name == p.name).map(move |pp| format!("{}:{}", a.ip, pp.port)))).collect())
                        .unwrap_or_default();
                    ProxyRule { cluster_ip: s.spec.cluster_ip.to_string(), port: p.port, protocol: p.protocol.to_string(), endpoints }
                })
                .collect();
            out.insert(key, rules);
        }
        out
    }
}
