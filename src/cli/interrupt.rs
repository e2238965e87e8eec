//! Ctrl-C (SIGINT) and SIGTERM: the frame loop stops at the next frame, the input in progress
//! keeps what it measured, and the command exits with 128 + the signal number (130, 143), as a
//! shell reports a process killed by that signal. A second signal ends the process at once.

use signal_hook::consts::{SIGINT, SIGTERM};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

struct Flags {
    /// Set by the first signal; a second one while it is set exits at once.
    raised: Arc<AtomicBool>,
    /// Which signal came (0 = none yet).
    signal: Arc<AtomicUsize>,
}

static FLAGS: OnceLock<Flags> = OnceLock::new();

/// Install the handlers (once per process; later calls do nothing).
pub fn install() -> anyhow::Result<()> {
    if FLAGS.get().is_some() {
        return Ok(());
    }
    let flags = Flags {
        raised: Arc::new(AtomicBool::new(false)),
        signal: Arc::new(AtomicUsize::new(0)),
    };
    for sig in [SIGINT, SIGTERM] {
        // Registered first, so it sees the flag as the previous signal left it.
        signal_hook::flag::register_conditional_shutdown(sig, 128 + sig, Arc::clone(&flags.raised))?;
        signal_hook::flag::register_usize(sig, Arc::clone(&flags.signal), sig as usize)?;
        signal_hook::flag::register(sig, Arc::clone(&flags.raised))?;
    }
    let _ = FLAGS.set(flags);
    Ok(())
}

/// The signal that asked the run to stop, if one came.
pub fn received() -> Option<i32> {
    let sig = FLAGS.get()?.signal.load(Ordering::Relaxed);
    (sig != 0).then_some(sig as i32)
}

/// How the user knows `signal`.
pub fn describe(signal: i32) -> &'static str {
    match signal {
        SIGINT => "Ctrl-C (SIGINT)",
        SIGTERM => "SIGTERM",
        _ => "a signal",
    }
}

/// The exit status for a run stopped by `signal`: 128 + its number (130 for SIGINT).
pub fn exit_status(signal: i32) -> u8 {
    u8::try_from(128 + signal).unwrap_or(u8::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupted_runs_exit_as_the_shell_reports_a_signal() {
        assert_eq!(exit_status(SIGINT), 130);
        assert_eq!(exit_status(SIGTERM), 143);
    }
}
