//! Which frames of a clip may count towards its number (measurement.md section 5.1).
//!
//! A clip's number must rest on the person holding still, not on a few frames that happened to
//! pass the per-frame gates while they moved. In order:
//! 1. spikes (Hampel filter) are set aside first, so that they cannot hide or fake movement;
//! 2. frames where the whole body moves (the shoulders travel faster than a few head lengths a
//!    second: walking, jumping, standing up) or the angle changes fast are `moving`;
//! 3. what is left must form **settled stretches**: runs of consecutive clip frames, every one
//!    of them read and still, lasting long enough; frames outside one are `unsettled`;
//! 4. a clip needs enough of those frames, over enough time, for a number at all; else they
//!    are `too_few_frames`.
//!
//! Photos are one posed instant and skip all of this (they are not passed here).

use super::stats::{hampel_outliers, median};
use crate::measures::{BodyPosition, Reason};

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SeriesSettings {
    /// A frame is "moving" when the measure changes faster than this per second, as the
    /// least-squares slope over `rate_half_window_ms` either side (10 degrees/s for angles).
    pub max_rate_per_s: f32,
    pub rate_half_window_ms: f64,
    /// ... or when the shoulders travel faster than this many head lengths per second (over
    /// the same window, or between a frame and its neighbours where frames are sparse). A
    /// person settling at a desk moves them under 2; walking about 14; running about 30.
    pub max_body_speed_heads_per_s: f32,
    /// Hampel filter: window half-width, threshold in robust SDs, and the SD floor.
    pub hampel_half_window_ms: f64,
    pub hampel_sigmas: f32,
    pub hampel_min_sd: f32,
    /// The angle's rate is judged from at least this many samples spanning at least this long
    /// within the rate window; a frame of a densely sampled clip with fewer readable
    /// neighbours is [`Reason::Unsettled`].
    pub min_samples: usize,
    pub min_span_ms: f64,
    /// A settled stretch has at least this many frames spanning at least this long ...
    pub min_stretch_frames: usize,
    pub min_stretch_ms: f64,
    /// ... and no two consecutive frames further apart than this.
    pub max_gap_ms: f64,
    /// A clip gives a number only from at least this many used frames whose stretches last at
    /// least this long in all ([`Reason::TooFewFrames`]).
    pub min_used_frames: usize,
    pub min_used_span_ms: f64,
}

impl SeriesSettings {
    /// For angles in degrees.
    pub const ANGLE: SeriesSettings = SeriesSettings {
        max_rate_per_s: 10.0,
        rate_half_window_ms: 250.0,
        max_body_speed_heads_per_s: 5.0,
        hampel_half_window_ms: 500.0,
        hampel_sigmas: 3.0,
        hampel_min_sd: 0.5,
        min_samples: 3,
        min_span_ms: 100.0,
        min_stretch_frames: 3,
        min_stretch_ms: 500.0,
        max_gap_ms: 1000.0,
        min_used_frames: 5,
        min_used_span_ms: 1000.0,
    };
}

/// One frame of a clip, in clip order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClipSample {
    pub timestamp_ms: f64,
    /// The measure, when the frame passed the per-frame gates.
    pub value: Option<f32>,
    /// Where the body was, when a person was found.
    pub body: Option<BodyPosition>,
}

/// What becomes of one clip frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The frame had no value to begin with (its per-frame reason stands).
    NoValue,
    Used,
    SetAside(Reason),
}

/// Whether the times within `s.rate_half_window_ms` of `t0` are enough to judge stillness.
fn enough_to_judge(times_ms: &[f64], t0: f64, s: &SeriesSettings) -> bool {
    let (mut n, mut first, mut last) = (0, f64::INFINITY, f64::NEG_INFINITY);
    for &t in times_ms.iter().filter(|t| (**t - t0).abs() <= s.rate_half_window_ms) {
        (n, first, last) = (n + 1, first.min(t), last.max(t));
    }
    n >= s.min_samples && last - first >= s.min_span_ms
}

/// Least-squares slope per second of `(t_ms, v)` points, or `None` without a time spread.
fn slope_per_s(points: &[(f64, f64)]) -> Option<f64> {
    let n = points.len() as f64;
    if points.len() < 2 {
        return None;
    }
    let mean_t = points.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = points.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = points.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_v)).sum();
    let var: f64 = points.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    (var > 0.0).then(|| cov / var * 1000.0)
}

