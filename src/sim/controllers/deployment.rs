//! The Deployment controller (pkg/controller/deployment): owns ReplicaSets named
//! `<deployment>-<pod-template-hash>`. `sync_deployment` finds the new ReplicaSet (the one
//! whose template matches) and the old ones, then either scales (sync.go) or rolls out
//! (rolling.go: surge the new one up, drain the old ones within maxUnavailable), and writes
//! the Deployment's status (progress.go's conditions).
//!
//! Like upstream's ClaimReplicaSets, a sync first adopts the orphan ReplicaSets whose labels
//! its selector matches (one left behind by `kubectl delete deployment --cascade=orphan` is
//! taken back by the next Deployment of that name) and releases its own that it no longer
//! matches; the sync goes on when those patches come back through the watch.

use std::collections::BTreeMap;

use super::{claim, controller_of, controller_ref, object_key, source, split_key, WorkQueue};
use crate::sim::api_server::set_condition;
use crate::sim::engine::Ctx;
use crate::sim::informer::{key_order, Change, Informers};
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::rng::NAME_ALPHABET;
use serde_json::Value;

pub const REVISION_ANNOTATION: &str = "deployment.kubernetes.io/revision";
/// The revisions a ReplicaSet had before a rollback made it the new one again.
pub const REVISION_HISTORY_ANNOTATION: &str = "deployment.kubernetes.io/revision-history";
/// What `kubectl rollout history` prints as CHANGE-CAUSE, copied from the Deployment.
pub const CHANGE_CAUSE_ANNOTATION: &str = "kubernetes.io/change-cause";
const DESIRED_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/desired-replicas";
const MAX_REPLICAS_ANNOTATION: &str = "deployment.kubernetes.io/max-replicas";
/// The controller's maxRevHistoryLengthInChars.
const MAX_REVISION_HISTORY_CHARS: usize = 2000;

#[derive(Clone, Debug)]
pub struct DeploymentController {
    queue: WorkQueue,
    /// ReplicaSets this controller created but has not yet seen through its watch.
    pending_creates: BTreeMap<Str, RequestId>,
    /// Ownership patches in flight: request id → Deployment key.
    patching: BTreeMap<RequestId, Str>,
}

impl Default for DeploymentController {
    fn default() -> Self {
        Self::new()
    }
}

/// ComputeHash: a stable 32-bit FNV-1a of the pod template, printed in decimal and each digit
/// mapped into the safe alphabet (rand.SafeEncodeString), which is why real hashes look like
/// `7d4b9c8f5`.
pub fn pod_template_hash(t: &PodTemplateSpec) -> String {
    let mut t = t.clone();
    t.metadata.labels.remove("pod-template-hash");
    let bytes = serde_json::to_vec(&t).unwrap_or_default();
    let mut h: u32 = 0x811c_9dc5;
    for b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h.to_string().bytes().map(|d| NAME_ALPHABET[d as usize % NAME_ALPHABET.len()] as char).collect()
}

fn templates_equal(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    let (mut a, mut b) = (a.clone(), b.clone());
    a.metadata.labels.remove("pod-template-hash");
    b.metadata.labels.remove("pod-template-hash");
    a == b
}

/// Resolves a maxSurge/maxUnavailable int-or-percent against the replica count. (Validation
/// has refused what is not one; the clamps keep any value from overflowing the sums below.)
fn resolve(v: &Option<Value>, replicas: i32, round_up: bool) -> i32 {
    let n = match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => {
            let pct: i64 = s.trim_end_matches('%').parse().unwrap_or(25);
            let x = pct.clamp(0, i32::MAX as i64) * replicas.max(0) as i64;
            if round_up { (x + 99) / 100 } else { x / 100 }
        }
        _ => 0,
    };
    n.clamp(0, crate::sim::validation::MAX_REPLICAS as i64) as i32
}

fn replicas_of(rs: &ReplicaSet) -> i32 {
    rs.spec.replicas.unwrap_or(0)
}

fn revision_of(rs: &ReplicaSet) -> i64 {
    rs.metadata.annotations.get(REVISION_ANNOTATION).and_then(|r| r.parse::<i64>().ok()).unwrap_or(0)
}

