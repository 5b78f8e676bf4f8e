//! The headless runner: the same engine and command language as the web page, driven by a
//! script or standard input. Each line prints as `$ <line>` followed by its output.
//!
//! kubesim [--seed N] [--nodes N] [--mode watch|poll] [--trace] [SCRIPT]

use std::io::Read;
use std::process::ExitCode;

use kubesim::cli::Session;
use kubesim::sim::{NoticeMode, SimConfig, MAX_NODES};

const USAGE: &str = "usage: kubesim [--seed N] [--nodes N] [--mode watch|poll] [--trace] [SCRIPT]\n\nRuns kubectl, etcdctl and simulation commands from SCRIPT (or standard input) against a simulated cluster.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut config = SimConfig::default();
    let mut trace = false;
    let mut script = None;
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a, None),
        };
        let value = |i: &mut usize| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            *i += 1;
            args.get(*i).cloned().ok_or_else(|| format!("kubesim: flag needs an argument: {name}"))
        };
        let r: Result<(), String> = match name {
            "--seed" => value(&mut i).and_then(|v| v.parse().map(|s| config.seed = s).map_err(|_| format!("kubesim: invalid --seed {v:?}: want a whole number"))),
            "--nodes" => value(&mut i).and_then(|v| match v.parse::<u32>() {
                Ok(n) if n <= MAX_NODES => {
                    config.nodes = n;
                    Ok(())
                }
                _ => Err(format!("kubesim: invalid --nodes {v:?}: want 0 to {MAX_NODES}")),
            }),
            "--mode" => value(&mut i).and_then(|v| match v.as_str() {
                "watch" => Ok(config.mode = NoticeMode::Watch),
                "poll" => Ok(config.mode = NoticeMode::Poll),
                _ => Err(format!("kubesim: invalid --mode {v:?}: want watch or poll")),
            }),
            "--trace" => Ok(trace = true),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            s if s.starts_with('-') && s != "-" => Err(format!("kubesim: unknown flag: {s}\n{USAGE}")),
            _ => {
                script = Some(a.to_string());
                Ok(())
            }
        };
        if let Err(e) = r {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
        i += 1;
    }
    let text = match script.as_deref() {
        None | Some("-") => {
            let mut s = String::new();
            if let Err(e) = std::io::stdin().read_to_string(&mut s) {
                eprintln!("kubesim: cannot read standard input: {e}");
                return ExitCode::from(1);
            }
            s
        }
        Some(path) => match std::fs::read(path) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                eprintln!("kubesim: cannot read {path}: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let mut session = Session::new(config);
    // The trace is a bounded ring; remember the last message printed by its sequence number.
    let mut printed_seq = 0u64;
    for line in text.lines() {
        if !session.in_heredoc() {
            println!("$ {line}");
        } else {
            println!("> {line}");
        }
        if let Some(out) = session.feed_line(line) {
            if trace {
                for e in session.sim.trace().entries().iter().filter(|e| e.seq > printed_seq) {
                    println!("  {} -> {}  {}  {} {} {} rev={}  {}", e.sent, e.delivered, e.kind.name(), session.sim.component_name(e.from), session.sim.component_name(e.to), e.verb, e.revision, if e.key.is_empty() { e.summary.clone() } else { format!("{}  ({})", e.key, e.summary) });
                }
                printed_seq = session.sim.trace().entries().back().map_or(printed_seq, |e| e.seq);
            }
            if !out.text.is_empty() {
                if out.is_error { eprintln!("{}", out.text) } else { println!("{}", out.text) }
            }
        }
    }
    ExitCode::SUCCESS
}
