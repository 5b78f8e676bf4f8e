//! The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): keeps the number of
//! active pods owned by each ReplicaSet equal to `spec.replicas`. Expectations stop it from
//! acting twice on the same difference before its own writes come back through the watch.
//!
//! A ReplicaSet counts the pods it controls that its selector still matches. As upstream's
//! ClaimPods does, it releases a pod of its own whose labels no longer match (a merge patch
//! removing its owner reference; relabelling a pod is how one takes it out of service for
//! debugging), and adopts an orphan that matches (a patch adding one), so a hand-made pod
//! with the right labels counts toward the replicas.

use std::collections::{BTreeMap, BTreeSet};

use super::{claim, controller_of, controller_ref, object_key, source, split_key, WorkQueue};
use crate::sim::engine::Ctx;
use crate::sim::informer::{Change, Informers};
use crate::sim::keyed::FxHashMap;
use crate::sim::message::*;
use crate::sim::objects::*;
use crate::sim::time::SimTime;

/// Pods created or deleted per sync at most (the real controller's burstReplicas).
const BURST_REPLICAS: usize = 500;

#[derive(Clone, Debug, Default)]
struct Expectations {
    adds: i64,
    dels: i64,
}

#[derive(Clone, Debug)]
pub struct ReplicaSetController {
    queue: WorkQueue,
    expectations: BTreeMap<Str, Expectations>,
    /// Pod creations in flight: request id → ReplicaSet key (for the SuccessfulCreate event).
    creating: BTreeMap<RequestId, Str>,
    deleting: BTreeMap<RequestId, (Str, Str)>,
    /// Active pods per ReplicaSet uid, with running counts, kept from the informers' changes
    /// so a sync costs O(1) rather than a walk over every pod (which made 150,000 replicas
    /// quadratic).
    pods_by_owner: BTreeMap<Str, OwnedPods>,
    /// Pods a ReplicaSet (by key) is to look at in its next sync, by name: its own pods that
    /// its selector no longer matches, and orphans it matches.
    claims: BTreeMap<Str, BTreeSet<Str>>,
    /// Ownership patches in flight: request id → pod uid (one at a time per pod).
    patching: BTreeMap<RequestId, Str>,
}

#[derive(Clone, Debug, Default)]
struct OwnedPods {
    /// The owner's `namespace/name`, built once rather than for every change of its pods.
    key: Str,
    /// Pod uid → (pod, whether it carries all the owner's template labels). Only looked up;
    /// scale-down ranks the pods itself. (The uid is the pod's own string: no key to build.)
    pods: FxHashMap<Str, (ObjectRc, bool)>,
    ready: i32,
    labeled: i32,
}

impl OwnedPods {
    fn remove(&mut self, key: &str) -> bool {
        let Some((old, labeled)) = self.pods.remove(key) else { return false };
        self.ready -= i32::from(old.as_pod().is_some_and(Pod::is_ready));
        self.labeled -= i32::from(labeled);
        true
    }
    /// Adds or replaces the pod; true if it was there (one lookup in a table of every pod).
    fn insert(&mut self, key: Str, pod: ObjectRc, labeled: bool) -> bool {
        self.ready += i32::from(pod.as_pod().is_some_and(Pod::is_ready));
        self.labeled += i32::from(labeled);
        let Some((old, was_labeled)) = self.pods.insert(key, (pod, labeled)) else { return false };
        self.ready -= i32::from(old.as_pod().is_some_and(Pod::is_ready));
        self.labeled -= i32::from(was_labeled);
        true
    }
}

/// The ReplicaSet cached under `namespace/name`.
fn rs_in(informers: &Informers, key: &str) -> Option<ObjectRc> {
    let (ns, name) = split_key(key);
    informers.get(Kind::ReplicaSet).get(ns, name).cloned()
}

