//! The trace: one entry per message, recorded when it is sent, with the simulated time it will
//! be delivered. The UI animates entries in flight; the runner prints them with `--trace`.

use std::collections::VecDeque;

use super::message::{Body, Component, CriCall, CriReply, EtcdReply, MetaOp, Propagation, Timer, Verb};
use super::etcd::TxnOp;
use super::time::SimTime;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageKind {
    /// A client's call to the API server.
    Request,
    /// The API server's answer.
    Response,
    EtcdWrite,
    EtcdRead,
    EtcdReply,
    /// The API server pushing a change to a watcher.
    Watch,
    /// A kubelet's CRI call to its container runtime, and the answer.
    Cri,
    CriReply,
    /// A component's own timer (polls, lease renewals, scheduling cycles).
    Timer,
}

impl MessageKind {
    pub fn name(self) -> &'static str {
        match self {
            MessageKind::Request => "request",
            MessageKind::Response => "response",
            MessageKind::EtcdWrite => "etcd-write",
            MessageKind::EtcdRead => "etcd-read",
            MessageKind::EtcdReply => "etcd-reply",
            MessageKind::Watch => "watch",
            MessageKind::Cri => "cri",
            MessageKind::CriReply => "cri-reply",
            MessageKind::Timer => "timer",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TraceEntry {
    /// Position in the whole run's sequence of messages (stable across trace truncation).
    pub seq: u64,
    pub sent: SimTime,
    pub delivered: SimTime,
    pub from: Component,
    pub to: Component,
    pub kind: MessageKind,
    pub verb: String,
    /// The etcd key or object the message is about ("" when none).
    pub key: String,
    /// The etcd revision the message carries (0 when none).
    pub revision: u64,
    /// One line for people.
    pub summary: String,
}

#[derive(Clone, Debug)]
pub struct Trace {
    entries: VecDeque<TraceEntry>,
    limit: usize,
    dropped: u64,
}

impl Trace {
    pub fn new(limit: usize) -> Self {
        Trace { entries: VecDeque::new(), limit, dropped: 0 }
    }
    pub fn enabled(&self) -> bool {
        self.limit > 0
    }
    pub fn push(&mut self, e: TraceEntry) {
        if self.limit == 0 {
            return;
        }
        if self.entries.len() == self.limit {
            self.entries.pop_front();
            self.dropped += 1;
        }
        self.entries.push_back(e);
    }
    pub fn entries(&self) -> &VecDeque<TraceEntry> {
        &self.entries
    }
    /// How many old entries were forgotten to respect the limit.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn object_path(kind: &str, ns: &str, name: &str) -> String {
    if ns.is_empty() { format!("{kind}/{name}") } else { format!("{kind}/{ns}/{name}") }
}

/// Describes a message for the trace: (kind, verb, key, revision, summary).
pub fn describe(body: &Body) -> (MessageKind, String, String, u64, String) {
    match body {
        Body::Request(r) => {
            let target = if r.name.is_empty() {
                if r.namespace.is_empty() { r.kind.plural().to_string() } else { format!("{}/{}", r.kind.plural(), r.namespace) }
            } else {
                object_path(r.kind.plural(), &r.namespace, &r.name)
            };
            let summary = match r.verb {
                Verb::Bind => format!("bind pod {}/{} to {}", r.namespace, r.name, r.node_name.as_deref().unwrap_or("")),
                Verb::Watch => format!("watch {target}{}", r.node_name.as_ref().map(|n| format!(" (spec.nodeName={n})")).unwrap_or_default()),
                Verb::Evict => format!("evict pod {}/{}", r.namespace, r.name),
                Verb::Delete if r.propagation != Propagation::Background => format!("delete {target} (propagationPolicy: {:?})", r.propagation),
                Verb::Patch => match r.patch.as_deref().map(|p| &p.op) {
                    Some(MetaOp::Add(o)) => format!("patch {target}: add owner {}/{}", o.kind, o.name),
                    Some(MetaOp::Remove(o)) => format!("patch {target}: remove owner {}/{}", o.kind, o.name),
                    Some(MetaOp::RemoveFinalizer(f)) => format!("patch {target}: remove finalizer {f}"),
                    Some(MetaOp::Map { annotations, changes }) => {
                        let what = if *annotations { "annotations" } else { "labels" };
                        let list: Vec<String> = changes.iter().map(|(k, v)| match v {
                            Some(v) => format!("{k}={v}"),
                            None => format!("{k}-"),
                        }).collect();
                        format!("patch {target}: {what} {}", list.join(" "))
                    }
                    Some(MetaOp::Document(type_, doc)) => {
                        let mut text = doc.to_string();
                        if text.len() > 200 {
                            let cut = (0..=197).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
                            text.truncate(cut);
                            text.push_str("...");
                        }
                        format!("patch {target} ({}): {text}", type_.name())
                    }
                    Some(MetaOp::Scale(n)) => format!("patch {target}/scale (merge): {{\"spec\":{{\"replicas\":{n}}}}}"),
                    None => format!("patch {target}"),
                },
                v if r.dry_run => format!("{} {target} (dry run)", v.name().to_lowercase()),
                v => format!("{} {target}", v.name().to_lowercase()),
            };
            (MessageKind::Request, r.verb.name().to_string(), target, 0, summary)
        }
        Body::Response(r) => {
            let (verb, summary, rev, key) = match &r.result {
                Ok(super::message::ApiReply::Object(o)) => ("200".to_string(), format!("{} {} {}", r.verb.name().to_lowercase(), o.kind().name(), o.name()), o.resource_version(), o.kind().etcd_key(o.namespace(), o.name())),
                Ok(super::message::ApiReply::List { items, revision }) => ("200".to_string(), format!("{} {} ({} items)", r.verb.name().to_lowercase(), r.kind.plural(), items.len()), *revision, r.kind.etcd_prefix().to_string()),
                Err(e) => (e.reason.code().to_string(), format!("{}: {}", e.reason.name(), e.message), 0, String::new()),
            };
            (MessageKind::Response, verb, key, rev, summary)
        }
        Body::EtcdTxn(t) => {
            let (verb, summary) = match &t.op {
                TxnOp::Put(_) if t.compare.mod_revision == 0 => ("PUT", format!("txn: if {} absent, put", t.key)),
                TxnOp::Put(_) => ("PUT", format!("txn: if mod_revision={}, put {}", t.compare.mod_revision, t.key)),
                TxnOp::Delete => ("DELETE", format!("txn: if mod_revision={}, delete {}", t.compare.mod_revision, t.key)),
            };
            (MessageKind::EtcdWrite, verb.into(), t.key.to_string(), 0, summary)
        }
        Body::EtcdRange(r) => (MessageKind::EtcdRead, "RANGE".into(), r.prefix.clone(), 0, format!("range {}", r.prefix)),
        Body::EtcdReply(r) => match &**r {
            EtcdReply::Txn { result, .. } => {
                let key = result.event.as_ref().map(|e| e.key.to_string()).unwrap_or_default();
                let created = result.event.as_ref().is_some_and(|e| e.prev.is_none() && e.kind == super::etcd::EventType::Put);
                let summary = match (result.succeeded, created) {
                    (true, true) => format!("created at revision {}", result.revision),
                    (true, false) => format!("ok, revision {}", result.revision),
                    _ => "compare failed".into(),
                };
                (MessageKind::EtcdReply, if result.succeeded { "OK" } else { "FAILED" }.into(), key, result.revision, summary)
            }
            EtcdReply::Range { read, revision, .. } => (MessageKind::EtcdReply, "OK".into(), String::new(), *revision, format!("{read} keys at revision {revision}")),
        },
        Body::Watch(w) => {
            let o = &w.object;
            (MessageKind::Watch, w.type_.name().into(), o.kind().etcd_key(o.namespace(), o.name()), o.resource_version(), format!("{} {} {}", w.type_.name(), o.kind().name(), o.name()))
        }
        Body::Cri(c) => {
            let detail = match c {
                CriCall::RunPodSandbox { pod, .. } => pod.clone(),
                CriCall::PullImage { image, .. } | CriCall::ImageStatus { image, .. } => image.clone(),
                CriCall::CreateContainer { name, .. } => name.clone(),
                CriCall::StartContainer { container_id, .. } | CriCall::StopContainer { container_id, .. } => short_id(container_id).into(),
                CriCall::StopPodSandbox { sandbox_id, .. } => short_id(sandbox_id).into(),
                CriCall::ListPodSandbox => "(after a restart)".into(),
            };
            (MessageKind::Cri, c.name().into(), String::new(), 0, format!("{} {}", c.name(), detail))
        }
        Body::CriReply(r) => {
            let summary = match r {
                CriReply::SandboxReady { pod_ip, .. } => format!("sandbox ready, IP {pod_ip}"),
                CriReply::ImageStatus { present, .. } => if *present { "image present".into() } else { "image not present".into() },
                CriReply::ImagePulled { image, result: Ok(p), .. } if p.already_present => format!("image {image} present"),
                CriReply::ImagePulled { image, result: Ok(_), .. } => format!("pulled {image}"),
                CriReply::ImagePulled { image, result: Err(_), .. } => format!("pull of {image} failed"),
                CriReply::ContainerCreated { container_id, .. } => format!("created {}", short_id(container_id)),
                CriReply::ContainerStarted { .. } => "container started".into(),
                CriReply::ContainerStopped { .. } => "container stopped".into(),
                CriReply::SandboxStopped { .. } => "sandbox stopped".into(),
                CriReply::Sandboxes(list) => format!("{} pod sandboxes", list.len()),
            };
            (MessageKind::CriReply, "OK".into(), String::new(), 0, summary)
        }
        Body::Timer(t) => {
            let s = match t {
                Timer::Poll(k) => format!("poll: list {} again", k.plural()),
                Timer::RenewLease => "renew node lease".into(),
                Timer::ReportNodeStatus => "report node status".into(),
                Timer::ScheduleOne => "scheduling cycle".into(),
                Timer::FlushBackoff => "flush back-off queue".into(),
                Timer::FlushUnschedulable => "flush pods unschedulable for 5 minutes".into(),
                Timer::RetryPod(p) => format!("retry pod {p}"),
                Timer::ProxyRulesSynced => "iptables rules synced".into(),
                Timer::ProxySync => "sync proxy rules (min-sync-period passed)".into(),
                Timer::MonitorNodes => "check node heartbeats".into(),
            };
            (MessageKind::Timer, "TIMER".into(), String::new(), 0, s)
        }
    }
}

fn short_id(id: &str) -> String {
    id.chars().take(12).collect()
}
