// Per-channel normalisation of decoded values: (x - mean[c]) / std[c], channels interleaved.
struct Params {
    count: u32,
    channels: u32,
    _pad0: u32,
    _pad1: u32,
    mean: vec4<f32>,
    inv_std: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * 256u;
    if (i >= params.count) {
        return;
    }
    let c = i % params.channels;
    dst[i] = (src[i] - params.mean[c]) * params.inv_std[c];
}
