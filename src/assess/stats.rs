//! Robust statistics for per-frame series: median and quantiles, MAD, a Hampel spike filter,
//! and a moving-block bootstrap interval that respects frame-to-frame correlation.

/// The `q` quantile (0..=1) of `values` by linear interpolation; `None` when empty.
pub fn quantile(values: &[f32], q: f32) -> Option<f32> {
    let mut v: Vec<f32> = values.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    let pos = q.clamp(0.0, 1.0) * (v.len() - 1) as f32;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f32))
}

pub fn median(values: &[f32]) -> Option<f32> {
    quantile(values, 0.5)
}

/// Median absolute deviation scaled by 1.4826, a robust standard deviation.
pub fn robust_sd(values: &[f32]) -> Option<f32> {
    let m = median(values)?;
    let dev: Vec<f32> = values.iter().map(|v| (v - m).abs()).collect();
    median(&dev).map(|d| d * 1.4826)
}

/// Hampel filter: which samples lie more than `n_sigmas` robust SDs from the median of the
/// samples within `half_window_ms` of them (time-based, so dropped frames do not widen it).
/// `min_sd` stops a near-constant series from flagging tiny wobbles.
pub fn hampel_outliers(times_ms: &[f64], values: &[f32], half_window_ms: f64, n_sigmas: f32, min_sd: f32) -> Vec<bool> {
    let mut out = vec![false; values.len()];
    let mut start = 0;
    let mut end = 0;
    for i in 0..values.len() {
        while times_ms[start] < times_ms[i] - half_window_ms {
            start += 1;
        }
        while end < values.len() && times_ms[end] <= times_ms[i] + half_window_ms {
            end += 1;
        }
        let window = &values[start..end];
        if window.len() < 3 {
            continue;
        }
        let (Some(m), Some(sd)) = (median(window), robust_sd(window)) else {
            continue;
        };
        out[i] = (values[i] - m).abs() > n_sigmas * sd.max(min_sd);
    }
    out
}

/// A small deterministic generator (SplitMix64) so that intervals are reproducible.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Moving-block bootstrap 95% interval of the median. Consecutive frames are strongly
/// correlated, so the series is resampled in blocks of `block_len` consecutive samples; with
/// fewer than two blocks of data there is no honest interval and the result is `None`.
pub fn block_bootstrap_median_ci95(values: &[f32], block_len: usize, resamples: usize) -> Option<(f32, f32)> {
    let n = values.len();
    let block_len = block_len.max(1);
    if n < 2 * block_len || resamples == 0 {
        return None;
    }
    let mut rng = SplitMix64(0x5EED);
    let starts = n - block_len + 1;
    let mut medians = Vec::with_capacity(resamples);
    let mut sample = Vec::with_capacity(n + block_len);
    for _ in 0..resamples {
        sample.clear();
        while sample.len() < n {
            let s = rng.below(starts);
            sample.extend_from_slice(&values[s..s + block_len]);
        }
        sample.truncate(n);
        medians.push(median(&sample)?);
    }
    Some((quantile(&medians, 0.025)?, quantile(&medians, 0.975)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), Some(2.5));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.25), Some(2.0));
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[f32::NAN, 1.0]), Some(1.0));
    }

    #[test]
    fn robust_sd_of_normal_like_data() {
        // MAD of a symmetric +-1 series is 1, times 1.4826.
        let v: Vec<f32> = (0..100).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        assert!((robust_sd(&v).unwrap() - 1.4826).abs() < 1e-4);
    }

    #[test]
    fn hampel_flags_a_spike_and_nothing_else() {
        let times: Vec<f64> = (0..60).map(|i| i as f64 * 33.3).collect();
        let mut v: Vec<f32> = (0..60).map(|i| 50.0 + (i as f32 * 0.7).sin() * 0.5).collect();
        v[30] = 70.0;
        let flags = hampel_outliers(&times, &v, 500.0, 3.0, 0.5);
        assert!(flags[30]);
        assert_eq!(flags.iter().filter(|f| **f).count(), 1);
    }

    #[test]
    fn bootstrap_interval_widens_with_correlation() {
        // A slow drift: independent resampling would claim a tight interval; blocks do not.
        let v: Vec<f32> = (0..300).map(|i| 50.0 + (i as f32 / 40.0).sin() * 3.0).collect();
        let (lo1, hi1) = block_bootstrap_median_ci95(&v, 1, 500).unwrap();
        let (lo60, hi60) = block_bootstrap_median_ci95(&v, 60, 500).unwrap();
        assert!(hi60 - lo60 > 2.0 * (hi1 - lo1), "{lo1}..{hi1} vs {lo60}..{hi60}");
        let m = median(&v).unwrap();
        assert!(lo60 <= m && m <= hi60);
    }

    #[test]
    fn bootstrap_needs_two_blocks_and_brackets_the_median() {
        let v: Vec<f32> = (0..50).map(|i| i as f32).collect();
        assert_eq!(block_bootstrap_median_ci95(&v, 30, 100), None);
        // A steady rise through 0..49: the median 24.5 lies inside an interval that is neither
        // empty nor the whole range.
        let (lo, hi) = block_bootstrap_median_ci95(&v, 10, 500).expect("five blocks");
        assert!(lo < 24.5 && 24.5 < hi, "{lo}..{hi}");
        assert!(hi - lo > 1.0 && hi - lo < 49.0, "{lo}..{hi}");
    }
}
