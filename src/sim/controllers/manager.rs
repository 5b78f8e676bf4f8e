//! kube-controller-manager: one process running the controllers over one set of shared
//! informers (client-go's SharedInformerFactory). The process holds a single watch per
//! resource; each change updates the one cache and is then handed to every controller that
//! registered a handler for that resource, as a real controller manager does. The controllers
//! still write as themselves: their requests and the answers to them are addressed to
//! `Component::Controller(kind)` (the API server sees each controller's service account).

use super::{DeploymentController, EndpointSliceController, EndpointsController, GarbageCollector, NamespaceController, NodeLifecycleController, ReplicaSetController, TaintEvictionController, NODE_MONITOR_PERIOD};
use crate::sim::engine::Ctx;
use crate::sim::informer::Informers;
use crate::sim::message::*;
use crate::sim::objects::Kind;

#[derive(Clone, Debug)]
pub struct ControllerManager {
    /// The shared informers: one cache and one watch per resource for all the controllers.
    pub informers: Informers,
    pub deployments: DeploymentController,
    pub replicasets: ReplicaSetController,
    pub endpoints: EndpointsController,
    pub endpoint_slices: EndpointSliceController,
    pub namespaces: NamespaceController,
    pub gc: GarbageCollector,
    pub node_lifecycle: NodeLifecycleController,
    pub taint_eviction: TaintEvictionController,
    pub namespace_defaults: super::namespace_defaults::NamespaceDefaults,
}

impl Default for ControllerManager {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs `f` with the context speaking as controller `k`, so what it sends comes from that
/// controller (and the answers go back to it).
fn as_controller<R>(ctx: &mut Ctx, k: ControllerKind, f: impl FnOnce(&mut Ctx) -> R) -> R {
    let me = std::mem::replace(&mut ctx.me, Component::Controller(k));
    let r = f(ctx);
    ctx.me = me;
    r
}

impl ControllerManager {
    pub fn new() -> Self {
        ControllerManager {
            informers: Informers::new(&[Kind::Deployment, Kind::ReplicaSet, Kind::Pod, Kind::Service, Kind::Endpoints, Kind::EndpointSlice, Kind::Node, Kind::Lease, Kind::Namespace, Kind::ServiceAccount, Kind::ConfigMap]),
            deployments: DeploymentController::new(),
            replicasets: ReplicaSetController::new(),
            endpoints: EndpointsController::new(),
            endpoint_slices: EndpointSliceController::new(),
            namespaces: NamespaceController::new(),
            gc: GarbageCollector::new(),
            node_lifecycle: NodeLifecycleController::default(),
            taint_eviction: TaintEvictionController::default(),
            namespace_defaults: Default::default(),
        }
    }

    /// Opens the shared informers' watches (or starts polling).
    pub fn start(&mut self, ctx: &mut Ctx) {
        self.informers.start(ctx);
        ctx.timer(NODE_MONITOR_PERIOD, Timer::MonitorNodes);
    }

    /// A message for the process itself (watch events, list answers, poll timers), or an
    /// answer to one of its controllers' writes.
    pub fn handle(&mut self, ctx: &mut Ctx, to: Component, body: Body) {
        match to {
            Component::Controller(k) => {
                if let Body::Response(resp) = &body {
                    let inf = &self.informers;
                    match k {
                        ControllerKind::Deployment => self.deployments.on_response(resp),
                        ControllerKind::ReplicaSet => as_controller(ctx, k, |ctx| self.replicasets.on_response(ctx, inf, resp)),
                        ControllerKind::Endpoints => self.endpoints.on_response(resp),
                        ControllerKind::EndpointSlice => self.endpoint_slices.on_response(resp),
                        ControllerKind::Namespace => as_controller(ctx, k, |ctx| self.namespaces.on_response(ctx, inf, resp)),
                        ControllerKind::GarbageCollector => as_controller(ctx, k, |ctx| self.gc.on_response(ctx, resp)),
                        ControllerKind::NodeLifecycle => self.node_lifecycle.on_response(resp),
                        ControllerKind::TaintEviction => {}
                    }
                }
            }
            _ if matches!(body, Body::Timer(Timer::MonitorNodes)) => {
                let inf = &self.informers;
                as_controller(ctx, ControllerKind::NodeLifecycle, |ctx| self.node_lifecycle.monitor(ctx, inf));
                as_controller(ctx, ControllerKind::TaintEviction, |ctx| self.taint_eviction.evict_due(ctx, inf));
                ctx.timer(NODE_MONITOR_PERIOD, Timer::MonitorNodes);
            }
            _ => {
                let Some(changes) = self.informers.handle(ctx, &body) else { return };
                let inf = &self.informers;
                for (kind, change) in changes.iter() {
                    self.deployments.on_change(inf, kind, change);
                    self.replicasets.on_change(inf, kind, change);
                    // (Which Services a pod change concerns: worked out once for both.)
                    let pod = if kind == Kind::Pod { super::endpoints::services_of_pod_change(inf, change) } else { None };
                    self.endpoints.on_change(inf, kind, change, pod.as_ref());
                    self.endpoint_slices.on_change(inf, kind, change, pod.as_ref());
                    self.namespaces.on_change(inf, kind, change);
                    // (Leases: a node's goes with it, as its owner; EndpointSlices go with their Service.)
                    if matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::Pod | Kind::Node | Kind::Lease | Kind::Service | Kind::EndpointSlice) {
                        as_controller(ctx, ControllerKind::GarbageCollector, |ctx| self.gc.on_change(ctx, inf, change));
                    }
                    if kind == Kind::Node {
                        as_controller(ctx, ControllerKind::NodeLifecycle, |ctx| self.node_lifecycle.on_node_change(ctx, change));
                    }
                    if matches!(kind, Kind::Pod | Kind::Node) {
                        as_controller(ctx, ControllerKind::TaintEviction, |ctx| self.taint_eviction.on_change(ctx, inf, kind, change));
                    }
                    if matches!(kind, Kind::Namespace | Kind::ServiceAccount | Kind::ConfigMap) {
                        // (The serviceaccount controller and root CA publisher write as the process.)
                        self.namespace_defaults.on_change(ctx, inf, change);
                    }
                }
            }
        }
        self.drain(ctx);
    }

    /// Each controller's workers sync what its queue holds, once the caches have synced.
    fn drain(&mut self, ctx: &mut Ctx) {
        if !self.informers.synced() {
            return;
        }
        let inf = &self.informers;
        self.node_lifecycle.remember_nodes(inf);
        self.namespace_defaults.synced();
        as_controller(ctx, ControllerKind::Deployment, |ctx| self.deployments.drain(ctx, inf));
        as_controller(ctx, ControllerKind::ReplicaSet, |ctx| self.replicasets.drain(ctx, inf));
        // (Most messages leave these queues empty: no call for them then.)
        if !self.endpoints.is_idle() {
            as_controller(ctx, ControllerKind::Endpoints, |ctx| self.endpoints.drain(ctx, inf));
        }
        if !self.endpoint_slices.is_idle() {
            as_controller(ctx, ControllerKind::EndpointSlice, |ctx| self.endpoint_slices.drain(ctx, inf));
        }
        if !self.namespaces.is_idle() {
            as_controller(ctx, ControllerKind::Namespace, |ctx| self.namespaces.drain(ctx, inf));
        }
    }
}
