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
        let mut encoder = gpu.encoder("bias_relu");
        self.record(gpu, &mut encoder, &dx, &db, (x.len() / bias.len(), bias.len()), relu);
        gpu.queue.submit([encoder.finish()]);
        gpu.read_f32(&dx)
    }

    /// Records the epilogue in place on a resident `rows x cols` matrix.
    pub fn record(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        x: &wgpu::Buffer,
        bias: &wgpu::Buffer,
        (rows, cols): (usize, usize),
        relu: bool,
    ) {
        let params = [rows as u32, cols as u32, relu as u32, 0];
        let uniform = gpu.uniform("bias_relu params", bytemuck::cast_slice(&params));
        gpu.record(encoder, &self.kernel, &[x, bias, &uniform], linear_groups((rows * cols) as u64, 256));
    }
}
