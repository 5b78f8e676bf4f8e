//! The command language of kubesim's terminal and of the headless runner: kubectl, etcdctl
//! and simulation controls, parsed and executed against the engine, printed as the real tools
//! print. Pure Rust, shared by the web terminal and `kubesim`.

pub mod args;
pub mod describe;
mod diff;
pub mod etcdctl;
pub mod help;
mod jsonpath;
pub mod kubectl;
mod kubectl_ops;
mod kubectl_update;
mod pipe;
pub mod printers;
mod tabwriter;
pub mod yaml;

use crate::sim::{Sim, SimConfig, SimDuration};

/// Longest `sleep` one line may ask for, so a typo cannot freeze the page.
pub const MAX_SLEEP_SECS: u64 = 3600;
/// Longest command line accepted.
pub const MAX_LINE: usize = 64 * 1024;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub text: String,
    pub is_error: bool,
}

struct Heredoc {
    command: String,
    delimiter: String,
    body: Vec<String>,
}

/// A terminal session: the simulation plus the half-typed heredoc, if any.
pub struct Session {
    pub sim: Sim,
    heredoc: Option<Heredoc>,
}

impl Session {
    pub fn new(config: SimConfig) -> Self {
        Session { sim: Sim::new(config), heredoc: None }
    }

    /// Whether the session waits for more heredoc lines.
    pub fn in_heredoc(&self) -> bool {
        self.heredoc.is_some()
    }

