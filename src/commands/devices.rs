//! `coprep devices`: the GPU adapters the executor would use (`WGPU_BACKEND` and
//! `WGPU_ADAPTER_NAME` choose among them).

use anyhow::Result;

pub fn run() -> Result<()> {
    let adapters = coprep_exec::adapters();
    if adapters.is_empty() {
        println!("no GPU adapter found; install a Vulkan driver (on a machine without a GPU, Mesa's lavapipe:");
        println!("apt-get install mesa-vulkan-drivers libvulkan1), or check WGPU_BACKEND / WGPU_ADAPTER_NAME");
        return Ok(());
    }
    for (i, adapter) in adapters.iter().enumerate() {
        println!("{}", coprep_exec::describe(i, adapter));
    }
    Ok(())
}
