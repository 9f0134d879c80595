//! Small cases worked out by hand.

use coprep_policies::parse_policy;
use coprep_sim::{simulate, Engine, RunOptions, RunRecords};
use coprep_traces::io::problem_from_str;
use coprep_traces::planner::{form_groups, prep_work, Cap};
use coprep_traces::{synth, Problem};

/// `tasks` copies of: 10 steps of 2 samples, 1 s per step, through one stage of 0.5 s per
/// sample, on `processors` processors.
fn tiny(tasks: usize, processors: u32) -> Problem {
    let list: Vec<String> = (0..tasks)
        .map(|i| {
            format!(
                r#"{{"id":"t{i}","dataset":"d","pipeline":"p","batch_size":2,"steps":10,"compute_s":{{"cpu":1.0}}}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"name":"tiny","datasets":[{{"id":"d"}}],
        "pipelines":[{{"id":"p","stages":[{{"op":"decode","cost_s":{{"cpu":0.5}}}}]}}],
        "tasks":[{}],
        "cluster":{{"processors":[{{"name":"c","type":"cpu","count":{processors}}}],"buffer_batches":2}}}}"#,
        list.join(",")
    );
    problem_from_str(&text).expect("valid").1
}

fn run(problem: &Problem, policy: &str, engine: Engine) -> RunRecords {
    let mut p = parse_policy(policy).expect("spec");
    simulate(problem, p.as_mut(), &RunOptions { engine, ..RunOptions::default() }).expect("runs")
}

#[test]
fn one_task_alone() {
    // Each step: 2 samples x 0.5 s of preprocessing, then 1 s of compute: 2 s; 10 steps: 20 s.
    // The bound is the same: 10 s of compute plus 10 s of preprocessing on one processor.
    let p = tiny(1, 1);
    for engine in [Engine::Analytic, Engine::PerBatch] {
        let s = run(&p, "fifo", engine).summary;
        assert!((s.makespan_s - 20.0).abs() < 1e-6, "{}: {}", engine.name(), s.makespan_s);
        assert!((s.lower_bound_s - 20.0).abs() < 1e-9);
        assert!((s.prep_work_s - 10.0).abs() < 1e-6);
    }
}

#[test]
fn two_tasks_sharing_one_processor() {
    // fifo: one after the other, 20 s each: 40 s, 20 s of preprocessing.
    // Shared: per batch 1 s of preprocessing once, then 1 s of compute for each task: 3 s per
    // step, 30 s, 10 s of preprocessing (half saved). Bound: 20 s compute + 10 s prep = 30 s.
    let p = tiny(2, 1);
    for engine in [Engine::Analytic, Engine::PerBatch] {
        let fifo = run(&p, "fifo", engine).summary;
        assert!((fifo.makespan_s - 40.0).abs() < 1e-6, "{}: {}", engine.name(), fifo.makespan_s);
        assert!((fifo.prep_work_s - 20.0).abs() < 1e-6);
        let shared = run(&p, "min-makespan", engine).summary;
        assert!((shared.makespan_s - 30.0).abs() < 1e-6, "{}: {}", engine.name(), shared.makespan_s);
        assert!((shared.lower_bound_s - 30.0).abs() < 1e-9);
        assert!((shared.prep_saved_fraction - 0.5).abs() < 1e-9);
        // Mean JCT without sharing: 20 s and 40 s. With sharing the analytic engine finishes
        // both at 30 s; the per-batch engine runs the last batch's steps one after the other
        // (29 s and 30 s).
        assert!((fifo.mean_jct_s - 30.0).abs() < 1e-6);
        let expected = if engine == Engine::Analytic { 30.0 } else { 29.5 };
        assert!((shared.mean_jct_s - expected).abs() < 1e-6, "{}: {}", engine.name(), shared.mean_jct_s);
    }
}

#[test]
fn two_tasks_sharing_two_processors() {
    // Shared over two processors, a consumer on each, preprocessing split evenly: each
    // processor per batch does 0.5 s of preprocessing and 1 s of compute: 15 s.
    // The bound: (20 s compute + 10 s prep) / 2 = 15 s.
    let p = tiny(2, 2);
    let s = run(&p, "min-makespan", Engine::Analytic).summary;
    assert!((s.makespan_s - 15.0).abs() < 1e-6, "{}", s.makespan_s);
    assert!((s.lower_bound_s - 15.0).abs() < 1e-9);
    // Without sharing each task has a processor: 20 s.
    assert!((run(&p, "fifo", Engine::Analytic).summary.makespan_s - 20.0).abs() < 1e-6);
}

