//! A small YAML reader and writer for Kubernetes manifests, producing and consuming
//! `serde_json::Value`. It covers what manifests use — block mappings and sequences, flow
//! `[..]` / `{..}` on one line, quoted and plain scalars, `|` and `>` block scalars, comments,
//! `---` between documents — with limits on size and depth so no input can hang or crash it.
//! (A full YAML library would cost more of the page's size budget than everything else here.)

use serde_json::{Map, Number, Value};

pub const MAX_MANIFEST_BYTES: usize = 1 << 20;
const MAX_DEPTH: usize = 64;

#[derive(Debug, Clone)]
struct Line {
    no: usize,
    indent: usize,
    text: String,
}

fn err(no: usize, msg: &str) -> String {
    format!("error converting YAML to JSON: yaml: line {no}: {msg}")
}

/// Strips a comment that starts outside quotes.
fn strip_comment(s: &str) -> &str {
    let (mut sq, mut dq) = (false, false);
    let b = s.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' if !dq => sq = !sq,
            b'"' if !sq => dq = !dq,
            b'#' if !sq && !dq && (i == 0 || b[i - 1] == b' ' || b[i - 1] == b'\t') => return &s[..i],
            _ => {}
        }
    }
    s
}

/// Splits a stream into documents, each parsed on its own.
pub fn parse_documents(input: &str) -> Result<Vec<Value>, String> {
    if input.len() > MAX_MANIFEST_BYTES {
        return Err(format!("error: the manifest is {} bytes; kubesim accepts at most {} bytes", input.len(), MAX_MANIFEST_BYTES));
    }
    if input.contains('\0') {
        return Err("error: the input is binary, not YAML or JSON".into());
    }
    let mut docs = Vec::new();
    let mut cur: Vec<(usize, &str)> = Vec::new();
    for (i, raw) in input.lines().enumerate() {
        let t = raw.trim_end();
        if t == "---" || t.starts_with("--- ") {
            docs.push(std::mem::take(&mut cur));
            continue;
        }
        if t == "..." {
            continue;
        }
        cur.push((i + 1, raw));
    }
    docs.push(cur);
    let mut out = Vec::new();
    for d in docs {
        let v = parse_doc(&d)?;
        if !v.is_null() {
            out.push(v);
        }
    }
    Ok(out)
}

fn parse_doc(raw: &[(usize, &str)]) -> Result<Value, String> {
    let trimmed: String = raw.iter().map(|(_, l)| *l).collect::<Vec<_>>().join("\n");
    let t = trimmed.trim();
    if t.starts_with('{') || t.starts_with('[') {
        // JSON is YAML too.
        if let Ok(v) = serde_json::from_str::<Value>(t) {
            return Ok(v);
        }
    }
    let mut lines = Vec::new();
    for (no, l) in raw {
        if l.contains('\t') && l.trim_start().starts_with('\t') {
            return Err(err(*no, "found character that cannot start any token"));
        }
        lines.push(Line { no: *no, indent: l.len() - l.trim_start().len(), text: l.to_string() });
    }
    let mut p = Parser { lines, pos: 0 };
    p.skip_blank();
    if p.pos >= p.lines.len() {
        return Ok(Value::Null);
    }
    let indent = p.lines[p.pos].indent;
    let v = p.block(indent, 0)?;
    p.skip_blank();
    if p.pos < p.lines.len() {
        let l = &p.lines[p.pos];
        return Err(err(l.no, "did not find expected key"));
    }
    Ok(v)
}

struct Parser {
    lines: Vec<Line>,
    pos: usize,
}

impl Parser {
    fn skip_blank(&mut self) {
        while self.pos < self.lines.len() && strip_comment(&self.lines[self.pos].text).trim().is_empty() {
            self.pos += 1;
        }
    }

    fn content(&self, i: usize) -> &str {
        let l = &self.lines[i];
        strip_comment(&l.text[l.indent..]).trim_end()
    }

