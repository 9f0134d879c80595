//! `report.html`: one self-contained page (plots inlined as SVG) with the summary table and the
//! parameters that produced it.

use crate::comparison::{aggregate, METRICS};
use crate::load::RunSet;
use crate::{Drawn, ReportError};
use coprep_traces::io::write_atomic;
use std::fmt::Write;
use std::path::{Path, PathBuf};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn seconds(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

pub fn write(runs: &RunSet, dir: &Path, drawn: &[Drawn]) -> Result<PathBuf, ReportError> {
    let first = &runs.runs[0].summary;
    let rows = aggregate(runs);
    let mut page = String::new();
    let title = format!("coprep report: {}", escape(&first.workload));
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>\n\
         body {{ font-family: 'DejaVu Sans', Helvetica, Arial, sans-serif; margin: 2em auto; max-width: 1500px; color: #222; }}\n\
         table {{ border-collapse: collapse; margin: 1em 0; }} th, td {{ padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }}\n\
         th:first-child, td:first-child {{ text-align: left; }} figure {{ margin: 2em 0; }} figure svg {{ max-width: 100%; height: auto; }}\n\
         .note {{ color: #666; font-size: 90%; }} dt {{ font-weight: bold; float: left; width: 12em; }} dd {{ margin-left: 13em; }}\n\
         </style></head><body>\n<h1>{title}</h1>\n"
    );
    let seeds: Vec<String> = runs.of(&rows[0].policy).map(|r| r.summary.seed.to_string()).collect();
    let _ = write!(
        page,
        "<h2>Parameters</h2><dl>\n<dt>workload</dt><dd>{}</dd>\n<dt>tasks / processors</dt><dd>{} / {}</dd>\n\
         <dt>engine</dt><dd>{}</dd>\n<dt>seeds</dt><dd>{}</dd>\n<dt>noise sigma</dt><dd>{}</dd>\n<dt>lower bound</dt><dd>{} s</dd>\n</dl>\n",
        escape(&first.workload),
        first.tasks,
        first.processors,
        escape(&first.engine),
        seeds.join(", "),
        first.noise_sigma,
        seconds(first.lower_bound_s)
    );
    page.push_str("<h2>Summary</h2>\n<table><tr><th>policy</th><th>runs</th>");
    for (_, title, _) in METRICS {
        let _ = write!(page, "<th>{title} (s)</th>");
    }
    page.push_str("<th>prep saved</th></tr>\n");
    for r in &rows {
        let _ = write!(page, "<tr><td>{}</td><td>{}</td>", escape(&r.policy), r.runs);
        for s in &r.stats {
            if r.runs > 1 {
                let _ = write!(page, "<td>{} ± {}</td>", seconds(s.mean), seconds(s.half_width));
            } else {
                let _ = write!(page, "<td>{}</td>", seconds(s.mean));
            }
        }
        let _ = writeln!(page, "<td>{:.1}%</td></tr>", r.prep_saved_fraction * 100.0);
    }
    page.push_str("</table>\n<p class=\"note\">Mean ± half-width of the 95% confidence interval (Student's t) over seeds. Full policy parameters:</p>\n<ul class=\"note\">");
    for p in runs.policies() {
        let full = &runs.first_of(&p).expect("listed").summary.policy;
        let _ = write!(page, "<li>{}: <code>{}</code></li>", escape(&p), escape(full));
    }
    page.push_str("</ul>\n<h2>Plots</h2>\n");
    for d in drawn {
        let svg = std::fs::read_to_string(&d.svg).map_err(|e| coprep_traces::Error::io(&d.svg, e))?;
        let svg = match svg.find("<svg") {
            Some(i) => &svg[i..],
            None => &svg,
        };
        let file = d.svg.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let _ = write!(page, "<figure>{svg}\n<figcaption>{} — <a href=\"plots/{file}\">{file}</a>", escape(&d.title));
        if let Some(png) = &d.png {
            let name = png.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let _ = write!(page, ", <a href=\"plots/{name}\">{name}</a>");
        }
        page.push_str("</figcaption></figure>\n");
    }
    page.push_str("</body></html>\n");
    let path = dir.join("report.html");
    write_atomic(&path, page.as_bytes())?;
    Ok(path)
}
