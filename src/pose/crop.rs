//! Sampling a rotated square of the frame into a model's input tensor.
//!
//! One routine serves both models: the detector's letterbox is an unrotated square around the
//! whole frame with a black border, the landmark crop is the rotated ROI with the border
//! replicated (as MediaPipe does: at a desk the ROI often reaches past the frame, and the crop
//! must pad rather than clamp the square, or the landmarks would be distorted).

use super::roi::Roi;
use image::RgbImage;

/// What to sample outside the frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Border {
    /// Black pixels (the detector's letterbox).
    Black,
    /// The nearest edge pixel (the landmark crop).
    Replicate,
}

/// Fill `out` (NHWC, `side * side * 3` floats) with the ROI resampled bilinearly to
/// `side x side`, pixel values mapped linearly from [0, 255] to `range`.
///
/// Output pixel (i, j) samples the frame at `roi.crop_to_image(i / side, j / side)`, with frame
/// pixel centres at integer coordinates: the mapping MediaPipe's crop uses, so that landmarks
/// projected back with [`Roi::crop_to_image`] land where MediaPipe's do.
pub fn crop_to_tensor(frame: &RgbImage, roi: &Roi, side: usize, range: (f32, f32), border: Border, out: &mut [f32]) {
    assert_eq!(out.len(), side * side * 3, "tensor buffer has the wrong size");
    let (w, h) = (frame.width() as i64, frame.height() as i64);
    let pixels = frame.as_raw();
    let scale = (range.1 - range.0) / 255.0;
    let step = roi.size_px / side as f32;
    let (sin, cos) = roi.rotation_rad.sin_cos();
    // Frame position of output pixel (0, 0) and the per-pixel steps along output x and y.
    let half = roi.size_px / 2.0;
    let x0 = roi.center_x_px + cos * -half - sin * -half;
    let y0 = roi.center_y_px + sin * -half + cos * -half;
    let (dx_i, dy_i) = (cos * step, sin * step);
    let (dx_j, dy_j) = (-sin * step, cos * step);

    let fetch = |x: i64, y: i64| -> [f32; 3] {
        let (x, y) = match border {
            Border::Replicate => (x.clamp(0, w - 1), y.clamp(0, h - 1)),
            Border::Black => {
                if x < 0 || y < 0 || x >= w || y >= h {
                    return [0.0; 3];
                }
                (x, y)
            }
        };
        let k = ((y * w + x) * 3) as usize;
        [pixels[k] as f32, pixels[k + 1] as f32, pixels[k + 2] as f32]
    };
    let row_bytes = w as usize * 3;
    // Where the same column of the row PREFETCH_ROWS further down samples, relative to here.
    // Only for a turned square: an unturned one reads along the frame's rows, which the
    // hardware prefetcher follows (asking as well only cost time there).
    let (ahead_x, ahead_y) = (dx_j * PREFETCH_ROWS, dy_j * PREFETCH_ROWS);
    let hint = !pixels.is_empty() && sin != 0.0;

    for j in 0..side {
        let (mut sx, mut sy) = (x0 + dx_j * j as f32, y0 + dy_j * j as f32);
        let row = &mut out[j * side * 3..(j + 1) * side * 3];
        for px in row.chunks_exact_mut(3) {
            // Only a hint to the cache: any position in the frame will do, so truncation
            // rather than floor, clamped into the frame.
            if hint {
                let (x, y) = ((sx + ahead_x) as i64, (sy + ahead_y) as i64);
                let k = (y.clamp(0, h - 1) * w + x.clamp(0, w - 1)) as usize * 3;
                prefetch(pixels, k);
                prefetch(pixels, (k + row_bytes).min(pixels.len() - 1));
            }
            let (ix, fx) = floor(sx);
            let (iy, fy) = floor(sy);
            let (ax, ay) = (sx - fx, sy - fy);
            let value = if ix >= 0 && iy >= 0 && ix + 1 < w && iy + 1 < h {
                // Fast path: all four neighbours inside the frame, read as two 6-byte runs.
                let k = (iy * w + ix) as usize * 3;
                let top_row = &pixels[k..k + 6];
                let bottom_row = &pixels[k + row_bytes..k + row_bytes + 6];
                let mut v = [0.0f32; 3];
                for (c, vc) in v.iter_mut().enumerate() {
                    let top = top_row[c] as f32 * (1.0 - ax) + top_row[3 + c] as f32 * ax;
                    let bottom = bottom_row[c] as f32 * (1.0 - ax) + bottom_row[3 + c] as f32 * ax;
                    *vc = top * (1.0 - ay) + bottom * ay;
                }
                v
            } else {
                let (p00, p10, p01, p11) = (
                    fetch(ix, iy),
                    fetch(ix + 1, iy),
                    fetch(ix, iy + 1),
                    fetch(ix + 1, iy + 1),
                );
                let mut v = [0.0f32; 3];
                for c in 0..3 {
                    let top = p00[c] * (1.0 - ax) + p10[c] * ax;
                    let bottom = p01[c] * (1.0 - ax) + p11[c] * ax;
                    v[c] = top * (1.0 - ay) + bottom * ay;
                }
                v
            };
            px[0] = range.0 + value[0] * scale;
            px[1] = range.0 + value[1] * scale;
            px[2] = range.0 + value[2] * scale;
            sx += dx_i;
            sy += dy_i;
        }
    }
}

