//! The kernels, one WGSL file per operation, each with a plain-Rust reference it is tested
//! against.

pub mod affine;
pub mod augment;
pub mod backward;
pub mod bias_relu;
pub mod gather;
pub mod matmul;
pub mod random;
pub mod sgd;
pub mod softmax_xent;
