//! The IDX format of MNIST and Fashion-MNIST: big-endian magic (two zero bytes, the type code
//! 0x08 for unsigned bytes, the number of dimensions), the dimensions as u32, then the data.
//! An image file has 3 dimensions (count, rows, columns), a label file 1.

use super::{read_bytes, ImageSet};
use coprep_traces::InputError;
use std::path::Path;

/// Reads an image file and its label file (either may be gzipped).
pub fn read(images: &Path, labels: &Path) -> Result<ImageSet, InputError> {
    let (dims, pixels) = parse(&read_bytes(images)?, 3).map_err(|e| e.in_file(images))?;
    let (ldims, labels_data) = parse(&read_bytes(labels)?, 1).map_err(|e| e.in_file(labels))?;
    if ldims[0] != dims[0] {
        return Err(InputError::new(format!("{} labels for {} images", ldims[0], dims[0])).in_file(labels));
    }
    let classes = labels_data.iter().copied().max().map_or(0, |m| m as usize + 1);
    let name = images.file_name().map_or("idx".into(), |n| n.to_string_lossy().into_owned());
    Ok(ImageSet { name, height: dims[1], width: dims[2], channels: 1, classes, pixels, labels: labels_data })
}

/// The dimensions and data of an IDX file of unsigned bytes with `rank` dimensions.
pub fn parse(bytes: &[u8], rank: usize) -> Result<(Vec<usize>, Vec<u8>), InputError> {
    if bytes.len() < 4 || bytes[0] != 0 || bytes[1] != 0 {
        return Err(InputError::field("magic", "not an IDX file; expected it to start with two zero bytes"));
    }
    if bytes[2] != 0x08 {
        return Err(InputError::field("type", format!("type code {:#04x}; expected 0x08 (unsigned bytes)", bytes[2])));
    }
    if bytes[3] as usize != rank {
        return Err(InputError::field("dimensions", format!("{} dimensions; expected {rank}", bytes[3])));
    }
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(InputError::field("dimensions", "the file ends inside its header"));
    }
    let dims: Vec<usize> = (0..rank)
        .map(|d| u32::from_be_bytes(bytes[4 + 4 * d..8 + 4 * d].try_into().expect("4 bytes")) as usize)
        .collect();
    let size: usize = dims.iter().product();
    let data = &bytes[header..];
    if data.len() != size {
        return Err(InputError::field(
            "data",
            format!("{} bytes of data; the dimensions {dims:?} call for {size}", data.len()),
        ));
    }
    Ok((dims, data.to_vec()))
}

/// Writes an IDX file of unsigned bytes (for tests and small exports).
pub fn encode(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend((d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_bad_headers() {
        let data: Vec<u8> = (0..2 * 3 * 4).map(|i| i as u8).collect();
        let (dims, back) = parse(&encode(&[2, 3, 4], &data), 3).unwrap();
        assert_eq!((dims, back), (vec![2, 3, 4], data.clone()));
        assert_eq!(parse(&[1, 2, 3, 4], 3).unwrap_err().field.as_deref(), Some("magic"));
        assert_eq!(parse(&encode(&[2, 3, 4], &data), 1).unwrap_err().field.as_deref(), Some("dimensions"));
        assert_eq!(parse(&encode(&[2, 3, 4], &data[1..]), 3).unwrap_err().field.as_deref(), Some("data"));
    }
}
