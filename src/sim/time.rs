//! Simulated time. The engine never reads a clock: time is a number that only the event loop
//! advances. It counts microseconds from the simulation's epoch, shown as wall-clock
//! timestamps starting at [`EPOCH_UNIX_SECONDS`] so objects carry realistic `creationTimestamp`s.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, Sub};

/// 2026-01-01T00:00:00Z: where every simulation's clock starts.
pub const EPOCH_UNIX_SECONDS: i64 = 1_767_225_600;

/// Microseconds since the simulation's epoch. Kept plus one in a `NonZeroU64`, so that an
/// `Option<SimTime>` is 8 bytes, not 16: objects hold many timestamps that may be unset (a
/// pod's five conditions carry three each).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(std::num::NonZeroU64);

impl Default for SimTime {
    fn default() -> Self {
        SimTime::ZERO
    }
}

impl fmt::Debug for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SimTime({})", self.as_micros())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(pub u64);

impl SimDuration {
    pub const ZERO: SimDuration = SimDuration(0);
    pub const fn micros(us: u64) -> Self {
        SimDuration(us)
    }
    /// (Saturating, as `secs`: durations can come from user input, such as a pod's grace period.)
    pub const fn millis(ms: u64) -> Self {
        SimDuration(ms.saturating_mul(1_000))
    }
    pub const fn secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1_000_000))
    }
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }
    pub fn as_millis(self) -> u64 {
        self.0 / 1_000
    }
}

impl SimTime {
    pub const ZERO: SimTime = SimTime(std::num::NonZeroU64::MIN);
    /// (The last microsecond, u64::MAX, is not representable: it saturates to the one before.)
    pub const fn from_micros(us: u64) -> SimTime {
        match std::num::NonZeroU64::new(us.saturating_add(1)) {
            Some(n) => SimTime(n),
            None => SimTime::ZERO,
        }
    }
    pub const fn as_micros(self) -> u64 {
        self.0.get() - 1
    }
    pub fn as_secs_f64(self) -> f64 {
        self.as_micros() as f64 / 1e6
    }
    pub fn since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.as_micros().saturating_sub(earlier.as_micros()))
    }
    pub fn unix_seconds(self) -> i64 {
        EPOCH_UNIX_SECONDS + (self.as_micros() / 1_000_000) as i64
    }
    pub fn unix_nanos(self) -> i128 {
        EPOCH_UNIX_SECONDS as i128 * 1_000_000_000 + self.as_micros() as i128 * 1_000
    }
    /// RFC 3339 at second precision, as metav1.Time marshals.
    pub fn rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.unix_seconds());
        format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
    }
    /// A MicroTime (a Lease's renewTime, an Event's eventTime): RFC 3339 with microseconds.
    pub fn rfc3339_micro(self) -> String {
        let t = self.rfc3339();
        format!("{}.{:06}Z", &t[..t.len() - 1], self.as_micros() % 1_000_000)
    }
    /// Go's RFC1123Z, as `kubectl describe` prints times: `Thu, 01 Jan 2026 00:00:00 +0000`.
    pub fn rfc1123z(self) -> String {
        const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
        const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
        let t = self.unix_seconds();
        let (y, mo, d, h, mi, s) = civil_from_unix(t);
        format!("{}, {d:02} {} {y} {h:02}:{mi:02}:{s:02} +0000", DAYS[t.div_euclid(86_400).rem_euclid(7) as usize], MONTHS[(mo - 1) as usize])
    }
    pub fn parse_rfc3339(s: &str) -> Option<SimTime> {
        let b = s.as_bytes();
        if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' || b[13] != b':' || b[16] != b':' {
            return None;
        }
        let num = |r: std::ops::Range<usize>| s.get(r)?.parse::<i64>().ok();
        let (y, mo, d, h, mi, sec) = (num(0..4)?, num(5..7)?, num(8..10)?, num(11..13)?, num(14..16)?, num(17..19)?);
        if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
            return None;
        }
        let unix = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec;
        let rel = unix - EPOCH_UNIX_SECONDS;
        // A fraction of a second (a MicroTime's), to the microsecond.
        let fraction = match s[19..].strip_prefix('.') {
            Some(rest) => {
                let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).take(6).collect();
                format!("{digits:0<6}").parse::<u64>().unwrap_or(0)
            }
            None => 0,
        };
        Some(SimTime::from_micros(if rel > 0 { rel as u64 * 1_000_000 + fraction } else { 0 }))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        SimTime::from_micros(self.as_micros().saturating_add(d.0))
    }
}
impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
}
impl Sub for SimTime {
    type Output = SimDuration;
    fn sub(self, o: SimTime) -> SimDuration {
        self.since(o)
    }
}

