//! A key with its catalog default: one call reads the key, falls back to the catalog's figure
//! when the user left it out, and keeps the assumption that figure rests on.
//!
//! Owns [`Setting`] (a value and, when it is an assumed catalog default, that assumption),
//! [`CatalogDefault`] (the figure, why it is assumed, how a report shows it) and
//! [`Assumptions`] (what a candidate reports it rests on). Knows no scenario keys and reads no
//! catalog field itself: callers name the key, its range and its default. Invariant: a value
//! the user set never carries an assumption; a default the catalog marks "assumed:" always does.

use super::Assumption;
use super::reader::{Check, Result, Section};

/// The catalog's default for a key.
pub(super) struct CatalogDefault<'c, T> {
    value: T,
    /// Why the value is natsim's assumption; `None` for an AWS (or otherwise sourced) figure.
    basis: Option<&'c str>,
    /// The value as a report shows it, with its unit ("350 s", "4096 entries").
    shown: String,
}

impl<'c, T> CatalogDefault<'c, T> {
    pub(crate) fn new(value: T, basis: Option<&'c str>, shown: String) -> Self {
        CatalogDefault {
            value,
            basis,
            shown,
        }
    }
}

impl<'c> CatalogDefault<'c, f64> {
    /// A duration in seconds, shown as "350 s".
    pub(crate) fn seconds(value: f64, basis: Option<&'c str>) -> Self {
        Self::new(value, basis, seconds_text(value))
    }

    /// A plain number, shown as written ("0.8").
    pub(crate) fn plain(value: f64, basis: Option<&'c str>) -> Self {
        Self::new(value, basis, value.to_string())
    }
}

/// A value for a key: the user's, or the catalog's default with the assumption behind it.
pub(super) struct Setting<T> {
    pub(crate) value: T,
    /// Whether the user set the key.
    pub(crate) given: bool,
    assumption: Option<Assumption>,
}

impl<T> Setting<T> {
    /// A value the user set, where the catalog has no default for it.
    pub(crate) fn given(value: T) -> Self {
        Setting {
            value,
            given: true,
            assumption: None,
        }
    }

    /// `given` if the user set `key`, else `default` (with its assumption, if it is one).
    pub(crate) fn new(key: &str, given: Option<T>, default: CatalogDefault<'_, T>) -> Self {
        match given {
            Some(value) => Setting::given(value),
            None => Setting {
                value: default.value,
                given: false,
                assumption: default.basis.map(|basis| Assumption {
                    key: key.to_string(),
                    value: default.shown,
                    basis: basis.to_string(),
                }),
            },
        }
    }
}

impl Section<'_> {
    /// A number, or the catalog's default.
    pub(crate) fn number_or(
        &mut self,
        key: &'static str,
        check: Check,
        default: CatalogDefault<'_, f64>,
    ) -> Result<Setting<f64>> {
        Ok(Setting::new(key, self.number(key, check)?, default))
    }

    /// A duration in seconds, or the catalog's default.
    pub(crate) fn duration_or(
        &mut self,
        key: &'static str,
        check: Check,
        default: CatalogDefault<'_, f64>,
    ) -> Result<Setting<f64>> {
        Ok(Setting::new(key, self.duration_s(key, check)?, default))
    }

    /// A whole number in `low..=high`, or the catalog's default.
    pub(crate) fn count_or(
        &mut self,
        key: &'static str,
        (low, high): (u32, u32),
        default: CatalogDefault<'_, u32>,
    ) -> Result<Setting<u32>> {
        let given = self.int(key, i64::from(low), i64::from(high))?;
        // In range, so it fits.
        Ok(Setting::new(key, given.map(|n| n as u32), default))
    }
}

/// The assumptions a candidate rests on, in the order its report lists them.
#[derive(Default)]
pub(super) struct Assumptions(Vec<Assumption>);

impl Assumptions {
    /// Records the assumption behind `setting`, if its value is an assumed default.
    pub(crate) fn add<T>(&mut self, setting: &Setting<T>) {
        self.0.extend(setting.assumption.clone());
    }

    /// Records an assumption that is no key's default (spot pricing, the fallback's detection
    /// time), when `basis` says it is one.
    pub(crate) fn note(&mut self, key: &str, basis: Option<&str>, value: impl FnOnce() -> String) {
        if let Some(basis) = basis {
            self.0.push(Assumption {
                key: key.to_string(),
                value: value(),
                basis: basis.to_string(),
            });
        }
    }

    pub(crate) fn push(&mut self, assumption: Assumption) {
        self.0.push(assumption);
    }

    pub(crate) fn into_vec(self) -> Vec<Assumption> {
        self.0
    }
}

pub(super) fn seconds_text(seconds: f64) -> String {
    format!("{seconds} s")
}