/// Least-squares slope per second of the values around `t0`, or `None` when too few samples
/// span too short a time to tell.
fn local_rate_per_s(times_ms: &[f64], values: &[f32], t0: f64, s: &SeriesSettings) -> Option<f32> {
    if !enough_to_judge(times_ms, t0, s) {
        return None;
    }
    let near: Vec<(f64, f64)> = times_ms
        .iter()
        .zip(values)
        .filter(|(t, _)| (**t - t0).abs() <= s.rate_half_window_ms)
        .map(|(t, v)| (*t - t0, *v as f64))
        .collect();
    slope_per_s(&near).map(|r| r as f32)
}

/// How fast the shoulders travel around each sample, in head lengths per second: least
/// squares over the rate window, widened to the nearest neighbours where frames are sparse (so
/// a strided clip of someone walking is still seen to move). `None` without a person, or with
/// no neighbour in reach.
fn body_speeds_heads_per_s(samples: &[ClipSample], s: &SeriesSettings) -> Vec<Option<f32>> {
    let with_body: Vec<(usize, f64, BodyPosition)> = samples
        .iter()
        .enumerate()
        .filter_map(|(i, c)| c.body.map(|b| (i, c.timestamp_ms, b)))
        .collect();
    let mut out = vec![None; samples.len()];
    for (at, &(i, t0, _)) in with_body.iter().enumerate() {
        let dt = |k: usize| (with_body[k].1 - t0).abs();
        let mut first = (0..at)
            .rev()
            .take_while(|&k| dt(k) <= s.rate_half_window_ms)
            .last()
            .unwrap_or(at);
        if first == at && at > 0 && dt(at - 1) <= s.max_gap_ms {
            first = at - 1;
        }
        let mut last = (at + 1..with_body.len())
            .take_while(|&k| dt(k) <= s.rate_half_window_ms)
            .last()
            .unwrap_or(at);
        if last == at && at + 1 < with_body.len() && dt(at + 1) <= s.max_gap_ms {
            last = at + 1;
        }
        let near = &with_body[first..=last];
        let along = |coord: fn(&BodyPosition) -> f32| {
            slope_per_s(
                &near
                    .iter()
                    .map(|(_, t, b)| (t - t0, coord(b) as f64))
                    .collect::<Vec<_>>(),
            )
        };
        let head_px = median(&near.iter().map(|(_, _, b)| b.head_length_px).collect::<Vec<_>>());
        if let (Some(vx), Some(vy), Some(head_px)) = (
            along(|b| b.shoulders_mid_px.x),
            along(|b| b.shoulders_mid_px.y),
            head_px,
        ) {
            out[i] = Some((vx.hypot(vy) / head_px as f64) as f32);
        }
    }
    out
}

/// The verdict on each frame of a clip (see the module docs), in clip order.
pub fn clean_series(samples: &[ClipSample], s: &SeriesSettings) -> Vec<Verdict> {
    let mut out: Vec<Verdict> = samples
        .iter()
        .map(|c| {
            if c.value.is_some() {
                Verdict::Used
            } else {
                Verdict::NoValue
            }
        })
        .collect();
    let clip_times: Vec<f64> = samples.iter().map(|c| c.timestamp_ms).collect();

    // 1. Spikes, among every frame with a value.
    let read: Vec<usize> = (0..samples.len()).filter(|&i| samples[i].value.is_some()).collect();
    let (t, v) = values_at(samples, &read);
    let spikes = hampel_outliers(&t, &v, s.hampel_half_window_ms, s.hampel_sigmas, s.hampel_min_sd);
    for (k, &i) in read.iter().enumerate() {
        if spikes[k] {
            out[i] = Verdict::SetAside(Reason::Outlier);
        }
    }

    // 2. Movement of the body, then of the angle fitted without the spikes.
    let kept: Vec<usize> = read.iter().copied().filter(|&i| out[i] == Verdict::Used).collect();
    let (t, v) = values_at(samples, &kept);
    let body_speeds = body_speeds_heads_per_s(samples, s);
    for &i in &kept {
        let t0 = samples[i].timestamp_ms;
        let body_moving = body_speeds[i].is_some_and(|v| v > s.max_body_speed_heads_per_s);
        out[i] = match local_rate_per_s(&t, &v, t0, s) {
            _ if body_moving => Verdict::SetAside(Reason::Moving),
            Some(r) if r.abs() > s.max_rate_per_s => Verdict::SetAside(Reason::Moving),
            None if enough_to_judge(&clip_times, t0, s) => Verdict::SetAside(Reason::Unsettled),
            _ => Verdict::Used,
        };
    }

    // 3. Settled stretches.
    let mut used_span_ms = 0.0;
    let mut start = 0;
    while start < samples.len() {
        if out[start] != Verdict::Used {
            start += 1;
            continue;
        }
        let mut end = start + 1;
        while end < samples.len()
            && out[end] == Verdict::Used
            && samples[end].timestamp_ms - samples[end - 1].timestamp_ms <= s.max_gap_ms
        {
            end += 1;
        }
        let span_ms = samples[end - 1].timestamp_ms - samples[start].timestamp_ms;
        if end - start >= s.min_stretch_frames && span_ms >= s.min_stretch_ms {
            used_span_ms += span_ms;
        } else {
            out[start..end].fill(Verdict::SetAside(Reason::Unsettled));
        }
        start = end;
    }

    // 4. Enough evidence for a number.
    let used = out.iter().filter(|v| **v == Verdict::Used).count();
    if used < s.min_used_frames || used_span_ms < s.min_used_span_ms {
        for v in out.iter_mut().filter(|v| **v == Verdict::Used) {
            *v = Verdict::SetAside(Reason::TooFewFrames);
        }
    }
    out
}

