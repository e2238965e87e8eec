//! Batch scoring (`posture score`): many inputs measured exactly as `posture measure` measures
//! each, in parallel, into tables a spreadsheet or pandas reads, resumable after any stop.
//!
//! How results are kept (see [`store`]): each input's result is written to its own files in
//! `DIR/parts/`, each moved into place whole once complete, so a `kill -9` at any moment leaves
//! every input either fully recorded or not at all. The tables `frames.csv`, `summary.csv`,
//! `summary.jsonl` and `run.json` are then assembled from the parts, in input order, each
//! replaced whole. A re-run reads the parts back and scores only what is missing or stale
//! (another file, or other settings). Plain files rather than a database: shards from several
//! machines merge by joining folders, and each part can be read by hand.
//!
//! Scheduling: `jobs` workers, each with its own single-threaded model sessions, take inputs
//! largest file first, so that a long clip starts early instead of running alone at the end.
//! A video file of two or more [`crate::pipeline::SEGMENT_S`] segments is cut when a worker
//! takes it: the other segments go to the front of the queue, for idle workers to take, and the
//! worker that finishes the last one joins and judges them ([`crate::pipeline::measure_segment`]:
//! the numbers are those of `measure`, whatever the number of jobs).

pub mod keyframe;
pub mod store;

use crate::assess::baseline::Baseline;
use crate::frames::discover::{discover, Skipped};
use crate::frames::Segments;
use crate::output::measure::MeasureRecord;
use crate::output::table;
use crate::pipeline::{measure_segment, Analysis, AssessSettings, Measured, PipelineSettings, Provenance};
use crate::pose::{Landmark, PoseModels, NUM_LANDMARKS};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use store::{InputKey, Part, PartStore};

pub use store::merge;

/// The K-th of N parts of the input list (K from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// Parse `K/N` with 1 <= K <= N.
    pub fn parse(s: &str) -> Result<Shard, String> {
        let bad = || format!("'{s}' is not a shard K/N (1 <= K <= N, e.g. 2/8)");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if index == 0 || count == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether the input at `position` of the full list belongs to this shard: every N-th
    /// input, so that the shards get alike mixes of long and short inputs.
    pub fn takes(&self, position: usize) -> bool {
        position % self.count == self.index - 1
    }
}

#[derive(Debug, Clone)]
pub struct BatchSettings {
    pub pipeline: PipelineSettings,
    pub assess: AssessSettings,
    /// Inputs measured at once.
    pub jobs: usize,
    /// Score every input again, even those already scored with these settings.
    pub force: bool,
    pub shard: Option<Shard>,
    /// Write an annotated key frame for each input with a reading.
    pub keyframes: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error("{0}")]
    Io(String),
    #[error("cannot merge: {0}")]
    Merge(String),
    #[error(transparent)]
    Runtime(#[from] crate::pose::RuntimeError),
}

fn io_error(what: impl std::fmt::Display, e: impl std::fmt::Display) -> BatchError {
    BatchError::Io(format!("{what}: {e}"))
}

/// One input of the plan.
#[derive(Debug, Clone)]
pub struct PlannedInput {
    /// Position in the full (unsharded) input list.
    pub position: usize,
    pub path: PathBuf,
    pub key: InputKey,
    pub bytes: u64,
}

/// What a run will do.
#[derive(Debug)]
pub struct Plan {
    /// This shard's inputs, in input order.
    pub inputs: Vec<PlannedInput>,
    /// Inputs in the full list (all shards).
    pub inputs_in_all_shards: usize,
    pub skipped: Vec<Skipped>,
    /// Identifies the full input list and the settings: shards merge only when it matches.
    pub run_id: String,
    pub settings_id: String,
}

/// Find the inputs, and fix what identifies this run's results.
pub fn plan(
    paths: &[PathBuf],
    out_dir: &Path,
    settings: &BatchSettings,
    provenance: &Provenance,
    baseline: Option<&[u8]>,
) -> Result<Plan, BatchError> {
    let found = discover(paths).map_err(|e| BatchError::Io(e.to_string()))?;
    // Never score what this run writes (key frames in an --out folder inside an input folder).
    let out_canonical = out_dir.canonicalize().ok();
    let inside_out = |p: &Path| {
        out_canonical
            .as_ref()
            .is_some_and(|o| p.canonicalize().is_ok_and(|c| c.starts_with(o)))
    };
    let all: Vec<PathBuf> = found.inputs.into_iter().filter(|p| !inside_out(p)).collect();
    let settings_id = store::settings_id(provenance, settings.keyframes, baseline);
    let run_id = store::run_id(&all, &settings_id);
    let inputs = all
        .iter()
        .enumerate()
        .filter(|(i, _)| settings.shard.is_none_or(|s| s.takes(*i)))
        .map(|(position, path)| {
            let key = InputKey::of(path, &settings_id);
            PlannedInput {
                position,
                path: path.clone(),
                bytes: key.size_bytes,
                key,
            }
        })
        .collect();
    Ok(Plan {
        inputs,
        inputs_in_all_shards: all.len(),
        skipped: found.skipped,
        run_id,
        settings_id,
    })
}

