//! The guided-capture protocol as a state machine: frames' measures in, what to say out. No
//! I/O and no clock of its own: time is each frame's timestamp (media time for a file, capture
//! time for a camera), so a replayed clip and a fake sequence of measures drive it alike.
//!
//! For each part in turn (side, then front):
//! 1. say the instruction, and wait for the view the part asks for (side-on, or facing the
//!    camera), advising how to turn;
//! 2. from the first frame in that view, collect frames while the patient holds still, until
//!    [`ProtocolSettings::hold_s`] seconds of usable frames are in (usable as the assessment
//!    will judge them: for the side, the clip verdicts of `crate::assess::series`), saying the
//!    progress a second at a time and advice when it changes;
//! 3. give up on the part after [`ProtocolSettings::step_limit_s`], marking it incomplete with
//!    the gate that failed most.

use super::advice::{advise, for_reason, Advice};
use super::Part;
use crate::assess::series::{clean_series, ClipSample, SeriesSettings, Verdict};
use crate::measures::{FrameMeasure, Reason, View};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ProtocolSettings {
    /// Seconds of usable frames each part collects.
    pub hold_s: f64,
    /// A part that has not collected them after this long (from its instruction) is given up.
    pub step_limit_s: f64,
    /// A new piece of advice is said once it has held this long (one odd frame says nothing).
    pub advice_settle_s: f64,
}

impl Default for ProtocolSettings {
    fn default() -> Self {
        ProtocolSettings {
            hold_s: 10.0,
            step_limit_s: 60.0,
            advice_settle_s: 1.0,
        }
    }
}

/// Why a part ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartEnd {
    /// Enough usable frames.
    Collected,
    /// The part's time limit passed first.
    TimeLimit,
    /// The source ended first.
    SourceEnded,
    /// The capture was stopped first (Ctrl-C).
    Stopped,
}

/// How one part went.
#[derive(Debug, Clone, PartialEq)]
pub struct PartOutcome {
    pub part: Part,
    pub end: PartEnd,
    /// Seconds of usable frames collected.
    pub usable_s: f64,
    /// When the part's view was first seen (`None`: never).
    pub view_seen_at_s: Option<f64>,
    /// For each reason, how many of the part's frames (from its instruction on) it kept from
    /// counting.
    pub reasons: BTreeMap<Reason, usize>,
    /// The body's yaw of the last frame failing for each reason (which way to turn).
    last_yaw_deg: BTreeMap<Reason, f32>,
    pub frames: usize,
}

impl PartOutcome {
    pub fn complete(&self) -> bool {
        self.end == PartEnd::Collected
    }

    /// The reason that kept most frames from counting (ties: the first in [`Reason`] order).
    pub fn main_reason(&self) -> Option<(Reason, usize)> {
        self.reasons
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(r, n)| (*r, *n))
    }

    /// What the patient should change next time, from the main reason.
    pub fn main_advice(&self) -> Option<Advice> {
        let (reason, _) = self.main_reason()?;
        let yaw = self.last_yaw_deg.get(&reason).copied().unwrap_or(f32::NAN);
        for_reason(self.part, reason, yaw, false)
    }

    /// Plain words for an incomplete part: what happened, which gate failed most, and what to
    /// change. `None` for a complete part.
    pub fn incomplete_reason(&self, hold_s: f64) -> Option<String> {
        if self.complete() {
            return None;
        }
        let name = self.part.name();
        let got = format!("{:.0} of {hold_s:.0} s of usable frames", self.usable_s.floor());
        let what = match (self.end, self.view_seen_at_s) {
            (PartEnd::SourceEnded | PartEnd::Stopped, _) if self.frames == 0 => {
                let cause = if self.end == PartEnd::Stopped {
                    "the capture was stopped"
                } else {
                    "the recording ended"
                };
                return Some(format!("{name} view: not recorded ({cause} before it)"));
            }
            (PartEnd::SourceEnded, _) => format!("{name} view: the recording ended with {got}"),
            (PartEnd::Stopped, _) => format!("{name} view: the capture was stopped with {got}"),
            (_, None) => format!("{name} view: never seen ({})", self.part.view_missing()),
            (_, Some(_)) => format!("{name} view: only {got} in the time allowed"),
        };
        let Some((reason, n)) = self.main_reason() else {
            return Some(what);
        };
        let mut text = format!(
            "{what}. Most frames ({n} of {}) could not be used: {} ({})",
            self.frames,
            reason.describe(),
            reason.code()
        );
        if let Some(advice) = self.main_advice() {
            text.push_str(&format!(". Next time: {}", advice.words()));
        }
        Some(text)
    }
}