fn carries_labels(template: &Labels, pod: &ObjectRc) -> bool {
    // A pod made from the template shares its labels.
    template.same(&pod.meta().labels) || template.iter().all(|(k, v)| pod.meta().labels.get(k) == Some(v))
}

impl Default for ReplicaSetController {
    fn default() -> Self {
        Self::new()
    }
}

fn is_active(p: &Pod) -> bool {
    p.metadata.deletion_timestamp.is_none() && p.status.phase != "Succeeded" && p.status.phase != "Failed"
}

impl ReplicaSetController {
    pub fn new() -> Self {
        ReplicaSetController {
            queue: WorkQueue::default(),
            expectations: BTreeMap::new(),
            creating: BTreeMap::new(),
            deleting: BTreeMap::new(),
            pods_by_owner: BTreeMap::new(),
            claims: BTreeMap::new(),
            patching: BTreeMap::new(),
        }
    }

    /// The informer handlers (ReplicaSets and pods).
    pub fn on_change(&mut self, informers: &Informers, kind: Kind, change: &Change) {
        match kind {
            Kind::ReplicaSet => self.on_replica_set_change(informers, change),
            Kind::Pod => self.on_pod_change(informers, change),
            _ => {}
        }
    }

    /// Syncs every queued ReplicaSet (once the caches are synced).
    pub fn drain(&mut self, ctx: &mut Ctx, informers: &Informers) {
        while let Some(key) = self.queue.pop() {
            self.sync_replica_set(ctx, informers, &key);
        }
    }

    /// A changed template's labels change which pods count as fully labeled; a new
    /// ReplicaSet looks for orphans to adopt.
    fn on_replica_set_change(&mut self, informers: &Informers, change: &Change) {
        if let (Change::Added(o), Some(rs)) = (change, change.object().as_replica_set()) {
            let orphans: BTreeSet<Str> = informers.get(Kind::Pod).values().filter(|p| p.namespace() == o.namespace() && controller_of(p).is_none() && p.as_pod().is_some_and(is_active) && rs.spec.selector.matches(&p.meta().labels)).map(|p| p.meta().name.clone()).collect();
            if !orphans.is_empty() {
                self.claims.entry(object_key(o)).or_default().extend(orphans);
            }
        }
        if let Change::Updated { old, new } = change {
            let labels = |o: &ObjectRc| o.as_replica_set().map(|r| r.spec.template.metadata.labels.clone());
            if labels(old) != labels(new) {
                if let (Some(owned), Some(template)) = (self.pods_by_owner.get_mut(&new.meta().uid), labels(new)) {
                    let pods: Vec<(Str, ObjectRc)> = owned.pods.iter().map(|(k, (p, _))| (k.clone(), p.clone())).collect();
                    for (k, p) in pods {
                        let labeled = carries_labels(&template, &p);
                        owned.insert(k, p, labeled);
                    }
                }
            }
        }
        self.queue.add(object_key(change.object()));
    }

