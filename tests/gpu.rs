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
