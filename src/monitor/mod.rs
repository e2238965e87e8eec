//! The live desk check (`posture watch`): frames from a camera (or a file played as one) go
//! through the library's frame loop at a low rate, each analysed frame is judged over a short
//! window ([`judge`]), and a pure state machine decides when to alert ([`policy`]). What it
//! says goes out as events; the caller writes them (JSON Lines, a terminal line).
//!
//! Stages, each testable alone: [`sampling`] (which frames to analyse) -> pose and measures
//! (the pipeline) -> [`judge`] (a level over the window) -> [`policy`] (alerts) -> events ->
//! [`log`] (per-minute rows in the session log, for `posture stats`). Around them: [`source`]
//! (the camera closed while paused or snoozed, retried when it fails), [`notify`] (a desktop
//! notification when an alert starts) and [`profile`] (a baseline kept per camera).

pub mod judge;
pub mod log;
pub mod notify;
pub mod policy;
pub mod profile;
pub mod sampling;
pub mod source;
mod watch;

pub use watch::{
    apply_command, watch, AlertKind, Calibration, Command, EventBody, EventLine, EventRecord, EventsHeader,
    WatchSettings, WatchSummary, EVENTS_SCHEMA,
};
