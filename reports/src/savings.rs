//! Sharing savings: preprocessing work per dataset without sharing, and under each policy.

use crate::load::RunSet;
use crate::render::{render, Plot};
use crate::{theme, Drawn, ReportError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;

/// Datasets beyond this many (the largest by unshared work) are summed into "others".
const MAX_DATASETS: usize = 12;

struct Savings {
    datasets: Vec<String>,
    /// Work without sharing per dataset (seconds).
    unshared: Vec<f64>,
    /// Per policy: label and mean work per dataset over seeds.
    policies: Vec<(String, Vec<f64>)>,
}

impl Plot for Savings {
    fn title(&self) -> String {
        "Preprocessing work per dataset, with and without sharing".into()
    }

    fn size(&self) -> (u32, u32) {
        (1200, 650)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let top = self
            .unshared
            .iter()
            .chain(self.policies.iter().flat_map(|p| p.1.iter()))
            .fold(0.0, |a: f64, b| a.max(*b))
            .max(1e-9);
        let (unit, scale) = theme::time_unit(top);
        let n = self.datasets.len();
        let bars = self.policies.len() + 1;
        let width = 0.8 / bars as f64;
        let mut chart = ChartBuilder::on(root)
            .caption(self.title(), (theme::FAMILY, theme::TITLE))
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(-0.6f64..n as f64 - 0.4, 0f64..top * 1.15 / scale)?;
        chart
            .configure_mesh()
            .max_light_lines(2)
            .disable_x_mesh()
            .x_labels(n)
            .x_label_formatter(&|x| theme::category_label(*x, &self.datasets, 20))
            .y_desc(format!("preprocessing work ({unit} of processor time)"))
            .label_style((theme::FAMILY, theme::SMALL))
            .axis_desc_style((theme::FAMILY, theme::LABEL))
            .draw()?;
        let bar = |d: usize, k: usize| -> (f64, f64) {
            let left = d as f64 - 0.4 + k as f64 * width;
            (left, left + width * 0.92)
        };
        let series = std::iter::once(("no sharing".to_string(), self.unshared.clone(), theme::GREY)).chain(
            self.policies.iter().enumerate().map(|(i, (l, v))| (theme::short(l, 40), v.clone(), theme::color(i))),
        );
        for (k, (label, values, color)) in series.enumerate() {
            chart
                .draw_series(values.iter().enumerate().map(|(d, v)| {
                    let (x0, x1) = bar(d, k);
                    Rectangle::new([(x0, 0.0), (x1, v / scale)], color.filled())
                }))?
                .label(label)
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .label_font((theme::FAMILY, theme::LABEL))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()?;
        Ok(())
    }
}

pub fn draw(runs: &RunSet, dir: &Path, png: bool) -> Result<Drawn, ReportError> {
    let first = &runs.runs[0].summary;
    let mut order: Vec<usize> = (0..first.datasets_detail.len()).collect();
    order.sort_by(|&a, &b| {
        first.datasets_detail[b].prep_work_unshared_s.total_cmp(&first.datasets_detail[a].prep_work_unshared_s)
    });
    let kept = order.len().min(MAX_DATASETS);
    let fold = |values: Vec<f64>| -> Vec<f64> {
        let mut out: Vec<f64> = order[..kept].iter().map(|&d| values[d]).collect();
        if order.len() > kept {
            out.push(order[kept..].iter().map(|&d| values[d]).sum());
        }
        out
    };
    let mut datasets: Vec<String> = order[..kept].iter().map(|&d| first.datasets_detail[d].id.clone()).collect();
    if order.len() > kept {
        datasets.push(format!("{} others", order.len() - kept));
    }
    // Means over the same runs as the policies' bars (with noise, each seed's costs differ).
    let all = &runs.runs;
    let unshared = fold(
        (0..first.datasets_detail.len())
            .map(|d| {
                all.iter().map(|r| r.summary.datasets_detail[d].prep_work_unshared_s).sum::<f64>() / all.len() as f64
            })
            .collect(),
    );
    let policies = runs
        .policies()
        .into_iter()
        .map(|p| {
            let per_run: Vec<Vec<f64>> =
                runs.of(&p).map(|r| r.summary.datasets_detail.iter().map(|d| d.prep_work_s).collect()).collect();
            let mean: Vec<f64> = (0..first.datasets_detail.len())
                .map(|d| per_run.iter().map(|v| v[d]).sum::<f64>() / per_run.len() as f64)
                .collect();
            (p, fold(mean))
        })
        .collect();
    render(&Savings { datasets, unshared, policies }, dir, "savings", png)
}
