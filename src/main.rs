//! The `posture` binary: everything lives in the library; see `posture::cli`.

fn main() -> std::process::ExitCode {
    posture::cli::main()
}
