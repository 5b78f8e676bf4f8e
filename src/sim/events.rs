//! The event recorder's correlator (client-go tools/record/events_cache.go), which every
//! component's Events pass through before they are written:
//!
//! - Aggregation: once an object gets 10 events of the same reason with different messages
//!   within 10 minutes, the next ones become one event, "(combined from similar events): ...",
//!   whose count goes up.
//! - Counting: an event identical to an earlier one (same message) updates that event's count
//!   and last timestamp instead of creating another ("x4 over 2m" in kubectl describe).
//! - Spam filter: a source may write 25 events about one object, then one every 5 minutes.
//!
//! So a ReplicaSet that creates 30,000 pods gets 9 "Created pod" events, one combined event
//! and a few updates of its count, as in a real cluster, not 30,000 events.
//!
//! The real caches are LRU caches of 4,096 entries; these keep at least the 4,096 most recently
//! used keys (and at most twice as many). Keys are 64-bit hashes of the fields client-go joins
//! into strings.
//!
//! client-go's broadcaster writes one event at a time, so a count update never overtakes the
//! create it updates. Here writes of the same event are serialized the same way: while one is
//! in flight, the next waits, and only the newest waiting one is sent.

use std::hash::{BuildHasher, Hash, Hasher};

use super::keyed::{FxBuild, FxHashMap};
use super::message::{ApiRequest, RequestId};
use super::text::Str;
use super::time::{SimDuration, SimTime};

const CACHE_ENTRIES: usize = 4096;
const AGGREGATE_MAX_EVENTS: usize = 10;
const AGGREGATE_INTERVAL: SimDuration = SimDuration::secs(600);
const SPAM_BURST: f64 = 25.0;
const SPAM_QPS: f64 = 1.0 / 300.0;

/// A small cache that keeps at least the `CACHE_ENTRIES` most recently used keys, in two
/// generations: keys used in this generation, and those of the one before (moved back to this
/// one when used again). When this generation fills, the one before is forgotten. No sorting,
/// no per-entry clock: every lookup is one or two hash probes.
#[derive(Clone, Debug)]
struct Cache<V> {
    current: FxHashMap<u64, V>,
    previous: FxHashMap<u64, V>,
}

impl<V> Default for Cache<V> {
    fn default() -> Self {
        Cache { current: FxHashMap::default(), previous: FxHashMap::default() }
    }
}

impl<V: Default> Cache<V> {
    /// One probe for a key of this generation; a key of the last one moves into this one.
    fn entry(&mut self, key: u64) -> &mut V {
        if self.current.len() >= CACHE_ENTRIES && !self.current.contains_key(&key) {
            // A new generation, sized for what it will hold (no growing by doubling); the
            // generation before last is forgotten, except this key if it was there.
            let carried = self.previous.remove(&key).unwrap_or_default();
            self.previous = std::mem::replace(&mut self.current, FxHashMap::with_capacity_and_hasher(CACHE_ENTRIES, Default::default()));
            return self.current.entry(key).or_insert(carried);
        }
        let previous = &mut self.previous;
        self.current.entry(key).or_insert_with(|| previous.remove(&key).unwrap_or_default())
    }
}

#[derive(Clone, Debug, Default)]
struct Aggregate {
    /// Hashes of the distinct messages seen (client-go's localKeys), at most 10.
    messages: [u64; AGGREGATE_MAX_EVENTS],
    len: usize,
    last: Option<SimTime>,
}

#[derive(Clone, Debug, Default)]
struct Observed {
    count: i32,
    first: Option<SimTime>,
    /// The first Event's name (kept once an update may follow).
    name: Option<Str>,
}

#[derive(Clone, Debug, Default)]
struct Bucket {
    tokens: Option<f64>,
    at: Option<SimTime>,
}

/// What the recorder does with an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Recorded {
    /// Create a new Event with this name and message.
    Create { name: Str, message: Str },
    /// Update the existing Event `name`: this message, this count, first seen at `first`.
    Update { name: Str, message: Str, count: i32, first: SimTime },
    /// Dropped by the spam filter.
    Skip,
}

/// What identifies an event: who reports it, about which object, and what.
pub struct EventKey<'a> {
    pub component: &'a str,
    pub host: &'a str,
    pub kind: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
    pub uid: &'a str,
    pub api_version: &'a str,
    pub type_: &'a str,
    pub reason: &'a str,
}

fn hash(parts: &[&str]) -> u64 {
    hash_after(0, parts)
}

