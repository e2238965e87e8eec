//! The `posture` command line: argument parsing and dispatch. Each subcommand lives in its own
//! module and is a thin layer over the library.

mod calibrate;
mod capture;
mod doctor;
mod interrupt;
mod landmarks;
mod measure;
mod pipeline;
mod report;
mod score;
mod stats;
mod stdin;
mod tui;
mod visits;
mod watch;

use clap::{Parser, Subcommand};
use std::io::Write;
use std::process::ExitCode;

use crate::VERSION;

#[derive(Parser)]
#[command(
    name = "posture",
    version = VERSION,
    about = "Webcam-based posture analysis: clinical posture measures from BlazePose body landmarks",
    long_about = "Webcam-based posture analysis.\n\nRuns MediaPipe's BlazePose (converted to ONNX, shipped in models/ and built into the binary) on images, video \
files and cameras, and turns the landmarks into posture measures with their uncertainty. Needs ONNX Runtime 1.31.1: \
`bash scripts/install-onnxruntime.sh` installs it where posture looks by default, or set ORT_DYLIB_PATH. \
`posture doctor` says what is found and what is missing."
)]
struct Cli {
    /// Only errors and warnings on standard error: no progress, no line per input, no summary,
    /// no status screen.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also say on standard error where ONNX Runtime and the models were loaded from.
    #[arg(long, short, global = true)]
    verbose: bool,
    #[command(subcommand)]
    command: Command,
}

/// How much a command says on standard error besides errors (`--quiet`, `--verbose`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

static VERBOSITY: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(Verbosity::Normal as u8);

/// This run's `--quiet` / `--verbose`.
pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(std::sync::atomic::Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        1 => Verbosity::Normal,
        _ => Verbosity::Verbose,
    }
}

/// Whether lines that are not errors (progress, one per input, summaries) are shown.
fn chatty() -> bool {
    verbosity() >= Verbosity::Normal
}

#[derive(Subcommand)]
enum Command {
    /// Posture measures for each input: craniovertebral angle and head tilt from a side view;
    /// change from a personal baseline from the front.
    Measure(measure::Args),
    /// Score folders of clips and photos: per-frame and per-input tables (CSV, JSON Lines), in
    /// parallel, resumable.
    Score(score::Args),
    /// Watch a camera (or a video played as one) and flag forward head when it persists.
    Watch(watch::Args),
    /// Today and the last days from the session log `watch` keeps: time monitored, share
    /// with forward head, alerts.
    Stats(stats::Args),
    /// Record a visit at home: talked through a side and a front view in plain words, the
    /// measurement of each saved to one visit file (zip) for the therapist.
    Capture(capture::Args),
    /// Record a personal baseline from upright input, for `measure --baseline`.
    Calibrate(calibrate::Args),
    /// Body landmarks for every frame of each input, as JSON Lines.
    Landmarks(landmarks::Args),
    /// List the cameras this machine has.
    Cameras,
    /// A patient's record of visits: add a visit file, clip or photos; list the visits.
    #[command(subcommand)]
    Visits(visits::Command),
    /// A patient's report for the therapist: one self-contained HTML file (or JSON).
    Report(report::Args),
    /// Check what posture needs here (ONNX Runtime, FFmpeg, models, data folder, cameras)
    /// and print the command that fixes each missing thing.
    Doctor(doctor::Args),
}

