//! Errors in user input: each names the file, the line where there is one, the field, and what
//! was expected.

use std::fmt;
use std::path::PathBuf;

/// A problem with user input (a workload, an actuals file, a policy spec).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct InputError {
    pub file: Option<PathBuf>,
    pub line: Option<usize>,
    /// Dotted path of the offending field, e.g. `tasks[3].compute_s.gpu`.
    pub field: Option<String>,
    pub message: String,
}

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError { file: None, line: None, field: None, message: message.into() }
    }

    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        InputError { field: Some(field.into()), ..InputError::new(message) }
    }

    pub fn at_line(mut self, line: Option<usize>) -> Self {
        if self.line.is_none() {
            self.line = line;
        }
        self
    }

    pub fn in_file(mut self, file: impl Into<PathBuf>) -> Self {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut prefix = String::new();
        if let Some(file) = &self.file {
            prefix.push_str(&file.display().to_string());
        }
        if let Some(line) = self.line {
            if prefix.is_empty() {
                prefix.push_str("line");
            }
            prefix.push_str(&format!(":{line}"));
        }
        if let Some(field) = &self.field {
            if !prefix.is_empty() {
                prefix.push_str(": ");
            }
            prefix.push_str(field);
        }
        if prefix.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{prefix}: {}", self.message)
        }
    }
}

/// Errors of the traces crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] InputError),
    /// The I/O error is part of the message, not a separate cause, so it is printed once.
    #[error("{path}: {error}")]
    Io { path: PathBuf, error: std::io::Error },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io { path: path.into(), error }
    }
}
