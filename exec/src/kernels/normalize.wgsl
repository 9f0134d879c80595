// Decode bytes to floats and normalise per channel: out[i] = (byte[i] / 255 - mean[c]) * inv_std[c],
// c = i mod channels (interleaved channels, as images are stored).
struct Params {
    count: u32,
    channels: u32,
    _pad0: u32,
    _pad1: u32,
    mean: vec4<f32>,
    inv_std: vec4<f32>,
}

@group(0) @binding(0) var<storage, read> bytes: array<u32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * 256u;
    if (i >= params.count) {
        return;
    }
    let byte = (bytes[i / 4u] >> ((i % 4u) * 8u)) & 0xffu;
    let c = i % params.channels;
    out[i] = (f32(byte) / 255.0 - params.mean[c]) * params.inv_std[c];
}
