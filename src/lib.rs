//! `posture`: webcam-based posture analysis.
//!
//! The crate is a pipeline whose modules follow the data:
//! [`frames`] (images, videos, cameras) -> `pose` (BlazePose on ONNX Runtime) -> `output`.
//! Each module depends only on the ones before it.

pub mod cli;
pub mod frames;
pub mod output;
pub mod pose;
