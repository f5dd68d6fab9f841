//! Named random streams derived from one scenario seed.
//!
//! Each component asks for its own stream by name and index ("arrivals", workload 2), so adding a
//! draw in one component never shifts the numbers another one sees. That is what gives common
//! random numbers across candidates: the workload's streams do not depend on the device.

use rand::SeedableRng;
use rand_pcg::Pcg64Mcg;

/// The generator behind every stream: small, fast, and portable (same numbers on every platform
/// and with every rand version that keeps `rand_pcg`'s algorithm).
pub(crate) type StreamRng = Pcg64Mcg;

/// A factory of independent named streams for one run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Streams {
    seed: u64,
}

impl Streams {
    pub(crate) fn new(seed: u64) -> Self {
        Streams { seed }
    }

    /// Seed of replication `replication` of a scenario seeded `seed`: replications are independent.
    pub(crate) fn replication_seed(seed: u64, replication: u32) -> u64 {
        splitmix64(seed ^ splitmix64(0x5EED_0000_0000_0000 ^ replication as u64))
    }

    /// The stream called `name`, instance `index` (e.g. one per workload).
    pub(crate) fn stream(&self, name: &str, index: u64) -> StreamRng {
        let key = splitmix64(fnv1a(name.as_bytes()) ^ splitmix64(index.wrapping_add(1)));
        StreamRng::seed_from_u64(splitmix64(self.seed ^ key))
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |hash, &byte| {
        (hash ^ byte as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Steele, Lea and Flood's SplitMix64 finaliser: spreads nearby seeds far apart.
fn splitmix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let streams = Streams::new(42);
        let a1 = streams.stream("arrivals", 0).next_u64();
        let a2 = streams.stream("arrivals", 0).next_u64();
        let b = streams.stream("arrivals", 1).next_u64();
        let c = streams.stream("sizes", 0).next_u64();
        let other_seed = Streams::new(43).stream("arrivals", 0).next_u64();
        assert_eq!(a1, a2);
        assert!(a1 != b && a1 != c && a1 != other_seed && b != c);
        assert_ne!(
            Streams::replication_seed(42, 0),
            Streams::replication_seed(42, 1)
        );
    }
}