    /// The pod handlers of replica_set.go: find the owner, lower its expectations, enqueue it;
    /// for an orphan, the ReplicaSets that might adopt it.
    fn on_pod_change(&mut self, informers: &Informers, change: &Change) {
        let pod = change.object().clone();
        if let Change::Updated { old, .. } = change {
            // Its controller changed (adopted, released, edited): the old one loses it.
            match controller_of(old) {
                Some(was) if was.kind == "ReplicaSet" && controller_of(&pod).is_none_or(|now| now.uid != was.uid) => self.forget(&was.uid, &pod),
                _ => {}
            }
        }
        let Some(owner) = controller_of(&pod) else { return self.on_orphan_change(informers, change) };
        if owner.kind != "ReplicaSet" {
            return;
        }
        let uid = owner.uid.clone();
        let owner_key = match self.pods_by_owner.get(&uid) {
            Some(owned) => owned.key.clone(),
            None => Str::concat(&[pod.namespace(), "/", &owner.name]),
        };
        let active = pod.as_pod().is_some_and(is_active);
        let pod_key = pod.meta().uid.clone();
        // Whether the pod carries the template's labels, and whether the selector still
        // matches it (a pod made from the current template shares its labels, which the
        // selector matches: validation makes sure of it).
        let (labeled, selected) = match rs_in(informers, &owner_key).filter(|r| r.meta().uid == uid).as_ref().and_then(|r| r.as_replica_set()) {
            Some(rs) if rs.spec.template.metadata.labels.same(&pod.meta().labels) => (true, true),
            Some(rs) => {
                let selected = rs.spec.selector.matches(&pod.meta().labels);
                if !selected && active && rs.metadata.deletion_timestamp.is_none() {
                    self.claims.entry(owner_key.clone()).or_default().insert(pod.meta().name.clone());
                }
                (carries_labels(&rs.spec.template.metadata.labels, &pod), selected)
            }
            None => (true, true),
        };
        let owned = self.pods_by_owner.entry(uid.clone()).or_insert_with(|| OwnedPods { key: owner_key.clone(), ..Default::default() });
        let was_counted = match change {
            Change::Deleted(_) => owned.remove(&pod_key),
            _ if active && selected => owned.insert(pod_key, pod.clone(), labeled),
            _ => owned.remove(&pod_key),
        };
        if owned.pods.is_empty() {
            self.pods_by_owner.remove(&uid);
        }
        let exp = self.expectations.entry(owner_key.clone()).or_default();
        match change {
            Change::Added(_) => exp.adds -= 1,
            Change::Deleted(_) if was_counted => exp.dels -= 1,
            Change::Updated { .. } if was_counted && !active => exp.dels -= 1,
            _ => {}
        }
        self.queue.add(owner_key);
    }

    /// A pod that ReplicaSet `uid` no longer controls stops counting toward it.
    fn forget(&mut self, uid: &Str, pod: &ObjectRc) {
        let Some(owned) = self.pods_by_owner.get_mut(uid) else { return };
        owned.remove(&pod.meta().uid);
        let key = owned.key.clone();
        if owned.pods.is_empty() {
            self.pods_by_owner.remove(uid);
        }
        self.queue.add(key);
    }

    /// getPodReplicaSets for a pod no controller owns: every ReplicaSet in its namespace whose
    /// selector matches it will try to adopt it (the first patch wins; the others are refused).
    fn on_orphan_change(&mut self, informers: &Informers, change: &Change) {
        let (Change::Added(pod) | Change::Updated { new: pod, .. }) = change else { return };
        if !pod.as_pod().is_some_and(is_active) {
            return;
        }
        let adopters: Vec<Str> = informers
            .get(Kind::ReplicaSet)
            .values()
            .filter(|o| o.namespace() == pod.namespace() && o.meta().deletion_timestamp.is_none())
            .filter(|o| o.as_replica_set().is_some_and(|rs| !rs.spec.selector.is_empty() && rs.spec.selector.matches(&pod.meta().labels)))
            .map(|o| object_key(o))
            .collect();
        for key in adopters {
            self.claims.entry(key.clone()).or_default().insert(pod.meta().name.clone());
            self.queue.add(key);
        }
    }

    /// ClaimPods' writes for ReplicaSet `key`: release the pods it controls that its selector
    /// no longer matches, adopt the orphans it matches. Each pod is looked at as it is now.
    fn claim(&mut self, ctx: &mut Ctx, informers: &Informers, key: &Str, rs_obj: &ObjectRc, rs: &ReplicaSet) {
        let Some(names) = self.claims.remove(key) else { return };
        // A ReplicaSet being deleted neither adopts nor releases.
        if rs.metadata.deletion_timestamp.is_some() {
            return;
        }
        let (ns, _) = split_key(key);
        for name in names {
            let Some(pod) = informers.get(Kind::Pod).get(ns, &name).cloned() else { continue };
            if self.patching.values().any(|uid| *uid == pod.meta().uid) {
                // Its answer will bring the pod back here if there is more to do.
                continue;
            }
            let selected = rs.spec.selector.matches(&pod.meta().labels);
            let Some(op) = claim("ReplicaSet", rs_obj, &pod, selected, pod.as_pod().is_some_and(is_active)) else { continue };
            let id = self.queue.request(ctx, key, MetaPatch::request(&pod, op));
            self.patching.insert(id, pod.meta().uid.clone());
        }
    }

