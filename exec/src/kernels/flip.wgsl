// Horizontal flip of each image with probability a.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat(id, groups);
    if (i >= p.n * p.h * p.w * p.c) {
        return;
    }
    let ch = i % p.c;
    var x = (i / p.c) % p.w;
    let y = (i / (p.c * p.w)) % p.h;
    let img = i / (p.c * p.w * p.h);
    if (unit(draw(p.seed, p.epoch, p.first + img, 2u)) < p.a) {
        x = p.w - 1u - x;
    }
    dst[i] = src[((img * p.h + y) * p.w + x) * p.c + ch];
}
