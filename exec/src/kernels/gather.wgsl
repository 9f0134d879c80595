// Batching and decoding: row r of the batch is image indices[r] of the data set (u8 pixels packed
// four to a word), as f32 in [0, 1]. One invocation per output value.
struct Params {
    count: u32,
    image_bytes: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> pixels: array<u32>;
@group(0) @binding(1) var<storage, read> indices: array<u32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * 256u;
    if (i >= params.count) {
        return;
    }
    let row = i / params.image_bytes;
    let byte = indices[row] * params.image_bytes + i % params.image_bytes;
    let word = pixels[byte / 4u];
    out[i] = f32((word >> ((byte % 4u) * 8u)) & 0xffu) / 255.0;
}