    fn block(&mut self, indent: usize, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err(err(self.lines[self.pos.min(self.lines.len() - 1)].no, "exceeded max depth of 64"));
        }
        self.skip_blank();
        let first = self.content(self.pos).to_string();
        if first == "-" || first.starts_with("- ") {
            self.sequence(indent, depth)
        } else {
            self.mapping(indent, depth)
        }
    }

    fn sequence(&mut self, indent: usize, depth: usize) -> Result<Value, String> {
        let mut items = Vec::new();
        loop {
            self.skip_blank();
            if self.pos >= self.lines.len() || self.lines[self.pos].indent != indent {
                break;
            }
            let c = self.content(self.pos).to_string();
            if !(c == "-" || c.starts_with("- ")) {
                break;
            }
            let rest = c[1..].trim_start().to_string();
            if rest.is_empty() {
                self.pos += 1;
                self.skip_blank();
                if self.pos < self.lines.len() && self.lines[self.pos].indent > indent {
                    let ind = self.lines[self.pos].indent;
                    items.push(self.block(ind, depth + 1)?);
                } else {
                    items.push(Value::Null);
                }
            } else if is_mapping_entry(&rest) || rest.starts_with("- ") {
                // "- key: v": the item is a block that starts on this line, two columns in.
                let inner = indent + (c.len() - rest.len());
                let l = &mut self.lines[self.pos];
                l.text = format!("{}{}", " ".repeat(inner), rest);
                l.indent = inner;
                items.push(self.block(inner, depth + 1)?);
            } else {
                let no = self.lines[self.pos].no;
                self.pos += 1;
                items.push(self.scalar_or_multiline(&rest, indent, no, depth)?);
            }
        }
        Ok(Value::Array(items))
    }

    fn mapping(&mut self, indent: usize, depth: usize) -> Result<Value, String> {
        let mut map = Map::new();
        loop {
            self.skip_blank();
            if self.pos >= self.lines.len() {
                break;
            }
            let l = &self.lines[self.pos];
            if l.indent < indent {
                break;
            }
            let no = l.no;
            if l.indent > indent {
                return Err(err(no, "mapping values are not allowed in this context"));
            }
            let c = self.content(self.pos).to_string();
            if c.starts_with("- ") || c == "-" {
                break;
            }
            let Some((k, v)) = split_key(&c) else {
                return Err(err(no, "could not find expected ':'"));
            };
            let key = unquote(k.trim());
            if map.contains_key(&key) {
                return Err(err(no, &format!("key {key:?} already set in map")));
            }
            self.pos += 1;
            let v = v.trim();
            let value = if v.is_empty() {
                self.skip_blank();
                if self.pos < self.lines.len() && (self.lines[self.pos].indent > indent || (self.lines[self.pos].indent == indent && self.content(self.pos).starts_with("- "))) {
                    let ind = self.lines[self.pos].indent;
                    self.block(ind, depth + 1)?
                } else {
                    Value::Null
                }
            } else {
                self.scalar_or_multiline(v, indent, no, depth)?
            };
            map.insert(key, value);
        }
        Ok(Value::Object(map))
    }

    fn scalar_or_multiline(&mut self, v: &str, indent: usize, no: usize, depth: usize) -> Result<Value, String> {
        if v == "|" || v == ">" || v == "|-" || v == ">-" || v == "|+" || v == ">+" {
            let mut parts = Vec::new();
            let mut block_indent = None;
            while self.pos < self.lines.len() {
                let l = &self.lines[self.pos];
                let blank = l.text.trim().is_empty();
                if !blank && l.indent <= indent {
                    break;
                }
                let bi = *block_indent.get_or_insert(l.indent);
                parts.push(if blank { String::new() } else { l.text.get(bi..).unwrap_or("").to_string() });
                self.pos += 1;
            }
            while parts.last().is_some_and(|p| p.is_empty()) {
                parts.pop();
            }
            let mut s = if v.starts_with('|') { parts.join("\n") } else { parts.join(" ") };
            if !v.ends_with('-') {
                s.push('\n');
            }
            return Ok(Value::String(s));
        }
        if v.starts_with('[') || v.starts_with('{') {
            return flow(v, no, depth);
        }
        scalar(v, no)
    }
}

fn is_mapping_entry(s: &str) -> bool {
    split_key(s).is_some() && !s.starts_with('"') && !s.starts_with('\'') && !s.starts_with('[') && !s.starts_with('{') || (s.starts_with('"') && split_key(s).is_some())
}

