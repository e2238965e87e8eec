//! Visits for remote measurement (issue 14): the visit file a guided capture writes and a
//! therapist's record reads ([`format`]).

pub mod compare;
pub mod format;
pub mod history;
pub mod import;
pub mod record;

pub use format::{
    frames_csv, read, utc_rfc3339, write, PartView, Protocol, SourceInfo, SourceKind, Visit, VisitError, VisitFile,
    VisitPart, VisitVideo, VISIT_SCHEMA,
};
