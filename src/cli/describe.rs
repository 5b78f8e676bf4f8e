//! `kubectl describe`: the human summary of one object, ending with its Events table.

use super::printers::human_duration;
use crate::sim::objects::*;
use crate::sim::Sim;

fn kv(out: &mut String, k: &str, v: impl std::fmt::Display) {
    out.push_str(&format!("{:<18}{}\n", format!("{k}:  "), v));
}

/// Key/value lines aligned as kubectl's tabwriter aligns a block of `Key:\tvalue` lines: every
/// value starts two columns after the longest key; a value's further lines start there too.
/// Returns the width, for lines the caller aligns with the block.
fn block(out: &mut String, rows: &[(&str, String)]) -> usize {
    let width = rows.iter().map(|(k, _)| k.len() + 1).max().unwrap_or(0) + 2;
    for (k, v) in rows {
        let v = v.replace('\n', &format!("\n{}", " ".repeat(width)));
        out.push_str(&format!("{:<width$}{v}\n", format!("{k}:")));
    }
    width
}

/// Labels one per line, the further ones under the first at the fixed width of `kv`.
fn labels(l: &Labels) -> String {
    label_lines(l).replace('\n', "\n                  ")
}

/// Labels one per line (for `block`, which indents the further lines).
fn label_lines(l: &Labels) -> String {
    super::kubectl::format_labels(l, "\n")
}

/// Annotations one per line, as `key: value`.
fn annotation_lines(a: &Labels) -> String {
    if a.is_empty() { "<none>".into() } else { a.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("\n") }
}

/// The description's last block, then its events; without events, "Events:\t<none>" is one
/// more line of that block.
fn last_block_and_events(mut out: String, mut rows: Vec<(&str, String)>, events: String) -> String {
    if events.starts_with(EVENTS_NONE) {
        rows.push(("Events", "<none>".into()));
        block(&mut out, &rows);
        return out.trim_end().to_string();
    }
    block(&mut out, &rows);
    out.push_str(&events);
    out
}

/// describePodTemplate: the template's labels and containers, as describe deployment and
/// describe replicaset print them. A container's name line ends a tabwriter block, so each
/// container's fields align among themselves, and the template's own fields join the last one's.
/// Returns the width of its last block (an empty Events line joins it).
fn pod_template(out: &mut String, t: &PodTemplateSpec) -> usize {
    out.push_str("Pod Template:\n");
    out.push_str(&format!("  Labels:  {}\n  Containers:\n", label_lines(&t.metadata.labels).replace('\n', "\n           ")));
    let own = [
        ("  Volumes", "<none>".to_string()),
        ("  Node-Selectors", super::kubectl::format_labels(&t.spec.node_selector, ",")),
        ("  Tolerations", if t.spec.tolerations.is_empty() { "<none>".into() } else { t.spec.tolerations.iter().map(|t| format!("{}:{}", t.key, t.effect)).collect::<Vec<_>>().join(",") }),
    ];
    let n = t.spec.containers.len();
    for (i, c) in t.spec.containers.iter().enumerate() {
        out.push_str(&format!("   {}:\n", c.name));
        let port = c.ports.first().map(|p| (p.container_port, if p.protocol.is_empty() { "TCP".to_string() } else { p.protocol.to_string() }));
        let mut rows = vec![
            ("    Image", c.image.to_string()),
            ("    Port", port.as_ref().map_or("<none>".into(), |(p, proto)| format!("{p}/{proto}"))),
            ("    Host Port", port.as_ref().map_or("<none>".into(), |(_, proto)| format!("0/{proto}"))),
            ("    Environment", "<none>".to_string()),
            ("    Mounts", "<none>".to_string()),
        ];
        if i + 1 == n {
            rows.extend(own.iter().cloned());
            return block(out, &rows);
        }
        block(out, &rows);
    }
    block(out, &own)
}

fn ts(t: Option<crate::sim::SimTime>) -> String {
    t.map(|t| t.rfc1123z()).unwrap_or_else(|| "<unset>".into())
}

/// The events line of an object without events, at the width of the pod's first block.
const EVENTS_NONE: &str = "Events:            <none>";

