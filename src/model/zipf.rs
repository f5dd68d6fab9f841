//! Zipf-distributed destination ranks, drawn as rand_distr 0.6's `Zipf<f64>` draws them, with
//! the power of each rank computed once.
//!
//! The sampler is Hörmann and Derflinger's rejection-inversion, as rand_distr implements it:
//! per try, one uniform through the inverse of the hat's integral, the rank `x` below it, the
//! acceptance ratio `x^-s · b^s`, a second uniform against it. rand_distr calls `pow` for both
//! powers on every try; `x^-s` depends only on the rank, so it is looked up in a table filled
//! with the same `powf` of the same arguments (the same bits), and `floor` of a positive float
//! below 2^52 is its truncation. Everything else is rand_distr's arithmetic, expression for
//! expression, drawing the same uniforms from the same stream, so a run draws exactly the
//! destinations it drew with `rand_distr::Zipf` (checked against it below).

use rand::{Rng, RngExt};

/// Ranks whose power is tabulated; a rarer higher rank calls `powf` as rand_distr does.
const TABLE_RANKS: f64 = 65_536.0;

/// A Zipf distribution over ranks 1..=n with exponent s.
#[derive(Debug, Clone)]
pub(crate) struct Zipf {
    s: f64,
    t: f64,
    q: f64,
    /// `(rank as f64).powf(-s)` for ranks 1..=min(n, TABLE_RANKS), at index rank − 1.
    rank_power: Vec<f64>,
}

impl Zipf {
    /// `None` where `rand_distr::Zipf::new(n, s)` refuses the parameters.
    pub(crate) fn new(n: f64, s: f64) -> Option<Zipf> {
        if s.is_nan() || s < 0.0 || n.is_nan() || n < 1.0 || (n.is_infinite() && s <= 1.0) {
            return None;
        }
        let q = if s != 1.0 { 1.0 / (1.0 - s) } else { 0.0 };
        let t = if s == f64::INFINITY {
            1.0
        } else if s != 1.0 {
            (n.powf(1.0 - s) - s) * q
        } else {
            1.0 + n.ln()
        };
        let ranks = n.min(TABLE_RANKS) as u32;
        let rank_power = (1..=ranks).map(|rank| (rank as f64).powf(-s)).collect();
        Some(Zipf {
            s,
            t,
            q,
            rank_power,
        })
    }

    /// A rank in 1..=n, as a float (rand_distr's return type).
    #[inline]
    pub(crate) fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        loop {
            let inv_b = self.inv_cdf(rng.random::<f64>());
            let x = floor_positive(inv_b + 1.0);
            let mut ratio = match self.rank_power.get((x as usize).wrapping_sub(1)) {
                Some(&power) if x >= 1.0 => power,
                _ => x.powf(-self.s),
            };
            if x > 1.0 {
                ratio *= inv_b.powf(self.s);
            }
            let y = rng.random::<f64>();
            if y < ratio {
                return x;
            }
        }
    }

    #[inline]
    fn inv_cdf(&self, p: f64) -> f64 {
        let pt = p * self.t;
        if pt <= 1.0 {
            pt
        } else if self.s != 1.0 {
            (pt * (1.0 - self.s) + self.s).powf(self.q)
        } else {
            (pt - 1.0).exp()
        }
    }
}

/// `value.floor()`, which is a libm call on the baseline x86-64 target: for a value in
/// [0, 2^52) the truncation toward zero is the floor, exactly.
#[inline]
fn floor_positive(value: f64) -> f64 {
    if (0.0..4_503_599_627_370_496.0).contains(&value) {
        value as i64 as f64
    } else {
        value.floor()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::Distribution;

    /// Draw for draw the same ranks as rand_distr's sampler, leaving the stream in the same
    /// place, over exponents below, at and above 1 and tables that do and do not cover n.
    #[test]
    fn draws_what_rand_distr_draws() {
        for (n, s) in [
            (500.0, 1.0),
            (3.0, 0.8),
            (50.0, 1.2),
            (2.0, 0.0),
            (1e6, 1.1),
            (1e5, 2.5),
            (1.0, 1.0),
            (7.0, f64::INFINITY),
        ] {
            let ours = Zipf::new(n, s).expect("valid");
            let theirs = rand_distr::Zipf::new(n, s).expect("valid");
            let mut a = rand_pcg::Pcg64Mcg::seed_from_u64(n as u64 ^ s.to_bits());
            let mut b = a.clone();
            for _ in 0..100_000 {
                let (x, y) = (ours.sample(&mut a), theirs.sample(&mut b));
                assert_eq!(x.to_bits(), y.to_bits(), "n {n}, s {s}");
            }
            assert_eq!(a.next_u64(), b.next_u64(), "n {n}, s {s}: same draws used");
        }
        for (n, s) in [
            (0.5, 1.0),
            (10.0, -1.0),
            (f64::INFINITY, 1.0),
            (10.0, f64::NAN),
        ] {
            assert!(Zipf::new(n, s).is_none());
            assert!(rand_distr::Zipf::new(n, s).is_err());
        }
    }

    #[test]
    fn floor_is_the_floor() {
        for value in [0.0, 0.5, 1.0, 1.999_999_999, 2.0, 1e15 + 0.5, 4.6e15, 1e300] {
            assert_eq!(floor_positive(value), value.floor(), "{value}");
        }
    }
}