    /// Feeds one line as typed. Returns output when a command completes, `None` while a
    /// heredoc (`<<EOF` ... `EOF`) is still open.
    pub fn feed_line(&mut self, line: &str) -> Option<Output> {
        if let Some(h) = &mut self.heredoc {
            if line.trim() == h.delimiter {
                let h = self.heredoc.take().expect("checked");
                let body = h.body.join("\n") + "\n";
                return Some(self.execute(&h.command, Some(&body)));
            }
            h.body.push(line.to_string());
            return None;
        }
        if let Some(pos) = line.find("<<") {
            let delim = line[pos + 2..].trim().trim_start_matches('-').trim_matches(|c| c == '\'' || c == '"').to_string();
            if !delim.is_empty() && delim.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                self.heredoc = Some(Heredoc { command: line[..pos].trim().to_string(), delimiter: delim, body: Vec::new() });
                return None;
            }
        }
        Some(self.execute(line, None))
    }

    /// Runs one command with optional standard input.
    pub fn execute(&mut self, line: &str, stdin: Option<&str>) -> Output {
        match self.dispatch(line, stdin) {
            Ok(text) => Output { text, is_error: false },
            Err(text) => Output { text, is_error: true },
        }
    }

    fn dispatch(&mut self, line: &str, stdin: Option<&str>) -> Result<String, String> {
        if line.len() > MAX_LINE {
            return Err(format!("error: the line is {} bytes long; kubesim accepts at most {MAX_LINE}", line.len()));
        }
        let line = line.trim();
        let line = line.split_once(" #").map(|(a, _)| a).unwrap_or(line);
        if line.is_empty() || line.starts_with('#') {
            return Ok(String::new());
        }
        let words = args::split(line).map_err(|e| format!("error: {e}"))?;
        // `kubectl get pods | grep web`: the command, then the filters over its output (what
        // it prints as an error is not piped, as a shell's stderr is not).
        if words.iter().any(|w| w == "|") {
            let mut segments = words.split(|w| w == "|");
            let first = segments.next().unwrap_or_default();
            if first.is_empty() {
                return Err("error: syntax error near unexpected token `|'".into());
            }
            let (mut text, error) = match self.run_words(first, stdin) {
                Ok(t) => (t, None),
                Err(e) => (String::new(), Some(e)),
            };
            for filter in segments {
                text = pipe::filter(filter, &text)?;
            }
            return match error {
                Some(e) if text.is_empty() => Err(e),
                Some(e) => Err(format!("{e}\n{text}")),
                None => Ok(text),
            };
        }
        self.run_words(&words, stdin)
    }

    fn run_words(&mut self, words: &[String], stdin: Option<&str>) -> Result<String, String> {
        let Some((cmd, rest)) = words.split_first() else { return Ok(String::new()) };
        match cmd.as_str() {
            "kubectl" | "k" => kubectl::run(&mut self.sim, rest, stdin),
            "etcdctl" => etcdctl::run(&mut self.sim, rest),
            "sleep" => {
                let secs = rest.first().and_then(|s| parse_duration(s)).ok_or("error: usage: sleep SECONDS (e.g. sleep 10, sleep 1.5, sleep 2m)")?;
                if secs > SimDuration::secs(MAX_SLEEP_SECS) {
                    return Err(format!("error: sleep at most {MAX_SLEEP_SECS} seconds at a time"));
                }
                self.sim.run_for(secs);
                Ok(String::new())
            }
            "node" => self.node_command(rest),
            "kubelet" => {
                let (action, node) = match rest {
                    [a, n] => (a.as_str(), n.as_str()),
                    _ => return Err("error: usage: kubelet stop|start NODE".into()),
                };
                let running = match action {
                    "stop" => false,
                    "start" => true,
                    _ => return Err("error: usage: kubelet stop|start NODE".into()),
                };
                self.sim.set_kubelet_running(node, running).map_err(|e| format!("Error from server (NotFound): {e}"))?;
                Ok(format!("kubelet on {node} {}", if running { "started" } else { "stopped (the node stops renewing its lease and reporting pods: after 50 s without a heartbeat kube-controller-manager marks it NotReady, and 5 minutes later evicts its pods)" }))
            }
            "help" | "?" => Ok(help()),
            c => Err(format!("{c}: command not found (try `help`)")),
        }
    }

    fn node_command(&mut self, rest: &[String]) -> Result<String, String> {
        match rest {
            [a, name] if a == "add" => match self.sim.add_node(name) {
                Ok(_) => Ok(format!("node/{name} registered (its kubelet, containerd and kube-proxy are starting)")),
                Err(e) => Err(kubectl::server_error(&e)),
            },
            [a, name] if a == "remove" => {
                let mut req = crate::sim::ApiRequest::new(crate::sim::Verb::Delete, crate::sim::Kind::Node, "", name);
                req.grace_period = Some(0);
                self.sim.call(req).map_err(|e| kubectl::server_error(&e))?;
                self.sim.stop_node_agents(name);
                Ok(format!("node/{name} removed (the pod garbage collector deletes its pods)"))
            }
            _ => Err("error: usage: node add NAME | node remove NAME".into()),
        }
    }
}

/// `10`, `1.5`, `10s`, `2m`, `500ms`.
pub fn parse_duration(s: &str) -> Option<SimDuration> {
    let (num, mul) = if let Some(n) = s.strip_suffix("ms") {
        (n, 1e3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1e6)
    } else if let Some(n) = s.strip_suffix('m') {
        (n, 6e7)
    } else if let Some(n) = s.strip_suffix('h') {
        (n, 3.6e9)
    } else {
        (s, 1e6)
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0 && v < 1e7).then(|| SimDuration((v * mul) as u64))
}

pub fn help() -> String {
    "kubesim terminal. Type what you would type on a real cluster:\n\
  kubectl create deployment web --image=nginx --replicas=3\n\
  kubectl get pods -o wide          kubectl get all        kubectl describe pod NAME\n\
  kubectl scale deployment web --replicas=5                kubectl delete pod NAME\n\
  kubectl apply -f - <<EOF          (then the manifest, then EOF)\n\
  kubectl expose deployment web --port=80                  kubectl cordon node-1\n\
  etcdctl get /registry --prefix --keys-only               etcdctl watch /registry/pods --prefix\n\
Simulation controls (not kubectl):\n\
  sleep 10              let 10 seconds of simulated time pass\n\
  node add NAME         register a new worker node   node remove NAME\n\
  kubelet stop NODE     stop a node's kubelet        kubelet start NODE\n\
  help                  this text".into()
}
