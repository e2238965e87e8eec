//! Bad input never panics and never yields a number: each case is one clear line on stderr and
//! a non-zero exit, and in a multi-input run the good inputs are still processed.

mod common;
use common::*;
use std::path::Path;

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= b as u32;
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend((data.len() as u32).to_be_bytes());
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
}

/// A PNG whose header claims `w x h` pixels, with a token IDAT: refused from the header alone.
fn huge_png(w: u32, h: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend(w.to_be_bytes());
    ihdr.extend(h.to_be_bytes());
    ihdr.extend([8, 2, 0, 0, 0]);
    png_chunk(&mut png, b"IHDR", &ihdr);
    png_chunk(&mut png, b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]);
    png_chunk(&mut png, b"IEND", &[]);
    png
}

/// Assert a failed run with exactly one error line mentioning `needle`, and no panic.
fn assert_clean_failure(out: &std::process::Output, needle: &str) {
    let err = stderr(out);
    assert!(!out.status.success(), "expected failure, stderr: {err}");
    assert!(!err.contains("panicked"), "panic: {err}");
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("posture: error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line, got: {err}");
    assert!(
        errors[0].to_lowercase().contains(&needle.to_lowercase()),
        "'{needle}' not in: {}",
        errors[0]
    );
}

fn run_one(path: &Path) -> std::process::Output {
    posture(&["landmarks", path.to_str().unwrap()])
}

#[test]
fn each_bad_file_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let write = |name: &str, bytes: &[u8]| {
        let p = d.join(name);
        std::fs::write(&p, bytes).unwrap();
        p
    };
    let png = std::fs::read(fixture("cameraman.png")).unwrap();
    let jpg = std::fs::read(fixture("grace_hopper.jpg")).unwrap();
    let mp4 = std::fs::read(fixture("webcam_face.mp4")).unwrap();
    let noise: Vec<u8> = (0..5000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();

    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (d.join("missing.png"), "no such file"),
        (d.to_path_buf(), "directory"),
        (write("empty.mp4", b""), "empty"),
        (write("noise.mp4", &noise), "unsupported format"),
        (write("noise.png", &noise), "unsupported format"),
        (write("text.jpg", b"hello, I am not a picture\n"), "unsupported format"),
        (write("truncated.png", &png[..png.len() / 3]), "corrupt"),
        (write("truncated.jpg", &jpg[..jpg.len() / 3]), "corrupt"),
        (write("huge.png", &huge_png(30000, 30000)), "too large"),
    ];
    for (path, needle) in cases {
        let out = run_one(&path);
        assert_clean_failure(&out, needle);
        assert!(frame_records(&out).is_empty(), "{}: wrote records", path.display());
    }

    let mut tiny = Vec::new();
    image::RgbImage::new(1, 1)
        .write_to(&mut std::io::Cursor::new(&mut tiny), image::ImageFormat::Png)
        .unwrap();
    assert_clean_failure(&run_one(&write("tiny.png", &tiny)), "too small");

    // A truncated video: whatever was decodable is written, then the truncation is reported.
    let out = run_one(&write("truncated.mp4", &mp4[..mp4.len() * 2 / 5]));
    let err = stderr(&out);
    assert!(!out.status.success() && !err.contains("panicked"), "{err}");
    assert!(err.contains("truncated") || err.contains("corrupt"), "{err}");
}

/// Pictures are PNG or JPEG (README): the phone's HEIC and the web's GIF and WebP, and the
/// other formats FFmpeg would read as one-frame videos, are refused by name in both commands,
/// whatever their extension.
#[test]
fn pictures_other_than_png_and_jpeg_are_an_unsupported_format() {
    let dir = tempfile::tempdir().unwrap();
    let photo = fixture("grace_hopper.jpg");
    let mut cases = vec![(fixture("grace_hopper.heic"), "HEIF/HEIC")];
    for (name, kind) in [
        ("photo.gif", "GIF"),
        ("photo.webp", "WebP"),
        ("photo.bmp", "BMP"),
        ("photo.tiff", "TIFF"),
    ] {
        let path = dir.path().join(name);
        ffmpeg(&["-i", photo.to_str().unwrap()], &path);
        cases.push((path, kind));
    }
    let heic_as_mp4 = dir.path().join("photo.mp4");
    std::fs::copy(fixture("grace_hopper.heic"), &heic_as_mp4).unwrap();
    cases.push((heic_as_mp4, "HEIF/HEIC"));
    for (path, kind) in cases {
        let out = run_one(&path);
        assert_clean_failure(&out, &format!("unsupported format ({kind} picture"));
        let out = posture(&["measure", "--json", path.to_str().unwrap()]);
        assert_clean_failure(&out, &format!("unsupported format ({kind} picture"));
        assert_eq!(records(&out)[0]["reason"], "unreadable_input");
    }
}