impl fmt::Display for SimTime {
    /// `12.345s`, how the UI and the trace show simulated time.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let us = self.as_micros();
        write!(f, "{}.{:03}s", us / 1_000_000, (us / 1_000) % 1_000)
    }
}

impl fmt::Display for SimDuration {
    /// Go's time.Duration style, rounded: `1.2s`, `350ms`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0 / 1_000;
        if ms < 1_000 {
            write!(f, "{ms}ms")
        } else {
            let s = self.0 as f64 / 1e6;
            let t = format!("{s:.3}");
            write!(f, "{}s", t.trim_end_matches('0').trim_end_matches('.'))
        }
    }
}

impl Serialize for SimTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

/// `#[serde(with = "micro_time")]`: an optional MicroTime field.
pub mod micro_time {
    use super::SimTime;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(t: &Option<SimTime>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&t.rfc3339_micro()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SimTime>, D::Error> {
        Option::<SimTime>::deserialize(d)
    }
}

impl<'de> Deserialize<'de> for SimTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        SimTime::parse_rfc3339(&s).ok_or_else(|| serde::de::Error::custom(format!("invalid timestamp {s:?}")))
    }
}

/// Howard Hinnant's civil-from-days, for timestamps without a date library.
fn civil_from_unix(t: i64) -> (i64, i64, i64, i64, i64, i64) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d, secs / 3600, (secs / 60) % 60, secs % 60)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn timestamps_round_trip_through_rfc3339() {
        assert_eq!(SimTime::ZERO.rfc3339(), "2026-01-01T00:00:00Z");
        let t = SimTime::from_micros(86_400_000_000 * 59 + 3_723_000_000);
        assert_eq!(t.rfc3339(), "2026-03-01T01:02:03Z");
        assert_eq!(SimTime::parse_rfc3339(&t.rfc3339()), Some(t));
        assert_eq!(SimTime::parse_rfc3339("garbage"), None);
        assert_eq!(SimTime::ZERO.rfc1123z(), "Thu, 01 Jan 2026 00:00:00 +0000");
        assert_eq!(t.rfc1123z(), "Sun, 01 Mar 2026 01:02:03 +0000");
        // A MicroTime keeps the microseconds, always six digits.
        let m = SimTime::from_micros(8_000_042);
        assert_eq!(m.rfc3339_micro(), "2026-01-01T00:00:08.000042Z");
        assert_eq!(SimTime::parse_rfc3339(&m.rfc3339_micro()), Some(m));
        assert_eq!(SimTime::parse_rfc3339("2026-01-01T00:00:08.5Z"), Some(SimTime::from_micros(8_500_000)));
    }
    #[test]
    fn an_unset_timestamp_costs_no_extra_word() {
        assert_eq!(std::mem::size_of::<Option<SimTime>>(), 8);
        for us in [0, 1, 999_999, 1 << 40, u64::MAX - 1] {
            assert_eq!(SimTime::from_micros(us).as_micros(), us);
        }
        assert_eq!(SimTime::from_micros(u64::MAX).as_micros(), u64::MAX - 1, "saturates");
        assert!(SimTime::ZERO < SimTime::from_micros(1) && SimTime::default() == SimTime::ZERO);
        assert_eq!(SimTime::from_micros(1_500_000) + SimDuration::millis(500), SimTime::from_micros(2_000_000));
        assert_eq!(format!("{:?} {}", SimTime::from_micros(2_345_000), SimTime::from_micros(2_345_000)), "SimTime(2345000) 2.345s");
    }

    #[test]
    fn durations_print_like_go() {
        assert_eq!(SimDuration::millis(350).to_string(), "350ms");
        assert_eq!(SimDuration::millis(5_230).to_string(), "5.23s");
        assert_eq!(SimDuration::secs(2).to_string(), "2s");
    }
}
