//! Following one person through a stream, or finding one in each still.
//!
//! Like MediaPipe, the detector runs only to (re)acquire the subject: after that each frame's
//! ROI comes from the previous frame's auxiliary landmarks, and a pose-presence score below
//! [`TrackerConfig::min_presence`] drops the track. Unlike MediaPipe, a dropped track is
//! re-detected in the same frame, and the detector also runs every
//! [`TrackerConfig::recount_every`] frames to count the other people in view.
//!
//! Choosing the subject when several people are in view ([`SubjectRule`]):
//! - with a pixel (`--subject X,Y`), the person nearest that pixel when tracking starts
//!   (distance to the torso, mid-hip to mid-shoulder, or to the face box), and only someone
//!   within a torso length of it: until such a person is in view there is no
//!   subject, so a subject who walks in later is not pre-empted by whoever was there first;
//! - otherwise the largest person (by body ROI size); people within 10% of the largest size
//!   count as equally large, and of those the one nearest the frame centre wins.
//!
//! When the landmark model rejects the detector's crop (pose presence below the gate), or the
//! head's points in it (presence below the gate: the crop cut through the head), the same model
//! looks again through a crop [`RECROP_SCALE`] times larger around the same centre: on standing
//! full-body renders the lite model rejected the detector's tight crop of a person it then
//! found at presence 0.6-1.0 in the larger one. A pose read so says so ([`Pose::recropped`]).
//! A person the detector found but no crop could read is still the subject's place, not
//! someone else: they are not counted among `other_people`.
//!
//! Once chosen, the subject is kept: after a lost track only a person whose hip centre is
//! within one ROI size of where the subject was last seen is taken back. Nobody else is taken
//! in their place (no silent switch to another person: those frames say pose null and count
//! the others), so a subject who leaves and returns to the same place is picked up again.

use super::detector::Detection;
use super::smoothing::{PoseSmoother, Smoothing};
use super::{index, Pose, PoseFrame, PoseModels, Roi, RuntimeError};
use crate::frames::Frame;

/// How much larger the second crop is when the landmark model rejects the detector's crop.
pub const RECROP_SCALE: f32 = 1.3;

/// Stills are independent pictures; a stream is consecutive frames of one scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackingMode {
    Stills,
    Stream,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SubjectRule {
    /// Largest, then most central.
    Largest,
    /// Nearest this frame pixel when tracking starts.
    NearestTo(f32, f32),
}

#[derive(Debug, Clone)]
pub struct TrackerConfig {
    pub mode: TrackingMode,
    pub subject: SubjectRule,
    /// Frames between detector runs while tracking, to count other people (0 = never).
    pub recount_every: u32,
    /// Pose-presence probability below which the landmarks are discarded.
    pub min_presence: f32,
    /// Smoothing for streams; `None` gives the raw model output.
    pub smoothing: Option<Smoothing>,
}

impl Default for TrackerConfig {
    fn default() -> Self {
        TrackerConfig {
            mode: TrackingMode::Stream,
            subject: SubjectRule::Largest,
            recount_every: 30,
            min_presence: 0.5,
            smoothing: Some(Smoothing::MEASURE),
        }
    }
}

/// Pick the subject among detections (pure: the rule in the module docs).
pub fn choose_subject(detections: &[Detection], rule: SubjectRule, frame_size: (u32, u32)) -> Option<usize> {
    if detections.is_empty() {
        return None;
    }
    let best_by = |key: &dyn Fn(&Detection) -> f32| {
        (0..detections.len())
            .filter(|&i| detections[i].is_upright())
            .min_by(|&a, &b| key(&detections[a]).total_cmp(&key(&detections[b])))
    };
    match rule {
        SubjectRule::NearestTo(x, y) => best_by(&|d| d.distance_to((x, y)))
            .filter(|&i| detections[i].distance_to((x, y)) <= detections[i].torso_length_px()),
        SubjectRule::Largest => {
            let largest = detections
                .iter()
                .filter(|d| d.is_upright())
                .map(|d| d.roi().size_px)
                .fold(0.0f32, f32::max);
            let centre = (frame_size.0 as f32 / 2.0, frame_size.1 as f32 / 2.0);
            best_by(&|d| {
                if d.roi().size_px < 0.9 * largest {
                    f32::INFINITY
                } else {
                    let (x, y) = d.keypoints[0];
                    (x - centre.0).hypot(y - centre.1)
                }
            })
        }
    }
}

