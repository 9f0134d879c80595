//! One opened device and what every kernel needs from it: buffers in and out, a compiled
//! pipeline, a dispatch. Shader and pipeline errors are captured and returned, not left to
//! wgpu's default handler (which panics), so a bad kernel fails its task, not the process.

use crate::devices;
use wgpu::util::DeviceExt;

#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    #[error("no GPU adapter found (install a Vulkan driver, e.g. Mesa's lavapipe: mesa-vulkan-drivers)")]
    NoAdapter,
    #[error("opening {device}: {message}")]
    Open { device: String, message: String },
    #[error("kernel {kernel} failed validation: {message}")]
    Validation { kernel: String, message: String },
    #[error("{what} needs {needed} bytes, more than {device} allows ({limit})")]
    TooLarge { what: String, needed: u64, limit: u64, device: String },
    #[error("reading results back from {device}: {message}")]
    Readback { device: String, message: String },
}

/// A device and its queue.
pub struct Gpu {
    pub device: wgpu::Device,
    pub queue: wgpu::Queue,
    pub name: String,
    limits: wgpu::Limits,
}

/// A compiled compute kernel: its pipeline and the layout of its bindings.
pub struct Kernel {
    pub name: String,
    pipeline: wgpu::ComputePipeline,
}

impl Gpu {
    /// Opens `adapter` with every limit it offers (large buffers for data sets and models).
    pub fn open(adapter: &wgpu::Adapter) -> Result<Gpu, GpuError> {
        let name = adapter.get_info().name;
        let limits = adapter.limits();
        let descriptor =
            wgpu::DeviceDescriptor { label: Some("coprep"), required_limits: limits.clone(), ..Default::default() };
        let (device, queue) = pollster::block_on(adapter.request_device(&descriptor))
            .map_err(|e| GpuError::Open { device: name.clone(), message: e.to_string() })?;
        Ok(Gpu { device, queue, name, limits })
    }

    /// The first device the environment allows.
    pub fn first() -> Result<Gpu, GpuError> {
        let adapter = devices::adapters().into_iter().next().ok_or(GpuError::NoAdapter)?;
        Gpu::open(&adapter)
    }

