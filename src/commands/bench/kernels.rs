//! `coprep bench kernels`: throughput of the executor's kernels on the first GPU adapter —
//! GFLOP/s for matmul, GB/s (bytes read and written) for each preprocessing op — with operands
//! resident on the device (transfers are not counted).

use crate::args::KernelsArgs;
use crate::table;
use anyhow::Result;
use coprep_exec::kernels::affine::{Affine, Normalization};
use coprep_exec::kernels::augment::{Augment, AugmentKernel};
use coprep_exec::kernels::gather::{upload_pixels, Gather};
use coprep_exec::kernels::matmul::MatMul;
use coprep_exec::kernels::random::{Batch, Stream};
use coprep_exec::Gpu;

pub fn run(args: KernelsArgs) -> Result<()> {
    let gpu = Gpu::first()?;
    println!("device: {}\n", gpu.name);
    let mut rows = Vec::new();
    let matmul = MatMul::new(&gpu)?;
    for &n in &args.matmul {
        rows.push(vec![
            format!("matmul {n} x {n} x {n}"),
            format!("{:.1} GFLOP/s", matmul.gflops(&gpu, n, args.reps)?),
        ]);
    }
    // The pipeline ops on a batch of `images` 32 x 32 x 3 images.
    let batch = Batch { n: args.images, h: 32, w: 32, c: 3 };
    let values = batch.len();
    let pixels = upload_pixels(&gpu, "pixels", &vec![7u8; values])?;
    let indices: Vec<u32> = (0..batch.n as u32).collect();
    let indices = gpu.upload("indices", bytemuck::cast_slice(&indices))?;
    let a = gpu.output("a", values as u64 * 4)?;
    let b = gpu.output("b", values as u64 * 4)?;
    let gb = |bytes_per_value: f64, s: f64| format!("{:.2} GB/s", bytes_per_value * values as f64 / s / 1e9);
    let label = |op: &str| format!("{op}, {} images 32 x 32 x 3", batch.n);
    let gather = Gather::new(&gpu)?;
    let s = gpu.time(args.reps, |e| gather.record(&gpu, e, [&pixels, &indices, &a], batch.n, 3072))?;
    rows.push(vec![label("batch + decode (gather)"), gb(5.0, s)]);
    let affine = Affine::new(&gpu)?;
    let norm = Normalization { mean: [0.5; 4], std: [0.25; 4], channels: 3 };
    let s = gpu.time(args.reps, |e| affine.record(&gpu, e, [&a, &b], values, &norm))?;
    rows.push(vec![label("normalise"), gb(8.0, s)]);
    let stream = Stream { seed: 1, epoch: 0, first: 0 };
    for op in [
        Augment::Crop { pad: 4 },
        Augment::Flip { p: 0.5 },
        Augment::Jitter { contrast: 0.2, brightness: 0.2 },
        Augment::Noise { sigma: 0.1 },
    ] {
        let kernel = AugmentKernel::new(&gpu, op)?;
        let s = gpu.time(args.reps, |e| kernel.record(&gpu, e, [&a, &b], batch, stream))?;
        rows.push(vec![label(op.name()), gb(8.0, s)]);
    }
    print!("{}", table::render(&["kernel", "throughput"], &rows));
    Ok(())
}