/// The detection that is the tracked subject, if any: the one whose hip centre is nearest
/// the subject's, within half the ROI size.
pub fn find_subject(detections: &[Detection], hip_centre: (f32, f32), roi_size_px: f32) -> Option<usize> {
    detections
        .iter()
        .enumerate()
        .filter(|(_, d)| d.is_upright())
        .map(|(i, d)| {
            (
                i,
                (d.keypoints[0].0 - hip_centre.0).hypot(d.keypoints[0].1 - hip_centre.1),
            )
        })
        .filter(|&(_, dist)| dist < 0.5 * roi_size_px)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i)
}

/// What decides between the detector's crop and the larger one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CropReading {
    /// The landmark model's pose presence.
    pub presence: f32,
    /// The lowest presence of the head's points ([`head_presence`]).
    pub head_presence: f32,
}

impl CropReading {
    fn of(result: &super::landmarks::RoiLandmarks) -> CropReading {
        CropReading {
            presence: result.presence,
            head_presence: head_presence(result),
        }
    }

    /// The model rejected the crop, or the crop cut the head.
    pub fn failed(self, min_presence: f32) -> bool {
        self.presence < min_presence || self.head_presence < min_presence
    }
}

/// Whether the larger crop's reading replaces the detector crop's, which `failed`. Only where
/// the larger one mends what failed: where both read, the detector's crop is the more accurate
/// (training renders: CVA MAE 2.6 against 3.0 deg), so a head still cut in the larger crop keeps
/// the detector's reading.
pub fn prefer_recrop(detector: CropReading, larger: CropReading, min_presence: f32) -> bool {
    larger.presence >= min_presence && (detector.presence < min_presence || larger.head_presence >= min_presence)
}

/// The lowest presence (in the picture) of the head's points: the nose, the outer eye corners and
/// the ears. A detector crop that cuts through the head leaves it low although the head is in
/// the picture.
fn head_presence(result: &super::landmarks::RoiLandmarks) -> f32 {
    [
        index::NOSE,
        index::LEFT_EYE_OUTER,
        index::RIGHT_EYE_OUTER,
        index::LEFT_EAR,
        index::RIGHT_EAR,
    ]
    .iter()
    .map(|&i| result.landmarks[i].presence)
    .fold(f32::INFINITY, f32::min)
}

/// The detector's crop enlarged by [`RECROP_SCALE`] about its centre.
pub fn recrop(roi: Roi) -> Roi {
    Roi {
        size_px: roi.size_px * RECROP_SCALE,
        ..roi
    }
}

struct Track {
    next_roi: Roi,
    hip_centre: (f32, f32),
    roi_size_px: f32,
}

/// The pipeline's state for one input.
pub struct Tracker {
    config: TrackerConfig,
    track: Option<Track>,
    /// Where the last subject was when its track was lost, to take it back.
    last_seen: Option<(f32, f32, f32)>,
    frames_since_detection: u32,
    other_people: usize,
    smoother: Option<PoseSmoother>,
}

impl Tracker {
    pub fn new(config: TrackerConfig) -> Tracker {
        let smoother = match config.mode {
            TrackingMode::Stream => config.smoothing.map(PoseSmoother::new),
            TrackingMode::Stills => None,
        };
        Tracker {
            config,
            track: None,
            last_seen: None,
            frames_since_detection: 0,
            other_people: 0,
            smoother,
        }
    }

