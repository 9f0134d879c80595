//! The executor's kernels against their plain-Rust references, on whatever GPU adapter the
//! machine has (lavapipe in CI). Without one they skip with a notice, unless
//! `COPREP_REQUIRE_GPU=1`, which CI sets so that a missing driver fails loudly.

use coprep_exec::kernels::matmul::{self, MatMul};
use coprep_exec::kernels::normalize::{self, Normalization, Normalize};
use coprep_exec::{Gpu, GpuError};
use rand::{Rng, SeedableRng};

fn gpu() -> Option<Gpu> {
    match Gpu::first() {
        Ok(gpu) => Some(gpu),
        Err(e) if std::env::var("COPREP_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("COPREP_REQUIRE_GPU=1 but no GPU: {e}")
        }
        Err(e) => {
            eprintln!("skipping a GPU test: {e}");
            None
        }
    }
}

#[test]
fn normalize_matches_its_reference() {
    let Some(gpu) = gpu() else { return };
    let kernel = Normalize::new(&gpu).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(3);
    for (len, channels) in [(1usize, 1u32), (7, 3), (3 * 32 * 32 * 5, 3), (70_001, 1), (4096, 4)] {
        let bytes: Vec<u8> = (0..len).map(|_| rng.random()).collect();
        let norm = Normalization { mean: [0.49, 0.48, 0.45, 0.5], std: [0.25, 0.24, 0.26, 0.3], channels };
        let got = kernel.run(&gpu, &bytes, &norm).unwrap();
        let want = normalize::reference(&bytes, &norm);
        assert_eq!(got.len(), want.len());
        // Both compute in f32; a division may round differently by an ulp.
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= 1e-6 * w.abs().max(1.0), "{len}x{channels} at {i}: {g} vs {w}");
        }
    }
}

#[test]
fn matmul_matches_its_reference() {
    let Some(gpu) = gpu() else { return };
    let kernel = MatMul::new(&gpu).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    // Shapes on and off the 16 x 16 tiles.
    for (m, k, n) in [(1, 1, 1), (16, 16, 16), (17, 33, 5), (64, 784, 128), (100, 3, 250)] {
        let a: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
        let got = kernel.run(&gpu, &a, &b, m, k, n).unwrap();
        let want = matmul::reference(&a, &b, m, k, n);
        // Sums of k products of values in [-1, 1]: allow rounding of k terms.
        let tol = 1e-6 * k as f32;
        for (i, (g, w)) in got.iter().zip(&want).enumerate() {
            assert!((g - w).abs() <= tol, "{m}x{k}x{n} at {i}: {g} vs {w}");
        }
    }
}

#[test]
fn a_shader_that_fails_validation_is_an_error_not_a_crash() {
    let Some(gpu) = gpu() else { return };
    let broken = "@compute @workgroup_size(1) fn main() { let x: u32 = 1.5; }";
    match gpu.kernel("broken", broken) {
        Err(GpuError::Validation { kernel, message }) => {
            assert_eq!(kernel, "broken");
            assert!(!message.is_empty());
        }
        Err(e) => panic!("expected a validation error, got {e}"),
        Ok(_) => panic!("an invalid shader compiled"),
    }
    // The device still works afterwards.
    let kernel = MatMul::new(&gpu).unwrap();
    assert_eq!(kernel.run(&gpu, &[2.0], &[3.0], 1, 1, 1).unwrap(), vec![6.0]);
}

#[test]
fn buffers_beyond_the_device_limit_are_refused() {
    let Some(gpu) = gpu() else { return };
    let limit = gpu.device.limits().max_storage_buffer_binding_size;
    match gpu.output("huge", limit + 4) {
        Err(GpuError::TooLarge { needed, limit: l, .. }) => assert_eq!((needed, l), (limit + 4, limit)),
        other => panic!("expected TooLarge, got {:?}", other.map(|_| ())),
    }
}

fn close(got: &[f32], want: &[f32], tol: f32, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * w.abs().max(1.0), "{what} at {i}: {g} vs {w}");
    }
}

#[test]
fn bias_relu_matches_its_reference() {
    let Some(gpu) = gpu() else { return };
    let kernel = coprep_exec::kernels::bias_relu::BiasRelu::new(&gpu).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    for (rows, cols) in [(1, 1), (3, 10), (257, 33)] {
        let x: Vec<f32> = (0..rows * cols).map(|_| rng.random_range(-2.0..2.0)).collect();
        let bias: Vec<f32> = (0..cols).map(|_| rng.random_range(-1.0..1.0)).collect();
        for relu in [false, true] {
            let got = kernel.run(&gpu, &x, &bias, relu).unwrap();
            close(&got, &coprep_exec::kernels::bias_relu::reference(&x, &bias, relu), 0.0, "bias_relu");
        }
    }
}