/// What happened to one input, as the progress display hears of it.
#[derive(Debug, Clone)]
pub enum Event {
    /// Scored now: frames read, and the error if it failed.
    Scored {
        input: String,
        frames: u64,
        bytes: u64,
        error: Option<String>,
        /// Segments it was measured in (1: whole).
        segments: usize,
    },
    /// Already scored by an earlier run with the same settings.
    Reused { bytes: u64 },
    /// Stopped part-way by `stop`: nothing kept, so that a re-run scores it whole.
    Stopped { input: String },
}

/// Counts of a run, for `run.json`.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    /// Inputs in this shard (or run), skipped files not included.
    pub inputs_found: usize,
    /// Inputs with a result, reused or not, that is not a failure.
    pub measured: usize,
    /// Inputs with a result that is a failure (unreadable, or an error part-way).
    pub failed: usize,
    /// Files in folders passed over (not pictures or videos).
    pub skipped: usize,
    /// Inputs whose result came from an earlier run.
    pub reused: usize,
    /// Inputs without a result because the run was stopped.
    pub not_scored: usize,
    /// Long clips measured in segments by several workers in this run.
    #[serde(default)]
    pub segmented: usize,
}

/// Score every input of `plan` into `out_dir`, then assemble the tables. `on_event` hears of
/// each input as it ends (from the calling thread); `stop` ends the run within a frame: the
/// inputs in progress are dropped (a re-run scores them whole) and the tables are assembled
/// from what was finished.
pub fn run(
    plan: &Plan,
    out_dir: &Path,
    settings: &BatchSettings,
    provenance: &Provenance,
    baseline: Option<&Baseline>,
    stop: &(dyn Fn() -> bool + Sync),
    mut on_event: impl FnMut(Event),
) -> Result<Counts, BatchError> {
    let started = std::time::Instant::now();
    let store = PartStore::open(out_dir)?;
    let mut todo: Vec<&PlannedInput> = Vec::new();
    let mut reused = 0;
    for input in &plan.inputs {
        match store.read(&input.path) {
            Some(part) if !settings.force && part.key == input.key && !part.failed => {
                if part.position != input.position {
                    // Files were added or removed since: same result, new place in the list.
                    store.reposition(&input.path, part, input.position)?;
                }
                reused += 1;
                on_event(Event::Reused { bytes: input.bytes })
            }
            _ => todo.push(input),
        }
    }
    // Largest first: a long clip started last would run alone while the other workers idle.
    todo.sort_by(|a, b| b.bytes.cmp(&a.bytes).then(a.position.cmp(&b.position)));
    // With fewer inputs than jobs, cutting the clips now tells how many workers have work
    // (each loads its own models); otherwise the workers cut them as they take them.
    let mut cut: HashMap<usize, Option<Segments>> = HashMap::new();
    let mut pieces = todo.len();
    if settings.jobs > 1 && todo.len() < settings.jobs {
        for input in &todo {
            let segments = settings.pipeline.segments(&input.path);
            pieces += segments.as_ref().map_or(0, |s| s.spans.len() - 1);
            cut.insert(input.position, segments);
        }
    }
    let jobs = settings.jobs.max(1).min(pieces);
    let cut = Mutex::new(cut);
    let queue = WorkQueue::new(todo.into_iter().map(Work::Input).collect());
    let mut segmented = 0;
    // Cut clips begun: one stopped with segments never measured is reported after the workers.
    let begun: Mutex<Vec<Arc<CutClip>>> = Mutex::new(Vec::new());
    let (sender, receiver) = mpsc::channel::<Result<Event, BatchError>>();
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            let sender = sender.clone();
            let (queue, store, cut, begun) = (&queue, &store, &cut, &begun);
            scope.spawn(move || {
                let mut models = match settings.pipeline.load_models() {
                    Ok(m) => m,
                    Err(e) => {
                        let _ = sender.send(Err(e.into()));
                        return;
                    }
                };
                loop {
                    let Some(work) = queue.take(|w| jobs > 1 && matches!(w, Work::Input(_)), stop) else {
                        return;
                    };
                    let analysis = Analysis {
                        pipeline: &settings.pipeline,
                        assess: &settings.assess,
                        baseline,
                        provenance,
                    };
                    let scorer = Scorer {
                        analysis: &analysis,
                        keyframes: settings.keyframes,
                        store,
                        out_dir,
                        stop,
                    };
                    let work = match work {
                        Work::Input(input) if jobs > 1 => {
                            let known = cut.lock().expect("cut lock").remove(&input.position);
                            match known.unwrap_or_else(|| settings.pipeline.segments(&input.path)) {
                                Some(segments) => {
                                    let clip = Arc::new(CutClip::new(input, segments));
                                    begun.lock().expect("begun lock").push(Arc::clone(&clip));
                                    let later =
                                        (1..clip.segments.spans.len()).map(|n| Work::Segment(Arc::clone(&clip), n));
                                    queue.cut(later.collect());
                                    Work::Segment(clip, 0)
                                }
                                None => {
                                    queue.cut(Vec::new());
                                    Work::Input(input)
                                }
                            }
                        }
                        other => other,
                    };
                    let event = match work {
                        Work::Input(input) => Some(scorer.score(input, &mut models)),
                        Work::Segment(clip, n) => scorer.score_segment(&clip, n, &mut models),
                    };
                    if event.is_some_and(|e| sender.send(e).is_err()) {
                        return;
                    }
                }
            });
        }
        drop(sender);
        let mut first_error = None;
        for event in receiver {
            match event {
                Ok(e) => {
                    if matches!(e, Event::Scored { segments, .. } if segments > 1) {
                        segmented += 1;
                    }
                    on_event(e)
                }
                Err(e) => {
                    // A worker that cannot work (models, disk) stops the run cleanly.
                    queue.close();
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    })?;
    for clip in begun.into_inner().expect("begun lock") {
        if clip.done.lock().expect("segments lock").iter().any(Option::is_none) {
            on_event(Event::Stopped {
                input: clip.input.path.display().to_string(),
            });
        }
    }
    let mut counts = Counts {
        inputs_found: plan.inputs.len(),
        skipped: plan.skipped.len(),
        ..Default::default()
    };
    let parts: Vec<store::StoredPart> = plan
        .inputs
        .iter()
        .filter_map(|input| store.stored(&input.path).filter(|p| p.part.key == input.key))
        .collect();
    for stored in &parts {
        if stored.part.failed {
            counts.failed += 1;
        } else {
            counts.measured += 1;
        }
    }
    counts.not_scored = plan.inputs.len() - parts.len();
    counts.reused = reused;
    counts.segmented = segmented;
    let run = store::RunInfo {
        schema: store::RUN_SCHEMA.into(),
        tool: "posture".into(),
        version: crate::VERSION.into(),
        run_id: plan.run_id.clone(),
        settings_id: plan.settings_id.clone(),
        shard: settings.shard,
        shards_merged: Vec::new(),
        inputs_in_all_shards: plan.inputs_in_all_shards,
        counts,
        wall_time_s: (started.elapsed().as_secs_f64() * 10.0).round() / 10.0,
        jobs,
        provenance: serde_json::to_value(provenance).expect("provenance serialises"),
        skipped: plan.skipped.clone(),
        parts: parts.iter().map(|p| p.name.clone()).collect(),
    };
    store::assemble(out_dir, &parts, &run)?;
    Ok(counts)
}

