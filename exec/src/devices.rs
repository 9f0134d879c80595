//! The compute devices: every wgpu adapter the environment allows is a processor.

use std::fmt;

/// What `coprep devices` shows of an adapter.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceInfo {
    pub index: usize,
    pub name: String,
    pub backend: String,
    pub device_type: String,
    pub driver: String,
    pub max_buffer_size: u64,
    pub max_storage_buffer_binding_size: u64,
    pub max_compute_invocations_per_workgroup: u32,
    pub max_compute_workgroup_storage_size: u32,
}

impl fmt::Display for DeviceInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} ({}, {}{}) max buffer {} MiB, storage binding {} MiB, {} invocations and {} KiB shared per workgroup",
            self.index,
            self.name,
            self.backend,
            self.device_type,
            if self.driver.is_empty() { String::new() } else { format!(", {}", self.driver) },
            self.max_buffer_size >> 20,
            self.max_storage_buffer_binding_size >> 20,
            self.max_compute_invocations_per_workgroup,
            self.max_compute_workgroup_storage_size >> 10,
        )
    }
}

/// The instance, with backends and flags from the environment (`WGPU_BACKEND`, ...). Without
/// `WGPU_BACKEND`, the primary backends only (Vulkan, Metal, DX12): OpenGL would list the same
/// device twice, and probing it prints warnings on headless machines.
pub fn instance() -> wgpu::Instance {
    let mut descriptor = wgpu::InstanceDescriptor::new_without_display_handle_from_env();
    if std::env::var_os("WGPU_BACKEND").is_none() {
        descriptor.backends = wgpu::Backends::PRIMARY;
    }
    wgpu::Instance::new(descriptor)
}

/// Every adapter the environment allows, in the order wgpu lists them; `WGPU_ADAPTER_NAME`
/// keeps those whose name contains it (case-insensitive).
pub fn adapters() -> Vec<wgpu::Adapter> {
    let all = pollster::block_on(instance().enumerate_adapters(wgpu::Backends::all()));
    let wanted = std::env::var("WGPU_ADAPTER_NAME").ok().map(|n| n.to_lowercase());
    all.into_iter().filter(|a| wanted.as_ref().is_none_or(|w| a.get_info().name.to_lowercase().contains(w))).collect()
}

/// What an adapter is and what it allows.
pub fn describe(index: usize, adapter: &wgpu::Adapter) -> DeviceInfo {
    let info = adapter.get_info();
    let limits = adapter.limits();
    DeviceInfo {
        index,
        name: info.name,
        backend: format!("{:?}", info.backend).to_lowercase(),
        device_type: format!("{:?}", info.device_type),
        driver: [info.driver, info.driver_info].iter().filter(|s| !s.is_empty()).cloned().collect::<Vec<_>>().join(" "),
        max_buffer_size: limits.max_buffer_size,
        max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
        max_compute_invocations_per_workgroup: limits.max_compute_invocations_per_workgroup,
        max_compute_workgroup_storage_size: limits.max_compute_workgroup_storage_size,
    }
}
