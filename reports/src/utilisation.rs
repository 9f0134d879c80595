//! Utilisation over time: each processor's busy fraction (or each processor type's mean on
//! large clusters), and the data-stall fraction.

use crate::load::Run;
use crate::render::{render, slug, Plot};
use crate::timeline::{Timeline, BINS};
use crate::{theme, Drawn, ReportError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Up to this many processors get a line each; beyond, lines are per processor type.
const MAX_LINES: usize = 12;

struct Utilisation {
    policy: String,
    end: f64,
    bin: f64,
    /// Label and busy fraction per bin.
    lines: Vec<(String, Vec<f64>)>,
    /// Mean stall fraction over all processors per bin.
    stall: Vec<f64>,
}

impl Plot for Utilisation {
    fn title(&self) -> String {
        format!("Utilisation over time: {}", theme::short(&self.policy, 60))
    }

    fn size(&self) -> (u32, u32) {
        (1200, 600)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let (unit, scale) = theme::time_unit(self.end);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title(), (theme::FAMILY, theme::TITLE))
            .margin(16)
            .x_label_area_size(46)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..self.end / scale, 0f64..1.05)?;
        chart
            .configure_mesh()
            .max_light_lines(2)
            .x_desc(format!("time ({unit})"))
            .y_desc("busy fraction")
            .label_style((theme::FAMILY, theme::SMALL))
            .axis_desc_style((theme::FAMILY, theme::LABEL))
            .draw()?;
        let at = |b: usize| (b as f64 + 0.5) * self.bin / scale;
        for (i, (label, values)) in self.lines.iter().enumerate() {
            let color = theme::color(i);
            chart
                .draw_series(LineSeries::new(
                    values.iter().enumerate().map(|(b, v)| (at(b), *v)),
                    color.stroke_width(2),
                ))?
                .label(label.clone())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(2)));
        }
        chart
            .draw_series(
                AreaSeries::new(self.stall.iter().enumerate().map(|(b, v)| (at(b), *v)), 0.0, theme::STALL.mix(0.25))
                    .border_style(theme::STALL),
            )?
            .label("data stall (mean over processors)")
            .legend(|(x, y)| Rectangle::new([(x, y - 6), (x + 24, y + 6)], theme::STALL.mix(0.25).filled()));
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerLeft)
            .label_font((theme::FAMILY, theme::SMALL))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

pub fn draw(run: &Run, dir: &Path, png: bool) -> Result<Drawn, ReportError> {
    let t = Timeline::of(run);
    let n = t.processors.len();
    let lines = if n <= MAX_LINES {
        t.processors.iter().cloned().zip(t.busy.iter().cloned()).collect()
    } else {
        let mut by_kind: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (p, k) in t.kinds.iter().enumerate() {
            by_kind.entry(k.as_str()).or_default().push(p);
        }
        by_kind
            .into_iter()
            .map(|(kind, procs)| {
                let mean =
                    (0..BINS).map(|b| procs.iter().map(|&p| t.busy[p][b]).sum::<f64>() / procs.len() as f64).collect();
                (format!("{kind} (mean of {})", procs.len()), mean)
            })
            .collect()
    };
    let stall = (0..BINS).map(|b| (0..n).map(|p| t.stall(p, b)).sum::<f64>() / n.max(1) as f64).collect();
    let plot = Utilisation { policy: run.label.clone(), end: t.end, bin: t.bin, lines, stall };
    render(&plot, dir, &format!("utilisation-{}", slug(&run.label)), png)
}
