//! Preprocessing operations as a pipeline's stages name them, and running a stream's batch of
//! them on a device: every distinct prefix of the consumers' pipelines computed once (the prefix
//! tree the planner shares), each consumer's pipeline written into its ring.

use crate::gpu::{Gpu, GpuError};
use crate::kernels::affine::Affine;
use crate::kernels::affine::Normalization;
use crate::kernels::augment::{Augment, AugmentKernel};
use crate::kernels::gather::Gather;
use crate::kernels::random::{Batch, Stream};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One preprocessing operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Batching and u8 -> f32 decoding (always first).
    Decode,
    Normalize(Normalization),
    /// A random augmentation with its stream seed.
    Augment(Augment, u32),
    /// A user's WGSL kernel body (see `AugmentKernel::custom`), its values `a..d` and seed.
    Custom {
        file: String,
        body: Arc<String>,
        values: [f32; 4],
        seed: u32,
    },
}

impl Op {
    /// Reads a stage (`op` and `params`); a custom kernel's file is read relative to `base`.
    pub fn parse(stage: &crate::workload::StageSpec, base: &Path) -> Result<Op, String> {
        let params = &stage.params;
        let known = |names: &[&str]| -> Result<(), String> {
            match params.keys().find(|k| !names.contains(&k.as_str())) {
                Some(k) => Err(format!("`{}` takes no parameter `{k}` (it takes: {})", stage.op, names.join(", "))),
                None => Ok(()),
            }
        };
        let number = |name: &str, default: f64| -> Result<f64, String> {
            match params.get(name) {
                None => Ok(default),
                Some(v) => v.as_f64().ok_or_else(|| format!("params.{name}: {v} is not a number")),
            }
        };
        let seed = || -> Result<u32, String> {
            let s = number("seed", 0.0)?;
            if s < 0.0 || s.fract() != 0.0 || s > u32::MAX as f64 {
                return Err(format!("params.seed: {s} is not a whole number in 0..2^32"));
            }
            Ok(s as u32)
        };
        let in_range = |name: &str, v: f64, lo: f64, hi: f64| {
            if (lo..=hi).contains(&v) {
                Ok(v as f32)
            } else {
                Err(format!("params.{name}: {v} is outside {lo}..={hi}"))
            }
        };
        match stage.op.as_str() {
            "decode" => known(&[]).map(|_| Op::Decode),
            "normalize" => {
                known(&["mean", "std"])?;
                let channel_values = |name: &str, default: f32| -> Result<[f32; 4], String> {
                    match params.get(name) {
                        None => Ok([default; 4]),
                        Some(serde_json::Value::Array(values)) if (1..=4).contains(&values.len()) => {
                            let mut out = [0.0f32; 4];
                            for (i, v) in values.iter().enumerate() {
                                out[i] =
                                    v.as_f64().ok_or_else(|| format!("params.{name}[{i}] is not a number"))? as f32;
                            }
                            for i in values.len()..4 {
                                out[i] = out[values.len() - 1];
                            }
                            Ok(out)
                        }
                        Some(v) => v
                            .as_f64()
                            .map(|x| [x as f32; 4])
                            .ok_or_else(|| format!("params.{name}: expected a number or 1 to 4 numbers")),
                    }
                };
                let mean = channel_values("mean", 0.0)?;
                let std = channel_values("std", 1.0)?;
                if std.iter().any(|s| s.is_nan() || *s <= 0.0) {
                    return Err("params.std: every standard deviation must be > 0".into());
                }
                // Channels are filled in from the data set when the stage runs.
                Ok(Op::Normalize(Normalization { mean, std, channels: 0 }))
            }
            "crop" => {
                known(&["pad", "seed"])?;
                let pad = number("pad", 2.0)?;
                if pad < 0.0 || pad.fract() != 0.0 || pad > 64.0 {
                    return Err(format!("params.pad: {pad} is not a whole number of pixels in 0..=64"));
                }
                Ok(Op::Augment(Augment::Crop { pad: pad as u32 }, seed()?))
            }
            "flip" => {
                known(&["p", "seed"])?;
                Ok(Op::Augment(Augment::Flip { p: in_range("p", number("p", 0.5)?, 0.0, 1.0)? }, seed()?))
            }
            "jitter" => {
                known(&["contrast", "brightness", "seed"])?;
                let contrast = in_range("contrast", number("contrast", 0.2)?, 0.0, 1.0)?;
                let brightness = in_range("brightness", number("brightness", 0.2)?, 0.0, 10.0)?;
                Ok(Op::Augment(Augment::Jitter { contrast, brightness }, seed()?))
            }
            "noise" => {
                known(&["sigma", "seed"])?;
                Ok(Op::Augment(
                    Augment::Noise { sigma: in_range("sigma", number("sigma", 0.05)?, 0.0, 10.0)? },
                    seed()?,
                ))
            }
            "custom" => {
                known(&["wgsl", "seed", "a", "b", "c", "d"])?;
                let file = params
                    .get("wgsl")
                    .and_then(|v| v.as_str())
                    .ok_or("params.wgsl: expected the path of a WGSL file defining `main`")?
                    .to_string();
                let body = std::fs::read_to_string(base.join(&file))
                    .map_err(|e| format!("params.wgsl: cannot read {}: {e}", base.join(&file).display()))?;
                let values = [
                    number("a", 0.0)? as f32,
                    number("b", 0.0)? as f32,
                    number("c", 0.0)? as f32,
                    number("d", 0.0)? as f32,
                ];
                Ok(Op::Custom { file, body: Arc::new(body), values, seed: seed()? })
            }
            other => {
                Err(format!("unknown op `{other}`; expected decode, normalize, crop, flip, jitter, noise or custom"))
            }
        }
    }

