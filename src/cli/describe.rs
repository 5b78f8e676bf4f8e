//! `kubectl describe`: the human summary of one object, ending with its Events table.

use super::printers::{event_interval, human_duration};
use crate::sim::objects::*;
use crate::sim::Sim;

/// Labels one per line (`tabbed` puts the further ones in the value's column).
fn label_lines(l: &Labels) -> String {
    super::kubectl::format_labels(l, "\n")
}

/// Longest `key: value` printed on one line (kubectl's maxAnnotationLen); longer values, and
/// values of several lines, go below their key, indented, each line cut to that length.
const MAX_ANNOTATION_LEN: usize = 140;

/// Annotations one per line, as printAnnotationsMultiline prints them.
fn annotation_lines(a: &Labels) -> String {
    if a.is_empty() {
        return "<none>".into();
    }
    let mut lines = Vec::new();
    for (k, v) in a.iter() {
        let v = v.strip_suffix('\n').unwrap_or(v);
        if v.len() + k.len() + 2 > MAX_ANNOTATION_LEN || v.contains('\n') {
            lines.push(format!("{k}:"));
            for l in v.split('\n') {
                let cut = l.char_indices().nth(MAX_ANNOTATION_LEN).map_or(l.to_string(), |(i, _)| format!("{}...", &l[..i]));
                lines.push(format!("  {cut}"));
            }
        } else {
            lines.push(format!("{k}: {v}"));
        }
    }
    lines.join("\n")
}

/// `Title:\tfirst` and then `\tnext` for each further line: a multi-line value as kubectl's
/// describers write it for the tabwriter.
fn tabbed(title: &str, value: &str) -> String {
    format!("{title}:\t{}\n", value.replace('\n', "\n\t"))
}

/// printPodTolerationsMultiline: sorted by key; `op=Exists` only where it matters.
fn toleration_lines(tolerations: &[Toleration]) -> String {
    if tolerations.is_empty() {
        return "<none>".into();
    }
    let mut sorted: Vec<&Toleration> = tolerations.iter().collect();
    sorted.sort_by(|a, b| a.key.cmp(&b.key));
    let line = |t: &Toleration| {
        let mut l = t.key.to_string();
        if !t.value.is_empty() {
            l += &format!("={}", t.value);
        }
        if !t.effect.is_empty() {
            l += &format!(":{}", t.effect);
        }
        if t.operator == "Exists" && t.value.is_empty() {
            l += if t.key.is_empty() && t.effect.is_empty() { "op=Exists" } else { " op=Exists" };
        }
        if let Some(s) = t.toleration_seconds {
            l += &format!(" for {s}s");
        }
        l
    };
    sorted.into_iter().map(line).collect::<Vec<_>>().join("\n")
}

