//! A seeded synthetic image set, the executor's embedded default (it needs no files): each class
//! is a bright bar at its own position and angle on a dark background, with per-image jitter
//! and noise, so that it is learnable but not trivially.

use super::ImageSet;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// `count` images of `side` x `side` x 3 over `classes` classes.
pub fn generate(count: usize, side: usize, classes: usize, seed: u64) -> ImageSet {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut pixels = Vec::with_capacity(count * side * side * 3);
    let mut labels = Vec::with_capacity(count);
    for _ in 0..count {
        let class = rng.random_range(0..classes);
        let angle = std::f64::consts::PI * class as f64 / classes as f64 + rng.random_range(-0.15..0.15);
        let (dx, dy) = (angle.cos(), angle.sin());
        let centre = (side as f64 / 2.0 + rng.random_range(-1.5..1.5), side as f64 / 2.0 + rng.random_range(-1.5..1.5));
        let tint = [(class * 53 % 256) as f64, (class * 97 % 256) as f64, 200.0];
        for y in 0..side {
            for x in 0..side {
                // Distance from the bar's line through the centre.
                let (px, py) = (x as f64 - centre.0, y as f64 - centre.1);
                let distance = (px * dy - py * dx).abs();
                let on = (1.5 - distance).clamp(0.0, 1.0);
                for tint_c in tint {
                    let value = 20.0 + on * tint_c + rng.random_range(-12.0..12.0);
                    pixels.push(value.clamp(0.0, 255.0) as u8);
                }
            }
        }
        labels.push(class as u8);
    }
    ImageSet {
        name: format!("synthetic-{side}x{side}-seed{seed}"),
        height: side,
        width: side,
        channels: 3,
        classes,
        pixels,
        labels,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_and_shaped() {
        let a = generate(20, 16, 4, 1);
        assert_eq!(a, generate(20, 16, 4, 1));
        assert_ne!(a.pixels, generate(20, 16, 4, 2).pixels);
        assert_eq!((a.len(), a.pixels.len(), a.image_bytes()), (20, 20 * 16 * 16 * 3, 768));
        assert!(a.labels.iter().all(|&l| l < 4));
    }
}
