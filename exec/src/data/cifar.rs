//! CIFAR-10's binary batches: records of one label byte and 3,072 pixel bytes, 1,024 red then
//! 1,024 green then 1,024 blue (32 x 32, row-major). Channels are interleaved on reading.

use super::{read_bytes, ImageSet};
use coprep_traces::InputError;
use std::path::Path;

const SIDE: usize = 32;
const PLANE: usize = SIDE * SIDE;
const RECORD: usize = 1 + 3 * PLANE;

/// Reads and concatenates batch files (e.g. `data_batch_1.bin` .. `data_batch_5.bin`).
pub fn read(batches: &[&Path]) -> Result<ImageSet, InputError> {
    let mut set = ImageSet {
        name: "cifar10".into(),
        height: SIDE,
        width: SIDE,
        channels: 3,
        classes: 10,
        pixels: Vec::new(),
        labels: Vec::new(),
    };
    for path in batches {
        parse_into(&read_bytes(path)?, &mut set).map_err(|e| e.in_file(path))?;
    }
    Ok(set)
}

pub fn parse_into(bytes: &[u8], set: &mut ImageSet) -> Result<(), InputError> {
    if !bytes.len().is_multiple_of(RECORD) {
        return Err(InputError::new(format!(
            "{} bytes is not a whole number of {RECORD}-byte records (a label byte and 3 x 32 x 32 pixels)",
            bytes.len()
        )));
    }
    for (r, record) in bytes.chunks_exact(RECORD).enumerate() {
        if record[0] > 9 {
            return Err(InputError::field(format!("record {r} label"), format!("{}; expected 0..9", record[0])));
        }
        set.labels.push(record[0]);
        let planes = &record[1..];
        for i in 0..PLANE {
            set.pixels.extend([planes[i], planes[PLANE + i], planes[2 * PLANE + i]]);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_become_interleaved() {
        let mut record = vec![7u8];
        record.extend(std::iter::repeat_n(1u8, PLANE));
        record.extend(std::iter::repeat_n(2u8, PLANE));
        record.extend(std::iter::repeat_n(3u8, PLANE));
        let mut set = ImageSet {
            name: "t".into(),
            height: 32,
            width: 32,
            channels: 3,
            classes: 10,
            pixels: vec![],
            labels: vec![],
        };
        parse_into(&record, &mut set).unwrap();
        assert_eq!((set.labels.clone(), &set.pixels[..6]), (vec![7], &[1, 2, 3, 1, 2, 3][..]));
        assert!(parse_into(&record[1..], &mut set).is_err());
        record[0] = 10;
        assert!(parse_into(&record, &mut set).unwrap_err().field.unwrap().contains("label"));
    }
}
