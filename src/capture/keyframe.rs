//! The key frame of a part, kept in memory while capturing: frames are never written to disk
//! except into the visit file, and keeping every frame of a part would hold hundreds of
//! pictures. The key frame is the used frame nearest the part's median (as `posture score
//! --keyframes` chooses it), and the median is known only at the end; so a few candidates are
//! kept, those nearest the median of the values so far, which a held posture keeps close to
//! the final one.

use crate::assess::stats::median;

/// Up to `capacity` candidates, each a frame index, its value and what was kept of it.
#[derive(Debug)]
pub struct Candidates<T> {
    capacity: usize,
    values: Vec<f32>,
    kept: Vec<(u64, f32, T)>,
}

impl<T> Candidates<T> {
    pub fn new(capacity: usize) -> Candidates<T> {
        Candidates {
            capacity: capacity.max(1),
            values: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Offer the frame `index` with `value`; `keep` makes what is kept of it, and is called
    /// only when the frame is kept (a copy of its picture costs).
    pub fn offer(&mut self, index: u64, value: f32, keep: impl FnOnce() -> T) {
        if !value.is_finite() {
            return;
        }
        self.values.push(value);
        if self.kept.len() < self.capacity {
            self.kept.push((index, value, keep()));
            return;
        }
        let m = median(&self.values).unwrap_or(value);
        let (worst, worst_distance) = self
            .kept
            .iter()
            .enumerate()
            .map(|(i, k)| (i, (k.1 - m).abs()))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .expect("at least one kept");
        if (value - m).abs() < worst_distance {
            self.kept[worst] = (index, value, keep());
        }
    }

    /// The frame `wanted` (the key frame chosen from the assessment) if it was kept, else the
    /// kept frame nearest `median` among those `usable` says may stand for the part.
    pub fn take(self, wanted: Option<u64>, median: f32, usable: impl Fn(u64) -> bool) -> Option<(u64, T)> {
        let mut kept = self.kept;
        if let Some(i) = wanted.and_then(|w| kept.iter().position(|k| k.0 == w)) {
            let (index, _, item) = kept.swap_remove(i);
            return Some((index, item));
        }
        kept.into_iter()
            .filter(|k| usable(k.0))
            .min_by(|a, b| {
                (a.1 - median)
                    .abs()
                    .total_cmp(&(b.1 - median).abs())
                    .then(a.0.cmp(&b.0))
            })
            .map(|(index, _, item)| (index, item))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frames_nearest_the_running_median_are_kept() {
        let mut c = Candidates::new(3);
        let mut made = Vec::new();
        // A settled posture at 40 with two early and two late outliers.
        let values = [70.0, 10.0, 40.0, 40.5, 39.5, 40.2, 39.9, 40.1, 60.0, 20.0];
        for (i, v) in values.into_iter().enumerate() {
            c.offer(i as u64, v, || {
                made.push(i);
                i
            });
        }
        let mut kept: Vec<u64> = c.kept.iter().map(|k| k.0).collect();
        kept.sort();
        assert_eq!(kept.len(), 3);
        assert!(
            kept.iter().all(|&i| (values[i as usize] - 40.0f32).abs() <= 0.2),
            "{kept:?}"
        );
        // A copy is made only for frames kept (when offered): not for the late outliers.
        assert!(!made.contains(&8) && !made.contains(&9), "{made:?}");
        // The assessment's choice, when kept, is taken as it is.
        let wanted = kept[0];
        assert_eq!(c.take(Some(wanted), 40.0, |_| true).map(|t| t.0), Some(wanted));
    }

    #[test]
    fn without_the_wanted_frame_the_nearest_usable_one_stands_in() {
        let mut c = Candidates::new(4);
        for (i, v) in [40.0, 41.0, 39.0, 40.4].into_iter().enumerate() {
            c.offer(i as u64, v, || ());
        }
        // Frame 0 was set aside by the assessment: frame 3 is the nearest usable one.
        let got = c.take(Some(99), 40.1, |i| i != 0).map(|t| t.0);
        assert_eq!(got, Some(3));
        let none: Candidates<()> = Candidates::new(2);
        assert!(none.take(None, 40.0, |_| true).is_none());
    }

    #[test]
    fn values_that_are_not_numbers_are_never_kept() {
        let mut c = Candidates::new(2);
        c.offer(0, f32::NAN, || ());
        assert!(c.take(None, 0.0, |_| true).is_none());
    }
}
