//! File formats: workloads round-trip, records have the documented shape.

use crate::util::{coprep, scratch, shapes};
use coprep_sim::records::{JobRecord, Summary};
use coprep_sim::EventRecord;
use coprep_traces::actuals::apply_actuals_csv;
use coprep_traces::io::{parse_workload, write_workload};
use coprep_traces::{synth, Workload};
use proptest::prelude::*;

proptest! {
    #![proptest_config(crate::util::config(64))]

    #[test]
    fn workloads_round_trip_through_json(shape in shapes(1000)) {
        let w = shape.workload();
        let text = serde_json::to_string_pretty(&w).expect("serialises");
        let (back, _) = parse_workload(&text).expect("parses");
        prop_assert_eq!(back, w);
    }
}

#[test]
fn generated_workloads_round_trip_through_files() {
    let dir = scratch("formats-roundtrip");
    for (name, w) in [("sweep", synth::sweep(20, 4, 3)), ("mixed", synth::mixed(50, 8, 3, 10.0, 3))] {
        let path = dir.join(format!("{name}.json"));
        write_workload(&path, &w).expect("writes");
        let (back, problem) = coprep_traces::io::read_workload(&path).expect("reads");
        assert_eq!(back, w);
        assert_eq!(problem.tasks.len(), w.tasks.len());
    }
}

#[test]
fn the_embedded_default_is_the_documented_example() {
    let (w, problem) = synth::default_problem();
    assert_eq!(problem.tasks.len(), 8);
    assert_eq!(problem.processors.len(), 4);
    let again: Workload = serde_json::from_str(&serde_json::to_string(&w).unwrap()).unwrap();
    assert_eq!(again, w);
}

#[test]
fn records_have_the_documented_columns_and_tags() {
    let dir = scratch("formats-records");
    let out = coprep(&["simulate", "--out", dir.to_str().unwrap(), "--format", "json"]);
    assert!(out.status.success());
    let summary: Summary =
        serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).expect("summary parses");
    assert_eq!(summary.tasks, 8);
    // stdout with --format json is the summary itself.
    let printed: Summary = serde_json::from_slice(&out.stdout).expect("stdout is the summary");
    assert_eq!(printed, summary);

    let jobs = std::fs::read_to_string(dir.join("jobs.csv")).unwrap();
    let header = jobs.lines().next().unwrap();
    assert_eq!(
        header,
        "job_id,submission_time,starting_time,execution_time,finish_time,waiting_time,turnaround_time,stretch,allocated_resources,final_state,group,stall_time,moves"
    );
    let rows: Vec<JobRecord> =
        csv::Reader::from_reader(jobs.as_bytes()).deserialize().collect::<Result<_, _>>().expect("rows parse");
    assert_eq!(rows.len(), 8);
    let last = rows.iter().map(|r| r.finish_time).fold(0.0, f64::max);
    assert_eq!(last, summary.makespan_s);

    let events = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    let mut started = 0;
    for line in events.lines() {
        let value: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        assert!(value["type"].is_string(), "{line}");
        if let EventRecord::TaskStarted { .. } = serde_json::from_str::<EventRecord>(line).expect("a known event") {
            started += 1;
        }
    }
    assert_eq!(started, 8);
}

#[test]
fn actuals_csv_averages_per_step_rows() {
    let dir = scratch("formats-actuals");
    let csv = dir.join("actuals.csv");
    std::fs::write(&csv, "task,step,compute_factor\nlr-0.4,0,1.0\nlr-0.4,1,2.0\nlr-0.2,,0.5\n").unwrap();
    let (_, mut problem) = synth::default_problem();
    apply_actuals_csv(&mut problem, &csv).expect("reads");
    assert_eq!(problem.tasks[0].actual_compute_factor, 1.5);
    assert_eq!(problem.tasks[1].actual_compute_factor, 0.5);
    assert_eq!(problem.tasks[2].actual_compute_factor, 1.0);
    assert!(problem.tasks[0].compute_recorded && !problem.tasks[2].compute_recorded);
}
