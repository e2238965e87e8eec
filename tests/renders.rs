//! The measures against renders with known angles (fixtures/renders/truth.json), through the
//! real binary. What these assert, and how the targets stand, is in
//! docs/measures.md ("Validation on renders"); `cargo run --release --example
//! validate_renders` prints the full table.

mod common;
use common::*;
use posture::validation::{FRONT_RULE_HELD_OUT_FROM, SEPARATE_SHOULDERS_FROM};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;

/// The scenes these tests cover: all but the fifth block (rounded-shoulder evidence only).
fn truth() -> Vec<Value> {
    let t: Value = serde_json::from_str(&std::fs::read_to_string(fixture("renders/truth.json")).unwrap()).unwrap();
    t["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| number(s["id"].as_str().unwrap()) < SEPARATE_SHOULDERS_FROM)
        .cloned()
        .collect()
}

fn render_path(scene: &Value) -> String {
    fixture(&format!("renders/{}", scene["file"].as_str().unwrap()))
        .display()
        .to_string()
}

/// `posture measure --json` with `extra` arguments over the given scenes.
fn measure_scenes(scenes: &[&Value], extra: &[&str]) -> std::process::Output {
    let paths: Vec<String> = scenes.iter().map(|s| render_path(s)).collect();
    let mut args = vec!["measure", "--json"];
    args.extend_from_slice(extra);
    args.extend(paths.iter().map(String::as_str));
    posture(&args)
}

/// `posture measure --json` over the given scenes, keyed by scene id. Every render shows a
/// person, so the run must succeed and give one record per render, in order.
fn measured(scenes: &[&Value]) -> HashMap<String, Value> {
    let out = measure_scenes(scenes, &[]);
    let recs = records(&out);
    // Read, each of them; 3 when one gives no number (a view too oblique).
    assert_eq!(out.status.code(), measure_exit_status(&recs), "{}", stderr(&out));
    assert_eq!(recs.len(), scenes.len(), "one record per render");
    for (r, s) in recs.iter().zip(scenes) {
        assert!(
            r["input"].as_str().unwrap().ends_with(s["file"].as_str().unwrap()),
            "{} out of order",
            s["id"]
        );
    }
    recs.into_iter()
        .zip(scenes)
        .map(|(r, s)| (s["id"].as_str().unwrap().to_string(), r))
        .collect()
}

fn number(id: &str) -> u32 {
    id[1..4].parse().unwrap()
}

#[test]
fn no_side_number_beyond_25_degrees_off_profile() {
    let all = truth();
    let far: Vec<&Value> = all
        .iter()
        .filter(|s| s["view"] == "side" && s["camera_yaw_deg"].as_f64().unwrap().abs() > 25.0)
        .collect();
    assert!(far.len() >= 10, "too few far-off-profile renders: {}", far.len());
    let mut read = Vec::new();
    for (id, r) in measured(&far) {
        if r["cva_deg"].is_number() {
            read.push(id);
        } else {
            assert!(r["classification"]["forward_head"].is_null(), "{id}");
            assert!(!r["reason"].is_null(), "{id}: no reason");
        }
    }
    eprintln!(
        "side renders beyond 25 degrees that gave a number: {read:?} of {}",
        far.len()
    );
    // Target: none on the held-out renders (scene numbers divisible by 3). Over all renders one
    // training render reads (s061: turned 30 degrees, yet the world yaw says 2.5 and the
    // shoulders and eyes overlap in the picture); this guards against more.
    assert!(read.iter().all(|id| number(id) % 3 != 0), "held-out: {read:?}");
    assert!(read.len() <= 1, "{read:?}");
}

#[test]
fn held_out_side_renders_within_10_degrees() {
    let all = truth();
    let near: Vec<&Value> = all
        .iter()
        .filter(|s| {
            s["view"] == "side"
                && s["camera_yaw_deg"].as_f64().unwrap().abs() <= 10.0
                && number(s["id"].as_str().unwrap()) % 3 == 0
        })
        .collect();
    let by_id: HashMap<&str, &Value> = near.iter().map(|s| (s["id"].as_str().unwrap(), *s)).collect();
    let results = measured(&near);
    let read: Vec<(f64, f64)> = results
        .iter()
        .filter_map(|(id, r)| Some((r["cva_deg"].as_f64()?, by_id[id.as_str()]["cva_deg"].as_f64().unwrap())))
        .collect();
    let mae = read.iter().map(|(e, t)| (e - t).abs()).sum::<f64>() / read.len().max(1) as f64;
    let correct = read.iter().filter(|(e, t)| (*e < 50.0) == (*t < 50.0)).count();
    let recropped = results
        .values()
        .filter(|r| r["provenance"]["model"]["recropped_frames"] == 1)
        .count();
    // A still that gives a side reading was read twice, as it is and mirrored, and says so.
    for (id, r) in &results {
        if r["cva_deg"].is_number() {
            assert_eq!(r["provenance"]["model"]["mirrored_frames"], 1, "{id}: {r}");
        }
    }
    eprintln!(
        "held-out renders within 10 degrees: {} of {} read, CVA MAE {mae:.2} deg, forward head vs normal {correct}/{} correct, {recropped} read through the re-crop",
        read.len(),
        near.len(),
        read.len()
    );
    // Targets (issue 11; docs/measures.md): at least 85% read, MAE at most 2.5 degrees. Measured
    // on this render set: 77 of 87 read (89%), MAE 2.19 degrees (2.64 before the person mask was
    // aligned with the landmarks and side-view stills read twice). Forward head vs normal: 71 of
    // 77 right (72 of 78 before; calls of renders near 50 degrees move with any change).
    assert!(
        read.len() as f64 >= 0.85 * near.len() as f64,
        "only {} of {} held-out renders read",
        read.len(),
        near.len()
    );
    assert!(mae <= 2.5, "held-out CVA MAE {mae:.2} deg");
    assert!(correct as f64 >= 0.9 * read.len() as f64, "{correct}/{}", read.len());
    for (id, r) in &results {
        // Every render that gave no number says why, and every render shows a person the
        // detector finds: a person it found is never reported as nobody.
        assert!(r["cva_deg"].is_number() || !r["reason"].is_null(), "{id}");
        assert_eq!(r["quality"]["reasons"]["no_person"], Value::Null, "{id}: {r}");
        assert_eq!(
            r["provenance"]["model"]["landmark_file"], "pose_landmark_lite.onnx",
            "{id}"
        );
    }
    // Standing full-body profiles whose crop the lite model rejects are read through the larger
    // re-crop, and their records say so.
    assert!(recropped >= 1, "no held-out render needed the re-crop");
}

#[test]
fn front_looking_down_is_told_from_forward_head() {
    let all = truth();
    // The fixed-camera front groups the rule was set on (those held out from it are checked in
    // tests/front_rule_held_out.rs): each render names the group's upright baseline render, which
    // shares its camera, light and clothes.
    let grouped: Vec<&Value> = all
        .iter()
        .filter(|s| {
            s["view"] == "front"
                && s["camera_anchor"].is_string()
                && number(s["id"].as_str().unwrap()) < FRONT_RULE_HELD_OUT_FROM
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let (mut looks, mut fhps, mut upright) = (Vec::new(), Vec::new(), Vec::new());
    for base in grouped.iter().filter(|s| s["camera_anchor"] == s["id"]) {
        let baseline = dir.path().join(format!("{}.json", base["id"].as_str().unwrap()));
        calibrate(Path::new(&render_path(base)), &baseline);
        let group: Vec<&Value> = grouped
            .iter()
            .filter(|s| s["camera_anchor"] == base["id"] && s["id"] != base["id"])
            .copied()
            .collect();
        let out = measure_scenes(&group, &["--baseline", baseline.to_str().unwrap()]);
        for (s, r) in group.iter().zip(records(&out)) {
            let id = s["id"].as_str().unwrap().to_string();
            let class = r["classification"]["forward_head"]
                .as_str()
                .unwrap_or("none")
                .to_string();
            let looking_down = r["classification"]["looking_down"] == true;
            let (fhp, look) = (s["fhp_level"].as_str().unwrap(), s["look_down_deg"].as_f64().unwrap());
            if look > 0.0 {
                looks.push((id, class, looking_down));
            } else if fhp == "moderate" || fhp == "severe" {
                fhps.push((id, class, looking_down));
            } else if fhp == "none" && s["protraction"] == 0 {
                upright.push((id, class, looking_down));
            }
        }
    }
    eprintln!("look-down: {looks:?}\nforward head: {fhps:?}\nupright again: {upright:?}");
    assert!(
        looks.len() >= 12 && fhps.len() >= 12 && upright.len() >= 6,
        "too few front comparisons"
    );
    // Never confused: looking down is always seen and never called forward head; a head pushed
    // forward is never taken for looking down.
    for (id, class, down) in &looks {
        assert!(*down && class != "forward", "{id}: {class} looking_down={down}");
    }
    for (id, class, down) in fhps.iter().chain(&upright) {
        assert!(!down, "{id}: {class} looking_down={down}");
    }
    // An upright repeat is never forward head. s391 reads borderline: its true CVA is 2.7 degrees
    // below its baseline's and its head came a little nearer the camera.
    for (id, class, _) in &upright {
        assert!(class == "normal" || class == "borderline", "{id}: {class}");
    }
    // Measured: 11 of 12 moderate or severe forward heads are called forward (s429, a heavy
    // body, changes no signal beyond noise).
    let called = fhps.iter().filter(|(_, class, _)| class == "forward").count();
    assert!(called >= 10, "{fhps:?}");
}
