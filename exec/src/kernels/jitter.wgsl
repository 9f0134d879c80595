// Colour jitter per image: v * (1 + (2u - 1) * a) + (2u' - 1) * b (contrast a, brightness b).
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat(id, groups);
    if (i >= p.n * p.h * p.w * p.c) {
        return;
    }
    let img = pixel_of(i).x;
    let contrast = 1.0 + (2.0 * unit(draw(p.seed, p.epoch, p.first + img, 3u)) - 1.0) * p.a;
    let brightness = (2.0 * unit(draw(p.seed, p.epoch, p.first + img, 4u)) - 1.0) * p.b;
    dst[i] = src[i] * contrast + brightness;
}
