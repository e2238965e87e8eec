//! Who else was in view: a clip whose subject was chosen among several people must say so.

use super::MeasuredFrame;

/// People seen besides the subject over one input.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct OtherPeople {
    /// The most people seen at once besides the subject.
    pub most_at_once: usize,
    /// Frames with anyone else in view.
    pub frames: usize,
    /// How long anyone else was in view (each frame counts until the next; a photo counts 0).
    pub seconds: f64,
}

impl OtherPeople {
    pub fn of(frames: &[MeasuredFrame]) -> OtherPeople {
        let mut seen = OtherPeople::default();
        for (i, f) in frames.iter().enumerate() {
            if f.other_people == 0 {
                continue;
            }
            seen.most_at_once = seen.most_at_once.max(f.other_people);
            seen.frames += 1;
            if !f.timed.is_still {
                seen.seconds += frame_span_ms(frames, i) / 1000.0;
            }
        }
        seen.seconds = (seen.seconds * 10.0).round() / 10.0;
        seen
    }
}

/// How long frame `i` stands for: until the next clip frame, or for the last one as long as
/// the one before it.
fn frame_span_ms(frames: &[MeasuredFrame], i: usize) -> f64 {
    let t = |k: usize| frames[k].timed.timestamp_ms;
    let next = frames.get(i + 1).filter(|f| !f.timed.is_still);
    match (next, i.checked_sub(1)) {
        (Some(n), _) => (n.timed.timestamp_ms - t(i)).max(0.0),
        (None, Some(p)) if !frames[p].timed.is_still => (t(i) - t(p)).max(0.0),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assess::TimedMeasure;
    use crate::measures::{measure_frame, MeasureSettings};

    fn frame(t_ms: f64, others: usize) -> MeasuredFrame {
        MeasuredFrame {
            index: 0,
            timed: TimedMeasure {
                timestamp_ms: t_ms,
                is_still: false,
                measure: measure_frame(None, (640, 480), &MeasureSettings::default()),
            },
            other_people: others,
            recropped: false,
            read_mirrored: false,
        }
    }

    #[test]
    fn a_bystander_for_a_second_of_a_clip_is_counted_with_its_time() {
        // 10 fps, 3 s; two people besides the subject from 1.0 s to 2.0 s.
        let frames: Vec<_> = (0..30)
            .map(|i| frame(i as f64 * 100.0, if (10..20).contains(&i) { 2 } else { 0 }))
            .collect();
        let seen = OtherPeople::of(&frames);
        assert_eq!(
            seen,
            OtherPeople {
                most_at_once: 2,
                frames: 10,
                seconds: 1.0
            }
        );
    }

    #[test]
    fn nobody_else_is_all_zeros() {
        let frames: Vec<_> = (0..5).map(|i| frame(i as f64 * 40.0, 0)).collect();
        assert_eq!(OtherPeople::of(&frames), OtherPeople::default());
    }
}
