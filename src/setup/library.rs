//! What a shared library file is built for, from its header (ELF, Mach-O, PE): so that a
//! library of the wrong architecture is named as such instead of failing to load with a
//! loader's message.

use super::{Arch, Os, Platform};
use std::io::Read;
use std::path::Path;

/// The executable formats of the three systems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Elf,
    MachO,
    Pe,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Elf => "ELF",
            Format::MachO => "Mach-O",
            Format::Pe => "PE",
        }
    }

    fn of(os: Os) -> Format {
        match os {
            Os::Linux => Format::Elf,
            Os::Macos => Format::MachO,
            Os::Windows => Format::Pe,
        }
    }
}

/// A processor a library is built for: one the table knows, or another, by its number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Machine {
    Known(Arch),
    Other(String),
}

impl std::fmt::Display for Machine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Machine::Known(arch) => f.write_str(arch.as_str()),
            Machine::Other(what) => f.write_str(what),
        }
    }
}

/// What a library's header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    /// One machine, or several for a universal (fat) Mach-O file.
    pub machines: Vec<Machine>,
}

impl Header {
    /// Whether the library can be loaded on `platform`: its format and one of its machines.
    pub fn runs_on(&self, platform: Platform) -> bool {
        self.format == Format::of(platform.os) && self.machines.contains(&Machine::Known(platform.arch))
    }
}

impl std::fmt::Display for Header {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let machines: Vec<String> = self.machines.iter().map(Machine::to_string).collect();
        write!(f, "{} {}", machines.join("+"), self.format.as_str())
    }
}

/// Bytes enough for every header this reads (a PE header sits where its DOS stub points).
const HEAD_BYTES: u64 = 4096;

/// The header of the file at `path`; `Ok(None)` when it is no library format known here.
pub fn read_header(path: &Path) -> std::io::Result<Option<Header>> {
    let mut head = Vec::new();
    std::fs::File::open(path)?.take(HEAD_BYTES).read_to_end(&mut head)?;
    Ok(parse_header(&head))
}

fn u16_at(b: &[u8], at: usize, little: bool) -> Option<u16> {
    let bytes: [u8; 2] = b.get(at..at + 2)?.try_into().ok()?;
    Some(if little {
        u16::from_le_bytes(bytes)
    } else {
        u16::from_be_bytes(bytes)
    })
}

fn u32_at(b: &[u8], at: usize, little: bool) -> Option<u32> {
    let bytes: [u8; 4] = b.get(at..at + 4)?.try_into().ok()?;
    Some(if little {
        u32::from_le_bytes(bytes)
    } else {
        u32::from_be_bytes(bytes)
    })
}

/// The header in a file's first bytes.
pub fn parse_header(b: &[u8]) -> Option<Header> {
    let one = |format, machine| {
        Some(Header {
            format,
            machines: vec![machine],
        })
    };
    if b.starts_with(b"\x7fELF") {
        // e_ident[EI_DATA]: 1 little-endian, 2 big-endian; e_machine follows e_type.
        let machine = u16_at(b, 18, b.get(5) != Some(&2))?;
        return one(Format::Elf, elf_machine(machine));
    }
    if b.starts_with(&[0xcf, 0xfa, 0xed, 0xfe]) || b.starts_with(&[0xce, 0xfa, 0xed, 0xfe]) {
        return one(Format::MachO, macho_machine(u32_at(b, 4, true)?));
    }
    if b.starts_with(&[0xca, 0xfe, 0xba, 0xbe]) {
        // A universal file: a big-endian count of fat_arch entries of 20 bytes each.
        let count = u32_at(b, 4, false)? as usize;
        // Java class files share the magic; their "count" is a version far above 30.
        if count == 0 || count > 30 {
            return None;
        }
        let machines = (0..count)
            .map(|i| u32_at(b, 8 + 20 * i, false).map(macho_machine))
            .collect::<Option<Vec<_>>>()?;
        return Some(Header {
            format: Format::MachO,
            machines,
        });
    }
    if b.starts_with(b"MZ") {
        let pe = u32_at(b, 0x3c, true)? as usize;
        if b.get(pe..pe + 4)? != b"PE\0\0" {
            return None;
        }
        return one(Format::Pe, pe_machine(u16_at(b, pe + 4, true)?));
    }
    None
}

fn elf_machine(e_machine: u16) -> Machine {
    match e_machine {
        62 => Machine::Known(Arch::X86_64),
        183 => Machine::Known(Arch::Aarch64),
        3 => Machine::Other("i386".into()),
        40 => Machine::Other("arm (32-bit)".into()),
        243 => Machine::Other("riscv".into()),
        other => Machine::Other(format!("ELF machine {other}")),
    }
}