/// What the protocol says, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum Say {
    /// A part starts: its instruction ([`Part::instruction`]).
    Step { part: Part, number: usize, of: usize },
    /// The advice changed.
    Advice { part: Part, advice: Advice },
    /// Whole seconds of usable frames so far, of the seconds wanted.
    Progress { part: Part, usable_s: u32, of_s: u32 },
    /// A part ended.
    PartDone(PartOutcome),
    /// Every part ended.
    Finished,
}

/// What one frame is, for the caller: the part it belongs to, and whether it was taken in
/// that part's view or before it (while the patient was still turning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRole {
    pub part: Part,
    pub in_view: bool,
}

#[derive(Debug)]
struct Step {
    part: Part,
    started_s: f64,
    view_seen_at_s: Option<f64>,
    /// Frames since the view was seen, as the series judge sees them.
    samples: Vec<ClipSample>,
    front_ok: Vec<bool>,
    usable_s: f64,
    progress_said: u32,
    said: Option<Advice>,
    pending: Option<(Advice, f64)>,
    reasons: BTreeMap<Reason, usize>,
    last_yaw_deg: BTreeMap<Reason, f32>,
    frames: usize,
}

impl Step {
    fn new(part: Part, started_s: f64) -> Step {
        Step {
            part,
            started_s,
            view_seen_at_s: None,
            samples: Vec::new(),
            front_ok: Vec::new(),
            usable_s: 0.0,
            progress_said: 0,
            said: None,
            pending: None,
            reasons: BTreeMap::new(),
            last_yaw_deg: BTreeMap::new(),
            frames: 0,
        }
    }

    fn outcome(&self, end: PartEnd) -> PartOutcome {
        PartOutcome {
            part: self.part,
            end,
            usable_s: self.usable_s,
            view_seen_at_s: self.view_seen_at_s,
            reasons: self.reasons.clone(),
            last_yaw_deg: self.last_yaw_deg.clone(),
            frames: self.frames,
        }
    }
}

/// Seconds covered by runs of usable frames: each usable frame after a usable one counts the
/// time since it, unless the gap is longer than the series judge allows in a settled stretch.
fn usable_seconds(times_ms: impl Iterator<Item = (f64, bool)>, max_gap_ms: f64) -> f64 {
    let mut total_ms = 0.0;
    let mut previous: Option<f64> = None;
    for (t, usable) in times_ms {
        if usable {
            if let Some(p) = previous.filter(|p| t - p <= max_gap_ms) {
                total_ms += t - p;
            }
            previous = Some(t);
        } else {
            previous = None;
        }
    }
    total_ms / 1000.0
}

/// The guided-capture protocol. Feed it every analysed frame with [`Protocol::observe`]; call
/// [`Protocol::finish`] if the frames end first.
#[derive(Debug)]
pub struct Protocol {
    settings: ProtocolSettings,
    parts: Vec<Part>,
    /// The part in progress (an index into `parts`); `parts.len()` once finished.
    current: usize,
    step: Option<Step>,
    outcomes: Vec<PartOutcome>,
}

impl Protocol {
    pub fn new(settings: ProtocolSettings) -> Protocol {
        Protocol {
            settings,
            parts: vec![Part::Side, Part::Front],
            current: 0,
            step: None,
            outcomes: Vec::new(),
        }
    }

    pub fn settings(&self) -> &ProtocolSettings {
        &self.settings
    }

    pub fn is_finished(&self) -> bool {
        self.current >= self.parts.len()
    }

    /// How each part went, in order (complete once finished).
    pub fn outcomes(&self) -> &[PartOutcome] {
        &self.outcomes
    }