fn events_block(sim: &Sim, o: &ObjectRc, events: &[ObjectRc]) -> String {
    let mut mine: Vec<&Event> = events.iter().filter_map(|e| e.as_event()).filter(|e| e.involved_object.uid == o.meta().uid).collect();
    // SortableEvents: by last timestamp.
    mine.sort_by_key(|e| e.last_timestamp);
    if mine.is_empty() {
        return EVENTS_NONE.into();
    }
    let rows: Vec<Vec<String>> = mine
        .iter()
        .map(|e| {
            // DescribeEvents: "3m (x4 over 10m)" for an event seen more than once.
            let age = if e.count > 1 {
                format!("{} (x{} over {})", human_duration(sim.now().since(e.last_timestamp)), e.count, human_duration(sim.now().since(e.first_timestamp)))
            } else {
                human_duration(sim.now().since(e.first_timestamp))
            };
            vec![e.type_.to_string(), e.reason.to_string(), age, e.source.component.to_string(), e.message.to_string()]
        })
        .collect();
    let header = ["Type", "Reason", "Age", "From", "Message"];
    let mut all = vec![header.iter().map(|h| "-".repeat(h.len())).collect::<Vec<_>>()];
    all.extend(rows);
    let table = super::printers::table_with_padding(&header, &all, 2);
    let mut out = String::from("Events:\n");
    for l in table.lines() {
        out.push_str(&format!("  {l}\n"));
    }
    out.trim_end().to_string()
}

