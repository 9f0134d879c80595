//! Importers on the shared traces (`../shared/data/traces`) and on malformed lines.

use crate::util::{coprep, scratch, stderr};
use coprep_traces::import::{gavel, muri};
use std::path::PathBuf;

/// A file of the shared data. In CI (which always has `../shared`) a missing file fails the
/// test; elsewhere the test is skipped with a notice.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(rel);
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!("{} is missing; CI must have ../shared", path.display());
    }
    eprintln!("skipping: {} is not here", path.display());
    None
}

#[test]
fn gavel_traces_import_whole() {
    for (name, jobs) in
        [("msr-seed0-51b7ef.trace", 18), ("msr-seed0-2869ce.trace", 533), ("msr-seed0-11cb48.trace", 2000)]
    {
        let Some(trace) = shared(&format!("traces/gavel/{name}")) else { return };
        let (w, _) = gavel::import(&trace, &gavel::GavelOptions::default()).expect("imports");
        assert_eq!(w.tasks.len(), jobs, "{name}");
        let problem = coprep_traces::Problem::from_workload(&w, None).expect("valid");
        assert_eq!(problem.processors.len(), 108);
        if jobs == 2000 {
            let ids: Vec<&str> = w.datasets.iter().map(|d| d.id.as_str()).collect();
            for d in [
                "cifar10",
                "imagenet/pytorch",
                "ml-20m/pro_sg",
                "translation/multi30k.atok.low.pt",
                "wikitext2",
                "monet2photo",
            ] {
                assert!(ids.contains(&d), "{d} missing from {ids:?}");
            }
            // The first line: a 1-GPU Transformer of batch 128 on multi30k, 13,407,515 steps,
            // whose V100 step time is 1 / its measured throughput alone.
            let t = &w.tasks[0];
            assert_eq!((t.processors, t.batch_size, t.steps), (1, 128, 13_407_515));
            assert_eq!(t.dataset, "translation/multi30k.atok.low.pt");
            let measured: serde_json::Value = serde_json::from_str(
                &std::fs::read_to_string(trace.with_file_name("simulation_throughputs.json")).unwrap(),
            )
            .unwrap();
            let alone = measured["v100"]["('Transformer (batch size 128)', 1)"]["null"].as_f64().unwrap();
            assert_eq!(t.compute_s["v100"], 1.0 / alone);
            // A3C reads no data: an environment of its own, nothing to share.
            assert!(w.tasks.iter().filter(|t| t.dataset.ends_with("-env")).all(|t| t.pipeline == "none"));
        }
    }
}

