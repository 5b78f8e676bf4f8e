//! The event loop's queue of messages in flight, ordered by delivery time and then by the order
//! they were sent.
//!
//! Almost every message arrives within a few milliseconds of being sent (network latencies are
//! simulated in microseconds), so the queue is a calendar: a ring of one bucket per microsecond
//! of the next `WINDOW`, each bucket a first-in-first-out list, and a bitmap to find the next
//! non-empty bucket. Pushing and popping cost the same however many messages are in flight,
//! where a binary heap of 100,000 messages sifts through 17 levels of cold memory per pop.
//! Messages due later than the window (timers: lease renewals, polls, backoff) wait in a heap
//! and move into the ring, in order, as soon as the window reaches them, before anything
//! newer can be placed beside them; so the order is exactly that of a heap keyed by (time, send
//! order), which the tests check against one.
//!
//! The queue holds message slots (indices into the engine's table of messages), not messages.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Microseconds the ring covers. Network latencies are at most a few milliseconds.
const WINDOW: u64 = 1 << 13;
const WORDS: usize = (WINDOW / 64) as usize;
const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct DeliveryQueue {
    /// Per bucket: first and last slot of its list, `NONE` when empty.
    heads: Vec<(u32, u32)>,
    /// The list links: `next[slot]` is the slot after it in its bucket.
    next: Vec<u32>,
    /// One bit per non-empty bucket.
    occupied: [u64; WORDS],
    in_ring: usize,
    /// Every message in the ring is due in [cursor, cursor + WINDOW); every message in `later`
    /// is due at cursor + WINDOW or after. The cursor is the time of the last message popped.
    cursor: u64,
    later: BinaryHeap<Reverse<(u64, u64, u32)>>,
    /// Send order of the messages in `later`, to keep ties in order.
    pushed: u64,
}

impl Default for DeliveryQueue {
    fn default() -> Self {
        DeliveryQueue { heads: vec![(NONE, NONE); WINDOW as usize], next: Vec::new(), occupied: [0; WORDS], in_ring: 0, cursor: 0, later: BinaryHeap::new(), pushed: 0 }
    }
}