fn hash_after(seed: u64, parts: &[&str]) -> u64 {
    let mut h = FxBuild::default().build_hasher();
    h.write_u64(seed);
    for p in parts {
        p.hash(&mut h);
    }
    h.finish()
}

#[derive(Clone, Debug, Default)]
pub struct EventCorrelator {
    aggregates: Cache<Aggregate>,
    observed: Cache<Observed>,
    spam: Cache<Bucket>,
    /// Event writes in flight: request id → event key.
    in_flight: FxHashMap<RequestId, u64>,
    busy: FxHashMap<u64, Option<ApiRequest>>,
}

impl EventCorrelator {
    /// Whether a write of event `key` is in flight; if so, `req` waits (replacing an older one).
    pub fn defer(&mut self, key: u64, req: ApiRequest) -> Option<ApiRequest> {
        match self.busy.get_mut(&key) {
            Some(waiting) => {
                *waiting = Some(req);
                None
            }
            None => Some(req),
        }
    }
    pub fn sent(&mut self, id: RequestId, key: u64) {
        self.in_flight.insert(id, key);
        self.busy.entry(key).or_insert(None);
    }
    /// The answer to request `id` arrived: the waiting write of the same event, if any, goes next.
    pub fn answered(&mut self, id: RequestId) -> Option<(u64, ApiRequest)> {
        let key = self.in_flight.remove(&id)?;
        match self.busy.remove(&key) {
            Some(Some(next)) => Some((key, next)),
            _ => None,
        }
    }

