//! Image data sets in memory, in one layout for every reader: `u8` pixels, each image height x
//! width x channels with channels interleaved (what the decode kernel reads), and a class label
//! per image. Readers: the IDX format (MNIST, Fashion-MNIST), CIFAR-10's binary batches, the
//! digits CSV, and a seeded synthetic set generated in code.

pub mod cifar;
pub mod digits;
pub mod idx;
pub mod synthetic;

use coprep_traces::InputError;
use std::io::Read;
use std::path::Path;

#[derive(Debug, Clone, PartialEq)]
pub struct ImageSet {
    pub name: String,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub classes: usize,
    /// `len() * height * width * channels` bytes.
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
}

impl ImageSet {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Bytes of one image.
    pub fn image_bytes(&self) -> usize {
        self.height * self.width * self.channels
    }

    pub fn image(&self, i: usize) -> &[u8] {
        let n = self.image_bytes();
        &self.pixels[i * n..(i + 1) * n]
    }

    /// Every `k`-th image held out (indices k-1, 2k-1, ...) and the rest for training: a
    /// held-out split spread over the whole file, so that it does not take one end of it (the
    /// digits file, for one, is ordered by writer).
    pub fn split_every(&self, k: usize) -> (ImageSet, ImageSet) {
        let (mut train, mut held) = (self.clone(), self.clone());
        for s in [&mut train, &mut held] {
            s.pixels.clear();
            s.labels.clear();
        }
        train.name = format!("{}[train]", self.name);
        held.name = format!("{}[held out]", self.name);
        for i in 0..self.len() {
            let to = if (i + 1) % k.max(2) == 0 { &mut held } else { &mut train };
            to.pixels.extend_from_slice(self.image(i));
            to.labels.push(self.labels[i]);
        }
        (train, held)
    }

    /// The first `take` images and the rest: a held-out split that does not depend on a seed.
    pub fn split(&self, take: usize) -> (ImageSet, ImageSet) {
        let take = take.min(self.len());
        let cut = take * self.image_bytes();
        let part = |pixels: &[u8], labels: &[u8], suffix: &str| ImageSet {
            name: format!("{}{suffix}", self.name),
            pixels: pixels.to_vec(),
            labels: labels.to_vec(),
            ..self.clone()
        };
        (
            part(&self.pixels[..cut], &self.labels[..take], "[train]"),
            part(&self.pixels[cut..], &self.labels[take..], "[held out]"),
        )
    }
}

/// A file's bytes, gunzipped when its name ends in `.gz`.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, InputError> {
    let raw = std::fs::read(path).map_err(|e| InputError::new(format!("cannot read it: {e}")).in_file(path))?;
    if path.extension().is_some_and(|e| e == "gz") {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&raw[..])
            .read_to_end(&mut out)
            .map_err(|e| InputError::new(format!("not a valid gzip file: {e}")).in_file(path))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}