#[test]
fn wrong_extensions_are_read_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let png_as_mp4 = dir.path().join("picture.mp4");
    std::fs::copy(fixture("grace_hopper.jpg"), &png_as_mp4).unwrap();
    let mp4_as_png = dir.path().join("clip.png");
    std::fs::copy(fixture("webcam_face.mp4"), &mp4_as_png).unwrap();
    let out = posture(&["landmarks", png_as_mp4.to_str().unwrap(), mp4_as_png.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    let recs = frame_records(&out);
    assert_eq!(recs.len(), 1 + 72);
    assert!(recs.iter().all(|r| !r["pose"].is_null()));
}

#[test]
fn one_bad_input_does_not_stop_the_others() {
    let good = fixture("grace_hopper.jpg");
    let out = posture(&[
        "landmarks",
        good.to_str().unwrap(),
        "/nonexistent/clip.mp4",
        fixture("astronaut.png").to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "no such file");
    let recs = frame_records(&out);
    assert_eq!(recs.len(), 2);
    assert!(recs[1]["source"].as_str().unwrap().ends_with("astronaut.png"));
}

#[test]
fn missing_runtime_says_how_to_install_it() {
    let img = fixture("grace_hopper.jpg");
    let out = posture_env(
        &["landmarks", img.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", "/nonexistent/libonnxruntime.so.1.31.1")],
    );
    assert_clean_failure(&out, "install-onnxruntime");

    let dir = tempfile::tempdir().unwrap();
    let fake = dir.path().join("libonnxruntime.so.1.31.1");
    std::fs::write(&fake, b"not a library").unwrap();
    let out = posture_env(
        &["landmarks", img.to_str().unwrap()],
        &[("ORT_DYLIB_PATH", fake.to_str().unwrap())],
    );
    assert_clean_failure(&out, "cannot be used");
}

#[test]
fn missing_or_corrupt_model_is_named() {
    let img = fixture("grace_hopper.jpg");
    let dir = tempfile::tempdir().unwrap();
    let out = posture(&[
        "landmarks",
        img.to_str().unwrap(),
        "--models",
        dir.path().to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "pose_detection.onnx");

    let models = Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
    std::fs::copy(
        models.join("pose_detection.onnx"),
        dir.path().join("pose_detection.onnx"),
    )
    .unwrap();
    let lite = std::fs::read(models.join("pose_landmark_lite.onnx")).unwrap();
    std::fs::write(dir.path().join("pose_landmark_lite.onnx"), &lite[..lite.len() / 2]).unwrap();
    let out = posture(&[
        "landmarks",
        img.to_str().unwrap(),
        "--models",
        dir.path().to_str().unwrap(),
    ]);
    assert_clean_failure(&out, "pose_landmark_lite.onnx");
    assert!(stderr(&out).contains("corrupt"));
}

#[test]
fn bad_arguments_are_usage_errors() {
    let img = fixture("grace_hopper.jpg");
    for args in [
        vec!["landmarks", img.to_str().unwrap(), "--stride", "0"],
        vec!["landmarks", img.to_str().unwrap(), "--subject", "abc"],
        vec!["landmarks"],
    ] {
        let out = posture(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(!stderr(&out).contains("panicked"));
    }
}

#[test]
fn a_missing_camera_is_a_clear_error() {
    // Device 99 exists on no machine, with or without a webcam.
    let out = posture(&["landmarks", "camera:99"]);
    assert_clean_failure(&out, "camera");
}