/// SetNewReplicaSetAnnotations: the Deployment's annotations copied onto its new ReplicaSet
/// (but those of kubectl apply and of the controller itself), and the revision raised to
/// `new_revision` if it is below it. A ReplicaSet that had a revision and gets a higher one is
/// an old one made new again (a rollback, or a template changed back): its earlier revisions
/// are kept in `deployment.kubernetes.io/revision-history`. True if anything changed.
fn set_new_replica_set_annotations(d: &Deployment, rs: &mut ReplicaSet, new_revision: i64) -> bool {
    const SKIP: [&str; 6] = ["kubectl.kubernetes.io/last-applied-configuration", REVISION_ANNOTATION, REVISION_HISTORY_ANNOTATION, DESIRED_REPLICAS_ANNOTATION, MAX_REPLICAS_ANNOTATION, "deprecated.deployment.rollback.to"];
    let mut changed = false;
    let annotations = &mut rs.metadata.annotations;
    for (k, v) in d.metadata.annotations.iter() {
        if !SKIP.contains(&k.as_str()) && annotations.get(k) != Some(v) {
            annotations.insert(k.clone(), v.clone());
            changed = true;
        }
    }
    let old = annotations.get(REVISION_ANNOTATION).cloned();
    let old_revision = match &old {
        None => 0,
        Some(r) => match r.parse::<i64>() {
            Ok(n) => n,
            // (Upstream gives up on a revision that is not a number.)
            Err(_) => return changed,
        },
    };
    if old_revision < new_revision {
        annotations.insert(REVISION_ANNOTATION.into(), new_revision.to_string().into());
        changed = true;
        if let Some(old) = old {
            let history = annotations.get(REVISION_HISTORY_ANNOTATION).map(|h| h.to_string()).unwrap_or_default();
            let next = if history.is_empty() {
                Some(old.to_string())
            } else {
                // The oldest revisions are dropped to keep the list within its limit.
                let mut kept: Vec<&str> = history.split(',').collect();
                let mut total = history.len() + old.len() + 1;
                let mut start = 0;
                while total > MAX_REVISION_HISTORY_CHARS && start < kept.len() {
                    total -= kept[start].len() + 1;
                    start += 1;
                }
                (total <= MAX_REVISION_HISTORY_CHARS).then(|| {
                    kept.drain(..start);
                    kept.push(&old);
                    kept.join(",")
                })
            };
            if let Some(next) = next {
                annotations.insert(REVISION_HISTORY_ANNOTATION.into(), next.into());
            }
        }
    }
    changed
}

impl DeploymentController {
    pub fn new() -> Self {
        DeploymentController { queue: WorkQueue::default(), pending_creates: BTreeMap::new(), patching: BTreeMap::new() }
    }

    /// The informer handlers: a changed Deployment, or a ReplicaSet it controls, queues the
    /// Deployment; an orphan ReplicaSet queues the Deployments that match it (getDeploymentsForReplicaSet).
    pub fn on_change(&mut self, informers: &Informers, kind: Kind, change: &Change) {
        let o = change.object();
        match kind {
            Kind::Deployment => self.queue.add(object_key(o)),
            Kind::ReplicaSet => match controller_of(o) {
                Some(owner) if owner.kind == "Deployment" => {
                    self.pending_creates.remove(&object_key(o));
                    self.queue.add(Str::concat(&[o.namespace(), "/", &owner.name]));
                }
                Some(_) => {}
                // (A deleted one too: a Deployment waiting to adopt it syncs again.)
                None => {
                    let matching: Vec<Str> = informers.get(Kind::Deployment).values().filter(|d| d.namespace() == o.namespace() && d.as_deployment().is_some_and(|d| d.spec.selector.matches(&o.meta().labels))).map(|d| object_key(d)).collect();
                    for key in matching {
                        self.queue.add(key);
                    }
                }
            },
            _ => {}
        }
    }

    pub fn on_response(&mut self, resp: &ApiResponse) {
        self.queue.done(resp.id);
        self.patching.remove(&resp.id);
        if let (Verb::Create, Kind::ReplicaSet, Err(_)) = (resp.verb, resp.kind, &resp.result) {
            self.pending_creates.retain(|_, id| *id != resp.id);
        }
    }