#[test]
fn default_workload_savings_by_hand() {
    // Shared tree per sample: decode 3e-4 + crop 1e-4 + flip 5e-5 + normalize 1e-4
    // + jitter 1e-4 + normalize 1e-4 = 7.5e-4 s, for the longest task's 2400 x 256 samples:
    // 460.8 s. Unshared: 8800 x 256 samples at 5.5e-4 s and 8400 x 256 at 6.5e-4 s: 2636.8 s.
    let (_, p) = synth::default_problem();
    let all: Vec<usize> = (0..p.tasks.len()).collect();
    let (shared, unshared) = prep_work(&p, &form_groups(&p, &all, Cap::Unlimited, 4));
    assert!((shared / 1e9 - 460.8).abs() < 1e-6, "{}", shared / 1e9);
    assert!((unshared / 1e9 - 2636.8).abs() < 1e-6, "{}", unshared / 1e9);
}

/// Three 10-step tasks of 1 s estimated steps, no preprocessing, on 2 processors; task A's
/// steps really take 3 s; moving costs 2 s.
fn misestimated() -> Problem {
    let text = r#"{"name":"misestimated","datasets":[{"id":"d"}],
        "pipelines":[{"id":"none","stages":[]}],
        "tasks":[
          {"id":"A","dataset":"d","pipeline":"none","batch_size":1,"steps":10,"compute_s":{"gpu":1.0}},
          {"id":"B","dataset":"d","pipeline":"none","batch_size":1,"steps":10,"compute_s":{"gpu":1.0}},
          {"id":"C","dataset":"d","pipeline":"none","batch_size":1,"steps":10,"compute_s":{"gpu":1.0}}],
        "cluster":{"processors":[{"name":"g","type":"gpu","count":2}],"buffer_batches":2,"migration_s":2.0},
        "actuals":{"compute":{"A":3.0}}}"#;
    problem_from_str(text).expect("valid").1
}

#[test]
fn reestimate_moves_work_when_a_task_runs_slow() {
    // lpt puts A and C on g0 (estimated 20 s) and B on g1 (10 s). Really, A needs 30 s: g0
    // time-shares A and C until C ends at 20 s, A ends at 40 s.
    let p = misestimated();
    let lpt = run(&p, "lpt", Engine::Analytic);
    assert!((lpt.summary.makespan_s - 40.0).abs() < 1e-6, "{}", lpt.summary.makespan_s);
    // With re-estimation: A reports its first step at 6 s (3 s of work at half speed), the
    // factor 3 exceeds the threshold, and g0 is predicted to need 27 + 7 = 34 s more against
    // g1's 4 s. Moving C (7 s left) to g1 leaves at most 27 s, worth the 2 s move. A then runs
    // alone: 6 + 27 = 33 s. C resumes on g1 at 8 s beside B (2 s left): B ends at 12 s, C at 17 s.
    let re = run(&p, "reestimate[base=lpt]", Engine::Analytic);
    assert!((re.summary.makespan_s - 33.0).abs() < 1e-6, "{}", re.summary.makespan_s);
    assert_eq!(re.summary.reassignments, 1);
    let c = re.jobs.iter().find(|j| j.job_id == "C").unwrap();
    assert_eq!((c.moves, c.allocated_resources.as_str()), (1, "1"));
    assert!((c.finish_time - 17.0).abs() < 1e-6, "{}", c.finish_time);
    let b = re.jobs.iter().find(|j| j.job_id == "B").unwrap();
    assert!((b.finish_time - 12.0).abs() < 1e-6, "{}", b.finish_time);
}

