//! Cleaning one measure's per-frame series from a stream: frames taken mid-movement, and
//! spikes, are set aside with their reason (measurement.md section 5.1).

use super::stats::hampel_outliers;
use crate::measures::Reason;

#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct SeriesSettings {
    /// A frame is "moving" when the measure changes faster than this per second, as the
    /// least-squares slope over `rate_half_window_ms` either side (10 degrees/s for angles).
    pub max_rate_per_s: f32,
    pub rate_half_window_ms: f64,
    /// Hampel filter: window half-width, threshold in robust SDs, and the SD floor.
    pub hampel_half_window_ms: f64,
    pub hampel_sigmas: f32,
    pub hampel_min_sd: f32,
    /// Stillness is judged from at least this many samples spanning at least this long within
    /// the rate window; a frame of a densely sampled clip with fewer readable neighbours is
    /// [`Reason::Unsettled`].
    pub min_samples: usize,
    pub min_span_ms: f64,
}

impl SeriesSettings {
    /// For angles in degrees.
    pub const ANGLE: SeriesSettings = SeriesSettings {
        max_rate_per_s: 10.0,
        rate_half_window_ms: 250.0,
        hampel_half_window_ms: 500.0,
        hampel_sigmas: 3.0,
        hampel_min_sd: 0.5,
        min_samples: 3,
        min_span_ms: 100.0,
    };
}

/// Whether the times within `s.rate_half_window_ms` of `t0` are enough to judge stillness.
fn enough_to_judge(times_ms: &[f64], t0: f64, s: &SeriesSettings) -> bool {
    let (mut n, mut first, mut last) = (0, f64::INFINITY, f64::NEG_INFINITY);
    for &t in times_ms.iter().filter(|t| (**t - t0).abs() <= s.rate_half_window_ms) {
        (n, first, last) = (n + 1, first.min(t), last.max(t));
    }
    n >= s.min_samples && last - first >= s.min_span_ms
}

/// Least-squares slope per second of the samples around sample `i`, or `None` when too few
/// samples span too short a time to tell.
fn local_rate_per_s(times_ms: &[f64], values: &[f32], i: usize, s: &SeriesSettings) -> Option<f32> {
    let t0 = times_ms[i];
    if !enough_to_judge(times_ms, t0, s) {
        return None;
    }
    let near: Vec<(f64, f64)> = times_ms
        .iter()
        .zip(values)
        .filter(|(t, _)| (**t - t0).abs() <= s.rate_half_window_ms)
        .map(|(t, v)| ((t - t0) / 1000.0, *v as f64))
        .collect();
    let n = near.len() as f64;
    let mean_t = near.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = near.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = near.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_v)).sum();
    let var: f64 = near.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    (var > 0.0).then(|| (cov / var) as f32)
}

/// For each readable sample of a clip, `None` to keep it or the reason it is set aside:
/// [`Reason::Unsettled`] when the clip had frames enough around it to judge stillness but too
/// few of them were readable, [`Reason::Moving`] when the readable ones show movement, then
/// [`Reason::Outlier`] among the still. `clip_times_ms` are the times of all the clip's frames,
/// readable or not: a clip sampled too sparsely to judge (a long stride, a slow camera) keeps
/// its frames unjudged, as photos are. (Photos are not passed here.)
pub fn clean_series(
    times_ms: &[f64],
    values: &[f32],
    clip_times_ms: &[f64],
    s: &SeriesSettings,
) -> Vec<Option<Reason>> {
    let mut out: Vec<Option<Reason>> = (0..values.len())
        .map(|i| match local_rate_per_s(times_ms, values, i, s) {
            None if enough_to_judge(clip_times_ms, times_ms[i], s) => Some(Reason::Unsettled),
            Some(r) if r.abs() > s.max_rate_per_s => Some(Reason::Moving),
            _ => None,
        })
        .collect();
    let still: Vec<usize> = (0..values.len()).filter(|&i| out[i].is_none()).collect();
    let t: Vec<f64> = still.iter().map(|&i| times_ms[i]).collect();
    let v: Vec<f32> = still.iter().map(|&i| values[i]).collect();
    let spikes = hampel_outliers(&t, &v, s.hampel_half_window_ms, s.hampel_sigmas, s.hampel_min_sd);
    for (k, &i) in still.iter().enumerate() {
        if spikes[k] {
            out[i] = Some(Reason::Outlier);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_head_movement_is_moving_and_a_still_hold_is_kept() {
        // 30 fps: 2 s still at 55, 1 s moving down 20 degrees, 2 s still at 35.
        let times: Vec<f64> = (0..150).map(|i| i as f64 * 1000.0 / 30.0).collect();
        let values: Vec<f32> = (0..150)
            .map(|i| match i {
                0..60 => 55.0,
                60..90 => 55.0 - (i - 60) as f32 * 20.0 / 30.0,
                _ => 35.0,
            })
            .collect();
        let r = clean_series(&times, &values, &times, &SeriesSettings::ANGLE);
        assert!(r[20].is_none() && r[130].is_none());
        assert_eq!(r[75], Some(Reason::Moving));
        assert!(r.iter().filter(|x| x.is_some()).count() < 50);
    }

    #[test]
    fn a_single_spike_is_an_outlier() {
        let times: Vec<f64> = (0..90).map(|i| i as f64 * 33.3).collect();
        let mut values = vec![50.0f32; 90];
        values[45] = 62.0;
        let r = clean_series(&times, &values, &times, &SeriesSettings::ANGLE);
        assert_eq!(r[45], Some(Reason::Outlier));
        assert_eq!(r.iter().filter(|x| x.is_some()).count(), 1);
    }

    #[test]
    fn a_glimpse_between_gated_frames_is_unsettled() {
        // A 30 fps clip of two seconds: three readable frames (67 ms), a gap, then a steady second.
        let clip: Vec<f64> = (0..60).map(|i| i as f64 * 33.3).collect();
        let mut times = clip[..3].to_vec();
        times.extend(&clip[30..]);
        let values = vec![50.0f32; times.len()];
        let r = clean_series(&times, &values, &clip, &SeriesSettings::ANGLE);
        assert_eq!(&r[..3], &[Some(Reason::Unsettled); 3]);
        assert!(r[3..].iter().all(|v| v.is_none()), "{r:?}");
        // One readable frame in a dense clip is a glimpse too.
        let one = clean_series(&[clip[40]], &[48.0], &clip, &SeriesSettings::ANGLE);
        assert_eq!(one, vec![Some(Reason::Unsettled)]);
    }

    #[test]
    fn a_sparsely_sampled_clip_is_kept_unjudged() {
        // 3 frames a second (a long stride or a slow camera): no window holds three frames.
        let times: Vec<f64> = (0..9).map(|i| i as f64 * 333.3).collect();
        let values = vec![50.0f32; 9];
        let r = clean_series(&times, &values, &times, &SeriesSettings::ANGLE);
        assert!(r.iter().all(|v| v.is_none()), "{r:?}");
        // A one-frame "clip" (an image format read as video) likewise.
        assert_eq!(
            clean_series(&[0.0], &[48.0], &[0.0], &SeriesSettings::ANGLE),
            vec![None]
        );
    }
}
