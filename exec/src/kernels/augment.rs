//! The augmentations (one WGSL file each: `crop`, `flip`, `jitter`, `noise`, all preceded by
//! `random.wgsl`) over a batch of f32 images, and their plain-Rust references. Every random
//! choice is a draw of (seed, epoch, sample, k), so the result for a sample does not depend on
//! the batch it is in, the device, or the order of work.

use super::random::{draw, unit, Batch, Stream};
use crate::gpu::{linear_groups, Gpu, GpuError, Kernel};

/// One augmentation and its parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Augment {
    /// Random crop with zero padding of this many pixels.
    Crop { pad: u32 },
    /// Horizontal flip with this probability.
    Flip { p: f32 },
    /// Contrast and brightness jitter of these strengths.
    Jitter { contrast: f32, brightness: f32 },
    /// Additive Gaussian noise of this standard deviation.
    Noise { sigma: f32 },
}

impl Augment {
    pub fn name(&self) -> &'static str {
        match self {
            Augment::Crop { .. } => "crop",
            Augment::Flip { .. } => "flip",
            Augment::Jitter { .. } => "jitter",
            Augment::Noise { .. } => "noise",
        }
    }

    fn wgsl(&self) -> String {
        let op = match self {
            Augment::Crop { .. } => include_str!("crop.wgsl"),
            Augment::Flip { .. } => include_str!("flip.wgsl"),
            Augment::Jitter { .. } => include_str!("jitter.wgsl"),
            Augment::Noise { .. } => include_str!("noise.wgsl"),
        };
        format!("{}\n{op}", include_str!("random.wgsl"))
    }

    fn values(&self) -> [f32; 4] {
        match *self {
            Augment::Crop { pad } => [pad as f32, 0.0, 0.0, 0.0],
            Augment::Flip { p } => [p, 0.0, 0.0, 0.0],
            Augment::Jitter { contrast, brightness } => [contrast, brightness, 0.0, 0.0],
            Augment::Noise { sigma } => [sigma, 0.0, 0.0, 0.0],
        }
    }

    /// The plain-Rust reference.
    pub fn reference(&self, src: &[f32], batch: Batch, stream: Stream) -> Vec<f32> {
        let sample = |img: usize| stream.first + img as u32;
        let d = |img: usize, k: u32| draw(stream.seed, stream.epoch, sample(img), k);
        (0..batch.len())
            .map(|i| {
                let (img, y, x, ch) = batch.at(i);
                match *self {
                    Augment::Crop { pad } => {
                        let span = 2 * pad + 1;
                        let dy = (d(img, 0) % span) as i64 - pad as i64;
                        let dx = (d(img, 1) % span) as i64 - pad as i64;
                        let (sy, sx) = (y as i64 + dy, x as i64 + dx);
                        if (0..batch.h as i64).contains(&sy) && (0..batch.w as i64).contains(&sx) {
                            src[batch.index(img, sy as usize, sx as usize, ch)]
                        } else {
                            0.0
                        }
                    }
                    Augment::Flip { p } => {
                        let x = if unit(d(img, 2)) < p { batch.w - 1 - x } else { x };
                        src[batch.index(img, y, x, ch)]
                    }
                    Augment::Jitter { contrast, brightness } => {
                        let c = 1.0 + (2.0 * unit(d(img, 3)) - 1.0) * contrast;
                        let b = (2.0 * unit(d(img, 4)) - 1.0) * brightness;
                        src[i] * c + b
                    }
                    Augment::Noise { sigma } => {
                        let k = (i % (batch.h * batch.w * batch.c)) as u32;
                        let u1 = 1.0 - unit(d(img, 5 + 2 * k));
                        let u2 = unit(d(img, 6 + 2 * k));
                        let z = (-2.0 * u1.ln()).sqrt() * (6.283_185_5 * u2).cos();
                        src[i] + sigma * z
                    }
                }
            })
            .collect()
    }
}

/// A compiled augmentation.
/// A compiled image kernel: one of the built-in augmentations or a user's own WGSL body (which
/// gets `random.wgsl`'s draws, parameters and bindings prepended, like the built-in ones).
pub struct AugmentKernel {
    values: [f32; 4],
    kernel: Kernel,
}

impl AugmentKernel {
    pub fn new(gpu: &Gpu, op: Augment) -> Result<Self, GpuError> {
        Ok(AugmentKernel { values: op.values(), kernel: gpu.kernel(op.name(), &op.wgsl())? })
    }

    /// A user's kernel: `body` defines `main` over `src`, `dst` and `p` (whose `a..d` are `values`).
    pub fn custom(gpu: &Gpu, name: &str, body: &str, values: [f32; 4]) -> Result<Self, GpuError> {
        let source = format!("{}\n{body}", include_str!("random.wgsl"));
        Ok(AugmentKernel { values, kernel: gpu.kernel(name, &source)? })
    }

    pub fn run(&self, gpu: &Gpu, src: &[f32], batch: Batch, stream: Stream) -> Result<Vec<f32>, GpuError> {
        assert_eq!(src.len(), batch.len(), "the batch's shape");
        let input = gpu.upload("augment input", bytemuck::cast_slice(src))?;
        let output = gpu.output("augment output", (src.len() * 4) as u64)?;
        let mut encoder = gpu.encoder("augment");
        self.record(gpu, &mut encoder, [&input, &output], batch, stream);
        gpu.queue.submit([encoder.finish()]);
        let mut out = gpu.read_f32(&output)?;
        out.truncate(src.len());
        Ok(out)
    }

    /// Records the kernel from `src` into `dst`, both resident batches of `batch`'s shape.
    pub fn record(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        [src, dst]: [&wgpu::Buffer; 2],
        batch: Batch,
        stream: Stream,
    ) {
        let v = self.values;
        let params: [u32; 12] = [
            batch.n as u32,
            batch.h as u32,
            batch.w as u32,
            batch.c as u32,
            stream.seed,
            stream.epoch,
            stream.first,
            0,
            v[0].to_bits(),
            v[1].to_bits(),
            v[2].to_bits(),
            v[3].to_bits(),
        ];
        let uniform = gpu.uniform("augment params", bytemuck::cast_slice(&params));
        gpu.record(encoder, &self.kernel, &[src, dst, &uniform], linear_groups(batch.len() as u64, 256));
    }
}
