//! `posture visits` and `posture report`: the real binary on fixture renders and clips built
//! from them, each test with its own data folder.

mod common;

use common::{assert_every_field_named, ffmpeg, fixture, names_in, readme_section};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SIDE: &str = "renders/s035_side_seated_male_avg_fhp-none_prot1_L_yaw0_high.jpg";
const FRONT: &str = "renders/s126_front_seated_male_avg_fhp-none_yawm5_level.jpg";
const SIDE_SEVERE: &str = "renders/s036_side_seated_male_avg_fhp-severe_L_yawm10_level.jpg";
const FRONT_MODERATE: &str = "renders/s128_front_seated_male_avg_fhp-moderate_yawm5_level.jpg";

fn posture_with(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_posture"))
        .args(args)
        .env("POSTURE_DATA_DIR", data)
        .output()
        .expect("the posture binary runs")
}

fn ok(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "failed: {stderr}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A one-line error, exit status 1.
fn refused(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A clip as the guided capture records one: `side` held for 4 s, then `front` for 4 s (10 fps).
fn side_then_front(dir: &Path, side: &str, front: &str) -> PathBuf {
    let out = dir.join("side_then_front.mp4");
    let (side, front) = (fixture(side), fixture(front));
    ffmpeg(
        &[
            "-loop",
            "1",
            "-t",
            "4",
            "-i",
            path(&side),
            "-loop",
            "1",
            "-t",
            "4",
            "-i",
            path(&front),
            "-filter_complex",
            "[0:v][1:v]concat=n=2:v=1[v]",
            "-map",
            "[v]",
            "-r",
            "10",
            "-pix_fmt",
            "yuv420p",
            "-c:v",
            "libx264",
        ],
        &out,
    );
    out
}

fn history(data: &Path, patient: &str) -> serde_json::Value {
    serde_json::from_str(&ok(&posture_with(data, &["visits", "list", patient, "--json"]))).unwrap()
}

/// P001's first visit: a side photo and a front photo.
fn add_photos(data: &Path) {
    let (side, front) = (fixture(SIDE), fixture(FRONT));
    let args = [
        "visits",
        "add",
        "P001",
        path(&side),
        path(&front),
        "--recorded-at",
        "2026-09-01",
    ];
    ok(&posture_with(data, &args));
}

/// Three visits of P001: photos (normal), a side-then-front clip (severe), a clip from another
/// camera resolution (flagged).
fn record_with_three_visits(data: &Path, work: &Path) {
    add_photos(data);
    let clip = side_then_front(work, SIDE_SEVERE, FRONT_MODERATE);
    ok(&posture_with(
        data,
        &["visits", "add", "P001", path(&clip), "--recorded-at", "2026-10-15"],
    ));
    let sway = fixture("render_s030_sway.mp4");
    ok(&posture_with(
        data,
        &["visits", "add", "P001", path(&sway), "--recorded-at", "2026-11-20"],
    ));
}

#[test]
fn photos_a_clip_and_a_visit_file_are_added_and_listed_and_bad_files_change_nothing() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (data, work) = (data.path(), work.path());
    add_photos(data);
    let h = history(data, "P001");
    let views: Vec<_> = h["visits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["view"].clone())
        .collect();
    assert_eq!(views, ["side", "front"], "{h}");
    let first = &h["visits"][0];
    assert_eq!(first["date"], "2026-09-01T00:00:00Z");
    assert!(first["cva_deg"].as_f64().unwrap() > 45.0, "{first}");
    assert_eq!(first["frames_used"], 1);
    // The stored visit file, passed through the library: re-dated, without a patient, then
    // added as a capture would be.
    let stored = data.join("patients/P001/2026-09-01T000000Z.zip");
    let mut file = posture::visit::read(&stored).unwrap();
    assert_eq!(file.visit.patient.as_deref(), Some("P001"));
    assert!(file
        .keyframes
        .iter()
        .any(|(n, png)| n == "keyframe-side.png" && png.starts_with(b"\x89PNG")));
    file.visit.patient = None;
    file.visit.recorded_at = "2026-10-01T08:00:00Z".into();
    let visit_zip = work.join("visit.zip");
    posture::visit::write(&visit_zip, &file).unwrap();
    ok(&posture_with(data, &["visits", "add", "P001", path(&visit_zip)]));
    let listing = ok(&posture_with(data, &["visits", "list", "P001"]));
    assert!(listing.contains("2026-10-01T08:00:00Z visit 2 side"), "{listing}");
    let stored_names = names_in(&data.join("patients/P001"));
    assert_eq!(stored_names, ["2026-09-01T000000Z.zip", "2026-10-01T080000Z.zip"]);
    // Another patient's visit, a truncated file, a non-zip and a bad id: refused, nothing stored.
    file.visit.patient = Some("P002".into());
    let other = work.join("other.zip");
    posture::visit::write(&other, &file).unwrap();
    let e = refused(&posture_with(data, &["visits", "add", "P001", path(&other)]));
    assert!(e.contains("recorded for patient P002, not P001"), "{e}");
    let bytes = std::fs::read(&visit_zip).unwrap();
    let truncated = work.join("truncated.zip");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let e = refused(&posture_with(
        data,
        &["visits", "add", "P001", path(&visit_zip), path(&truncated)],
    ));
    assert!(e.contains("not a posture visit file"), "{e}");
    let e = refused(&posture_with(data, &["visits", "add", "../x", path(&visit_zip)]));
    assert!(e.contains("not a patient id"), "{e}");
    let e = refused(&posture_with(
        data,
        &[
            "visits",
            "add",
            "P001",
            path(&fixture("no_person.jpg")),
            path(&work.join("missing.jpg")),
        ],
    ));
    assert!(e.contains("nothing added") || e.contains("missing.jpg"), "{e}");
    assert_eq!(names_in(&data.join("patients/P001")), stored_names);
    let e = refused(&posture_with(data, &["visits", "list", "P404"]));
    assert!(e.contains("no visits for patient P404"), "{e}");
}

#[test]
fn a_clip_recorded_side_then_front_is_two_parts_and_another_camera_is_not_compared() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    record_with_three_visits(data.path(), work.path());
    let h = history(data.path(), "P001");
    let visits = h["visits"].as_array().unwrap();
    let of = |n: u64| visits.iter().filter(|v| v["visit"] == n).collect::<Vec<_>>();
    let clip = of(2);
    assert_eq!(clip.len(), 2, "{h}");
    assert_eq!((&clip[0]["view"], &clip[1]["view"]), (&"side".into(), &"front".into()));
    assert!(clip.iter().all(|p| p["frames_total"].as_u64().unwrap() >= 30), "{h}");
    assert_eq!(clip[0]["class"], "severe", "{h}");
    // The front part against the first visit's front photo, in words.
    assert!(!clip[1]["front_notes"].as_array().unwrap().is_empty(), "{h}");
    let sway = of(3);
    assert_eq!(sway[0]["comparable"], false);
    assert_eq!(sway[0]["differences"][0]["kind"], "resolution", "{h}");
    // Changes: the clip against the photos (both since previous and since first), not the sway.
    let changes = h["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2, "{h}");
    for c in changes {
        assert_eq!(
            (&c["from"], &c["to"]),
            (&"2026-09-01T00:00:00Z".into(), &"2026-10-15T00:00:00Z".into())
        );
        assert!(c["delta_deg"].as_f64().unwrap() < -5.0, "{c}");
        assert_eq!(c["beyond_noise"], true);
    }
    let listing = ok(&posture_with(data.path(), &["visits", "list", "P001"]));
    assert!(
        listing.contains("NOT COMPARED: camera moved or changed: 624x464 instead of 640x480"),
        "{listing}"
    );
}

/// The HTML with its `data:` URIs taken out (base64 may hold `//`).
fn without_data_uris(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(i) = rest.find("data:image/png;base64,") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        rest = &rest[rest.find('"').unwrap_or(rest.len())..];
    }
    out.push_str(rest);
    out
}

#[test]
fn the_report_is_one_self_contained_file_that_chromium_renders_and_prints() {
    let (data, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (data, work) = (data.path(), work.path());
    record_with_three_visits(data, work);
    let html_path = work.join("report.html");
    let written = posture_with(data, &["report", "P001", "--out", path(&html_path)]);
    ok(&written);
    assert!(String::from_utf8_lossy(&written.stderr).contains("written to"));
    let quiet = posture_with(data, &["report", "P001", "--out", path(&html_path), "--quiet"]);
    ok(&quiet);
    assert_eq!(String::from_utf8_lossy(&quiet.stderr), "", "--quiet leaves only errors");
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("data:image/png;base64,iVBOR"), "the key frame is inline");
    assert!(
        html.contains("<svg") && html.contains("Clip interval") && html.contains("Measurement error on validation")
    );
    assert!(html.contains("beyond measurement noise") && html.contains("not replace the therapist"));
    assert!(html.contains("camera moved or changed"));
    let text = without_data_uris(&html).to_lowercase();
    for external in [
        "http:", "https:", "ftp:", "@import", "url(", "\"//", "'//", "src=//", "href=",
    ] {
        assert!(!text.contains(external), "the report refers outside itself: {external}");
    }
    let json_path = work.join("report.json");
    ok(&posture_with(
        data,
        &["report", "P001", "--out", path(&json_path), "--json"],
    ));
    let json: serde_json::Value = serde_json::from_slice(&std::fs::read(&json_path).unwrap()).unwrap();
    assert_eq!(json["patient"], "P001");
    assert_eq!(json["schema"], "posture-history/1");
    assert_eq!(
        json,
        history(data, "P001"),
        "visits list --json prints the report's object"
    );
    let section = readme_section("Remote visits");
    assert_every_field_named(&section, &json, &["norms", "norms.thresholds"], "report --json");
    for entry in json["visits"].as_array().unwrap() {
        assert_every_field_named(&section, entry, &[], "a visit entry");
        for nested in ["differences", "front_notes"] {
            for item in entry[nested].as_array().unwrap() {
                assert_every_field_named(&section, item, &[], nested);
            }
        }
    }
    for change in json["changes"].as_array().unwrap() {
        assert_every_field_named(&section, change, &[], "a change");
    }
    for key in ["date", "view", "cva_deg", "ci95", "frames_used"] {
        assert!(json["visits"][0].get(key).is_some(), "visits lack {key}");
    }
    for key in ["from", "to", "delta_deg", "beyond_noise"] {
        assert!(json["changes"][0].get(key).is_some(), "changes lack {key}");
    }

    let (png, pdf) = (work.join("report.png"), work.join("report.pdf"));
    let url = format!("file://{}", path(&html_path));
    for arg in [
        format!("--screenshot={}", path(&png)),
        format!("--print-to-pdf={}", path(&pdf)),
    ] {
        let status = Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                "--window-size=900,2600",
                &arg,
                &url,
            ])
            .env("HOME", work)
            .output()
            .expect("chromium must be installed (scripts/install-deps.sh installs it)");
        assert!(status.status.success(), "{}", String::from_utf8_lossy(&status.stderr));
    }
    let png_bytes = std::fs::read(&png).unwrap();
    assert!(
        png_bytes.starts_with(b"\x89PNG") && png_bytes.len() > 50_000,
        "{} bytes",
        png_bytes.len()
    );
    let shot = image::load_from_memory(&png_bytes).unwrap().to_rgb8();
    assert_eq!((shot.width(), shot.height()), (900, 2600));
    // Not a blank page: many colours (the plot's bands, the key frame).
    let colours: std::collections::HashSet<_> = shot.pixels().step_by(7).map(|p| p.0).collect();
    assert!(colours.len() > 500, "{} colours", colours.len());
    let pdf_bytes = std::fs::read(&pdf).unwrap();
    assert!(
        pdf_bytes.starts_with(b"%PDF") && pdf_bytes.len() > 50_000,
        "{} bytes",
        pdf_bytes.len()
    );
    // A4 pages: 595 x 842 points.
    let pdf_text = String::from_utf8_lossy(&pdf_bytes);
    let media = pdf_text.split("/MediaBox [0 0 ").nth(1).expect("a page size");
    let size: Vec<f64> = media
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(
        (size[0] - 595.0).abs() < 1.0 && (size[1] - 842.0).abs() < 1.0,
        "not A4: {size:?}"
    );
    if let Some(dir) = std::env::var_os("POSTURE_KEEP_REPORT") {
        for f in [&html_path, &png, &pdf] {
            std::fs::copy(f, Path::new(&dir).join(f.file_name().unwrap())).unwrap();
        }
    }
}
