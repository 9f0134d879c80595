//! The counter-based randomness of the augmentation kernels (`random.wgsl`, prepended to each),
//! in plain Rust for the references: a draw is a pure function of (seed, epoch, sample, draw).

/// Chris Wellons' lowbias32 mixer.
pub fn mix(v: u32) -> u32 {
    let mut x = v;
    x ^= x >> 16;
    x = x.wrapping_mul(0x7feb_352d);
    x ^= x >> 15;
    x = x.wrapping_mul(0x846c_a68b);
    x ^= x >> 16;
    x
}

pub fn draw(seed: u32, epoch: u32, sample: u32, k: u32) -> u32 {
    mix(seed ^ mix(epoch ^ mix(sample ^ mix(k))))
}

/// Uniform in [0, 1) from the top 24 bits (exact in f32).
pub fn unit(bits: u32) -> f32 {
    (bits >> 8) as f32 / 16_777_216.0
}

/// Where an image op's random stream is: seed, epoch, and the global index of the batch's first
/// sample (so sample `i` of the batch draws as sample `first + i` of the epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stream {
    pub seed: u32,
    pub epoch: u32,
    pub first: u32,
}

/// A batch of `n` images, `h` x `w` x `c`, channels interleaved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Batch {
    pub n: usize,
    pub h: usize,
    pub w: usize,
    pub c: usize,
}

impl Batch {
    pub fn len(&self) -> usize {
        self.n * self.h * self.w * self.c
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// (image, row, column, channel) of a flat index.
    pub fn at(&self, i: usize) -> (usize, usize, usize, usize) {
        let c = i % self.c;
        let x = (i / self.c) % self.w;
        let y = (i / (self.c * self.w)) % self.h;
        (i / (self.c * self.w * self.h), y, x, c)
    }

    pub fn index(&self, image: usize, y: usize, x: usize, c: usize) -> usize {
        ((image * self.h + y) * self.w + x) * self.c + c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_are_a_function_of_their_counter() {
        assert_eq!(draw(1, 2, 3, 4), draw(1, 2, 3, 4));
        let all = [draw(1, 2, 3, 4), draw(2, 2, 3, 4), draw(1, 3, 3, 4), draw(1, 2, 4, 4), draw(1, 2, 3, 5)];
        for (i, a) in all.iter().enumerate() {
            assert!(all[i + 1..].iter().all(|b| b != a), "{all:?}");
        }
        // Uniforms fill [0, 1) evenly enough: the mean of 10,000 draws is near one half.
        let mean: f32 = (0..10_000).map(|k| unit(draw(7, 0, 0, k))).sum::<f32>() / 10_000.0;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
        let b = Batch { n: 2, h: 3, w: 4, c: 2 };
        assert_eq!(b.at(b.index(1, 2, 3, 1)), (1, 2, 3, 1));
    }
}
