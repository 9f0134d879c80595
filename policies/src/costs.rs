//! What an item costs on each processor. Clusters are mostly many processors of a few kinds,
//! so costs are usually given once per *class* of identical processors (same type, speeds and
//! memory) with a map from processor to class; indexing by processor looks the class up. Given
//! per processor, every processor is its own class.

use std::ops::Index;
use std::sync::Arc;

#[derive(Debug, Clone, PartialEq)]
pub struct Costs {
    /// Per class (`None`: cannot run there).
    values: Vec<Option<f64>>,
    /// Each processor's class; `None`: one class per processor.
    class_of: Option<Arc<[usize]>>,
}

impl Costs {
    /// Costs of one class of processors each, `class_of[p]` naming processor `p`'s class.
    pub fn per_class(values: Vec<Option<f64>>, class_of: Arc<[usize]>) -> Self {
        debug_assert!(class_of.iter().all(|&c| c < values.len()));
        Costs { values, class_of: Some(class_of) }
    }

    /// Processor `p`'s class.
    pub fn class(&self, p: usize) -> usize {
        self.class_of.as_ref().map_or(p, |c| c[p])
    }

    /// The map from processor to class (`None`: one class per processor).
    pub fn class_map(&self) -> Option<&Arc<[usize]>> {
        self.class_of.as_ref()
    }

    /// The cost of each class.
    pub fn classes(&self) -> &[Option<f64>] {
        &self.values
    }

    pub fn processors(&self) -> usize {
        self.class_of.as_ref().map_or(self.values.len(), |c| c.len())
    }

    /// The cost on each processor, in order.
    pub fn iter(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        (0..self.processors()).map(|p| self[p])
    }
}

impl Index<usize> for Costs {
    type Output = Option<f64>;

    fn index(&self, p: usize) -> &Option<f64> {
        &self.values[self.class(p)]
    }
}

impl From<Vec<Option<f64>>> for Costs {
    /// Costs given per processor.
    fn from(values: Vec<Option<f64>>) -> Self {
        Costs { values, class_of: None }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn processors_read_their_class() {
        let costs = Costs::per_class(vec![Some(1.0), None], Arc::from(vec![1, 0, 0, 1]));
        assert_eq!(costs.iter().collect::<Vec<_>>(), vec![None, Some(1.0), Some(1.0), None]);
        assert_eq!((costs.processors(), costs.class(3)), (4, 1));
        let plain = Costs::from(vec![Some(2.0), Some(3.0)]);
        assert_eq!((plain[1], plain.class(1), plain.classes().len()), (Some(3.0), 1, 2));
    }
}
