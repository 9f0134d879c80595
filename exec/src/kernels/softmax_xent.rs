//! Softmax cross entropy (`softmax_xent.wgsl`): per-row losses and the gradient of the mean
//! loss with respect to the logits.

use crate::gpu::{Gpu, GpuError, Kernel};

pub const WGSL: &str = include_str!("softmax_xent.wgsl");

/// The plain-Rust reference: (gradient, losses).
pub fn reference(logits: &[f32], labels: &[u32], classes: usize) -> (Vec<f32>, Vec<f32>) {
    let rows = labels.len();
    let mut grad = vec![0.0f32; rows * classes];
    let mut loss = vec![0.0f32; rows];
    for r in 0..rows {
        let row = &logits[r * classes..(r + 1) * classes];
        let top = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let total: f32 = row.iter().map(|&z| (z - top).exp()).sum();
        let label = labels[r] as usize;
        loss[r] = total.ln() + top - row[label];
        for c in 0..classes {
            let p = (row[c] - top).exp() / total - if c == label { 1.0 } else { 0.0 };
            grad[r * classes + c] = p / rows as f32;
        }
    }
    (grad, loss)
}

pub struct SoftmaxXent {
    kernel: Kernel,
}

impl SoftmaxXent {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(SoftmaxXent { kernel: gpu.kernel("softmax_xent", WGSL)? })
    }

    pub fn run(
        &self,
        gpu: &Gpu,
        logits: &[f32],
        labels: &[u32],
        classes: usize,
    ) -> Result<(Vec<f32>, Vec<f32>), GpuError> {
        let rows = labels.len();
        assert_eq!(logits.len(), rows * classes, "logits are rows x classes");
        assert!(labels.iter().all(|&l| (l as usize) < classes), "labels below the class count");
        let dl = gpu.upload("xent logits", bytemuck::cast_slice(logits))?;
        let dy = gpu.upload("xent labels", bytemuck::cast_slice(labels))?;
        let dg = gpu.output("xent grad", (rows * classes * 4) as u64)?;
        let dloss = gpu.output("xent loss", (rows * 4) as u64)?;
        let mut encoder = gpu.encoder("xent");
        self.record(gpu, &mut encoder, [&dl, &dy, &dg, &dloss], rows, classes);
        gpu.queue.submit([encoder.finish()]);
        let mut loss = gpu.read_f32(&dloss)?;
        loss.truncate(rows);
        Ok((gpu.read_f32(&dg)?, loss))
    }

    /// Records losses and gradients for resident `[logits, labels, grad, loss]` of `rows` rows.
    pub fn record(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        [logits, labels, grad, loss]: [&wgpu::Buffer; 4],
        rows: usize,
        classes: usize,
    ) {
        let params = [rows as u32, classes as u32, 0, 0];
        let uniform = gpu.uniform("xent params", bytemuck::cast_slice(&params));
        gpu.record(encoder, &self.kernel, &[logits, labels, grad, loss, &uniform], (rows.div_ceil(64) as u32, 1, 1));
    }
}
