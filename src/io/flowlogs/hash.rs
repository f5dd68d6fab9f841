//! A fast hasher for the join's maps, whose keys are 5-tuples, ids and seconds from the user's
//! own logs (so no denial-of-service resistance is needed).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A multiply-fold hasher (FxHash's step, with a folded 128-bit product at the end so the low
/// bits the table indexes by depend on every input bit). Not DoS-resistant; flow logs are the
/// user's own data.
#[derive(Default, Clone, Copy)]
pub(crate) struct FoldHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    #[inline]
    fn write_u8(&mut self, n: u8) {
        self.write_u64(u64::from(n));
    }
    #[inline]
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    #[inline]
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(SEED);
    }
    #[inline]
    fn write_u128(&mut self, n: u128) {
        self.write_u64(n as u64);
        self.write_u64((n >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        let product = u128::from(self.0) * u128::from(SEED);
        (product as u64) ^ ((product >> 64) as u64)
    }
}

pub(crate) type Fast = BuildHasherDefault<FoldHasher>;

/// A map with the fold hasher (keys from the user's own data: no denial-of-service concern).
pub(crate) type FastMap<K, V> = HashMap<K, V, Fast>;