/// Parse arguments, run, and turn any failure into a one-line message and exit status 1, or
/// 128 + the signal's number when Ctrl-C or SIGTERM stopped the run (see `interrupt`).
pub fn main() -> ExitCode {
    // ONNX Runtime 1.31 keeps a telemetry queue under ~/.cache/Microsoft unless this is set
    // when its environment is created (`with_telemetry(false)` alone does not stop it). Set
    // here, before any thread exists, since changing the environment is not thread-safe.
    std::env::set_var("ORT_DISABLE_TELEMETRY", "1");
    let cli = Cli::parse();
    let verbosity = match (cli.quiet, cli.verbose) {
        (true, _) => Verbosity::Quiet,
        (false, true) => Verbosity::Verbose,
        (false, false) => Verbosity::Normal,
    };
    VERBOSITY.store(verbosity as u8, std::sync::atomic::Ordering::Relaxed);
    let result = interrupt::install().and_then(|()| match cli.command {
        Command::Measure(args) => measure::run(args),
        Command::Score(args) => score::run(args),
        Command::Watch(args) => watch::run(args),
        Command::Stats(args) => stats::run(args),
        Command::Capture(args) => capture::run(args),
        Command::Calibrate(args) => calibrate::run(args),
        Command::Landmarks(args) => landmarks::run(args),
        Command::Cameras => list_cameras(),
        Command::Visits(command) => visits::run(command),
        Command::Report(args) => report::run(args),
        Command::Doctor(args) => doctor::run(args),
    });
    let code = match result {
        Ok(code) => code,
        // The reader of standard output has gone (`posture landmarks clip.mp4 | head -1`): it
        // has what it wanted, so this is not a failure worth a message.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("posture: error: {e:#}");
            ExitCode::FAILURE
        }
    };
    match interrupt::received() {
        Some(signal) => {
            eprintln!(
                "posture: stopped by {}; inputs not started were skipped",
                interrupt::describe(signal)
            );
            ExitCode::from(interrupt::exit_status(signal))
        }
        None => code,
    }
}

/// What identifies a file: its device and inode where the system has them, else its
/// canonical path (for a file that does not exist yet: its folder's canonical path and name).
#[derive(Debug, PartialEq, Eq)]
enum FileId {
    #[cfg(unix)]
    Inode {
        device: u64,
        inode: u64,
    },
    Path(std::path::PathBuf),
}

fn file_id(path: &std::path::Path) -> Option<FileId> {
    match std::fs::metadata(path) {
        #[cfg(unix)]
        Ok(meta) => {
            use std::os::unix::fs::MetadataExt;
            Some(FileId::Inode {
                device: meta.dev(),
                inode: meta.ino(),
            })
        }
        #[cfg(not(unix))]
        Ok(_) => path.canonicalize().ok().map(FileId::Path),
        Err(_) => {
            let name = path.file_name()?;
            let folder = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p,
                _ => std::path::Path::new("."),
            };
            folder.canonicalize().ok().map(|f| FileId::Path(f.join(name)))
        }
    }
}

/// Whether two paths name the same file (hard links, symbolic links, `./x` and `x` included).
fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (file_id(a), file_id(b)) {
        (Some(x), Some(y)) => x == y,
        _ => false,
    }
}

/// Whether an output path means standard output (`-o -`), as Unix tools read `-`.
fn is_stdout(path: &std::path::Path) -> bool {
    path == std::path::Path::new("-")
}

/// Whether `e` comes from writing to a pipe whose reader has gone.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Refuse, before anything is opened or written, an output that is one of the inputs: writing
/// it would destroy the input.
fn refuse_output_over_input<'a>(
    output: &std::path::Path,
    inputs: impl IntoIterator<Item = &'a std::path::Path>,
) -> anyhow::Result<()> {
    if is_stdout(output) {
        return Ok(());
    }
    if let Some(input) = inputs.into_iter().find(|i| same_file(output, i)) {
        anyhow::bail!(
            "refusing to write {}: it is the input {}; choose another output file",
            output.display(),
            input.display()
        );
    }
    Ok(())
}

/// Standard output (no path, or `-`), or a file created for the purpose.
fn output_writer(path: Option<&std::path::Path>) -> anyhow::Result<Box<dyn std::io::Write>> {
    use anyhow::Context;
    Ok(match path.filter(|p| !is_stdout(p)) {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    })
}

/// Exit status 3: every input was read, but some gave no measurement (nobody in view, no
/// frame that passed the gates). `score` uses it too, for tables written with some inputs
/// failed or unmeasured; 1 stays for an input that could not be read, or a run that failed.
pub const NO_MEASUREMENT: u8 = 3;

/// How a command that reads inputs ends: 1 when some input could not be read, else 3 when some
/// input gave no measurement, else 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Outcome {
    unreadable: usize,
    unmeasured: usize,
}