fn macho_machine(cputype: u32) -> Machine {
    match cputype {
        0x0100_0007 => Machine::Known(Arch::X86_64),
        0x0100_000c => Machine::Known(Arch::Aarch64),
        other => Machine::Other(format!("Mach-O cpu type {other:#x}")),
    }
}

fn pe_machine(machine: u16) -> Machine {
    match machine {
        0x8664 => Machine::Known(Arch::X86_64),
        0xaa64 => Machine::Known(Arch::Aarch64),
        0x014c => Machine::Other("i386".into()),
        other => Machine::Other(format!("PE machine {other:#x}")),
    }
}

/// The first bytes of a library of each format, for tests (here and of the install script).
pub fn sample_header(format: Format, arch: Arch) -> Vec<u8> {
    match format {
        Format::Elf => {
            let mut b = vec![0u8; 64];
            b[..4].copy_from_slice(b"\x7fELF");
            (b[4], b[5], b[6]) = (2, 1, 1);
            b[16] = 3; // ET_DYN
            let machine: u16 = if arch == Arch::X86_64 { 62 } else { 183 };
            b[18..20].copy_from_slice(&machine.to_le_bytes());
            b
        }
        Format::MachO => {
            let mut b = vec![0u8; 32];
            b[..4].copy_from_slice(&[0xcf, 0xfa, 0xed, 0xfe]);
            let cpu: u32 = if arch == Arch::X86_64 { 0x0100_0007 } else { 0x0100_000c };
            b[4..8].copy_from_slice(&cpu.to_le_bytes());
            b
        }
        Format::Pe => {
            let mut b = vec![0u8; 0x100];
            b[..2].copy_from_slice(b"MZ");
            b[0x3c..0x40].copy_from_slice(&0x80u32.to_le_bytes());
            b[0x80..0x84].copy_from_slice(b"PE\0\0");
            let machine: u16 = if arch == Arch::X86_64 { 0x8664 } else { 0xaa64 };
            b[0x84..0x86].copy_from_slice(&machine.to_le_bytes());
            b
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINUX_X86: Platform = Platform {
        os: Os::Linux,
        arch: Arch::X86_64,
    };

    #[test]
    fn each_format_and_architecture_is_read_from_its_header() {
        for format in [Format::Elf, Format::MachO, Format::Pe] {
            for arch in [Arch::X86_64, Arch::Aarch64] {
                let header = parse_header(&sample_header(format, arch)).unwrap();
                assert_eq!(header.format, format);
                assert_eq!(header.machines, vec![Machine::Known(arch)]);
            }
        }
    }

    #[test]
    fn only_the_format_and_architecture_of_the_platform_run_on_it() {
        let arm_elf = parse_header(&sample_header(Format::Elf, Arch::Aarch64)).unwrap();
        assert!(!arm_elf.runs_on(LINUX_X86));
        assert_eq!(arm_elf.to_string(), "aarch64 ELF");
        let x86_macho = parse_header(&sample_header(Format::MachO, Arch::X86_64)).unwrap();
        assert!(!x86_macho.runs_on(LINUX_X86), "a Mach-O file does not load on Linux");
        let x86_elf = parse_header(&sample_header(Format::Elf, Arch::X86_64)).unwrap();
        assert!(x86_elf.runs_on(LINUX_X86));
    }

    #[test]
    fn a_universal_mach_o_runs_on_both_macs() {
        let mut fat = vec![0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2];
        for cpu in [0x0100_0007u32, 0x0100_000c] {
            let mut entry = [0u8; 20];
            entry[..4].copy_from_slice(&cpu.to_be_bytes());
            fat.extend(entry);
        }
        let header = parse_header(&fat).unwrap();
        for arch in [Arch::X86_64, Arch::Aarch64] {
            assert!(header.runs_on(Platform { os: Os::Macos, arch }));
        }
        // A Java class file has the same magic.
        assert_eq!(parse_header(&[0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 52]), None);
    }

    #[test]
    fn text_and_truncated_headers_are_not_libraries() {
        assert_eq!(parse_header(b"not a library"), None);
        assert_eq!(parse_header(b"\x7fELF\x02\x01"), None);
        assert_eq!(parse_header(b"MZ"), None);
        assert_eq!(parse_header(&[]), None);
    }

    #[test]
    fn the_installed_runtime_is_built_for_this_machine() {
        let Ok(path) = crate::pose::runtime::find_runtime() else {
            panic!("ONNX Runtime is not installed: run bash scripts/install-onnxruntime.sh");
        };
        let header = read_header(&path).unwrap().expect("a library");
        assert!(header.runs_on(Platform::current().unwrap()), "{header}");
    }
}