/// Splits `key: value` at the first `: ` (or trailing `:`) outside quotes.
fn split_key(s: &str) -> Option<(&str, &str)> {
    let b = s.as_bytes();
    let (mut sq, mut dq) = (false, false);
    for i in 0..b.len() {
        match b[i] {
            b'\'' if !dq => sq = !sq,
            b'"' if !sq => dq = !dq,
            b':' if !sq && !dq && (i + 1 == b.len() || b[i + 1] == b' ') => return Some((&s[..i], &s[i + 1..])),
            _ => {}
        }
    }
    None
}

fn unquote(s: &str) -> String {
    if s.len() >= 2 && ((s.starts_with('"') && s.ends_with('"')) || (s.starts_with('\'') && s.ends_with('\''))) {
        if s.starts_with('"') {
            serde_json::from_str::<String>(s).unwrap_or_else(|_| s[1..s.len() - 1].to_string())
        } else {
            s[1..s.len() - 1].replace("''", "'")
        }
    } else {
        s.to_string()
    }
}

fn scalar(s: &str, no: usize) -> Result<Value, String> {
    let s = s.trim();
    if (s.starts_with('"') && !s.ends_with('"')) || (s.starts_with('\'') && !s.ends_with('\'')) || s.len() == 1 && (s == "\"" || s == "'") {
        return Err(err(no, "found unexpected end of stream"));
    }
    if s.starts_with('"') || s.starts_with('\'') {
        return Ok(Value::String(unquote(s)));
    }
    if s.starts_with('&') || s.starts_with('*') {
        return Err(err(no, "anchors and aliases are not supported by kubesim's YAML reader"));
    }
    Ok(match s {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Ok(i) = s.parse::<i64>() {
                Value::Number(i.into())
            } else if let Some(f) = s.parse::<f64>().ok().filter(|f| f.is_finite() && s.bytes().all(|c| c.is_ascii_digit() || b".-+eE".contains(&c))) {
                Number::from_f64(f).map(Value::Number).unwrap_or(Value::String(s.into()))
            } else {
                Value::String(s.into())
            }
        }
    })
}