/// A JSON field as kubectl's `%v` prints it: strings bare, absent ones as Go's nil pointer.
fn json_str(v: &serde_json::Value, field: &str) -> String {
    match v.get(field) {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// describeStatus: a container state at LEVEL_2 with its details at LEVEL_3.
fn container_state(out: &mut String, title: &str, state: &ContainerState) {
    match state {
        ContainerState { running: Some(r), .. } => out.push_str(&format!("    {title}:\tRunning\n      Started:\t{}\n", ts_go(Some(r.started_at)))),
        ContainerState { waiting: Some(w), .. } => {
            out.push_str(&format!("    {title}:\tWaiting\n"));
            if !w.reason.is_empty() {
                out.push_str(&format!("      Reason:\t{}\n", w.reason));
            }
        }
        ContainerState { terminated: Some(t), .. } => {
            out.push_str(&format!("    {title}:\tTerminated\n"));
            if !t.reason.is_empty() {
                out.push_str(&format!("      Reason:\t{}\n", t.reason));
            }
            out.push_str(&format!("      Exit Code:\t{}\n      Started:\t{}\n      Finished:\t{}\n", t.exit_code, ts_go(t.started_at), ts_go(t.finished_at)));
        }
        _ => out.push_str(&format!("    {title}:\tWaiting\n")),
    }
}

/// A time as Go formats a `metav1.Time` with RFC1123Z: an unset one is Go's zero time.
fn ts_go(t: Option<crate::sim::SimTime>) -> String {
    t.map(|t| t.rfc1123z()).unwrap_or_else(|| "Mon, 01 Jan 0001 00:00:00 +0000".into())
}

/// What `kubectl describe` shows of an env var's `valueFrom.fieldRef` (EnvValueRetriever).
fn field_ref_value(p: &Pod, path: &str) -> String {
    match path {
        "metadata.name" => p.metadata.name.to_string(),
        "metadata.namespace" => p.metadata.namespace.to_string(),
        "metadata.uid" => p.metadata.uid.to_string(),
        "spec.nodeName" => p.spec.node_name.to_string(),
        "spec.serviceAccountName" => p.spec.service_account_name.as_deref().unwrap_or("").to_string(),
        "status.hostIP" => p.status.host_ip.to_string(),
        "status.podIP" => p.status.pod_ip.to_string(),
        _ => String::new(),
    }
}

/// describeContainers: one container's lines, tab-separated for the tabwriter.
/// describeContainers for one container: a pod's (`p`, with its statuses and the values its
/// env fields refer to) or a pod template's (`None`, whose names are one space further in).
fn describe_container(out: &mut String, p: Option<&Pod>, c: &Container) {
    let st = p.and_then(|p| p.status.container_statuses.iter().find(|s| s.name == c.name));
    out.push_str(&format!("  {}{}:\n", if p.is_some() { "" } else { " " }, c.name));
    if let Some(st) = st {
        out.push_str(&format!("    Container ID:\t{}\n", st.container_id));
    }
    out.push_str(&format!("    Image:\t{}\n", c.image));
    if let Some(st) = st {
        out.push_str(&format!("    Image ID:\t{}\n", st.image_id));
    }
    let proto = |p: &ContainerPort| if p.protocol.is_empty() { "TCP".to_string() } else { p.protocol.to_string() };
    let ports: Vec<String> = c.ports.iter().map(|p| format!("{}/{}", p.container_port, proto(p))).collect();
    let host_ports: Vec<String> = c.ports.iter().map(|p| format!("0/{}", proto(p))).collect();
    let or_none = |v: &[String]| if v.is_empty() { "<none>".to_string() } else { v.join(", ") };
    out.push_str(&format!("    {}:\t{}\n", if ports.len() > 1 { "Ports" } else { "Port" }, or_none(&ports)));
    out.push_str(&format!("    {}:\t{}\n", if host_ports.len() > 1 { "Host Ports" } else { "Host Port" }, or_none(&host_ports)));
    for (title, words) in [("Command", &c.command), ("Args", &c.args)] {
        if !words.is_empty() {
            out.push_str(&format!("    {title}:\n"));
            for l in words.iter().flat_map(|w| w.split('\n')) {
                out.push_str(&format!("      {l}\n"));
            }
        }
    }
    if let Some(st) = st {
        container_state(out, "State", &st.state);
        if st.last_state.terminated.is_some() {
            container_state(out, "Last State", &st.last_state);
        }
        out.push_str(&format!("    Ready:\t{}\n    Restart Count:\t{}\n", if st.ready { "True" } else { "False" }, st.restart_count));
    }
    for (title, list) in [("Limits", &c.resources.limits), ("Requests", &c.resources.requests)] {
        if !list.is_empty() {
            out.push_str(&format!("    {title}:\n"));
            for (k, v) in list {
                out.push_str(&format!("      {k}:\t{v}\n"));
            }
        }
    }
    // (Kept as JSON: its entries, if it is a list.)
    let env = c.env.as_deref().and_then(|v| v.as_array()).map_or(&[][..], |a| a.as_slice());
    out.push_str(if env.is_empty() { "    Environment:\t<none>\n" } else { "    Environment:\n" });
    for e in env {
        let name = json_str(e, "name");
        let from = e.get("valueFrom");
        let field = |k: &str| from.and_then(|f| f.get(k));
        if let Some(r) = field("fieldRef") {
            let path = json_str(r, "fieldPath");
            let version = json_str(r, "apiVersion");
            out.push_str(&format!("      {name}:\t{} ({}:{path})\n", p.map_or(String::new(), |p| field_ref_value(p, &path)), if version.is_empty() { "v1".into() } else { version }));
        } else if let Some(r) = field("secretKeyRef") {
            out.push_str(&format!("      {name}:\t<set to the key '{}' in secret '{}'>\tOptional: {}\n", json_str(r, "key"), json_str(r, "name"), r.get("optional").and_then(|o| o.as_bool()).unwrap_or(false)));
        } else if let Some(r) = field("configMapKeyRef") {
            out.push_str(&format!("      {name}:\t<set to the key '{}' of config map '{}'>\tOptional: {}\n", json_str(r, "key"), json_str(r, "name"), r.get("optional").and_then(|o| o.as_bool()).unwrap_or(false)));
        } else if let Some(r) = field("resourceFieldRef") {
            out.push_str(&format!("      {name}:\t ({})\n", json_str(r, "resource")));
        } else {
            for (i, l) in json_str(e, "value").split('\n').enumerate() {
                out.push_str(&if i == 0 { format!("      {name}:\t{l}\n") } else { format!("      \t{l}\n") });
            }
        }
    }
    let mut mounts: Vec<&VolumeMount> = c.volume_mounts.iter().collect();
    mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    out.push_str(if mounts.is_empty() { "    Mounts:\t<none>\n" } else { "    Mounts:\n" });
    for m in mounts {
        let mut flags = vec![if m.read_only { "ro".to_string() } else { "rw".to_string() }];
        if !m.sub_path.is_empty() {
            flags.push(format!("path={:?}", m.sub_path.as_str()));
        }
        out.push_str(&format!("      {} from {} ({})\n", m.mount_path, m.name, flags.join(",")));
    }
}

/// describeVolumes, for the volume types people write most; others are `<unknown>`, as
/// kubectl prints a type it has no printer for.
/// `space` is "" for a pod's and "  " for a pod template's (whose volume names are one space
/// further in).
fn describe_volumes(out: &mut String, volumes: &[Volume], space: &str) {
    if volumes.is_empty() {
        out.push_str(&format!("{space}Volumes:\t<none>\n"));
        return;
    }
    out.push_str(&format!("{space}Volumes:\n"));
    let optional = |v: &serde_json::Value| v.get("optional").and_then(|o| o.as_bool()).unwrap_or(false);
    let name_indent = if space.is_empty() { "" } else { " " };
    for v in volumes {
        out.push_str(&format!("  {name_indent}{}:\n", v.name));
        let v = &*v.source;
        let lines = if let Some(s) = v.get("emptyDir") {
            let limit = json_str(s, "sizeLimit");
            format!("Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)\nMedium:\t{}\nSizeLimit:\t{}", json_str(s, "medium"), if limit.is_empty() { "<unset>".into() } else { limit })
        } else if let Some(s) = v.get("hostPath") {
            format!("Type:\tHostPath (bare host directory volume)\nPath:\t{}\nHostPathType:\t{}", json_str(s, "path"), json_str(s, "type"))
        } else if let Some(s) = v.get("configMap") {
            format!("Type:\tConfigMap (a volume populated by a ConfigMap)\nName:\t{}\nOptional:\t{}", json_str(s, "name"), optional(s))
        } else if let Some(s) = v.get("secret") {
            format!("Type:\tSecret (a volume populated by a Secret)\nSecretName:\t{}\nOptional:\t{}", json_str(s, "secretName"), optional(s))
        } else if let Some(s) = v.get("persistentVolumeClaim") {
            format!("Type:\tPersistentVolumeClaim (a reference to a PersistentVolumeClaim in the same namespace)\nClaimName:\t{}\nReadOnly:\t{}", json_str(s, "claimName"), s.get("readOnly").and_then(|r| r.as_bool()).unwrap_or(false))
        } else if let Some(s) = v.get("projected") {
            let mut l = String::from("Type:\tProjected (a volume that contains injected data from multiple sources)");
            for src in s.get("sources").and_then(|s| s.as_array()).map_or(&[][..], |a| a.as_slice()) {
                let nil = |f: &serde_json::Value| f.get("optional").map_or("<nil>".to_string(), |o| format!("{o}"));
                if let Some(x) = src.get("secret") {
                    l += &format!("\nSecretName:\t{}\nSecretOptionalName:\t{}", json_str(x, "name"), nil(x));
                } else if src.get("downwardAPI").is_some() {
                    l += "\nDownwardAPI:\ttrue";
                } else if let Some(x) = src.get("configMap") {
                    l += &format!("\nConfigMapName:\t{}\nConfigMapOptional:\t{}", json_str(x, "name"), nil(x));
                } else if let Some(x) = src.get("serviceAccountToken") {
                    l += &format!("\nTokenExpirationSeconds:\t{}", x.get("expirationSeconds").and_then(|e| e.as_i64()).unwrap_or(3600));
                }
            }
            l
        } else {
            out.push_str("  <unknown>\n");
            continue;
        };
        for l in lines.lines() {
            out.push_str(&format!("    {l}\n"));
        }
    }
}

/// describePod, field by field in kubectl's order, through the tabwriter; then the Events.
fn describe_pod(sim: &Sim, o: &ObjectRc, p: &Pod, events: &[ObjectRc]) -> String {
    let m = &p.metadata;
    let mut t = format!("Name:\t{}\nNamespace:\t{}\n", m.name, m.namespace);
    if let Some(prio) = p.spec.priority {
        t += &format!("Priority:\t{prio}\n");
    }
    if let Some(sa) = p.spec.service_account_name.as_ref().filter(|s| !s.is_empty()) {
        t += &format!("Service Account:\t{sa}\n");
    }
    t += &if p.spec.node_name.is_empty() { "Node:\t<none>\n".to_string() } else { format!("Node:\t{}/{}\n", p.spec.node_name, p.status.host_ip) };
    if let Some(start) = p.status.start_time {
        t += &format!("Start Time:\t{}\n", start.rfc1123z());
    }
    t += &tabbed("Labels", &label_lines(&m.labels));
    t += &tabbed("Annotations", &annotation_lines(&m.annotations));
    match m.deletion_timestamp {
        Some(at) if !matches!(p.status.phase.as_str(), "Failed" | "Succeeded") => {
            // translateTimestampSince: a pod's deletionTimestamp is when its grace period ends,
            // so usually still ahead, which HumanDuration calls "<invalid>" (2 s or more ahead).
            let lasts = if at.since(sim.now()).0 >= 2_000_000 { "<invalid>".to_string() } else { human_duration(sim.now().since(at)) };
            t += &format!("Status:\tTerminating (lasts {lasts})\n");
            t += &format!("Termination Grace Period:\t{}s\n", m.deletion_grace_period_seconds.unwrap_or(0));
        }
        _ => t += &format!("Status:\t{}\n", p.status.phase),
    }
    if !p.status.reason.is_empty() {
        t += &format!("Reason:\t{}\n", p.status.reason);
    }
    if !p.status.message.is_empty() {
        t += &format!("Message:\t{}\n", p.status.message);
    }
    t += &format!("IP:\t{}\n", p.status.pod_ip);
    if p.status.pod_ips.is_empty() {
        t += "IPs:\t<none>\n";
    } else {
        t += "IPs:\n";
        for ip in p.status.pod_ips.iter() {
            t += &format!("  IP:\t{}\n", ip.ip);
        }
    }
    if let Some(r) = p.controller_ref() {
        t += &format!("Controlled By:\t{}/{}\n", r.kind, r.name);
    }
    if !p.status.nominated_node_name.is_empty() {
        t += &format!("NominatedNodeName:\t{}\n", p.status.nominated_node_name);
    }
    t += if p.spec.containers.is_empty() { "Containers: <none>\n" } else { "Containers:\n" };
    for c in p.spec.containers.iter() {
        describe_container(&mut t, Some(p), c);
    }
    if !p.status.conditions.is_empty() {
        t += "Conditions:\n  Type\tStatus\n";
        for c in p.status.conditions.iter() {
            t += &format!("  {} \t{} \n", c.type_, c.status);
        }
    }
    describe_volumes(&mut t, &p.spec.volumes, "");
    t += &format!("QoS Class:\t{}\n", p.status.qos_class);
    t += &tabbed("Node-Selectors", &if p.spec.node_selector.is_empty() { "<none>".to_string() } else { label_lines(&p.spec.node_selector) });
    t += &tabbed("Tolerations", &toleration_lines(&p.spec.tolerations));
    aligned_with_events(t, events_block(sim, o, events))
}

/// The Conditions table of describe deployment and replicaset (it lines up with what follows).
fn conditions_table(conditions: &[Condition]) -> String {
    if conditions.is_empty() {
        return String::new();
    }
    let mut t = String::from("Conditions:\n  Type\tStatus\tReason\n  ----\t------\t------\n");
    for c in conditions {
        t += &format!("  {} \t{}\t{}\n", c.type_, c.status, c.reason);
    }
    t
}

/// describeDeployment, through the tabwriter: its Conditions line up with OldReplicaSets and
/// NewReplicaSet below them, as in kubectl's output.
fn describe_deployment(sim: &Sim, o: &ObjectRc, d: &Deployment, events: &[ObjectRc]) -> String {
    let (m, s) = (&d.metadata, &d.status);
    let mut t = format!("Name:\t{}\nNamespace:\t{}\nCreationTimestamp:\t{}\n", m.name, m.namespace, ts(m.creation_timestamp));
    t += &tabbed("Labels", &label_lines(&m.labels));
    t += &tabbed("Annotations", &annotation_lines(&m.annotations));
    t += &format!("Selector:\t{}\n", d.spec.selector.to_selector_string());
    t += &format!("Replicas:\t{} desired | {} updated | {} total | {} available | {} unavailable\n", d.spec.replicas.unwrap_or(1), s.updated_replicas, s.replicas, s.available_replicas, s.unavailable_replicas);
    t += &format!("StrategyType:\t{}\nMinReadySeconds:\t{}\n", d.spec.strategy.type_, d.spec.min_ready_seconds.unwrap_or(0));
    if let Some(ru) = &d.spec.strategy.rolling_update {
        let f = |v: &Option<serde_json::Value>| v.as_ref().map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string())).unwrap_or_default();
        t += &format!("RollingUpdateStrategy:\t{} max unavailable, {} max surge\n", f(&ru.max_unavailable), f(&ru.max_surge));
    }
    t += &pod_template_text(&d.spec.template);
    t += &conditions_table(&s.conditions);
    // GetAllReplicaSets: the new ReplicaSet runs this template; the old ones are the others
    // that still have pods.
    let hash = crate::sim::controllers::pod_template_hash(&d.spec.template);
    let owned: Vec<&ReplicaSet> = sim.objects(Kind::ReplicaSet).filter_map(|r| r.as_replica_set()).filter(|r| r.metadata.owner_references.iter().any(|o| o.controller && o.uid == m.uid)).collect();
    let created = |r: &&ReplicaSet| format!("{} ({}/{} replicas created)", r.metadata.name, r.status.replicas, r.spec.replicas.unwrap_or(0));
    let is_new = |r: &&ReplicaSet| r.metadata.labels.get("pod-template-hash").is_some_and(|h| h.as_str() == hash);
    let old: Vec<String> = owned.iter().filter(|r| !is_new(r) && r.spec.replicas.unwrap_or(0) > 0).map(created).collect();
    let new: Vec<String> = owned.iter().filter(|r| is_new(r)).map(created).collect();
    if !old.is_empty() || !new.is_empty() {
        let or_none = |v: Vec<String>| if v.is_empty() { "<none>".to_string() } else { v.join(", ") };
        t += &format!("OldReplicaSets:\t{}\nNewReplicaSet:\t{}\n", or_none(old), or_none(new));
    }
    aligned_with_events(t, events_block(sim, o, events))
}