fn values_at(samples: &[ClipSample], at: &[usize]) -> (Vec<f64>, Vec<f32>) {
    at.iter()
        .map(|&i| (samples[i].timestamp_ms, samples[i].value.unwrap_or(f32::NAN)))
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::geometry::PointPx;

    /// A still body with a 40 px head at `x_px`.
    fn body_at(x_px: f32) -> Option<BodyPosition> {
        Some(BodyPosition {
            shoulders_mid_px: PointPx::new(x_px, 300.0),
            head_length_px: 40.0,
        })
    }

    fn clip(times_ms: &[f64], values: &[Option<f32>]) -> Vec<ClipSample> {
        times_ms
            .iter()
            .zip(values)
            .map(|(&t, &value)| ClipSample {
                timestamp_ms: t,
                value,
                body: body_at(100.0),
            })
            .collect()
    }

    fn at_30fps(n: usize) -> Vec<f64> {
        (0..n).map(|i| i as f64 * 1000.0 / 30.0).collect()
    }

    fn reasons(v: &[Verdict]) -> Vec<Reason> {
        v.iter()
            .filter_map(|v| match v {
                Verdict::SetAside(r) => Some(*r),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_head_movement_is_moving_and_a_still_hold_is_kept() {
        // 30 fps: 2 s still at 55, 1 s moving down 20 degrees, 2 s still at 35.
        let values: Vec<Option<f32>> = (0..150)
            .map(|i| {
                Some(match i {
                    0..60 => 55.0,
                    60..90 => 55.0 - (i - 60) as f32 * 20.0 / 30.0,
                    _ => 35.0,
                })
            })
            .collect();
        let r = clean_series(&clip(&at_30fps(150), &values), &SeriesSettings::ANGLE);
        assert_eq!((r[20], r[130]), (Verdict::Used, Verdict::Used));
        assert_eq!(r[75], Verdict::SetAside(Reason::Moving));
        assert!(reasons(&r).len() < 50);
    }

    #[test]
    fn a_single_spike_is_an_outlier_and_does_not_hide_a_movement() {
        let mut values = vec![Some(50.0f32); 90];
        values[45] = Some(62.0);
        let r = clean_series(&clip(&at_30fps(90), &values), &SeriesSettings::ANGLE);
        assert_eq!(r[45], Verdict::SetAside(Reason::Outlier));
        assert_eq!(reasons(&r).len(), 1);

        // A steady fall of 12 degrees a second, with a spike upwards in the middle that would
        // flatten a slope fitted through it: the frames around it are still moving.
        let mut values: Vec<Option<f32>> = (0..30).map(|i| Some(60.0 - i as f32 * 12.0 / 30.0)).collect();
        values[15] = Some(75.0);
        let r = clean_series(&clip(&at_30fps(30), &values), &SeriesSettings::ANGLE);
        assert_eq!(r[15], Verdict::SetAside(Reason::Outlier));
        assert_eq!(r[14], Verdict::SetAside(Reason::Moving));
        assert_eq!(r[16], Verdict::SetAside(Reason::Moving));
    }

    #[test]
    fn a_body_travelling_is_moving_however_steady_the_angle() {
        // Walking through the picture at 14 head lengths a second, the angle steady.
        let mut samples = clip(&at_30fps(60), &[Some(45.0); 60]);
        for (i, c) in samples.iter_mut().enumerate() {
            c.body = body_at(100.0 + i as f32 * 14.0 * 40.0 / 30.0);
        }
        let r = clean_series(&samples, &SeriesSettings::ANGLE);
        assert!(r.iter().all(|v| *v == Verdict::SetAside(Reason::Moving)), "{r:?}");
        // Swaying by a few pixels is not travelling.
        for (i, c) in samples.iter_mut().enumerate() {
            c.body = body_at(100.0 + (i as f32 * 0.3).sin() * 3.0);
        }
        let r = clean_series(&samples, &SeriesSettings::ANGLE);
        assert!(r.iter().all(|v| *v == Verdict::Used), "{r:?}");
        // Sampled three times a second (a long stride), the walk is still seen.
        let sparse: Vec<ClipSample> = samples
            .iter()
            .step_by(10)
            .enumerate()
            .map(|(k, c)| ClipSample {
                body: body_at(100.0 + k as f32 * 14.0 * 40.0 / 3.0),
                ..*c
            })
            .collect();
        let r = clean_series(&sparse, &SeriesSettings::ANGLE);
        assert!(r.iter().all(|v| *v == Verdict::SetAside(Reason::Moving)), "{r:?}");
    }

    #[test]
    fn a_glimpse_between_gated_frames_is_unsettled() {
        // A 30 fps clip: three readable frames (67 ms), a gap, then 1.3 steady seconds.
        let mut values = vec![None; 70];
        values[..3].fill(Some(50.0));
        values[30..].fill(Some(50.0));
        let r = clean_series(&clip(&at_30fps(70), &values), &SeriesSettings::ANGLE);
        assert_eq!(&r[..3], &[Verdict::SetAside(Reason::Unsettled); 3]);
        assert!(r[30..].iter().all(|v| *v == Verdict::Used), "{r:?}");
        // One readable frame in a dense clip is a glimpse too.
        let mut values = vec![None; 60];
        values[40] = Some(48.0);
        let r = clean_series(&clip(&at_30fps(60), &values), &SeriesSettings::ANGLE);
        assert_eq!(reasons(&r), vec![Reason::Unsettled]);
    }

    #[test]
    fn stretches_shorter_than_half_a_second_are_unsettled() {
        // Still frames, but broken every 10 frames (a third of a second) by an unread one.
        let values: Vec<Option<f32>> = (0..90).map(|i| (i % 10 != 0).then_some(50.0)).collect();
        let r = clean_series(&clip(&at_30fps(90), &values), &SeriesSettings::ANGLE);
        assert!(
            r.iter()
                .all(|v| matches!(v, Verdict::SetAside(Reason::Unsettled) | Verdict::NoValue)),
            "{r:?}"
        );
        // Broken every 20 frames (two thirds of a second), the stretches count, except the last
        // nine frames (0.27 s).
        let values: Vec<Option<f32>> = (0..90).map(|i| (i % 20 != 0).then_some(50.0)).collect();
        let r = clean_series(&clip(&at_30fps(90), &values), &SeriesSettings::ANGLE);
        assert_eq!(r.iter().filter(|v| **v == Verdict::Used).count(), 76);
        assert!(r[81..].iter().all(|v| *v == Verdict::SetAside(Reason::Unsettled)));
    }

    #[test]
    fn a_clip_needs_a_second_of_settled_frames_for_a_number() {
        // Three quarters of a second, still and read: too little.
        let r = clean_series(&clip(&at_30fps(23), &[Some(50.0); 23]), &SeriesSettings::ANGLE);
        assert!(r.iter().all(|v| *v == Verdict::SetAside(Reason::TooFewFrames)), "{r:?}");
        // Two stretches of 0.6 s: enough together.
        let mut values = vec![Some(50.0); 40];
        values[19] = None;
        let r = clean_series(&clip(&at_30fps(40), &values), &SeriesSettings::ANGLE);
        assert_eq!(r.iter().filter(|v| **v == Verdict::Used).count(), 39, "{r:?}");
    }

    #[test]
    fn a_sparsely_sampled_still_clip_reads() {
        // 3 frames a second (a long stride or a slow camera): the angle's rate cannot be judged,
        // but consecutive still frames form a stretch.
        let times: Vec<f64> = (0..9).map(|i| i as f64 * 333.3).collect();
        let r = clean_series(&clip(&times, &[Some(50.0); 9]), &SeriesSettings::ANGLE);
        assert!(r.iter().all(|v| *v == Verdict::Used), "{r:?}");
        // Frames more than a second apart are not consecutive evidence of stillness.
        let times: Vec<f64> = (0..9).map(|i| i as f64 * 1500.0).collect();
        let r = clean_series(&clip(&times, &[Some(50.0); 9]), &SeriesSettings::ANGLE);
        assert!(r.iter().all(|v| *v == Verdict::SetAside(Reason::Unsettled)), "{r:?}");
    }
}