    /// Whether held-out evaluation applies it too (augmentations are for training only).
    pub fn deterministic(&self) -> bool {
        matches!(self, Op::Decode | Op::Normalize(_))
    }
}

/// A pipeline ready to run: its id and its stages as (key, op).
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub id: String,
    pub stages: Vec<(String, Op)>,
}

/// Where on the device a contiguous run of stream positions lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// First stream position.
    pub position: u64,
    pub rows: usize,
    /// Epoch and index within the epoch of the first position (for the random draws).
    pub epoch: u32,
    pub first: u32,
}

/// Splits positions `[start, start + amount)` at epoch ends and at the ring's wrap, so that each
/// part is contiguous both in the random streams and in the ring.
pub fn spans(start: u64, amount: u64, epoch_len: u64, ring_rows: u64) -> Vec<Span> {
    let mut out = Vec::new();
    let mut at = start;
    let end = start + amount;
    while at < end {
        let to_epoch_end = epoch_len - at % epoch_len;
        let to_wrap = ring_rows - at % ring_rows;
        let rows = (end - at).min(to_epoch_end).min(to_wrap);
        out.push(Span {
            position: at,
            rows: rows as usize,
            epoch: (at / epoch_len) as u32,
            first: (at % epoch_len) as u32,
        });
        at += rows;
    }
    out
}

/// The preprocessing kernels of one device, compiled on first use.
pub struct PrepKernels {
    gather: Gather,
    affine: Affine,
    augments: Mutex<BTreeMap<String, Arc<AugmentKernel>>>,
}

impl PrepKernels {
    pub fn new(gpu: &Gpu) -> Result<Self, GpuError> {
        Ok(PrepKernels { gather: Gather::new(gpu)?, affine: Affine::new(gpu)?, augments: Mutex::new(BTreeMap::new()) })
    }

    fn augment(&self, gpu: &Gpu, key: &str, op: &Op) -> Result<Arc<AugmentKernel>, GpuError> {
        if let Some(k) = self.augments.lock().expect("kernel cache").get(key) {
            return Ok(k.clone());
        }
        let kernel = Arc::new(match op {
            Op::Augment(a, _) => AugmentKernel::new(gpu, *a)?,
            Op::Custom { file, body, values, .. } => AugmentKernel::custom(gpu, file, body, *values)?,
            _ => unreachable!("only image kernels are cached"),
        });
        self.augments.lock().expect("kernel cache").insert(key.to_string(), kernel.clone());
        Ok(kernel)
    }
}

/// The image shape of a data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub h: usize,
    pub w: usize,
    pub c: usize,
}

