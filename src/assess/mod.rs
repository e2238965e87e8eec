//! From per-frame measures to what an input says: spike and movement removal, robust
//! summaries with intervals that respect frame correlation, clinical classes, and change
//! against a personal baseline.

pub mod baseline;
pub mod classify;
pub mod recording;
pub mod series;
pub mod stats;
pub mod summary;
pub mod thresholds;

pub use baseline::{Baseline, Change, FrontComparison};
pub use classify::{classify, no_cva_reason, quality_reasons, Classification};
pub use summary::{assess_frames, summarize, Estimate, Summary, TimedMeasure, ViewChoice};
pub use thresholds::{ForwardHead, Thresholds, VALIDATION_CVA_MAE_DEG};