impl Outcome {
    fn exit_code(self) -> ExitCode {
        if self.unreadable > 0 {
            ExitCode::FAILURE
        } else if self.unmeasured > 0 {
            ExitCode::from(NO_MEASUREMENT)
        } else {
            ExitCode::SUCCESS
        }
    }
}

fn list_cameras() -> anyhow::Result<ExitCode> {
    let cameras = crate::frames::list_cameras()?;
    if cameras.is_empty() {
        eprintln!("posture: no cameras found");
        return Ok(ExitCode::FAILURE);
    }
    let mut out = std::io::stdout().lock();
    for c in cameras {
        writeln!(out, "camera:{}\t{}\t{}", c.index, c.name, c.description)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unreadable_input_outranks_one_without_a_measurement() {
        let code = |unreadable, unmeasured| format!("{:?}", Outcome { unreadable, unmeasured }.exit_code());
        assert_eq!(code(0, 0), format!("{:?}", ExitCode::SUCCESS));
        assert_eq!(code(1, 0), format!("{:?}", ExitCode::FAILURE));
        assert_eq!(code(1, 5), format!("{:?}", ExitCode::FAILURE));
        assert_eq!(code(0, 2), format!("{:?}", ExitCode::from(NO_MEASUREMENT)));
    }

    #[test]
    fn the_command_line_definition_is_consistent() {
        // clap checks every subcommand: no two arguments share a name or a flag.
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
    use std::path::Path;

    #[test]
    fn one_file_under_different_names_is_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let clip = dir.path().join("clip.mp4");
        std::fs::write(&clip, b"video").unwrap();
        let via_dots = dir.path().join(".").join("sub").join("..").join("clip.mp4");
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let linked = dir.path().join("linked.mp4");
        std::fs::hard_link(&clip, &linked).unwrap();
        #[cfg(unix)]
        {
            let symlink = dir.path().join("symlink.mp4");
            std::os::unix::fs::symlink(&clip, &symlink).unwrap();
            assert!(same_file(&symlink, &clip));
        }
        assert!(same_file(&clip, &clip));
        assert!(same_file(&via_dots, &clip));
        assert!(same_file(&linked, &clip));
    }

    #[test]
    fn different_files_are_not_the_same_file() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jpg"), dir.path().join("b.jpg"));
        std::fs::write(&a, b"same bytes").unwrap();
        std::fs::write(&b, b"same bytes").unwrap();
        assert!(!same_file(&a, &b));
        assert!(!same_file(&a, &dir.path().join("new.json")));
        // A file that does not exist yet is the same as another spelling of its name.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        assert!(same_file(&dir.path().join("new.json"), &sub.join("../new.json")));
        assert!(!same_file(Path::new("camera:0"), &a));
    }

    #[test]
    fn an_output_that_is_an_input_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.jpg"), dir.path().join("b.jpg"));
        std::fs::write(&a, b"a").unwrap();
        std::fs::write(&b, b"b").unwrap();
        let out = dir.path().join("out.jsonl");
        assert!(refuse_output_over_input(&out, [a.as_path(), b.as_path()]).is_ok());
        let err = refuse_output_over_input(&b, [a.as_path(), b.as_path()])
            .unwrap_err()
            .to_string();
        assert!(err.contains("b.jpg") && !err.contains('\n'), "{err}");
    }

    #[test]
    fn a_dash_output_is_standard_output_and_never_refused() {
        assert!(is_stdout(Path::new("-")));
        assert!(!is_stdout(Path::new("./-")) && !is_stdout(Path::new("out.jsonl")));
        assert!(refuse_output_over_input(Path::new("-"), [Path::new("-")]).is_ok());
    }

    #[test]
    fn only_a_write_to_a_closed_pipe_counts_as_a_broken_pipe() {
        use anyhow::Context;
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        let wrapped = Err::<(), _>(pipe).context("cannot write output").unwrap_err();
        assert!(is_broken_pipe(&wrapped));
        let other = Err::<(), _>(std::io::Error::from(std::io::ErrorKind::PermissionDenied))
            .context("cannot write output")
            .unwrap_err();
        assert!(!is_broken_pipe(&other));
        assert!(!is_broken_pipe(&anyhow::anyhow!("broken pipe")));
    }
}