#[test]
fn compare_on_the_gavel_trace_reports_what_sharing_saves() {
    let Some(trace) = shared("traces/gavel/msr-seed0-2869ce.trace") else { return };
    let dir = scratch("import-gavel");
    let out_file = dir.join("gavel.json");
    let out =
        coprep(&["trace", "import", "--format", "gavel", trace.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("imported 533 jobs"), "{}", stderr(&out));
    let out = coprep(&["compare", out_file.to_str().unwrap(), "-p", "fifo", "min-idle", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Vec<coprep_sim::records::SummaryRow> =
        csv::Reader::from_reader(&out.stdout[..]).deserialize().collect::<Result<_, _>>().unwrap();
    assert!(rows[0].prep_saved_fraction.abs() < 1e-9);
    assert!(rows[1].prep_saved_fraction > 0.05, "sharing saves {}", rows[1].prep_saved_fraction);
}

#[test]
fn muri_traces_import_whole() {
    for (name, rows) in [("trace1.csv", 1494), ("trace2.csv", 5755)] {
        let Some(trace) = shared(&format!("traces/muri/{name}")) else { return };
        let w = muri::import(&trace, &muri::MuriOptions::default()).expect("imports");
        assert_eq!(w.tasks.len(), rows, "{name}");
        assert_eq!(w.cluster.processors[0].count, 64, "1 switch x 8 nodes x 8 GPUs");
        coprep_traces::Problem::from_workload(&w, None).expect("valid");
    }
    let Some(trace) = shared("traces/muri/trace1.csv") else { return };
    let w = muri::import(&trace, &muri::MuriOptions::default()).unwrap();
    // Job 0: dqn, 1 GPU, batch 128: compute = (8 + 0) µs per step; it reads its own environment.
    let t = &w.tasks[0];
    assert!((t.compute_s["gpu"] - 8e-6).abs() < 1e-15, "{}", t.compute_s["gpu"]);
    assert_eq!((t.dataset.as_str(), t.steps, t.processors), ("dqn-env-job-0", 5_853_661, 1));
    // Job 2: vgg16 on 8 GPUs reads imagenet; compute = 75 + 66 µs.
    let t = &w.tasks[2];
    assert_eq!(t.dataset, "imagenet");
    assert!((t.compute_s["gpu"] - 141e-6).abs() < 1e-15);
    // Overriding the mapping.
    let opts = muri::MuriOptions {
        datasets: [("vgg16".to_string(), "cifar10".to_string())].into_iter().collect(),
        ..Default::default()
    };
    assert_eq!(muri::import(&trace, &opts).unwrap().tasks[2].dataset, "cifar10");
}

#[test]
fn malformed_lines_name_file_line_and_field() {
    let dir = scratch("import-bad");
    let Some(trace) = shared("traces/gavel/msr-seed0-51b7ef.trace") else { return };
    let throughputs = trace.with_file_name("simulation_throughputs.json");
    let text = std::fs::read_to_string(&trace).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let mut fields: Vec<String> = lines[2].split('\t').map(str::to_string).collect();
    fields[4] = "lots".into();
    lines[2] = fields.join("\t");
    let bad = dir.join("bad.trace");
    std::fs::write(&bad, lines.join("\n")).unwrap();
    let out = coprep(&[
        "trace",
        "import",
        "--format",
        "gavel",
        bad.to_str().unwrap(),
        "--throughputs",
        throughputs.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("{}:3: total_steps: \"lots\"", bad.display())), "{}", stderr(&out));

    let Some(muri_trace) = shared("traces/muri/trace1.csv") else { return };
    let mut text = std::fs::read_to_string(&muri_trace).unwrap();
    text = text.replacen("0,1,0,5853661,dqn", "0,1,-5,5853661,dqn", 1);
    let bad = dir.join("bad.csv");
    std::fs::write(&bad, text).unwrap();
    let cluster = muri_trace.with_file_name("cluster_n8g8.csv");
    let out = coprep(&[
        "trace",
        "import",
        "--format",
        "muri",
        bad.to_str().unwrap(),
        "--cluster-file",
        cluster.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("{}:2: submit_time: \"-5\"", bad.display())), "{}", stderr(&out));

    let swf = dir.join("bad.swf");
    std::fs::write(&swf, "; MaxProcs: 4\n1 0 0 10 1 -1 -1 1 10 -1 1 1 1 3 1 -1 -1 -1\n2 5 0 10 1 -1\n").unwrap();
    let out = coprep(&["trace", "import", "--format", "swf", swf.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains(&format!("{}:3: line: 6 fields", swf.display())), "{}", stderr(&out));
}

#[test]
fn swf_imports_and_runs() {
    let dir = scratch("import-swf");
    let swf = dir.join("tiny.swf");
    std::fs::write(
        &swf,
        "; MaxProcs: 4\n1 0 0 100 2 -1 -1 2 120 -1 1 1 1 7 1 -1 -1 -1\n2 10 0 50 -1 -1 -1 1 60 -1 1 1 1 7 1 -1 -1 -1\n3 20 0 0 1 -1 -1 1 60 -1 5 1 1 -1 1 -1 -1 -1\n",
    )
    .unwrap();
    let out_file = dir.join("tiny.json");
    let out = coprep(&["trace", "import", "--format", "swf", swf.to_str().unwrap(), "-o", out_file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("2 jobs") && stderr(&out).contains("1 jobs skipped"), "{}", stderr(&out));
    assert!(coprep(&["compare", out_file.to_str().unwrap()]).status.success());
}
