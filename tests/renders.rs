//! The measures against renders with known angles (fixtures/renders/truth.json), through the
//! real binary. What these assert, and the targets they do not yet meet, is in
//! docs/measures.md ("Validation on renders"); `cargo run --release --example
//! validate_renders` prints the full table.

mod common;
use common::*;
use serde_json::Value;
use std::collections::HashMap;

fn truth() -> Vec<Value> {
    let t: Value = serde_json::from_str(&std::fs::read_to_string(fixture("renders/truth.json")).unwrap()).unwrap();
    t["scenes"].as_array().unwrap().clone()
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

/// `posture measure --json` over the given scenes, keyed by scene id.
fn measured(scenes: &[&Value]) -> HashMap<String, Value> {
    let out = measure_scenes(scenes, &[]);
    assert!(!stderr(&out).contains("panicked"));
    records(&out)
        .into_iter()
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
    // Target: none. Measured: one (s124, a camera above the subject: the shoulders overlap in
    // the picture although she is turned 30 degrees). This guards against more.
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
    assert!(
        read.len() >= 8,
        "only {} of {} held-out renders read",
        read.len(),
        near.len()
    );
    let mae = read.iter().map(|(e, t)| (e - t).abs()).sum::<f64>() / read.len() as f64;
    let correct = read.iter().filter(|(e, t)| (*e < 50.0) == (*t < 50.0)).count();
    eprintln!(
        "held-out renders within 10 degrees: {} read, CVA MAE {mae:.2} deg, forward head vs normal {correct}/{} correct",
        read.len(),
        read.len()
    );
    // Measured on this render set: MAE 4-5 degrees (the 3 degree target is not met yet; see
    // docs/measures.md). This guards against regressions of the pipeline or the correction.
    assert!(mae <= 6.0, "held-out CVA MAE {mae:.2} deg");
    assert!(correct as f64 >= 0.7 * read.len() as f64, "{correct}/{}", read.len());
    // Every render that gave no number says why.
    for (id, r) in &results {
        assert!(r["cva_deg"].is_number() || !r["reason"].is_null(), "{id}");
    }
}

#[test]
fn front_looking_down_is_told_from_forward_head() {
    let all = truth();
    let front: Vec<&Value> = all.iter().filter(|s| s["view"] == "front").collect();
    let dir = tempfile::tempdir().unwrap();
    let (mut looks, mut fhps) = (Vec::new(), Vec::new());
    for base in front
        .iter()
        .filter(|s| s["fhp_level"] == "none" && s["look_down_deg"] == 0 && s["protraction"] == 0)
    {
        let baseline = dir.path().join(format!("{}.json", base["id"].as_str().unwrap()));
        let out = posture(&["calibrate", &render_path(base), "--out", baseline.to_str().unwrap()]);
        if !out.status.success() {
            assert!(!baseline.exists());
            continue;
        }
        let same_body: Vec<&Value> = front
            .iter()
            .filter(|s| s["body"] == base["body"] && s["protraction"] == 0 && s["id"] != base["id"])
            .copied()
            .collect();
        let out = measure_scenes(&same_body, &["--baseline", baseline.to_str().unwrap()]);
        for (s, r) in same_body.iter().zip(records(&out)) {
            let looking_down = &r["classification"]["looking_down"];
            if looking_down.is_null() {
                continue;
            }
            let id = s["id"].as_str().unwrap().to_string();
            if s["look_down_deg"].as_f64().unwrap() >= 15.0 && s["fhp_level"] == "none" {
                // Looking down must never be called forward head.
                assert_ne!(r["classification"]["forward_head"], "forward", "{id}: {r}");
                looks.push((id, *looking_down == true));
            } else if s["fhp_level"] != "none" && s["look_down_deg"] == 0 {
                fhps.push((id, *looking_down == false));
            }
        }
    }
    let told = |v: &[(String, bool)]| v.iter().filter(|x| x.1).count();
    eprintln!(
        "looking down seen on {}/{} look-down renders; forward head not taken for looking down on {}/{}: {looks:?} {fhps:?}",
        told(&looks),
        looks.len(),
        told(&fhps),
        fhps.len()
    );
    assert!(looks.len() >= 4 && fhps.len() >= 6, "too few front comparisons");
    // Target: all told apart. Measured: no look-down render is called forward head; looking
    // down is seen on 4 of 6 (the two missed are 15-degree ones) and wrongly on 2 of 9
    // forward-head renders (s129, s144). This guards against more confusions.
    assert!(told(&looks) >= 4, "{looks:?}");
    assert!(told(&fhps) >= 7, "{fhps:?}");
}
