//! etcdctl against the simulated etcd: `get KEY [--prefix] [--keys-only] [-w json]`, and
//! `watch KEY [--prefix]` (which lists what changed since a revision, since a terminal line
//! cannot stream). Values print as JSON: real etcd holds protobuf, which etcdctl shows as bytes.

use super::args::{flag, parse};
use crate::sim::Sim;

const COMMANDS: &[&str] = &["get", "watch", "version", "endpoint"];

pub fn run(sim: &mut Sim, args: &[String]) -> Result<String, String> {
    let Some(cmd) = args.first() else { return Ok(help()) };
    let specs = [flag("prefix", None, false), flag("keys-only", None, false), flag("write-out", Some('w'), true), flag("rev", None, true), flag("limit", None, true)];
    let p = parse(&args[1..], &specs).map_err(|e| format!("Error: {e}"))?;
    match cmd.as_str() {
        "get" => {
            let key = p.positional.first().ok_or("Error: get command needs one argument as key and an optional argument as range_end")?;
            let limit: usize = p.get("limit").and_then(|l| l.parse().ok()).unwrap_or(usize::MAX);
            let kvs: Vec<(String, crate::sim::etcd::KeyValue)> = if p.has("prefix") {
                sim.etcd().range(key).take(limit).map(|(k, kv)| (k.to_string(), kv.clone())).collect()
            } else {
                sim.etcd().get(key).map(|kv| (key.clone(), kv.clone())).into_iter().collect()
            };
            if p.get("write-out") == Some("json") {
                let items: Vec<serde_json::Value> = kvs.iter().map(|(k, kv)| serde_json::json!({"key": k.to_string(), "create_revision": kv.create_revision, "mod_revision": kv.mod_revision, "version": kv.version, "value": if p.has("keys-only") { serde_json::Value::Null } else { kv.value.to_value() }})).collect();
                return Ok(serde_json::json!({"header": {"revision": sim.etcd().revision()}, "kvs": items, "count": items.len()}).to_string());
            }
            let mut out = Vec::new();
            for (k, kv) in kvs {
                out.push(k.to_string());
                if !p.has("keys-only") {
                    out.push(kv.value.to_value().to_string());
                }
            }
            Ok(out.join("\n"))
        }
        "watch" => {
            let key = p.positional.first().ok_or("Error: watch command needs an argument as key or an argument as key and an argument as range_end")?;
            let rev: u64 = p.get("rev").and_then(|r| r.parse().ok()).unwrap_or(sim.etcd().revision().saturating_sub(20));
            match sim.etcd().events_since(rev.saturating_sub(1), key) {
                Err(c) => Err(format!("Error: watch was canceled (etcdserver: mvcc: required revision has been compacted; compacted revision {})", c.compact_revision)),
                Ok(evs) => {
                    let mut out = Vec::new();
                    for e in evs.iter().filter(|e| p.has("prefix") || &*e.key == key.as_str()) {
                        out.push(match e.kind { crate::sim::etcd::EventType::Put => "PUT", crate::sim::etcd::EventType::Delete => "DELETE" }.to_string());
                        out.push(e.key.to_string());
                        if e.kind == crate::sim::etcd::EventType::Put {
                            out.push(e.value.to_value().to_string());
                        }
                    }
                    out.push(format!("(kubesim: changes since revision {rev}; etcd is now at revision {}. A real watch keeps streaming.)", sim.etcd().revision()));
                    Ok(out.join("\n"))
                }
            }
        }
        "version" => Ok("etcdctl version: 3.5.16\nAPI version: 3.5".into()),
        "put" | "del" | "txn" | "compaction" | "defrag" => Err(format!("Error: kubesim's etcdctl only reads: in a cluster only kube-apiserver writes to etcd, so `{cmd}` is not simulated")),
        c => Err(super::kubectl::unknown_command(c, "etcdctl", COMMANDS).replacen("error:", "Error:", 1)),
    }
}

pub fn help() -> String {
    "etcdctl (simulated):\n  etcdctl get KEY [--prefix] [--keys-only] [-w json]\n  etcdctl watch KEY [--prefix] [--rev N]".into()
}
