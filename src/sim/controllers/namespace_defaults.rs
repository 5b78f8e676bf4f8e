//! What kube-controller-manager puts in every namespace: the serviceaccount controller's
//! `default` ServiceAccount, which pods run as unless they name another, and the root CA
//! publisher's `kube-root-ca.crt` ConfigMap, which the service account token volume projects
//! into every pod. The starting cluster's namespaces get them when the simulation is built;
//! a namespace created later gets them once kube-controller-manager sees it.
//!
//! Either is made again if it is deleted while its namespace is active, as the real
//! controllers do.
//!
//! Simplified: both write as kube-controller-manager itself (the diagram has no box of their
//! own), a changed ConfigMap is not put back, and kubesim keeps no certificate behind the CA it
//! publishes.

use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::message::{ApiRequest, Verb};
use crate::sim::objects::*;

/// The cluster CA the `kube-root-ca.crt` ConfigMaps publish (its shape only: kubesim has no TLS).
const CLUSTER_CA: &str = "-----BEGIN CERTIFICATE-----\nMIIDBTCCAe2gAwIBAgIIHo9kqWpWbS8wDQYJKoZIhvcNAQELBQAwFTETMBEGA1UE\nAxMKa3ViZXJuZXRlczAeFw0yNjAxMDEwMDAwMDBaFw0zNTEyMzAwMDAwMDBaMBUx\nEzARBgNVBAMTCmt1YmVybmV0ZXMwggEiMA0GCSqGSIb3DQEBAQUAA4IBDwAwggEK\nAoIBAQDKa3ViZXNpbS1zaW11bGF0ZWQtY2x1c3Rlci1jYS1ub3QtYS1yZWFsLWtl\neQ==\n-----END CERTIFICATE-----\n";

/// The root CA publisher's description of the ConfigMap.
const DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

/// The `default` ServiceAccount of `namespace`.
pub fn default_service_account(namespace: &str) -> ServiceAccount {
    ServiceAccount { metadata: ObjectMeta { name: "default".into(), namespace: namespace.into(), ..Default::default() }, ..Default::default() }
}

/// The `kube-root-ca.crt` ConfigMap of `namespace`.
pub fn root_ca_config_map(namespace: &str) -> ConfigMap {
    let mut metadata = ObjectMeta { name: "kube-root-ca.crt".into(), namespace: namespace.into(), ..Default::default() };
    metadata.annotations.insert("kubernetes.io/description".into(), DESCRIPTION.into());
    ConfigMap { metadata, data: [(Str::from("ca.crt"), Str::from(CLUSTER_CA))].into_iter().collect(), ..Default::default() }
}

#[derive(Clone, Debug, Default)]
pub struct NamespaceDefaults {
    /// Whether kube-controller-manager's caches have synced: the namespaces they held then
    /// already have both.
    synced: bool,
}

impl NamespaceDefaults {
    /// Once the caches have synced.
    pub fn synced(&mut self) {
        self.synced = true;
    }

    /// A namespace that appears gets both; a deleted one is made again while its namespace is
    /// active (not while it is being deleted).
    pub fn on_change(&mut self, ctx: &mut Ctx, informers: &Informers, change: &Change) {
        if !self.synced {
            return;
        }
        let o = change.object();
        let active = |ns: &str| informers.get(Kind::Namespace).get("", ns).is_some_and(|n| n.meta().deletion_timestamp.is_none());
        match (o.kind(), change) {
            (Kind::Namespace, Change::Added(ns)) => {
                let name = ns.name();
                ctx.request(ApiRequest::with_object(Verb::Create, Object::ServiceAccount(default_service_account(name))));
                ctx.request(ApiRequest::with_object(Verb::Create, Object::ConfigMap(root_ca_config_map(name))));
            }
            (Kind::ServiceAccount, Change::Deleted(sa)) if sa.name() == "default" && active(sa.namespace()) => {
                ctx.request(ApiRequest::with_object(Verb::Create, Object::ServiceAccount(default_service_account(sa.namespace()))));
            }
            (Kind::ConfigMap, Change::Deleted(cm)) if cm.name() == "kube-root-ca.crt" && active(cm.namespace()) => {
                ctx.request(ApiRequest::with_object(Verb::Create, Object::ConfigMap(root_ca_config_map(cm.namespace()))));
            }
            _ => {}
        }
    }
}
