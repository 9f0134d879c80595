//! An MLP whose weights, momentum, activations and gradients stay on the device: a training step
//! is one submission (copy the batch in, then per micro-batch forward, loss and backward with
//! gradients summed, then one SGD update), and only the losses come back.

use crate::gpu::{Gpu, GpuError};
use crate::kernels::matmul::Shape;
use crate::kernels::sgd::Step;
use crate::mlp::{correct, Mlp, MlpKernels};

/// Per layer: weights, biases, their velocities and gradients.
struct Layer {
    w: wgpu::Buffer,
    b: wgpu::Buffer,
    vw: wgpu::Buffer,
    vb: wgpu::Buffer,
    gw: wgpu::Buffer,
    gb: wgpu::Buffer,
}

/// `rows` consecutive input rows of a buffer, from byte `offset`.
#[derive(Debug, Clone, Copy)]
pub struct Rows<'a> {
    pub buffer: &'a wgpu::Buffer,
    pub offset: u64,
    pub rows: usize,
}

/// Records copying rows `[first, first + count)` of the concatenation of `segments` to `dst`.
fn copy_rows(
    encoder: &mut wgpu::CommandEncoder,
    segments: &[Rows],
    first: usize,
    count: usize,
    dst: &wgpu::Buffer,
    row_bytes: u64,
) {
    let (mut skip, mut left, mut at) = (first, count, 0u64);
    for seg in segments {
        if left == 0 {
            break;
        }
        if skip >= seg.rows {
            skip -= seg.rows;
            continue;
        }
        let n = (seg.rows - skip).min(left);
        let from = seg.offset + skip as u64 * row_bytes;
        encoder.copy_buffer_to_buffer(seg.buffer, from, dst, at * row_bytes, n as u64 * row_bytes);
        (skip, left, at) = (0, left - n, at + n as u64);
    }
}

pub struct Trainer {
    pub widths: Vec<usize>,
    /// Rows computed at once.
    pub micro: usize,
    layers: Vec<Layer>,
    /// Activations for a micro-batch, the input first and the logits last.
    acts: Vec<wgpu::Buffer>,
    /// Gradients of the loss with respect to each activation but the input.
    grads: Vec<wgpu::Buffer>,
    labels: wgpu::Buffer,
    loss: wgpu::Buffer,
    /// The whole batch's losses and labels.
    batch_loss: wgpu::Buffer,
    batch_labels: wgpu::Buffer,
    batch_rows: usize,
}

impl Trainer {
    /// A model with `Mlp::new`'s seeded initial weights, for batches of `batch` rows computed
    /// `micro` at a time.
    pub fn new(gpu: &Gpu, widths: &[usize], seed: u64, batch: usize, micro: usize) -> Result<Self, GpuError> {
        assert!(micro > 0 && batch.is_multiple_of(micro), "micro-batches divide the batch");
        // Check every buffer against the device's limits before building anything on the host.
        for w in widths.windows(2) {
            gpu.check_size("a layer's weights", w[0] as u64 * w[1] as u64 * 4)?;
        }
        for &w in widths {
            gpu.check_size("a micro-batch's activations", micro as u64 * w as u64 * 4)?;
        }
        let init = Mlp::new(widths, seed);
        let (weights, biases) = init.parameters();
        let f32s = |what: &str, n: usize| gpu.output(what, (n * 4) as u64);
        let mut layers = Vec::new();
        for l in 0..widths.len() - 1 {
            let (w, b) = (&weights[l], &biases[l]);
            layers.push(Layer {
                w: gpu.upload("weights", bytemuck::cast_slice(w))?,
                b: gpu.upload("biases", bytemuck::cast_slice(b))?,
                vw: f32s("weight velocity", w.len())?,
                vb: f32s("bias velocity", b.len())?,
                gw: f32s("weight gradient", w.len())?,
                gb: f32s("bias gradient", b.len())?,
            });
        }
        let acts = widths.iter().map(|&w| f32s("activations", micro * w)).collect::<Result<Vec<_>, _>>()?;
        let grads = widths[1..].iter().map(|&w| f32s("gradients", micro * w)).collect::<Result<Vec<_>, _>>()?;
        Ok(Trainer {
            widths: widths.to_vec(),
            micro,
            layers,
            acts,
            grads,
            labels: gpu.output("labels", (micro * 4) as u64)?,
            loss: f32s("losses", micro)?,
            batch_loss: f32s("batch losses", batch)?,
            batch_labels: gpu.output("batch labels", (batch * 4) as u64)?,
            batch_rows: batch,
        })
    }

    /// Bytes of an input row.
    pub fn row_bytes(&self) -> u64 {
        self.widths[0] as u64 * 4
    }

    fn classes(&self) -> usize {
        *self.widths.last().expect("widths")
    }

    /// Records the forward pass of the micro-batch in `acts[0]`.
    fn record_forward(&self, gpu: &Gpu, k: &MlpKernels, encoder: &mut wgpu::CommandEncoder, rows: usize) {
        let last = self.layers.len() - 1;
        for (l, layer) in self.layers.iter().enumerate() {
            let (fan_in, fan_out) = (self.widths[l], self.widths[l + 1]);
            let shape = Shape { m: rows, k: fan_in, n: fan_out, ta: false, tb: false, accumulate: false };
            k.matmul.record(gpu, encoder, [&self.acts[l], &layer.w, &self.acts[l + 1]], shape);
            k.bias_relu.record(gpu, encoder, &self.acts[l + 1], &layer.b, (rows, fan_out), l < last);
        }
    }