    /// Syncs every queued Deployment (once the caches are synced).
    pub fn drain(&mut self, ctx: &mut Ctx, informers: &Informers) {
        while let Some(key) = self.queue.pop() {
            self.sync_deployment(ctx, informers, &key);
        }
    }

    fn sync_deployment(&mut self, ctx: &mut Ctx, informers: &Informers, key: &Str) {
        let (ns, name) = split_key(key);
        let Some(d_obj) = informers.get(Kind::Deployment).get(ns, name).cloned() else { return };
        let Some(d) = d_obj.as_deployment() else { return };
        // A Deployment being deleted neither adopts nor releases; it only keeps its status.
        let deleting = d.metadata.deletion_timestamp.is_some();
        if !deleting && self.claim_replica_sets(ctx, informers, key, &d_obj, d) {
            return;
        }
        // (Every ReplicaSet is looked at, as upstream's lister does; only the owned ones are
        // sorted, into the cache's key order.)
        let mut owned: Vec<ReplicaSet> = informers
            .get(Kind::ReplicaSet)
            .values()
            .filter(|o| controller_of(o).is_some_and(|r| r.uid == d.metadata.uid))
            .filter_map(|o| o.as_replica_set().cloned())
            .collect();
        owned.sort_by(|a, b| key_order((&a.metadata.namespace, &a.metadata.name), (&b.metadata.namespace, &b.metadata.name)));
        let new_rs = owned.iter().find(|rs| templates_equal(&rs.spec.template, &d.spec.template)).cloned();
        let old: Vec<ReplicaSet> = owned.iter().filter(|rs| new_rs.as_ref().is_none_or(|n| n.metadata.uid != rs.metadata.uid)).cloned().collect();
        let replicas = d.spec.replicas.unwrap_or(1);
        // getNewReplicaSet, for a new ReplicaSet that exists: its annotations follow the
        // Deployment's and its revision is raised above the old ones' (a template changed back
        // to an old one makes that ReplicaSet the newest revision again), and its
        // minReadySeconds follows the Deployment's. The sync goes on when the update comes back
        // through the watch.
        if let Some(rs) = &new_rs {
            let mut next = rs.clone();
            let new_revision = old.iter().map(revision_of).max().unwrap_or(0) + 1;
            let changed = set_new_replica_set_annotations(d, &mut next, new_revision);
            if changed || next.spec.min_ready_seconds != d.spec.min_ready_seconds {
                next.spec.min_ready_seconds = d.spec.min_ready_seconds;
                self.queue.request(ctx, key, ApiRequest::with_object(Verb::Update, Object::ReplicaSet(next)));
                return;
            }
        }

        if d.spec.paused || deleting {
            // syncStatusOnly, for a paused Deployment and one being deleted.
            // (checkPausedConditions runs for a paused Deployment, not for one being deleted.)
            self.sync_status(ctx, key, d, new_rs.as_ref(), &owned, if deleting { Progress::Kept } else { Progress::Paused });
            return;
        }
        let Some(new_rs) = new_rs else {
            // getNewReplicaSet computes the hash only when there is no new ReplicaSet yet.
            let hash = pod_template_hash(&d.spec.template);
            let rs_name = format!("{}-{}", d.metadata.name, hash);
            let rs_key = Str::concat(&[ns, "/", &rs_name]);
            if self.pending_creates.contains_key(&rs_key) {
                return;
            }
            let old_active: i32 = old.iter().map(replicas_of).sum();
            let start = if d.spec.strategy.type_ == "Recreate" && old_active > 0 {
                0
            } else if old.is_empty() || old_active == 0 {
                replicas
            } else {
                let (surge, _) = self.surge_and_unavailable(d);
                (replicas + surge - old_active).clamp(0, replicas)
            };
            let revision = old.iter().map(revision_of).max().unwrap_or(0) + 1;
            let rs = self.new_replica_set(&d_obj, d, &rs_name, &hash, start, revision);
            let id = self.queue.request(ctx, key, ApiRequest::with_object(Verb::Create, Object::ReplicaSet(rs)));
            self.pending_creates.insert(rs_key, id);
            if start > 0 {
                ctx.event(source("deployment-controller"), d_obj.kind(), d_obj.meta(), "Normal", "ScalingReplicaSet", format!("Scaled up replica set {rs_name} from 0 to {start}").into());
            }
            return;
        };

        let old_active: Vec<&ReplicaSet> = old.iter().filter(|rs| replicas_of(rs) > 0).collect();
        if old_active.is_empty() {
            // sync.go: a plain scale.
            if replicas_of(&new_rs) != replicas {
                self.scale(ctx, key, &d_obj, &new_rs, replicas);
            }
        } else if d.spec.strategy.type_ == "Recreate" {
            for rs in &old_active {
                self.scale(ctx, key, &d_obj, rs, 0);
            }
            let old_pods: i32 = old.iter().map(|rs| rs.status.replicas).sum();
            if old_pods == 0 && replicas_of(&new_rs) != replicas {
                self.scale(ctx, key, &d_obj, &new_rs, replicas);
            }
        } else {
            self.rollout_rolling(ctx, key, &d_obj, d, &new_rs, &old_active);
        }
        self.cleanup_old(ctx, key, d, &old);
        self.sync_status(ctx, key, d, Some(&new_rs), &owned, Progress::Rollout);
    }

