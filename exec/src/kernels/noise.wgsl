// Gaussian noise: v + a * N(0, 1) per element, by Box-Muller from two draws.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat(id, groups);
    if (i >= p.n * p.h * p.w * p.c) {
        return;
    }
    let per_image = p.c * p.w * p.h;
    let img = i / per_image;
    let k = i % per_image;
    // Two uniforms per element; u1 in (0, 1] so the logarithm is finite.
    let u1 = 1.0 - unit(draw(p.seed, p.epoch, p.first + img, 5u + 2u * k));
    let u2 = unit(draw(p.seed, p.epoch, p.first + img, 6u + 2u * k));
    let z = sqrt(-2.0 * log(u1)) * cos(6.2831855 * u2);
    dst[i] = src[i] + p.a * z;
}