impl DeliveryQueue {
    pub fn len(&self) -> usize {
        self.in_ring + self.later.len()
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Queues `slot` for delivery at `at` (microseconds), after everything already queued for
    /// the same time. `at` is never before the last message popped: time does not go back.
    pub fn push(&mut self, at: u64, slot: u32) {
        let at = at.max(self.cursor);
        if at < self.cursor + WINDOW {
            self.link(at, slot);
        } else {
            self.pushed += 1;
            self.later.push(Reverse((at, self.pushed, slot)));
        }
    }

    /// The next message's delivery time and slot, removed from the queue.
    pub fn pop(&mut self) -> Option<(u64, u32)> {
        if self.in_ring == 0 {
            let &Reverse((at, _, _)) = self.later.peek()?;
            self.cursor = at;
            self.pull_due();
        }
        let bucket = self.next_bucket()?;
        let at = self.time_of(bucket);
        let (head, tail) = self.heads[bucket];
        if head == tail {
            self.heads[bucket] = (NONE, NONE);
            self.occupied[bucket / 64] &= !(1 << (bucket % 64));
        } else {
            self.heads[bucket].0 = self.next[head as usize];
        }
        self.in_ring -= 1;
        if at > self.cursor {
            self.cursor = at;
            self.pull_due();
        }
        Some((at, head))
    }

    /// When the next message is due.
    pub fn peek(&self) -> Option<u64> {
        match self.next_bucket() {
            Some(b) => Some(self.time_of(b)),
            None => self.later.peek().map(|r| r.0 .0),
        }
    }

    fn link(&mut self, at: u64, slot: u32) {
        let bucket = (at % WINDOW) as usize;
        let s = slot as usize;
        if self.next.len() <= s {
            self.next.resize(s + 1, NONE);
        }
        self.next[s] = NONE;
        match self.heads[bucket] {
            (NONE, _) => {
                self.heads[bucket] = (slot, slot);
                self.occupied[bucket / 64] |= 1 << (bucket % 64);
            }
            (_, tail) => {
                self.next[tail as usize] = slot;
                self.heads[bucket].1 = slot;
            }
        }
        self.in_ring += 1;
    }

    /// Moves the messages the window now reaches from the heap into the ring, in order.
    fn pull_due(&mut self) {
        while let Some(&Reverse((at, _, slot))) = self.later.peek() {
            if at >= self.cursor + WINDOW {
                break;
            }
            self.later.pop();
            self.link(at, slot);
        }
    }

    /// The first non-empty bucket at or after the cursor, going round the ring once.
    fn next_bucket(&self) -> Option<usize> {
        if self.in_ring == 0 {
            return None;
        }
        let start = (self.cursor % WINDOW) as usize;
        let (w0, b0) = (start / 64, start % 64);
        let first = self.occupied[w0] & (!0u64 << b0);
        if first != 0 {
            return Some(w0 * 64 + first.trailing_zeros() as usize);
        }
        for k in 1..=WORDS {
            let w = (w0 + k) % WORDS;
            let bits = if w == w0 { self.occupied[w] & !(!0u64 << b0) } else { self.occupied[w] };
            if bits != 0 {
                return Some(w * 64 + bits.trailing_zeros() as usize);
            }
        }
        None
    }

    fn time_of(&self, bucket: usize) -> u64 {
        let start = self.cursor % WINDOW;
        self.cursor + (bucket as u64 + WINDOW - start) % WINDOW
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::Rng;

    /// The same pushes and pops against a binary heap keyed by (time, push order).
    fn compare(seed: u64, steps: usize, max_delay: u64) {
        let mut rng = Rng::new(seed);
        let mut q = DeliveryQueue::default();
        let mut reference = BinaryHeap::new();
        let (mut now, mut order, mut slot) = (0u64, 0u64, 0u32);
        for _ in 0..steps {
            if rng.below(3) > 0 || reference.is_empty() {
                // Mostly short latencies, some long timers, some due right now.
                let delay = match rng.below(10) {
                    0 => 0,
                    1 => WINDOW + rng.below(max_delay),
                    2 => WINDOW - 1 - rng.below(3),
                    _ => rng.below(2_000),
                };
                order += 1;
                slot += 1;
                q.push(now + delay, slot);
                reference.push(Reverse((now + delay, order, slot)));
            } else {
                assert_eq!(q.peek(), reference.peek().map(|r| r.0 .0));
                let Reverse((at, _, want)) = reference.pop().unwrap();
                assert_eq!(q.pop(), Some((at, want)));
                now = at;
            }
            assert_eq!(q.len(), reference.len());
        }
        while let Some(Reverse((at, _, want))) = reference.pop() {
            assert_eq!(q.pop(), Some((at, want)));
        }
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn delivers_in_the_order_of_a_heap_keyed_by_time_then_send_order() {
        for seed in 0..20 {
            compare(seed, 20_000, 50_000);
        }
        // Timers far beyond the window, so the ring empties and time jumps.
        compare(99, 5_000, 10_000_000);
    }

    #[test]
    fn ties_leave_in_the_order_they_came() {
        let mut q = DeliveryQueue::default();
        // A timer queued long before, then messages sent later for the same moment.
        q.push(WINDOW * 3, 1);
        q.push(10, 2);
        assert_eq!(q.pop(), Some((10, 2)));
        q.push(WINDOW * 3 - 5, 3);
        assert_eq!(q.pop(), Some((WINDOW * 3 - 5, 3)));
        q.push(WINDOW * 3, 4);
        assert_eq!(q.pop(), Some((WINDOW * 3, 1)));
        assert_eq!(q.pop(), Some((WINDOW * 3, 4)));
        assert_eq!(q.pop(), None);
    }
}
