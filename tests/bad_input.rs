//! Bad input is rejected with exit code 2 and a message naming the file, the line, the field
//! and what was expected; no records are written.

use crate::util::{coprep, scratch, stderr};
use coprep_traces::synth;

/// The default workload as a pretty JSON text, to break in one place at a time.
fn base() -> String {
    synth::DEFAULT_WORKLOAD.to_string()
}

/// Replaces the `nth` occurrence (0-based) of `from` in `text` by `to`, and returns the text
/// and the 1-based line where the change is.
fn break_at(text: &str, from: &str, to: &str, nth: usize) -> (String, usize) {
    let (at, _) = text.match_indices(from).nth(nth).unwrap_or_else(|| panic!("{from:?} #{nth} not in the base"));
    let line = text[..at].matches('\n').count() + 1;
    (format!("{}{}{}", &text[..at], to, &text[at + from.len()..]), line)
}

/// Runs `simulate` on `text` and checks the rejection.
fn rejected(name: &str, text: &str, line: Option<usize>, needles: &[&str]) {
    let dir = scratch(&format!("bad-{name}"));
    let file = dir.join("workload.json");
    std::fs::write(&file, text).unwrap();
    let records = dir.join("records");
    let out = coprep(&["simulate", file.to_str().unwrap(), "--out", records.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{name}: {err}");
    let location = match line {
        Some(l) => format!("{}:{l}:", file.display()),
        None => format!("{}", file.display()),
    };
    assert!(err.contains(&location), "{name}: expected {location:?} in {err:?}");
    for needle in needles {
        assert!(err.contains(needle), "{name}: expected {needle:?} in {err:?}");
    }
    assert!(!err.contains("panicked"), "{name}: {err}");
    assert!(!records.exists(), "{name}: records were written");
}

#[test]
fn a_string_where_a_number_belongs() {
    let (text, line) = break_at(&base(), "\"steps\": 2400", "\"steps\": \"many\"", 0);
    rejected("bad-number", &text, Some(line), &["tasks[0].steps", "invalid type", "expected u64"]);
}

#[test]
fn a_negative_duration() {
    let (text, line) = break_at(&base(), "\"gpu\": 0.05", "\"gpu\": -0.05", 2);
    rejected("negative", &text, Some(line), &["tasks[2].compute_s.gpu", "expected a finite number > 0"]);
}

#[test]
fn nan_is_not_a_number() {
    let (text, line) = break_at(&base(), "\"gpu\": 0.05", "\"gpu\": NaN", 0);
    rejected("nan", &text, Some(line), &["tasks[0].compute_s.gpu", "expected value"]);
}

#[test]
fn an_out_of_range_number() {
    let (text, line) = break_at(&base(), "\"migration_s\": 2.0", "\"migration_s\": 1e999", 0);
    rejected("range", &text, Some(line), &["cluster.migration_s", "out of range"]);
}

#[test]
fn an_unknown_dataset() {
    let (text, line) = break_at(&base(), "\"dataset\": \"cifar10\"", "\"dataset\": \"cifar100\"", 3);
    rejected(
        "dataset",
        &text,
        Some(line),
        &["tasks[3].dataset", "unknown dataset \"cifar100\"", "expected one of: cifar10"],
    );
}

#[test]
fn an_unknown_pipeline() {
    let (text, line) = break_at(&base(), "\"pipeline\": \"augment\"", "\"pipeline\": \"nope\"", 1);
    rejected(
        "pipeline",
        &text,
        Some(line),
        &["tasks[1].pipeline", "unknown pipeline \"nope\"", "augment, augment-jitter"],
    );
}

#[test]
fn a_duplicate_task_id() {
    let (text, line) = break_at(&base(), "\"id\": \"lr-0.2\"", "\"id\": \"lr-0.4\"", 0);
    rejected("duplicate", &text, Some(line), &["tasks[1].id", "duplicate task id \"lr-0.4\""]);
}

#[test]
fn an_empty_cluster() {
    let text = base();
    let start = text.find("\"processors\": [\n      {").expect("cluster processors");
    let end = start + text[start..].find("]").unwrap() + 1;
    let broken = format!("{}\"processors\": []{}", &text[..start], &text[end..]);
    let line = text[..start].matches('\n').count() + 1;
    rejected("empty-cluster", &broken, Some(line), &["cluster.processors", "the cluster is empty"]);
}

#[test]
fn a_zero_capacity_buffer() {
    let (text, line) = break_at(&base(), "\"buffer_batches\": 8", "\"buffer_batches\": 0", 0);
    rejected("buffer", &text, Some(line), &["cluster.buffer_batches", "expected at least 1 batch"]);
}

#[test]
fn a_misspelt_field() {
    let (text, line) = break_at(&base(), "\"steps\": 2000", "\"stepz\": 2000", 0);
    rejected("typo", &text, Some(line), &["tasks[1]", "unknown field `stepz`"]);
}

#[test]
fn a_gang_larger_than_the_cluster() {
    let (text, line) = break_at(&base(), "\"memory_gb\": 6", "\"memory_gb\": 6, \"processors\": 9", 0);
    rejected("gang", &text, Some(line), &["tasks[0].processors", "needs 9 processors", "only 4"]);
}

#[test]
fn zero_steps() {
    let (text, line) = break_at(&base(), "\"steps\": 2000", "\"steps\": 0", 1);
    rejected("zero-steps", &text, Some(line), &["tasks[2].steps", "expected at least 1"]);
}

#[test]
fn truncated_json() {
    let text = base();
    let cut = &text[..text.len() / 2];
    rejected("truncated", cut, Some(cut.lines().count()), &["EOF while parsing"]);
}

#[test]
fn a_missing_file() {
    let out = coprep(&["simulate", "/nonexistent/workload.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent/workload.json"), "{}", stderr(&out));
}

#[test]
fn unknown_policies_and_parameters() {
    for (spec, needle) in [
        ("nope", "unknown policy \"nope\"; expected one of: fifo"),
        ("min-makespan[foo=1]", "unknown parameter \"foo\""),
        ("min-idle[cap=-1]", "expected a whole number >= 1"),
    ] {
        let dir = scratch("bad-policy");
        let records = dir.join("records");
        let out = coprep(&["simulate", "-p", spec, "--out", records.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
        assert!(stderr(&out).contains(needle), "{spec}: {}", stderr(&out));
        assert!(!records.exists());
        let out = coprep(&["compare", "-p", "fifo", spec]);
        assert_eq!(out.status.code(), Some(2), "{spec}");
    }
    let out = coprep(&["compare", "-p", "fifo", "min-idle", "fifo"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("\"fifo\" is given twice"), "{}", stderr(&out));
}

#[test]
fn bad_actuals_rows_name_their_line() {
    let dir = scratch("bad-actuals");
    let csv = dir.join("actuals.csv");
    std::fs::write(&csv, "task,compute_factor\nlr-0.4,1.1\nlr-0.2,-3\n").unwrap();
    let out = coprep(&["simulate", "--actuals", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("{}:3: compute_factor", csv.display())) && err.contains("expected a finite number > 0"),
        "{err}"
    );
    std::fs::write(&csv, "task,compute_factor\nghost,1.0\n").unwrap();
    let out = coprep(&["simulate", "--actuals", csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(":2: task: unknown task \"ghost\""), "{}", stderr(&out));
}

#[test]
fn bad_command_line_values() {
    for args in [
        &["simulate", "--noise", "-1"][..],
        &["simulate", "--noise", "NaN"],
        &["plan", "--cap", "0"],
        &["trace", "gen", "sweep", "--tasks", "0"],
    ] {
        let out = coprep(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = coprep(&["trace", "validate", "/nonexistent.json"]);
    assert_eq!(out.status.code(), Some(2));
}
