//! coprep's real executor: preprocessing and training as wgpu compute shaders on the machine's
//! GPUs, driven by the same policies as the simulator. This is its foundation: finding the
//! devices, running a kernel, and kernels checked against plain-Rust references.
//!
//! `WGPU_BACKEND` (e.g. `vulkan`) and `WGPU_ADAPTER_NAME` (a substring of the adapter's name)
//! choose the devices; with Mesa's lavapipe installed a machine without a GPU has a Vulkan
//! device on the CPU.

pub mod calibrate;
pub mod data;
pub mod devices;
pub mod devices_set;
pub mod engine;
pub mod gpu;
pub mod kernels;
pub mod mlp;
pub mod order;
pub mod prep;
pub mod run;
pub mod trainer;
pub mod worker;
pub mod workload;

pub use devices::{adapters, describe, DeviceInfo};
pub use gpu::{Gpu, GpuError};