/// What a worker takes from the queue.
enum Work<'a> {
    /// A whole input.
    Input(&'a PlannedInput),
    /// The n-th segment of a clip cut for several workers.
    Segment(Arc<CutClip<'a>>, usize),
}

/// The work no worker has taken yet, shared by the workers.
///
/// A worker that takes a whole input while others may be idle cuts it into segments and puts
/// all but the first back at the front. Until it has, an idle worker must wait rather than find
/// the queue empty and leave: it would leave a long clip's segments to one worker (a folder of a
/// long clip and a photo: the photo's worker finished while the clip was being cut).
struct WorkQueue<T> {
    state: Mutex<Waiting<T>>,
    changed: std::sync::Condvar,
}

struct Waiting<T> {
    items: VecDeque<T>,
    /// Workers that took an item to cut and have not yet put its other parts back.
    cutting: usize,
    /// Cleared after an error: nothing more is handed out or put back.
    closed: bool,
}

impl<T> WorkQueue<T> {
    fn new(items: VecDeque<T>) -> WorkQueue<T> {
        WorkQueue {
            state: Mutex::new(Waiting {
                items,
                cutting: 0,
                closed: false,
            }),
            changed: std::sync::Condvar::new(),
        }
    }

    /// The next item, or `None` when there is none left or the run is stopped. An item for
    /// which `to_cut` holds is taken to be cut: the taker must call [`WorkQueue::cut`] next.
    fn take(&self, to_cut: impl Fn(&T) -> bool, stop: &(dyn Fn() -> bool + Sync)) -> Option<T> {
        let mut state = self.state.lock().expect("queue lock");
        loop {
            if stop() || state.closed {
                return None;
            }
            if let Some(item) = state.items.pop_front() {
                if to_cut(&item) {
                    state.cutting += 1;
                }
                return Some(item);
            }
            if state.cutting == 0 {
                return None;
            }
            // The stop check is polled, so the wait is bounded.
            let wait = self.changed.wait_timeout(state, std::time::Duration::from_millis(50));
            state = wait.expect("queue lock").0;
        }
    }

    /// The parts after the first of an item taken to be cut, in order (none when not cut).
    fn cut(&self, later: Vec<T>) {
        let mut state = self.state.lock().expect("queue lock");
        if !state.closed {
            for item in later.into_iter().rev() {
                state.items.push_front(item);
            }
        }
        state.cutting -= 1;
        self.changed.notify_all();
    }

    /// Hand out nothing more (a worker cannot work).
    fn close(&self) {
        let mut state = self.state.lock().expect("queue lock");
        state.items.clear();
        state.closed = true;
        self.changed.notify_all();
    }
}

/// The subject's landmarks on frames with a side reading (frame index first), for the key
/// frame chosen after the summary.
type Skeletons = Vec<(u64, [Landmark; NUM_LANDMARKS])>;

/// A clip cut into segments, and the segments measured so far.
struct CutClip<'a> {
    input: &'a PlannedInput,
    segments: Segments,
    done: Mutex<Vec<Option<(Measured, Skeletons)>>>,
}

