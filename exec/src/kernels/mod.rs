//! The kernels, one WGSL file per operation, each with a plain-Rust reference it is tested
//! against.

pub mod matmul;
pub mod normalize;
