//! Reports: every plot as well-formed SVG with its titles and policy names, PNGs of the right
//! size that are not blank, a self-contained page, and redrawing that reproduces the same files.

use crate::cli::files_under;
use crate::util::{coprep, scratch, stderr};
use std::path::Path;

const POLICIES: [&str; 5] = ["fifo", "lpt", "min-makespan", "min-idle", "reestimate[base=min-makespan]"];
const SLUGS: [&str; 5] = ["fifo", "lpt", "min-makespan", "min-idle", "reestimate_base_min-makespan"];

/// Plot name, expected size, and text it must contain (axis titles, legends).
fn expected() -> Vec<(String, (u32, u32), Vec<String>)> {
    let policies: Vec<String> = POLICIES.iter().map(|p| p.to_string()).collect();
    let mut plots = vec![
        (
            "comparison".to_string(),
            (1500, 860),
            vec!["Makespan", "Total data stall", "p95 JCT", "Preprocessing work", "fifo", "min-idle"]
                .into_iter()
                .map(String::from)
                .collect(),
        ),
        (
            "jct_cdf".to_string(),
            (1100, 650),
            [vec!["job completion time (".to_string(), "fraction of jobs finished".to_string()], policies.clone()]
                .concat(),
        ),
        (
            "savings".to_string(),
            (1200, 650),
            [
                vec!["preprocessing work (".to_string(), "no sharing".to_string(), "cifar10".to_string()],
                policies.clone(),
            ]
            .concat(),
        ),
    ];
    for (p, s) in POLICIES.iter().zip(SLUGS) {
        plots.push((
            format!("gantt-{s}"),
            (1400, 0),
            vec![format!("Schedule: {p}"), "time (".into(), "gpu0".into(), "group 0".into()],
        ));
        plots.push((
            format!("utilisation-{s}"),
            (1200, 600),
            vec![format!("Utilisation over time: {p}"), "busy fraction".into(), "gpu3".into(), "data stall".into()],
        ));
    }
    plots
}

fn check_svg(path: &Path, needles: &[String]) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: not well-formed XML: {e}", path.display()));
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let words: String =
        doc.descendants().filter(|n| n.is_text()).map(|n| n.text().unwrap_or("")).collect::<Vec<_>>().join("\n");
    for needle in needles {
        assert!(words.contains(needle.as_str()), "{}: no text {needle:?}", path.display());
    }
}

fn check_png(path: &Path, size: (u32, u32)) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.width, size.0, "{}", path.display());
    if size.1 > 0 {
        assert_eq!(info.height, size.1, "{}", path.display());
    }
    let pixels = &buf[..info.buffer_size()];
    let coloured = pixels.chunks(3).filter(|p| p.iter().any(|&c| c < 200)).count();
    let total = pixels.len() / 3;
    assert!(coloured * 50 > total, "{}: only {coloured} of {total} pixels drawn", path.display());
    let distinct: std::collections::BTreeSet<&[u8]> = pixels.chunks(3).collect();
    assert!(distinct.len() > 8, "{}: {} colours", path.display(), distinct.len());
}

#[test]
fn compare_with_seeds_writes_every_plot_and_the_report() {
    let dir = scratch("reports-default");
    let out = coprep(&["compare", "--seeds", "5", "--noise", "0.3", "--out", dir.to_str().unwrap(), "--png"]);
    assert!(out.status.success(), "{}", stderr(&out));
    for (name, size, needles) in expected() {
        check_svg(&dir.join("plots").join(format!("{name}.svg")), &needles);
        check_png(&dir.join("plots").join(format!("{name}.png")), size);
    }
    // Every run's records, per seed.
    for slug in SLUGS {
        for seed in 0..5 {
            assert!(dir.join(slug).join(format!("seed-{seed}")).join("summary.json").is_file(), "{slug} seed {seed}");
        }
    }
    let aggregate = std::fs::read_to_string(dir.join("comparison.csv")).unwrap();
    assert!(
        aggregate.starts_with("policy,runs,makespan_s_mean,makespan_s_ci95_low,makespan_s_ci95_high"),
        "{aggregate}"
    );
    assert_eq!(aggregate.lines().count(), 6);
    let page = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        page.contains("<svg") && page.contains("±") && page.contains("noise sigma"),
        "report.html lacks plots or the table"
    );
    assert!(!page.contains("src=\"http") && !page.contains("href=\"http"), "report.html must be self-contained");

    // Redrawing from the records gives the same files.
    let before = files_under(&dir);
    let out = coprep(&["plot", dir.to_str().unwrap(), "--png"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = files_under(&dir);
    assert_eq!(before.keys().collect::<Vec<_>>(), after.keys().collect::<Vec<_>>());
    for (name, bytes) in &before {
        assert!(bytes == &after[name], "{name} changed when redrawn");
    }
}

#[test]
fn a_500_task_mixed_workload_stays_readable() {
    let dir = scratch("reports-mixed");
    let workload = dir.join("mixed.json");
    let gen = coprep(&[
        "trace",
        "gen",
        "mixed",
        "--tasks",
        "500",
        "--processors",
        "16",
        "--datasets",
        "4",
        "--interarrival",
        "20",
        "-o",
        workload.to_str().unwrap(),
    ]);
    assert!(gen.status.success());
    let out_dir = dir.join("out");
    let out = coprep(&[
        "compare",
        workload.to_str().unwrap(),
        "--seeds",
        "2",
        "--noise",
        "0.3",
        "-p",
        "fifo",
        "min-idle",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let gantt = std::fs::read_to_string(out_dir.join("plots/gantt-min-idle.svg")).unwrap();
    roxmltree::Document::parse(&gantt).expect("well-formed");
    // Hundreds of groups, a short legend: at most 10 named, the rest counted.
    let named = gantt.matches("tasks on ").count() + gantt.matches("task on ").count();
    assert!(named <= 10, "{named} groups named in the legend");
    assert!(gantt.contains("more groups"), "the legend should say how many groups it leaves out");
    // 16 processors: utilisation by type, not one line per processor.
    let util = std::fs::read_to_string(out_dir.join("plots/utilisation-fifo.svg")).unwrap();
    assert!(
        util.contains("fast (mean of 8)") && util.contains("slow (mean of 8)"),
        "utilisation should aggregate by type"
    );
}

#[test]
fn plot_rejects_directories_without_records() {
    let dir = scratch("reports-empty");
    let out = coprep(&["plot", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no records found"), "{}", stderr(&out));
    // A corrupt summary names its file and line.
    let run = dir.join("fifo");
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("summary.json"), "{\n \"workload\": 3\n}").unwrap();
    std::fs::write(run.join("jobs.csv"), "").unwrap();
    std::fs::write(run.join("events.jsonl"), "").unwrap();
    let out = coprep(&["plot", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("fifo/summary.json:2"), "{}", stderr(&out));
}
