//! The platform posture runs on and, from the one table `scripts/onnxruntime-wheels.tsv`, the
//! ONNX Runtime wheel and library file for it: [`super::runtime`] looks for that file, the
//! install scripts (bash and PowerShell) put it there, and `posture doctor` checks it, so the
//! three cannot disagree. Here, below the runtime, so that loading the library and the set-up
//! read the same rows.

use super::runtime::ORT_VERSION;

/// Operating systems the table knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Os {
    Linux,
    Macos,
    Windows,
}

/// Processor architectures the table knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Os {
    /// From `uname -s` (Linux, Darwin, MINGW64_NT-10.0, ...), Rust's `std::env::consts::OS`
    /// or the table's own names; case does not matter.
    pub fn parse(name: &str) -> Option<Os> {
        let name = name.trim().to_ascii_lowercase();
        match name.as_str() {
            "linux" => Some(Os::Linux),
            "darwin" | "macos" => Some(Os::Macos),
            "windows" | "windows_nt" => Some(Os::Windows),
            _ if ["mingw", "msys", "cygwin"].iter().any(|p| name.starts_with(p)) => Some(Os::Windows),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Os::Linux => "linux",
            Os::Macos => "macos",
            Os::Windows => "windows",
        }
    }
}

impl Arch {
    /// From `uname -m`, Rust's `std::env::consts::ARCH` or Windows' PROCESSOR_ARCHITECTURE.
    pub fn parse(name: &str) -> Option<Arch> {
        match name.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x64" => Some(Arch::X86_64),
            "aarch64" | "arm64" => Some(Arch::Aarch64),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }
}

/// An operating system and architecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Platform {
    pub os: Os,
    pub arch: Arch,
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let os = match self.os {
            Os::Linux => "Linux",
            Os::Macos => "macOS",
            Os::Windows => "Windows",
        };
        write!(f, "{os} {}", self.arch.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    #[error(
        "unknown platform {os} {arch}: ONNX Runtime wheels exist for Linux, macOS and Windows on x86_64 and aarch64"
    )]
    UnknownPlatform { os: String, arch: String },
    #[error("onnxruntime {ORT_VERSION} has no wheel for {platform} (the last Intel macOS wheel was 1.23.2): build ONNX Runtime {ORT_VERSION} from its source (build.sh --config Release --build_shared_lib) and set ORT_DYLIB_PATH to the library it makes")]
    NoWheel { platform: Platform },
}

impl Platform {
    /// The platform this binary was built for (and so runs on).
    pub fn current() -> Result<Platform, PlatformError> {
        Platform::parse(std::env::consts::OS, std::env::consts::ARCH)
    }

    pub fn parse(os: &str, arch: &str) -> Result<Platform, PlatformError> {
        match (Os::parse(os), Arch::parse(arch)) {
            (Some(os), Some(arch)) => Ok(Platform { os, arch }),
            _ => Err(PlatformError::UnknownPlatform {
                os: os.to_string(),
                arch: arch.to_string(),
            }),
        }
    }

    /// The wheel that holds ONNX Runtime for this platform.
    pub fn ort_wheel(self) -> Result<OrtWheel, PlatformError> {
        wheel_table()
            .find(|(os, arch, _)| (*os, *arch) == (self.os, self.arch))
            .map(|(_, _, wheel)| wheel)
            .ok_or(PlatformError::NoWheel { platform: self })
    }

    /// The library's file name here: the wheel's, or, where there is no wheel (Intel macOS),
    /// the name its system's wheels use, which a build from source makes too.
    pub fn runtime_library(self) -> &'static str {
        self.ort_wheel().map_or_else(
            |_| {
                wheel_table()
                    .find(|(os, _, _)| *os == self.os)
                    .map_or("", |(_, _, wheel)| wheel.library)
            },
            |wheel| wheel.library,
        )
    }

    /// The one command that installs ONNX Runtime where posture finds it.
    pub fn install_command(self) -> &'static str {
        match self.os {
            Os::Windows => "powershell -ExecutionPolicy Bypass -File scripts\\install-onnxruntime.ps1",
            _ => "bash scripts/install-onnxruntime.sh",
        }
    }
}

/// Where ONNX Runtime comes from on one platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrtWheel {
    /// pip's `--platform` tag of the `onnxruntime` wheel.
    pub platform_tag: &'static str,
    /// The library's file name, in the wheel (`onnxruntime/capi/NAME`) and once installed.
    pub library: &'static str,
}

const WHEEL_TABLE: &str = include_str!("../../scripts/onnxruntime-wheels.tsv");

