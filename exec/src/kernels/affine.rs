//! Normalisation of decoded values (`affine.wgsl`): per channel `(x - mean) / std`.

use crate::gpu::{linear_groups, Gpu, Kernel};

pub const WGSL: &str = include_str!("affine.wgsl");

/// Per-channel statistics of decoded values: `(x - mean) / std`, up to 4 interleaved channels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalization {
    pub mean: [f32; 4],
    pub std: [f32; 4],
    pub channels: u32,
}

pub fn reference(x: &[f32], norm: &Normalization) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let c = i % norm.channels as usize;
            (v - norm.mean[c]) * (1.0 / norm.std[c])
        })
        .collect()
}

pub struct Affine {
    kernel: Kernel,
}

impl Affine {
    pub fn new(gpu: &Gpu) -> Result<Self, crate::GpuError> {
        Ok(Affine { kernel: gpu.kernel("affine", WGSL)? })
    }

    /// Records `dst = (src - mean) / std` over `count` values.
    pub fn record(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        [src, dst]: [&wgpu::Buffer; 2],
        count: usize,
        norm: &Normalization,
    ) {
        let mut params = [0u32; 12];
        params[0] = count as u32;
        params[1] = norm.channels;
        for c in 0..4 {
            params[4 + c] = norm.mean[c].to_bits();
            params[8 + c] = (1.0 / norm.std[c]).to_bits();
        }
        let uniform = gpu.uniform("affine params", bytemuck::cast_slice(&params));
        gpu.record(encoder, &self.kernel, &[src, dst, &uniform], linear_groups(count as u64, 256));
    }
}
