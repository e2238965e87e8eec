//! Writing results: JSON Lines records and annotated frames.

pub mod annotate;
pub mod jsonl;
pub mod measure;
