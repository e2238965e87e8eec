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
    // 85% read, MAE 2.5; achieved 77 of 87 and 2.19).
    assert_eq!(h.held_out_near, 87);
    assert!(
        h.held_out_near_read as f32 >= 0.85 * h.held_out_near as f32,
        "{} of {} read",
        h.held_out_near_read,
        h.held_out_near
    );
    assert!(h.held_out_near_mae_deg <= 2.5, "MAE {}", h.held_out_near_mae_deg);
    // Readings spread nearly as the truth does (achieved 0.90; 1.00 before stills were read
    // twice: the mean of two readings spreads a little less).
    assert!(
        (0.88..=1.1).contains(&h.held_out_near_slope),
        "slope {}",
        h.held_out_near_slope
    );
    // Bias by facing side (achieved -0.3 left, -0.2 right; +1.3 and -1.1 with the mask half an
    // input pixel off the landmarks).
    assert!(h.bias_facing_left_deg.abs() <= 1.0, "left {}", h.bias_facing_left_deg);
    assert!(
        h.bias_facing_right_deg.abs() <= 1.0,
        "right {}",
        h.bias_facing_right_deg
    );
    // The way a person faces does not move the reading: a render and its mirror image read
    // alike whichever way it faced (achieved -0.27 deg over 206 renders; -0.74 over 189 before
    // stills were read twice, +3.25 with the mask half an input pixel off the landmarks).
    assert!(h.mirror_pairs >= 180, "{} renders read both ways", h.mirror_pairs);
    assert!(
        h.mirror_facing_asymmetry_deg.abs() <= 1.5,
        "facing asymmetry {}",
        h.mirror_facing_asymmetry_deg
    );
    // The fresh blocks, rendered after the held-out part had been looked at and each first read
    // with the method frozen (FRESH_BLOCKS): 165 of 180 read, MAE 2.32 (2.40, 2.53 and 2.03 by
    // block), none of 36 beyond 25 degrees. The MAE is guarded with a small margin over what was
    // achieved.
    assert_eq!(h.fresh_near, 180);
    assert!(
        h.fresh_near_read as f32 >= 0.85 * h.fresh_near as f32,
        "{} of {} fresh renders read",
        h.fresh_near_read,
        h.fresh_near
    );
    assert!(h.fresh_near_mae_deg <= 2.4, "fresh MAE {}", h.fresh_near_mae_deg);
    assert_eq!((h.fresh_beyond_25, h.fresh_beyond_25_read), (36, 0));
    // Filmed as clips, each frame read once and corrected with the read-once term (fitted on the
    // training renders filmed so): held out 60 of 87 read, MAE 2.44; fresh 148 of 180, MAE
    // 2.13 (1.78 on the block first read with the term); none of 114 beyond 25 degrees. Fewer
    // read than as stills: a 2 s clip needs a settled second of readable frames.
    assert!(
        h.clip_held_out_near_read >= 55,
        "{} held out read as clips",
        h.clip_held_out_near_read
    );
    assert!(
        h.clip_held_out_near_mae_deg <= 2.5,
        "clip MAE {}",
        h.clip_held_out_near_mae_deg
    );
    assert!(
        h.clip_fresh_near_read >= 135,
        "{} fresh read as clips",
        h.clip_fresh_near_read
    );
    assert!(
        h.clip_fresh_near_mae_deg <= 2.25,
        "fresh clip MAE {}",
        h.clip_fresh_near_mae_deg
    );
    assert_eq!((h.clip_beyond_25, h.clip_beyond_25_read), (114, 0));
    // The error users are told ("measurement error on validation") is the largest of the four.
    let told = posture::assess::VALIDATION_CVA_MAE_DEG;
    let measured = h
        .held_out_near_mae_deg
        .max(h.fresh_near_mae_deg)
        .max(h.clip_held_out_near_mae_deg)
        .max(h.clip_fresh_near_mae_deg);
    assert!(
        (told - measured).abs() < 0.01,
        "VALIDATION_CVA_MAE_DEG is {told}, the validation gives {measured:.2}"
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
    // One render (achieved 41.8: 1.5 before the changes to the still reading).
    assert!((demo - 40.0).abs() <= 2.0, "demo {demo}");

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
