//! `posture measure --json` gives, for real fixtures, the very records stored in
//! fixtures/expected/: side views whose neck outline is read off the person mask (a render held
//! still on video, stills of renders), front views and a front picture, with both landmark models.
//!
//! The stored records were written with the landmark models as converted, before they were cut
//! into a landmark model and a mask head run only on the frames that read the mask
//! (tools/models/split.py): a change there, or anywhere on the way from pixels to a record, that
//! moves a number shows here. The provenance block is left out (it names the model files' hashes).
//! A figure may differ by one unit of its last digit (CPUs with and without AVX-512 differ
//! there); counts, classes and reasons must be equal.
//! After a change that is meant to move numbers, write the files again with
//! `posture measure --json --threads 1 --model M INPUTS` from the repository root (inputs in the
//! order of the file), dropping each record's `provenance`, and say why in the commit.

mod common;
use common::*;
use serde_json::Value;

fn expected(model: &str) -> Vec<Value> {
    let path = fixture(&format!("expected/measure_{model}.jsonl"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

fn records_match_the_stored_ones(model: &str) {
    let want = expected(model);
    let inputs: Vec<String> = want
        .iter()
        .map(|r| r["input"].as_str().expect("input names a file").to_string())
        .collect();
    let mut args = vec!["measure", "--json", "--threads", "1", "--model", model];
    args.extend(inputs.iter().map(String::as_str));
    let out = run_in(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), &args);
    let mut got = records(&out);
    assert_eq!(got.len(), want.len(), "{}", stderr(&out));
    // The stored records cover side readings (the mask is read), front readings and no-reading
    // reasons: a test that cannot fail on a lost mask would have no side reading here.
    assert!(want.iter().filter(|r| r["cva_deg"].is_number()).count() >= 3);
    assert!(want.iter().any(|r| r["view"] == "front"));
    for (got, want) in got.iter_mut().zip(&want) {
        assert!(got["provenance"].is_object(), "{got}");
        got.as_object_mut().unwrap().remove("provenance");
        if let Some(difference) = json_differs_beyond_last_digit(got, want) {
            panic!("{} differs from its stored record: {difference}", want["input"]);
        }
    }
}

#[test]
fn lite_records_of_the_fixtures_are_the_stored_ones() {
    records_match_the_stored_ones("lite");
}

#[test]
fn full_records_of_the_fixtures_are_the_stored_ones() {
    records_match_the_stored_ones("full");
}
