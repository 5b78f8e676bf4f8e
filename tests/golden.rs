//! Golden tests of the command language: each script in tests/golden/*.txt runs through the
//! runner's session (seed 1, the walkthrough's two nodes) and its whole transcript must match
//! the .out file beside it. Regenerate with `UPDATE_GOLDEN=1 cargo test --test golden`, then
//! read the diff against real kubectl before committing.

use kubesim::cli::Session;
use kubesim::sim::SimConfig;

fn transcript(script: &str) -> String {
    let mut s = Session::new(SimConfig::default());
    let mut out = String::new();
    for line in script.lines() {
        out.push_str(if s.in_heredoc() { "> " } else { "$ " });
        out.push_str(line);
        out.push('\n');
        if let Some(o) = s.feed_line(line) {
            if !o.text.is_empty() {
                for l in o.text.lines() {
                    out.push_str(if o.is_error { "! " } else { "" });
                    out.push_str(l);
                    out.push('\n');
                }
            }
        }
    }
    out
}

#[test]
fn transcripts_match_their_golden_files() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden");
    let mut scripts: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(|e| e.ok()).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect();
    scripts.sort();
    assert!(scripts.len() >= 4);
    let mut failed = Vec::new();
    for script in scripts {
        let got = transcript(&std::fs::read_to_string(&script).unwrap());
        let golden = script.with_extension("out");
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &got).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&golden).unwrap_or_default();
        if got != want {
            let line = got.lines().zip(want.lines()).position(|(a, b)| a != b).unwrap_or(got.lines().count().min(want.lines().count()));
            failed.push(format!("{}: first difference at line {}:\n  got:  {:?}\n  want: {:?}", golden.display(), line + 1, got.lines().nth(line), want.lines().nth(line)));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
