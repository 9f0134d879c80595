//! Exit codes: 0 success, 2 bad input or usage, 1 a failure at run time.

use coprep_exec::run::ExecError;
use coprep_reports::ReportError;
use coprep_traces::{Error, InputError};

/// 2 when the error (or anything it wraps) is about the user's input, else 1.
pub fn code_for(err: &anyhow::Error) -> i32 {
    let input = err.chain().any(|e| {
        e.downcast_ref::<InputError>().is_some()
            || matches!(e.downcast_ref::<Error>(), Some(Error::Input(_) | Error::Io { .. }))
            || matches!(e.downcast_ref::<ReportError>(), Some(ReportError::BadRecords { .. } | ReportError::Records(_)))
            || matches!(e.downcast_ref::<ExecError>(), Some(ExecError::Input(_)))
    });
    if input {
        2
    } else {
        1
    }
}