/// The rows of `scripts/onnxruntime-wheels.tsv`. A row this code cannot read is a build
/// mistake, which `every_row_of_the_wheel_table_is_read` catches.
pub fn wheel_table() -> impl Iterator<Item = (Os, Arch, OrtWheel)> {
    WHEEL_TABLE
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|line| match line.split('\t').collect::<Vec<_>>()[..] {
            [os, arch, platform_tag, library] => {
                Some((Os::parse(os)?, Arch::parse(arch)?, OrtWheel { platform_tag, library }))
            }
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wheel(os: &str, arch: &str) -> Result<OrtWheel, PlatformError> {
        Platform::parse(os, arch)?.ort_wheel()
    }

    #[test]
    fn every_row_of_the_wheel_table_is_read() {
        let rows = WHEEL_TABLE
            .lines()
            .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
            .count();
        assert_eq!(wheel_table().count(), rows);
        for (_, _, wheel) in wheel_table() {
            assert!(wheel.library.contains("onnxruntime"), "{wheel:?}");
        }
    }

    #[test]
    fn linux_takes_the_manylinux_wheel_of_its_architecture() {
        let x86 = OrtWheel {
            platform_tag: "manylinux_2_28_x86_64",
            library: "libonnxruntime.so.1.31.1",
        };
        assert_eq!(wheel("Linux", "x86_64"), Ok(x86));
        assert_eq!(wheel("linux", "amd64"), Ok(x86));
        let arm = OrtWheel {
            platform_tag: "manylinux_2_28_aarch64",
            library: "libonnxruntime.so.1.31.1",
        };
        assert_eq!(wheel("Linux", "aarch64"), Ok(arm));
        assert_eq!(wheel("Linux", "arm64"), Ok(arm));
    }

    #[test]
    fn apple_silicon_takes_the_arm64_wheel_and_its_dylib() {
        let expected = OrtWheel {
            platform_tag: "macosx_14_0_arm64",
            library: "libonnxruntime.1.31.1.dylib",
        };
        assert_eq!(wheel("Darwin", "arm64"), Ok(expected));
        assert_eq!(wheel("macos", "aarch64"), Ok(expected));
    }

    #[test]
    fn an_intel_mac_is_told_there_is_no_wheel_and_what_to_do() {
        let err = wheel("Darwin", "x86_64").unwrap_err();
        assert!(matches!(err, PlatformError::NoWheel { .. }));
        let text = err.to_string();
        assert!(
            text.contains("macOS x86_64") && text.contains("ORT_DYLIB_PATH"),
            "{text}"
        );
    }

    #[test]
    fn windows_takes_the_win_wheel_and_its_dll() {
        let x64 = OrtWheel {
            platform_tag: "win_amd64",
            library: "onnxruntime.dll",
        };
        assert_eq!(wheel("Windows", "AMD64"), Ok(x64));
        assert_eq!(wheel("MINGW64_NT-10.0-19045", "x86_64"), Ok(x64));
        assert_eq!(wheel("windows", "ARM64").map(|w| w.platform_tag), Ok("win_arm64"));
        let platform = Platform::parse("Windows", "AMD64").unwrap();
        assert!(platform.install_command().contains("install-onnxruntime.ps1"));
    }

    #[test]
    fn an_unknown_platform_is_named() {
        let err = wheel("FreeBSD", "x86_64").unwrap_err();
        assert!(err.to_string().contains("FreeBSD x86_64"), "{err}");
        assert!(wheel("Linux", "riscv64").is_err());
    }

    #[test]
    fn the_library_looked_for_is_the_wheels_on_every_row_of_the_table() {
        let expected = |os: Os| match os {
            Os::Linux => "libonnxruntime.so.1.31.1",
            Os::Macos => "libonnxruntime.1.31.1.dylib",
            Os::Windows => "onnxruntime.dll",
        };
        let mut rows = 0;
        for (os, arch, wheel) in wheel_table() {
            let platform = Platform { os, arch };
            assert_eq!(platform.runtime_library(), wheel.library, "{platform}");
            assert_eq!(platform.runtime_library(), expected(os), "{platform}");
            rows += 1;
        }
        assert_eq!(rows, 5, "a row was added: name its library above");
    }

    #[test]
    fn an_intel_mac_looks_for_the_dylib_a_build_from_source_makes() {
        let intel = Platform::parse("Darwin", "x86_64").unwrap();
        assert_eq!(intel.runtime_library(), "libonnxruntime.1.31.1.dylib");
    }

    #[test]
    fn every_system_has_a_library_name_and_every_name_its_version() {
        for os in [Os::Linux, Os::Macos, Os::Windows] {
            for arch in [Arch::X86_64, Arch::Aarch64] {
                let library = Platform { os, arch }.runtime_library();
                assert!(library.contains("onnxruntime"), "{os:?} {arch:?}: {library:?}");
                assert!(library.contains(ORT_VERSION) || os == Os::Windows, "{library}");
            }
        }
    }
}
