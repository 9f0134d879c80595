//! SGD with momentum (`sgd.wgsl`): `v = momentum * v + scale * g; w -= lr * v`.

use crate::gpu::{linear_groups, Gpu, GpuError, Kernel};

pub const WGSL: &str = include_str!("sgd.wgsl");

/// The plain-Rust reference, in place.
pub fn reference(w: &mut [f32], v: &mut [f32], g: &[f32], lr: f32, momentum: f32) {
    for i in 0..w.len() {
        v[i] = momentum * v[i] + g[i];
        w[i] -= lr * v[i];
    }
}

pub struct Sgd {
    kernel: Kernel,
}

impl Sgd {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(Sgd { kernel: gpu.kernel("sgd", WGSL)? })
    }

    /// One step; returns the new weights and velocities.
    pub fn run(
        &self,
        gpu: &Gpu,
        w: &[f32],
        v: &[f32],
        g: &[f32],
        lr: f32,
        momentum: f32,
    ) -> Result<(Vec<f32>, Vec<f32>), GpuError> {
        assert!(w.len() == v.len() && w.len() == g.len(), "weights, velocities and gradients match");
        let dw = gpu.upload("sgd w", bytemuck::cast_slice(w))?;
        let dv = gpu.upload("sgd v", bytemuck::cast_slice(v))?;
        let dg = gpu.upload("sgd g", bytemuck::cast_slice(g))?;
        let mut encoder = gpu.encoder("sgd");
        self.record(gpu, &mut encoder, [&dw, &dv, &dg], w.len(), Step { lr, momentum, scale: 1.0 });
        gpu.queue.submit([encoder.finish()]);
        Ok((gpu.read_f32(&dw)?, gpu.read_f32(&dv)?))
    }

    /// Records one update of `count` resident weights `[w, v, g]`.
    pub fn record(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        [w, v, g]: [&wgpu::Buffer; 3],
        count: usize,
        step: Step,
    ) {
        let params = [count as u32, step.lr.to_bits(), step.momentum.to_bits(), step.scale.to_bits()];
        let uniform = gpu.uniform("sgd params", bytemuck::cast_slice(&params));
        gpu.record(encoder, &self.kernel, &[w, v, g, &uniform], linear_groups(count as u64, 256));
    }
}

/// One SGD update's hyper-parameters; `scale` multiplies the gradient (1 / micro-batches when
/// gradients were summed over several).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub lr: f32,
    pub momentum: f32,
    pub scale: f32,
}
