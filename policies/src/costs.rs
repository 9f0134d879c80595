//! What an item costs on each processor. Clusters are mostly many processors of a few kinds,
//! so costs are usually given once per *class* of identical processors (same type, speeds and
//! memory) with a map from processor to class; indexing by processor looks the class up. Given
//! per processor, every processor is its own class.

use std::ops::Index;

#[derive(Debug, Clone, PartialEq)]
pub struct Costs<'a> {
    /// Per class (`None`: cannot run there).
    values: Values,
    /// Each processor's class (borrowed: a round builds two costs per task, and counting
    /// references to a shared map cost more than the costs); `None`: one class per processor.
    class_of: Option<&'a [usize]>,
}

/// The cost of each class: a few inline (a placing round builds two per task, and clusters
/// have a type or two), more on the heap.
#[derive(Debug, Clone)]
enum Values {
    Inline(usize, [Option<f64>; INLINE]),
    Heap(Vec<Option<f64>>),
}

/// Up to how many classes' costs are kept inline.
const INLINE: usize = 4;

impl PartialEq for Values {
    fn eq(&self, other: &Values) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Values {
    fn collect(values: impl ExactSizeIterator<Item = Option<f64>>) -> Values {
        if values.len() > INLINE {
            return Values::Heap(values.collect());
        }
        let mut inline = [None; INLINE];
        let len = values.len();
        for (slot, v) in inline.iter_mut().zip(values) {
            *slot = v;
        }
        Values::Inline(len, inline)
    }

    fn as_slice(&self) -> &[Option<f64>] {
        match self {
            Values::Inline(len, values) => &values[..*len],
            Values::Heap(values) => values,
        }
    }
}

impl<'a> Costs<'a> {
    /// Costs of one class of processors each, `class_of[p]` naming processor `p`'s class.
    pub fn per_class(values: Vec<Option<f64>>, class_of: &'a [usize]) -> Self {
        Costs::per_class_from(values.into_iter(), class_of)
    }

    /// [`Costs::per_class`] from the costs as they come.
    pub fn per_class_from(values: impl ExactSizeIterator<Item = Option<f64>>, class_of: &'a [usize]) -> Self {
        let values = Values::collect(values);
        debug_assert!(class_of.iter().all(|&c| c < values.as_slice().len()));
        Costs { values, class_of: Some(class_of) }
    }

    /// Processor `p`'s class.
    pub fn class(&self, p: usize) -> usize {
        self.class_of.map_or(p, |c| c[p])
    }

    /// The map from processor to class (`None`: one class per processor).
    pub fn class_map(&self) -> Option<&'a [usize]> {
        self.class_of
    }

    /// The cost of each class.
    pub fn classes(&self) -> &[Option<f64>] {
        self.values.as_slice()
    }

    pub fn processors(&self) -> usize {
        self.class_of.map_or(self.values.as_slice().len(), |c| c.len())
    }

    /// The cost on each processor, in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        (0..self.processors()).map(|p| self[p])
    }
}

impl Index<usize> for Costs<'_> {
    type Output = Option<f64>;

    fn index(&self, p: usize) -> &Option<f64> {
        &self.values.as_slice()[self.class(p)]
    }
}

impl From<Vec<Option<f64>>> for Costs<'_> {
    /// Costs given per processor.
    fn from(values: Vec<Option<f64>>) -> Self {
        let values = if values.len() <= INLINE { Values::collect(values.into_iter()) } else { Values::Heap(values) };
        Costs { values, class_of: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processors_read_their_class() {
        let costs = Costs::per_class(vec![Some(1.0), None], &[1, 0, 0, 1]);
        assert_eq!(costs.iter().collect::<Vec<_>>(), vec![None, Some(1.0), Some(1.0), None]);
        assert_eq!((costs.processors(), costs.class(3)), (4, 1));
        let plain = Costs::from(vec![Some(2.0), Some(3.0)]);
        assert_eq!((plain[1], plain.class(1), plain.classes().len()), (Some(3.0), 1, 2));
    }
}
