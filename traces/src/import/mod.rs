//! Importers of public cluster traces into coprep's workload model. Each documents (in
//! `docs/importers.md` and its module) how it fills in what the trace lacks, and lets the user
//! override those choices. Bad lines are reported with their line number.

pub mod gavel;
pub mod muri;
pub mod swf;

use crate::error::InputError;
use crate::model::{ProcessorSpec, Stage};
use std::collections::BTreeMap;
use std::path::Path;

/// A cluster given on the command line: `type:count,type:count`, e.g. `v100:36,p100:36,k80:36`.
pub fn parse_cluster(spec: &str, memory_gb: f64) -> Result<Vec<ProcessorSpec>, InputError> {
    let mut specs = Vec::new();
    for part in spec.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (kind, count) = part.split_once(':').ok_or_else(|| {
            InputError::field("--cluster", format!("\"{part}\" is not type:count; expected e.g. v100:36,p100:36"))
        })?;
        let count: u32 = count.parse().ok().filter(|&c| c > 0).ok_or_else(|| {
            InputError::field(
                "--cluster",
                format!("\"{count}\" in \"{part}\" is not a count; expected a whole number >= 1"),
            )
        })?;
        specs.push(ProcessorSpec::uniform(kind, count, Some(memory_gb)));
    }
    if specs.is_empty() {
        return Err(InputError::field("--cluster", "no processors; expected e.g. v100:36,p100:36"));
    }
    Ok(specs)
}

/// Pipelines given by the user: a JSON object from dataset id to an array of stages.
pub fn read_pipelines(path: &Path) -> Result<BTreeMap<String, Vec<Stage>>, crate::Error> {
    let text = std::fs::read_to_string(path).map_err(|e| crate::Error::io(path, e))?;
    let mut de = serde_json::Deserializer::from_str(&text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path_in = e.path().to_string();
        let inner = e.into_inner();
        crate::Error::Input(InputError::field(path_in, inner.to_string()).at_line(Some(inner.line())).in_file(path))
    })
}

/// A parse failure at `line` of an imported file.
pub(crate) fn bad_line(line: usize, field: &str, message: impl Into<String>) -> InputError {
    InputError::field(field, message).at_line(Some(line))
}
