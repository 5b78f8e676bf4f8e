//! kubectl's JSONPath (k8s.io/client-go/util/jsonpath), for `-o jsonpath=`, `-o
//! custom-columns=` and `--sort-by`: text with `{...}` actions that walk the object's JSON
//! (`.field`, `['field']`, `[n]`, `[a:b]`, `[*]`, `..field`, `[?(@.a == "x")]`), `range ...
//! end`, and string literals. As `kubectl get` runs it, a missing field prints nothing.

use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
enum Step {
    Field(String),
    /// `..field`: the field at any depth.
    Recursive(String),
    Wildcard,
    Index(i64),
    Slice(Option<i64>, Option<i64>, Option<i64>),
    Filter(Box<Filter>),
}

#[derive(Clone, Debug, PartialEq)]
struct Filter {
    left: Vec<Step>,
    op: Option<(String, Operand)>,
}

#[derive(Clone, Debug, PartialEq)]
enum Operand {
    Path(Vec<Step>),
    Literal(Value),
}

#[derive(Clone, Debug, PartialEq)]
enum Node {
    Text(String),
    Path(Vec<Step>),
    /// `{range path}` ... `{end}`.
    Range(Vec<Step>, Vec<Node>),
}

/// A parsed template.
#[derive(Clone, Debug)]
pub struct JsonPath {
    nodes: Vec<Node>,
}

impl JsonPath {
    pub fn parse(template: &str) -> Result<JsonPath, String> {
        let mut stack: Vec<(Vec<Step>, Vec<Node>)> = Vec::new();
        let mut nodes: Vec<Node> = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                nodes.push(Node::Text(rest.to_string()));
                break;
            };
            if open > 0 {
                nodes.push(Node::Text(rest[..open].to_string()));
            }
            let close = closing(&rest[open..], '{', '}').ok_or("unclosed action")?;
            let action = rest[open + 1..open + close].trim();
            rest = &rest[open + close + 1..];
            if let Some(path) = action.strip_prefix("range ") {
                stack.push((parse_path(path.trim())?, std::mem::take(&mut nodes)));
            } else if action == "end" {
                let (path, outer) = stack.pop().ok_or("not in range, nothing to end")?;
                let body = std::mem::replace(&mut nodes, outer);
                nodes.push(Node::Range(path, body));
            } else if let Some(lit) = string_literal(action) {
                nodes.push(Node::Text(lit));
            } else {
                nodes.push(Node::Path(parse_path(action)?));
            }
        }
        if !stack.is_empty() {
            return Err("unclosed range".into());
        }
        Ok(JsonPath { nodes })
    }

    /// The template run over `root`.
    pub fn execute(&self, root: &Value) -> String {
        let mut out = String::new();
        run(&self.nodes, root, root, &mut out);
        out
    }

    /// The values one path expression finds (for custom columns and --sort-by), if the
    /// template is a single one.
    pub fn find(&self, root: &Value) -> Vec<Value> {
        match self.nodes.as_slice() {
            [Node::Path(steps)] => eval(steps, root, root).into_iter().cloned().collect(),
            _ => Vec::new(),
        }
    }
}

/// RelaxedJSONPathExpression: `.metadata.name`, `metadata.name` or `{.metadata.name}`.
pub fn relaxed(expr: &str) -> Result<JsonPath, String> {
    let e = expr.trim();
    let inner = e.strip_prefix('{').and_then(|x| x.strip_suffix('}')).unwrap_or(e);
    let inner = if inner.starts_with('.') || inner.starts_with('$') { inner.to_string() } else { format!(".{inner}") };
    JsonPath::parse(&format!("{{{inner}}}"))
}

