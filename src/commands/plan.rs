//! `coprep plan`: which tasks share which streams, and what sharing saves.

use super::{percent, secs};
use crate::args::{Format, PlanArgs};
use crate::inputs;
use anyhow::Result;
use coprep_traces::planner::{form_groups, prep_work, Cap, PrefixTree};
use coprep_traces::{InputError, Problem, NS_PER_S};
use serde::Serialize;

#[derive(Serialize)]
struct StreamOut {
    stage: String,
    consumers: Vec<String>,
    children: Vec<StreamOut>,
}

#[derive(Serialize)]
struct GroupOut {
    dataset: String,
    tasks: Vec<String>,
    streams: Vec<StreamOut>,
    prep_work_s: f64,
    prep_work_unshared_s: f64,
}

#[derive(Serialize)]
struct PlanOut {
    workload: String,
    cap: String,
    groups: Vec<GroupOut>,
    prep_work_s: f64,
    prep_work_unshared_s: f64,
    prep_saved_fraction: f64,
}

fn parse_cap(s: &str) -> Result<Cap, InputError> {
    match s {
        "auto" => Ok(Cap::Auto),
        "none" | "unlimited" => Ok(Cap::Unlimited),
        n => n.parse::<usize>().ok().filter(|&k| k >= 1).map(Cap::Max).ok_or_else(|| {
            InputError::field("--cap", format!("\"{s}\" is not valid; expected a whole number >= 1, auto or none"))
        }),
    }
}

fn stream(problem: &Problem, tree: &PrefixTree, node: usize) -> StreamOut {
    let n = &tree.nodes[node];
    StreamOut {
        stage: problem.stages[n.stage].key.clone(),
        consumers: n.consumers.iter().map(|&t| problem.tasks[t].id.clone()).collect(),
        children: n.children.iter().map(|&c| stream(problem, tree, c)).collect(),
    }
}

fn print_stream(s: &StreamOut, prefix: &str, last: bool, top: bool, width: usize) {
    let (branch, next) = if top {
        ("", "")
    } else if last {
        ("└─ ", "   ")
    } else {
        ("├─ ", "│  ")
    };
    let label = format!("{prefix}{branch}{}", s.stage);
    let leaf_tasks = if s.children.is_empty() { format!(": {}", s.consumers.join(" ")) } else { String::new() };
    println!(
        "  {label:<width$}  {} task{}{leaf_tasks}",
        s.consumers.len(),
        if s.consumers.len() == 1 { "" } else { "s" }
    );
    let child_prefix = format!("{prefix}{next}");
    for (i, c) in s.children.iter().enumerate() {
        print_stream(c, &child_prefix, i + 1 == s.children.len(), false, width);
    }
}

/// The widest tree label below `s` at `depth` (three columns of tree drawing per level).
fn label_width(s: &StreamOut, depth: usize) -> usize {
    let own = depth * 3 + s.stage.chars().count();
    s.children.iter().map(|c| label_width(c, depth + 1)).fold(own, usize::max)
}

pub fn run(args: PlanArgs) -> Result<()> {
    let cap = parse_cap(&args.cap)?;
    let problem = inputs::load_problem(args.workload.as_deref())?;
    let all: Vec<usize> = (0..problem.tasks.len()).collect();
    let groups = form_groups(&problem, &all, cap, problem.processors.len());
    let (shared, unshared) = prep_work(&problem, &groups);
    let out = PlanOut {
        workload: problem.name.clone(),
        cap: cap.to_string(),
        groups: groups
            .iter()
            .map(|g| {
                let tree = PrefixTree::build(&problem, g);
                let (s, u) = prep_work(&problem, std::slice::from_ref(g));
                GroupOut {
                    dataset: problem.datasets[problem.tasks[g[0]].dataset].id.clone(),
                    tasks: g.iter().map(|&t| problem.tasks[t].id.clone()).collect(),
                    streams: tree.roots.iter().map(|&r| stream(&problem, &tree, r)).collect(),
                    prep_work_s: s / NS_PER_S,
                    prep_work_unshared_s: u / NS_PER_S,
                }
            })
            .collect(),
        prep_work_s: shared / NS_PER_S,
        prep_work_unshared_s: unshared / NS_PER_S,
        prep_saved_fraction: if unshared > 0.0 { 1.0 - shared / unshared } else { 0.0 },
    };
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&out)?),
        Format::Csv => {
            let mut w = csv::Writer::from_writer(std::io::stdout());
            w.write_record([
                "group",
                "dataset",
                "task",
                "pipeline",
                "group_tasks",
                "group_prep_work_s",
                "group_prep_work_unshared_s",
            ])?;
            for (i, (g, members)) in out.groups.iter().zip(&groups).enumerate() {
                for &t in members {
                    let task = &problem.tasks[t];
                    w.write_record([
                        i.to_string(),
                        g.dataset.clone(),
                        task.id.clone(),
                        task.pipeline.clone(),
                        members.len().to_string(),
                        g.prep_work_s.to_string(),
                        g.prep_work_unshared_s.to_string(),
                    ])?;
                }
            }
            w.flush()?;
        }
        Format::Table => {
            let n = out.groups.len();
            let groups_word = if n == 1 { "group" } else { "groups" };
            println!("\"{}\": {} tasks, cap {}: {n} {groups_word}\n", out.workload, problem.tasks.len(), out.cap);
            for (i, g) in out.groups.iter().enumerate() {
                println!(
                    "group {i} on {} ({} tasks): prep {} s instead of {} s",
                    g.dataset,
                    g.tasks.len(),
                    secs(g.prep_work_s),
                    secs(g.prep_work_unshared_s)
                );
                let width = g.streams.iter().map(|s| label_width(s, 0)).max().unwrap_or(0).min(72);
                for s in &g.streams {
                    print_stream(s, "", true, true, width);
                }
                println!();
            }
            println!(
                "preprocessing work: {} s shared, {} s unshared: sharing saves {}",
                secs(out.prep_work_s),
                secs(out.prep_work_unshared_s),
                percent(out.prep_saved_fraction)
            );
            println!("(work at the cheapest processor's cost; tasks on one dataset share a stream while their pipelines agree)");
        }
    }
    Ok(())
}