    /// The frame at `t_s`: its measures, the people in view besides the subject, and whether
    /// the picture is too dark. Returns the frame's role (`None` once finished) and what to
    /// say.
    pub fn observe(
        &mut self,
        t_s: f64,
        measure: &FrameMeasure,
        other_people: usize,
        dark: bool,
    ) -> (Option<FrameRole>, Vec<Say>) {
        let mut say = Vec::new();
        if self.is_finished() {
            return (None, say);
        }
        if self.step.is_none() {
            let part = self.parts[self.current];
            say.push(Say::Step {
                part,
                number: self.current + 1,
                of: self.parts.len(),
            });
            self.step = Some(Step::new(part, t_s));
        }
        let step = self.step.as_mut().expect("a step in progress");
        let part = step.part;
        step.frames += 1;
        let in_view = match part {
            Part::Side => measure.view.view.is_side(),
            Part::Front => measure.view.view == View::Front,
        };
        if in_view && step.view_seen_at_s.is_none() {
            step.view_seen_at_s = Some(t_s);
        }
        let collecting = step.view_seen_at_s.is_some();
        let verdict = if collecting {
            Self::collect(step, t_s, measure)
        } else {
            Verdict::NoValue
        };
        let gate = match part {
            Part::Side => measure.side.err(),
            Part::Front => measure.front.err(),
        };
        let set_aside = match verdict {
            Verdict::SetAside(r) => Some(r),
            _ => None,
        };
        if let Some(reason) = gate.or(set_aside) {
            *step.reasons.entry(reason).or_insert(0) += 1;
            step.last_yaw_deg.insert(reason, measure.view.yaw_deg);
        }

        // Advice: said once it has held `advice_settle_s` (at once for a part's first).
        let advice = advise(part, measure, verdict, other_people, dark);
        if step.said != Some(advice) {
            let since = match step.pending {
                Some((pending, since)) if pending == advice => since,
                _ => t_s,
            };
            step.pending = Some((advice, since));
            if step.said.is_none() || t_s - since >= self.settings.advice_settle_s {
                step.said = Some(advice);
                step.pending = None;
                say.push(Say::Advice { part, advice });
            }
        } else {
            step.pending = None;
        }

        let whole = step.usable_s.floor() as u32;
        let of_s = self.settings.hold_s.ceil() as u32;
        if whole > step.progress_said && whole < of_s {
            step.progress_said = whole;
            say.push(Say::Progress {
                part,
                usable_s: whole,
                of_s,
            });
        }

        let end = if step.usable_s >= self.settings.hold_s {
            Some(PartEnd::Collected)
        } else if t_s - step.started_s >= self.settings.step_limit_s {
            Some(PartEnd::TimeLimit)
        } else {
            None
        };
        let role = FrameRole {
            part,
            in_view: collecting,
        };
        if let Some(end) = end {
            if end == PartEnd::Collected {
                say.push(Say::Progress {
                    part,
                    usable_s: of_s,
                    of_s,
                });
            }
            say.extend(self.end_step(end));
        }
        (Some(role), say)
    }

    /// Add a frame of a part in progress; its verdict as things stand.
    fn collect(step: &mut Step, t_s: f64, measure: &FrameMeasure) -> Verdict {
        let s = &SeriesSettings::ANGLE;
        let t_ms = t_s * 1000.0;
        match step.part {
            Part::Side => {
                // As `crate::assess::summary` judges clip frames: on the raw angle.
                step.samples.push(ClipSample {
                    timestamp_ms: t_ms,
                    value: measure.side.ok().map(|m| m.cva_raw_deg),
                    body: measure.body,
                });
                let verdicts = clean_series(&step.samples, s);
                step.usable_s = usable_seconds(
                    step.samples
                        .iter()
                        .zip(&verdicts)
                        .map(|(c, v)| (c.timestamp_ms, *v == Verdict::Used)),
                    s.max_gap_ms,
                );
                *verdicts.last().expect("a frame was just added")
            }
            Part::Front => {
                let ok = measure.front.is_ok();
                step.samples.push(ClipSample {
                    timestamp_ms: t_ms,
                    value: None,
                    body: measure.body,
                });
                step.front_ok.push(ok);
                step.usable_s = usable_seconds(
                    step.samples
                        .iter()
                        .zip(&step.front_ok)
                        .map(|(c, ok)| (c.timestamp_ms, *ok)),
                    s.max_gap_ms,
                );
                if ok {
                    Verdict::Used
                } else {
                    Verdict::NoValue
                }
            }
        }
    }

    fn end_step(&mut self, end: PartEnd) -> Vec<Say> {
        let mut say = Vec::new();
        if let Some(step) = self.step.take() {
            let outcome = step.outcome(end);
            self.outcomes.push(outcome.clone());
            say.push(Say::PartDone(outcome));
        }
        self.current += 1;
        if self.is_finished() {
            say.push(Say::Finished);
        }
        say
    }

