# Installs the ONNX Runtime library (onnxruntime.dll) that posture.exe loads, on Windows x64 or
# ARM64; needs no administrator. The same table as scripts/install-onnxruntime.sh and
# `posture doctor`: onnxruntime-wheels.tsv, next to this script. The DLL comes from the
# onnxruntime wheel (fetched with pip) and goes to %LOCALAPPDATA%\posture\onnxruntime-1.31.1\,
# where posture.exe looks for it (the library name from the same table): nothing else to set.
# A DLL of the wrong architecture there is replaced. -Wheel FILE installs from a wheel already
# downloaded (offline machines).
#
#   powershell -ExecutionPolicy Bypass -File scripts\install-onnxruntime.ps1
param([string]$Wheel = "")
$ErrorActionPreference = "Stop"

$version = "1.31.1"
$table = Join-Path $PSScriptRoot "onnxruntime-wheels.tsv"
$arch = if ($env:PROCESSOR_ARCHITECTURE -eq "ARM64") { "aarch64" } else { "x86_64" }
$row = Get-Content $table | Where-Object { $_ -notmatch "^#" } |
    ForEach-Object { , ($_ -split "`t") } | Where-Object { $_[0] -eq "windows" -and $_[1] -eq $arch } |
    Select-Object -First 1
if (-not $row) { throw "install-onnxruntime: onnxruntime $version has no wheel for Windows $arch" }
$platformTag = $row[2]
$lib = $row[3]

# The PE header's machine: 0x8664 x86_64, 0xAA64 aarch64.
function Get-Machine([string]$path) {
    $bytes = [System.IO.File]::ReadAllBytes($path)
    if ($bytes.Length -lt 64 -or $bytes[0] -ne 0x4D -or $bytes[1] -ne 0x5A) { return "unknown" }
    $pe = [BitConverter]::ToInt32($bytes, 0x3C)
    if ($pe + 6 -gt $bytes.Length) { return "unknown" }
    switch ([BitConverter]::ToUInt16($bytes, $pe + 4)) {
        0x8664 { "x86_64" } 0xAA64 { "aarch64" } default { "other" }
    }
}

$dest = Join-Path $env:LOCALAPPDATA "posture\onnxruntime-$version"
$dll = Join-Path $dest $lib
if (Test-Path $dll) {
    $machine = Get-Machine $dll
    if ($machine -eq $arch) {
        Write-Output "ONNX Runtime $version already installed: $dll"
        exit 0
    }
    Write-Output "install-onnxruntime: $dll is built for $machine, not $arch`: replacing it"
}

$tmp = Join-Path ([System.IO.Path]::GetTempPath()) ("posture-ort-" + [guid]::NewGuid())
New-Item -ItemType Directory -Path $tmp | Out-Null
try {
    if (-not $Wheel) {
        $python = (Get-Command python, py -ErrorAction SilentlyContinue | Select-Object -First 1).Source
        if (-not $python) { throw "install-onnxruntime: Python with pip is needed to fetch the onnxruntime wheel" }
        & $python -m pip download --quiet --no-deps --only-binary=:all: --platform $platformTag `
            --python-version 3.11 --implementation cp "onnxruntime==$version" -d $tmp
        if ($LASTEXITCODE -ne 0) { throw "install-onnxruntime: pip could not fetch onnxruntime $version" }
        $Wheel = (Get-ChildItem $tmp -Filter "onnxruntime-$version-*.whl" | Select-Object -First 1).FullName
    }
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $zip = [System.IO.Compression.ZipFile]::OpenRead($Wheel)
    try {
        $entry = $zip.Entries | Where-Object { $_.FullName -eq "onnxruntime/capi/$lib" } | Select-Object -First 1
        if (-not $entry) { throw "install-onnxruntime: $Wheel holds no onnxruntime/capi/$lib" }
        $unpacked = Join-Path $tmp $lib
        [System.IO.Compression.ZipFileExtensions]::ExtractToFile($entry, $unpacked, $true)
    } finally { $zip.Dispose() }
    $machine = Get-Machine $unpacked
    if ($machine -ne $arch) { throw "install-onnxruntime: the DLL in $Wheel is built for $machine, not $arch; nothing installed" }
    New-Item -ItemType Directory -Force -Path $dest | Out-Null
    Move-Item -Force $unpacked $dll
} finally {
    Remove-Item -Recurse -Force $tmp -ErrorAction SilentlyContinue
}
Write-Output "ONNX Runtime $version installed: $dll"
