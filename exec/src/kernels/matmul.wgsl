// C[m x n] = op(A) * op(B), op(A) m x k and op(B) k x n, row-major f32, in 16 x 16 tiles staged
// in workgroup memory. With trans_a, A is stored k x m (the backward pass's X^T * dY); with
// trans_b, B is stored n x k (dY * W^T).
struct Dims {
    m: u32,
    n: u32,
    k: u32,
    trans_a: u32,
    trans_b: u32,
    // Adds to C instead of overwriting it (gradients summed over micro-batches).
    accumulate: u32,
    _pad1: u32,
    _pad2: u32,
}

fn load_a(row: u32, kk: u32) -> f32 {
    if (dims.trans_a != 0u) {
        return a[kk * dims.m + row];
    }
    return a[row * dims.k + kk];
}

fn load_b(kk: u32, col: u32) -> f32 {
    if (dims.trans_b != 0u) {
        return b[col * dims.k + kk];
    }
    return b[kk * dims.n + col];
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> dims: Dims;

const TILE: u32 = 16u;
var<workgroup> tile_a: array<array<f32, 16>, 16>;
var<workgroup> tile_b: array<array<f32, 16>, 16>;

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
    let row = gid.y;
    let col = gid.x;
    var acc = 0.0;
    let tiles = (dims.k + TILE - 1u) / TILE;
    for (var t = 0u; t < tiles; t++) {
        let ka = t * TILE + lid.x;
        let kb = t * TILE + lid.y;
        var va = 0.0;
        if (row < dims.m && ka < dims.k) {
            va = load_a(row, ka);
        }
        var vb = 0.0;
        if (kb < dims.k && col < dims.n) {
            vb = load_b(kb, col);
        }
        tile_a[lid.y][lid.x] = va;
        tile_b[lid.y][lid.x] = vb;
        workgroupBarrier();
        for (var i = 0u; i < TILE; i++) {
            acc += tile_a[lid.y][i] * tile_b[i][lid.x];
        }
        workgroupBarrier();
    }
    if (row < dims.m && col < dims.n) {
        let i = row * dims.n + col;
        if (dims.accumulate != 0u) {
            c[i] = c[i] + acc;
        } else {
            c[i] = acc;
        }
    }
}
