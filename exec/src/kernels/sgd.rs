//! SGD with momentum (`sgd.wgsl`): `v = momentum * v + g; w -= lr * v`.

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
        let params = [w.len() as u32, lr.to_bits(), momentum.to_bits(), 0];
        let uniform = gpu.uniform("sgd params", bytemuck::cast_slice(&params));
        gpu.dispatch(&self.kernel, &[&dw, &dv, &dg, &uniform], linear_groups(w.len() as u64, 256));
        Ok((gpu.read_f32(&dw)?, gpu.read_f32(&dv)?))
    }
}
