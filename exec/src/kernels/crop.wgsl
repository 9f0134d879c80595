// Random crop with zero padding: each image shifts by (dy, dx) in [-a, a] drawn per image;
// pixels shifted in from outside are 0. The output has the input's size.
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
    let i = flat(id, groups);
    if (i >= p.n * p.h * p.w * p.c) {
        return;
    }
    let at = pixel_of(i);
    let img = at.x;
    let pad = i32(p.a);
    let span = u32(2 * pad + 1);
    let dy = i32(draw(p.seed, p.epoch, p.first + img, 0u) % span) - pad;
    let dx = i32(draw(p.seed, p.epoch, p.first + img, 1u) % span) - pad;
    let sy = i32(at.y) + dy;
    let sx = i32(at.z) + dx;
    var v = 0.0;
    if (sy >= 0 && sy < i32(p.h) && sx >= 0 && sx < i32(p.w)) {
        v = src[index_of(img, u32(sy), u32(sx), at.w)];
    }
    dst[i] = v;
}
