//! Errors a user can fix by editing the scenario file.

use crate::util::echo::visible;
use std::fmt;

/// A problem in a scenario file: where it is, what is wrong, how to fix it.
/// Displayed as `FILE: KEY.PATH: problem; hint` so the user can jump straight to it.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: String,
    /// Key path like `candidate[1].ips`; empty for whole-file problems (broken TOML).
    pub key_path: String,
    pub problem: String,
    pub(crate) hint: String,
}

impl ScenarioError {
    pub(crate) fn new(
        key_path: impl Into<String>,
        problem: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        ScenarioError {
            file: String::new(),
            key_path: key_path.into(),
            problem: problem.into(),
            hint: hint.into(),
        }
    }

    pub(crate) fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = file.into();
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Every part is escaped once more here: whatever a caller forgot, an error stays one
        // line and never sends a control character to the terminal.
        let file = if self.file.is_empty() {
            "<scenario>"
        } else {
            &self.file
        };
        write!(f, "{}: ", visible(file))?;
        if !self.key_path.is_empty() {
            write!(f, "{}: ", visible(&self.key_path))?;
        }
        write!(f, "{}", visible(&self.problem))?;
        if !self.hint.is_empty() {
            write!(f, "; {}", visible(&self.hint))?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}