#[test]
fn millions_of_steps_cost_a_handful_of_events() {
    // The Gavel trace has jobs of 15 million steps: the analytic engine must not pay per step.
    let text = r#"{"name":"long","datasets":[{"id":"d"}],
        "pipelines":[{"id":"p","stages":[{"op":"decode","cost_s":{"gpu":1e-5}}]}],
        "tasks":[{"id":"long","dataset":"d","pipeline":"p","batch_size":64,"steps":15000000,"compute_s":{"gpu":0.1}},
                 {"id":"short","dataset":"d","pipeline":"p","batch_size":64,"steps":1000,"compute_s":{"gpu":0.1},"arrival_s":5}],
        "cluster":{"processors":[{"name":"g","type":"gpu","count":2}],"buffer_batches":4}}"#;
    let p = problem_from_str(text).expect("valid").1;
    for policy in ["fifo", "min-makespan", "reestimate[base=min-idle]"] {
        let s = run(&p, policy, Engine::Analytic).summary;
        assert!(s.engine_events < 30, "{policy}: {} events", s.engine_events);
        // Never below its compute chain (15M steps of 0.1 s); alone with its own preprocessing
        // on one processor (fifo) it takes 64 x 1e-5 s more per step. Spreading the
        // preprocessing over the idle second processor recovers nearly all of that.
        assert!(s.makespan_s >= 15e6 * 0.1 * (1.0 - 1e-12), "{policy}: {}", s.makespan_s);
        let alone = 15e6 * (0.1 + 64.0 * 1e-5);
        if policy == "fifo" {
            assert!((s.makespan_s - alone).abs() < 1e-3 * alone, "{policy}: {}", s.makespan_s);
        } else {
            assert!(s.makespan_s < 15e6 * 0.1 * 1.001, "{policy}: {}", s.makespan_s);
        }
    }
}

#[test]
fn a_long_task_waits_for_a_fast_processor() {
    // A fast GPU (1 s per step) and a slow one (10 s), one task each. B (10 steps) arrives at
    // 0 s and takes the fast GPU until 10 s. A (100 steps) arrives at 1 s: now it could start on
    // the slow GPU and end at 1 + 1000 s; waiting for the fast one ends at 10 + 100 = 110 s.
    let text = r#"{"name":"wait","datasets":[{"id":"d"}],
        "pipelines":[{"id":"none","stages":[]}],
        "tasks":[
          {"id":"B","dataset":"d","pipeline":"none","batch_size":1,"steps":10,"compute_s":{"fast":1.0,"slow":10.0},"memory_gb":1},
          {"id":"A","dataset":"d","pipeline":"none","batch_size":1,"steps":100,"compute_s":{"fast":1.0,"slow":10.0},"memory_gb":1,"arrival_s":1}],
        "cluster":{"processors":[{"name":"fast","type":"fast","memory_gb":1},{"name":"slow","type":"slow","memory_gb":1}],"buffer_batches":2}}"#;
    let p = problem_from_str(text).expect("valid").1;
    for policy in ["lpt", "min-makespan", "min-idle"] {
        let s = run(&p, policy, Engine::Analytic).summary;
        assert!((s.makespan_s - 110.0).abs() < 1e-6, "{policy}: {}", s.makespan_s);
    }
    // fifo takes the first free processor: A runs on the slow GPU.
    assert!((run(&p, "fifo", Engine::Analytic).summary.makespan_s - 1001.0).abs() < 1e-6);
}

#[test]
fn reestimate_respreads_preprocessing_on_corrected_estimates() {
    // The default sweep places everything at time 0 on estimates; with noise, its stream's
    // split over the GPUs is wrong until a task ends. Re-estimation re-spreads it from the
    // first reports, and over five seeds gets most of the way to a clairvoyant run.
    let mean = |policy: &str, clairvoyant: bool| -> f64 {
        let total: f64 = (0..5)
            .map(|seed| {
                let (_, mut p) = synth::default_problem();
                coprep_traces::actuals::apply_noise(&mut p, 0.5, seed).unwrap();
                if clairvoyant {
                    coprep_traces::actuals::make_clairvoyant(&mut p);
                }
                run(&p, policy, Engine::Analytic).summary.makespan_s
            })
            .sum();
        total / 5.0
    };
    let (base, re, seer) = (mean("min-idle", false), mean("reestimate[base=min-idle]", false), mean("min-idle", true));
    assert!(re < 0.95 * base, "reestimate {re:.1} vs min-idle {base:.1}");
    assert!(re < 1.08 * seer, "reestimate {re:.1} vs clairvoyant {seer:.1}");
}

