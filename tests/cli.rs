//! End-to-end runs of the `coprep` binary, as a user would run it.

use crate::util::{coprep, scratch, stderr, stdout};
use coprep_sim::records::SummaryRow;

/// Every file under `dir`, by path relative to it.
pub fn files_under(dir: &std::path::Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut files = std::collections::BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
                files.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

fn rows(csv_text: &str) -> Vec<SummaryRow> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .deserialize()
        .collect::<Result<_, _>>()
        .expect("comparison csv parses")
}

#[test]
fn compare_on_the_default_shows_sharing_wins() {
    let out = coprep(&["compare", "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rows = rows(&stdout(&out));
    let get =
        |prefix: &str| rows.iter().find(|r| r.policy.starts_with(prefix)).unwrap_or_else(|| panic!("{prefix} missing"));
    let fifo = get("fifo");
    for policy in ["min-makespan", "min-idle"] {
        let r = get(policy);
        assert!(r.makespan_s <= 0.4 * fifo.makespan_s, "{policy}: {} vs fifo {}", r.makespan_s, fifo.makespan_s);
        assert!(r.prep_saved_fraction > 0.5, "{policy} saves {}", r.prep_saved_fraction);
        assert!(r.makespan_s >= r.lower_bound_s);
    }
    assert!(fifo.prep_saved_fraction.abs() < 1e-9);
}

#[test]
fn compare_table_reads_well() {
    let out = coprep(&["compare"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for needle in [
        "policy",
        "makespan s",
        "vs fifo",
        "gap to LB",
        "prep saved",
        "min-makespan",
        "min-idle",
        "reestimate[base=min-makespan]",
        "lower bound on the makespan",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
}

#[test]
fn same_seed_gives_byte_identical_records() {
    let (a, b) = (scratch("cli-det-a"), scratch("cli-det-b"));
    for dir in [&a, &b] {
        let out =
            coprep(&["compare", "--noise", "0.3", "--seed", "7", "--out", dir.to_str().unwrap(), "--format", "csv"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let (x, y) = (files_under(&a), files_under(&b));
    assert_eq!(x.keys().collect::<Vec<_>>(), y.keys().collect::<Vec<_>>());
    for (name, bytes) in &x {
        assert!(bytes == &y[name], "{name} differs");
    }
    // 5 policies x 3 records + label.txt, the index, the aggregate, 13 plots and the report.
    assert_eq!(x.len(), 5 * 4 + 2 + 13 + 1, "{:?}", x.keys());
    // A different seed draws different noise.
    let c = scratch("cli-det-c");
    assert!(coprep(&["compare", "--noise", "0.3", "--seed", "8", "--out", c.to_str().unwrap()]).status.success());
    assert_ne!(std::fs::read(a.join("comparison.csv")).unwrap(), std::fs::read(c.join("comparison.csv")).unwrap());
}

#[test]
fn simulate_writes_records_and_prints_a_summary() {
    let dir = scratch("cli-simulate");
    let out = coprep(&["simulate", "-p", "min-idle[cap=4]", "--engine", "per-batch", "--out", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("min-idle[cap=4,colocate=any]") && text.contains("per-batch") && text.contains("lower bound"),
        "{text}"
    );
    for file in ["summary.json", "jobs.csv", "events.jsonl"] {
        assert!(dir.join(file).is_file(), "{file}");
    }
    // No temporary files are left behind.
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn plan_shows_the_tree_and_the_savings() {
    let out = coprep(&["plan"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains("decode[format=png]") && text.contains("├─") && text.contains("saves 82.5%"), "{text}");
    let out = coprep(&["plan", "--cap", "1", "--format", "json"]);
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(plan["groups"].as_array().unwrap().len(), 8);
    assert!(plan["prep_saved_fraction"].as_f64().unwrap().abs() < 1e-9);
}

#[test]
fn trace_gen_is_seeded_and_validates() {
    let dir = scratch("cli-gen");
    let (a, b) = (dir.join("a.json"), dir.join("b.json"));
    for path in [&a, &b] {
        let out = coprep(&[
            "trace",
            "gen",
            "mixed",
            "--tasks",
            "40",
            "--processors",
            "8",
            "--seed",
            "5",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let out = coprep(&["trace", "validate", a.to_str().unwrap()]);
    assert!(out.status.success() && stdout(&out).contains("40 tasks"), "{}", stderr(&out));
    let out = coprep(&["compare", a.to_str().unwrap(), "--format", "csv"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(rows(&stdout(&out)).len(), 5);
}

#[test]
fn help_and_policies_list_what_exists() {
    let out = coprep(&["--help"]);
    let text = stdout(&out);
    for cmd in ["simulate", "compare", "plan", "trace", "policies"] {
        assert!(text.contains(cmd), "{text}");
    }
    let text = stdout(&coprep(&["policies"]));
    for p in ["fifo", "lpt", "min-makespan", "min-idle", "reestimate"] {
        assert!(text.contains(p), "{text}");
    }
}

#[test]
fn sweep_shards_merge_into_the_unsharded_result() {
    let dir = scratch("cli-sweep");
    let grid = ["--caps", "1,auto", "--processors", "2,4", "--noises", "0,0.3", "--seeds", "2"];
    let run = |extra: &[&str], out: &str| {
        let mut args = vec!["sweep"];
        args.extend(grid);
        args.extend(extra);
        let out_dir = dir.join(out);
        args.extend(["--out", out_dir.to_str().unwrap()]);
        let out = coprep(&args);
        assert!(out.status.success(), "{}", stderr(&out));
        out_dir
    };
    let whole = run(&[], "whole");
    let shards: Vec<_> = (0..3).map(|i| run(&["--shard", &format!("{i}/3")], &format!("s{i}"))).collect();
    let merged = dir.join("merged");
    let mut args: Vec<&str> = vec!["sweep", "merge"];
    args.extend(shards.iter().map(|s| s.to_str().unwrap()));
    args.extend(["--out", merged.to_str().unwrap()]);
    let out = coprep(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    for file in ["sweep-0-of-1.csv", "summary.csv"] {
        assert_eq!(std::fs::read(whole.join(file)).unwrap(), std::fs::read(merged.join(file)).unwrap(), "{file}");
    }
    // 3 policies (two of them with 2 caps) x 2 sizes x 2 noise levels x 2 seeds.
    assert_eq!(std::fs::read_to_string(whole.join("sweep-0-of-1.csv")).unwrap().lines().count(), 1 + 5 * 2 * 2 * 2);
    // A shard missing, or a bad shard spec, is an input error.
    let out = coprep(&["sweep", "merge", shards[0].to_str().unwrap(), "--out", dir.join("x").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("shards 1, 2 of 3 are missing"), "{}", stderr(&out));
    let out = coprep(&["sweep", "--shard", "3/3", "--out", dir.join("y").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn clairvoyant_runs_leave_reestimate_nothing_to_learn() {
    // Policies that see the actual durations: re-estimation makes its base's schedule exactly.
    let out = coprep(&[
        "compare",
        "--noise",
        "0.5",
        "--seed",
        "3",
        "--clairvoyant",
        "-p",
        "min-idle",
        "reestimate[base=min-idle]",
        "--format",
        "csv",
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let r = rows(&stdout(&out));
    assert_eq!(r[0].makespan_s, r[1].makespan_s);
    assert_eq!(r[1].reassignments, 0);
    // Without clairvoyance the same noise misleads the base, and the bound is the same.
    let out = coprep(&["compare", "--noise", "0.5", "--seed", "3", "-p", "min-idle", "--format", "csv"]);
    let blind = rows(&stdout(&out));
    assert_eq!(blind[0].lower_bound_s, r[0].lower_bound_s);
    assert!(
        blind[0].makespan_s >= r[0].makespan_s * 0.999,
        "{} vs clairvoyant {}",
        blind[0].makespan_s,
        r[0].makespan_s
    );
}

#[test]
fn bench_quality_reports_gaps_and_writes_rows() {
    let csv = scratch("bench-quality").join("quality.csv");
    let args = ["bench", "quality", "--families", "grid,e4", "--seeds", "1", "--max-jobs", "10", "--out"];
    let out = coprep(&[&args[..], &[csv.to_str().unwrap()]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    for row in ["uniform[1,100]", "E4", "grid", "E1-E4", "all"] {
        assert!(text.lines().any(|l| l.starts_with(row)), "no {row} row: {text}");
    }
    assert!(text.contains("min-makespan mean"), "{text}");
    // Grid: 6 classes at (m=5, n=10); E4: 6 ranges at (2, 10) and at (3, 9); 1 seed, 2 policies.
    // Each a proven optimum at n = 10.
    let mut reader = csv::Reader::from_path(&csv).unwrap();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), (6 + 12) * 2);
    assert_eq!(records.iter().filter(|r| &r[0] == "E4").count(), 12 * 2);
    assert!(records.iter().all(|r| &r[6] == "true" && r[1].contains('[')), "{records:?}");
}

#[test]
fn bench_speed_measures_each_run_in_its_own_process() {
    let out = coprep(&["bench", "speed", "--tasks", "200", "--processors", "16", "-p", "fifo", "min-makespan"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("200 ")).collect();
    assert_eq!(rows.len(), 2, "{text}");
    for row in rows {
        let cells: Vec<&str> = row.split_whitespace().collect();
        // tasks, GPUs, policy, events, simulate, events/s, tasks/s, build, peak MB
        assert_eq!(cells[1], "16");
        assert!(cells[3].parse::<u64>().unwrap() >= 400, "an arrival and a finish per task at least: {row}");
        assert!(cells[8].parse::<f64>().unwrap() > 0.0, "peak memory is read: {row}");
        // makespan / last arrival: at least 1 (nothing finishes before the last task arrives).
        assert!(cells[9].parse::<f64>().unwrap() >= 1.0, "{row}");
    }
}

#[test]
fn bench_speed_spreads_arrivals_by_the_load_asked_for() {
    let last_arrival = |load: &str| {
        let out = coprep(&["bench", "speed", "--one", "300:fifo", "--processors", "16", "--load", load]);
        assert!(out.status.success(), "{}", stderr(&out));
        let m: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        m["last_arrival_s"].as_f64().unwrap()
    };
    // Half the load: the same work offered over twice the time (rounded to milliseconds).
    let (full, half) = (last_arrival("0.9"), last_arrival("0.45"));
    assert!((half - 2.0 * full).abs() < 0.01, "{half} vs 2 x {full}");
    let out = coprep(&["bench", "speed", "--load", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--load") && stderr(&out).contains("above 0"), "{}", stderr(&out));
}

#[test]
fn devices_lists_adapters_or_says_how_to_get_one() {
    let out = coprep(&["devices"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    // One line per adapter ("0: name (backend, type, ...) max buffer ..."), or the notice.
    let listed = text.lines().filter(|l| l.contains(" max buffer ") && l.contains("MiB")).count();
    assert!(listed > 0 || text.contains("no GPU adapter found"), "{text}");
    if std::env::var("COPREP_REQUIRE_GPU").is_ok_and(|v| v == "1") {
        assert!(listed > 0, "COPREP_REQUIRE_GPU=1 but: {text}");
    }
}

#[test]
fn bench_sharing_compares_one_stream_with_many() {
    let out = coprep(&["bench", "sharing", "--tasks", "2", "--steps", "3", "--batch", "8"]);
    if !out.status.success() {
        assert!(stderr(&out).contains("no GPU adapter found"), "{}", stderr(&out));
        assert!(!std::env::var("COPREP_REQUIRE_GPU").is_ok_and(|v| v == "1"), "COPREP_REQUIRE_GPU=1 but no GPU");
        return;
    }
    let text = stdout(&out);
    // Two tasks of 3 steps x 8 images: 48 samples preprocessed unshared, 24 shared.
    let row = text.lines().find(|l| l.starts_with("2 ")).unwrap_or_else(|| panic!("{text}"));
    assert!(row.contains("48 / 24"), "{row}");
}

#[test]
fn bench_kernels_reports_throughput_or_says_there_is_no_gpu() {
    let out = coprep(&["bench", "kernels", "--matmul", "32", "--reps", "1", "--images", "4"]);
    if out.status.success() {
        let text = stdout(&out);
        assert!(text.contains("matmul 32 x 32 x 32 ") && text.contains("GFLOP/s"), "{text}");
        for op in ["gather", "normalise,", "crop,", "flip,", "jitter,", "noise,"] {
            assert!(text.contains(op), "{op} missing: {text}");
        }
    } else {
        assert!(stderr(&out).contains("no GPU adapter found"), "{}", stderr(&out));
        assert!(!std::env::var("COPREP_REQUIRE_GPU").is_ok_and(|v| v == "1"), "COPREP_REQUIRE_GPU=1 but no GPU");
    }
}
