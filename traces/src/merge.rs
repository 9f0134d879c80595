//! Merging two sorted runs: the step of the merge sorts the planner's cap search and list
//! scheduling each do over a few short runs (where a general sort would cost more).

/// Appends to `out` the merge of `left` and `right`, each sorted by `is_less`, keeping `left`'s
/// entry first where neither is less than the other (as a stable sort of `left` then `right`
/// would).
pub fn merge_into<T: Copy>(left: &[T], right: &[T], out: &mut Vec<T>, is_less: impl Fn(&T, &T) -> bool) {
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if is_less(&right[j], &left[i]) {
            out.push(right[j]);
            j += 1;
        } else {
            out.push(left[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&left[i..]);
    out.extend_from_slice(&right[j..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    /// The merge is a stable sort of the two runs laid end to end, ties included.
    #[test]
    fn merges_as_a_stable_sort() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        for _ in 0..2_000 {
            let run = |rng: &mut rand::rngs::StdRng| {
                let len = rng.random_range(0..12);
                let mut v: Vec<(u8, u32)> = (0..len).map(|_| (rng.random_range(0..6), rng.random())).collect();
                v.sort_by_key(|e| e.0);
                v
            };
            let (left, right) = (run(&mut rng), run(&mut rng));
            let mut expected: Vec<(u8, u32)> = left.iter().chain(&right).copied().collect();
            expected.sort_by_key(|e| e.0);
            let mut merged = vec![(9, 9)];
            merge_into(&left, &right, &mut merged, |a, b| a.0 < b.0);
            assert_eq!(merged[0], (9, 9), "appends");
            assert_eq!(&merged[1..], &expected[..]);
        }
    }
}
