//! Shell-like splitting of a command line and kubectl-style flag parsing.

use std::collections::BTreeMap;

/// Splits like a POSIX shell would for simple cases: whitespace, single and double quotes,
/// backslash escapes. Returns an error for an unterminated quote.
pub fn split(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(x) => cur.push(x),
                        None => return Err("unexpected EOF while looking for matching `''".into()),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        // Inside double quotes a backslash escapes only these, as in a shell.
                        Some('\\') => match chars.next() {
                            Some(c @ ('"' | '\\' | '$' | '`')) => cur.push(c),
                            Some(c) => {
                                cur.push('\\');
                                cur.push(c);
                            }
                            None => cur.push('\\'),
                        },
                        Some(x) => cur.push(x),
                        None => return Err("unexpected EOF while looking for matching `\"'".into()),
                    }
                }
            }
            '\\' => {
                in_word = true;
                cur.extend(chars.next());
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// A flag a command accepts: long name, optional one-letter short name, whether it takes a value.
#[derive(Clone, Copy)]
pub struct FlagSpec {
    pub long: &'static str,
    pub short: Option<char>,
    pub takes_value: bool,
}

pub const fn flag(long: &'static str, short: Option<char>, takes_value: bool) -> FlagSpec {
    FlagSpec { long, short, takes_value }
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub positional: Vec<String>,
    pub flags: BTreeMap<String, Vec<String>>,
}

impl Parsed {
    pub fn get(&self, long: &str) -> Option<&str> {
        self.flags.get(long).and_then(|v| v.last()).map(|s| s.as_str())
    }
    pub fn all(&self, long: &str) -> Vec<String> {
        self.flags.get(long).cloned().unwrap_or_default()
    }
    pub fn has(&self, long: &str) -> bool {
        self.flags.get(long).is_some_and(|v| v.last().map(|s| s.as_str()) != Some("false"))
    }
}

/// Parses flags the way cobra/pflag does; unknown flags are errors in kubectl's words.
pub fn parse(args: &[String], specs: &[FlagSpec]) -> Result<Parsed, String> {
    let mut p = Parsed::default();
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if a == "--" {
            p.positional.extend(args[i + 1..].iter().cloned());
            break;
        }
        if let Some(body) = a.strip_prefix("--") {
            let (name, inline) = match body.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (body, None),
            };
            let spec = specs.iter().find(|s| s.long == name).ok_or_else(|| format!("unknown flag: --{name}"))?;
            let value = if spec.takes_value {
                match inline {
                    Some(v) => v,
                    None => {
                        i += 1;
                        args.get(i).cloned().ok_or_else(|| format!("flag needs an argument: --{name}"))?
                    }
                }
            } else {
                inline.unwrap_or_else(|| "true".into())
            };
            p.flags.entry(spec.long.to_string()).or_default().push(value);
        } else if a.len() > 1 && a.starts_with('-') && !a[1..].starts_with(|c: char| c.is_ascii_digit()) {
            let mut chars = a[1..].char_indices();
            while let Some((pos, c)) = chars.next() {
                let spec = specs.iter().find(|s| s.short == Some(c)).ok_or_else(|| format!("unknown shorthand flag: '{c}' in {a}"))?;
                if spec.takes_value {
                    let rest = &a[1 + pos + c.len_utf8()..];
                    let value = if !rest.is_empty() {
                        rest.trim_start_matches('=').to_string()
                    } else {
                        i += 1;
                        args.get(i).cloned().ok_or_else(|| format!("flag needs an argument: '{c}' in -{c}"))?
                    };
                    p.flags.entry(spec.long.to_string()).or_default().push(value);
                    break;
                }
                p.flags.entry(spec.long.to_string()).or_default().push("true".into());
            }
        } else {
            p.positional.push(a.clone());
        }
        i += 1;
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn splits_quotes_and_parses_flags() {
        assert_eq!(split(r#"get pods -l 'app=web' "a b""#).unwrap(), vec!["get", "pods", "-l", "app=web", "a b"]);
        assert!(split("echo 'oops").is_err());
        // In double quotes a backslash escapes only " \ $ and `, as in a shell.
        assert_eq!(split(r#"a "x\ty\"z\\" 'q\n'"#).unwrap(), vec!["a", "x\\ty\"z\\", "q\\n"]);
        let specs = [flag("image", None, true), flag("namespace", Some('n'), true), flag("all-namespaces", Some('A'), false)];
        let args: Vec<String> = ["web", "--image=nginx", "-n", "kube-system", "-A"].iter().map(|s| s.to_string()).collect();
        let p = parse(&args, &specs).unwrap();
        assert_eq!(p.get("image"), Some("nginx"));
        assert_eq!(p.get("namespace"), Some("kube-system"));
        assert!(p.has("all-namespaces"));
        assert_eq!(parse(&["--replicas=3".to_string()], &specs).unwrap_err(), "unknown flag: --replicas");
    }
}
