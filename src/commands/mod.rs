//! One module per subcommand, and what they share.

pub mod bench;
pub mod compare;
pub mod devices;
pub mod plan;
pub mod plot;
pub mod policies;
pub mod run;
pub mod simulate;
pub mod sweep;
pub mod trace;

use crate::args::EngineArg;
use coprep_sim::{Engine, RunOptions};

pub fn run_options(engine: EngineArg, seed: u64, noise: f64, record_events: bool) -> RunOptions {
    let engine = match engine {
        EngineArg::Analytic => Engine::Analytic,
        EngineArg::PerBatch => Engine::PerBatch,
    };
    RunOptions { engine, seed, noise_sigma: noise, record_events }
}

pub fn secs(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else {
        format!("{x:.2}")
    }
}

pub fn percent(x: f64) -> String {
    // Round first so that a tiny negative (float noise) does not print as "-0.0%".
    let tenths = (x * 1000.0).round();
    format!("{:.1}%", if tenths == 0.0 { 0.0 } else { tenths / 10.0 })
}
