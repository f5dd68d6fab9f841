//! Errors in flow-log input: which file, which line, what is wrong, how to fix it.

use crate::util::echo::visible;
use std::fmt;

/// A problem in a flow-log file. Displayed as `FILE:LINE: problem; hint` (`FILE: ...` when it
/// concerns the whole file), lowercase, one line, control characters escaped.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowLogError {
    pub file: String,
    /// 1-based line number; 0 when the problem is the file itself (missing, unreadable).
    pub line: u64,
    pub problem: String,
    pub(crate) hint: String,
}

impl FlowLogError {
    pub(crate) fn new(problem: impl Into<String>, hint: impl Into<String>) -> Self {
        FlowLogError {
            file: String::new(),
            line: 0,
            problem: problem.into(),
            hint: hint.into(),
        }
    }

    pub(crate) fn at(mut self, file: &str, line: u64) -> Self {
        self.file = file.to_string();
        self.line = line;
        self
    }
}

impl fmt::Display for FlowLogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", visible(&self.file))?;
        if self.line > 0 {
            write!(f, ":{}", self.line)?;
        }
        write!(f, ": {}", visible(&self.problem))?;
        if !self.hint.is_empty() {
            write!(f, "; {}", visible(&self.hint))?;
        }
        Ok(())
    }
}

impl std::error::Error for FlowLogError {}
