//! `posture`: webcam-based posture analysis.
//!
//! The crate is a pipeline whose modules follow the data:
//! [`frames`] (images, videos, cameras) -> [`pose`] (BlazePose on ONNX Runtime) -> [`measures`]
//! (angles and signals per frame, with reasons when there are none) -> [`assess`] (clip
//! statistics, classes, baselines) -> [`pipeline`] (the one frame loop every command uses) ->
//! [`output`] (records, tables, pictures) -> [`batch`] (`posture score`) and [`monitor`]
//! (`posture watch`), [`visit`] (visit files, the patient record, reports) and [`capture`]
//! (`posture capture`) -> [`cli`]; [`setup`] (what the machine needs, `posture doctor`) looks at
//! them all. Each module depends only on the ones before it;
//! [`validation`] (the check against renders) is development tooling that uses them all.

pub mod assess;
pub mod batch;
pub mod capture;
pub mod cli;
pub mod frames;
pub mod measures;
pub mod monitor;
pub mod output;
pub mod pipeline;
pub mod pose;
pub mod report;
pub mod setup;
pub mod validation;
pub mod visit;

/// The package version and the git commit it was built from ("unknown" outside a checkout;
/// see build.rs). Every record names it, so results from different code are never taken for
/// each other (a resumed `posture score` run after an upgrade scores its inputs again).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("POSTURE_GIT_COMMIT"), ")");
