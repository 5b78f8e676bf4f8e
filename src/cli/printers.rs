//! Output the way kubectl prints it: tables padded like its tabwriter (columns three spaces
//! apart), AGE in apimachinery's HumanDuration, `-o name`.

use crate::sim::time::SimDuration;

/// How long ago an Event happened, as `kubectl describe` (DescribeEvents) and `kubectl events`
/// (getInterval) print it: "3m", or "3m (x4 over 10m)" for one seen more than once.
pub fn event_interval(now: crate::sim::SimTime, e: &crate::sim::objects::Event) -> String {
    let since = |t| human_duration(now.since(t));
    if e.count > 1 { format!("{} (x{} over {})", since(e.last_timestamp), e.count, since(e.first_timestamp)) } else { since(e.first_timestamp) }
}

/// k8s.io/apimachinery/pkg/util/duration.HumanDuration.
pub fn human_duration(d: SimDuration) -> String {
    let secs = d.0 / 1_000_000;
    if secs < 120 {
        return format!("{secs}s");
    }
    let minutes = secs / 60;
    if minutes < 10 {
        let s = secs % 60;
        return if s == 0 { format!("{minutes}m") } else { format!("{minutes}m{s}s") };
    }
    if minutes < 180 {
        return format!("{minutes}m");
    }
    let hours = minutes / 60;
    if hours < 8 {
        let m = minutes % 60;
        return if m == 0 { format!("{hours}h") } else { format!("{hours}h{m}m") };
    }
    if hours < 48 {
        return format!("{hours}h");
    }
    if hours < 24 * 8 {
        let h = hours % 24;
        return if h == 0 { format!("{}d", hours / 24) } else { format!("{}d{h}h", hours / 24) };
    }
    if hours < 24 * 365 * 2 {
        return format!("{}d", hours / 24);
    }
    format!("{}y", hours / 24 / 365)
}

/// Formats rows as kubectl's tabwriter does: each column as wide as its widest cell, three
/// spaces between columns, no trailing spaces.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    table_with_padding(header, rows, 3)
}

/// `kubectl describe` pads its tables with two spaces.
pub fn table_with_padding(header: &[&str], rows: &[Vec<String>], padding: usize) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate() {
            if i < widths.len() {
                widths[i] = widths[i].max(c.chars().count());
            }
        }
    }
    let mut out = String::new();
    let mut line = |cells: Vec<&str>| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i + 1 < cells.len() {
                s.push_str(c);
                s.push_str(&" ".repeat(widths[i] - c.chars().count() + padding));
            } else {
                s.push_str(c);
            }
        }
        out.push_str(s.trim_end());
        out.push('\n');
    };
    line(header.to_vec());
    for r in rows {
        line(r.iter().map(|s| s.as_str()).collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn ages_read_like_kubectl() {
        assert_eq!(human_duration(SimDuration::secs(5)), "5s");
        assert_eq!(human_duration(SimDuration::secs(119)), "119s");
        assert_eq!(human_duration(SimDuration::secs(150)), "2m30s");
        assert_eq!(human_duration(SimDuration::secs(3600 * 5 + 60 * 7)), "5h7m");
        assert_eq!(human_duration(SimDuration::secs(3600 * 24 * 3)), "3d");
    }
    #[test]
    fn tables_pad_like_tabwriter() {
        let t = table(&["NAME", "READY"], &[vec!["web-1".into(), "1/1".into()]]);
        assert_eq!(t, "NAME    READY\nweb-1   1/1\n");
    }
}
