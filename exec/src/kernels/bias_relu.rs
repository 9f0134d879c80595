//! A dense layer's epilogue (`bias_relu.wgsl`): add the bias per column, then ReLU if asked.

use crate::gpu::{linear_groups, Gpu, GpuError, Kernel};

pub const WGSL: &str = include_str!("bias_relu.wgsl");

/// The plain-Rust reference.
pub fn reference(x: &[f32], bias: &[f32], relu: bool) -> Vec<f32> {
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let y = v + bias[i % bias.len()];
            if relu {
                y.max(0.0)
            } else {
                y
            }
        })
        .collect()
}

pub struct BiasRelu {
    kernel: Kernel,
}

impl BiasRelu {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(BiasRelu { kernel: gpu.kernel("bias_relu", WGSL)? })
    }

    /// `x` is rows x `bias.len()`, row-major.
    pub fn run(&self, gpu: &Gpu, x: &[f32], bias: &[f32], relu: bool) -> Result<Vec<f32>, GpuError> {
        assert!(!bias.is_empty() && x.len().is_multiple_of(bias.len()), "x is rows x bias.len()");
        let dx = gpu.upload("bias_relu x", bytemuck::cast_slice(x))?;
        let db = gpu.upload("bias_relu bias", bytemuck::cast_slice(bias))?;
        let params = [(x.len() / bias.len()) as u32, bias.len() as u32, relu as u32, 0];
        let uniform = gpu.uniform("bias_relu params", bytemuck::cast_slice(&params));
        gpu.dispatch(&self.kernel, &[&dx, &db, &uniform], linear_groups(x.len() as u64, 256));
        gpu.read_f32(&dx)
    }
}
