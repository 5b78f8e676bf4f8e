//! The few shell filters people pipe kubectl into (`kubectl get pods | grep web`): grep, head,
//! tail, wc, sort, uniq and awk's `{print $N}`. Each takes the text before it and gives the
//! text after it, as its Unix namesake would for these options.

const SUPPORTED: &str = "kubesim's console pipes into grep [-v] [-i] [-c] [-E], head [-n N], tail [-n N], wc [-l|-w|-c], sort [-r] [-n], uniq and awk '{print $N}'";

/// Runs `filter` (its words, the command first) over `input`.
pub fn filter(words: &[String], input: &str) -> Result<String, String> {
    let Some((cmd, args)) = words.split_first() else { return Err(format!("error: a pipe needs a command after it; {SUPPORTED}")) };
    let lines: Vec<&str> = if input.is_empty() { Vec::new() } else { input.lines().collect() };
    let out: Vec<String> = match cmd.as_str() {
        "grep" | "egrep" => {
            let (mut invert, mut nocase, mut count, mut extended) = (false, false, false, cmd == "egrep");
            let mut pattern = None;
            for a in args {
                match a.as_str() {
                    s if s.starts_with('-') && s.len() > 1 && pattern.is_none() => {
                        for c in s[1..].chars() {
                            match c {
                                'v' => invert = true,
                                'i' => nocase = true,
                                'c' => count = true,
                                'E' => extended = true,
                                _ => return Err(format!("grep: invalid option -- '{c}' ({SUPPORTED})")),
                            }
                        }
                    }
                    s if pattern.is_none() => pattern = Some(s.to_string()),
                    _ => return Err(format!("grep: kubesim's grep reads the pipe, not files ({SUPPORTED})")),
                }
            }
            let pattern = pattern.ok_or("Usage: grep [OPTION]... PATTERNS")?;
            let pattern = if nocase { pattern.to_lowercase() } else { pattern };
            // Alternatives: `a|b` with -E, `a\|b` without.
            let alternatives: Vec<String> = if extended { pattern.split('|').map(str::to_string).collect() } else { pattern.split("\\|").map(str::to_string).collect() };
            let hit = |l: &str| {
                let l = if nocase { l.to_lowercase() } else { l.to_string() };
                alternatives.iter().any(|p| matches_anywhere(p, &l)) != invert
            };
            let found: Vec<String> = lines.iter().filter(|l| hit(l)).map(|l| l.to_string()).collect();
            if count { vec![found.len().to_string()] } else { found }
        }
        "head" | "tail" => {
            let n: usize = match args.iter().map(|a| a.as_str()).collect::<Vec<_>>().as_slice() {
                [] => 10,
                ["-n", n] => n.parse().map_err(|_| format!("{cmd}: invalid number of lines: {n:?}"))?,
                [flag] if flag.starts_with("-n") => flag[2..].parse().map_err(|_| format!("{cmd}: invalid number of lines: {:?}", &flag[2..]))?,
                [flag] if flag.starts_with('-') => flag[1..].parse().map_err(|_| format!("{cmd}: invalid option ({SUPPORTED})"))?,
                _ => return Err(format!("{cmd}: kubesim's {cmd} reads the pipe, not files ({SUPPORTED})")),
            };
            if cmd == "head" { lines.iter().take(n).map(|l| l.to_string()).collect() } else { lines[lines.len().saturating_sub(n)..].iter().map(|l| l.to_string()).collect() }
        }
        "wc" => {
            let (l, w, c) = (lines.len(), input.split_whitespace().count(), input.len() + usize::from(!input.is_empty() && !input.ends_with('\n')));
            vec![match args.first().map(|a| a.as_str()) {
                Some("-l") => l.to_string(),
                Some("-w") => w.to_string(),
                Some("-c") => c.to_string(),
                None => format!("{l:>7} {w:>7} {c:>7}"),
                Some(o) => return Err(format!("wc: invalid option {o} ({SUPPORTED})")),
            }]
        }
        "sort" => {
            let (reverse, numeric) = (args.iter().any(|a| a.contains('r') && a.starts_with('-')), args.iter().any(|a| a.contains('n') && a.starts_with('-')));
            let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            if numeric {
                let num = |l: &str| l.split_whitespace().next().and_then(|w| w.parse::<f64>().ok()).unwrap_or(0.0);
                v.sort_by(|a, b| num(a).partial_cmp(&num(b)).unwrap_or(std::cmp::Ordering::Equal));
            } else {
                v.sort();
            }
            if reverse {
                v.reverse();
            }
            v
        }
        "uniq" => {
            let mut v: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
            v.dedup();
            v
        }
        "awk" => {
            // `{print $1}`, `{print $1, $3}`, `{print $NF}`.
            let program = args.first().map(|a| a.trim()).unwrap_or_default();
            let body = program.strip_prefix('{').and_then(|p| p.strip_suffix('}')).map(str::trim).and_then(|p| p.strip_prefix("print")).ok_or_else(|| format!("awk: kubesim's awk runs '{{print $N}}' only ({SUPPORTED})"))?;
            let fields: Vec<&str> = body.split(',').map(str::trim).collect();
            let mut v = Vec::new();
            for l in &lines {
                let words: Vec<&str> = l.split_whitespace().collect();
                let picked: Result<Vec<&str>, String> = fields
                    .iter()
                    .map(|f| match f.strip_prefix('$') {
                        Some("0") => Ok(*l),
                        Some("NF") => Ok(words.last().copied().unwrap_or("")),
                        Some(n) => n.parse::<usize>().map(|n| words.get(n.wrapping_sub(1)).copied().unwrap_or("")).map_err(|_| format!("awk: cannot print {f} ({SUPPORTED})")),
                        None => Err(format!("awk: cannot print {f} ({SUPPORTED})")),
                    })
                    .collect();
                v.push(picked?.join(" "));
            }
            v
        }
        other => return Err(format!("{other}: not available here; {SUPPORTED}")),
    };
    Ok(out.join("\n"))
}