    /// Run the pipeline on one frame.
    pub fn process(&mut self, models: &mut PoseModels, frame: &Frame) -> Result<PoseFrame, RuntimeError> {
        if self.config.mode == TrackingMode::Stills {
            self.track = None;
            self.last_seen = None;
        }
        let image = &frame.image;
        if let Some(track) = &self.track {
            if self.config.recount_every > 0 && self.frames_since_detection >= self.config.recount_every {
                let detections = models.detector.detect(image)?;
                let own = find_subject(&detections, track.hip_centre, track.roi_size_px);
                self.other_people = detections.len() - usize::from(own.is_some());
                self.frames_since_detection = 0;
            }
            let roi = track.next_roi;
            let result = models.landmarks.run(image, &roi)?;
            if result.presence >= self.config.min_presence && !roi.misses_image(image.width(), image.height()) {
                self.frames_since_detection += 1;
                return Ok(self.accept(result, roi, frame));
            }
            // Lost: remember where, and look again in this same frame.
            self.last_seen = Some((track.hip_centre.0, track.hip_centre.1, track.roi_size_px));
            self.track = None;
        }

        let detections = models.detector.detect(image)?;
        self.frames_since_detection = 1;
        // An established subject is only taken back near where it was lost; the choice rule
        // applies only while nobody has been chosen yet.
        let chosen = match self.last_seen {
            Some((x, y, size)) => find_subject(&detections, (x, y), 2.0 * size),
            None => choose_subject(&detections, self.config.subject, image.dimensions()),
        };
        let Some(chosen) = chosen else {
            self.other_people = detections.len();
            return Ok(PoseFrame {
                pose: None,
                other_people: detections.len(),
            });
        };
        self.other_people = detections.len() - 1;
        let mut roi = detections[chosen].roi();
        let mut result = models.landmarks.run(image, &roi)?;
        let min = self.config.min_presence;
        let mut recropped = false;
        let first = CropReading::of(&result);
        if first.failed(min) {
            let larger = recrop(roi);
            let again = models.landmarks.run(image, &larger)?;
            if prefer_recrop(first, CropReading::of(&again), min) {
                (roi, result, recropped) = (larger, again, true);
            }
        }
        if result.presence < min {
            return Ok(PoseFrame {
                pose: None,
                other_people: self.other_people,
            });
        }
        if self.last_seen.is_none() {
            // A new subject: the smoothing history belongs to someone else or to nobody.
            if let Some(s) = &mut self.smoother {
                s.reset();
            }
        }
        let mut accepted = self.accept(result, roi, frame);
        if let Some(pose) = &mut accepted.pose {
            pose.recropped = recropped;
        }
        Ok(accepted)
    }

