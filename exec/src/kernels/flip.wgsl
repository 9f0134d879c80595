// Horizontal flip of each image with probability a.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat(id, groups);
    if (i >= p.n * p.h * p.w * p.c) {
        return;
    }
    let at = pixel_of(i);
    var x = at.z;
    if (unit(draw(p.seed, p.epoch, p.first + at.x, 2u)) < p.a) {
        x = p.w - 1u - x;
    }
    dst[i] = src[index_of(at.x, at.y, x, at.w)];
}