/// Where the `open` at the start of `s` is closed (nested ones counted, quoted text and its
/// backslash escapes skipped).
fn closing(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0;
    let mut quote: Option<char> = None;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match (quote, c) {
            (Some(_), '\\') => {
                chars.next();
            }
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c == open => depth += 1,
            (None, c) if c == close => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// `"..."` (or `'...'`, as UnquoteExtend takes it) with Go's escapes (`{"\n"}`), or None.
fn string_literal(s: &str) -> Option<String> {
    let inner = s.strip_prefix('"').and_then(|x| x.strip_suffix('"')).or_else(|| s.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    Some(out)
}

fn parse_path(s: &str) -> Result<Vec<Step>, String> {
    let mut steps = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    if s.starts_with('$') || s.starts_with('@') {
        i = 1;
    }
    let name_end = |from: usize| (from..b.len()).find(|&j| matches!(b[j], b'.' | b'[')).unwrap_or(b.len());
    while i < b.len() {
        match b[i] {
            b'.' if b.get(i + 1) == Some(&b'.') => {
                let end = name_end(i + 2);
                steps.push(Step::Recursive(s[i + 2..end].to_string()));
                i = end;
            }
            b'.' => {
                let end = name_end(i + 1);
                let name = &s[i + 1..end];
                if name == "*" {
                    steps.push(Step::Wildcard);
                } else if !name.is_empty() {
                    steps.push(Step::Field(name.to_string()));
                }
                i = end;
            }
            b'[' => {
                let close = closing(&s[i..], '[', ']').ok_or_else(|| format!("unclosed array expect ]: {s}"))?;
                steps.push(parse_bracket(&s[i + 1..i + close])?);
                i += close + 1;
            }
            _ => {
                // A bare name (as after `range`): a field.
                let end = name_end(i);
                steps.push(Step::Field(s[i..end].to_string()));
                i = end;
            }
        }
    }
    Ok(steps)
}

fn parse_bracket(inner: &str) -> Result<Step, String> {
    let t = inner.trim();
    if t == "*" {
        return Ok(Step::Wildcard);
    }
    if let Some(f) = t.strip_prefix("?(").and_then(|f| f.strip_suffix(')')) {
        return parse_filter(f.trim()).map(|f| Step::Filter(Box::new(f)));
    }
    if let Some(name) = string_literal(t) {
        return Ok(Step::Field(name));
    }
    if t.contains(':') {
        let parts: Vec<&str> = t.split(':').collect();
        let num = |p: Option<&&str>| -> Result<Option<i64>, String> {
            match p.map(|x| x.trim()).filter(|x| !x.is_empty()) {
                None => Ok(None),
                Some(x) => x.parse().map(Some).map_err(|_| format!("invalid array index {x}")),
            }
        };
        return Ok(Step::Slice(num(parts.first())?, num(parts.get(1))?, num(parts.get(2))?));
    }
    t.parse::<i64>().map(Step::Index).map_err(|_| format!("invalid array index {t}"))
}

fn parse_filter(f: &str) -> Result<Filter, String> {
    for op in ["==", "!=", "<=", ">=", "<", ">"] {
        if let Some((l, r)) = f.split_once(op) {
            let right = r.trim();
            let operand = if right.starts_with('@') || right.starts_with('$') {
                Operand::Path(parse_path(right)?)
            } else if let Some(s) = string_literal(right) {
                Operand::Literal(Value::String(s))
            } else {
                Operand::Literal(serde_json::from_str(right).map_err(|_| format!("unrecognized filter operand {right}"))?)
            };
            return Ok(Filter { left: parse_path(l.trim())?, op: Some((op.to_string(), operand)) });
        }
    }
    Ok(Filter { left: parse_path(f)?, op: None })
}

fn run(nodes: &[Node], root: &Value, current: &Value, out: &mut String) {
    for n in nodes {
        match n {
            Node::Text(t) => out.push_str(t),
            Node::Path(steps) => {
                let found = eval(steps, root, current);
                out.push_str(&found.iter().map(|v| print(v)).collect::<Vec<_>>().join(" "));
            }
            Node::Range(steps, body) => {
                for v in eval(steps, root, current) {
                    // A range over a list walks its items.
                    match v {
                        Value::Array(items) if !matches!(steps.last(), Some(Step::Wildcard | Step::Slice(..) | Step::Filter(_))) => {
                            for item in items {
                                run(body, root, item, out);
                            }
                        }
                        v => run(body, root, v, out),
                    }
                }
            }
        }
    }
}

/// PrintResults: a map or list as compact JSON, anything else as Go prints it.
fn print(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(_) | Value::Array(_) => serde_json::to_string(v).unwrap_or_default(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn eval<'a>(steps: &[Step], root: &'a Value, current: &'a Value) -> Vec<&'a Value> {
    let mut values: Vec<&'a Value> = vec![current];
    for step in steps {
        let mut next = Vec::new();
        for v in values {
            match step {
                Step::Field(name) => next.extend(v.get(name.as_str())),
                Step::Recursive(name) => recurse(v, name, &mut next),
                Step::Wildcard => match v {
                    Value::Array(items) => next.extend(items.iter()),
                    Value::Object(m) => next.extend(m.values()),
                    _ => {}
                },
                Step::Index(i) => {
                    if let Value::Array(items) = v {
                        let at = if *i < 0 { items.len() as i64 + i } else { *i };
                        next.extend(usize::try_from(at).ok().and_then(|at| items.get(at)));
                    }
                }
                Step::Slice(start, end, step) => {
                    if let Value::Array(items) = v {
                        let len = items.len() as i64;
                        let clamp = |x: i64| if x < 0 { (len + x).max(0) } else { x.min(len) };
                        let (s, e) = (clamp(start.unwrap_or(0)), clamp(end.unwrap_or(len)));
                        let by = step.unwrap_or(1).max(1) as usize;
                        if s < e {
                            next.extend(items[s as usize..e as usize].iter().step_by(by));
                        }
                    }
                }
                Step::Filter(f) => {
                    if let Value::Array(items) = v {
                        next.extend(items.iter().filter(|item| matches(f, root, item)));
                    }
                }
            }
        }
        values = next;
    }
    values
}

fn recurse<'a>(v: &'a Value, name: &str, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(m) => {
            if let Some(x) = m.get(name) {
                out.push(x);
            }
            for x in m.values() {
                recurse(x, name, out);
            }
        }
        Value::Array(items) => {
            for x in items {
                recurse(x, name, out);
            }
        }
        _ => {}
    }
}

fn matches(f: &Filter, root: &Value, item: &Value) -> bool {
    let left = eval(&f.left, root, item);
    let Some((op, operand)) = &f.op else { return !left.is_empty() };
    let right: Vec<Value> = match operand {
        Operand::Path(p) => eval(p, root, item).into_iter().cloned().collect(),
        Operand::Literal(v) => vec![v.clone()],
    };
    let (Some(l), Some(r)) = (left.first(), right.first()) else { return false };
    // Numbers as numbers; otherwise equality is the values', order their printed text's.
    match (l.as_f64(), r.as_f64()) {
        (Some(a), Some(b)) => compare(op, a, b),
        _ if op == "==" => *l == r,
        _ if op == "!=" => *l != r,
        _ => compare(op, print(l), print(r)),
    }
}

/// A filter's comparison `op` of two values.
fn compare<T: PartialOrd>(op: &str, a: T, b: T) -> bool {
    match op {
        "==" => a == b,
        "!=" => a != b,
        "<" => a < b,
        ">" => a > b,
        "<=" => a <= b,
        _ => a >= b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(t: &str, v: &Value) -> String {
        JsonPath::parse(t).expect("parses").execute(v)
    }

    #[test]
    fn paths_ranges_and_filters_print_as_kubectl_prints_them() {
        let list = json!({"kind": "List", "items": [
            {"metadata": {"name": "a", "labels": {"app": "web"}}, "spec": {"containers": [{"image": "nginx"}, {"image": "redis"}]}, "status": {"phase": "Running", "restarts": 2}},
            {"metadata": {"name": "b"}, "spec": {"containers": [{"image": "busybox"}]}, "status": {"phase": "Pending", "restarts": 0}},
        ]});
        assert_eq!(run("{.items[*].metadata.name}", &list), "a b");
        assert_eq!(run("{.items[0].spec.containers[*].image}", &list), "nginx redis");
        assert_eq!(run("{..image}", &list), "nginx redis busybox");
        assert_eq!(run("{range .items[*]}{.metadata.name}{\"\\t\"}{.status.phase}{\"\\n\"}{end}", &list), "a\tRunning\nb\tPending\n");
        assert_eq!(run("{.items[?(@.status.phase==\"Running\")].metadata.name}", &list), "a");
        assert_eq!(run("{.items[?(@.status.restarts>1)].metadata.name}", &list), "a");
        assert_eq!(run("{.items[?(@.metadata.labels.app)].metadata.name}", &list), "a");
        assert_eq!(run("{.items[-1].metadata.name}", &list), "b");
        assert_eq!(run("{.items[0:1].metadata.name}", &list), "a");
        assert_eq!(run("{.items[0].metadata.labels}", &list), "{\"app\":\"web\"}");
        assert_eq!(run("{.items[0].metadata['name']}", &list), "a");
        assert_eq!(run("name: {.items[1].metadata.name}", &list), "name: b");
        // Missing fields print nothing, as in kubectl get.
        assert_eq!(run("{.items[0].nope.deeper}", &list), "");
        assert_eq!(relaxed("metadata.name").expect("relaxed").find(&list["items"][1]), vec![json!("b")]);
        for bad in ["{.items[}", "{range .items[*]}{.x}", "{end}", "{.items[x]}"] {
            assert!(JsonPath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn any_template_parses_or_fails_without_panicking() {
        let pieces = ["{", "}", ".", "..", "[", "]", "*", "?(", ")", "@", "==", "<", "'", "\"", "\\", "-1", "0:", ":2", "::", "range ", "end", "items", "a", "é", "$", " ", ",", "\n"];
        let doc = serde_json::json!({"items": [{"a": [1, {"a": "x"}]}, {"a": null}], "a": {"a": 2}});
        let mut rng = crate::sim::rng::Rng::new(7);
        for _ in 0..20_000 {
            let n = 1 + rng.below(12) as usize;
            let t: String = (0..n).map(|_| pieces[rng.below(pieces.len() as u64) as usize]).collect();
            if let Ok(p) = JsonPath::parse(&t) {
                let _ = p.execute(&doc);
                let _ = p.find(&doc);
            }
            let _ = relaxed(&t).map(|p| p.find(&doc));
        }
    }
}