/// describeService, through the tabwriter.
fn describe_service(sim: &Sim, o: &ObjectRc, s: &Service, events: &[ObjectRc]) -> String {
    let (m, spec) = (&s.metadata, &s.spec);
    let mut t = identity(m, true);
    t += &format!("Selector:\t{}\nType:\t{}\n", super::kubectl::format_labels(&spec.selector, ","), spec.type_);
    if !spec.ip_family_policy.is_empty() {
        t += &format!("IP Family Policy:\t{}\n", spec.ip_family_policy);
    }
    let joined = |v: &[Str]| if v.is_empty() { "<none>".to_string() } else { v.iter().map(|x| x.as_str()).collect::<Vec<_>>().join(",") };
    t += &format!("IP Families:\t{}\nIP:\t{}\nIPs:\t{}\n", joined(&spec.ip_families), spec.cluster_ip, joined(&spec.cluster_ips));
    let eps = sim.get(Kind::Endpoints, &m.namespace, &m.name).and_then(|e| e.as_endpoints()).map(super::kubectl::format_endpoints).unwrap_or_else(|| "<none>".into());
    for p in &spec.ports {
        let name = if p.name.is_empty() { "<unset>" } else { &p.name };
        t += &format!("Port:\t{name}\t{}/{}\n", p.port, p.protocol);
        let target = match &p.target_port {
            Some(serde_json::Value::String(t)) => t.clone(),
            Some(v) => v.to_string(),
            None => p.port.to_string(),
        };
        t += &format!("TargetPort:\t{target}/{}\n", p.protocol);
        if let Some(np) = p.node_port {
            t += &format!("NodePort:\t{name}\t{np}/{}\n", p.protocol);
        }
        t += &format!("Endpoints:\t{eps}\n");
    }
    t += &format!("Session Affinity:\t{}\n", spec.session_affinity);
    if !spec.external_traffic_policy.is_empty() {
        t += &format!("External Traffic Policy:\t{}\n", spec.external_traffic_policy);
    }
    if !spec.internal_traffic_policy.is_empty() {
        t += &format!("Internal Traffic Policy:\t{}\n", spec.internal_traffic_policy);
    }
    aligned_with_events(t, events_block(sim, o, events))
}

