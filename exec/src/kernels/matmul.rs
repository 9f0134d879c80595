//! Tiled matrix multiply (`matmul.wgsl`), the core of the MLP's forward and backward passes.

use crate::gpu::{Gpu, GpuError, Kernel};

pub const WGSL: &str = include_str!("matmul.wgsl");
const TILE: usize = 16;

/// The plain-Rust reference: `c = a x b`, row-major, `a` m x k, `b` k x n, summed in k order.
pub fn reference(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    reference_t(a, b, m, k, n, false, false)
}

/// The reference with transposed operands: `a` stored k x m when `ta`, `b` stored n x k when `tb`.
pub fn reference_t(a: &[f32], b: &[f32], m: usize, k: usize, n: usize, ta: bool, tb: bool) -> Vec<f32> {
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f32;
            for p in 0..k {
                let x = if ta { a[p * m + i] } else { a[i * k + p] };
                let y = if tb { b[j * k + p] } else { b[p * n + j] };
                acc += x * y;
            }
            c[i * n + j] = acc;
        }
    }
    c
}

/// One product's shape: `op(A)` is `m x k`, `op(B)` is `k x n`; `ta`/`tb` say the operand is
/// stored transposed; `accumulate` adds to C.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub m: usize,
    pub k: usize,
    pub n: usize,
    pub ta: bool,
    pub tb: bool,
    pub accumulate: bool,
}

pub struct MatMul {
    kernel: Kernel,
}

impl MatMul {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(MatMul { kernel: gpu.kernel("matmul", WGSL)? })
    }

    /// `a x b` on `gpu`.
    pub fn run(&self, gpu: &Gpu, a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Result<Vec<f32>, GpuError> {
        self.run_t(gpu, a, b, (m, k, n), (false, false))
    }

    /// `op(a) x op(b)` with `(m, k, n)` the shape of the product and `(ta, tb)` which operands are
    /// stored transposed.
    pub fn run_t(
        &self,
        gpu: &Gpu,
        a: &[f32],
        b: &[f32],
        (m, k, n): (usize, usize, usize),
        (ta, tb): (bool, bool),
    ) -> Result<Vec<f32>, GpuError> {
        assert_eq!((a.len(), b.len()), (m * k, k * n), "matrix shapes");
        let da = gpu.upload("matmul a", bytemuck::cast_slice(a))?;
        let db = gpu.upload("matmul b", bytemuck::cast_slice(b))?;
        let dc = gpu.output("matmul c", (m * n * 4) as u64)?;
        let mut encoder = gpu.encoder("matmul");
        self.record(gpu, &mut encoder, [&da, &db, &dc], Shape { m, k, n, ta, tb, accumulate: false });
        gpu.queue.submit([encoder.finish()]);
        gpu.read_f32(&dc)
    }

    /// Records `C (+)= op(A) op(B)` on resident buffers.
    pub fn record(&self, gpu: &Gpu, encoder: &mut wgpu::CommandEncoder, [a, b, c]: [&wgpu::Buffer; 3], s: Shape) {
        let dims = [s.m as u32, s.n as u32, s.k as u32, s.ta as u32, s.tb as u32, s.accumulate as u32, 0, 0];
        let uniform = gpu.uniform("matmul dims", bytemuck::cast_slice(&dims));
        let groups = (s.n.div_ceil(TILE) as u32, s.m.div_ceil(TILE) as u32, 1);
        gpu.record(encoder, &self.kernel, &[a, b, c, &uniform], groups);
    }

    /// Measured GFLOP/s of an `n x n` by `n x n` product (2n³ operations), operands resident.
    pub fn gflops(&self, gpu: &Gpu, n: usize, reps: u32) -> Result<f64, GpuError> {
        let ones = vec![1.0f32; n * n];
        let da = gpu.upload("matmul a", bytemuck::cast_slice(&ones))?;
        let db = gpu.upload("matmul b", bytemuck::cast_slice(&ones))?;
        let dc = gpu.output("matmul c", (n * n * 4) as u64)?;
        let shape = Shape { m: n, k: n, n, ta: false, tb: false, accumulate: false };
        let seconds = gpu.time(reps, |e| self.record(gpu, e, [&da, &db, &dc], shape))?;
        Ok(2.0 * (n as f64).powi(3) / seconds / 1e9)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reference_by_hand() {
        // [1 2; 3 4] x [5 6; 7 8] = [19 22; 43 50]; a 1x3 by 3x1 is a dot product.
        assert_eq!(
            super::reference(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0], 2, 2, 2),
            vec![19.0, 22.0, 43.0, 50.0]
        );
        assert_eq!(super::reference(&[1.0, 2.0, 3.0], &[4.0, 5.0, 6.0], 1, 3, 1), vec![32.0]);
    }
}
