//! `coprep bench`: measured figures the README quotes — policy quality against the optimum and
//! simulator speed at scale.

pub mod quality;
pub mod speed;