impl<'a> CutClip<'a> {
    fn new(input: &'a PlannedInput, segments: Segments) -> CutClip<'a> {
        let done = Mutex::new(segments.spans.iter().map(|_| None).collect());
        CutClip { input, segments, done }
    }
}

/// How a worker measures inputs and stores their results.
struct Scorer<'a> {
    analysis: &'a Analysis<'a>,
    keyframes: bool,
    store: &'a PartStore,
    out_dir: &'a Path,
    stop: &'a (dyn Fn() -> bool + Sync),
}

impl Scorer<'_> {
    /// Keeps the skeletons of frames with a side reading, when key frames are asked for.
    fn keep_skeleton<'s>(
        &self,
        skeletons: &'s mut Skeletons,
    ) -> impl FnMut(&crate::frames::Frame, &crate::pose::PoseFrame, &crate::pipeline::MeasuredFrame) + 's {
        let keyframes = self.keyframes;
        move |_, pose, measured| {
            if keyframes && measured.timed.measure.side.is_ok() {
                if let Some(p) = &pose.pose {
                    skeletons.push((measured.index, p.landmarks));
                }
            }
        }
    }

    /// Measure one input whole and store its result.
    fn score(&self, input: &PlannedInput, models: &mut PoseModels) -> Result<Event, BatchError> {
        let mut skeletons = Skeletons::new();
        let result = self
            .analysis
            .run(&input.path, models, self.stop, self.keep_skeleton(&mut skeletons));
        self.store(input, result, &skeletons, 1)
    }

    /// Measure one segment of a cut clip; the worker that measures the last one joins them,
    /// judges the clip and stores its result (`None` until then). A segment that ended in an
    /// error has the clip measured whole instead, so that its result and errors are those of
    /// an uncut run.
    fn score_segment(&self, clip: &CutClip, n: usize, models: &mut PoseModels) -> Option<Result<Event, BatchError>> {
        let input = clip.input;
        let mut skeletons = Skeletons::new();
        let measured = measure_segment(
            &input.path,
            (&clip.segments, n),
            self.analysis.pipeline,
            &self.analysis.assess.measure,
            models,
            self.stop,
            self.keep_skeleton(&mut skeletons),
        );
        let parts = {
            let mut done = clip.done.lock().expect("segments lock");
            done[n] = Some((measured, skeletons));
            if done.iter().any(Option::is_none) {
                return None;
            }
            std::mem::take(&mut *done)
        };
        let (parts, skeletons): (Vec<Measured>, Vec<Skeletons>) = parts.into_iter().flatten().unzip();
        let measured = Measured::joined(parts);
        if measured.stats.interrupted {
            return Some(Ok(Event::Stopped {
                input: input.path.display().to_string(),
            }));
        }
        if measured.error.is_some() {
            return Some(self.score(input, models));
        }
        let result = self.analysis.assess(&input.path, measured);
        Some(self.store(input, result, &skeletons.concat(), clip.segments.spans.len()))
    }

    /// Store the result of one input.
    fn store(
        &self,
        input: &PlannedInput,
        result: crate::pipeline::InputResult,
        skeletons: &[(u64, [Landmark; NUM_LANDMARKS])],
        segments: usize,
    ) -> Result<Event, BatchError> {
        let (analysis, keyframes, out_dir) = (self.analysis, self.keyframes, self.out_dir);
        if result.stats.interrupted {
            return Ok(Event::Stopped { input: result.input });
        }
        let mut record = MeasureRecord::of(&result, &analysis.assess.thresholds);
        let keyframe = if keyframes {
            match keyframe::write(out_dir, &input.path, &result, skeletons, analysis.pipeline) {
                Ok(path) => path,
                Err(e) => {
                    record.error.get_or_insert(format!("key frame: {e}"));
                    None
                }
            }
        } else {
            None
        };
        let error = record
            .error
            .clone()
            .or_else(|| result.nobody_in_view().then(|| "no person in view".to_string()));
        let part = Part {
            position: input.position,
            input: result.input.clone(),
            key: input.key.clone(),
            failed: error.is_some(),
            record_json: serde_json::to_string(&record).expect("records serialise"),
            summary_row: String::from_utf8(table::summary_row(&record, keyframe.as_deref())).expect("CSV is UTF-8"),
            keyframe,
        };
        self.store.write(&input.path, &part, &table::frame_rows(&result))?;
        Ok(Event::Scored {
            input: result.input,
            frames: result.stats.frames,
            bytes: input.bytes,
            error,
            segments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn never() -> bool {
        false
    }

    #[test]
    fn an_idle_worker_waits_for_the_parts_of_an_item_being_cut_and_takes_the_next() {
        let queue = WorkQueue::new(VecDeque::from([10]));
        let to_cut = |x: &i32| *x == 10;
        assert_eq!(queue.take(to_cut, &never), Some(10));
        let (asking, asked) = mpsc::channel();
        std::thread::scope(|scope| {
            let idle = scope.spawn(|| {
                asking.send(()).unwrap();
                queue.take(to_cut, &never)
            });
            asked.recv().unwrap();
            // Let the idle worker reach the empty queue first (if it has not, it finds the
            // parts there: the test passes either way, it cannot pass by a wrong exit).
            std::thread::sleep(std::time::Duration::from_millis(100));
            queue.cut(vec![11, 12]);
            assert_eq!(idle.join().unwrap(), Some(11));
        });
        assert_eq!(queue.take(to_cut, &never), Some(12));
        assert_eq!(queue.take(to_cut, &never), None, "empty, and nobody cutting");
    }

    #[test]
    fn a_closed_or_stopped_queue_hands_out_nothing_more() {
        let queue = WorkQueue::new(VecDeque::from([1, 2, 3]));
        let to_cut = |x: &i32| *x == 1;
        assert_eq!(queue.take(to_cut, &never), Some(1));
        let stopped = std::sync::atomic::AtomicBool::new(false);
        let stop = || stopped.load(std::sync::atomic::Ordering::SeqCst);
        std::thread::scope(|scope| {
            queue.close();
            // A cut finished after the close puts nothing back, and a waiting worker leaves.
            queue.cut(vec![4]);
            assert_eq!(scope.spawn(|| queue.take(to_cut, &stop)).join().unwrap(), None);
        });
        let queue = WorkQueue::new(VecDeque::from([1]));
        assert_eq!(queue.take(to_cut, &stop), Some(1));
        std::thread::scope(|scope| {
            let waiting = scope.spawn(|| queue.take(|_| false, &stop));
            stopped.store(true, std::sync::atomic::Ordering::SeqCst);
            assert_eq!(waiting.join().unwrap(), None);
        });
    }

    #[test]
    fn shards_are_parsed_and_refused_in_words() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/2", "3/2", "1/0", "2", "a/b", "1/2/3"] {
            let e = Shard::parse(bad).unwrap_err();
            assert!(e.contains("K/N"), "{bad}: {e}");
        }
    }

    #[test]
    fn shards_split_the_list_into_disjoint_parts_that_cover_it() {
        for count in 1..6 {
            let shards: Vec<Shard> = (1..=count).map(|index| Shard { index, count }).collect();
            for position in 0..23 {
                assert_eq!(shards.iter().filter(|s| s.takes(position)).count(), 1);
            }
        }
    }
}
