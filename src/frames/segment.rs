//! Long video files cut into stretches of media time, each decoded on its own (a seek to a
//! keyframe at or before its start, then forward), so that several cores can work on one file.
//!
//! A segment's frames are exactly those sequential decoding gives with timestamps in its
//! stretch, with the same indices and timestamps: indices come from a demux-only pass over the
//! file's packets (a frame's index is the rank of its presentation time among all packets'),
//! and every segment checks at its end that it decoded as many frames as the packets promised.
//! A file where that cannot be known (packets without timestamps, duplicate timestamps, a
//! declared frame count the packets do not match) is not cut at all.

use std::sync::Arc;

/// The segment a frame at `t_ms` belongs to: stretches of `length_ms` from the stream start.
/// Frames timed before the start (an edit list may give a few negative times) belong to the
/// first.
pub fn segment_of(t_ms: f64, length_ms: f64) -> u64 {
    if t_ms <= 0.0 {
        return 0;
    }
    (t_ms / length_ms).floor() as u64
}

/// The frames of one segment, as sequential decoding numbers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Which stretch of media time ([`segment_of`]).
    pub segment: u64,
    /// Index of its first frame in the file.
    pub first_index: u64,
    pub frames: u64,
}

/// How a video file is cut: its segments (only those holding frames, in order) and what a
/// segment's decoder needs to number its frames.
#[derive(Debug, Clone)]
pub struct Segments {
    pub length_ms: f64,
    pub spans: Vec<Span>,
    /// Presentation times of all packets in stream units, sorted: a frame's index is its rank.
    pub(crate) pts: Arc<[i64]>,
    /// How far a packet's decoding time runs ahead of its presentation time at most (frame
    /// reordering), in stream units: seeks aim this much early so no keyframe is missed.
    pub(crate) max_reorder: i64,
}

impl Segments {
    /// The segments of frames at `times_ms` (sorted), keeping those that start before
    /// `limit_ms`; `None` when that is fewer than two.
    pub(crate) fn cut(
        times_ms: &[f64],
        length_ms: f64,
        limit_ms: Option<f64>,
        pts: Arc<[i64]>,
        max_reorder: i64,
    ) -> Option<Segments> {
        let spans = spans(times_ms, length_ms, limit_ms);
        (spans.len() >= 2).then_some(Segments {
            length_ms,
            spans,
            pts,
            max_reorder,
        })
    }

    /// The presentation time (stream units) of the first frame of the `n`-th span.
    pub(crate) fn first_pts(&self, n: usize) -> i64 {
        self.pts[self.spans[n].first_index as usize]
    }
}

/// Group sorted frame times into the spans of their segments.
fn spans(times_ms: &[f64], length_ms: f64, limit_ms: Option<f64>) -> Vec<Span> {
    let mut spans: Vec<Span> = Vec::new();
    for (index, &t) in times_ms.iter().enumerate() {
        let segment = segment_of(t, length_ms);
        match spans.last_mut() {
            Some(last) if last.segment == segment => last.frames += 1,
            _ => {
                if limit_ms.is_some_and(|limit| segment as f64 * length_ms >= limit) {
                    break;
                }
                spans.push(Span {
                    segment,
                    first_index: index as u64,
                    frames: 1,
                })
            }
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_belong_to_the_stretch_their_time_falls_in() {
        assert_eq!(segment_of(-33.3, 60_000.0), 0);
        assert_eq!(segment_of(0.0, 60_000.0), 0);
        assert_eq!(segment_of(59_999.9, 60_000.0), 0);
        assert_eq!(segment_of(60_000.0, 60_000.0), 1);
        assert_eq!(segment_of(125_000.0, 60_000.0), 2);
    }

    #[test]
    fn spans_number_frames_from_the_file_start_and_skip_empty_stretches() {
        // A variable frame rate clip with a pause of over a segment between 1.5 s and 3.2 s.
        let times = [-20.0, 0.0, 400.0, 999.0, 1000.0, 1500.0, 3200.0, 3300.0];
        let got = spans(&times, 1000.0, None);
        assert_eq!(
            got,
            vec![
                Span {
                    segment: 0,
                    first_index: 0,
                    frames: 4
                },
                Span {
                    segment: 1,
                    first_index: 4,
                    frames: 2
                },
                Span {
                    segment: 3,
                    first_index: 6,
                    frames: 2
                },
            ]
        );
        // A duration limit drops the segments that start at or after it.
        assert_eq!(spans(&times, 1000.0, Some(1000.0)).len(), 1);
        assert_eq!(spans(&times, 1000.0, Some(3000.1)).len(), 3);
    }

    #[test]
    fn a_file_of_one_segment_is_not_cut() {
        let pts: Arc<[i64]> = Arc::from(vec![0, 1, 2]);
        assert!(Segments::cut(&[0.0, 10.0, 20.0], 1000.0, None, pts.clone(), 0).is_none());
        assert!(Segments::cut(&[0.0, 10.0, 1000.0], 1000.0, None, pts, 0).is_some());
    }
}
