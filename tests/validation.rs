//! The validation's headline figures, asserted from the same function that prints the tables
//! (`posture::validation::run`), and docs/measures.md held to what the code produces now:
//! the committed tables must equal the generated ones, and the README's demo reading must be
//! the demo render's.

mod common;
use common::*;
use posture::pose::LandmarkVariant;
use posture::validation::{differs_beyond_rounding, run, with_tables};

#[test]
fn the_validation_figures_hold_and_the_docs_quote_them() {
    let report = run(&fixture("renders"), LandmarkVariant::Lite, false);
    let h = report.headline;
    eprintln!("{h:?}");

    // Coverage and accuracy on held-out side renders within 10 degrees (issue 11's targets:
    // 85% read, MAE 2.5; achieved 78 of 87 and 2.34).
    assert_eq!(h.held_out_near, 87);
    assert!(
        h.held_out_near_read as f32 >= 0.85 * h.held_out_near as f32,
        "{} of {} read",
        h.held_out_near_read,
        h.held_out_near
    );
    assert!(h.held_out_near_mae_deg <= 2.5, "MAE {}", h.held_out_near_mae_deg);
    // Readings spread as the truth does (achieved 1.00).
    assert!(
        (0.9..=1.1).contains(&h.held_out_near_slope),
        "slope {}",
        h.held_out_near_slope
    );
    // Bias by facing side (achieved +0.1 left, -0.0 right; +1.3 and -1.1 with the mask half an
    // input pixel off the landmarks).
    assert!(h.bias_facing_left_deg.abs() <= 1.0, "left {}", h.bias_facing_left_deg);
    assert!(
        h.bias_facing_right_deg.abs() <= 1.0,
        "right {}",
        h.bias_facing_right_deg
    );
    // The way a person faces does not move the reading: a render and its mirror image read
    // alike whichever way it faced (achieved -0.74 deg over 189 renders; +3.25 with the mask half
    // an input pixel off the landmarks).
    assert!(h.mirror_pairs >= 180, "{} renders read both ways", h.mirror_pairs);
    assert!(
        h.mirror_facing_asymmetry_deg.abs() <= 1.5,
        "facing asymmetry {}",
        h.mirror_facing_asymmetry_deg
    );
    // Beyond 25 degrees off profile: none held out; one training render over all (s061).
    assert_eq!(h.held_out_beyond_25_read, 0);
    assert!(
        h.beyond_25 >= 70 && h.beyond_25_read <= 1,
        "{} of {}",
        h.beyond_25_read,
        h.beyond_25
    );

    // The demo render reads what the README says (true CVA 40.0).
    let demo = h.demo_cva_deg.expect("the demo render reads");
    let readme = std::fs::read_to_string(fixture("../README.md")).unwrap();
    let quoted = format!("it reads {demo:.1}°");
    let said = readme
        .split("it reads ")
        .nth(1)
        .and_then(|rest| rest.split('°').next())
        .unwrap_or("");
    assert!(
        differs_beyond_rounding(said, &format!("{demo:.1}")).is_none(),
        "README should say \"{quoted}\""
    );
    // One render: within the mean error the held-out renders allow (2.5 deg).
    assert!((demo - 40.0).abs() <= 2.5, "demo {demo}");

    // docs/measures.md quotes the tables the code produces now.
    let docs = std::fs::read_to_string(fixture("../docs/measures.md")).unwrap();
    let regenerated = with_tables(&docs, &report.tables).expect("docs/measures.md has the markers");
    if let Some(difference) = differs_beyond_rounding(&docs, &regenerated) {
        panic!(
            "docs/measures.md differs from what the code produces beyond the rounding of its \
             last digit: run `cargo run --release --example validate_renders -- --write-docs`\n{difference}"
        );
    }
}
