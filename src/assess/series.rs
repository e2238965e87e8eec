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
}

impl SeriesSettings {
    /// For angles in degrees.
    pub const ANGLE: SeriesSettings = SeriesSettings {
        max_rate_per_s: 10.0,
        rate_half_window_ms: 250.0,
        hampel_half_window_ms: 500.0,
        hampel_sigmas: 3.0,
        hampel_min_sd: 0.5,
    };
}

/// Least-squares slope per second of the samples within `half_window_ms` of sample `i`, or
/// `None` when too few samples span too short a time to tell.
fn local_rate_per_s(times_ms: &[f64], values: &[f32], i: usize, half_window_ms: f64) -> Option<f32> {
    let t0 = times_ms[i];
    let near: Vec<(f64, f64)> = times_ms
        .iter()
        .zip(values)
        .filter(|(t, _)| (**t - t0).abs() <= half_window_ms)
        .map(|(t, v)| ((t - t0) / 1000.0, *v as f64))
        .collect();
    let span_s = near.last()?.0 - near.first()?.0;
    if near.len() < 3 || span_s < 0.1 {
        return None;
    }
    let n = near.len() as f64;
    let mean_t = near.iter().map(|p| p.0).sum::<f64>() / n;
    let mean_v = near.iter().map(|p| p.1).sum::<f64>() / n;
    let cov: f64 = near.iter().map(|p| (p.0 - mean_t) * (p.1 - mean_v)).sum();
    let var: f64 = near.iter().map(|p| (p.0 - mean_t).powi(2)).sum();
    (var > 0.0).then(|| (cov / var) as f32)
}

/// For each sample of a clip, `None` to keep it or the reason it is set aside:
/// [`Reason::Unsettled`] when too few samples around it show whether it was still,
/// [`Reason::Moving`] when they show it was not, then [`Reason::Outlier`] among the still.
/// (Stills, photos, have no neighbours and are not passed here.)
pub fn clean_series(times_ms: &[f64], values: &[f32], s: &SeriesSettings) -> Vec<Option<Reason>> {
    let mut out: Vec<Option<Reason>> = (0..values.len())
        .map(|i| match local_rate_per_s(times_ms, values, i, s.rate_half_window_ms) {
            None => Some(Reason::Unsettled),
            Some(r) if r.abs() > s.max_rate_per_s => Some(Reason::Moving),
            Some(_) => None,
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
        let r = clean_series(&times, &values, &SeriesSettings::ANGLE);
        assert!(r[20].is_none() && r[130].is_none());
        assert_eq!(r[75], Some(Reason::Moving));
        assert!(r.iter().filter(|x| x.is_some()).count() < 50);
    }

    #[test]
    fn a_single_spike_is_an_outlier() {
        let times: Vec<f64> = (0..90).map(|i| i as f64 * 33.3).collect();
        let mut values = vec![50.0f32; 90];
        values[45] = 62.0;
        let r = clean_series(&times, &values, &SeriesSettings::ANGLE);
        assert_eq!(r[45], Some(Reason::Outlier));
        assert_eq!(r.iter().filter(|x| x.is_some()).count(), 1);
    }

    #[test]
    fn a_glimpse_between_gated_frames_is_unsettled() {
        // 30 fps: three readable frames (67 ms), a gap, then a steady second.
        let mut times: Vec<f64> = (0..3).map(|i| i as f64 * 33.3).collect();
        times.extend((30..60).map(|i| i as f64 * 33.3));
        let values = vec![50.0f32; times.len()];
        let r = clean_series(&times, &values, &SeriesSettings::ANGLE);
        assert_eq!(&r[..3], &[Some(Reason::Unsettled); 3]);
        assert!(r[3..].iter().all(|v| v.is_none()), "{r:?}");
        assert_eq!(
            clean_series(&[0.0], &[48.0], &SeriesSettings::ANGLE),
            vec![Some(Reason::Unsettled)]
        );
    }
}