/// describeEndpointSliceV1, through the tabwriter.
fn describe_endpoint_slice(sim: &Sim, o: &ObjectRc, e: &EndpointSlice, events: &[ObjectRc]) -> String {
    let mut t = identity(&e.metadata, true);
    t += &format!("AddressType:\t{}\n", e.address_type);
    if e.ports.is_empty() {
        t += "Ports: <unset>\n";
    } else {
        t += "Ports:\n  Name\tPort\tProtocol\n  ----\t----\t--------\n";
        for p in &e.ports {
            let name = p.name.as_ref().filter(|n| !n.is_empty()).map_or("<unset>".to_string(), |n| n.to_string());
            t += &format!("  {name}\t{}\t{}\n", p.port.map_or("<unset>".to_string(), |n| n.to_string()), p.protocol);
        }
    }
    if e.endpoints.is_empty() {
        t += "Endpoints: <none>\n";
    } else {
        t += "Endpoints:\n";
        let unset = |v: &Option<Str>| v.as_ref().map_or("<unset>".to_string(), |v| v.to_string());
        for ep in &e.endpoints {
            let addresses = ep.addresses.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
            t += &format!("  - Addresses:\t{}\n", if addresses.is_empty() { "<none>" } else { &addresses });
            t += &format!("    Conditions:\n      Ready:\t{}\n", ep.conditions.ready.map_or("<unset>".to_string(), |r| r.to_string()));
            t += &format!("    Hostname:\t{}\n", unset(&ep.hostname));
            if let Some(r) = &ep.target_ref {
                t += &format!("    TargetRef:\t{}/{}\n", r.kind, r.name);
            }
            t += &format!("    NodeName:\t{}\n    Zone:\t{}\n", unset(&ep.node_name), unset(&ep.zone));
        }
    }
    aligned_with_events(t, events_block(sim, o, events))
}