    /// One SGD step on the batch whose rows are `input`, in order (read where they lie: a
    /// stream's ring on this device, say), and whose labels are `labels`; returns the batch's
    /// mean loss.
    pub fn step(
        &mut self,
        gpu: &Gpu,
        k: &MlpKernels,
        input: &[Rows],
        labels: &[u32],
        lr: f32,
        momentum: f32,
    ) -> Result<f32, GpuError> {
        let rows = labels.len();
        assert_eq!(rows, self.batch_rows, "a step reads a whole batch");
        assert_eq!(input.iter().map(|r| r.rows).sum::<usize>(), rows, "the input holds the batch");
        gpu.queue.write_buffer(&self.batch_labels, 0, bytemuck::cast_slice(labels));
        let mut encoder = gpu.encoder("training step");
        let micro = self.micro;
        let classes = self.classes();
        let layers = self.layers.len();
        for m in 0..rows / micro {
            let at = (m * micro) as u64;
            copy_rows(&mut encoder, input, at as usize, micro, &self.acts[0], self.row_bytes());
            encoder.copy_buffer_to_buffer(&self.batch_labels, at * 4, &self.labels, 0, micro as u64 * 4);
            self.record_forward(gpu, k, &mut encoder, micro);
            let logits = &self.acts[layers];
            k.xent.record(
                gpu,
                &mut encoder,
                [logits, &self.labels, &self.grads[layers - 1], &self.loss],
                micro,
                classes,
            );
            encoder.copy_buffer_to_buffer(&self.loss, 0, &self.batch_loss, at * 4, micro as u64 * 4);
            let accumulate = m > 0;
            for l in (0..layers).rev() {
                let (fan_in, fan_out) = (self.widths[l], self.widths[l + 1]);
                let layer = &self.layers[l];
                let dz = &self.grads[l];
                // dW (+)= a^T dz, db (+)= column sums of dz, da = dz W^T masked by the ReLU.
                let shape = Shape { m: fan_in, k: micro, n: fan_out, ta: true, tb: false, accumulate };
                k.matmul.record(gpu, &mut encoder, [&self.acts[l], dz, &layer.gw], shape);
                k.backward.record_column_sum(gpu, &mut encoder, dz, &layer.gb, (micro, fan_out), accumulate);
                if l > 0 {
                    let shape = Shape { m: micro, k: fan_out, n: fan_in, ta: false, tb: true, accumulate: false };
                    k.matmul.record(gpu, &mut encoder, [dz, &layer.w, &self.grads[l - 1]], shape);
                    k.backward.record_relu_grad(gpu, &mut encoder, &self.grads[l - 1], &self.acts[l], micro * fan_in);
                }
            }
        }
        let step = Step { lr, momentum, scale: 1.0 / (rows / micro) as f32 };
        for (l, layer) in self.layers.iter().enumerate() {
            let (fan_in, fan_out) = (self.widths[l], self.widths[l + 1]);
            k.sgd.record(gpu, &mut encoder, [&layer.w, &layer.vw, &layer.gw], fan_in * fan_out, step);
            k.sgd.record(gpu, &mut encoder, [&layer.b, &layer.vb, &layer.gb], fan_out, step);
        }
        gpu.queue.submit([encoder.finish()]);
        let losses = gpu.read_f32(&self.batch_loss)?;
        Ok(losses[..rows].iter().sum::<f32>() / rows as f32)
    }

    /// The share of `labels` predicted right for inputs `x` (rows of `widths[0]`), computed a
    /// micro-batch at a time.
    pub fn accuracy(&self, gpu: &Gpu, k: &MlpKernels, x: &[f32], labels: &[u32]) -> Result<f32, GpuError> {
        let width = self.widths[0];
        let classes = self.classes();
        let mut right = 0usize;
        for (chunk, chunk_labels) in x.chunks(self.micro * width).zip(labels.chunks(self.micro)) {
            let rows = chunk_labels.len();
            gpu.queue.write_buffer(&self.acts[0], 0, bytemuck::cast_slice(chunk));
            let mut encoder = gpu.encoder("evaluation");
            self.record_forward(gpu, k, &mut encoder, rows);
            gpu.queue.submit([encoder.finish()]);
            let logits = gpu.read_f32(&self.acts[self.layers.len()])?;
            right += correct(&logits, chunk_labels, classes);
        }
        Ok(right as f32 / labels.len().max(1) as f32)
    }

    /// The weights, biases and velocities, read back (to move the model to another device).
    pub fn download(&self, gpu: &Gpu) -> Result<Vec<[Vec<f32>; 4]>, GpuError> {
        self.layers
            .iter()
            .map(|l| Ok([gpu.read_f32(&l.w)?, gpu.read_f32(&l.b)?, gpu.read_f32(&l.vw)?, gpu.read_f32(&l.vb)?]))
            .collect()
    }

    /// A copy of this model on `gpu` with `state` (from `download`).
    pub fn upload_state(&mut self, gpu: &Gpu, state: &[[Vec<f32>; 4]]) {
        for (layer, s) in self.layers.iter().zip(state) {
            for (buf, values) in [&layer.w, &layer.b, &layer.vw, &layer.vb].into_iter().zip(s) {
                gpu.queue.write_buffer(buf, 0, bytemuck::cast_slice(&values[..buf.size() as usize / 4]));
            }
        }
    }
}
