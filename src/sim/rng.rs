//! The simulation's one source of randomness: a seeded SplitMix64. Every random choice in the
//! engine (generated names, uids, scheduler tie-breaks, latencies' jitter) draws from here, so
//! the same seed and the same commands give the same story.

#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

/// The alphabet of `k8s.io/apimachinery/pkg/util/rand`: no vowels, no confusable characters.
pub const NAME_ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng { state: seed ^ 0x9E37_79B9_7F4A_7C15 }
    }
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (n > 0), by Lemire's multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((self.next_u64() as u128 * n as u128) >> 64) as u64
    }
    /// `rand.String(n)` for generateName suffixes.
    pub fn name_suffix(&mut self, n: usize) -> String {
        (0..n).map(|_| NAME_ALPHABET[self.below(NAME_ALPHABET.len() as u64) as usize] as char).collect()
    }
    /// A version-4 UUID string.
    pub fn uuid(&mut self) -> String {
        let a = self.next_u64();
        let b = self.next_u64();
        let mut hex = String::with_capacity(32);
        super::text::push_hex(&mut hex, a, 16);
        super::text::push_hex(&mut hex, b, 16);
        let mut s = String::with_capacity(36);
        for part in [&hex[0..8], "-", &hex[8..12], "-4", &hex[13..16], "-"] {
            s.push_str(part);
        }
        super::text::push_hex(&mut s, 8 + (b >> 62), 1);
        for part in [&hex[17..20], "-", &hex[20..32]] {
            s.push_str(part);
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn same_seed_same_names_other_seed_other_names() {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let (x, y, z) = (a.name_suffix(5), b.name_suffix(5), c.name_suffix(5));
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert!(x.bytes().all(|ch| NAME_ALPHABET.contains(&ch)));
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('4') && "89ab".contains(&parts[3][..1]), "a version-4, RFC 4122 variant uuid: {u}");
    }
}