/// describeReplicaSet, through the tabwriter; its pods counted by phase.
fn describe_replica_set(sim: &Sim, o: &ObjectRc, r: &ReplicaSet, events: &[ObjectRc]) -> String {
    let m = &r.metadata;
    let mut t = format!("Name:\t{}\nNamespace:\t{}\nSelector:\t{}\n", m.name, m.namespace, r.spec.selector.to_selector_string());
    t += &tabbed("Labels", &label_lines(&m.labels));
    t += &tabbed("Annotations", &annotation_lines(&m.annotations));
    if let Some(c) = m.owner_references.iter().find(|o| o.controller) {
        t += &format!("Controlled By:\t{}/{}\n", c.kind, c.name);
    }
    t += &format!("Replicas:\t{} current / {} desired\n", r.status.replicas, r.spec.replicas.unwrap_or(1));
    // getPodStatusForController: the pods it controls, by phase.
    let mut phases = [0; 4];
    for p in sim.pods().filter(|p| p.metadata.namespace == m.namespace && p.controller_ref().is_some_and(|c| c.uid == m.uid)) {
        match p.status.phase.as_str() {
            "Running" => phases[0] += 1,
            "Pending" => phases[1] += 1,
            "Succeeded" => phases[2] += 1,
            "Failed" => phases[3] += 1,
            _ => {}
        }
    }
    t += &format!("Pods Status:\t{} Running / {} Waiting / {} Succeeded / {} Failed\n", phases[0], phases[1], phases[2], phases[3]);
    t += &pod_template_text(&r.spec.template);
    // (kubesim's ReplicaSets have no conditions: ReplicaFailure is for quota and the like.)
    aligned_with_events(t, events_block(sim, o, events))
}

/// DescribePodTemplate, tab-separated for the tabwriter (`kubectl rollout history
/// --revision` prints it as it is, tabs and all, as kubectl does).
pub fn pod_template_text(t: &PodTemplateSpec) -> String {
    let mut out = String::from("Pod Template:\n");
    out += &tabbed("  Labels", &label_lines(&t.metadata.labels));
    if !t.metadata.annotations.is_empty() {
        out += &tabbed("  Annotations", &annotation_lines(&t.metadata.annotations));
    }
    if let Some(sa) = t.spec.service_account_name.as_ref().filter(|s| !s.is_empty()) {
        out += &format!("  Service Account:\t{sa}\n");
    }
    out += if t.spec.containers.is_empty() { "  Containers: <none>\n" } else { "  Containers:\n" };
    for c in t.spec.containers.iter() {
        describe_container(&mut out, None, c);
    }
    describe_volumes(&mut out, &t.spec.volumes, "  ");
    out += &tabbed("  Node-Selectors", &if t.spec.node_selector.is_empty() { "<none>".to_string() } else { label_lines(&t.spec.node_selector) });
    out += &tabbed("  Tolerations", &toleration_lines(&t.spec.tolerations));
    out
}

fn ts(t: Option<crate::sim::SimTime>) -> String {
    t.map(|t| t.rfc1123z()).unwrap_or_else(|| "<unset>".into())
}

/// A describer's tab-separated text through the tabwriter, then DescribeEvents: without
/// events, "Events:\t<none>" is one more line of the text's last block.
fn aligned_with_events(mut text: String, events: String) -> String {
    if events.starts_with(EVENTS_NONE) {
        text += "Events:\t<none>";
        return super::tabwriter::align(&text);
    }
    super::tabwriter::align(&text) + &events
}

/// `Name:`, `Namespace:` (for a namespaced kind), `Labels:` and `Annotations:`, the lines most
/// describers start with, tab-separated.
fn identity(m: &ObjectMeta, namespaced: bool) -> String {
    let namespace = if namespaced { format!("Namespace:\t{}\n", m.namespace) } else { String::new() };
    format!("Name:\t{}\n{namespace}{}{}", m.name, tabbed("Labels", &label_lines(&m.labels)), tabbed("Annotations", &annotation_lines(&m.annotations)))
}

/// The events line of an object without events, at the width of the pod's first block.
const EVENTS_NONE: &str = "Events:            <none>";

fn events_block(sim: &Sim, o: &ObjectRc, events: &[ObjectRc]) -> String {
    events_about(sim, &[&o.meta().uid], events)
}