#[test]
fn softmax_cross_entropy_matches_its_reference() {
    let Some(gpu) = gpu() else { return };
    let kernel = coprep_exec::kernels::softmax_xent::SoftmaxXent::new(&gpu).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9);
    for (rows, classes) in [(1, 2), (5, 10), (130, 10)] {
        // Large logits too: the kernel must subtract the row maximum to stay finite.
        let logits: Vec<f32> = (0..rows * classes).map(|_| rng.random_range(-30.0..30.0)).collect();
        let labels: Vec<u32> = (0..rows).map(|_| rng.random_range(0..classes as u32)).collect();
        let (grad, loss) = kernel.run(&gpu, &logits, &labels, classes).unwrap();
        let (want_grad, want_loss) = coprep_exec::kernels::softmax_xent::reference(&logits, &labels, classes);
        // exp and log differ between the GPU and Rust's libm by a few ulps.
        close(&loss, &want_loss, 1e-5, "loss");
        close(&grad, &want_grad, 1e-5, "gradient");
        // Each gradient row sums to zero (softmax sums to one, minus the one-hot).
        for r in 0..rows {
            let sum: f32 = grad[r * classes..(r + 1) * classes].iter().sum();
            assert!(sum.abs() < 1e-5, "row {r} sums to {sum}");
        }
    }
}

#[test]
fn sgd_momentum_matches_its_reference() {
    let Some(gpu) = gpu() else { return };
    let kernel = coprep_exec::kernels::sgd::Sgd::new(&gpu).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let n = 1000;
    let mut w: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
    let mut v = vec![0.0f32; n];
    let (mut rw, mut rv) = (w.clone(), v.clone());
    // Three steps, so the velocity carries over.
    for _ in 0..3 {
        let g: Vec<f32> = (0..n).map(|_| rng.random_range(-1.0..1.0)).collect();
        (w, v) = kernel.run(&gpu, &w, &v, &g, 0.1, 0.9).unwrap();
        coprep_exec::kernels::sgd::reference(&mut rw, &mut rv, &g, 0.1, 0.9);
    }
    close(&w, &rw, 1e-6, "weights");
    close(&v, &rv, 1e-6, "velocities");
}

#[test]
fn augmentations_match_their_references_and_ignore_batching() {
    use coprep_exec::kernels::augment::{Augment, AugmentKernel};
    use coprep_exec::kernels::random::{Batch, Stream};
    let Some(gpu) = gpu() else { return };
    let mut rng = rand::rngs::StdRng::seed_from_u64(13);
    let batch = Batch { n: 6, h: 9, w: 7, c: 3 };
    let src: Vec<f32> = (0..batch.len()).map(|_| rng.random_range(-2.0..2.0)).collect();
    let stream = Stream { seed: 42, epoch: 3, first: 100 };
    let ops = [
        Augment::Crop { pad: 2 },
        Augment::Flip { p: 0.5 },
        Augment::Jitter { contrast: 0.2, brightness: 0.2 },
        Augment::Noise { sigma: 0.1 },
    ];
    for op in ops {
        let kernel = AugmentKernel::new(&gpu, op).unwrap();
        let got = kernel.run(&gpu, &src, batch, stream).unwrap();
        let want = op.reference(&src, batch, stream);
        // Crop and flip move values, jitter is one multiply-add: exact. Noise goes through log
        // and cos, which differ between the device and Rust by a few ulps.
        let tol = if matches!(op, Augment::Noise { .. }) { 1e-5 } else { 0.0 };
        close(&got, &want, tol, op.name());
        assert_ne!(got, src, "{} changed nothing", op.name());
        // The last two images alone, as a batch of their own starting at their sample index,
        // come out the same: a sample's augmentation does not depend on its batch.
        let tail = Batch { n: 2, ..batch };
        let per = batch.h * batch.w * batch.c;
        let alone = kernel.run(&gpu, &src[4 * per..], tail, Stream { first: 104, ..stream }).unwrap();
        assert_eq!(alone, got[4 * per..].to_vec(), "{}", op.name());
    }
}