/// How many output rows ahead a turned crop asks for the frame's cache lines: the crop of a
/// frame just converted waits on memory (megabytes, no longer in the core's caches), and a
/// turned square walks across the frame's rows where the hardware prefetcher does not follow.
const PREFETCH_ROWS: f32 = 2.0;

/// Ask for the cache line holding `pixels[k]` ahead of its use. A hint only: nothing is read
/// into the program, so no value can change.
#[inline(always)]
fn prefetch(pixels: &[u8], k: usize) {
    let at = &pixels[k];
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch of an address inside the slice; it reads nothing and cannot fault.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(std::ptr::from_ref(at).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = at;
}

/// `x.floor()` as an integer and as a float, without the libm call that `f32::floor` compiles
/// to on baseline x86-64 (no SSE4.1): it ran out of line once per sample and coordinate.
/// Equal to `f32::floor` for every `x` but NaN (beyond 2^23 floats are whole numbers already),
/// so the crop's numbers are the same bit for bit.
#[inline(always)]
fn floor(x: f32) -> (i64, f32) {
    if x.abs() >= 8_388_608.0 {
        return (x as i64, x);
    }
    let truncated = x as i64;
    let i = if (truncated as f32) > x {
        truncated - 1
    } else {
        truncated
    };
    (i, i as f32)
}

/// The unrotated square that letterboxes a whole `width x height` frame (the detector's view).
pub fn letterbox_roi(width: u32, height: u32) -> Roi {
    Roi {
        center_x_px: width as f32 / 2.0,
        center_y_px: height as f32 / 2.0,
        size_px: width.max(height) as f32,
        rotation_rad: 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A digest of every output bit over the random cases below, taken from the crop before it
    /// asked for cache lines ahead. A faster crop must give the same tensors bit for bit (the
    /// arithmetic is plain f32 without fused multiply-adds, the same on every x86-64 CPU);
    /// change this only with a crop meant to give other numbers, and say why.
    const CROP_DIGEST: u64 = 0xaed9_d021_64bd_efb4;

    #[test]
    fn the_crop_gives_the_same_tensors_bit_for_bit_as_before() {
        // Random frames, squares (in, across and outside the frame), turns, scales and tensor
        // sizes, both borders and both value ranges.
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut unit = || (next() >> 40) as f32 / (1u64 << 24) as f32;
        let (mut samples, mut digest) = (0, 0xCBF2_9CE4_8422_2325u64);
        for case in 0..400 {
            let (w, h) = (1 + (unit() * 90.0) as u32, 1 + (unit() * 70.0) as u32);
            let frame = RgbImage::from_fn(w, h, |_, _| Rgb(std::array::from_fn(|_| (unit() * 256.0) as u8)));
            let roi = Roi {
                center_x_px: unit() * 1.6 * w as f32 - 0.3 * w as f32,
                center_y_px: unit() * 1.6 * h as f32 - 0.3 * h as f32,
                size_px: 0.5 + unit() * 2.0 * w.max(h) as f32,
                rotation_rad: (unit() - 0.5) * 4.0 * std::f32::consts::PI * f32::from(case % 4 != 0),
            };
            let side = 1 + (unit() * 48.0) as usize;
            let border = if case % 2 == 0 {
                Border::Replicate
            } else {
                Border::Black
            };
            let range = if case % 3 == 0 { (-1.0, 1.0) } else { (0.0, 1.0) };
            let mut out = vec![f32::NAN; side * side * 3];
            crop_to_tensor(&frame, &roi, side, range, border, &mut out);
            for v in &out {
                // FNV-1a over the bits of every value.
                digest = (digest ^ u64::from(v.to_bits())).wrapping_mul(0x0000_0100_0000_01B3);
            }
            samples += out.len();
        }
        assert!(samples > 400 * 100, "{samples}");
        assert_eq!(digest, CROP_DIGEST, "{digest:#x}");
    }

    fn gradient(w: u32, h: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            Rgb([(x * 255 / (w - 1)) as u8, (y * 255 / (h - 1)) as u8, 128])
        })
    }

    #[test]
    fn identity_crop_reproduces_the_frame() {
        let frame = gradient(16, 16);
        // A square whose sample grid coincides with the pixel centres 0..15.
        let roi = Roi {
            center_x_px: 8.0,
            center_y_px: 8.0,
            size_px: 16.0,
            rotation_rad: 0.0,
        };
        let mut out = vec![0.0; 16 * 16 * 3];
        crop_to_tensor(&frame, &roi, 16, (0.0, 255.0), Border::Replicate, &mut out);
        for (y, x) in [(0, 0), (5, 9), (15, 15)] {
            let p = frame.get_pixel(x, y);
            let k = ((y * 16 + x) * 3) as usize;
            for c in 0..3 {
                assert!((out[k + c] - p[c] as f32).abs() < 1e-3, "({x},{y}) c{c}");
            }
        }
    }

    #[test]
    fn letterbox_pads_black_and_keeps_aspect() {
        let frame = RgbImage::from_pixel(40, 20, Rgb([255, 255, 255]));
        let roi = letterbox_roi(40, 20);
        let mut out = vec![0.0; 8 * 8 * 3];
        crop_to_tensor(&frame, &roi, 8, (-1.0, 1.0), Border::Black, &mut out);
        // Top row is letterbox (black = -1), middle row is the frame (white = 1).
        assert!((out[0] + 1.0).abs() < 1e-6);
        let mid = 4 * 8 * 3 + 4 * 3;
        assert!((out[mid] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn replicate_border_extends_edge_pixels() {
        let frame = gradient(10, 10);
        let roi = Roi {
            center_x_px: -50.0,
            center_y_px: 5.0,
            size_px: 4.0,
            rotation_rad: 0.0,
        };
        let mut out = vec![0.0; 2 * 2 * 3];
        crop_to_tensor(&frame, &roi, 2, (0.0, 255.0), Border::Replicate, &mut out);
        // Far left of the frame: the red channel (x gradient) is the left edge's value, 0.
        assert_eq!(out[0], 0.0);
    }

    #[test]
    fn inline_floor_matches_f32_floor() {
        let values = [
            0.0f32,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            1.5,
            -1.5,
            2.999_999_8,
            -2.999_999_8,
            1e-30,
            -1e-30,
            8388607.5,
            -8388607.5,
            16777216.0,
            -16777217.0,
            3.0e9,
            -3.0e9,
            1e20,
            -1e20,
            8388608.0,
            -8388609.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ];
        for x in values.into_iter().chain((-2000..2000).map(|i| i as f32 * 0.37 + 0.013)) {
            let (i, f) = floor(x);
            // Equal as numbers (-0.0 gives 0.0, which changes no sample: 0.0 and -0.0 weigh alike).
            assert_eq!(f, x.floor(), "{x}");
            assert_eq!(i, x.floor() as i64, "{x}");
        }
    }

    #[test]
    fn rotated_crop_turns_the_picture() {
        // A frame whose right half is white: after a quarter turn clockwise, the crop's
        // top half samples the frame's right half.
        let frame = RgbImage::from_fn(20, 20, |x, _| if x >= 10 { Rgb([255; 3]) } else { Rgb([0; 3]) });
        let roi = Roi {
            center_x_px: 10.0,
            center_y_px: 10.0,
            size_px: 16.0,
            rotation_rad: std::f32::consts::FRAC_PI_2,
        };
        let mut out = vec![0.0; 4 * 4 * 3];
        crop_to_tensor(&frame, &roi, 4, (0.0, 1.0), Border::Replicate, &mut out);
        let pixel = |row: usize, col: usize| out[(row * 4 + col) * 3];
        let top = pixel(0, 1);
        let bottom = pixel(3, 1);
        assert!(top > 0.9 && bottom < 0.1, "top {top} bottom {bottom}");
    }
}