    /// ClaimReplicaSets: patches adopting the orphans the selector matches and releasing owned
    /// ones it no longer matches. True if any is in flight: the sync waits for them.
    fn claim_replica_sets(&mut self, ctx: &mut Ctx, informers: &Informers, key: &Str, d_obj: &ObjectRc, d: &Deployment) -> bool {
        if self.patching.values().any(|k| k == key) {
            return true;
        }
        let mut candidates: Vec<&ObjectRc> = informers.get(Kind::ReplicaSet).values().filter(|rs| rs.namespace() == d.metadata.namespace).collect();
        candidates.sort_by(|a, b| key_order((a.namespace(), a.name()), (b.namespace(), b.name())));
        let patches: Vec<ApiRequest> = candidates
            .into_iter()
            .filter_map(|rs| claim("Deployment", d_obj, rs, d.spec.selector.matches(&rs.meta().labels), rs.meta().deletion_timestamp.is_none()).map(|op| MetaPatch::request(rs, op)))
            .collect();
        for req in patches {
            let id = self.queue.request(ctx, key, req);
            self.patching.insert(id, key.clone());
        }
        self.patching.values().any(|k| k == key)
    }

    fn surge_and_unavailable(&self, d: &Deployment) -> (i32, i32) {
        let replicas = d.spec.replicas.unwrap_or(1);
        let ru = d.spec.strategy.rolling_update.clone().unwrap_or_default();
        let surge = resolve(&ru.max_surge, replicas, true);
        let mut unavailable = resolve(&ru.max_unavailable, replicas, false);
        if surge == 0 && unavailable == 0 {
            unavailable = 1;
        }
        (surge, unavailable)
    }

    /// rolling.go: reconcileNewReplicaSet, then reconcileOldReplicaSets.
    fn rollout_rolling(&mut self, ctx: &mut Ctx, key: &Str, d_obj: &ObjectRc, d: &Deployment, new_rs: &ReplicaSet, old: &[&ReplicaSet]) {
        let replicas = d.spec.replicas.unwrap_or(1);
        let (surge, max_unavailable) = self.surge_and_unavailable(d);
        let total: i32 = replicas_of(new_rs) + old.iter().map(|rs| replicas_of(rs)).sum::<i32>();
        if replicas_of(new_rs) < replicas {
            let up = (replicas + surge - total).min(replicas - replicas_of(new_rs));
            if up > 0 {
                self.scale(ctx, key, d_obj, new_rs, replicas_of(new_rs) + up);
                return;
            }
        } else if replicas_of(new_rs) > replicas {
            self.scale(ctx, key, d_obj, new_rs, replicas);
            return;
        }
        let min_available = replicas - max_unavailable;
        let available: i32 = new_rs.status.available_replicas + old.iter().map(|rs| rs.status.available_replicas).sum::<i32>();
        let mut can_scale_down = (available - min_available).max(0);
        for rs in old {
            if can_scale_down == 0 {
                break;
            }
            let down = replicas_of(rs).min(can_scale_down);
            self.scale(ctx, key, d_obj, rs, replicas_of(rs) - down);
            can_scale_down -= down;
        }
    }