/// The Events whose involved object has one of `uids`, as DescribeEvents prints them.
fn events_about(sim: &Sim, uids: &[&str], events: &[ObjectRc]) -> String {
    let mut mine: Vec<&Event> = events.iter().filter_map(|e| e.as_event()).filter(|e| uids.contains(&e.involved_object.uid.as_str())).collect();
    // SortableEvents: by last timestamp.
    mine.sort_by_key(|e| e.last_timestamp);
    if mine.is_empty() {
        return EVENTS_NONE.into();
    }
    let rows: Vec<Vec<String>> = mine
        .iter()
        .map(|e| {
            vec![e.type_.to_string(), e.reason.to_string(), event_interval(sim.now(), e), e.source.component.to_string(), e.message.to_string()]
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

/// The describer of the object's kind, each written tab-separated as kubectl's are and lined
/// up by the tabwriter.
pub fn describe(sim: &Sim, o: &ObjectRc, events: &[ObjectRc]) -> String {
    let m = o.meta();
    match &**o {
        Object::Pod(p) => return describe_pod(sim, o, p, events),
        Object::Deployment(d) => return describe_deployment(sim, o, d, events),
        Object::ReplicaSet(r) => return describe_replica_set(sim, o, r, events),
        Object::Node(n) => return describe_node(sim, n, events),
        Object::ServiceAccount(a) => {
            // describeServiceAccount: its secrets by kind (kubesim keeps no Secrets: none).
            let names = |v: &Option<serde_json::Value>| v.as_ref().and_then(|v| v.as_array()).map_or(Vec::new(), |a| a.iter().map(|s| json_str(s, "name")).collect::<Vec<_>>());
            let mut t = identity(m, true);
            for (header, list) in [("Image pull secrets:", names(&a.image_pull_secrets)), ("Mountable secrets: ", names(&a.secrets)), ("Tokens:            ", Vec::new())] {
                t += &if list.is_empty() { format!("{header}\t<none>\n") } else { format!("{header}\t{}\n", list.join("\n                   \t")) };
            }
            return aligned_with_events(t, events_block(sim, o, events));
        }
        Object::ConfigMap(c) => {
            // The ConfigMap describer: each key, a rule, the value.
            let mut t = identity(m, true) + "\nData\n====\n";
            for (k, v) in &c.data {
                t += &format!("{k}:\n----\n{v}\n\n");
            }
            t += "\nBinaryData\n====\n";
            for (k, v) in c.binary_data.as_ref().and_then(|b| b.as_object()).into_iter().flatten() {
                // Base64 on the wire: its decoded length.
                t += &format!("{k}: {} bytes\n", v.as_str().map_or(0, |b| b.trim_end_matches('=').len() * 3 / 4));
            }
            t += "\n";
            return aligned_with_events(t, events_block(sim, o, events));
        }
        Object::Namespace(ns) => {
            // describeNamespace: kubesim has no ResourceQuotas or LimitRanges.
            let phase = ns.phase();
            let mut t = identity(m, false) + &format!("Status:\t{phase}\n");
            // (While it is being deleted: the namespace controller's conditions.)
            let conditions = ns.status.as_ref().and_then(|s| s.get("conditions")).and_then(|c| c.as_array()).map_or(&[][..], |c| c.as_slice());
            if !conditions.is_empty() {
                t += "Conditions:\n  Type\tStatus\tLastTransitionTime\tReason\tMessage\n  ----\t------\t------------------\t------\t-------\n";
                for c in conditions {
                    let since = c.get("lastTransitionTime").and_then(|t| t.as_str()).and_then(crate::sim::SimTime::parse_rfc3339).map(|t| t.rfc1123z()).unwrap_or_default();
                    t += &format!("  {}\t{}\t{since}\t{}\t{}\n", json_str(c, "type"), json_str(c, "status"), json_str(c, "reason"), json_str(c, "message"));
                }
            }
            t += "\nNo resource quota.\n\nNo LimitRange resource.";
            return super::tabwriter::align(&t);
        }
        Object::Endpoints(ep) => {
            // describeEndpoints: each subset's addresses and ports, then a blank line.
            let mut t = identity(m, true) + "Subsets:\n";
            let ips = |list: &[EndpointAddress]| if list.is_empty() { "<none>".to_string() } else { list.iter().map(|a| a.ip.as_str()).collect::<Vec<_>>().join(",") };
            for subset in &ep.subsets {
                t += &format!("  Addresses:\t{}\n  NotReadyAddresses:\t{}\n", ips(&subset.addresses), ips(&subset.not_ready_addresses));
                if !subset.ports.is_empty() {
                    t += "  Ports:\n    Name\tPort\tProtocol\n    ----\t----\t--------\n";
                    for p in &subset.ports {
                        t += &format!("    {}\t{}\t{}\n", if p.name.is_empty() { "<unset>" } else { p.name.as_str() }, p.port, p.protocol);
                    }
                }
                t += "\n";
            }
            return aligned_with_events(t, events_block(sim, o, events));
        }
        Object::Service(s) => return describe_service(sim, o, s, events),
        Object::EndpointSlice(e) => return describe_endpoint_slice(sim, o, e, events),
        // (A kind kubectl has no describer for: its generic one.)
        _ => return generic_describe(sim, o, events),
    }
}

/// genericDescriber: the object's fields, as printUnstructuredContent walks them (sorted, their
/// names split into words), after its name, namespace, labels and annotations.
fn generic_describe(sim: &Sim, o: &ObjectRc, events: &[ObjectRc]) -> String {
    let m = o.meta();
    let mut t = format!("Name:\t{}\nNamespace:\t{}\n", m.name, m.namespace);
    t += &tabbed("Labels", &label_lines(&m.labels));
    t += &tabbed("Annotations", &annotation_lines(&m.annotations));
    if let serde_json::Value::Object(content) = o.to_value() {
        unstructured(&mut t, 0, &content, "");
    }
    aligned_with_events(t, events_block(sim, o, events))
}

fn unstructured(out: &mut String, level: usize, content: &serde_json::Map<String, serde_json::Value>, path: &str) {
    const SKIP: [&str; 5] = [".metadata.managedFields", ".metadata.name", ".metadata.namespace", ".metadata.labels", ".metadata.annotations"];
    let mut fields: Vec<&String> = content.keys().collect();
    fields.sort();
    let indent = "  ".repeat(level);
    for field in fields {
        let here = format!("{path}.{field}");
        if SKIP.contains(&here.as_str()) {
            continue;
        }
        match &content[field.as_str()] {
            serde_json::Value::Object(m) => {
                out.push_str(&format!("{indent}{}:\n", smart_label(field)));
                unstructured(out, level + 1, m, &here);
            }
            serde_json::Value::Array(items) => {
                out.push_str(&format!("{indent}{}:\n", smart_label(field)));
                for item in items {
                    match item {
                        serde_json::Value::Object(m) => unstructured(out, level + 1, m, &here),
                        v => out.push_str(&format!("{indent}  {}\n", go_value(v))),
                    }
                }
            }
            v => out.push_str(&format!("{indent}{}:\t{}\n", smart_label(field), go_value(v))),
        }
    }
}

/// A JSON scalar as Go's `%v` prints it (numbers decoded as float64 print without ".0").
fn go_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "<nil>".into(),
        v => v.to_string(),
    }
}

/// smartLabelFor: `leaseDurationSeconds` is "Lease Duration Seconds", `apiVersion` "API
/// Version"; a name with characters other than letters and '-' stays as it is.
fn smart_label(field: &str) -> String {
    if field.chars().any(|c| !c.is_alphabetic() && c != '-') {
        return field.to_string();
    }
    // camelcase.Split: runs of one class (lower, upper, other), an upper run's last letter
    // starting the lower run after it.
    let class = |c: char| if c.is_lowercase() { 0 } else if c.is_uppercase() { 1 } else { 2 };
    let mut runs: Vec<Vec<char>> = Vec::new();
    for c in field.chars() {
        match runs.last_mut() {
            Some(r) if class(r[0]) == class(c) => r.push(c),
            _ => runs.push(vec![c]),
        }
    }
    for i in 0..runs.len().saturating_sub(1) {
        if runs[i].first().is_some_and(|&c| class(c) == 1) && class(runs[i + 1][0]) == 0 {
            let last = runs[i].pop().unwrap_or_default();
            runs[i + 1].insert(0, last);
        }
    }
    runs.iter()
        .filter(|r| !r.is_empty())
        .map(|r| {
            let part: String = r.iter().collect();
            if ["API", "URL", "UID", "OSB", "GUID"].contains(&part.to_uppercase().as_str()) {
                part.to_uppercase()
            } else {
                let mut c = part.chars();
                c.next().map(|f| f.to_uppercase().collect::<String>() + c.as_str()).unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sum of CPU as Go's resource.Quantity prints it: whole cores bare, else millicores.
fn cpu_quantity(milli: i64) -> String {
    if milli % 1000 == 0 { (milli / 1000).to_string() } else { format!("{milli}m") }
}

/// A sum of bytes as Go's resource.Quantity prints it: the largest binary suffix that divides
/// it exactly (Ki, Mi, Gi, Ti), else a decimal one (k, M, G, T), else plain bytes.
fn byte_quantity(bytes: i64) -> String {
    if bytes == 0 {
        return "0".into();
    }
    for (suffix, unit) in [("Ti", 1i64 << 40), ("Gi", 1 << 30), ("Mi", 1 << 20), ("Ki", 1 << 10), ("T", 1_000_000_000_000), ("G", 1_000_000_000), ("M", 1_000_000), ("k", 1_000)] {
        if bytes % unit == 0 {
            return format!("{}{suffix}", bytes / unit);
        }
    }
    bytes.to_string()
}

/// A pod's requests and limits summed over its containers (PodRequestsAndLimits), as
/// (cpu millicores, memory bytes, ephemeral-storage bytes).
fn pod_totals(p: &Pod) -> [(i64, i64, i64); 2] {
    let sum = |pick: fn(&Container) -> &ResourceList| {
        p.spec.containers.iter().map(pick).fold((0, 0, 0), |(c, m, e), list| {
            let bytes = |k: &str| list.get(k).and_then(|q| parse_memory(q)).unwrap_or(0);
            (c + list.get("cpu").and_then(|q| parse_cpu(q)).unwrap_or(0), m + bytes("memory"), e + bytes("ephemeral-storage"))
        })
    };
    [sum(|c| &c.resources.requests), sum(|c| &c.resources.limits)]
}

/// `used` as a whole percentage of `of` (Go's int64 of the float), 0 when there is nothing.
fn percent(used: i64, of: i64) -> i64 {
    if of == 0 { 0 } else { (used as f64 / of as f64 * 100.0) as i64 }
}

/// describeNode, field by field in kubectl's order (with the node's Lease, which kubectl reads
/// too), through the tabwriter; then the node's Events.
fn describe_node(sim: &Sim, n: &Node, events: &[ObjectRc]) -> String {
    let m = &n.metadata;
    let mut roles: Vec<&str> = m.labels.iter().filter_map(|(k, v)| match k.strip_prefix("node-role.kubernetes.io/") {
        Some(role) if !role.is_empty() => Some(role),
        _ if k.as_str() == "kubernetes.io/role" && !v.is_empty() => Some(v.as_str()),
        _ => None,
    }).collect();
    roles.sort_unstable();
    roles.dedup();
    let mut t = format!("Name:\t{}\nRoles:\t{}\n", m.name, if roles.is_empty() { "<none>".to_string() } else { roles.join(",") });
    t += &tabbed("Labels", &label_lines(&m.labels));
    t += &tabbed("Annotations", &annotation_lines(&m.annotations));
    t += &format!("CreationTimestamp:\t{}\n", ts_go(m.creation_timestamp));
    let mut taints: Vec<&Taint> = n.spec.taints.iter().collect();
    taints.sort_by(|a, b| (a.effect.as_str(), a.key.as_str()).cmp(&(b.effect.as_str(), b.key.as_str())));
    let taint = |t: &Taint| match (t.value.is_empty(), t.effect.is_empty()) {
        (true, true) => t.key.to_string(),
        (false, true) => format!("{}={}:", t.key, t.value),
        (true, false) => format!("{}:{}", t.key, t.effect),
        (false, false) => format!("{}={}:{}", t.key, t.value, t.effect),
    };
    t += &tabbed("Taints", &if taints.is_empty() { "<none>".to_string() } else { taints.iter().map(|x| taint(x)).collect::<Vec<_>>().join("\n") });
    t += &format!("Unschedulable:\t{}\n", n.spec.unschedulable);
    match sim.get(Kind::Lease, "kube-node-lease", &m.name).and_then(|l| match &**l { Object::Lease(l) => Some(l), _ => None }) {
        Some(l) => {
            let holder = if l.spec.holder_identity.is_empty() { "<unset>" } else { l.spec.holder_identity.as_str() };
            t += &format!("Lease:\n  HolderIdentity:\t{holder}\n  AcquireTime:\t<unset>\n  RenewTime:\t{}\n", l.spec.renew_time.map_or("<unset>".into(), |r| r.rfc1123z()));
        }
        None => t += &format!("Lease:\tFailed to get lease: leases.coordination.k8s.io \"{}\" not found\n", m.name),
    }
    if !n.status.conditions.is_empty() {
        t += "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n  ----\t------\t-----------------\t------------------\t------\t-------\n";
        for c in n.status.conditions.iter() {
            t += &format!("  {} \t{} \t{} \t{} \t{} \t{}\n", c.type_, c.status, ts_go(c.last_heartbeat_time), ts_go(c.last_transition_time), c.reason, c.message);
        }
    }
    t += "Addresses:\n";
    for a in &n.status.addresses {
        t += &format!("  {}:\t{}\n", a.type_, a.address);
    }
    for (title, list) in [("Capacity", &n.status.capacity), ("Allocatable", &n.status.allocatable)] {
        if !list.is_empty() {
            t += &format!("{title}:\n");
            for (k, v) in list {
                t += &format!("  {k}:\t{v}\n");
            }
        }
    }
    let info = n.status.node_info.clone().unwrap_or_default();
    t += &format!(
        "System Info:\n  Machine ID:\t{}\n  System UUID:\t{}\n  Boot ID:\t{}\n  Kernel Version:\t{}\n  OS Image:\t{}\n  Operating System:\t{}\n  Architecture:\t{}\n  Container Runtime Version:\t{}\n  Kubelet Version:\t{}\n  Kube-Proxy Version:\t{}\n",
        info.machine_id, info.system_uuid, info.boot_id, info.kernel_version, info.os_image, info.operating_system, info.architecture, info.container_runtime_version, info.kubelet_version, info.kube_proxy_version
    );
    if !n.spec.pod_cidr.is_empty() {
        t += &format!("PodCIDR:\t{}\n", n.spec.pod_cidr);
    }
    if !n.spec.pod_cidrs.is_empty() {
        t += &format!("PodCIDRs:\t{}\n", n.spec.pod_cidrs.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","));
    }
    if !n.spec.provider_id.is_empty() {
        t += &format!("ProviderID:\t{}\n", n.spec.provider_id);
    }
    // describeNodeResource: the pods on the node that have not finished, in the API's order.
    let pods: Vec<&Pod> = sim.pods().filter(|p| p.spec.node_name == m.name && !matches!(p.status.phase.as_str(), "Succeeded" | "Failed")).collect();
    let alloc_list = if n.status.allocatable.is_empty() { &n.status.capacity } else { &n.status.allocatable };
    let alloc = n.allocatable();
    let alloc_storage = alloc_list.get("ephemeral-storage").and_then(|q| parse_memory(q)).unwrap_or(0);
    t += &format!("Non-terminated Pods:\t({} in total)\n", pods.len());
    t += "  Namespace\tName\t\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n  ---------\t----\t\t------------\t----------\t---------------\t-------------\t---\n";
    let (mut requested, mut limited) = ((0, 0, 0), (0, 0, 0));
    for p in &pods {
        let [req, lim] = pod_totals(p);
        requested = (requested.0 + req.0, requested.1 + req.1, requested.2 + req.2);
        limited = (limited.0 + lim.0, limited.1 + lim.1, limited.2 + lim.2);
        let age = p.metadata.creation_timestamp.map_or("<unknown>".into(), |c| human_duration(sim.now().since(c)));
        t += &format!(
            "  {}\t{}\t\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{} ({}%)\t{age}\n",
            p.metadata.namespace, p.metadata.name,
            cpu_quantity(req.0), percent(req.0, alloc.milli_cpu), cpu_quantity(lim.0), percent(lim.0, alloc.milli_cpu),
            byte_quantity(req.1), percent(req.1, alloc.memory), byte_quantity(lim.1), percent(lim.1, alloc.memory),
        );
    }
    t += "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n  Resource\tRequests\tLimits\n  --------\t--------\t------\n";
    t += &format!("  cpu\t{} ({}%)\t{} ({}%)\n", cpu_quantity(requested.0), percent(requested.0, alloc.milli_cpu), cpu_quantity(limited.0), percent(limited.0, alloc.milli_cpu));
    t += &format!("  memory\t{} ({}%)\t{} ({}%)\n", byte_quantity(requested.1), percent(requested.1, alloc.memory), byte_quantity(limited.1), percent(limited.1, alloc.memory));
    t += &format!("  ephemeral-storage\t{} ({}%)\t{} ({}%)\n", byte_quantity(requested.2), percent(requested.2, alloc_storage), byte_quantity(limited.2), percent(limited.2, alloc_storage));
    // Events about the node: the controllers' name it by uid, the kubelet's by name.
    aligned_with_events(t, events_about(sim, &[&m.uid, &m.name], events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_names_become_words_as_smart_label_for_makes_them() {
        for (field, label) in [("apiVersion", "API Version"), ("leaseDurationSeconds", "Lease Duration Seconds"), ("uid", "UID"), ("holderIdentity", "Holder Identity"), ("podCIDRs", "Pod CID Rs"), ("kind", "Kind"), ("x-y", "X - Y"), ("field_1", "field_1")] {
            assert_eq!(smart_label(field), label, "{field}");
        }
    }

    #[test]
    fn tolerations_print_as_kubectl_prints_them() {
        let t = |key: &str, operator: &str, value: &str, effect: &str, secs: Option<i64>| Toleration { key: key.into(), operator: operator.into(), value: value.into(), effect: effect.into(), toleration_seconds: secs };
        let list = [t("node.kubernetes.io/unreachable", "Exists", "", "NoExecute", Some(300)), t("dedicated", "Equal", "gpu", "NoSchedule", None), t("", "Exists", "", "", None)];
        // Sorted by key; `op=Exists` only for Exists without a value, glued on when nothing precedes it.
        assert_eq!(toleration_lines(&list), "op=Exists\ndedicated=gpu:NoSchedule\nnode.kubernetes.io/unreachable:NoExecute op=Exists for 300s");
        assert_eq!(toleration_lines(&[]), "<none>");
    }

    #[test]
    fn long_annotations_go_below_their_key_cut_to_140_characters() {
        let mut a = Labels::new();
        a.insert("short".into(), "yes".into());
        a.insert("long".into(), "x".repeat(200).into());
        assert_eq!(annotation_lines(&a), format!("long:\n  {}...\nshort: yes", "x".repeat(140)));
    }
}
