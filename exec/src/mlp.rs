//! A multilayer perceptron trained on the device: dense layers (tiled matmul, bias, ReLU), softmax
//! cross entropy, the backward pass (matmul with transposed operands, the ReLU's mask, column sums)
//! and SGD with momentum — every arithmetic step a kernel; the host only sequences them.
//!
//! Buffers go up and come back at every kernel here: the plain form, used to check the
//! resident one (`trainer.rs`, what the executor trains with) against.

use crate::gpu::{Gpu, GpuError};
use crate::kernels::backward::Backward;
use crate::kernels::bias_relu::BiasRelu;
use crate::kernels::matmul::MatMul;
use crate::kernels::sgd::Sgd;
use crate::kernels::softmax_xent::SoftmaxXent;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The compiled kernels an MLP needs.
pub struct MlpKernels {
    pub(crate) matmul: MatMul,
    pub(crate) bias_relu: BiasRelu,
    pub(crate) xent: SoftmaxXent,
    pub(crate) backward: Backward,
    pub(crate) sgd: Sgd,
}

impl MlpKernels {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(MlpKernels {
            matmul: MatMul::new(gpu)?,
            bias_relu: BiasRelu::new(gpu)?,
            xent: SoftmaxXent::new(gpu)?,
            backward: Backward::new(gpu)?,
            sgd: Sgd::new(gpu)?,
        })
    }
}

/// Layer widths from input to classes, weights (`widths[l] x widths[l + 1]`, row-major), biases,
/// and their momentum velocities.
pub struct Mlp {
    pub widths: Vec<usize>,
    weights: Vec<Vec<f32>>,
    biases: Vec<Vec<f32>>,
    weight_velocity: Vec<Vec<f32>>,
    bias_velocity: Vec<Vec<f32>>,
}

impl Mlp {
    /// He-uniform initial weights, zero biases, seeded.
    pub fn new(widths: &[usize], seed: u64) -> Self {
        assert!(widths.len() >= 2, "an input and an output width at least");
        let mut rng = StdRng::seed_from_u64(seed);
        let weights: Vec<Vec<f32>> = widths
            .windows(2)
            .map(|w| {
                let bound = (6.0 / w[0] as f32).sqrt();
                (0..w[0] * w[1]).map(|_| rng.random_range(-bound..bound)).collect()
            })
            .collect();
        let biases: Vec<Vec<f32>> = widths[1..].iter().map(|&w| vec![0.0; w]).collect();
        Mlp {
            widths: widths.to_vec(),
            weight_velocity: weights.iter().map(|w| vec![0.0; w.len()]).collect(),
            bias_velocity: biases.iter().map(|b| vec![0.0; b.len()]).collect(),
            weights,
            biases,
        }
    }

    /// Weights and biases per layer.
    pub fn parameters(&self) -> (&[Vec<f32>], &[Vec<f32>]) {
        (&self.weights, &self.biases)
    }

    fn layers(&self) -> usize {
        self.widths.len() - 1
    }

    /// Every layer's output for `rows` inputs, the input first and the logits last.
    pub fn forward(&self, gpu: &Gpu, k: &MlpKernels, x: &[f32], rows: usize) -> Result<Vec<Vec<f32>>, GpuError> {
        let mut acts = vec![x.to_vec()];
        for l in 0..self.layers() {
            let (fan_in, fan_out) = (self.widths[l], self.widths[l + 1]);
            let z = k.matmul.run(gpu, &acts[l], &self.weights[l], rows, fan_in, fan_out)?;
            let relu = l + 1 < self.layers();
            acts.push(k.bias_relu.run(gpu, &z, &self.biases[l], relu)?);
        }
        Ok(acts)
    }

    /// One step of SGD with momentum on a batch; returns its mean loss.
    pub fn train_step(
        &mut self,
        gpu: &Gpu,
        k: &MlpKernels,
        x: &[f32],
        labels: &[u32],
        lr: f32,
        momentum: f32,
    ) -> Result<f32, GpuError> {
        let rows = labels.len();
        let acts = self.forward(gpu, k, x, rows)?;
        let classes = *self.widths.last().expect("widths");
        let (mut grad, losses) = k.xent.run(gpu, &acts[self.layers()], labels, classes)?;
        for l in (0..self.layers()).rev() {
            let (fan_in, fan_out) = (self.widths[l], self.widths[l + 1]);
            // dW = a^T dz, db = column sums of dz, da = dz W^T (masked by the ReLU below).
            let dw = k.matmul.run_t(gpu, &acts[l], &grad, (fan_in, rows, fan_out), (true, false))?;
            let db = k.backward.column_sum(gpu, &grad, fan_out)?;
            if l > 0 {
                let da = k.matmul.run_t(gpu, &grad, &self.weights[l], (rows, fan_out, fan_in), (false, true))?;
                grad = k.backward.relu_grad(gpu, &da, &acts[l])?;
            }
            (self.weights[l], self.weight_velocity[l]) =
                k.sgd.run(gpu, &self.weights[l], &self.weight_velocity[l], &dw, lr, momentum)?;
            (self.biases[l], self.bias_velocity[l]) =
                k.sgd.run(gpu, &self.biases[l], &self.bias_velocity[l], &db, lr, momentum)?;
        }
        Ok(losses.iter().sum::<f32>() / rows as f32)
    }

    /// The share of `labels` the model predicts (largest logit).
    pub fn accuracy(&self, gpu: &Gpu, k: &MlpKernels, x: &[f32], labels: &[u32]) -> Result<f32, GpuError> {
        let acts = self.forward(gpu, k, x, labels.len())?;
        let classes = *self.widths.last().expect("widths");
        let right = correct(&acts[self.layers()], labels, classes);
        Ok(right as f32 / labels.len().max(1) as f32)
    }
}

/// How many rows of `logits` (`classes` wide) have their largest value at the row's label.
pub fn correct(logits: &[f32], labels: &[u32], classes: usize) -> usize {
    labels
        .iter()
        .enumerate()
        .filter(|&(r, &label)| {
            let row = &logits[r * classes..(r + 1) * classes];
            let best = (0..classes).max_by(|&a, &b| row[a].total_cmp(&row[b])).expect("classes");
            best == label as usize
        })
        .count()
}