    /// Answers to this controller's own writes.
    pub fn on_response(&mut self, ctx: &mut Ctx, informers: &Informers, resp: &ApiResponse) {
        self.queue.done(resp.id);
        // An ownership patch refused (the pod is gone, was made again, or has another
        // controller by now) needs nothing more: the pod's next change says what it is.
        if self.patching.remove(&resp.id).is_some() {
            return;
        }
        if let Some(rs_key) = self.creating.remove(&resp.id) {
            match &resp.result {
                Ok(ApiReply::Object(pod)) => {
                    if let Some(rs) = rs_in(informers, &rs_key) {
                        ctx.event(source("replicaset-controller"), rs.kind(), rs.meta(), "Normal", "SuccessfulCreate", Str::concat(&["Created pod: ", pod.name()]));
                    }
                }
                Err(e) => {
                    if let Some(exp) = self.expectations.get_mut(&rs_key) {
                        exp.adds -= 1;
                    }
                    if let Some(rs) = rs_in(informers, &rs_key) {
                        ctx.event(source("replicaset-controller"), rs.kind(), rs.meta(), "Warning", "FailedCreate", format!("Error creating: {}", e.message).into());
                    }
                    self.queue.add(rs_key);
                }
                _ => {}
            }
        } else if let Some((rs_key, pod)) = self.deleting.remove(&resp.id) {
            match &resp.result {
                Ok(_) => {
                    if let Some(rs) = rs_in(informers, &rs_key) {
                        ctx.event(source("replicaset-controller"), rs.kind(), rs.meta(), "Normal", "SuccessfulDelete", format!("Deleted pod: {pod}").into());
                    }
                }
                Err(_) => {
                    if let Some(exp) = self.expectations.get_mut(&rs_key) {
                        exp.dels -= 1;
                    }
                    self.queue.add(rs_key);
                }
            }
        }
    }

    /// syncReplicaSet: manage replicas if expectations are met, then update status.
    fn sync_replica_set(&mut self, ctx: &mut Ctx, informers: &Informers, key: &Str) {
        let Some(rs_obj) = rs_in(informers, key) else {
            self.expectations.remove(key);
            self.claims.remove(key);
            return;
        };
        let Some(rs) = rs_obj.as_replica_set() else { return };
        self.claim(ctx, informers, key, &rs_obj, rs);
        let satisfied = self.expectations.get(key).is_none_or(|e| e.adds <= 0 && e.dels <= 0);
        if satisfied && rs.metadata.deletion_timestamp.is_none() {
            self.manage_replicas(ctx, informers, key, &rs_obj, rs);
        }
        self.update_status(ctx, key, rs);
    }

