//! The order a stream reads its data set in: position `q` is image `perm(e)[q mod n]` of epoch
//! `e = q / n`, a fresh seeded shuffle per epoch. Every stream on a data set, and every device,
//! sees the same order, so which consumers share a stream never changes what each one reads.

use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

pub struct Order {
    len: u64,
    seed: u64,
    epochs: Mutex<BTreeMap<u64, Arc<Vec<u32>>>>,
}

impl Order {
    pub fn new(len: usize, seed: u64) -> Self {
        assert!(len > 0, "an empty data set has no order");
        Order { len: len as u64, seed, epochs: Mutex::new(BTreeMap::new()) }
    }

    /// Images per epoch.
    pub fn epoch_len(&self) -> u64 {
        self.len
    }

    fn epoch(&self, e: u64) -> Arc<Vec<u32>> {
        let mut epochs = self.epochs.lock().expect("order cache");
        if let Some(p) = epochs.get(&e) {
            return p.clone();
        }
        let mut perm: Vec<u32> = (0..self.len as u32).collect();
        perm.shuffle(&mut StdRng::seed_from_u64(self.seed ^ e.wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        // Epochs are read in order; keep the few in use.
        while epochs.len() >= 4 {
            let first = *epochs.keys().next().expect("non-empty");
            epochs.remove(&first);
        }
        let perm = Arc::new(perm);
        epochs.insert(e, perm.clone());
        perm
    }

    /// The images at positions `[start, start + count)`.
    pub fn images(&self, start: u64, count: usize) -> Vec<u32> {
        let mut out = Vec::with_capacity(count);
        let mut at = start;
        while out.len() < count {
            let perm = self.epoch(at / self.len);
            let from = (at % self.len) as usize;
            let take = (count - out.len()).min(perm.len() - from);
            out.extend_from_slice(&perm[from..from + take]);
            at += take as u64;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_epoch_is_a_permutation_and_epochs_differ() {
        let order = Order::new(10, 3);
        let a = order.images(0, 10);
        let b = order.images(10, 10);
        let mut sorted = a.clone();
        sorted.sort();
        assert_eq!(sorted, (0..10).collect::<Vec<_>>());
        assert_ne!(a, b);
        assert_eq!(order.images(5, 10), [&a[5..], &b[..5]].concat());
        assert_eq!(Order::new(10, 3).images(0, 10), a);
    }
}
