//! A unified diff of two texts, as `diff -u` prints the hunks kubectl diff shows: each change
//! with three lines of context, nearby changes in one hunk.

/// The most lines compared line by line (beyond it, the texts are shown as replaced whole): the
/// table it needs grows with the product of the two lengths (16 MB at this size).
const MAX_LINES: usize = 2000;
const CONTEXT: usize = 3;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    Same,
    Del,
    Add,
}

/// The edit script from `a` to `b` by longest common subsequence.
fn script(a: &[&str], b: &[&str]) -> Vec<Op> {
    if a.len() > MAX_LINES || b.len() > MAX_LINES {
        return std::iter::repeat_n(Op::Del, a.len()).chain(std::iter::repeat_n(Op::Add, b.len())).collect();
    }
    let (n, m) = (a.len(), b.len());
    // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
    let mut lcs = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            lcs[at(i, j)] = if a[i] == b[j] { lcs[at(i + 1, j + 1)] + 1 } else { lcs[at(i + 1, j)].max(lcs[at(i, j + 1)]) };
        }
    }
    let (mut i, mut j, mut ops) = (0, 0, Vec::with_capacity(n + m));
    while i < n || j < m {
        if i < n && j < m && a[i] == b[j] {
            ops.push(Op::Same);
            i += 1;
            j += 1;
        } else if i < n && (j == m || lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            // (Deletions before additions, as diff prints a changed line.)
            ops.push(Op::Del);
            i += 1;
        } else {
            ops.push(Op::Add);
            j += 1;
        }
    }
    ops
}

/// diff's `start,count` of a hunk's side (`start` is the line before an empty one).
fn range(start: usize, count: usize) -> String {
    match count {
        0 => format!("{start},0"),
        1 => format!("{}", start + 1),
        n => format!("{},{n}", start + 1),
    }
}

/// The hunks of `diff -u a b` (without the file headers); empty when the texts are the same.
pub fn unified(a: &str, b: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let ops = script(&a, &b);
    let changed: Vec<usize> = ops.iter().enumerate().filter(|(_, o)| **o != Op::Same).map(|(k, _)| k).collect();
    if changed.is_empty() {
        return String::new();
    }
    // Hunks: runs of ops around the changes, merged when their contexts meet.
    let mut hunks: Vec<(usize, usize)> = Vec::new();
    for &k in &changed {
        let (start, end) = (k.saturating_sub(CONTEXT), (k + CONTEXT + 1).min(ops.len()));
        match hunks.last_mut() {
            Some(h) if start <= h.1 => h.1 = h.1.max(end),
            _ => hunks.push((start, end)),
        }
    }
    let mut out = String::new();
    for (start, end) in hunks {
        // The lines of each side before the hunk.
        let before_a = ops[..start].iter().filter(|o| **o != Op::Add).count();
        let before_b = ops[..start].iter().filter(|o| **o != Op::Del).count();
        let (mut ia, mut ib) = (before_a, before_b);
        let mut body = String::new();
        for op in &ops[start..end] {
            match op {
                Op::Same => {
                    body += &format!(" {}\n", a[ia]);
                    ia += 1;
                    ib += 1;
                }
                Op::Del => {
                    body += &format!("-{}\n", a[ia]);
                    ia += 1;
                }
                Op::Add => {
                    body += &format!("+{}\n", b[ib]);
                    ib += 1;
                }
            }
        }
        out += &format!("@@ -{} +{} @@\n{body}", range(before_a, ia - before_a), range(before_b, ib - before_b));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hunks_read_like_diff_u() {
        let a = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n";
        let b = "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n";
        // Six unchanged lines between two changes: their contexts meet, one hunk.
        assert_eq!(unified(a, b), "@@ -1,10 +1,11 @@\n a\n b\n c\n-d\n+D\n e\n f\n g\n h\n i\n j\n+k\n");
        let long: String = (1..=20).map(|n| format!("{n}\n")).collect();
        let changed: String = (1..=20).map(|n| match n { 2 => "two\n".to_string(), 19 => "nineteen\n".to_string(), n => format!("{n}\n") }).collect();
        assert_eq!(unified(&long, &changed), "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -16,5 +16,5 @@\n 16\n 17\n 18\n-19\n+nineteen\n 20\n");
        assert_eq!(unified(a, a), "");
        assert_eq!(unified("", "x\n"), "@@ -0,0 +1 @@\n+x\n");
        assert_eq!(unified("x\n", ""), "@@ -1 +0,0 @@\n-x\n");
    }
}
