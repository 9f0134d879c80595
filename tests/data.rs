//! The executor's data readers on the shared digits set, and on malformed input.

use crate::importers::shared;
use coprep_exec::data::digits;

#[test]
fn digits_read_whole() {
    let Some(path) = shared("digits/digits.csv.gz") else { return };
    let set = digits::read(&path).unwrap();
    // 1797 8 x 8 images (its DESCR.rst), every class present about equally.
    assert_eq!((set.len(), set.height, set.width, set.channels, set.classes), (1797, 8, 8, 1, 10));
    assert_eq!(set.pixels.len(), 1797 * 64);
    let mut counts = [0usize; 10];
    for &l in &set.labels {
        counts[l as usize] += 1;
    }
    assert!(counts.iter().all(|&c| (170..=190).contains(&c)), "{counts:?}");
    // Pixel values 0..16 scaled to 0..255, both ends used.
    assert_eq!((set.pixels.iter().min(), set.pixels.iter().max()), (Some(&0), Some(&255)));
    let (train, held_out) = set.split(1500);
    assert_eq!((train.len(), held_out.len()), (1500, 297));
    let (train, held_out) = set.split_every(6);
    assert_eq!((train.len(), held_out.len()), (1498, 299));
    assert_eq!((held_out.labels[0], held_out.image(0)), (set.labels[5], set.image(5)));
}

#[test]
fn a_malformed_digits_file_names_file_line_and_field() {
    let dir = crate::util::scratch("digits-bad");
    let path = dir.join("bad.csv");
    let good = vec!["0"; 64].join(",");
    std::fs::write(&path, format!("{good},1\n{good},12\n")).unwrap();
    let err = digits::read(&path).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("bad.csv") && text.contains(":2") && text.contains("label"), "{text}");
}