pub fn describe(sim: &Sim, o: &ObjectRc, events: &[ObjectRc]) -> String {
    let mut out = String::new();
    let m = o.meta();
    // The kinds kubesim lays out with the pod's fixed width start with their names that way;
    // the others (`block`) put the names in their first block.
    let names = |out: &mut String| {
        kv(out, "Name", &m.name);
        if o.kind().namespaced() {
            kv(out, "Namespace", &m.namespace);
        }
    };
    match &**o {
        Object::Pod(p) => {
            names(&mut out);
            kv(&mut out, "Priority", p.spec.priority.unwrap_or(0));
            kv(&mut out, "Service Account", "default");
            kv(&mut out, "Node", if p.spec.node_name.is_empty() { "<none>".to_string() } else { format!("{}/{}", p.spec.node_name, p.status.host_ip) });
            kv(&mut out, "Start Time", ts(p.status.start_time));
            kv(&mut out, "Labels", labels(&m.labels));
            kv(&mut out, "Status", p.display_status());
            kv(&mut out, "IP", if p.status.pod_ip.is_empty() { "" } else { &p.status.pod_ip });
            if let Some(r) = p.controller_ref() {
                kv(&mut out, "Controlled By", format!("{}/{}", r.kind, r.name));
            }
            out.push_str("Containers:\n");
            for c in &p.spec.containers {
                let st = p.status.container_statuses.iter().find(|s| s.name == c.name);
                out.push_str(&format!("  {}:\n", c.name));
                out.push_str(&format!("    Container ID:   {}\n", st.map(|s| s.container_id.as_str()).unwrap_or("")));
                out.push_str(&format!("    Image:          {}\n", c.image));
                out.push_str(&format!("    Image ID:       {}\n", st.map(|s| s.image_id.as_str()).unwrap_or("")));
                let state = match st.map(|s| &s.state) {
                    Some(ContainerState { running: Some(r), .. }) => format!("Running\n      Started:      {}", ts(Some(r.started_at))),
                    Some(ContainerState { waiting: Some(w), .. }) => format!("Waiting\n      Reason:       {}", w.reason),
                    _ => "Waiting".into(),
                };
                out.push_str(&format!("    State:          {state}\n"));
                if let Some(t) = st.and_then(|s| s.last_state.terminated.as_ref()) {
                    out.push_str(&format!("    Last State:     Terminated\n      Reason:       {}\n      Exit Code:    {}\n      Started:      {}\n      Finished:     {}\n", t.reason, t.exit_code, ts(t.started_at), ts(t.finished_at)));
                }
                out.push_str(&format!("    Ready:          {}\n", st.is_some_and(|s| s.ready).to_string().replace('t', "T").replace('f', "F")));
                out.push_str(&format!("    Restart Count:  {}\n", st.map_or(0, |s| s.restart_count)));
            }
            out.push_str("Conditions:\n  Type                        Status\n");
            for c in &p.status.conditions {
                out.push_str(&format!("  {:<28}{}\n", c.type_, c.status));
            }
            kv(&mut out, "QoS Class", &p.status.qos_class);
            kv(&mut out, "Node-Selectors", if p.spec.node_selector.is_empty() { "<none>".to_string() } else { labels(&p.spec.node_selector) });
            let tols: Vec<String> = p.spec.tolerations.iter().map(|t| format!("{}:{} op={} for {}s", t.key, t.effect, t.operator, t.toleration_seconds.unwrap_or(0))).collect();
            kv(&mut out, "Tolerations", if tols.is_empty() { "<none>".into() } else { tols.join("\n                  ") });
        }
        Object::Deployment(d) => {
            let s = &d.status;
            let mut head = vec![
                ("Name", m.name.to_string()),
                ("Namespace", m.namespace.to_string()),
                ("CreationTimestamp", ts(m.creation_timestamp)),
                ("Labels", label_lines(&m.labels)),
                ("Annotations", annotation_lines(&m.annotations)),
                ("Selector", d.spec.selector.to_selector_string()),
                ("Replicas", format!("{} desired | {} updated | {} total | {} available | {} unavailable", d.spec.replicas.unwrap_or(1), s.updated_replicas, s.replicas, s.available_replicas, s.unavailable_replicas)),
                ("StrategyType", d.spec.strategy.type_.to_string()),
                ("MinReadySeconds", d.spec.min_ready_seconds.unwrap_or(0).to_string()),
            ];
            if let Some(ru) = &d.spec.strategy.rolling_update {
                let f = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string())).unwrap_or_default();
                head.push(("RollingUpdateStrategy", format!("{} max unavailable, {} max surge", f(&ru.max_unavailable), f(&ru.max_surge))));
            }
            block(&mut out, &head);
            pod_template(&mut out, &d.spec.template);
            out.push_str("Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n");
            for c in &s.conditions {
                out.push_str(&format!("  {:<15}{:<8}{}\n", c.type_, c.status, c.reason));
            }
            // The new ReplicaSet is the one running this template; old ones still have pods.
            let hash = crate::sim::controllers::pod_template_hash(&d.spec.template);
            let owned: Vec<&ReplicaSet> = sim.objects(Kind::ReplicaSet).filter_map(|r| r.as_replica_set()).filter(|r| r.metadata.owner_references.iter().any(|o| o.uid == m.uid)).collect();
            let created = |r: &ReplicaSet| format!("{} ({}/{} replicas created)", r.metadata.name, r.status.replicas, r.spec.replicas.unwrap_or(0));
            let is_new = |r: &ReplicaSet| r.metadata.labels.get("pod-template-hash").is_some_and(|h| h.as_str() == hash);
            let old: Vec<String> = owned.iter().filter(|r| !is_new(r) && r.spec.replicas.unwrap_or(0) > 0).map(|r| created(r)).collect();
            let tail = vec![
                ("OldReplicaSets", if old.is_empty() { "<none>".into() } else { old.join(", ") }),
                ("NewReplicaSet", owned.iter().find(|r| is_new(r)).map(|r| created(r)).unwrap_or_else(|| "<none>".into())),
            ];
            return last_block_and_events(out, tail, events_block(sim, o, events));
        }
        Object::ReplicaSet(r) => {
            let mut head = vec![
                ("Name", m.name.to_string()),
                ("Namespace", m.namespace.to_string()),
                ("Selector", r.spec.selector.to_selector_string()),
                ("Labels", label_lines(&m.labels)),
                ("Annotations", annotation_lines(&m.annotations)),
            ];
            if let Some(o) = m.owner_references.iter().find(|o| o.controller) {
                head.push(("Controlled By", format!("{}/{}", o.kind, o.name)));
            }
            head.push(("Replicas", format!("{} current / {} desired", r.status.replicas, r.spec.replicas.unwrap_or(1))));
            head.push(("Pods Status", format!("{} Running / {} Waiting / 0 Succeeded / 0 Failed", r.status.ready_replicas, r.status.replicas - r.status.ready_replicas)));
            block(&mut out, &head);
            let width = pod_template(&mut out, &r.spec.template);
            let events = events_block(sim, o, events);
            if events.starts_with(EVENTS_NONE) {
                // Joins the template's last block, as in kubectl's output.
                out.push_str(&format!("{:<width$}<none>", "Events:"));
                return out;
            }
            out.push_str(&events);
            return out;
        }
        Object::Node(n) => {
            let taints: Vec<String> = n.spec.taints.iter().map(|t| if t.value.is_empty() { format!("{}:{}", t.key, t.effect) } else { format!("{}={}:{}", t.key, t.value, t.effect) }).collect();
            block(
                &mut out,
                &[
                    ("Name", m.name.to_string()),
                    ("Roles", "<none>".into()),
                    ("Labels", label_lines(&m.labels)),
                    ("Annotations", annotation_lines(&m.annotations)),
                    ("CreationTimestamp", ts(m.creation_timestamp)),
                    ("Taints", if taints.is_empty() { "<none>".into() } else { taints.join("\n") }),
                    ("Unschedulable", n.spec.unschedulable.to_string()),
                ],
            );
            out.push_str("Conditions:\n");
            for c in &n.status.conditions {
                out.push_str(&format!("  {:<16}{:<8}{}\n", c.type_, c.status, c.reason));
            }
            out.push_str("Capacity:\n");
            for (k, v) in &n.status.capacity {
                out.push_str(&format!("  {k}:  {v}\n"));
            }
            let pods: Vec<&Pod> = sim.pods().filter(|p| p.spec.node_name == m.name).collect();
            out.push_str(&format!("Non-terminated Pods:          ({} in total)\n", pods.len()));
            for p in pods {
                out.push_str(&format!("  {:<12}{}\n", p.metadata.namespace, p.metadata.name));
            }
        }
        Object::Service(s) => {
            let mut rows = vec![
                ("Name", m.name.to_string()),
                ("Namespace", m.namespace.to_string()),
                ("Labels", label_lines(&m.labels)),
                ("Annotations", annotation_lines(&m.annotations)),
                ("Selector", super::kubectl::format_labels(&s.spec.selector, ",")),
                ("Type", s.spec.type_.to_string()),
                ("IP Family Policy", s.spec.ip_family_policy.to_string()),
                ("IP Families", s.spec.ip_families.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",")),
                ("IP", s.spec.cluster_ip.to_string()),
                ("IPs", s.spec.cluster_ips.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(",")),
            ];
            let eps = sim.get(Kind::Endpoints, &m.namespace, &m.name).and_then(|e| e.as_endpoints()).map(super::kubectl::format_endpoints).unwrap_or_else(|| "<none>".into());
            for p in &s.spec.ports {
                let name = if p.name.is_empty() { "<unset>" } else { &p.name };
                rows.push(("Port", format!("{name}  {}/{}", p.port, p.protocol)));
                let target = match &p.target_port {
                    Some(serde_json::Value::String(t)) => t.clone(),
                    Some(v) => v.to_string(),
                    None => p.port.to_string(),
                };
                rows.push(("TargetPort", format!("{target}/{}", p.protocol)));
                if let Some(np) = p.node_port {
                    rows.push(("NodePort", format!("{name}  {np}/{}", p.protocol)));
                }
                rows.push(("Endpoints", eps.clone()));
            }
            rows.push(("Session Affinity", s.spec.session_affinity.to_string()));
            rows.push(("Internal Traffic Policy", s.spec.internal_traffic_policy.to_string()));
            return last_block_and_events(out, rows, events_block(sim, o, events));
        }
        _ => {
            names(&mut out);
            kv(&mut out, "Labels", labels(&m.labels));
        }
    }
    out.push_str(&events_block(sim, o, events));
    out
}
