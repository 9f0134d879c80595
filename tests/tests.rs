//! coprep's cross-crate and end-to-end tests: one test binary, a module per scenario.

mod util;

mod bad_input;
mod cli;
mod data;
mod engines;
mod exec;
mod formats;
mod gpu;
mod hand_worked;
mod importers;
mod properties;
mod quality;
mod reports;
