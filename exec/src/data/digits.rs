//! The digits CSV (UCI optical digits as shipped with scikit-learn): per line 64 pixel values
//! 0..16 (an 8 x 8 image) and the label 0..9. Pixels are scaled to 0..255.

use super::{read_bytes, ImageSet};
use coprep_traces::InputError;
use std::path::Path;

const PIXELS: usize = 64;

pub fn read(path: &Path) -> Result<ImageSet, InputError> {
    let text = String::from_utf8(read_bytes(path)?)
        .map_err(|_| InputError::new("not UTF-8 text; expected a CSV of numbers").in_file(path))?;
    parse(&text).map_err(|e| e.in_file(path))
}

pub fn parse(text: &str) -> Result<ImageSet, InputError> {
    let mut pixels = Vec::new();
    let mut labels = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() != PIXELS + 1 {
            return Err(InputError::new(format!("{} values; expected {PIXELS} pixels and a label", cells.len()))
                .at_line(Some(line_no)));
        }
        for (c, cell) in cells.iter().enumerate() {
            let (field, max) = if c < PIXELS { (format!("pixel {c}"), 16) } else { ("label".to_string(), 9) };
            let value: f64 = cell.parse().map_err(|_| {
                InputError::field(&field, format!("\"{cell}\" is not a number; expected 0..{max}"))
                    .at_line(Some(line_no))
            })?;
            if !(value.fract() == 0.0 && (0.0..=max as f64).contains(&value)) {
                return Err(InputError::field(
                    &field,
                    format!("{cell} is out of range; expected a whole number 0..{max}"),
                )
                .at_line(Some(line_no)));
            }
            if c < PIXELS {
                pixels.push((value * 255.0 / 16.0).round() as u8);
            } else {
                labels.push(value as u8);
            }
        }
    }
    if labels.is_empty() {
        return Err(InputError::new("no images; expected lines of 64 pixels and a label"));
    }
    Ok(ImageSet { name: "digits".into(), height: 8, width: 8, channels: 1, classes: 10, pixels, labels })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_reports_bad_lines() {
        let good = format!("{},3\n", vec!["16"; 64].join(","));
        let set = parse(&good).unwrap();
        assert_eq!((set.len(), set.labels[0], set.pixels[0]), (1, 3, 255));
        let short = "1,2,3\n";
        let err = parse(short).unwrap_err();
        assert_eq!(err.line, Some(1));
        let bad = format!("{}\n{},x\n", good.trim(), vec!["0"; 64].join(","));
        let err = parse(&bad).unwrap_err();
        assert_eq!((err.line, err.field.as_deref()), (Some(2), Some("label")));
        let big = format!("{},1\n", vec!["17"; 64].join(","));
        assert_eq!(parse(&big).unwrap_err().field.as_deref(), Some("pixel 0"));
    }
}
