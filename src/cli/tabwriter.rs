//! Go's `text/tabwriter` as kubectl's describers use it (`tabwriter.NewWriter(out, 0, 8, 2, ' ',
//! 0)`): text whose cells end with tabs, aligned column by column. A column's width is set by
//! the run of consecutive lines that have a cell in it, so a line without a tab (a section
//! title such as "Containers:") starts new alignments below it, and a `Key:\t<none>` line joins
//! the run it sits in. Describing through it, rather than with fixed widths, is what makes
//! `kubectl describe` line up as the real one does for every combination of fields.

/// Spaces after the widest cell of a column.
const PADDING: usize = 2;

/// `text` with every tab-terminated cell padded to its column's width.
pub fn align(text: &str) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len() * 2);
    format(&lines, 0, lines.len(), &mut Vec::new(), &mut out);
    out
}

/// Go's `Writer.format`: the lines `line0..line1`, whose columns left of `widths.len()` are
/// already measured. (The text after a line's last tab is not a cell: it is never padded.)
fn format(lines: &[Vec<&str>], mut line0: usize, line1: usize, widths: &mut Vec<usize>, out: &mut String) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = 0;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(lines[this][column].chars().count() + PADDING);
            this += 1;
        }
        widths.push(width);
        format(lines, line0, this, widths, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for (i, cells) in lines.iter().enumerate().take(to).skip(from) {
        for (j, cell) in cells.iter().enumerate() {
            out.push_str(cell);
            if let Some(w) = widths.get(j) {
                if j + 1 < cells.len() {
                    out.extend(std::iter::repeat_n(' ', w.saturating_sub(cell.chars().count())));
                }
            }
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::align;

    #[test]
    fn a_line_without_a_tab_ends_the_alignment_above_it() {
        let text = "Name:\tweb\nService Account:\tdefault\nIPs:\n  IP:\t10.0.0.1\nControlled By:\tReplicaSet/web\n";
        assert_eq!(align(text), "Name:             web\nService Account:  default\nIPs:\n  IP:           10.0.0.1\nControlled By:  ReplicaSet/web\n");
    }

    #[test]
    fn columns_nest_and_the_last_cell_is_never_padded() {
        let text = "  Type\tReason\tMessage\n  ----\t------\t-------\n  Normal\tScheduled\tSuccessfully assigned\n";
        assert_eq!(align(text), "  Type    Reason     Message\n  ----    ------     -------\n  Normal  Scheduled  Successfully assigned\n");
        // A continuation line (an empty first cell) stays in the run and is padded.
        assert_eq!(align("Labels:\ta=1\n\tb=2\nStatus:\tRunning"), "Labels:  a=1\n         b=2\nStatus:  Running");
    }
}