impl Shape {
    pub fn floats(&self) -> usize {
        self.h * self.w * self.c
    }
}

/// What a span is computed from: the data set's resident pixels, the images of the span's rows
/// (resident too), their shape and the span.
pub struct SpanInput<'a> {
    pub pixels: &'a wgpu::Buffer,
    pub indices: &'a wgpu::Buffer,
    pub shape: Shape,
    pub span: Span,
}

/// What recording a span produced: per leaf, the buffer holding its output rows or why it
/// could not be computed (the other leaves are unaffected), and the kernels dispatched.
pub struct Recorded {
    pub outputs: Vec<Result<wgpu::Buffer, GpuError>>,
    pub dispatches: u64,
}

/// Records one span of every pipeline in `leaves`, each sharing the work of common prefixes.
pub fn record_span(
    gpu: &Gpu,
    kernels: &PrepKernels,
    encoder: &mut wgpu::CommandEncoder,
    input: &SpanInput,
    leaves: &[&Pipeline],
) -> Recorded {
    let mut dispatches = 0;
    // Computed prefixes: the keys of their stages and the buffer holding the result.
    let mut memo: Vec<(Vec<String>, wgpu::Buffer)> = Vec::new();
    let mut outputs = Vec::new();
    for leaf in leaves {
        let out = record_leaf(gpu, kernels, encoder, input, leaf, &mut memo, &mut dispatches);
        outputs.push(out);
    }
    Recorded { outputs, dispatches }
}

fn record_leaf(
    gpu: &Gpu,
    kernels: &PrepKernels,
    encoder: &mut wgpu::CommandEncoder,
    input: &SpanInput,
    leaf: &Pipeline,
    memo: &mut Vec<(Vec<String>, wgpu::Buffer)>,
    dispatches: &mut u64,
) -> Result<wgpu::Buffer, GpuError> {
    let SpanInput { pixels, indices: indices_buf, shape, span } = *input;
    let size = (span.rows * shape.floats() * 4) as u64;
    let keys: Vec<&str> = leaf.stages.iter().map(|(k, _)| k.as_str()).collect();
    let (mut done, mut current) = memo
        .iter()
        .filter(|(prefix, _)| prefix.len() <= keys.len() && prefix.iter().zip(&keys).all(|(a, b)| a == b))
        .max_by_key(|(prefix, _)| prefix.len())
        .map(|(prefix, buf)| (prefix.len(), Some(buf.clone())))
        .unwrap_or((0, None));
    while done < keys.len() {
        let (key, op) = &leaf.stages[done];
        let out = gpu.output(&format!("prep {key}"), size)?;
        let batch = Batch { n: span.rows, h: shape.h, w: shape.w, c: shape.c };
        match (op, &current) {
            (Op::Decode, _) => {
                kernels.gather.record(gpu, encoder, [pixels, indices_buf, &out], span.rows, shape.floats())
            }
            (Op::Normalize(norm), Some(src)) => {
                let norm = Normalization { channels: shape.c as u32, ..*norm };
                kernels.affine.record(gpu, encoder, [src, &out], span.rows * shape.floats(), &norm)
            }
            (Op::Augment(_, seed) | Op::Custom { seed, .. }, Some(src)) => {
                let stream = Stream { seed: *seed, epoch: span.epoch, first: span.first };
                kernels.augment(gpu, key, op)?.record(gpu, encoder, [src, &out], batch, stream)
            }
            (_, None) => unreachable!("pipelines start with decode"),
        }
        *dispatches += 1;
        done += 1;
        memo.push((keys[..done].iter().map(|k| k.to_string()).collect(), out.clone()));
        current = Some(out);
    }
    Ok(current.expect("a pipeline has stages"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_split_at_epochs_and_wraps() {
        let s = spans(8, 10, 12, 16);
        let parts: Vec<(u64, usize, u32, u32)> = s.iter().map(|s| (s.position, s.rows, s.epoch, s.first)).collect();
        assert_eq!(parts, vec![(8, 4, 0, 8), (12, 4, 1, 0), (16, 2, 1, 4)]);
        assert_eq!(spans(0, 5, 100, 100).len(), 1);
    }
}
