//! Estimates for the policy before anything runs: each preprocessing stage's time per sample and
//! each task's time per step, measured on one device of every type with the real kernels (a
//! warm-up, then the mean of a few repetitions). The policy plans with these; the recorded trace
//! replaces them with what the run measured.

use crate::devices_set::Device;
use crate::order::Order;
use crate::prep::{record_span, spans, Shape, SpanInput};
use crate::trainer::{Rows, Trainer};
use crate::workload::Loaded;
use crate::GpuError;
use std::collections::BTreeMap;
use std::time::Instant;

const REPS: u32 = 3;
const NOMINAL_STAGE_S: f64 = 1e-5;
const NOMINAL_STEP_S: f64 = 0.01;

/// Measured estimates for one device type.
#[derive(Debug, Clone, Default)]
pub struct Estimates {
    /// Seconds per sample by (dataset, stage key).
    pub stage_s: BTreeMap<(usize, String), f64>,
    /// Seconds per step by task.
    pub step_s: Vec<f64>,
}

fn mean_seconds(reps: u32, mut f: impl FnMut() -> Result<(), GpuError>) -> Result<f64, GpuError> {
    f()?;
    let start = Instant::now();
    for _ in 0..reps {
        f()?;
    }
    Ok(start.elapsed().as_secs_f64() / reps as f64)
}

/// Measures every stage and task of `loaded` on `dev`.
pub fn measure(dev: &Device, loaded: &Loaded) -> Result<Estimates, GpuError> {
    let gpu = &dev.gpu;
    let mut est = Estimates::default();
    let mut used: Vec<(usize, usize)> = loaded.tasks.iter().map(|t| (t.dataset, t.pipeline)).collect();
    used.sort_unstable();
    used.dedup();
    for (dataset, p) in used {
        let set = &loaded.data[dataset].train;
        let shape = Shape { h: set.height, w: set.width, c: set.channels };
        let rows = loaded.tasks.iter().filter(|t| t.dataset == dataset).map(|t| t.batch_size).max().unwrap_or(1);
        let order = Order::new(set.len(), 0);
        let span = spans(0, rows as u64, order.epoch_len(), u64::MAX)[0];
        let indices = gpu.upload("batch indices", bytemuck::cast_slice(&order.images(0, span.rows)))?;
        let pipeline = &loaded.pipelines[p];
        let mut previous = 0.0;
        for k in 1..=pipeline.stages.len() {
            let prefix = crate::prep::Pipeline { id: pipeline.id.clone(), stages: pipeline.stages[..k].to_vec() };
            let timed = mean_seconds(REPS, || {
                let mut encoder = gpu.encoder("calibration");
                let input = SpanInput { pixels: &dev.pixels[dataset], indices: &indices, shape, span };
                let recorded = record_span(gpu, &dev.prep, &mut encoder, &input, &[&prefix]);
                recorded.outputs.into_iter().next().expect("one leaf")?;
                gpu.queue.submit([encoder.finish()]);
                gpu.wait()
            });
            // A stage that cannot run (a kernel that fails validation, say) fails its tasks
            // when they run; until then it is planned with a nominal cost.
            let Ok(seconds) = timed else {
                for (key, _) in &pipeline.stages[k - 1..] {
                    est.stage_s.entry((dataset, key.clone())).or_insert(NOMINAL_STAGE_S);
                }
                break;
            };
            // A stage costs what adding it to the prefix cost (at least a sliver: timings jitter).
            let stage = ((seconds - previous) / span.rows as f64).max(seconds / span.rows as f64 * 0.01);
            previous = seconds;
            est.stage_s.entry((dataset, pipeline.stages[k - 1].0.clone())).or_insert(stage);
        }
    }
    let mut by_config: BTreeMap<(Vec<usize>, usize, usize), f64> = BTreeMap::new();
    for t in &loaded.tasks {
        let key = (t.widths.clone(), t.batch_size, t.micro_batch);
        if let Some(&s) = by_config.get(&key) {
            est.step_s.push(s);
            continue;
        }
        let timed = (|| {
            let mut trainer = Trainer::new(gpu, &t.widths, t.seed, t.batch_size, t.micro_batch)?;
            let input = gpu.output("calibration batch", trainer.row_bytes() * t.batch_size as u64)?;
            let classes = *t.widths.last().expect("widths") as u32;
            let labels: Vec<u32> = (0..t.batch_size as u32).map(|i| i % classes).collect();
            // Zero inputs and a tiny rate: the timing is what matters, not the model.
            let rows = [Rows { buffer: &input, offset: 0, rows: t.batch_size }];
            mean_seconds(REPS, || trainer.step(gpu, &dev.mlp, &rows, &labels, 1e-6, 0.0).map(|_| ()))
        })();
        // A model that does not fit fails its task when it runs; it is planned nominally.
        let seconds = timed.unwrap_or(NOMINAL_STEP_S);
        by_config.insert(key, seconds);
        est.step_s.push(seconds);
    }
    Ok(est)
}
