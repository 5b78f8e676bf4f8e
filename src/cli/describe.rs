//! `kubectl describe`: the human summary of one object, ending with its Events table.

use super::printers::human_duration;
use crate::sim::objects::*;
use crate::sim::Sim;

fn kv(out: &mut String, k: &str, v: impl std::fmt::Display) {
    out.push_str(&format!("{:<18}{}\n", format!("{k}:  "), v));
}

fn labels(l: &Labels) -> String {
    if l.is_empty() { "<none>".into() } else { l.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n                  ") }
}

fn ts(t: Option<crate::sim::SimTime>) -> String {
    t.map(|t| t.rfc1123z()).unwrap_or_else(|| "<unset>".into())
}

fn events_block(sim: &Sim, o: &ObjectRc, events: &[ObjectRc]) -> String {
    let mut mine: Vec<&Event> = events.iter().filter_map(|e| e.as_event()).filter(|e| e.involved_object.uid == o.meta().uid).collect();
    // SortableEvents: by last timestamp.
    mine.sort_by_key(|e| e.last_timestamp);
    if mine.is_empty() {
        return "Events:            <none>".into();
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
    kv(&mut out, "Name", &m.name);
    if o.kind().namespaced() {
        kv(&mut out, "Namespace", &m.namespace);
    }
    match &**o {
        Object::Pod(p) => {
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
            kv(&mut out, "CreationTimestamp", ts(m.creation_timestamp));
            kv(&mut out, "Labels", labels(&m.labels));
            kv(&mut out, "Selector", d.spec.selector.to_selector_string());
            let s = &d.status;
            kv(&mut out, "Replicas", format!("{} desired | {} updated | {} total | {} available | {} unavailable", d.spec.replicas.unwrap_or(1), s.updated_replicas, s.replicas, s.available_replicas, s.unavailable_replicas));
            kv(&mut out, "StrategyType", &d.spec.strategy.type_);
            kv(&mut out, "MinReadySeconds", d.spec.min_ready_seconds.unwrap_or(0));
            if let Some(ru) = &d.spec.strategy.rolling_update {
                let f = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string())).unwrap_or_default();
                kv(&mut out, "RollingUpdateStrategy", format!("{} max unavailable, {} max surge", f(&ru.max_unavailable), f(&ru.max_surge)));
            }
            out.push_str("Pod Template:\n");
            out.push_str(&format!("  Labels:  {}\n  Containers:\n", labels(&d.spec.template.metadata.labels)));
            for c in &d.spec.template.spec.containers {
                out.push_str(&format!("   {}:\n    Image:      {}\n", c.name, c.image));
            }
            out.push_str("Conditions:\n  Type           Status  Reason\n  ----           ------  ------\n");
            for c in &s.conditions {
                out.push_str(&format!("  {:<15}{:<8}{}\n", c.type_, c.status, c.reason));
            }
            let new_rs = sim.objects(Kind::ReplicaSet).filter_map(|r| r.as_replica_set()).find(|r| r.metadata.owner_references.iter().any(|o| o.uid == m.uid) && r.spec.replicas.unwrap_or(0) > 0);
            kv(&mut out, "NewReplicaSet", new_rs.map(|r| format!("{} ({}/{} replicas created)", r.metadata.name, r.status.replicas, r.spec.replicas.unwrap_or(0))).unwrap_or_else(|| "<none>".into()));
        }
        Object::ReplicaSet(r) => {
            kv(&mut out, "Selector", r.spec.selector.to_selector_string());
            kv(&mut out, "Labels", labels(&m.labels));
            if let Some(o) = m.owner_references.iter().find(|o| o.controller) {
                kv(&mut out, "Controlled By", format!("{}/{}", o.kind, o.name));
            }
            kv(&mut out, "Replicas", format!("{} current / {} desired", r.status.replicas, r.spec.replicas.unwrap_or(1)));
            kv(&mut out, "Pods Status", format!("{} Running / {} Waiting / 0 Succeeded / 0 Failed", r.status.ready_replicas, r.status.replicas - r.status.ready_replicas));
        }
        Object::Node(n) => {
            kv(&mut out, "Roles", "<none>");
            kv(&mut out, "Labels", labels(&m.labels));
            kv(&mut out, "CreationTimestamp", ts(m.creation_timestamp));
            let taints: Vec<String> = n.spec.taints.iter().map(|t| if t.value.is_empty() { format!("{}:{}", t.key, t.effect) } else { format!("{}={}:{}", t.key, t.value, t.effect) }).collect();
            kv(&mut out, "Taints", if taints.is_empty() { "<none>".into() } else { taints.join("\n                  ") });
            kv(&mut out, "Unschedulable", n.spec.unschedulable);
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
            // describeService's keys are wider than the rest (its own tabwriter).
            out.clear();
            let kv = |out: &mut String, k: &str, v: &dyn std::fmt::Display| out.push_str(&format!("{:<26}{}\n", format!("{k}:  "), v));
            kv(&mut out, "Name", &m.name);
            kv(&mut out, "Namespace", &m.namespace);
            kv(&mut out, "Labels", &labels(&m.labels).replace("\n                  ", &format!("\n{}", " ".repeat(26))));
            kv(&mut out, "Annotations", &if m.annotations.is_empty() { "<none>".to_string() } else { m.annotations.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join(&format!("\n{}", " ".repeat(26))) });
            kv(&mut out, "Selector", &if s.spec.selector.is_empty() { "<none>".into() } else { s.spec.selector.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",") });
            kv(&mut out, "Type", &s.spec.type_);
            kv(&mut out, "IP Family Policy", &s.spec.ip_family_policy);
            kv(&mut out, "IP Families", &s.spec.ip_families.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(","));
            kv(&mut out, "IP", &s.spec.cluster_ip);
            kv(&mut out, "IPs", &s.spec.cluster_ips.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(","));
            let eps = sim.get(Kind::Endpoints, &m.namespace, &m.name).and_then(|e| e.as_endpoints()).map(super::kubectl::format_endpoints).unwrap_or_else(|| "<none>".into());
            for p in &s.spec.ports {
                kv(&mut out, "Port", &format!("{}  {}/{}", if p.name.is_empty() { "<unset>" } else { &p.name }, p.port, p.protocol));
                let target = match &p.target_port {
                    Some(serde_json::Value::String(name)) => name.clone(),
                    Some(v) => v.to_string(),
                    None => p.port.to_string(),
                };
                kv(&mut out, "TargetPort", &format!("{target}/{}", p.protocol));
                if let Some(np) = p.node_port {
                    kv(&mut out, "NodePort", &format!("{}  {np}/{}", if p.name.is_empty() { "<unset>" } else { &p.name }, p.protocol));
                }
                kv(&mut out, "Endpoints", &eps);
            }
            kv(&mut out, "Session Affinity", &s.spec.session_affinity);
            kv(&mut out, "Internal Traffic Policy", &s.spec.internal_traffic_policy);
            let events = events_block(sim, o, events);
            out.push_str(&events.replacen("Events:            <none>", &format!("{:<26}<none>", "Events:"), 1));
            return out;
        }
        _ => {
            kv(&mut out, "Labels", labels(&m.labels));
        }
    }
    out.push_str(&events_block(sim, o, events));
    out
}
