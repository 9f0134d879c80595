//! A processor's worker thread: it carries out the phases the device runner hands it on its
//! device — a stream's preprocessing into its rings, a task's training step read from them —
//! and reports how long each kept it busy.

use crate::engine::{Done, Home, Job, Model, Shared};
use crate::prep::{record_span, spans, Pipeline, Shape, SpanInput};
use crate::trainer::{Rows, Trainer};
use crate::workload::{Loaded, TaskPlan};
use coprep_policies::GroupId;
use coprep_sim::per_batch::{Ended, Phase};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;
use std::time::Instant;

/// Runs jobs until told to quit (or the runner is gone).
pub(crate) fn work(shared: Arc<Shared>, device: usize, jobs: Receiver<Job>, done: Sender<Done>) {
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
                    // The processor was busy for the evaluation after the last step too.
                    Ok(loss) => (phase, Vec::new(), Some((task, loss)), began.elapsed().as_nanos() as f64),
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

/// One training step of `task` on this device (and after its last, the held-out evaluation);
/// returns its loss.
fn run_step(
    shared: &Shared,
    device: usize,
    phase: Phase,
    task: usize,
    group: GroupId,
    homes: &[Home],
    began: Instant,
) -> Result<f32, String> {
    let plan: &TaskPlan = &shared.loaded.tasks[task];
    let dev = &shared.devices[device];
    let gpu = &dev.gpu;
    let data = &shared.loaded.data[plan.dataset];
    let row_bytes = data.train.image_bytes() as u64 * 4;
    let rows = shared.ring_rows[plan.dataset];
    let err = |e: crate::GpuError| e.to_string();

    let slot = shared.models.lock().expect("models").entry(task).or_default().clone();
    let mut model = slot.lock().expect("model");
    if model.as_ref().is_none_or(|m| m.device != device) {
        let mut trainer = Trainer::new(gpu, &plan.widths, plan.seed, plan.batch_size, plan.micro_batch).map_err(err)?;
        if let Some(moved) = model.as_ref() {
            // Moved from another device: its weights and momentum go with it.
            trainer.upload_state(gpu, &moved.trainer.download(&shared.devices[moved.device].gpu).map_err(err)?);
        }
        *model = Some(Model { device, trainer });
    }
    let model = model.as_mut().expect("created above");

    // The batch: read in place from the rings on this device; rows prepared on another device
    // are read back and uploaded.
    let (first, end) = (phase.position, phase.position + phase.amount);
    let mut pieces: Vec<(u64, wgpu::Buffer, u64, u64)> = Vec::new();
    for home in homes {
        let (from, to) = (home.start.max(first), home.end.min(end));
        let ring = ring(shared, (group, plan.pipeline, home.device), plan.dataset)?;
        // Split where the ring wraps (epochs do not matter here).
        for span in spans(from, to.saturating_sub(from), u64::MAX, rows) {
            let (offset, n) = ((span.position % rows) * row_bytes, span.rows as u64);
            if home.device == device {
                pieces.push((span.position, ring.clone(), offset, n));
            } else {
                let bytes = shared.devices[home.device].gpu.read_range(&ring, offset, n * row_bytes).map_err(err)?;
                pieces.push((span.position, gpu.upload("copied rows", &bytes).map_err(err)?, 0, n));
            }
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
        let evaluating = Instant::now();
        let (x, labels) = held_out_inputs(&shared.loaded, plan);
        let accuracy = model.trainer.accuracy(gpu, &dev.mlp, &x, &labels).map_err(err)?;
        let mut outcomes = shared.outcomes.lock().expect("outcomes");
        outcomes[task].accuracy = Some(accuracy);
        outcomes[task].eval_ns = evaluating.elapsed().as_nanos() as f64;
        drop(outcomes);
        // Done: its weights leave the device.
        shared.models.lock().expect("models").remove(&task);
    }
    Ok(loss)
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
