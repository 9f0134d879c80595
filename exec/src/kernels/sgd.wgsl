// SGD with momentum: v = momentum * v + scale * g; w = w - lr * v (scale averages gradients
// summed over micro-batches).
struct Params {
    count: u32,
    lr: f32,
    momentum: f32,
    scale: f32,
}

@group(0) @binding(0) var<storage, read_write> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> v: array<f32>;
@group(0) @binding(2) var<storage, read> g: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = id.x + id.y * groups.x * 256u;
    if (i >= params.count) {
        return;
    }
    let velocity = params.momentum * v[i] + params.scale * g[i];
    v[i] = velocity;
    w[i] = w[i] - params.lr * velocity;
}
