// Softmax cross entropy, one invocation per row of logits: the row's loss, and the gradient of
// the mean loss over the batch with respect to the logits, (softmax - one_hot(label)) / rows.
struct Params {
    rows: u32,
    classes: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<u32>;
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    let r = id.x;
    if (r >= params.rows) {
        return;
    }
    let base = r * params.classes;
    var top = logits[base];
    for (var c = 1u; c < params.classes; c++) {
        top = max(top, logits[base + c]);
    }
    var total = 0.0;
    for (var c = 0u; c < params.classes; c++) {
        total += exp(logits[base + c] - top);
    }
    let label = labels[r];
    loss[r] = log(total) + top - logits[base + label];
    let scale = 1.0 / f32(params.rows);
    for (var c = 0u; c < params.classes; c++) {
        var p = exp(logits[base + c] - top) / total;
        if (c == label) {
            p -= 1.0;
        }
        grad[base + c] = p * scale;
    }
}
