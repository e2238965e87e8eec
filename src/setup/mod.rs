//! What `posture` needs on a machine besides itself, where each thing comes from, and the
//! checks of `posture doctor`.
//!
//! The ONNX Runtime library comes from the `onnxruntime` wheel for the machine's platform. Which
//! wheel, and the library's name in it, is one table, `scripts/onnxruntime-wheels.tsv`, read by
//! [`crate::pose::platform`] (for the runtime, which looks for that name, and for the doctor
//! here) and by the install scripts (bash and PowerShell), so they cannot disagree.

pub mod doctor;
pub mod library;

pub use crate::pose::platform::{Arch, OrtWheel, Os, Platform, PlatformError};
