//! The Gantt chart of one run: a lane per processor (split into sub-lanes where it time-shares
//! several tasks) and a lane per preprocessing stream. Tasks are coloured by sharing group
//! (shades tell the tasks of a group apart); data stalls are red strips under a processor's
//! lane, moves black triangles. Large runs keep their legend short and their stream lanes few.

use crate::load::Run;
use crate::render::{render, slug, Plot};
use crate::timeline::{StreamBar, TaskBar, Timeline, BINS};
use crate::{theme, Drawn, ReportError};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

/// Streams beyond this many (the longest are kept) are not given lanes.
const MAX_STREAM_LANES: usize = 16;
/// Groups beyond this many are not named in the legend.
const MAX_LEGEND: usize = 10;
const LANE_PX: u32 = 34;

struct Gantt {
    policy: String,
    timeline: Timeline,
    /// Per processor: sub-lane count; per task bar: its sub-lane.
    slots: Vec<usize>,
    slot_of: Vec<usize>,
    /// Groups by size (largest first), each with its colour index.
    groups: Vec<(u64, String, usize)>,
    streams: Vec<StreamBar>,
    hidden_streams: usize,
}

impl Gantt {
    fn color_of(&self, group: u64) -> RGBColor {
        let i = self.groups.iter().position(|g| g.0 == group).unwrap_or(0);
        theme::color(i)
    }

    fn lanes(&self) -> usize {
        self.timeline.processors.len() + self.streams.len()
    }
}

/// Greedy interval colouring: each bar gets the first sub-lane of its processor free at its start.
fn assign_slots(bars: &[TaskBar], processors: usize) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..bars.len()).collect();
    order.sort_by(|&a, &b| bars[a].start.total_cmp(&bars[b].start).then(a.cmp(&b)));
    let mut free_at: Vec<Vec<f64>> = vec![Vec::new(); processors];
    let mut slot_of = vec![0; bars.len()];
    for i in order {
        let lanes = &mut free_at[bars[i].processor];
        let slot = lanes.iter().position(|&f| f <= bars[i].start + 1e-9).unwrap_or(lanes.len());
        if slot == lanes.len() {
            lanes.push(0.0);
        }
        lanes[slot] = bars[i].end;
        slot_of[i] = slot;
    }
    (free_at.iter().map(|l| l.len().max(1)).collect(), slot_of)
}

impl Plot for Gantt {
    fn title(&self) -> String {
        format!("Schedule: {}", theme::short(&self.policy, 70))
    }

    fn size(&self) -> (u32, u32) {
        let height = 170 + LANE_PX * self.lanes() as u32 + 26 * (self.groups.len().min(MAX_LEGEND) as u32).div_ceil(3);
        (1400, height.clamp(420, 4000))
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        root.fill(&WHITE)?;
        let t = &self.timeline;
        let (unit, scale) = theme::time_unit(t.end);
        let lanes = self.lanes() as f64;
        let legend_rows = (self.groups.len().min(MAX_LEGEND) + 2).div_ceil(3) as u32;
        let (chart_area, legend_area) = root.split_vertically(root.dim_in_pixel().1 - 20 - 26 * legend_rows);
        let mut chart = ChartBuilder::on(&chart_area)
            .caption(self.title(), (theme::FAMILY, theme::TITLE))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(150)
            .build_cartesian_2d(0f64..t.end / scale, 0f64..lanes)?;
        chart
            .configure_mesh()
            .max_light_lines(2)
            .disable_y_mesh()
            .y_labels(0)
            .x_desc(format!("time ({unit})"))
            .label_style((theme::FAMILY, theme::SMALL))
            .axis_desc_style((theme::FAMILY, theme::LABEL))
            .draw()?;
        // Lane i (from the top) spans [lanes - i - 1, lanes - i].
        let lane_y = |i: usize| lanes - i as f64 - 1.0;
        let label_font = (theme::FAMILY, theme::SMALL).into_font();
        let name = |i: usize, text: String| -> Text<'_, (i32, i32), String> {
            let (px, py) = chart.backend_coord(&(0.0, lane_y(i) + 0.5));
            Text::new(text, (px - 145, py - 7), label_font.clone())
        };
        for (i, p) in t.processors.iter().enumerate() {
            chart_area.draw(&name(i, theme::short(p, 18)))?;
        }
        for (k, s) in self.streams.iter().enumerate() {
            chart_area
                .draw(&name(t.processors.len() + k, format!("stream {} ({})", s.group, theme::short(&s.dataset, 9))))?;
        }
        // Lane separators.
        chart
            .draw_series((1..self.lanes()).map(|i| {
                PathElement::new(vec![(0.0, i as f64), (t.end / scale, i as f64)], RGBColor(225, 225, 225))
            }))?;

