//! The executor's runner: the simulator's per-batch loop (`coprep_sim::per_batch::run_with`)
//! decides what runs where, with the policy, unchanged; this carries each phase out on a real
//! device and reports what it measured. One worker thread per processor (a device, or a slot
//! of one) owns the execution of its phases; channels carry jobs out and completions back.
//!
//! A stream's preprocessed samples live in a ring per (group, pipeline, device) of
//! `ring_rows` rows: stream position `q` is row `q mod ring_rows`. The loop only lets a stream
//! run ahead of its slowest consumer by the buffer's capacity, so a row is never overwritten
//! before every consumer has read it (back-pressure: a full ring blocks its stream). A consumer
//! on the ring's device reads the rows in place; one on another device gets a copy.

use crate::devices_set::Device;
use crate::order::Order;
use crate::prep::{record_span, spans, Pipeline, Shape, SpanInput};
use crate::trainer::{Rows, Trainer};
use crate::workload::{Loaded, TaskPlan};
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
    /// Held-out accuracy after its last step.
    pub accuracy: Option<f32>,
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
    /// The tasks that read these samples.
    pub readers: Vec<usize>,
}

/// A task's model and where it lives.
struct Model {
    device: usize,
    trainer: Trainer,
}

/// What main and the workers share.
struct Shared {
    loaded: Loaded,
    devices: Vec<Device>,
    orders: Vec<Order>,
    /// Rings by (group, pipeline, device), each `ring_rows[dataset]` rows.
    rings: Mutex<BTreeMap<(GroupId, usize, usize), wgpu::Buffer>>,
    ring_rows: Vec<u64>,
    models: Mutex<BTreeMap<usize, Arc<Mutex<Option<Model>>>>>,
    outcomes: Mutex<Vec<TaskOutcome>>,
    /// Kernel dispatches of preprocessing, summed over every prep phase, and the spans they
    /// ran over (a phase is split where an epoch ends or its ring wraps).
    prep_dispatches: AtomicU64,
    prep_spans: AtomicU64,
}

/// Rows of stream positions `[start, end)` prepared on `device`.
#[derive(Debug, Clone, Copy)]
struct Home {
    start: u64,
    end: u64,
    device: usize,
}

enum Job {
    Prep { phase: Phase, group: GroupId, dataset: usize, leaves: Vec<usize>, readers: Vec<usize> },
    Step { phase: Phase, task: usize, group: GroupId, homes: Vec<Home> },
    Quit,
}

