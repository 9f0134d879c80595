//! The executor's runner: the simulator's per-batch loop (`coprep_sim::per_batch::run_with`)
//! decides what runs where, with the policy, unchanged; this carries each phase out on a real
//! device and reports what it measured. One worker thread per processor (a device, or a slot
//! of one, `worker.rs`) owns the execution of its phases; channels carry jobs out and completions
//! back.
//!
//! A stream's preprocessed samples live in a ring per (group, pipeline, device) of
//! `ring_rows` rows: stream position `q` is row `q mod ring_rows`. The loop only lets a stream
//! run ahead of its slowest consumer by the buffer's capacity, so a row is never overwritten
//! before every consumer has read it (back-pressure: a full ring blocks its stream). A consumer
//! on the ring's device reads the rows in place; one on another device gets a copy.

use crate::devices_set::Device;
use crate::order::Order;
use crate::trainer::Trainer;
use crate::workload::Loaded;
use coprep_policies::GroupId;
use coprep_sim::per_batch::{Ended, Phase, PhaseOrder, Runner, Work};
use coprep_traces::Nanos;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What a task's training produced.
#[derive(Debug, Clone, Default)]
pub struct TaskOutcome {
    /// Mean loss of every step, in order.
    pub losses: Vec<f32>,
    /// Measured busy nanoseconds of every step.
    pub step_ns: Vec<f64>,
    /// The processor types its steps ran on.
    pub step_types: Vec<usize>,
    /// Held-out accuracy after its last step, and the nanoseconds measuring it took.
    pub accuracy: Option<f32>,
    pub eval_ns: f64,
    pub error: Option<String>,
}

/// A preprocessing phase as measured: what it computed and how long it took.
#[derive(Debug, Clone)]
pub struct PrepRecord {
    pub device: usize,
    pub dataset: usize,
    /// The pipelines it produced (the prefix tree of their stages was computed once).
    pub leaves: Vec<usize>,
    pub samples: u64,
    pub busy_ns: f64,
}

/// A task's model and where it lives.
pub(crate) struct Model {
    pub(crate) device: usize,
    pub(crate) trainer: Trainer,
}

/// What main and the workers share.
pub(crate) struct Shared {
    pub(crate) loaded: Loaded,
    pub(crate) devices: Vec<Device>,
    pub(crate) orders: Vec<Order>,
    /// Rings by (group, pipeline, device), each `ring_rows[dataset]` rows.
    pub(crate) rings: Mutex<BTreeMap<(GroupId, usize, usize), wgpu::Buffer>>,
    pub(crate) ring_rows: Vec<u64>,
    pub(crate) models: Mutex<BTreeMap<usize, Arc<Mutex<Option<Model>>>>>,
    pub(crate) outcomes: Mutex<Vec<TaskOutcome>>,
    /// Kernel dispatches of preprocessing, summed over every prep phase, and the spans they
    /// ran over (a phase is split where an epoch ends or its ring wraps).
    pub(crate) prep_dispatches: AtomicU64,
    pub(crate) prep_spans: AtomicU64,
}

/// Rows of stream positions `[start, end)` prepared on `device`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Home {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) device: usize,
}

pub(crate) enum Job {
    Prep { phase: Phase, group: GroupId, dataset: usize, leaves: Vec<usize>, readers: Vec<usize> },
    Step { phase: Phase, task: usize, group: GroupId, homes: Vec<Home> },
    Quit,
}

pub(crate) struct Done {
    pub(crate) ended: Ended,
    /// For a step: the task and its loss.
    pub(crate) loss: Option<(usize, f32)>,
}

/// Measures handed to the caller as steps finish (task, steps done, loss).
pub type ProgressHook = Box<dyn FnMut(usize, u64, f32)>;

pub struct DeviceRunner {
    shared: Arc<Shared>,
    /// Device of each processor.
    proc_device: Vec<usize>,
    senders: Vec<Sender<Job>>,
    done: Receiver<Done>,
    workers: Vec<JoinHandle<()>>,
    /// Per stream, where its recent positions were prepared, by first position (only those
    /// not yet overwritten in the ring can still be read).
    homes: BTreeMap<GroupId, BTreeMap<u64, Home>>,
    start: Instant,
    in_flight: usize,
    stop: Arc<AtomicBool>,
    progress: Option<ProgressHook>,
    steps_seen: Vec<u64>,
    /// Prep phases in flight by (group, position), and those that ended.
    prep_in_flight: BTreeMap<(GroupId, u64), PrepRecord>,
    pub prep_log: Vec<PrepRecord>,
}

impl DeviceRunner {
    /// Starts a worker per processor; `proc_device[p]` is the device processor `p` runs on.
    pub fn new(loaded: Loaded, devices: Vec<Device>, proc_device: Vec<usize>, stop: Arc<AtomicBool>) -> Self {
        let ring_rows = (0..loaded.data.len())
            .map(|d| {
                let largest = loaded.tasks.iter().filter(|t| t.dataset == d).map(|t| t.batch_size).max().unwrap_or(1);
                loaded.spec.buffer_batches as u64 * largest as u64
            })
            .collect();
        let orders = loaded.data.iter().map(|d| Order::new(d.train.len(), d.shuffle_seed)).collect();
        let tasks = loaded.tasks.len();
        let shared = Arc::new(Shared {
            loaded,
            devices,
            orders,
            rings: Mutex::new(BTreeMap::new()),
            ring_rows,
            models: Mutex::new(BTreeMap::new()),
            outcomes: Mutex::new(vec![TaskOutcome::default(); tasks]),
            prep_dispatches: AtomicU64::new(0),
            prep_spans: AtomicU64::new(0),
        });
        let (done_tx, done) = channel();
        let mut senders = Vec::new();
        let mut workers = Vec::new();
        for (p, &device) in proc_device.iter().enumerate() {
            let (tx, rx) = channel();
            let shared = shared.clone();
            let done_tx = done_tx.clone();
            workers.push(
                std::thread::Builder::new()
                    .name(format!("coprep-proc-{p}"))
                    .spawn(move || crate::worker::work(shared, device, rx, done_tx))
                    .expect("spawning a worker thread"),
            );
            senders.push(tx);
        }
        DeviceRunner {
            shared,
            proc_device,
            senders,
            done,
            workers,
            homes: BTreeMap::new(),
            start: Instant::now(),
            in_flight: 0,
            stop,
            progress: None,
            steps_seen: vec![0; tasks],
            prep_in_flight: BTreeMap::new(),
            prep_log: Vec::new(),
        }
    }