    /// manageReplicas: the diff between desired and actual, in bursts.
    fn manage_replicas(&mut self, ctx: &mut Ctx, informers: &Informers, key: &Str, rs_obj: &ObjectRc, rs: &ReplicaSet) {
        let want = rs.spec.replicas.unwrap_or(1).max(0) as usize;
        let owned = self.pods_by_owner.get(&rs.metadata.uid);
        let have = owned.map_or(0, |o| o.pods.len());
        if have < want {
            let n = (want - have).min(BURST_REPLICAS);
            self.expectations.insert(key.clone(), Expectations { adds: n as i64, dels: 0 });
            // One pod built for the burst; its copies share its strings and lists.
            let pod = pod_from_template(rs_obj, rs);
            for _ in 0..n {
                let id = self.queue.request(ctx, key, ApiRequest::with_object(Verb::Create, Object::Pod(pod.clone())));
                self.creating.insert(id, key.clone());
            }
        } else if have > want {
            let n = (have - want).min(BURST_REPLICAS);
            // getPodsToDelete: each pod ranked by the related pods on its node, then the least
            // useful first.
            let per_node = self.pods_per_node(informers, rs_obj);
            let mut ranked: Vec<(&Pod, usize)> = owned.map(|o| o.pods.values().filter_map(|(p, _)| p.as_pod()).map(|p| (p, per_node.get(&p.spec.node_name).copied().unwrap_or(0))).collect()).unwrap_or_default();
            let now = ctx.now;
            ranked.sort_by_cached_key(|p| deletion_key(p, now));
            let victims: Vec<(Str, Str)> = ranked.into_iter().take(n).map(|(p, _)| (p.metadata.namespace.clone(), p.metadata.name.clone())).collect();
            self.expectations.insert(key.clone(), Expectations { adds: 0, dels: n as i64 });
            for (ns, name) in victims {
                let id = self.queue.request(ctx, key, ApiRequest::new(Verb::Delete, Kind::Pod, &ns, &name));
                self.deleting.insert(id, (key.clone(), name));
            }
        }
    }

    /// getPodsRankedByRelatedPodsOnSameNode: active pods per node, counting this ReplicaSet's
    /// and those of the other ReplicaSets its Deployment controls (getIndirectlyRelatedPods).
    fn pods_per_node(&self, informers: &Informers, rs_obj: &ObjectRc) -> FxHashMap<Str, usize> {
        let owners: Vec<Str> = match controller_of(rs_obj) {
            Some(d) => informers.get(Kind::ReplicaSet).values().filter(|r| r.namespace() == rs_obj.namespace() && controller_of(r).is_some_and(|c| c.uid == d.uid)).map(|r| r.meta().uid.clone()).collect(),
            None => vec![rs_obj.meta().uid.clone()],
        };
        let mut per_node = FxHashMap::default();
        for pod in owners.iter().filter_map(|uid| self.pods_by_owner.get(uid)).flat_map(|o| o.pods.values()).filter_map(|(p, _)| p.as_pod()) {
            *per_node.entry(pod.spec.node_name.clone()).or_insert(0) += 1;
        }
        per_node
    }

    /// calculateStatus + updateReplicaSetStatus: write only when something changed.
    fn update_status(&mut self, ctx: &mut Ctx, key: &Str, rs: &ReplicaSet) {
        let (replicas, ready, labeled) = self.pods_by_owner.get(&rs.metadata.uid).map_or((0, 0, 0), |o| (o.pods.len() as i32, o.ready, o.labeled));
        let status = ReplicaSetStatus { replicas, fully_labeled_replicas: labeled, ready_replicas: ready, available_replicas: ready, observed_generation: rs.metadata.generation };
        if status != rs.status {
            let mut next = rs.clone();
            next.status = status;
            next.metadata.resource_version.clear();
            self.queue.request(ctx, key, ApiRequest::with_object(Verb::UpdateStatus, Object::ReplicaSet(next)));
        }
    }
}

