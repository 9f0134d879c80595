//! The small kernels of the backward pass besides matmul: the ReLU's gradient mask
//! (`relu_grad.wgsl`) and column sums for bias gradients (`column_sum.wgsl`).

use crate::gpu::{linear_groups, Gpu, GpuError, Kernel};

/// Reference: `grad` zeroed where `act` is not positive.
pub fn relu_grad_reference(grad: &[f32], act: &[f32]) -> Vec<f32> {
    grad.iter().zip(act).map(|(&g, &a)| if a > 0.0 { g } else { 0.0 }).collect()
}

/// Reference: the sum of each column of a row-major `rows x cols` matrix, in row order.
pub fn column_sum_reference(x: &[f32], cols: usize) -> Vec<f32> {
    let mut sums = vec![0.0f32; cols];
    for row in x.chunks(cols) {
        for (s, v) in sums.iter_mut().zip(row) {
            *s += v;
        }
    }
    sums
}

pub struct Backward {
    relu_grad: Kernel,
    column_sum: Kernel,
}

impl Backward {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(Backward {
            relu_grad: gpu.kernel("relu_grad", include_str!("relu_grad.wgsl"))?,
            column_sum: gpu.kernel("column_sum", include_str!("column_sum.wgsl"))?,
        })
    }

    pub fn relu_grad(&self, gpu: &Gpu, grad: &[f32], act: &[f32]) -> Result<Vec<f32>, GpuError> {
        assert_eq!(grad.len(), act.len());
        let dg = gpu.upload("relu_grad grad", bytemuck::cast_slice(grad))?;
        let da = gpu.upload("relu_grad act", bytemuck::cast_slice(act))?;
        let mut encoder = gpu.encoder("relu_grad");
        self.record_relu_grad(gpu, &mut encoder, &dg, &da, grad.len());
        gpu.queue.submit([encoder.finish()]);
        gpu.read_f32(&dg)
    }

    pub fn column_sum(&self, gpu: &Gpu, x: &[f32], cols: usize) -> Result<Vec<f32>, GpuError> {
        assert!(cols > 0 && x.len().is_multiple_of(cols));
        let dx = gpu.upload("column_sum x", bytemuck::cast_slice(x))?;
        let ds = gpu.output("column_sum sums", (cols * 4) as u64)?;
        let mut encoder = gpu.encoder("column_sum");
        self.record_column_sum(gpu, &mut encoder, &dx, &ds, (x.len() / cols, cols), false);
        gpu.queue.submit([encoder.finish()]);
        let mut sums = gpu.read_f32(&ds)?;
        sums.truncate(cols);
        Ok(sums)
    }

    /// Records the mask in place on `count` resident gradients.
    pub fn record_relu_grad(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        grad: &wgpu::Buffer,
        act: &wgpu::Buffer,
        count: usize,
    ) {
        let uniform = gpu.uniform("relu_grad params", bytemuck::cast_slice(&[count as u32, 0, 0, 0]));
        gpu.record(encoder, &self.relu_grad, &[grad, act, &uniform], linear_groups(count as u64, 256));
    }

    /// Records column sums of a resident `rows x cols` matrix, added to `sums` when `accumulate`.
    pub fn record_column_sum(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        x: &wgpu::Buffer,
        sums: &wgpu::Buffer,
        (rows, cols): (usize, usize),
        accumulate: bool,
    ) {
        let params = [rows as u32, cols as u32, accumulate as u32, 0];
        let uniform = gpu.uniform("column_sum params", bytemuck::cast_slice(&params));
        gpu.record(encoder, &self.column_sum, &[x, sums, &uniform], (cols.div_ceil(64) as u32, 1, 1));
    }
}