#[test]
fn a_gang_gets_processors_no_unrelated_task_slows() {
    // Three processors; a 2-processor gang G and two single tasks, 10 steps of 1 s each, all at
    // 0 s. LPT takes G first (onto p0 and p1), then S1 (p2). S2 finds every processor at load
    // 10 s and, allowed anywhere, joins p0: G then advances at half speed on p0 while p1 waits
    // for it (10 s of stall), and G ends at 20 s. Kept apart, S2 joins S1 on p2 (neither
    // depends on another processor): G ends at 10 s, S1 and S2 at 20 s, and nothing stalls.
    let text = r#"{"name":"gang","datasets":[{"id":"d"}],
        "pipelines":[{"id":"none","stages":[]}],
        "tasks":[
          {"id":"G","dataset":"d","pipeline":"none","batch_size":1,"steps":10,"processors":2,"compute_s":{"gpu":1.0}},
          {"id":"S1","dataset":"d","pipeline":"none","batch_size":1,"steps":10,"compute_s":{"gpu":1.0}},
          {"id":"S2","dataset":"d","pipeline":"none","batch_size":1,"steps":10,"compute_s":{"gpu":1.0}}],
        "cluster":{"processors":[{"name":"g","type":"gpu","count":3}],"buffer_batches":2}}"#;
    let p = problem_from_str(text).expect("valid").1;
    let finish = |r: &RunRecords, id: &str| r.jobs.iter().find(|j| j.job_id == id).expect("ran").finish_time;
    for engine in [Engine::Analytic, Engine::PerBatch] {
        for policy in ["lpt", "min-makespan[cap=1]"] {
            let apart = run(&p, policy, engine);
            assert!((finish(&apart, "G") - 10.0).abs() < 1e-6, "{policy}: G ends at {}", finish(&apart, "G"));
            assert!((apart.summary.makespan_s - 20.0).abs() < 1e-6, "{policy}: {}", apart.summary.makespan_s);
            assert!(apart.summary.stall_s < 1e-6, "{policy}: stall {}", apart.summary.stall_s);
        }
        // The per-batch engine runs whole steps, so there G's last step runs alone: 19 s.
        let slack = if engine == Engine::PerBatch { 1.0 } else { 0.0 } + 1e-6;
        let any = run(&p, "lpt[colocate=any]", engine);
        assert!((finish(&any, "G") - 20.0).abs() < slack, "G ends at {}", finish(&any, "G"));
        assert!((any.summary.stall_s - 10.0).abs() < slack, "stall {}", any.summary.stall_s);
    }
}

/// `tasks` copies of a 1-step task needing 10 GB, on `processors` processors of 10 GB each.
fn memory_bound(tasks: usize, processors: u32) -> Problem {
    let list: Vec<String> = (0..tasks)
        .map(|i| {
            format!(
                r#"{{"id":"t{i}","dataset":"d{i}","pipeline":"p","batch_size":1,"steps":1,"compute_s":{{"gpu":1.0}},"memory_gb":10}}"#
            )
        })
        .collect();
    let text = format!(
        r#"{{"name":"full","datasets":[{}],
        "pipelines":[{{"id":"p","stages":[{{"op":"decode","cost_s":{{"gpu":0.1}}}}]}}],
        "tasks":[{}],
        "cluster":{{"processors":[{{"name":"g","type":"gpu","count":{processors},"memory_gb":10}}],"buffer_batches":2}}}}"#,
        (0..tasks).map(|i| format!(r#"{{"id":"d{i}"}}"#)).collect::<Vec<_>>().join(","),
        list.join(",")
    );
    problem_from_str(&text).expect("valid").1
}

#[test]
fn an_arrival_beyond_the_planning_window_plans_nothing() {
    use coprep_policies::placement::arrival_beyond_window;
    use coprep_policies::{ClusterState, Colocate, Event, View};
    // 2 processors, one task running on each, so no memory is free and no processor is open:
    // the window is its floor, 16 tasks, and beyond it the queue claims more than the 0 GB free.
    let problem = memory_bound(40, 2);
    let mut state = ClusterState::new(&problem);
    for (task, proc) in [(0, 0), (1, 1)] {
        state.arrive(&problem, task);
        state.start(&problem, task, &[proc], task as u64, 0).expect("fits");
    }
    let beyond = |state: &ClusterState, task: usize, colocate| {
        arrival_beyond_window(&Event::TaskArrived { task }, &View::new(&problem, state, 0), colocate)
    };
    for task in 2..40 {
        state.arrive(&problem, task);
        // Pending tasks 0..=15 (tasks 2..=17) are the window; from the 17th on, each is beyond.
        assert_eq!(beyond(&state, task, Colocate::Stream), task >= 18, "task {task}");
    }
    // With anything sharing, every processor counts as open: the window is max(16, 4 x 2).
    assert!(!beyond(&state, 17, Colocate::Any) && beyond(&state, 18, Colocate::Any));
    // A task within the window stays in it however many arrive after it.
    assert!(!beyond(&state, 5, Colocate::Stream));
    // A processor freed is open, 4 x 1 < 16, and its 10 GB hold only the first pending task:
    // the window is unchanged.
    state.finish(&problem, 1, 1);
    assert!(!beyond(&state, 17, Colocate::Stream) && beyond(&state, 18, Colocate::Stream));
    // Other events are never skipped for it.
    let view = View::new(&problem, &state, 1);
    assert!(!arrival_beyond_window(&Event::TaskFinished { task: 1 }, &view, Colocate::Stream));
}