    /// Compiles a WGSL kernel (entry point `main`), reporting validation errors.
    pub fn kernel(&self, name: &str, wgsl: &str) -> Result<Kernel, GpuError> {
        let scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = self.device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some(name),
            source: wgpu::ShaderSource::Wgsl(wgsl.into()),
        });
        let pipeline = self.device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some(name),
            layout: None,
            module: &module,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        match pollster::block_on(scope.pop()) {
            Some(error) => Err(GpuError::Validation { kernel: name.to_string(), message: error.to_string() }),
            None => Ok(Kernel { name: name.to_string(), pipeline }),
        }
    }

    /// A storage buffer holding `bytes`, checked against the device's limits.
    pub fn upload(&self, what: &str, bytes: &[u8]) -> Result<wgpu::Buffer, GpuError> {
        self.check_size(what, bytes.len() as u64)?;
        Ok(self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(what),
            contents: bytes,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
        }))
    }

    /// A zeroed storage buffer of `size` bytes.
    pub fn output(&self, what: &str, size: u64) -> Result<wgpu::Buffer, GpuError> {
        self.check_size(what, size)?;
        Ok(self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some(what),
            size: size.max(4),
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        }))
    }

    /// A uniform buffer of kernel parameters.
    pub fn uniform(&self, what: &str, bytes: &[u8]) -> wgpu::Buffer {
        self.device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(what),
            contents: bytes,
            usage: wgpu::BufferUsages::UNIFORM,
        })
    }

    pub fn check_size(&self, what: &str, needed: u64) -> Result<(), GpuError> {
        let limit = self.limits.max_storage_buffer_binding_size;
        if needed > limit {
            return Err(GpuError::TooLarge { what: what.to_string(), needed, limit, device: self.name.clone() });
        }
        Ok(())
    }

    /// A command encoder to record several kernels into one submission.
    pub fn encoder(&self, label: &str) -> wgpu::CommandEncoder {
        self.device.create_command_encoder(&wgpu::CommandEncoderDescriptor { label: Some(label) })
    }

    /// Records `kernel` over `workgroups` into `encoder`, its bindings in order as group 0.
    pub fn record(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        kernel: &Kernel,
        bindings: &[&wgpu::Buffer],
        workgroups: (u32, u32, u32),
    ) {
        let layout = kernel.pipeline.get_bind_group_layout(0);
        let entries: Vec<wgpu::BindGroupEntry> = bindings
            .iter()
            .enumerate()
            .map(|(i, b)| wgpu::BindGroupEntry { binding: i as u32, resource: b.as_entire_binding() })
            .collect();
        let group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some(&kernel.name),
            layout: &layout,
            entries: &entries,
        });
        let mut pass = encoder
            .begin_compute_pass(&wgpu::ComputePassDescriptor { label: Some(&kernel.name), timestamp_writes: None });
        pass.set_pipeline(&kernel.pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups(workgroups.0, workgroups.1, workgroups.2);
    }

    /// Runs `kernel` once over `workgroups`, its bindings in order as group 0.
    pub fn dispatch(&self, kernel: &Kernel, bindings: &[&wgpu::Buffer], workgroups: (u32, u32, u32)) {
        let mut encoder = self.encoder(&kernel.name);
        self.record(&mut encoder, kernel, bindings, workgroups);
        self.queue.submit([encoder.finish()]);
    }

    /// Waits until `submission` (and everything submitted before it) has finished, not for
    /// work other threads submitted after it: what one processor of a shared device waits for.
    pub fn wait_for(&self, submission: wgpu::SubmissionIndex) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::Wait { submission_index: Some(submission), timeout: None })
            .map(|_| ())
            .map_err(|e| GpuError::Readback { device: self.name.clone(), message: e.to_string() })
    }

    /// Waits until every submitted piece of work has finished.
    pub fn wait(&self) -> Result<(), GpuError> {
        self.device
            .poll(wgpu::PollType::wait_indefinitely())
            .map(|_| ())
            .map_err(|e| GpuError::Readback { device: self.name.clone(), message: e.to_string() })
    }

    /// Seconds per submission of what `record` records (operands resident): the mean of `reps`
    /// submissions after one to warm up.
    pub fn time(&self, reps: u32, record: impl Fn(&mut wgpu::CommandEncoder)) -> Result<f64, GpuError> {
        let submit = || {
            let mut encoder = self.encoder("timed");
            record(&mut encoder);
            self.queue.submit([encoder.finish()]);
        };
        submit();
        self.wait()?;
        let start = std::time::Instant::now();
        for _ in 0..reps {
            submit();
        }
        self.wait()?;
        Ok(start.elapsed().as_secs_f64() / reps.max(1) as f64)
    }

    /// Copies a buffer back to the host (waits for the work before it).
    pub fn read(&self, buffer: &wgpu::Buffer) -> Result<Vec<u8>, GpuError> {
        self.read_range(buffer, 0, buffer.size())
    }

    /// Copies `size` bytes at `offset` of a buffer back to the host (both multiples of 4).
    pub fn read_range(&self, buffer: &wgpu::Buffer, offset: u64, size: u64) -> Result<Vec<u8>, GpuError> {
        let staging = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size: size.max(4),
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let mut encoder = self.encoder("readback");
        encoder.copy_buffer_to_buffer(buffer, offset, &staging, 0, size);
        let submission = self.queue.submit([encoder.finish()]);
        let (sender, receiver) = std::sync::mpsc::channel();
        staging.map_async(wgpu::MapMode::Read, .., move |result| {
            let _ = sender.send(result);
        });
        let fail = |message: String| GpuError::Readback { device: self.name.clone(), message };
        self.wait_for(submission)?;
        receiver.recv().map_err(|e| fail(e.to_string()))?.map_err(|e| fail(e.to_string()))?;
        let mut bytes = staging.get_mapped_range(..).map_err(|e| fail(e.to_string()))?.to_vec();
        staging.unmap();
        bytes.truncate(size as usize);
        Ok(bytes)
    }

    /// Reads a buffer of `f32`s back.
    pub fn read_f32(&self, buffer: &wgpu::Buffer) -> Result<Vec<f32>, GpuError> {
        Ok(bytemuck::cast_slice(&self.read(buffer)?).to_vec())
    }
}

/// Workgroups for `count` items, `per_group` each, over x and (past 65,535 groups) y; kernels
/// index `id.x + id.y * num_workgroups.x * per_group`.
pub fn linear_groups(count: u64, per_group: u64) -> (u32, u32, u32) {
    let groups = count.div_ceil(per_group).max(1);
    (groups.min(65_535) as u32, groups.div_ceil(65_535) as u32, 1)
}
