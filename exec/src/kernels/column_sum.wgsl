// Sums of each column of a rows x cols matrix: a bias's gradient from the layer's output gradient.
struct Params {
    rows: u32,
    cols: u32,
    // Adds to the sums instead of overwriting them (micro-batches).
    accumulate: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> sums: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let c = id.x;
    if (c >= params.cols) {
        return;
    }
    var acc = 0.0;
    for (var r = 0u; r < params.rows; r++) {
        acc += x[r * params.cols + c];
    }
    if (params.accumulate != 0u) {
        sums[c] = sums[c] + acc;
    } else {
        sums[c] = acc;
    }
}
