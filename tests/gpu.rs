//! The executor's kernels against their plain-Rust references, on whatever GPU adapter the
//! machine has (lavapipe in CI). Without one they skip with a notice, unless
//! `COPREP_REQUIRE_GPU=1`, which CI sets so that a missing driver fails loudly.

use coprep_exec::kernels::affine::{self, Normalization};
use coprep_exec::kernels::gather;
use coprep_exec::kernels::matmul::{self, MatMul};
use coprep_exec::{Gpu, GpuError};
use rand::{Rng, SeedableRng};

pub fn gpu() -> Option<Gpu> {
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
        // Crop and flip move values: exact. Jitter is a multiply-add, which WGSL lets a device
        // fuse into one rounding (NVIDIA's driver does; measured on an H100: 2e-9 apart), so it
        // may differ from Rust's two roundings by about an ulp of the values (|v| <= 2.4).
        // Noise goes through log and cos, which differ between the device and Rust by a few ulps.
        let tol = match op {
            Augment::Noise { .. } => 1e-5,
            Augment::Jitter { .. } => 4e-7,
            _ => 0.0,
        };
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

#[test]
fn backward_kernels_match_their_references() {
    use coprep_exec::kernels::backward::{column_sum_reference, relu_grad_reference, Backward};
    let Some(gpu) = gpu() else { return };
    let mut rng = rand::rngs::StdRng::seed_from_u64(17);
    let matmul = MatMul::new(&gpu).unwrap();
    for (m, k, n) in [(3, 5, 2), (17, 40, 33)] {
        for (ta, tb) in [(true, false), (false, true), (true, true)] {
            let a: Vec<f32> = (0..m * k).map(|_| rng.random_range(-1.0..1.0)).collect();
            let b: Vec<f32> = (0..k * n).map(|_| rng.random_range(-1.0..1.0)).collect();
            let got = matmul.run_t(&gpu, &a, &b, (m, k, n), (ta, tb)).unwrap();
            close(&got, &matmul::reference_t(&a, &b, m, k, n, ta, tb), 1e-6 * k as f32, "matmul transposed");
        }
    }
    let backward = Backward::new(&gpu).unwrap();
    let grad: Vec<f32> = (0..300).map(|_| rng.random_range(-1.0..1.0)).collect();
    let act: Vec<f32> = (0..300).map(|_| rng.random_range(-1.0..1.0f32).max(0.0)).collect();
    close(&backward.relu_grad(&gpu, &grad, &act).unwrap(), &relu_grad_reference(&grad, &act), 0.0, "relu_grad");
    close(&backward.column_sum(&gpu, &grad, 30).unwrap(), &column_sum_reference(&grad, 30), 1e-6, "column sums");
}

#[test]
fn an_mlp_learns_the_digits() {
    use coprep_exec::mlp::{Mlp, MlpKernels};
    let Some(gpu) = gpu() else { return };
    let Some(path) = crate::importers::shared("digits/digits.csv.gz") else { return };
    let set = coprep_exec::data::digits::read(&path).unwrap();
    // Every sixth image held out (299 of 1,797), spread over the file.
    let (train, held_out) = set.split_every(6);
    let norm = Normalization { mean: [0.5; 4], std: [0.5; 4], channels: 1 };
    // Decoded and normalised on the host (the kernels are checked against these elsewhere).
    let decode = |s: &coprep_exec::data::ImageSet| {
        let all: Vec<u32> = (0..s.len() as u32).collect();
        affine::reference(&gather::reference(&s.pixels, 64, &all), &norm)
    };
    let (x_train, x_test) = (decode(&train), decode(&held_out));
    let labels = |s: &coprep_exec::data::ImageSet| s.labels.iter().map(|&l| l as u32).collect::<Vec<u32>>();
    let (y_train, y_test) = (labels(&train), labels(&held_out));
    let kernels = MlpKernels::new(&gpu).unwrap();
    let mut mlp = Mlp::new(&[64, 128, 10], 1);
    let batch = 100;
    let mut epoch_losses = Vec::new();
    for _ in 0..10 {
        let mut total = 0.0;
        for start in (0..y_train.len()).step_by(batch) {
            let end = (start + batch).min(y_train.len());
            let loss = mlp
                .train_step(&gpu, &kernels, &x_train[start * 64..end * 64], &y_train[start..end], 0.02, 0.9)
                .unwrap();
            total += loss;
        }
        epoch_losses.push(total / y_train.len().div_ceil(batch) as f32);
    }
    // The loss falls, and the held-out accuracy is at least 90% (the bar).
    assert!(epoch_losses[9] < 0.5 * epoch_losses[0], "{epoch_losses:?}");
    let accuracy = mlp.accuracy(&gpu, &kernels, &x_test, &y_test).unwrap();
    eprintln!("digits MLP 64-128-10, 10 epochs: held-out accuracy {accuracy:.3}, epoch losses {epoch_losses:?}");
    assert!(accuracy >= 0.9, "held-out accuracy {accuracy}, losses {epoch_losses:?}");
}

#[test]
fn the_resident_trainer_with_micro_batches_matches_the_plain_mlp() {
    use coprep_exec::mlp::{Mlp, MlpKernels};
    use coprep_exec::trainer::Trainer;
    let Some(gpu) = gpu() else { return };
    let kernels = MlpKernels::new(&gpu).unwrap();
    let widths = [12, 16, 8, 3];
    let (batch, micro) = (8, 2);
    let mut rng = rand::rngs::StdRng::seed_from_u64(5);
    let mut plain = Mlp::new(&widths, 9);
    let mut resident = Trainer::new(&gpu, &widths, 9, batch, micro).unwrap();
    for step in 0..3 {
        let x: Vec<f32> = (0..batch * widths[0]).map(|_| rng.random_range(-1.0..1.0)).collect();
        let labels: Vec<u32> = (0..batch).map(|_| rng.random_range(0..3)).collect();
        let input = gpu.upload("x", bytemuck::cast_slice(&x)).unwrap();
        // Four micro-batches of two, gradients summed and scaled: the whole batch's mean.
        // The batch in three pieces at odd offsets, as rows come out of a ring.
        let rows = |offset: u64, n: usize| coprep_exec::trainer::Rows { buffer: &input, offset: offset * 48, rows: n };
        let got = resident.step(&gpu, &kernels, &[rows(0, 3), rows(3, 4), rows(7, 1)], &labels, 0.1, 0.9).unwrap();
        let want = plain.train_step(&gpu, &kernels, &x, &labels, 0.1, 0.9).unwrap();
        assert!((got - want).abs() < 1e-5, "step {step}: loss {got} vs {want}");
    }
    let state = resident.download(&gpu).unwrap();
    let (weights, biases) = plain.parameters();
    for (l, s) in state.iter().enumerate() {
        for (got, want) in s[0].iter().zip(&weights[l]).chain(s[1].iter().zip(&biases[l])) {
            assert!((got - want).abs() < 1e-5, "layer {l}: {got} vs {want}");
        }
    }
}

#[test]
fn a_shared_stream_computes_each_pipeline_bit_identically_to_computing_it_alone() {
    use coprep_exec::kernels::gather;
    use coprep_exec::prep::{record_span, spans, Op, Pipeline, PrepKernels, Shape, SpanInput};
    use coprep_exec::workload::StageSpec;
    let Some(gpu) = gpu() else { return };
    let kernels = PrepKernels::new(&gpu).unwrap();
    let set = coprep_exec::data::synthetic::generate(40, 8, 3, 2);
    let pixels = gather::upload_pixels(&gpu, "pixels", &set.pixels).unwrap();
    let stage = |op: &str, params: serde_json::Value| {
        let spec = StageSpec { op: op.into(), params: serde_json::from_value(params).unwrap() };
        let parsed = Op::parse(&spec, std::path::Path::new(".")).unwrap();
        (spec.stage().key(), parsed)
    };
    let prefix = vec![
        stage("decode", serde_json::json!({})),
        stage("normalize", serde_json::json!({"mean": [0.1, 0.2, 0.3], "std": 0.5})),
        stage("flip", serde_json::json!({"p": 0.5, "seed": 4})),
    ];
    let pipeline = |extra: Vec<(String, Op)>| Pipeline { id: "p".into(), stages: [prefix.clone(), extra].concat() };
    let a = pipeline(vec![stage("noise", serde_json::json!({"sigma": 0.1, "seed": 1}))]);
    let b = pipeline(vec![stage("crop", serde_json::json!({"pad": 2, "seed": 2}))]);
    let c = pipeline(vec![stage("jitter", serde_json::json!({"seed": 3}))]);
    let shape = Shape { h: 8, w: 8, c: 3 };
    // Positions 30..50 of a 40-image epoch: the span crosses into epoch 1.
    let read = |leaves: &[&Pipeline], position: u64, rows: u64| -> Vec<Vec<f32>> {
        let mut out = vec![Vec::new(); leaves.len()];
        for span in spans(position, rows, 40, u64::MAX) {
            let images: Vec<u32> =
                (span.position..span.position + span.rows as u64).map(|q| (q * 7 % 40) as u32).collect();
            let indices = gpu.upload("indices", bytemuck::cast_slice(&images)).unwrap();
            let mut encoder = gpu.encoder("test");
            let input = SpanInput { pixels: &pixels, indices: &indices, shape, span };
            let recorded = record_span(&gpu, &kernels, &mut encoder, &input, leaves);
            assert_eq!(recorded.dispatches as usize, if leaves.len() == 3 { 6 } else { 4 * leaves.len() });
            gpu.queue.submit([encoder.finish()]);
            for (o, buf) in out.iter_mut().zip(recorded.outputs) {
                o.extend(gpu.read_f32(&buf.unwrap()).unwrap());
            }
        }
        out
    };
    let together = read(&[&a, &b, &c], 30, 20);
    for (i, alone) in [&a, &b, &c].iter().enumerate() {
        let own = read(&[alone], 30, 20).remove(0);
        assert_eq!(own.len(), 20 * 192);
        assert!(own.iter().zip(&together[i]).all(|(x, y)| x.to_bits() == y.to_bits()), "pipeline {i} differs");
        // And batch boundaries do not matter either: the same positions read in two pieces.
        let pieces = [read(&[alone], 30, 7).remove(0), read(&[alone], 37, 13).remove(0)].concat();
        assert!(own.iter().zip(&pieces).all(|(x, y)| x.to_bits() == y.to_bits()), "pipeline {i} by pieces");
    }
}

#[test]
fn batching_and_normalising_match_their_references() {
    let Some(gpu) = gpu() else { return };
    let g = gather::Gather::new(&gpu).unwrap();
    let a = affine::Affine::new(&gpu).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    // Odd image sizes: rows start mid-word in the packed pixels.
    for (images, image_bytes, rows, channels) in [(10usize, 3usize, 7usize, 3u32), (50, 64, 33, 1), (5, 13, 12, 1)] {
        let pixels: Vec<u8> = (0..images * image_bytes).map(|_| rng.random()).collect();
        let indices: Vec<u32> = (0..rows).map(|_| rng.random_range(0..images as u32)).collect();
        let dp = gather::upload_pixels(&gpu, "pixels", &pixels).unwrap();
        let di = gpu.upload("indices", bytemuck::cast_slice(&indices)).unwrap();
        let decoded = gpu.output("decoded", (rows * image_bytes * 4) as u64).unwrap();
        let normed = gpu.output("normalised", (rows * image_bytes * 4) as u64).unwrap();
        let norm = Normalization { mean: [0.4, 0.5, 0.6, 0.0], std: [0.2, 0.25, 0.3, 1.0], channels };
        let mut encoder = gpu.encoder("test");
        g.record(&gpu, &mut encoder, [&dp, &di, &decoded], rows, image_bytes);
        a.record(&gpu, &mut encoder, [&decoded, &normed], rows * image_bytes, &norm);
        gpu.queue.submit([encoder.finish()]);
        let want = gather::reference(&pixels, image_bytes, &indices);
        // Decoding divides a byte by 255: exact where the device divides exactly (lavapipe),
        // within WGSL's 2.5 ulp for division elsewhere (an H100 was 1 ulp off on some bytes).
        let decoded = gpu.read_f32(&decoded).unwrap();
        assert_eq!(decoded.len(), want.len(), "decoded length");
        for (got, want) in decoded.iter().zip(&want) {
            let ulp = f32::from_bits(want.to_bits() + 1) - want;
            assert!((got - want).abs() <= 2.5 * ulp, "decoded {got} vs {want}");
        }
        let want = affine::reference(&want, &norm);
        for (got, want) in gpu.read_f32(&normed).unwrap().iter().zip(&want) {
            assert!((got - want).abs() <= 1e-6 * want.abs().max(1.0), "{got} vs {want}");
        }
    }
}
