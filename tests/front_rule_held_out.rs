//! The front rule (`assess::baseline::front_comparison`) on fixed-camera front renders it was never
//! set on (s444-s497, tools/renders/README.md), through the real binary: each group's upright
//! baseline render is calibrated with `posture calibrate`, and every other render of the group is
//! measured against it with `posture measure --baseline`. The groups look down 15, 25 and 35
//! degrees (the renders the rule was set on look down 15 and 30 only).

mod common;
use common::*;
use posture::validation::{FRONT_RULE_HELD_OUT_FROM, SEPARATE_SHOULDERS_FROM};
use serde_json::Value;
use std::path::Path;

/// One render's call against its group's baseline.
#[derive(Debug)]
struct Call {
    id: String,
    /// What the render shows (truth.json): "look 25", "fhp moderate", "upright again", "prot 2".
    condition: String,
    forward_head: String,
    looking_down: bool,
}

impl Call {
    fn forward(&self) -> bool {
        self.forward_head == "forward" || self.forward_head == "severe"
    }
}

fn condition(s: &Value) -> String {
    let look = s["look_down_deg"].as_f64().unwrap();
    let prot = s["protraction"].as_u64().unwrap();
    let fhp = s["fhp_level"].as_str().unwrap();
    if look > 0.0 {
        format!("look {look:.0}")
    } else if prot > 0 {
        format!("prot {prot}")
    } else if fhp == "none" {
        "upright again".into()
    } else {
        format!("fhp {fhp}")
    }
}

/// The held-out groups' calls, after checking that every render gave one.
fn held_out_calls() -> Vec<Call> {
    let truth: Value = serde_json::from_str(&std::fs::read_to_string(fixture("renders/truth.json")).unwrap()).unwrap();
    let held: Vec<&Value> = truth["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| {
            s["view"] == "front"
                && s["camera_anchor"].is_string()
                && (FRONT_RULE_HELD_OUT_FROM..SEPARATE_SHOULDERS_FROM)
                    .contains(&s["id"].as_str().unwrap()[1..4].parse::<u32>().unwrap())
        })
        .collect();
    let baselines: Vec<&Value> = held.iter().filter(|s| s["camera_anchor"] == s["id"]).copied().collect();
    // Six groups of nine: a baseline and eight conditions, three bodies by two camera heights.
    assert_eq!((held.len(), baselines.len()), (54, 6), "the held-out front groups");
    let path = |s: &Value| {
        fixture(&format!("renders/{}", s["file"].as_str().unwrap()))
            .display()
            .to_string()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut calls = Vec::new();
    for base in baselines {
        let baseline = dir.path().join(format!("{}.json", base["id"].as_str().unwrap()));
        calibrate(Path::new(&path(base)), &baseline);
        let group: Vec<&Value> = held
            .iter()
            .filter(|s| s["camera_anchor"] == base["id"] && s["id"] != base["id"])
            .copied()
            .collect();
        assert_eq!(group.len(), 8, "{}", base["id"]);
        let paths: Vec<String> = group.iter().map(|s| path(s)).collect();
        let mut args = vec!["measure", "--json", "--baseline", baseline.to_str().unwrap()];
        args.extend(paths.iter().map(String::as_str));
        let out = posture(&args);
        let recs = records(&out);
        assert_eq!(
            out.status.code(),
            measure_exit_status(&recs),
            "{}: {}",
            base["id"],
            stderr(&out)
        );
        assert_eq!(recs.len(), group.len(), "{}: one record per render", base["id"]);
        for (s, r) in group.iter().zip(recs) {
            let id = s["id"].as_str().unwrap().to_string();
            assert!(
                r["input"].as_str().unwrap().ends_with(s["file"].as_str().unwrap()),
                "{id} out of order"
            );
            // Every render is read from the front and compared: a call, not a missing one.
            assert_eq!(r["view"], "front", "{id}: {r}");
            let forward_head = r["classification"]["forward_head"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: no forward-head call: {r}"))
                .to_string();
            let looking_down = r["classification"]["looking_down"]
                .as_bool()
                .unwrap_or_else(|| panic!("{id}: no looking-down call: {r}"));
            calls.push(Call {
                id,
                condition: condition(s),
                forward_head,
                looking_down,
            });
        }
    }
    assert_eq!(calls.len(), 48);
    let mut conditions: Vec<&str> = Vec::new();
    for c in &calls {
        if !conditions.contains(&c.condition.as_str()) {
            conditions.push(&c.condition);
        }
    }
    eprintln!("condition: renders, called forward head / borderline / looking down / neither");
    for condition in conditions {
        let group: Vec<&Call> = calls.iter().filter(|c| c.condition == condition).collect();
        let n = |f: fn(&Call) -> bool| group.iter().filter(|c| f(c)).count();
        eprintln!(
            "{condition}: {}, {} / {} / {} / {}",
            group.len(),
            n(Call::forward),
            n(|c| c.forward_head == "borderline"),
            n(|c| c.looking_down),
            n(|c| c.forward_head == "normal" && !c.looking_down),
        );
    }
    for c in &calls {
        eprintln!("{c:?}");
    }
    calls
}

#[test]
fn unseen_front_renders_looking_down_are_not_forward_head_and_pushed_heads_mostly_are() {
    let calls = held_out_calls();
    let of = |prefix: &str| -> Vec<&Call> { calls.iter().filter(|c| c.condition.starts_with(prefix)).collect() };
    let (looks, upright) = (of("look"), of("upright"));
    let pushed: Vec<&Call> = of("fhp").into_iter().filter(|c| c.condition != "fhp mild").collect();
    assert_eq!((looks.len(), pushed.len(), upright.len()), (18, 12, 6));

    // An upright person looking down 15, 25 or 35 degrees is never called forward head.
    for c in &looks {
        assert!(!c.forward(), "{c:?}");
    }
    // ... and is seen looking down (achieved 17 of 18: s467, looking down 15 degrees, changes no
    // signal beyond noise and is called neither).
    let seen_down = looks.iter().filter(|c| c.looking_down).count();
    eprintln!("looking down 15-35 called looking down: {seen_down}/{}", looks.len());
    assert!(seen_down >= 17, "{looks:?}");

    // A moderate or severe forward head is never taken for looking down, and is called forward
    // head in 7 of 12: all six with the camera above the eyes, one of six with the camera at or
    // below eye level (docs/measures.md, "Front view on renders it was not set on"). The bound is
    // what is achieved, not a target: the rule misses forward heads filmed from eye level.
    for c in &pushed {
        assert!(!c.looking_down, "{c:?}");
    }
    let called = |height: &str| pushed.iter().filter(|c| c.id.ends_with(height) && c.forward()).count();
    let (high, level) = (called("_high"), called("_level"));
    eprintln!("moderate or severe forward head called forward: camera above the eyes {high}/6, at eye level {level}/6");
    assert!(high + level >= 7, "{pushed:?}");

    // An upright repeat is never called forward head (achieved: all six normal).
    for c in &upright {
        assert!(!c.forward(), "{c:?}");
    }
}