    pub fn on_progress(&mut self, hook: ProgressHook) {
        self.progress = Some(hook);
    }

    /// Restarts the clock: call right before the run.
    pub fn reset_clock(&mut self) {
        self.start = Instant::now();
    }

    fn now(&self) -> Nanos {
        self.start.elapsed().as_nanos() as Nanos
    }

    /// Stops the workers and returns what every task produced and the prep dispatch and span
    /// counts.
    pub fn finish(&mut self) -> (Vec<TaskOutcome>, u64, u64) {
        for s in &self.senders {
            let _ = s.send(Job::Quit);
        }
        for w in self.workers.drain(..) {
            let _ = w.join();
        }
        let outcomes = self.shared.outcomes.lock().expect("outcomes").clone();
        let counter = |c: &AtomicU64| c.load(Ordering::Relaxed);
        (outcomes, counter(&self.shared.prep_dispatches), counter(&self.shared.prep_spans))
    }

    fn receive(&mut self, done: Done) -> Ended {
        self.in_flight -= 1;
        if let Work::Prep(g) = done.ended.phase.work {
            if let Some(mut record) = self.prep_in_flight.remove(&(g, done.ended.phase.position)) {
                record.busy_ns = done.ended.busy_ns;
                self.prep_log.push(record);
            }
        }
        let mut outcomes = self.shared.outcomes.lock().expect("outcomes");
        for (t, e) in &done.ended.failures {
            let what = if matches!(done.ended.phase.work, Work::Prep(_)) { "preprocessing: " } else { "" };
            outcomes[*t].error.get_or_insert_with(|| format!("{what}{e}"));
        }
        drop(outcomes);
        if let Some((task, loss)) = done.loss {
            self.steps_seen[task] += 1;
            if let Some(hook) = self.progress.as_mut() {
                hook(task, self.steps_seen[task], loss);
            }
        }
        done.ended
    }
}

impl Drop for DeviceRunner {
    fn drop(&mut self) {
        self.finish();
    }
}

impl Runner for DeviceRunner {
    fn start(&mut self, order: PhaseOrder, _now: Nanos) {
        let phase = order.phase;
        let device = self.proc_device[phase.proc];
        let job = match phase.work {
            Work::Prep(group) => {
                let tasks = &self.shared.loaded.tasks;
                let mut leaves: Vec<usize> = order.readers.iter().map(|&t| tasks[t].pipeline).collect();
                leaves.sort_unstable();
                leaves.dedup();
                let dataset = tasks[order.readers[0]].dataset;
                let homes = self.homes.entry(group).or_default();
                homes
                    .insert(phase.position, Home { start: phase.position, end: phase.position + phase.amount, device });
                let ring_rows = self.shared.ring_rows[dataset];
                while let Some((&first, h)) = homes.first_key_value() {
                    if h.end + ring_rows > phase.position {
                        break;
                    }
                    homes.remove(&first);
                }
                let record =
                    PrepRecord { device, dataset, leaves: leaves.clone(), samples: phase.amount, busy_ns: 0.0 };
                self.prep_in_flight.insert((group, phase.position), record);
                Job::Prep { phase, group, dataset, leaves, readers: order.readers }
            }
            Work::Compute(task) => {
                let end = phase.position + phase.amount;
                let group = order.group;
                // Prepared ranges do not overlap: those that start before the batch ends, back to
                // the first that ends before it starts.
                let homes = self
                    .homes
                    .get(&group)
                    .map(|hs| hs.range(..end).rev().map(|(_, h)| *h).take_while(|h| h.end > phase.position).collect())
                    .unwrap_or_default();
                Job::Step { phase, task, group, homes }
            }
        };
        self.in_flight += 1;
        self.senders[phase.proc].send(job).expect("workers live as long as the runner");
    }

    fn advance(&mut self, until: Option<Nanos>) -> (Nanos, Vec<Ended>) {
        let mut ended = Vec::new();
        loop {
            let now = self.now();
            if until.is_some_and(|u| now >= u) || (self.in_flight == 0 && until.is_none()) {
                break;
            }
            // Wake up now and then to notice a stop request.
            let wait = until.map_or(100_000_000, |u| (u - now).min(100_000_000));
            match self.done.recv_timeout(Duration::from_nanos(wait)) {
                Ok(done) => {
                    ended.push(self.receive(done));
                    while let Ok(more) = self.done.try_recv() {
                        ended.push(self.receive(more));
                    }
                    break;
                }
                Err(RecvTimeoutError::Timeout) => continue,
                Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        (self.now(), ended)
    }

    fn stop_requested(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn stream_closed(&mut self, group: GroupId) {
        self.homes.remove(&group);
        self.shared.rings.lock().expect("rings").retain(|&(g, _, _), _| g != group);
    }
}
