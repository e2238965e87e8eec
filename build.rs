//! Names the git commit the binary is built from, for `posture --version`. Outside a git
//! checkout (a source archive, a Docker build without .git) or without git, it is "unknown":
//! the build never fails for it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output().ok()?;
    let text = String::from_utf8(out.stdout).ok()?;
    (out.status.success() && !text.trim().is_empty()).then(|| text.trim().to_owned())
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    // Only this crate's own checkout counts, not a repository that happens to hold it.
    let own_checkout = git(&manifest, &["rev-parse", "--show-toplevel"])
        .and_then(|top| Path::new(&top).canonicalize().ok())
        .is_some_and(|top| manifest.canonicalize().is_ok_and(|m| m == top));
    let commit = own_checkout
        .then(|| git(&manifest, &["rev-parse", "--short", "HEAD"]))
        .flatten();
    if commit.is_some() {
        // A new commit moves the branch's ref, a checkout moves HEAD, and both append to the
        // HEAD reflog (which also catches a ref that was packed and had no file of its own);
        // a worktree keeps HEAD apart from the refs, so git says where each lives.
        let mut watched = vec!["HEAD".to_owned(), "logs/HEAD".to_owned(), "packed-refs".to_owned()];
        watched.extend(git(&manifest, &["symbolic-ref", "-q", "HEAD"]));
        for name in watched {
            // Only files that exist: cargo reruns the script on every build for a missing one.
            let path = git(&manifest, &["rev-parse", "--git-path", &name]).map(|p| manifest.join(p));
            if let Some(path) = path.filter(|p| p.is_file()) {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!(
        "cargo:rustc-env=POSTURE_GIT_COMMIT={}",
        commit.as_deref().unwrap_or("unknown")
    );
}
