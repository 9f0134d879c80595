//! Fonts, colours and sizes shared by every plot.

use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// DejaVu Sans (Bitstream Vera licence, see `fonts/LICENSE-DejaVu`), embedded so that text
/// renders the same everywhere, with no font configuration on the machine.
static FONT: &[u8] = include_bytes!("../fonts/DejaVuSans.ttf");

/// The family every plot uses.
pub const FAMILY: &str = "sans-serif";

/// Registers the embedded font (once per process) under the family plotters uses by default.
pub fn init() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for style in [FontStyle::Normal, FontStyle::Bold] {
            if plotters::style::register_font(FAMILY, style, FONT).is_err() {
                unreachable!("the embedded font is a valid TrueType file");
            }
        }
    });
}

/// Tableau 10: distinguishable, and readable by most colour-blind viewers.
pub const PALETTE: [RGBColor; 10] = [
    RGBColor(78, 121, 167),
    RGBColor(242, 142, 43),
    RGBColor(225, 87, 89),
    RGBColor(118, 183, 178),
    RGBColor(89, 161, 79),
    RGBColor(237, 201, 72),
    RGBColor(176, 122, 161),
    RGBColor(255, 157, 167),
    RGBColor(156, 117, 95),
    RGBColor(186, 176, 172),
];

pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// A lighter or darker shade of `c` (`f` in -1..1), to tell apart tasks of one group.
pub fn shade(c: RGBColor, f: f64) -> RGBColor {
    let mix = |v: u8| -> u8 {
        let v = v as f64;
        (if f >= 0.0 { v + (255.0 - v) * f } else { v * (1.0 + f) }).round().clamp(0.0, 255.0) as u8
    };
    RGBColor(mix(c.0), mix(c.1), mix(c.2))
}

pub const GREY: RGBColor = RGBColor(120, 120, 120);
pub const STALL: RGBColor = RGBColor(214, 39, 40);

pub const TITLE: u32 = 22;
pub const LABEL: u32 = 15;
pub const SMALL: u32 = 12;

/// A unit for a time axis spanning `span` seconds: seconds, minutes, hours or days.
pub fn time_unit(span: f64) -> (&'static str, f64) {
    if span >= 3.0 * 86_400.0 {
        ("d", 86_400.0)
    } else if span >= 3.0 * 3_600.0 {
        ("h", 3_600.0)
    } else if span >= 3.0 * 60.0 {
        ("min", 60.0)
    } else {
        ("s", 1.0)
    }
}

/// The label of a categorical axis at `x`: the category whose index `x` is, shortened to `max`
/// characters, and nothing between categories.
pub fn category_label(x: f64, labels: &[String], max: usize) -> String {
    let i = x.round();
    if (x - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
        short(&labels[i as usize], max)
    } else {
        String::new()
    }
}

/// A short form of a policy spec for axis labels.
pub fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        label.to_string()
    } else {
        let cut: String = label.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}
