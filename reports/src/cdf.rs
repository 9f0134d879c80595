//! The distribution of job completion times per policy (all seeds pooled).

use crate::load::RunSet;
use crate::render::{render, Plot};
use crate::{theme, Drawn, ReportError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

struct Cdf {
    /// Per policy: its label and sorted JCTs in seconds.
    series: Vec<(String, Vec<f64>)>,
}

impl Plot for Cdf {
    fn title(&self) -> String {
        "Job completion time distribution".into()
    }

    fn size(&self) -> (u32, u32) {
        (1100, 650)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let top = self.series.iter().flat_map(|s| s.1.last()).fold(0.0, |a: f64, b| a.max(*b)).max(1e-9);
        let (unit, scale) = theme::time_unit(top);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title(), (theme::FAMILY, theme::TITLE))
            .margin(16)
            .x_label_area_size(46)
            .y_label_area_size(64)
            .build_cartesian_2d(0f64..top * 1.02 / scale, 0f64..1.0)?;
        chart
            .configure_mesh()
            .max_light_lines(2)
            .x_desc(format!("job completion time ({unit})"))
            .y_desc("fraction of jobs finished")
            .label_style((theme::FAMILY, theme::SMALL))
            .axis_desc_style((theme::FAMILY, theme::LABEL))
            .draw()?;
        for (i, (label, jcts)) in self.series.iter().enumerate() {
            let n = jcts.len() as f64;
            let mut points = vec![(0.0, 0.0)];
            for (k, &j) in jcts.iter().enumerate() {
                points.push((j / scale, k as f64 / n));
                points.push((j / scale, (k + 1) as f64 / n));
            }
            let color = theme::color(i);
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(3)))?
                .label(theme::short(label, 40))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 24, y)], color.stroke_width(3)));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((theme::FAMILY, theme::LABEL))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

pub fn draw(runs: &RunSet, dir: &Path, png: bool) -> Result<Drawn, ReportError> {
    let series = runs
        .policies()
        .into_iter()
        .map(|p| {
            let mut jcts: Vec<f64> = runs.of(&p).flat_map(|r| r.jobs.iter().map(|j| j.turnaround_time)).collect();
            jcts.sort_by(f64::total_cmp);
            (p, jcts)
        })
        .collect();
    render(&Cdf { series }, dir, "jct_cdf", png)
}
