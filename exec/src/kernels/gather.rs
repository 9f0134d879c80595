//! Batching (`gather.wgsl`): the images a batch is made of, picked by index out of the data set
//! resident on the device and decoded to `f32` in [0, 1].

use crate::gpu::{linear_groups, Gpu, Kernel};

pub const WGSL: &str = include_str!("gather.wgsl");

pub fn reference(pixels: &[u8], image_bytes: usize, indices: &[u32]) -> Vec<f32> {
    indices
        .iter()
        .flat_map(|&i| &pixels[i as usize * image_bytes..(i as usize + 1) * image_bytes])
        .map(|&b| b as f32 / 255.0)
        .collect()
}

/// The data set's pixels as a storage buffer (packed four bytes to a word, zero-padded).
pub fn upload_pixels(gpu: &Gpu, what: &str, pixels: &[u8]) -> Result<wgpu::Buffer, crate::GpuError> {
    let mut padded = pixels.to_vec();
    padded.resize(pixels.len().div_ceil(4).max(1) * 4, 0);
    gpu.upload(what, &padded)
}

pub struct Gather {
    kernel: Kernel,
}

impl Gather {
    pub fn new(gpu: &Gpu) -> Result<Self, crate::GpuError> {
        Ok(Gather { kernel: gpu.kernel("gather", WGSL)? })
    }

    /// Records `out[r] = decode(pixels[indices[r]])` for `rows` rows.
    pub fn record(
        &self,
        gpu: &Gpu,
        encoder: &mut wgpu::CommandEncoder,
        [pixels, indices, out]: [&wgpu::Buffer; 3],
        rows: usize,
        image_bytes: usize,
    ) {
        let count = rows * image_bytes;
        let params = [count as u32, image_bytes as u32, 0, 0];
        let uniform = gpu.uniform("gather params", bytemuck::cast_slice(&params));
        gpu.record(encoder, &self.kernel, &[pixels, indices, out, &uniform], linear_groups(count as u64, 256));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn reference_by_hand() {
        let pixels = [0u8, 255, 51, 102];
        assert_eq!(super::reference(&pixels, 2, &[1, 0, 1]), vec![0.2, 0.4, 0.0, 1.0, 0.2, 0.4]);
    }
}
