// Counter-based randomness shared by the augmentation kernels (prepended to each): a draw is a
// pure function of (seed, epoch, sample, draw), so a shared stream produces exactly the batch
// each task would have made alone, whichever device or order computes it.
fn mix(v: u32) -> u32 {
    var x = v;
    x ^= x >> 16u;
    x *= 0x7feb352du;
    x ^= x >> 15u;
    x *= 0x846ca68bu;
    x ^= x >> 16u;
    return x;
}

fn draw(seed: u32, epoch: u32, sample: u32, k: u32) -> u32 {
    return mix(seed ^ mix(epoch ^ mix(sample ^ mix(k))));
}

// Uniform in [0, 1) from the top 24 bits (exact in f32).
fn unit(bits: u32) -> f32 {
    return f32(bits >> 8u) / 16777216.0;
}

// The parameters every image kernel takes: a batch of n images h x w x c (interleaved), the
// random stream's seed and epoch, the index of the batch's first sample, and four op values.
struct Params {
    n: u32,
    h: u32,
    w: u32,
    c: u32,
    seed: u32,
    epoch: u32,
    first: u32,
    _pad: u32,
    a: f32,
    b: f32,
    c2: f32,
    d: f32,
}

// The bindings of every image kernel: source batch, destination batch, parameters.
@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn flat(id: vec3<u32>, groups: vec3<u32>) -> u32 {
    return id.x + id.y * groups.x * 256u;
}

// Where value i of the batch lies: (image, y, x, channel), channels interleaved (`Batch::at`).
fn pixel_of(i: u32) -> vec4<u32> {
    return vec4<u32>(i / (p.c * p.w * p.h), (i / (p.c * p.w)) % p.h, (i / p.c) % p.w, i % p.c);
}

// The index of (image, y, x, channel) (`Batch::index`).
fn index_of(img: u32, y: u32, x: u32, ch: u32) -> u32 {
    return ((img * p.h + y) * p.w + x) * p.c + ch;
}