    /// The frames ended: the source ran out ([`PartEnd::SourceEnded`]) or the capture was
    /// stopped ([`PartEnd::Stopped`]). The part in progress and those not started end
    /// incomplete, with `end`.
    pub fn finish(&mut self, end: PartEnd) -> Vec<Say> {
        let mut say = Vec::new();
        while !self.is_finished() {
            if self.step.is_none() {
                let outcome = Step::new(self.parts[self.current], f64::NAN).outcome(end);
                self.outcomes.push(outcome.clone());
                say.push(Say::PartDone(outcome));
                self.current += 1;
                if self.is_finished() {
                    say.push(Say::Finished);
                }
            } else {
                say.extend(self.end_step(end));
            }
        }
        say
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::testing::posed;
    use crate::measures::{measure_frame, Correction, MeasureSettings};

    fn frame(yaw_deg: f32) -> FrameMeasure {
        let settings = MeasureSettings {
            correction: Correction::IDENTITY,
            ..Default::default()
        };
        measure_frame(Some(&posed(yaw_deg, 0.02)), (640, 480), &settings)
    }

    fn nobody() -> FrameMeasure {
        measure_frame(None, (640, 480), &MeasureSettings::default())
    }

    fn settings() -> ProtocolSettings {
        ProtocolSettings {
            hold_s: 3.0,
            step_limit_s: 10.0,
            advice_settle_s: 1.0,
        }
    }

    /// Feed `frames` (yaw or nobody) at 5 a second from `t0_s`; everything said, and the
    /// frames' roles.
    fn feed(
        protocol: &mut Protocol,
        t0_s: f64,
        frames: &[Option<f32>],
        others: usize,
    ) -> (Vec<Say>, Vec<Option<FrameRole>>) {
        let mut said = Vec::new();
        let mut roles = Vec::new();
        for (i, yaw) in frames.iter().enumerate() {
            let m = yaw.map_or_else(nobody, frame);
            let (role, say) = protocol.observe(t0_s + i as f64 * 0.2, &m, others, false);
            said.extend(say);
            roles.push(role);
        }
        (said, roles)
    }

    fn repeat(yaw: Option<f32>, seconds: f64) -> Vec<Option<f32>> {
        vec![yaw; (seconds * 5.0).round() as usize]
    }

    fn advice(said: &[Say]) -> Vec<Advice> {
        said.iter()
            .filter_map(|s| match s {
                Say::Advice { advice, .. } => Some(*advice),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_good_protocol_collects_the_side_then_the_front_and_finishes() {
        let mut p = Protocol::new(settings());
        let mut frames = repeat(Some(90.0), 5.0);
        frames.extend(repeat(Some(0.0), 5.0));
        let (said, roles) = feed(&mut p, 0.0, &frames, 0);
        assert!(p.is_finished());
        assert_eq!(
            said.first(),
            Some(&Say::Step {
                part: Part::Side,
                number: 1,
                of: 2
            })
        );
        assert!(said.contains(&Say::Step {
            part: Part::Front,
            number: 2,
            of: 2
        }));
        assert_eq!(said.last(), Some(&Say::Finished));
        let outcomes = p.outcomes();
        assert_eq!(outcomes.len(), 2);
        assert!(
            outcomes.iter().all(|o| o.complete() && o.usable_s >= 3.0),
            "{outcomes:?}"
        );
        assert!(outcomes.iter().all(|o| o.incomplete_reason(3.0).is_none()));
        // Progress a second at a time, ending at 3 of 3 for each part.
        let progress: Vec<(Part, u32)> = said
            .iter()
            .filter_map(|s| match s {
                Say::Progress {
                    part,
                    usable_s,
                    of_s: 3,
                } => Some((*part, *usable_s)),
                _ => None,
            })
            .collect();
        assert_eq!(
            progress,
            vec![
                (Part::Side, 1),
                (Part::Side, 2),
                (Part::Side, 3),
                (Part::Front, 1),
                (Part::Front, 2),
                (Part::Front, 3)
            ]
        );
        // The side frames go to the side part; the front part waits for the front view, and
        // the frames after the end belong to nobody.
        assert_eq!(
            roles[0],
            Some(FrameRole {
                part: Part::Side,
                in_view: true
            })
        );
        let first_front = roles
            .iter()
            .position(|r| r.is_some_and(|r| r.part == Part::Front))
            .unwrap();
        assert!(!roles[first_front].unwrap().in_view);
        assert!(roles.last().unwrap().is_none());
        assert_eq!(advice(&said), vec![Advice::Good, Advice::FaceCamera, Advice::Good]);
    }

    #[test]
    fn a_patient_never_side_on_gives_the_side_up_at_the_limit_and_says_to_turn() {
        let mut p = Protocol::new(settings());
        let mut frames = repeat(Some(0.0), 12.0);
        frames.extend(repeat(Some(0.0), 2.0));
        let (said, _) = feed(&mut p, 0.0, &frames, 0);
        assert!(p.is_finished());
        let side = &p.outcomes()[0];
        assert_eq!(side.end, PartEnd::TimeLimit);
        assert_eq!(side.view_seen_at_s, None);
        assert_eq!(side.main_reason().map(|r| r.0), Some(Reason::FrontView));
        let reason = side.incomplete_reason(3.0).unwrap();
        assert!(
            reason.contains("side view: never seen") && reason.contains("turn side-on"),
            "{reason}"
        );
        // The front part starts at the limit (10 s) and is collected from the rest.
        assert!(p.outcomes()[1].complete());
        assert_eq!(advice(&said)[0], Advice::TurnSideOn);
    }

    #[test]
    fn the_frames_ending_first_leave_the_rest_incomplete() {
        let mut p = Protocol::new(settings());
        feed(&mut p, 0.0, &repeat(Some(90.0), 1.0), 0);
        let said = p.finish(PartEnd::SourceEnded);
        assert!(p.is_finished());
        assert_eq!(said.last(), Some(&Say::Finished));
        let outcomes = p.outcomes();
        assert_eq!(outcomes.len(), 2);
        assert_eq!(outcomes[0].end, PartEnd::SourceEnded);
        assert!(outcomes[0].usable_s < 3.0);
        assert!(outcomes[0].incomplete_reason(3.0).unwrap().contains("recording ended"));
        assert_eq!(outcomes[1].frames, 0);
        assert_eq!(
            outcomes[1].incomplete_reason(3.0).unwrap(),
            "front view: not recorded (the recording ended before it)"
        );
        let mut p = Protocol::new(settings());
        feed(&mut p, 0.0, &repeat(Some(90.0), 1.0), 0);
        p.finish(PartEnd::Stopped);
        assert!(p.outcomes()[0]
            .incomplete_reason(3.0)
            .unwrap()
            .contains("capture was stopped"));
    }

    #[test]
    fn advice_is_said_when_it_changes_and_holds_not_for_one_odd_frame() {
        let mut p = Protocol::new(ProtocolSettings {
            hold_s: 30.0,
            ..settings()
        });
        // Nobody, then one side frame among nobody (not said), then side for good.
        let mut frames = repeat(None, 2.0);
        frames.push(Some(90.0));
        frames.extend(repeat(None, 2.0));
        frames.extend(repeat(Some(90.0), 3.0));
        let (said, _) = feed(&mut p, 0.0, &frames, 0);
        assert_eq!(advice(&said), vec![Advice::NobodyInView, Advice::Good]);
    }

    #[test]
    fn someone_else_in_view_is_said_and_frames_still_count() {
        let mut p = Protocol::new(settings());
        let (said, _) = feed(&mut p, 0.0, &repeat(Some(90.0), 5.0), 1);
        assert_eq!(advice(&said)[0], Advice::SomeoneElseInView);
        assert!(p.outcomes()[0].complete());
    }

    #[test]
    fn time_counts_only_in_runs_of_usable_frames() {
        let t = |v: &[(f64, bool)]| usable_seconds(v.iter().copied(), 1000.0);
        assert_eq!(t(&[(0.0, true), (200.0, true), (400.0, true)]), 0.4);
        assert_eq!(t(&[(0.0, true), (200.0, false), (400.0, true), (600.0, true)]), 0.2);
        // A gap longer than a settled stretch allows breaks the run.
        assert_eq!(t(&[(0.0, true), (1500.0, true), (1700.0, true)]), 0.2);
        assert_eq!(t(&[]), 0.0);
    }
}