struct Done {
    ended: Ended,
    /// For a step: the task and its loss.
    loss: Option<(usize, f32)>,
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
                    .spawn(move || worker(shared, device, rx, done_tx))
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
                let record = PrepRecord {
                    device,
                    dataset,
                    leaves: leaves.clone(),
                    samples: phase.amount,
                    busy_ns: 0.0,
                    readers: order.readers.clone(),
                };
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

fn worker(shared: Arc<Shared>, device: usize, jobs: Receiver<Job>, done: Sender<Done>) {
    while let Ok(job) = jobs.recv() {
        let began = Instant::now();
        let (phase, failures, loss, busy_ns) = match job {
            Job::Quit => return,
            Job::Prep { phase, group, dataset, leaves, readers } => {
                let failed = match run_prep(&shared, device, phase, group, dataset, &leaves) {
                    Ok(failed) => failed,
                    Err(e) => leaves.iter().map(|&l| (l, e.clone())).collect(),
                };
                // The consumers of a pipeline that could not be computed fail; the rest go on.
                let tasks = &shared.loaded.tasks;
                let failures = readers
                    .iter()
                    .filter_map(|&t| failed.iter().find(|(l, _)| *l == tasks[t].pipeline).map(|(_, e)| (t, e.clone())))
                    .collect();
                (phase, failures, None, began.elapsed().as_nanos() as f64)
            }
            Job::Step { phase, task, group, homes } => {
                match run_step(&shared, device, phase, task, group, &homes, began) {
                    // A step reports its own time: it leaves out the held-out evaluation after the last.
                    Ok((loss, ns)) => (phase, Vec::new(), Some((task, loss)), ns),
                    Err(e) => (phase, vec![(task, e)], None, began.elapsed().as_nanos() as f64),
                }
            }
        };
        if done.send(Done { ended: Ended { phase, busy_ns, failures }, loss }).is_err() {
            return;
        }
    }
}

fn ring(shared: &Shared, key: (GroupId, usize, usize), dataset: usize) -> Result<wgpu::Buffer, String> {
    let mut rings = shared.rings.lock().expect("rings");
    if let Some(r) = rings.get(&key) {
        return Ok(r.clone());
    }
    let floats = shared.loaded.data[dataset].train.image_bytes() as u64;
    let gpu = &shared.devices[key.2].gpu;
    let buffer = gpu.output("stream ring", shared.ring_rows[dataset] * floats * 4).map_err(|e| e.to_string())?;
    rings.insert(key, buffer.clone());
    Ok(buffer)
}

fn shape_of(shared: &Shared, dataset: usize) -> Shape {
    let set = &shared.loaded.data[dataset].train;
    Shape { h: set.height, w: set.width, c: set.channels }
}

/// Preprocesses stream positions `[phase.position, + phase.amount)` for every pipeline in
/// `leaves` into their rings on this device; returns the pipelines that could not be computed.
fn run_prep(
    shared: &Shared,
    device: usize,
    phase: Phase,
    group: GroupId,
    dataset: usize,
    leaves: &[usize],
) -> Result<Vec<(usize, String)>, String> {
    let dev = &shared.devices[device];
    let gpu = &dev.gpu;
    let shape = shape_of(shared, dataset);
    let row_bytes = shape.floats() as u64 * 4;
    let rows = shared.ring_rows[dataset];
    let pipelines: Vec<&Pipeline> = leaves.iter().map(|&p| &shared.loaded.pipelines[p]).collect();
    let rings: Vec<wgpu::Buffer> =
        leaves.iter().map(|&p| ring(shared, (group, p, device), dataset)).collect::<Result<_, _>>()?;
    let order = &shared.orders[dataset];
    let mut encoder = gpu.encoder("prep");
    let mut dispatches = 0;
    let mut failed: Vec<(usize, String)> = Vec::new();
    for span in spans(phase.position, phase.amount, order.epoch_len(), rows) {
        let images = order.images(span.position, span.rows);
        let indices = gpu.upload("batch indices", bytemuck::cast_slice(&images)).map_err(|e| e.to_string())?;
        let input = SpanInput { pixels: &dev.pixels[dataset], indices: &indices, shape, span };
        let recorded = record_span(gpu, &dev.prep, &mut encoder, &input, &pipelines);
        shared.prep_spans.fetch_add(1, Ordering::Relaxed);
        dispatches += recorded.dispatches;
        let at = (span.position % rows) * row_bytes;
        for ((out, ring), &leaf) in recorded.outputs.into_iter().zip(&rings).zip(leaves) {
            match out {
                Ok(out) => encoder.copy_buffer_to_buffer(&out, 0, ring, at, span.rows as u64 * row_bytes),
                Err(e) if !failed.iter().any(|(l, _)| *l == leaf) => failed.push((leaf, e.to_string())),
                Err(_) => {}
            }
        }
    }
    let submission = gpu.queue.submit([encoder.finish()]);
    gpu.wait_for(submission).map_err(|e| e.to_string())?;
    shared.prep_dispatches.fetch_add(dispatches, Ordering::Relaxed);
    Ok(failed)
}

/// One training step of `task` on this device; returns its loss and busy ns.
fn run_step(
    shared: &Shared,
    device: usize,
    phase: Phase,
    task: usize,
    group: GroupId,
    homes: &[Home],
    began: Instant,
) -> Result<(f32, f64), String> {
    let plan: &TaskPlan = &shared.loaded.tasks[task];
    let dev = &shared.devices[device];
    let gpu = &dev.gpu;
    let data = &shared.loaded.data[plan.dataset];
    let row_bytes = data.train.image_bytes() as u64 * 4;
    let rows = shared.ring_rows[plan.dataset];
    let err = |e: crate::GpuError| e.to_string();

    let slot = shared.models.lock().expect("models").entry(task).or_default().clone();
    let mut model = slot.lock().expect("model");
    match model.as_mut() {
        None => {
            let trainer = Trainer::new(gpu, &plan.widths, plan.seed, plan.batch_size, plan.micro_batch).map_err(err)?;
            *model = Some(Model { device, trainer });
        }
        Some(m) if m.device != device => {
            // Moved to another device: its weights and momentum go with it.
            let state = m.trainer.download(&shared.devices[m.device].gpu).map_err(err)?;
            let mut trainer =
                Trainer::new(gpu, &plan.widths, plan.seed, plan.batch_size, plan.micro_batch).map_err(err)?;
            trainer.upload_state(gpu, &state);
            *model = Some(Model { device, trainer });
        }
        Some(_) => {}
    }
    let model = model.as_mut().expect("created above");

    // The batch: read in place from the rings on this device; rows prepared on another device
    // are read back and uploaded.
    let (first, end) = (phase.position, phase.position + phase.amount);
    let mut pieces: Vec<(u64, wgpu::Buffer, u64, u64)> = Vec::new();
    for home in homes {
        let (from, to) = (home.start.max(first), home.end.min(end));
        let ring = ring(shared, (group, plan.pipeline, home.device), plan.dataset)?;
        // Split at the ring's wrap.
        let mut at = from;
        while at < to {
            let n = (to - at).min(rows - at % rows);
            let offset = (at % rows) * row_bytes;
            if home.device == device {
                pieces.push((at, ring.clone(), offset, n));
            } else {
                let bytes = shared.devices[home.device].gpu.read_range(&ring, offset, n * row_bytes).map_err(err)?;
                pieces.push((at, gpu.upload("copied rows", &bytes).map_err(err)?, 0, n));
            }
            at += n;
        }
    }
    pieces.sort_by_key(|p| p.0);
    let input: Vec<Rows> =
        pieces.iter().map(|(_, buffer, offset, n)| Rows { buffer, offset: *offset, rows: *n as usize }).collect();
    let images = shared.orders[plan.dataset].images(first, plan.batch_size);
    let labels: Vec<u32> = images.iter().map(|&i| data.train.labels[i as usize] as u32).collect();
    let loss = model.trainer.step(gpu, &dev.mlp, &input, &labels, plan.lr, plan.momentum).map_err(err)?;
    let step_ns = began.elapsed().as_nanos() as f64;
    {
        let mut outcomes = shared.outcomes.lock().expect("outcomes");
        let o = &mut outcomes[task];
        o.losses.push(loss);
        o.step_ns.push(step_ns);
        o.step_types.push(device);
    }
    if !loss.is_finite() {
        return Err(format!("the loss diverged ({loss}) at step {}: lower the learning rate", phase.index + 1));
    }
    if phase.index + 1 == plan.steps {
        let (x, labels) = held_out_inputs(&shared.loaded, plan);
        let accuracy = model.trainer.accuracy(gpu, &dev.mlp, &x, &labels).map_err(err)?;
        shared.outcomes.lock().expect("outcomes")[task].accuracy = Some(accuracy);
        // Done: its weights leave the device.
        shared.models.lock().expect("models").remove(&task);
    }
    Ok((loss, step_ns))
}

/// The held-out images through the task pipeline's deterministic stages (decode, normalise),
/// computed with the kernels' plain-Rust references.
pub fn held_out_inputs(loaded: &Loaded, plan: &TaskPlan) -> (Vec<f32>, Vec<u32>) {
    let set = &loaded.data[plan.dataset].held_out;
    let indices: Vec<u32> = (0..set.len() as u32).collect();
    let mut x = crate::kernels::gather::reference(&set.pixels, set.image_bytes(), &indices);
    for (_, op) in &loaded.pipelines[plan.pipeline].stages {
        if let crate::prep::Op::Normalize(norm) = op {
            let norm = crate::kernels::affine::Normalization { channels: set.channels as u32, ..*norm };
            x = crate::kernels::affine::reference(&x, &norm);
        }
    }
    (x, set.labels.iter().map(|&l| l as u32).collect())
}
