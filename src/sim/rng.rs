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
    /// `rand.String(N)` for generateName suffixes (5 characters), built on the stack.
    pub fn name_suffix<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| NAME_ALPHABET[self.below(NAME_ALPHABET.len() as u64) as usize])
    }
    /// A version-4 UUID string: the 32 hex digits of two draws, with the version nibble 4 and
    /// the RFC 4122 variant. Built in place (one per object and Event written).
    pub fn uuid(&mut self) -> super::text::Str {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        // Where each of the 32 digits goes in "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
        const AT: [usize; 32] = [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 14, 15, 16, 17, 19, 20, 21, 22, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35];
        let (a, b) = (self.next_u64(), self.next_u64());
        let mut out = [b'-'; 36];
        for k in 0..16 {
            out[AT[k]] = DIGITS[((a >> (60 - 4 * k)) & 15) as usize];
            out[AT[16 + k]] = DIGITS[((b >> (60 - 4 * k)) & 15) as usize];
        }
        out[14] = b'4';
        out[19] = DIGITS[(8 + (b >> 62)) as usize];
        // SAFETY: ASCII hex digits and dashes.
        super::text::Str::new(unsafe { std::str::from_utf8_unchecked(&out) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn same_seed_same_names_other_seed_other_names() {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let (x, y, z) = (a.name_suffix::<5>(), b.name_suffix::<5>(), c.name_suffix::<5>());
        assert_eq!(x, y);
        assert_ne!(x, z);
        assert!(x.iter().all(|ch| NAME_ALPHABET.contains(ch)));
        let u = a.uuid();
        assert_eq!(u.len(), 36);
        // The digits are the two draws', in order (the version and variant nibbles aside).
        let mut d = Rng::new(7);
        d.name_suffix::<5>();
        let (hi, lo) = (d.next_u64(), d.next_u64());
        assert_eq!(u.replace('-', "")[..12], format!("{hi:016x}")[..12]);
        assert_eq!(u.replace('-', "")[20..], format!("{lo:016x}")[4..]);
        let parts: Vec<&str> = u.split('-').collect();
        assert_eq!(parts.iter().map(|p| p.len()).collect::<Vec<_>>(), [8, 4, 4, 4, 12]);
        assert!(parts[2].starts_with('4') && "89ab".contains(&parts[3][..1]), "a version-4, RFC 4122 variant uuid: {u}");
    }
}
