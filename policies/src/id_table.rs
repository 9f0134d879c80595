//! Live groups by id. The cluster state looks a group up several times for every task that
//! starts or ends, every planning round looks up a few more, and the engine its pace, so a
//! group is found by indexing, not by searching a tree or hashing.

use crate::event::GroupId;
use crate::sorted_vec::SortedVec;

/// No group in this slot.
const NONE: u32 = u32::MAX;

/// Values by group id, walked in id order as a sorted map would be. Ids count up as groups open
/// and are never reused, so every id seen has a slot (four bytes) naming where its group sits
/// in a dense list; the live ids are kept in order beside it (groups open with the largest id
/// yet, so keeping it ordered costs a push, and an end a shift of the few live ones).
#[derive(Debug, Clone)]
pub struct IdTable<V> {
    slot: Vec<u32>,
    entries: Vec<(GroupId, V)>,
    order: SortedVec<GroupId>,
}

impl<V> Default for IdTable<V> {
    fn default() -> Self {
        IdTable { slot: Vec::new(), entries: Vec::new(), order: SortedVec::default() }
    }
}

impl<V> IdTable<V> {
    pub fn get(&self, id: &GroupId) -> Option<&V> {
        self.index_of(*id).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, id: &GroupId) -> Option<&mut V> {
        self.index_of(*id).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, id: &GroupId) -> bool {
        self.index_of(*id).is_some()
    }

    /// Adds `group` under `id`, replacing the group there if any (as a map would).
    pub fn insert(&mut self, id: GroupId, group: V) {
        let k = usize::try_from(id).expect("group ids fit an index");
        if k >= self.slot.len() {
            self.slot.resize(k + 1, NONE);
        }
        match self.slot[k] {
            NONE => {
                self.slot[k] = u32::try_from(self.entries.len()).expect("fewer than 2^32 live groups");
                self.entries.push((id, group));
                self.order.insert(id);
            }
            i => self.entries[i as usize].1 = group,
        }
    }

    /// Takes the group `id` out, if live.
    pub fn remove(&mut self, id: &GroupId) -> Option<V> {
        let i = self.index_of(*id)?;
        self.slot[*id as usize] = NONE;
        let (_, group) = self.entries.swap_remove(i);
        if let Some(&(moved, _)) = self.entries.get(i) {
            self.slot[moved as usize] = i as u32;
        }
        let was_listed = self.order.remove(id);
        debug_assert!(was_listed, "every live id is listed");
        Some(group)
    }

    /// The values in id order.
    pub fn values(&self) -> impl Iterator<Item = &V> + '_ {
        self.iter().map(|(_, v)| v)
    }

    /// (id, value) in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&GroupId, &V)> + '_ {
        self.order.iter().map(|id| (id, &self.entries[self.slot[*id as usize] as usize].1))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn index_of(&self, id: GroupId) -> Option<usize> {
        let i = *self.slot.get(usize::try_from(id).ok()?)?;
        (i != NONE).then_some(i as usize)
    }
}

impl<V> std::ops::Index<&GroupId> for IdTable<V> {
    type Output = V;

    fn index(&self, id: &GroupId) -> &V {
        self.get(id).unwrap_or_else(|| panic!("group {id} is not live"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;

    /// A value that names its id, so that a walk shows which value sits under which id.
    #[derive(Debug, Clone, Copy)]
    struct Entry {
        id: GroupId,
        dataset: usize,
    }

    fn group(id: GroupId, dataset: usize) -> Entry {
        Entry { id, dataset }
    }

    /// Seeded runs of groups opening (mostly with the next id, as the state opens them, now
    /// and then with any), replaced and ending agree with a sorted map at every step.
    #[test]
    fn agrees_with_a_sorted_map() {
        for seed in 0..100 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let (mut table, mut model) = (IdTable::default(), BTreeMap::new());
            let mut next: GroupId = 0;
            for step in 0..400 {
                match rng.random_range(0..5) {
                    0 | 1 => {
                        let id = if rng.random_bool(0.8) { next } else { rng.random_range(0..next + 3) };
                        next = next.max(id + 1);
                        table.insert(id, group(id, step));
                        model.insert(id, step);
                    }
                    2 | 3 => {
                        let id = rng.random_range(0..next + 1);
                        assert_eq!(table.remove(&id).map(|g| g.dataset), model.remove(&id), "seed {seed}");
                    }
                    _ => {
                        let id = rng.random_range(0..next + 1);
                        if let Some(g) = table.get_mut(&id) {
                            g.dataset += 1000;
                            *model.get_mut(&id).expect("live in both") += 1000;
                        }
                    }
                }
                let walked: Vec<(GroupId, usize)> = table.values().map(|g| (g.id, g.dataset)).collect();
                assert!(table.iter().all(|(&id, g)| id == g.id));
                let expected: Vec<(GroupId, usize)> = model.iter().map(|(&id, &d)| (id, d)).collect();
                assert_eq!(walked, expected, "seed {seed}");
                assert_eq!(table.len(), model.len());
                for id in 0..next + 2 {
                    assert_eq!(table.contains_key(&id), model.contains_key(&id));
                    assert_eq!(table.get(&id).map(|g| g.dataset), model.get(&id).copied());
                }
            }
        }
    }
}