    fn accept(&mut self, mut result: super::landmarks::RoiLandmarks, roi: Roi, frame: &Frame) -> PoseFrame {
        let next_roi = result.next_roi();
        if let Some(s) = &mut self.smoother {
            s.apply(
                &mut result.landmarks,
                &mut result.world_landmarks,
                frame.timestamp_ms / 1000.0,
            );
        }
        let (l, r) = (result.landmarks[index::LEFT_HIP], result.landmarks[index::RIGHT_HIP]);
        let hip_centre = ((l.x_px + r.x_px) / 2.0, (l.y_px + r.y_px) / 2.0);
        if self.config.mode == TrackingMode::Stream {
            self.track = Some(Track {
                next_roi,
                hip_centre,
                roi_size_px: roi.size_px,
            });
            self.last_seen = None;
        }
        PoseFrame {
            pose: Some(Pose {
                score: result.presence,
                landmarks: result.landmarks,
                world_landmarks: result.world_landmarks,
                roi,
                mask: super::MaskState::Pending(result.mask_features),
                recropped: false,
                read_mirrored: false,
            }),
            other_people: self.other_people,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A standing person whose hip centre is at (x, y) and whose body extent is `size`.
    fn person(x: f32, y: f32, size: f32) -> Detection {
        Detection {
            score: 0.9,
            face_box: [x - 5.0, y - size * 0.45, x + 5.0, y - size * 0.35],
            keypoints: [(x, y), (x, y - size / 2.0), (x, y - size * 0.3), (x, y - size * 0.6)],
        }
    }

    /// `person` with the torso turned by `deg` about the hip centre.
    fn turned(x: f32, y: f32, size: f32, deg: f32) -> Detection {
        let (sin, cos) = deg.to_radians().sin_cos();
        let mut d = person(x, y, size);
        for k in &mut d.keypoints {
            let (dx, dy) = (k.0 - x, k.1 - y);
            *k = (x + dx * cos - dy * sin, y + dx * sin + dy * cos);
        }
        d
    }

    #[test]
    fn a_detection_with_the_shoulders_below_the_hips_is_never_the_subject() {
        let flipped = turned(540.0, 680.0, 400.0, 128.0);
        let leaning = turned(900.0, 680.0, 300.0, 40.0);
        assert!(!flipped.is_upright() && leaning.is_upright());
        let dets = [flipped.clone(), leaning];
        assert_eq!(
            choose_subject(&dets, SubjectRule::NearestTo(540.0, 600.0), (1000, 800)),
            None
        );
        assert_eq!(choose_subject(&dets, SubjectRule::Largest, (1000, 800)), Some(1));
        assert_eq!(find_subject(&[flipped], (540.0, 680.0), 400.0), None);
    }

    #[test]
    fn largest_person_wins() {
        let dets = [person(100.0, 300.0, 100.0), person(500.0, 300.0, 300.0)];
        assert_eq!(choose_subject(&dets, SubjectRule::Largest, (1000, 600)), Some(1));
    }

    #[test]
    fn equally_large_people_go_to_the_most_central() {
        let dets = [person(100.0, 300.0, 300.0), person(450.0, 300.0, 290.0)];
        assert_eq!(choose_subject(&dets, SubjectRule::Largest, (1000, 600)), Some(1));
    }

    #[test]
    fn a_pixel_picks_the_person_under_it() {
        let dets = [person(100.0, 300.0, 300.0), person(800.0, 300.0, 100.0)];
        assert_eq!(
            choose_subject(&dets, SubjectRule::NearestTo(790.0, 280.0), (1000, 600)),
            Some(1)
        );
        assert_eq!(choose_subject(&[], SubjectRule::Largest, (1000, 600)), None);
    }

    #[test]
    fn a_pixel_far_from_everyone_picks_nobody_yet() {
        let dets = [person(100.0, 300.0, 200.0)];
        assert_eq!(
            choose_subject(&dets, SubjectRule::NearestTo(900.0, 300.0), (1000, 600)),
            None
        );
    }

    #[test]
    fn a_recrop_is_larger_about_the_same_centre_and_turn() {
        let roi = person(100.0, 300.0, 200.0).roi();
        let larger = recrop(roi);
        assert_eq!(
            (larger.center_x_px, larger.center_y_px, larger.rotation_rad),
            (roi.center_x_px, roi.center_y_px, roi.rotation_rad)
        );
        assert!(larger.size_px > roi.size_px);
        assert!((larger.size_px - RECROP_SCALE * roi.size_px).abs() < 1e-3);
    }

    #[test]
    fn the_larger_crop_is_taken_only_where_it_mends_what_failed() {
        let reading = |presence, head_presence| CropReading {
            presence,
            head_presence,
        };
        let min = 0.5;
        assert!(!reading(0.9, 0.9).failed(min));
        assert!(reading(0.4, 0.9).failed(min) && reading(0.9, 0.4).failed(min));
        // Rejected crop: any larger crop the model accepts, even with a cut head.
        assert!(prefer_recrop(reading(0.4, 0.9), reading(0.8, 0.3), min));
        assert!(!prefer_recrop(reading(0.4, 0.9), reading(0.45, 0.9), min));
        // Cut head: only a larger crop that shows the head.
        assert!(prefer_recrop(reading(0.9, 0.4), reading(0.9, 0.8), min));
        assert!(!prefer_recrop(reading(0.9, 0.4), reading(0.9, 0.45), min));
        assert!(!prefer_recrop(reading(0.9, 0.4), reading(0.3, 0.9), min));
    }

    #[test]
    fn the_subject_is_recognised_among_detections() {
        let dets = [person(100.0, 300.0, 300.0), person(800.0, 300.0, 100.0)];
        assert_eq!(find_subject(&dets, (790.0, 305.0), 125.0), Some(1));
        assert_eq!(find_subject(&dets, (450.0, 300.0), 125.0), None);
    }
}
