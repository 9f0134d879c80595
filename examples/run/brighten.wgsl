// A custom preprocessing kernel: adds `a` to every value, and with probability `b` inverts the
// image (a per-sample draw, so shared and unshared streams agree).
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat(id, groups);
    if (i >= p.n * p.h * p.w * p.c) {
        return;
    }
    let image = i / (p.h * p.w * p.c);
    var v = src[i] + p.a;
    if (unit(draw(p.seed, p.epoch, p.first + image, 0u)) < p.b) {
        v = -v;
    }
    dst[i] = v;
}
