//! Prints the validation against the renders (`posture::validation`), optionally re-fitting the
//! correction first, or writes it into docs/measures.md.
//!
//! ```sh
//! cargo run --release --example validate_renders                 # print
//! cargo run --release --example validate_renders -- --fit        # re-fit, then print
//! cargo run --release --example validate_renders -- --write-docs # regenerate docs/measures.md
//! cargo run --release --example validate_renders -- full         # the full landmark model
//! ```

use posture::pose::LandmarkVariant;
use posture::validation::{run, with_tables};
use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let has = |flag: &str| args.iter().any(|a| a == flag);
    let variant = if has("full") {
        LandmarkVariant::Full
    } else {
        LandmarkVariant::Lite
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = run(&root.join("fixtures/renders"), variant, has("--fit"));
    print!("{}", report.fit);
    if !has("--write-docs") {
        print!("{}", report.tables);
        return ExitCode::SUCCESS;
    }
    let path = root.join("docs/measures.md");
    let docs = match std::fs::read_to_string(&path) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("validate_renders: cannot read {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    };
    let Some(updated) = with_tables(&docs, &report.tables) else {
        eprintln!("validate_renders: {} has no generated-section markers", path.display());
        return ExitCode::FAILURE;
    };
    if let Err(e) = std::fs::write(&path, updated) {
        eprintln!("validate_renders: cannot write {}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    eprintln!("validate_renders: {} updated", path.display());
    ExitCode::SUCCESS
}
