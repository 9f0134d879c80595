//! A small ordered set kept as a sorted vector: for sets of a few to a few hundred entries that
//! change a little at a time (the open processors by load in a planning round, the idle
//! processors, the groups preprocessing on a processor), a binary search and a short shift cost
//! less than a tree's nodes, and walking it is walking a slice.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortedVec<T>(pub(crate) Vec<T>);

impl<T> Default for SortedVec<T> {
    fn default() -> Self {
        SortedVec(Vec::new())
    }
}

impl<T: Ord> SortedVec<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    /// Whether `entry` was not in already.
    pub fn insert(&mut self, entry: T) -> bool {
        match self.0.binary_search(&entry) {
            Ok(_) => false,
            Err(at) => {
                self.0.insert(at, entry);
                true
            }
        }
    }

    /// Whether `entry` was in.
    pub fn remove(&mut self, entry: &T) -> bool {
        match self.0.binary_search(entry) {
            Ok(at) => {
                self.0.remove(at);
                true
            }
            Err(_) => false,
        }
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<T: Ord> FromIterator<T> for SortedVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(entries: I) -> Self {
        let mut v: Vec<T> = entries.into_iter().collect();
        v.sort_unstable();
        v.dedup();
        SortedVec(v)
    }
}

impl<'a, T: Ord> IntoIterator for &'a SortedVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeSet;

    /// Seeded inserts and removals agree with a B-tree set, in what they return and in order.
    #[test]
    fn agrees_with_a_btree_set() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(8);
        let (mut set, mut model) = (SortedVec::default(), BTreeSet::new());
        for _ in 0..5000 {
            let x = rng.random_range(0..64u32);
            if rng.random_bool(0.5) {
                assert_eq!(set.insert(x), model.insert(x));
            } else {
                assert_eq!(set.remove(&x), model.remove(&x));
            }
            assert!(set.iter().eq(model.iter()));
            assert_eq!((set.len(), set.is_empty()), (model.len(), model.is_empty()));
        }
        let collected: SortedVec<u32> = [5, 1, 5, 3].into_iter().collect();
        assert_eq!(collected.0, vec![1, 3, 5]);
    }
}
