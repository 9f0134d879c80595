//! Renders one plot to SVG (always) and PNG (when asked), through the same drawing code.

use crate::{theme, Drawn, ReportError};
use coprep_traces::io::write_atomic;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// What a plot draws on any backend.
pub trait Plot {
    fn title(&self) -> String;
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>>;
}

/// Writes `dir/<name>.svg`, and `dir/<name>.png` with `png`.
pub fn render(plot: &impl Plot, dir: &Path, name: &str, png: bool) -> Result<Drawn, ReportError> {
    theme::init();
    let (w, h) = plot.size();
    let fail = |e: String| ReportError::Draw { plot: name.to_string(), message: e };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        plot.draw(&root).map_err(|e| fail(e.to_string()))?;
        root.present().map_err(|e| fail(e.to_string()))?;
    }
    let svg_path = dir.join(format!("{name}.svg"));
    write_atomic(&svg_path, svg.as_bytes())?;
    let png_path = if png {
        let mut rgb = vec![0u8; (w * h * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
            plot.draw(&root).map_err(|e| fail(e.to_string()))?;
            root.present().map_err(|e| fail(e.to_string()))?;
        }
        let path = dir.join(format!("{name}.png"));
        write_atomic(&path, &encode_png(&rgb, w, h).map_err(|e| fail(e.to_string()))?)?;
        Some(path)
    } else {
        None
    };
    Ok(Drawn { title: plot.title(), svg: svg_path, png: png_path })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        encoder.write_header()?.write_image_data(rgb)?;
    }
    Ok(out)
}

/// A file name for a policy label.
pub fn slug(label: &str) -> String {
    let mut s: String =
        label.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect();
    while s.contains("__") {
        s = s.replace("__", "_");
    }
    s.trim_matches('_').to_string()
}
