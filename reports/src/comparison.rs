//! Policy comparison: makespan, idle, stall, mean and p95 JCT and preprocessing work per
//! policy, as bars of the mean with 95% confidence intervals over seeds.

use crate::load::RunSet;
use crate::render::{render, Plot};
use crate::stats::{mean_ci, MeanCi};
use crate::{theme, Drawn, ReportError};
use coprep_traces::records::Summary;
use plotters::coord::Shift;
use plotters::prelude::*;
use serde::Serialize;
use std::path::Path;

/// A compared metric: its name in files, its title, and how to read it from a summary.
pub type Metric = (&'static str, &'static str, fn(&Summary) -> f64);

/// The metrics compared, all in seconds.
pub const METRICS: &[Metric] = &[
    ("makespan_s", "Makespan", |s| s.makespan_s),
    ("idle_s", "Total idle", |s| s.idle_s),
    ("stall_s", "Total data stall", |s| s.stall_s),
    ("mean_jct_s", "Mean JCT", |s| s.mean_jct_s),
    ("p95_jct_s", "p95 JCT", |s| s.p95_jct_s),
    ("prep_work_s", "Preprocessing work", |s| s.prep_work_s),
];

/// One policy's statistics over its seeds: a row of `comparison.csv`.
#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub policy: String,
    pub runs: usize,
    /// Per metric of [`METRICS`], in that order.
    #[serde(skip)]
    pub stats: Vec<MeanCi>,
    pub prep_saved_fraction: f64,
    pub lower_bound_s: f64,
}

pub fn aggregate(runs: &RunSet) -> Vec<Aggregate> {
    runs.policies()
        .into_iter()
        .map(|policy| {
            let summaries: Vec<&Summary> = runs.runs.iter().filter(|r| r.label == policy).map(|r| &r.summary).collect();
            let stats = METRICS
                .iter()
                .map(|(_, _, get)| mean_ci(&summaries.iter().map(|s| get(s)).collect::<Vec<_>>()))
                .collect();
            let mean = |f: fn(&Summary) -> f64| summaries.iter().map(|s| f(s)).sum::<f64>() / summaries.len() as f64;
            Aggregate {
                policy,
                runs: summaries.len(),
                stats,
                prep_saved_fraction: mean(|s| s.prep_saved_fraction),
                lower_bound_s: mean(|s| s.lower_bound_s),
            }
        })
        .collect()
}

/// `comparison.csv`: per policy, each metric's mean and the ends of its 95% interval.
pub fn aggregate_csv(rows: &[Aggregate]) -> Vec<u8> {
    let mut header = vec!["policy".to_string(), "runs".to_string()];
    for (name, _, _) in METRICS {
        for part in ["mean", "ci95_low", "ci95_high"] {
            header.push(format!("{name}_{part}"));
        }
    }
    header.extend(["prep_saved_fraction".to_string(), "lower_bound_s".to_string()]);
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("in-memory csv");
    for r in rows {
        let mut record = vec![r.policy.clone(), r.runs.to_string()];
        for s in &r.stats {
            record.extend([s.mean, s.low(), s.high()].map(|v| v.to_string()));
        }
        record.extend([r.prep_saved_fraction.to_string(), r.lower_bound_s.to_string()]);
        w.write_record(&record).expect("in-memory csv");
    }
    w.into_inner().expect("in-memory csv")
}

struct Comparison {
    rows: Vec<Aggregate>,
    seeds: usize,
}

impl Plot for Comparison {
    fn title(&self) -> String {
        if self.seeds > 1 {
            format!("Policy comparison: mean and 95% confidence interval over {} seeds", self.seeds)
        } else {
            "Policy comparison (one seed: no interval)".into()
        }
    }

    fn size(&self) -> (u32, u32) {
        (1500, 860)
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let root = root.titled(&self.title(), (theme::FAMILY, theme::TITLE))?;
        let n = self.rows.len();
        let policies: Vec<String> = self.rows.iter().map(|r| r.policy.clone()).collect();
        for (m, panel) in root.split_evenly((2, 3)).iter().enumerate() {
            let (_, title, _) = METRICS[m];
            let top = self.rows.iter().map(|r| r.stats[m].high()).fold(0.0, f64::max).max(1e-9);
            let (unit, scale) = theme::time_unit(top);
            let mut chart = ChartBuilder::on(panel)
                .caption(title, (theme::FAMILY, theme::LABEL + 3))
                .margin(12)
                .x_label_area_size(34)
                .y_label_area_size(70)
                .build_cartesian_2d(-0.6f64..n as f64 - 0.4, 0f64..top * 1.12 / scale)?;
            chart
                .configure_mesh()
                .max_light_lines(2)
                .disable_x_mesh()
                .x_labels(n)
                .x_label_formatter(&|x| theme::category_label(*x, &policies, 14))
                .x_label_style((theme::FAMILY, theme::SMALL))
                .y_desc(unit)
                .y_label_style((theme::FAMILY, theme::SMALL))
                .draw()?;
            chart.draw_series(self.rows.iter().enumerate().map(|(i, r)| {
                let x = i as f64;
                Rectangle::new([(x - 0.35, 0.0), (x + 0.35, r.stats[m].mean / scale)], theme::color(i).filled())
            }))?;
            // Error bars: the 95% interval, a line with caps.
            for (i, r) in self.rows.iter().enumerate().filter(|(_, r)| r.runs > 1) {
                let (x, lo, hi) = (i as f64, r.stats[m].low().max(0.0) / scale, r.stats[m].high() / scale);
                let style = BLACK.stroke_width(2);
                chart.draw_series([
                    PathElement::new(vec![(x, lo), (x, hi)], style),
                    PathElement::new(vec![(x - 0.12, lo), (x + 0.12, lo)], style),
                    PathElement::new(vec![(x - 0.12, hi), (x + 0.12, hi)], style),
                ])?;
            }
        }
        Ok(())
    }
}

pub fn draw(runs: &RunSet, dir: &Path, png: bool) -> Result<Drawn, ReportError> {
    render(&Comparison { rows: aggregate(runs), seeds: runs.seeds() }, dir, "comparison", png)
}
