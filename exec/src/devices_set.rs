//! The devices a run uses, each opened once with its kernels compiled and every data set
//! resident, and the processors (slots) they are split into.

use crate::gpu::{Gpu, GpuError};
use crate::kernels::gather::upload_pixels;
use crate::mlp::MlpKernels;
use crate::prep::PrepKernels;
use crate::run::ExecError;
use crate::workload::Loaded;
use coprep_traces::InputError;

/// One opened device.
pub struct Device {
    pub gpu: Gpu,
    pub prep: PrepKernels,
    pub mlp: MlpKernels,
    /// Per data set, its training images' pixels.
    pub pixels: Vec<wgpu::Buffer>,
}

impl Device {
    pub fn open(adapter: &wgpu::Adapter, loaded: &Loaded) -> Result<Device, GpuError> {
        let gpu = Gpu::open(adapter)?;
        let prep = PrepKernels::new(&gpu)?;
        let mlp = MlpKernels::new(&gpu)?;
        let pixels = loaded
            .data
            .iter()
            .map(|d| upload_pixels(&gpu, &format!("data set {}", d.id), &d.train.pixels))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Device { gpu, prep, mlp, pixels })
    }
}

/// Which adapters to open: all of them, or a list of indices into `adapters()` (repeats open
/// the same adapter again as a separate device, which exercises cross-device copies on a
/// machine with one GPU).
pub fn choose(adapters: Vec<wgpu::Adapter>, pick: Option<&[usize]>) -> Result<Vec<wgpu::Adapter>, ExecError> {
    if adapters.is_empty() {
        return Err(GpuError::NoAdapter.into());
    }
    match pick {
        None => Ok(adapters),
        Some(list) => list
            .iter()
            .map(|&i| {
                adapters.get(i).cloned().ok_or_else(|| {
                    let message =
                        format!("there is no adapter {i} (there are {}; see `coprep devices`)", adapters.len());
                    InputError::field("--devices", message).into()
                })
            })
            .collect(),
    }
}