    /// EventCorrelate: aggregate, then count, then filter. `name` makes the name a new Event
    /// gets (only called for one: most events of a busy ReplicaSet only count up). Also
    /// returns the key the event is counted under.
    pub fn correlate(&mut self, now: SimTime, k: &EventKey, message: Str, name: impl FnOnce() -> Str) -> (Recorded, u64) {
        let object_key = hash(&[k.component, k.host, k.kind, k.namespace, k.name, k.uid, k.api_version]);
        let aggregate_key = hash_after(object_key, &[k.type_, k.reason]);
        let agg = self.aggregates.entry(aggregate_key);
        if agg.last.is_none_or(|t| now.since(t) > AGGREGATE_INTERVAL) {
            *agg = Aggregate::default();
        }
        let local = hash(&[&message]);
        if !agg.messages[..agg.len].contains(&local) {
            agg.messages[agg.len] = local;
            agg.len += 1;
        }
        agg.last = Some(now);
        let (message, key) = if agg.len < AGGREGATE_MAX_EVENTS {
            let key = hash_after(aggregate_key, &[&message]);
            (message, key)
        } else {
            agg.len -= 1;
            (Str::concat(&["(combined from similar events): ", &message]), aggregate_key)
        };

        let seen = self.observed.entry(key);
        let update = seen.count > 0;
        seen.count += 1;
        if !update {
            seen.first = Some(now);
            seen.name = Some(name());
        }
        let (count, first) = (seen.count, seen.first.unwrap_or(now));
        // (An observed key always has its name: it is set with the first count.)
        let name = seen.name.clone().unwrap_or_default();

        let bucket = self.spam.entry(object_key);
        let tokens = match (bucket.tokens, bucket.at) {
            (Some(t), Some(at)) => (t + now.since(at).as_secs_f64() * SPAM_QPS).min(SPAM_BURST),
            _ => SPAM_BURST,
        };
        bucket.at = Some(now);
        if tokens < 1.0 {
            bucket.tokens = Some(tokens);
            return (Recorded::Skip, key);
        }
        bucket.tokens = Some(tokens - 1.0);
        let rec = if update { Recorded::Update { name, message, count, first } } else { Recorded::Create { name, message } };
        (rec, key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(reason: &'a str) -> EventKey<'a> {
        EventKey { component: "replicaset-controller", host: "", kind: "ReplicaSet", namespace: "default", name: "web-abc", uid: "u1", api_version: "apps/v1", type_: "Normal", reason }
    }

    #[test]
    fn similar_events_aggregate_and_then_the_spam_filter_stops_them() {
        let mut c = EventCorrelator::default();
        let now = SimTime::ZERO;
        let results: Vec<Recorded> = (0..40).map(|i| c.correlate(now, &key("SuccessfulCreate"), Str::from(format!("Created pod: web-{i}")), || Str::from(format!("ev-{i}"))).0).collect();
        for (i, r) in results.iter().take(9).enumerate() {
            assert_eq!(*r, Recorded::Create { name: format!("ev-{i}").into(), message: format!("Created pod: web-{i}").into() });
        }
        assert_eq!(results[9], Recorded::Create { name: "ev-9".into(), message: "(combined from similar events): Created pod: web-9".into() });
        assert_eq!(results[10], Recorded::Update { name: "ev-9".into(), message: "(combined from similar events): Created pod: web-10".into(), count: 2, first: now });
        assert!(matches!(results[24], Recorded::Update { count: 16, .. }), "25 events pass: {:?}", results[24]);
        assert!(results[25..].iter().all(|r| *r == Recorded::Skip));
        // One token comes back every five minutes; the count kept growing meanwhile.
        let later = now + SimDuration::secs(301);
        match c.correlate(later, &key("SuccessfulCreate"), "Created pod: web-40".into(), || Str::from("ev-40")).0 {
            Recorded::Update { count, name, .. } => assert_eq!((count, name.as_str()), (32, "ev-9")),
            other => panic!("expected an update, got {other:?}"),
        }
    }

    #[test]
    fn an_identical_event_counts_up_and_another_object_is_separate() {
        let mut c = EventCorrelator::default();
        let t0 = SimTime::ZERO;
        assert_eq!(c.correlate(t0, &key("BackOff"), "Back-off pulling image".into(), || Str::from("a")).0, Recorded::Create { name: "a".into(), message: "Back-off pulling image".into() });
        let t1 = t0 + SimDuration::secs(20);
        assert_eq!(c.correlate(t1, &key("BackOff"), "Back-off pulling image".into(), || panic!("an update makes no name")).0, Recorded::Update { name: "a".into(), message: "Back-off pulling image".into(), count: 2, first: t0 });
        let other = EventKey { name: "web-def", uid: "u2", ..key("BackOff") };
        assert_eq!(c.correlate(t1, &other, "Back-off pulling image".into(), || Str::from("c")).0, Recorded::Create { name: "c".into(), message: "Back-off pulling image".into() });
    }

    #[test]
    fn writes_of_one_event_wait_for_each_other() {
        let mut c = EventCorrelator::default();
        let req = |n: &str| ApiRequest::new(crate::sim::message::Verb::Update, crate::sim::objects::Kind::Event, "default", n);
        assert!(c.defer(7, req("first")).is_some(), "nothing in flight: send it");
        c.sent(1, 7);
        assert!(c.defer(7, req("second")).is_none());
        assert!(c.defer(7, req("third")).is_none());
        assert!(c.defer(8, req("other")).is_some(), "another event is not held up");
        let (key, next) = c.answered(1).expect("the newest waiting write goes next");
        assert_eq!((key, next.name.as_str()), (7, "third"));
        c.sent(2, 7);
        assert!(c.answered(2).is_none() && c.answered(99).is_none());
        assert!(c.defer(7, req("fourth")).is_some(), "idle again");
    }

    #[test]
    fn the_caches_stay_bounded() {
        let mut c = EventCorrelator::default();
        for i in 0..20_000 {
            let uid = i.to_string();
            let k = EventKey { uid: &uid, ..key("Pulled") };
            c.correlate(SimTime::ZERO, &k, "Pulled".into(), || Str::from("n"));
        }
        let len = |c: &Cache<Observed>| c.current.len() + c.previous.len();
        assert!(len(&c.observed) <= 2 * CACHE_ENTRIES && c.spam.current.len() + c.spam.previous.len() <= 2 * CACHE_ENTRIES);
    }

    #[test]
    fn the_most_recently_used_keys_are_kept() {
        let mut cache: Cache<u32> = Cache::default();
        *cache.entry(0) = 7;
        for k in 1..=(3 * CACHE_ENTRIES as u64) {
            *cache.entry(k) = 1;
            if k % 1000 == 0 {
                // Key 0 used now and then is never forgotten.
                assert_eq!(*cache.entry(0), 7);
            }
        }
        let recent = (2 * CACHE_ENTRIES as u64 + 1)..=(3 * CACHE_ENTRIES as u64);
        assert!(recent.clone().all(|k| cache.current.contains_key(&k) || cache.previous.contains_key(&k)), "the last 4,096 keys");
        assert!(!cache.current.contains_key(&1) && !cache.previous.contains_key(&1), "an old key is gone");
        // A key of the last generation used just when this one is full moves into the next.
        let mut cache: Cache<u32> = Cache::default();
        *cache.entry(0) = 7;
        for k in 1..(2 * CACHE_ENTRIES as u64) {
            *cache.entry(k) = 1;
        }
        assert!(cache.previous.contains_key(&0) && cache.current.len() == CACHE_ENTRIES);
        assert_eq!(*cache.entry(0), 7);
    }
}