    fn scale(&mut self, ctx: &mut Ctx, key: &Str, d_obj: &ObjectRc, rs: &ReplicaSet, to: i32) {
        let from = replicas_of(rs);
        if from == to {
            return;
        }
        let mut next = rs.clone();
        next.spec.replicas = Some(to);
        if let Some(d) = d_obj.as_deployment() {
            self.set_replicas_annotations(d, &mut next);
        }
        self.queue.request(ctx, key, ApiRequest::with_object(Verb::Update, Object::ReplicaSet(next)));
        let dir = if to > from { "up" } else { "down" };
        ctx.event(source("deployment-controller"), d_obj.kind(), d_obj.meta(), "Normal", "ScalingReplicaSet", format!("Scaled {dir} replica set {} from {from} to {to}", rs.metadata.name).into());
    }

    fn new_replica_set(&self, d_obj: &ObjectRc, d: &Deployment, name: &str, hash: &str, replicas: i32, revision: i64) -> ReplicaSet {
        let mut template = d.spec.template.clone();
        template.metadata.labels.insert("pod-template-hash".into(), hash.into());
        let mut selector = d.spec.selector.clone();
        selector.match_labels.insert("pod-template-hash".into(), hash.into());
        let mut labels = d.spec.template.metadata.labels.clone();
        labels.insert("pod-template-hash".into(), hash.into());
        let mut rs = ReplicaSet {
            metadata: ObjectMeta {
                name: name.into(),
                namespace: d.metadata.namespace.clone(),
                labels,
                owner_references: vec![controller_ref("Deployment", d_obj)].into(),
                ..Default::default()
            },
            spec: ReplicaSetSpec { replicas: Some(replicas), selector, template, min_ready_seconds: d.spec.min_ready_seconds },
            status: ReplicaSetStatus::default(),
        };
        set_new_replica_set_annotations(d, &mut rs, revision);
        self.set_replicas_annotations(d, &mut rs);
        rs
    }

    /// SetReplicasAnnotations: the Deployment's size, and its size with the surge.
    fn set_replicas_annotations(&self, d: &Deployment, rs: &mut ReplicaSet) {
        let (desired, (surge, _)) = (d.spec.replicas.unwrap_or(1), self.surge_and_unavailable(d));
        rs.metadata.annotations.insert(DESIRED_REPLICAS_ANNOTATION.into(), desired.to_string().into());
        rs.metadata.annotations.insert(MAX_REPLICAS_ANNOTATION.into(), (desired + surge).to_string().into());
    }

    /// cleanupDeployment: old ReplicaSets with no pods, beyond revisionHistoryLimit, are deleted.
    fn cleanup_old(&mut self, ctx: &mut Ctx, key: &Str, d: &Deployment, old: &[ReplicaSet]) {
        let limit = d.spec.revision_history_limit.unwrap_or(10).max(0) as usize;
        let mut idle: Vec<&ReplicaSet> = old.iter().filter(|rs| replicas_of(rs) == 0 && rs.status.replicas == 0).collect();
        if idle.len() <= limit {
            return;
        }
        idle.sort_by_key(|rs| revision_of(rs));
        for rs in idle.iter().take(idle.len() - limit) {
            self.queue.request(ctx, key, ApiRequest::new(Verb::Delete, Kind::ReplicaSet, &rs.metadata.namespace, &rs.metadata.name));
        }
    }

