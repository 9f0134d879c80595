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
        let uniform = gpu.uniform("relu_grad params", bytemuck::cast_slice(&[grad.len() as u32, 0, 0, 0]));
        gpu.dispatch(&self.relu_grad, &[&dg, &da, &uniform], linear_groups(grad.len() as u64, 256));
        gpu.read_f32(&dg)
    }

    pub fn column_sum(&self, gpu: &Gpu, x: &[f32], cols: usize) -> Result<Vec<f32>, GpuError> {
        assert!(cols > 0 && x.len().is_multiple_of(cols));
        let dx = gpu.upload("column_sum x", bytemuck::cast_slice(x))?;
        let ds = gpu.output("column_sum sums", (cols * 4) as u64)?;
        let uniform =
            gpu.uniform("column_sum params", bytemuck::cast_slice(&[(x.len() / cols) as u32, cols as u32, 0, 0]));
        gpu.dispatch(&self.column_sum, &[&dx, &ds, &uniform], (cols.div_ceil(64) as u32, 1, 1));
        let mut sums = gpu.read_f32(&ds)?;
        sums.truncate(cols);
        Ok(sums)
    }
}