/// grep's match of a basic pattern anywhere in the line: literals, `.`, `*` after an atom,
/// `^` and `$` anchors (the usual kubectl-output patterns).
fn matches_anywhere(pattern: &str, line: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let l: Vec<char> = line.chars().collect();
    if let Some(rest) = p.strip_prefix(&['^']) {
        return matches_here(rest, &l);
    }
    (0..=l.len()).any(|i| matches_here(&p, &l[i..]))
}

fn matches_here(p: &[char], l: &[char]) -> bool {
    match p {
        [] => true,
        ['$'] => l.is_empty(),
        [c, '*', rest @ ..] => {
            let mut i = 0;
            loop {
                if matches_here(rest, &l[i..]) {
                    return true;
                }
                if i < l.len() && (*c == '.' || l[i] == *c) {
                    i += 1;
                } else {
                    return false;
                }
            }
        }
        [c, rest @ ..] => !l.is_empty() && (*c == '.' || l[0] == *c) && matches_here(rest, &l[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cmd: &str, input: &str) -> Result<String, String> {
        let words: Vec<String> = crate::cli::args::split(cmd).expect("splits");
        filter(&words, input)
    }

    #[test]
    fn filters_behave_like_their_unix_namesakes() {
        let text = "NAME   READY\nweb-1   1/1\napi-1   0/1\nweb-2   1/1";
        assert_eq!(run("grep web", text).unwrap(), "web-1   1/1\nweb-2   1/1");
        assert_eq!(run("grep -v web", text).unwrap(), "NAME   READY\napi-1   0/1");
        assert_eq!(run("grep -ic WEB", text).unwrap(), "2");
        assert_eq!(run("grep -E 'api|NAME'", text).unwrap(), "NAME   READY\napi-1   0/1");
        assert_eq!(run("grep ^w.*2", text).unwrap(), "web-2   1/1");
        assert_eq!(run("grep 1/1$", text).unwrap(), "web-1   1/1\nweb-2   1/1");
        assert_eq!(run("head -n 2", text).unwrap(), "NAME   READY\nweb-1   1/1");
        assert_eq!(run("tail -1", text).unwrap(), "web-2   1/1");
        assert_eq!(run("wc -l", text).unwrap(), "4");
        assert_eq!(run("awk '{print $1}'", text).unwrap(), "NAME\nweb-1\napi-1\nweb-2");
        assert_eq!(run("sort -r", "b\na\nc").unwrap(), "c\nb\na");
        assert_eq!(run("uniq", "a\na\nb").unwrap(), "a\nb");
        assert!(run("jq .", text).unwrap_err().contains("not available here"));
        assert!(run("grep", text).is_err() && run("head -n x", text).is_err() && run("awk '{print $x}'", text).is_err());
    }
}