    /// syncRolloutStatus: counts from the ReplicaSets, and the Available/Progressing conditions.
    fn sync_status(&mut self, ctx: &mut Ctx, key: &Str, d: &Deployment, new_rs: Option<&ReplicaSet>, all: &[ReplicaSet], progress: Progress) {
        let replicas = d.spec.replicas.unwrap_or(1);
        let (_, max_unavailable) = self.surge_and_unavailable(d);
        let mut s = d.status.clone();
        s.observed_generation = d.metadata.generation;
        s.replicas = all.iter().map(|rs| rs.status.replicas).sum();
        s.updated_replicas = new_rs.map_or(0, |rs| rs.status.replicas);
        s.ready_replicas = all.iter().map(|rs| rs.status.ready_replicas).sum();
        s.available_replicas = all.iter().map(|rs| rs.status.available_replicas).sum();
        s.unavailable_replicas = (s.replicas.max(replicas) - s.available_replicas).max(0);
        let available = s.available_replicas >= replicas - max_unavailable;
        let now = ctx.now;
        let (status, reason, msg) = if available { ("True", "MinimumReplicasAvailable", "Deployment has minimum availability.") } else { ("False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.") };
        set_condition_keep_time(&mut s.conditions, "Available", status, reason, msg, now);
        // checkPausedConditions: Progressing is Unknown while the Deployment is paused, and
        // says so once it is resumed (a rollout then sets it again), so that the pause does
        // not count against its progress deadline. (Not over ProgressDeadlineExceeded.)
        let current = s.conditions.iter().find(|c| c.type_ == "Progressing").map(|c| c.reason.clone());
        if progress != Progress::Kept && d.spec.progress_deadline_seconds.is_none_or(|p| p != i32::MAX) && current.as_deref() != Some("ProgressDeadlineExceeded") {
            let paused = current.as_deref() == Some("DeploymentPaused");
            if d.spec.paused && !paused {
                set_condition_keep_time(&mut s.conditions, "Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now);
            } else if !d.spec.paused && paused {
                set_condition_keep_time(&mut s.conditions, "Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now);
            }
        }
        if let Some(rs) = new_rs.filter(|_| progress == Progress::Rollout) {
            let complete = s.updated_replicas == replicas && s.replicas == replicas && s.available_replicas == replicas;
            let (reason, msg) = if complete {
                ("NewReplicaSetAvailable", format!("ReplicaSet \"{}\" has successfully progressed.", rs.metadata.name))
            } else if d.status.conditions.iter().any(|c| c.type_ == "Progressing") {
                ("ReplicaSetUpdated", format!("ReplicaSet \"{}\" is progressing.", rs.metadata.name))
            } else {
                ("NewReplicaSetCreated", format!("Created new replica set \"{}\"", rs.metadata.name))
            };
            set_condition_keep_time(&mut s.conditions, "Progressing", "True", reason, &msg, now);
        }
        // SetDeploymentRevision: the Deployment carries its new ReplicaSet's revision, written
        // with the status (getNewReplicaSet's UpdateStatus).
        let revision = new_rs.and_then(|rs| rs.metadata.annotations.get(REVISION_ANNOTATION).cloned());
        let revision_changed = revision.as_ref().is_some_and(|r| d.metadata.annotations.get(REVISION_ANNOTATION) != Some(r));
        if s != d.status || revision_changed {
            let mut next = d.clone();
            next.status = s;
            if let Some(r) = revision.filter(|_| revision_changed) {
                next.metadata.annotations.insert(REVISION_ANNOTATION.into(), r);
            }
            next.metadata.resource_version.clear();
            self.queue.request(ctx, key, ApiRequest::with_object(Verb::UpdateStatus, Object::Deployment(Box::new(next))));
        }
    }
}

/// What a sync does with the Progressing condition.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Progress {
    /// A rollout or scale: it follows the new ReplicaSet's progress.
    Rollout,
    /// A paused Deployment: only the pause itself is recorded.
    Paused,
    /// A Deployment being deleted (syncStatusOnly): left as it is.
    Kept,
}

/// Deployment conditions also carry lastUpdateTime, bumped only when the reason changes.
fn set_condition_keep_time(conds: &mut Vec<Condition>, type_: &str, status: &str, reason: &str, msg: &str, now: crate::sim::time::SimTime) {
    let changed = conds.iter().find(|c| c.type_ == type_).is_none_or(|c| c.reason != reason || c.status != status);
    set_condition(conds, type_, status, reason, msg, now);
    if changed {
        if let Some(c) = conds.iter_mut().find(|c| c.type_ == type_) {
            c.last_update_time = Some(now);
        }
    }
}
