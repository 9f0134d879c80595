//! `coprep bench`: measured figures the README quotes — policy quality against the optimum,
//! simulator speed at scale, and the executor's kernel throughput.

pub mod kernels;
pub mod quality;
pub mod sharing;
pub mod speed;