#[test]
fn a_finish_that_frees_room_no_waiting_task_can_take_plans_nothing() {
    use coprep_policies::placement::finish_frees_no_room;
    use coprep_policies::{ClusterState, Colocate, Event, View};
    // Two processors of 30 GB. p0 holds A and B, each alone on its stream (self-contained); p1
    // holds R1, R2 and R3, readers of one stream of dataset r. G, a gang of two, waits.
    let task = |id: &str, dataset: &str, memory: u32, gang: u32| {
        format!(
            r#"{{"id":"{id}","dataset":"{dataset}","pipeline":"p","batch_size":1,"steps":10,"compute_s":{{"gpu":1.0}},"memory_gb":{memory},"processors":{gang}}}"#
        )
    };
    let tasks = [
        task("A", "a", 10, 1),
        task("B", "b", 10, 1),
        task("R1", "r", 8, 1),
        task("R2", "r", 8, 1),
        task("R3", "r", 8, 1),
        task("G", "g", 10, 2),
        task("S", "s", 15, 1),
        task("T", "r", 5, 1),
    ];
    let text = format!(
        r#"{{"name":"room","datasets":[{{"id":"a"}},{{"id":"b"}},{{"id":"r"}},{{"id":"g"}},{{"id":"s"}}],
        "pipelines":[{{"id":"p","stages":[{{"op":"decode","cost_s":{{"gpu":0.1}}}}]}}],
        "tasks":[{}],
        "cluster":{{"processors":[{{"name":"g","type":"gpu","count":2,"memory_gb":30}}],"buffer_batches":2}}}}"#,
        tasks.join(",")
    );
    let problem = problem_from_str(&text).expect("valid").1;
    let [a, b, r1, _, _, g, s, t] = std::array::from_fn(|i| i);
    let mut state = ClusterState::new(&problem);
    for (task, proc, group) in [(0, 0, 0), (1, 0, 1), (2, 1, 2), (3, 1, 2), (4, 1, 2)] {
        state.arrive(&problem, task);
        state.start(&problem, task, &[proc], group, 0).expect("fits");
    }
    state.arrive(&problem, g);
    let no_room = |state: &ClusterState, task: usize, colocate| {
        finish_frees_no_room(&Event::TaskFinished { task }, &View::new(&problem, state, 1), colocate)
    };
    // A ends: p0 still holds B and has 20 GB free, but only a task alone may go there, and G
    // is a gang.
    state.finish(&problem, a, 1);
    assert!(no_room(&state, a, Colocate::Stream));
    // Where anything may share a processor, the room is not worked out: it plans.
    assert!(!no_room(&state, a, Colocate::Any));
    // S, alone and 15 GB, fits where A was.
    state.arrive(&problem, s);
    assert!(!no_room(&state, a, Colocate::Stream));
    // R1 ends: p1 still serves the stream of r, with 14 GB free, which neither G nor S may join.
    state.finish(&problem, r1, 1);
    assert!(no_room(&state, r1, Colocate::Stream));
    // T reads r and needs 5 GB: it may join the stream where R1 was.
    state.arrive(&problem, t);
    assert!(!no_room(&state, r1, Colocate::Stream));
    // B ends and leaves p0 empty, open to new streams: S (or T) may start there.
    state.finish(&problem, b, 1);
    assert!(!no_room(&state, b, Colocate::Stream));
    // Arrivals are never skipped for it.
    assert!(!finish_frees_no_room(&Event::TaskArrived { task: t }, &View::new(&problem, &state, 1), Colocate::Stream));

    // Again with only G waiting: A ends and leaves p0 empty, but one open processor cannot take a
    // gang of two, so nothing could start on a new stream there.
    let mut state = ClusterState::new(&problem);
    for (task, proc, group) in [(0, 0, 0), (2, 1, 2), (3, 1, 2), (4, 1, 2)] {
        state.arrive(&problem, task);
        state.start(&problem, task, &[proc], group, 0).expect("fits");
    }
    state.arrive(&problem, g);
    state.finish(&problem, a, 1);
    assert!(no_room(&state, a, Colocate::Stream));
    // S, alone, could start on it.
    state.arrive(&problem, s);
    assert!(!no_room(&state, a, Colocate::Stream));
}
