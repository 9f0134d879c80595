//! The live groups by id. The cluster state looks a group up several times for every task
//! that starts or ends and every planning round looks up a few more, so a group is found by
//! indexing, not by searching a tree.

use crate::event::GroupId;
use crate::state::GroupState;

/// No group in this slot.
const NONE: u32 = u32::MAX;

/// Live groups by id, walked in id order as a sorted map would be. Ids count up as groups open
/// and are never reused, so every id seen has a slot (four bytes) naming where its group sits
/// in a dense list; the live ids are kept in order beside it (groups open with the largest id
/// yet, so keeping it ordered costs a push, and an end a shift of the few live ones).
#[derive(Debug, Clone, Default)]
pub struct GroupTable {
    slot: Vec<u32>,
    entries: Vec<(GroupId, GroupState)>,
    order: Vec<GroupId>,
}

impl GroupTable {
    pub fn get(&self, id: &GroupId) -> Option<&GroupState> {
        self.index_of(*id).map(|i| &self.entries[i].1)
    }

    pub fn get_mut(&mut self, id: &GroupId) -> Option<&mut GroupState> {
        self.index_of(*id).map(|i| &mut self.entries[i].1)
    }

    pub fn contains_key(&self, id: &GroupId) -> bool {
        self.index_of(*id).is_some()
    }

    /// Adds `group` under `id`, replacing the group there if any (as a map would).
    pub fn insert(&mut self, id: GroupId, group: GroupState) {
        let k = usize::try_from(id).expect("group ids fit an index");
        if k >= self.slot.len() {
            self.slot.resize(k + 1, NONE);
        }
        match self.slot[k] {
            NONE => {
                self.slot[k] = u32::try_from(self.entries.len()).expect("fewer than 2^32 live groups");
                self.entries.push((id, group));
                let at = self.order.partition_point(|&o| o < id);
                self.order.insert(at, id);
            }
            i => self.entries[i as usize].1 = group,
        }
    }

    /// Takes the group `id` out, if live.
    pub fn remove(&mut self, id: &GroupId) -> Option<GroupState> {
        let i = self.index_of(*id)?;
        self.slot[*id as usize] = NONE;
        let (_, group) = self.entries.swap_remove(i);
        if let Some(&(moved, _)) = self.entries.get(i) {
            self.slot[moved as usize] = i as u32;
        }
        let at = self.order.binary_search(id).expect("live ids are ordered");
        self.order.remove(at);
        Some(group)
    }

    /// The live groups in id order.
    pub fn values(&self) -> impl Iterator<Item = &GroupState> + '_ {
        self.order.iter().map(|&id| &self.entries[self.slot[id as usize] as usize].1)
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

impl std::ops::Index<&GroupId> for GroupTable {
    type Output = GroupState;

    fn index(&self, id: &GroupId) -> &GroupState {
        self.get(id).unwrap_or_else(|| panic!("group {id} is not live"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;

    fn group(id: GroupId, dataset: usize) -> GroupState {
        GroupState {
            id,
            dataset,
            members: Vec::new(),
            stages: Vec::new(),
            prep_s_by_kind: Vec::new(),
            prep: Vec::new(),
            started_at: 0,
        }
    }

    /// Seeded runs of groups opening (mostly with the next id, as the state opens them, now
    /// and then with any), replaced and ending agree with a sorted map at every step.
    #[test]
    fn agrees_with_a_sorted_map() {
        for seed in 0..100 {
            let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
            let (mut table, mut model) = (GroupTable::default(), BTreeMap::new());
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
