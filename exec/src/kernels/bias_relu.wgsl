// y[r, c] = x[r, c] + bias[c], then max(y, 0) when relu is set: a dense layer's epilogue.
struct Params {
    rows: u32,
    cols: u32,
    relu: u32,
    _pad: u32,
}

@group(0) @binding(0) var<storage, read_write> x: array<f32>;
@group(0) @binding(1) var<storage, read> bias: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * 256u;
    if (i >= params.rows * params.cols) {
        return;
    }
    var y = x[i] + bias[i % params.cols];
    if (params.relu != 0u) {
        y = max(y, 0.0);
    }
    x[i] = y;
}
