//! u8 → f32 decode and per-channel normalisation (`normalize.wgsl`), up to 4 interleaved channels.

use crate::gpu::{linear_groups, Gpu, GpuError, Kernel};

pub const WGSL: &str = include_str!("normalize.wgsl");
const WORKGROUP: u64 = 256;

/// Per-channel statistics: `(x / 255 - mean) / std`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalization {
    pub mean: [f32; 4],
    pub std: [f32; 4],
    pub channels: u32,
}

impl Normalization {
    fn inv_std(&self) -> [f32; 4] {
        self.std.map(|s| 1.0 / s)
    }
}

/// The plain-Rust reference.
pub fn reference(bytes: &[u8], norm: &Normalization) -> Vec<f32> {
    let inv = norm.inv_std();
    bytes
        .iter()
        .enumerate()
        .map(|(i, &b)| {
            let c = i % norm.channels as usize;
            (b as f32 / 255.0 - norm.mean[c]) * inv[c]
        })
        .collect()
}

pub struct Normalize {
    kernel: Kernel,
}

impl Normalize {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(Normalize { kernel: gpu.kernel("normalize", WGSL)? })
    }

    /// Decodes and normalises `bytes` on `gpu`.
    pub fn run(&self, gpu: &Gpu, bytes: &[u8], norm: &Normalization) -> Result<Vec<f32>, GpuError> {
        assert!((1..=4).contains(&norm.channels), "1 to 4 channels");
        let count = bytes.len() as u64;
        let mut padded = bytes.to_vec();
        padded.resize(bytes.len().div_ceil(4).max(1) * 4, 0);
        let input = gpu.upload("normalize input", &padded)?;
        let output = gpu.output("normalize output", count * 4)?;
        let mut params = [0u32; 12];
        params[0] = count as u32;
        params[1] = norm.channels;
        for c in 0..4 {
            params[4 + c] = norm.mean[c].to_bits();
            params[8 + c] = norm.inv_std()[c].to_bits();
        }
        let uniform = gpu.uniform("normalize params", bytemuck::cast_slice(&params));
        gpu.dispatch(&self.kernel, &[&input, &output, &uniform], linear_groups(count, WORKGROUP));
        let mut out = gpu.read_f32(&output)?;
        out.truncate(count as usize);
        Ok(out)
    }

    /// Measured GB/s (bytes read plus written: 1 + 4 per value) decoding `count` values, buffers
    /// resident.
    pub fn gbps(&self, gpu: &Gpu, count: usize, reps: u32) -> Result<f64, GpuError> {
        let input = gpu.output("normalize input", count.div_ceil(4) as u64 * 4)?;
        let output = gpu.output("normalize output", count as u64 * 4)?;
        let mut params = [0u32; 12];
        params[0] = count as u32;
        params[1] = 3;
        params[8..11].copy_from_slice(&[1.0f32.to_bits(); 3]);
        let uniform = gpu.uniform("normalize params", bytemuck::cast_slice(&params));
        let groups = linear_groups(count as u64, WORKGROUP);
        let seconds = gpu.time(&self.kernel, &[&input, &output, &uniform], groups, reps)?;
        Ok(5.0 * count as f64 / seconds / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_by_hand() {
        // Two channels, mean 0.5 / 0, std 0.5 / 1: 255 -> (1 - 0.5) / 0.5 = 1; 0 -> 0; 51 -> 0.2.
        let norm = Normalization { mean: [0.5, 0.0, 0.0, 0.0], std: [0.5, 1.0, 1.0, 1.0], channels: 2 };
        let got = reference(&[255, 0, 0, 51], &norm);
        let want = [1.0, 0.0, -1.0, 0.2];
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() < 1e-6, "{got:?}");
        }
    }
}