/// One-line flow collections: `[a, "b", 3]`, `{app: web, tier: fe}`.
fn flow(s: &str, no: usize, depth: usize) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(err(no, "exceeded max depth of 64"));
    }
    let s = s.trim();
    let (open, close) = if s.starts_with('[') { ('[', ']') } else { ('{', '}') };
    if !s.ends_with(close) {
        return Err(err(no, &format!("did not find expected ',' or '{close}'")));
    }
    let inner = &s[1..s.len() - 1];
    let mut parts = Vec::new();
    let (mut lvl, mut start, mut sq, mut dq) = (0i32, 0, false, false);
    for (i, c) in inner.char_indices() {
        match c {
            '\'' if !dq => sq = !sq,
            '"' if !sq => dq = !dq,
            '[' | '{' if !sq && !dq => lvl += 1,
            ']' | '}' if !sq && !dq => lvl -= 1,
            ',' if lvl == 0 && !sq && !dq => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    if !inner[start..].trim().is_empty() {
        parts.push(&inner[start..]);
    }
    let item = |p: &str| -> Result<Value, String> {
        let p = p.trim();
        if p.starts_with('[') || p.starts_with('{') { flow(p, no, depth + 1) } else { scalar(p, no) }
    };
    if open == '[' {
        Ok(Value::Array(parts.into_iter().map(item).collect::<Result<_, _>>()?))
    } else {
        let mut m = Map::new();
        for p in parts {
            let (k, v) = split_key(p.trim()).ok_or_else(|| err(no, "did not find expected ':' in flow mapping"))?;
            m.insert(unquote(k.trim()), item(v)?);
        }
        Ok(Value::Object(m))
    }
}

// ---------------------------------------------------------------- writing

fn needs_quotes(s: &str) -> bool {
    s.is_empty()
        || matches!(s, "true" | "false" | "null" | "~" | "yes" | "no" | "on" | "off" | "True" | "False" | "Null")
        || s.parse::<f64>().is_ok()
        || s.starts_with(|c: char| "-?:,[]{}#&*!|>'\"%@` ".contains(c))
        || s.ends_with(' ')
        || s.contains(": ")
        || s.contains(" #")
        || s.contains('\n')
        || crate::sim::SimTime::parse_rfc3339(s).is_some()
}

fn scalar_out(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        // sigs.k8s.io/yaml (go-yaml) double-quotes what would otherwise read as another type.
        Value::String(s) if needs_quotes(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::String(s) => s.clone(),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

/// A multi-line string as go-yaml writes it, a literal block (`|`, or `|-` without a final
/// line break) indented under its key; `None` where it keeps the quoted form (a first line
/// that starts with a space would need an indentation indicator; control characters).
fn literal_block(s: &str, indent: usize) -> Option<String> {
    if !s.contains('\n') || s.starts_with(' ') || s.chars().any(|c| c.is_control() && c != '\n') || s.ends_with("\n\n") {
        return None;
    }
    let (body, chomp) = match s.strip_suffix('\n') {
        Some(b) => (b, "|"),
        None => (s, "|-"),
    };
    let pad = " ".repeat(indent);
    let mut out = format!("{chomp}\n");
    for line in body.split('\n') {
        if line.is_empty() {
            out.push('\n');
        } else {
            out.push_str(&format!("{pad}{line}\n"));
        }
    }
    Some(out)
}

fn write(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(m) => {
            for (k, val) in m {
                let key = if needs_quotes(k) { serde_json::to_string(k).unwrap_or_default() } else { k.clone() };
                match val {
                    Value::Object(x) if !x.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write(val, indent + 2, out);
                    }
                    Value::Array(x) if !x.is_empty() => {
                        out.push_str(&format!("{pad}{key}:\n"));
                        write(val, indent, out);
                    }
                    _ => match val.as_str().and_then(|text| literal_block(text, indent + 2)) {
                        Some(block) => out.push_str(&format!("{pad}{key}: {block}")),
                        None => out.push_str(&format!("{pad}{key}: {}\n", scalar_out(val))),
                    },
                }
            }
        }
        Value::Array(a) => {
            for item in a {
                match item {
                    Value::Object(x) if !x.is_empty() => {
                        let mut inner = String::new();
                        write(item, indent + 2, &mut inner);
                        let inner = inner.replacen(&" ".repeat(indent + 2), "", 1);
                        out.push_str(&format!("{pad}- {inner}"));
                    }
                    Value::Array(x) if !x.is_empty() => {
                        out.push_str(&format!("{pad}-\n"));
                        write(item, indent + 2, out);
                    }
                    _ => out.push_str(&format!("{pad}- {}\n", scalar_out(item))),
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar_out(other))),
    }
}

/// Renders a value as block YAML, as `kubectl get -o yaml` prints.
pub fn to_yaml(v: &Value) -> String {
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_a_deployment_manifest() {
        let y = "apiVersion: apps/v1\nkind: Deployment # comment\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n      - name: nginx\n        image: \"nginx:1.27\"\n        ports:\n        - containerPort: 80\n      - name: side\n        image: busybox\n        args: [sleep, '3600']\n---\nkind: Service\n";
        let docs = parse_documents(y).unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["spec"]["replicas"], json!(3));
        assert_eq!(docs[0]["metadata"]["labels"]["app"], json!("web"));
        assert_eq!(docs[0]["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"], json!(80));
        assert_eq!(docs[0]["spec"]["template"]["spec"]["containers"][1]["args"], json!(["sleep", "3600"]));
        assert_eq!(docs[1]["kind"], json!("Service"));
    }

    #[test]
    fn round_trips_through_the_writer() {
        let v = json!({"a": {"b": [1, {"c": "x", "d": ["y"]}], "e": "true", "f": ""}, "g": "{\"x\":1}\n", "h": "two\nlines", "i": " lead\n"});
        assert_eq!(parse_documents(&to_yaml(&v)).unwrap()[0], v);
        // Multi-line strings as literal blocks, as kubectl prints last-applied-configuration.
        assert!(to_yaml(&v).contains("g: |\n  {\"x\":1}\nh: |-\n  two\n  lines\ni: \" lead\\n\"\n"), "{}", to_yaml(&v));
    }

    #[test]
    fn bad_yaml_is_an_error_not_a_panic() {
        for bad in ["a: 'x", "a:\n  b: 1\n c: 2", "key value", "- a\nb: c", "a: [1, 2", "\0\0"] {
            assert!(parse_documents(bad).is_err(), "{bad:?}");
        }
        let deep = "a: ".to_string() + &"[".repeat(200) + &"]".repeat(200);
        assert!(parse_documents(&deep).is_err());
    }
}