        // Task bars: shades within a group tell its tasks apart.
        let mut within_group: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
        for b in &t.tasks {
            let members = within_group.entry(b.group).or_default();
            if !members.contains(&b.task.as_str()) {
                members.push(&b.task);
            }
        }
        let shade_of = |b: &TaskBar| {
            let members = &within_group[&b.group];
            let k = members.iter().position(|m| *m == b.task).unwrap_or(0);
            let f = if members.len() > 1 { -0.35 + 0.7 * k as f64 / (members.len() - 1) as f64 } else { 0.0 };
            theme::shade(self.color_of(b.group), f)
        };
        let (x_px, _) = chart.plotting_area().dim_in_pixel();
        let px_per_unit = x_px as f64 / (t.end / scale);
        for (i, b) in t.tasks.iter().enumerate() {
            let slots = self.slots[b.processor] as f64;
            let y0 = lane_y(b.processor) + 0.08 + 0.84 * self.slot_of[i] as f64 / slots;
            let y1 = y0 + 0.84 / slots - 0.02;
            let color = shade_of(b);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(b.start / scale, y0), (b.end / scale, y1)],
                color.filled(),
            )))?;
            let width_px = (b.end - b.start) / scale * px_per_unit;
            if width_px > 9.0 * b.task.chars().count() as f64 && self.slots[b.processor] <= 3 {
                let (px, py) = chart.backend_coord(&(b.start / scale, (y0 + y1) / 2.0));
                chart_area.draw(&Text::new(b.task.clone(), (px + 4, py - 6), label_font.clone().color(&WHITE)))?;
            }
        }
        // Data stalls: a red strip at the bottom of a processor's lane, darker for longer stalls.
        for p in 0..t.processors.len() {
            let y = lane_y(p);
            chart.draw_series((0..BINS).filter(|&b| t.stall(p, b) > 0.02).map(|b| {
                let x0 = b as f64 * t.bin / scale;
                Rectangle::new(
                    [(x0, y), (x0 + t.bin / scale, y + 0.07)],
                    theme::STALL.mix(0.3 + 0.7 * t.stall(p, b)).filled(),
                )
            }))?;
        }
        // Moves: a triangle where the task lands.
        chart.draw_series(
            t.moves.iter().map(|(time, _, p)| TriangleMarker::new((time / scale, lane_y(*p) + 0.5), 7, BLACK.filled())),
        )?;
        // Streams.
        for (k, s) in self.streams.iter().enumerate() {
            let y = lane_y(t.processors.len() + k);
            let color = self.color_of(s.group);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(s.start / scale, y + 0.2), (s.end / scale, y + 0.8)],
                color.mix(0.55).filled(),
            )))?;
            let prep: Vec<String> =
                s.prep.iter().take(4).map(|(p, share)| format!("{p} {:.0}%", share * 100.0)).collect();
            let more = if s.prep.len() > 4 { format!(" +{}", s.prep.len() - 4) } else { String::new() };
            let text = format!("{} consumers; prep on {}{more}", s.consumers, prep.join(", "));
            let width_px = (s.end - s.start) / scale * px_per_unit;
            if width_px > 7.0 * text.chars().count() as f64 {
                let (px, py) = chart.backend_coord(&(s.start / scale, y + 0.5));
                chart_area.draw(&Text::new(text, (px + 4, py - 6), label_font.clone()))?;
            }
        }

        // Legend: the largest groups, then what the marks mean.
        let mut entries: Vec<(RGBColor, String, bool)> = self
            .groups
            .iter()
            .take(MAX_LEGEND)
            .map(|(g, dataset, size)| {
                (
                    self.color_of(*g),
                    format!(
                        "group {g}: {size} task{} on {}",
                        if *size == 1 { "" } else { "s" },
                        theme::short(dataset, 14)
                    ),
                    false,
                )
            })
            .collect();
        if self.groups.len() > MAX_LEGEND {
            entries.push((
                theme::GREY,
                format!("... {} more groups (colours repeat)", self.groups.len() - MAX_LEGEND),
                false,
            ));
        }
        entries.push((theme::STALL, "data stall (red strip under a lane)".into(), false));
        if !t.moves.is_empty() {
            entries.push((BLACK, "task moved here".into(), true));
        }
        if self.hidden_streams > 0 {
            entries.push((theme::GREY, format!("{} shorter streams without a lane", self.hidden_streams), false));
        }
        for (i, (color, text, triangle)) in entries.into_iter().enumerate() {
            let (col, row) = ((i % 3) as i32, (i / 3) as i32);
            let (x, y) = (160 + col * 410, 8 + row * 26);
            if triangle {
                legend_area.draw(&TriangleMarker::new((x + 7, y + 7), 7, color.filled()))?;
            } else {
                legend_area.draw(&Rectangle::new([(x, y), (x + 14, y + 14)], color.filled()))?;
            }
            legend_area.draw(&Text::new(text, (x + 22, y), label_font.clone()))?;
        }
        Ok(())
    }
}

pub fn draw(run: &Run, dir: &Path, png: bool) -> Result<Drawn, ReportError> {
    let timeline = Timeline::of(run);
    let (slots, slot_of) = assign_slots(&timeline.tasks, timeline.processors.len());
    let mut groups: Vec<(u64, String, usize)> =
        timeline.streams.iter().map(|s| (s.group, s.dataset.clone(), 0)).collect();
    let mut sizes: BTreeMap<u64, Vec<&str>> = BTreeMap::new();
    for b in &timeline.tasks {
        let members = sizes.entry(b.group).or_default();
        if !members.contains(&b.task.as_str()) {
            members.push(&b.task);
        }
    }
    for g in &mut groups {
        g.2 = sizes.get(&g.0).map_or(0, Vec::len);
    }
    groups.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    let mut streams = timeline.streams.clone();
    streams.sort_by(|a, b| (b.end - b.start).total_cmp(&(a.end - a.start)).then(a.group.cmp(&b.group)));
    let hidden_streams = streams.len().saturating_sub(MAX_STREAM_LANES);
    streams.truncate(MAX_STREAM_LANES);
    streams.sort_by_key(|s| s.group);
    let plot = Gantt { policy: run.label.clone(), timeline, slots, slot_of, groups, streams, hidden_streams };
    render(&plot, dir, &format!("gantt-{}", slug(&run.label)), png)
}