/// ActivePodsWithRanks.Less (controller_utils.go) as a sort key, with the pod's rank (related
/// pods on the same node): smaller is deleted first. Unassigned first; then Pending before
/// Unknown before Running; not ready before ready; a lower pod-deletion-cost annotation first;
/// more related pods on its node first; ready for less time first; more container restarts
/// first; created more recently first. Times compare on LogarithmicScaleDown's scale (GA
/// since 1.31): within the same power of two of age, the lower uid goes first, which makes
/// the choice among like pods pseudo-random. (Upstream's Less is not quite a total order,
/// which Go's sort tolerates and Rust's does not: here a uid settles every tie within an age
/// bucket, even between pods of the very same age, and the name settles the rest.)
#[allow(clippy::type_complexity)]
fn deletion_key((p, rank): &(&Pod, usize), now: SimTime) -> (bool, u8, bool, i32, std::cmp::Reverse<usize>, (i64, Str), std::cmp::Reverse<i32>, (i64, Str), Str) {
    let phase = match p.status.phase.as_str() {
        "Unknown" => 1,
        "Running" => 2,
        _ => 0,
    };
    let cost = p.metadata.annotations.get("controller.kubernetes.io/pod-deletion-cost").and_then(|c| c.parse::<i32>().ok()).unwrap_or(0);
    // logarithmicRankDiff's rank: log2 of the age in nanoseconds; an unset time goes first.
    let age = |t: Option<SimTime>| -> (i64, Str) {
        match t {
            None => (i64::MIN, Str::EMPTY),
            Some(t) => match now.since(t).0.saturating_mul(1_000) {
                0 => (-1, p.metadata.uid.clone()),
                ns => ((ns as f64).log2() as i64, p.metadata.uid.clone()),
            },
        }
    };
    let ready = p.is_ready();
    let ready_since = p.status.conditions.iter().find(|c| c.type_ == "Ready" && c.status == "True").and_then(|c| c.last_transition_time);
    let restarts = p.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0);
    (
        !p.spec.node_name.is_empty(),
        phase,
        ready,
        cost,
        std::cmp::Reverse(*rank),
        // (Only ready pods compare by how long they have been ready.)
        if ready { age(ready_since) } else { (i64::MIN, Str::EMPTY) },
        std::cmp::Reverse(restarts),
        age(p.metadata.creation_timestamp),
        p.metadata.name.clone(),
    )
}

fn pod_from_template(rs_obj: &ObjectRc, rs: &ReplicaSet) -> Pod {
    let t = &rs.spec.template;
    Pod {
        metadata: ObjectMeta {
            generate_name: Str::concat(&[&rs.metadata.name, "-"]),
            namespace: rs.metadata.namespace.clone(),
            labels: t.metadata.labels.clone(),
            annotations: t.metadata.annotations.clone(),
            owner_references: vec![controller_ref("ReplicaSet", rs_obj)].into(),
            ..Default::default()
        },
        spec: t.spec.clone().into(),
        status: PodStatus::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(uid: &str, ready: bool) -> ObjectRc {
        let mut p = Pod::default();
        p.metadata.uid = uid.into();
        if ready {
            crate::sim::api_server::set_condition(&mut p.status.conditions, "Ready", "True", "", "", crate::sim::time::SimTime::ZERO);
        }
        std::rc::Rc::new(Object::Pod(p))
    }

    #[test]
    fn owned_pods_count_ready_and_labeled_pods_through_replacements() {
        let mut owned = OwnedPods::default();
        assert!(!owned.insert("a".into(), pod("a", false), true), "new");
        assert!(!owned.insert("b".into(), pod("b", true), false), "new");
        assert_eq!((owned.ready, owned.labeled), (1, 1));
        assert!(owned.insert("a".into(), pod("a", true), false), "replaced");
        assert_eq!((owned.pods.len(), owned.ready, owned.labeled), (2, 2, 0));
        assert!(owned.remove("b") && !owned.remove("b"));
        assert_eq!((owned.pods.len(), owned.ready, owned.labeled), (1, 1, 0));
    }

    #[test]
    fn a_pod_carries_the_labels_it_shares_with_its_template_or_a_copy_of_them() {
        let mut template = Labels::new();
        template.insert("app".into(), "web".into());
        let with = |labels: Labels| {
            let mut p = Pod::default();
            p.metadata.labels = labels;
            std::rc::Rc::new(Object::Pod(p))
        };
        assert!(carries_labels(&template, &with(template.clone())));
        let mut more = template.clone();
        more.insert("extra".into(), "1".into());
        assert!(carries_labels(&template, &with(more)), "a copy with more labels");
        assert!(!carries_labels(&template, &with(Labels::new())));
    }
}
