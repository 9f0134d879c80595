//! `coprep bench kernels`: throughput of the executor's kernels on the first GPU adapter —
//! GFLOP/s for matmul, GB/s for the decode + normalise preprocessing op — with operands
//! resident on the device (transfers are not counted).

use crate::args::KernelsArgs;
use anyhow::Result;
use coprep_exec::kernels::matmul::MatMul;
use coprep_exec::kernels::normalize::Normalize;
use coprep_exec::Gpu;

pub fn run(args: KernelsArgs) -> Result<()> {
    let gpu = Gpu::first()?;
    println!("device: {}", gpu.name);
    let matmul = MatMul::new(&gpu)?;
    for &n in &args.matmul {
        println!("matmul {n} x {n} x {n}: {:.1} GFLOP/s", matmul.gflops(&gpu, n, args.reps)?);
    }
    let normalize = Normalize::new(&gpu)?;
    for &count in &args.normalize {
        println!("decode + normalise {count} values: {:.2} GB/s", normalize.gbps(&gpu, count, args.reps)?);
    }
    Ok(())
}
