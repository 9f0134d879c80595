//! Reading and writing workload files.

use crate::error::{Error, InputError};
use crate::json_lines::JsonLines;
use crate::model::Workload;
use crate::problem::Problem;
use std::path::Path;

/// Parses a workload's JSON text. Errors name the field's path and the line.
pub fn parse_workload(text: &str) -> Result<(Workload, JsonLines), InputError> {
    parse_json(text)
}

/// Parses JSON text into `T`. Errors name the field's path and the line.
pub fn parse_json<T: serde::de::DeserializeOwned>(text: &str) -> Result<(T, JsonLines), InputError> {
    let mut de = serde_json::Deserializer::from_str(text);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    let value = parsed.map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string());
        let err = InputError::new(message).at_line(Some(inner.line()));
        if path == "." || path.is_empty() {
            err
        } else {
            InputError { field: Some(path), ..err }
        }
    })?;
    de.end().map_err(|e| InputError::new(strip_position(&e.to_string())).at_line(Some(e.line())))?;
    Ok((value, JsonLines::index(text)))
}

/// serde_json appends " at line L column C"; the line is reported separately.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(cut) => message[..cut].to_string(),
        None => message.to_string(),
    }
}

/// Parses and validates a workload's text.
pub fn problem_from_str(text: &str) -> Result<(Workload, Problem), InputError> {
    let (workload, lines) = parse_workload(text)?;
    let problem = Problem::from_workload(&workload, Some(&lines))?;
    Ok((workload, problem))
}

/// Reads, parses and validates a workload file.
pub fn read_workload(path: &Path) -> Result<(Workload, Problem), Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    problem_from_str(&text).map_err(|e| Error::Input(e.in_file(path)))
}

/// Writes `workload` as pretty JSON, atomically.
pub fn write_workload(path: &Path, workload: &Workload) -> Result<(), Error> {
    let mut text = serde_json::to_string_pretty(workload).expect("a workload always serialises");
    text.push('\n');
    write_atomic(path, text.as_bytes())
}

/// Writes to a temporary name beside `path` and renames, so an interrupted run never leaves a
/// truncated file that looks complete.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}
