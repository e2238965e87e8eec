#!/usr/bin/env bash
# Installs the ONNX Runtime shared library that `posture` loads at run time (Linux and macOS;
# Windows: scripts/install-onnxruntime.ps1). Needs no root.
#
# The library comes from the `onnxruntime` wheel for this machine (onnxruntime-wheels.tsv, next
# to this script: the same table `posture doctor` reads), fetched with pip, and goes where
# `posture` looks by default: $XDG_DATA_HOME/posture/onnxruntime-1.31.1/ (~/.local/share/...
# when XDG_DATA_HOME is unset). Re-running is a no-op once the right library is there; one built
# for another architecture (a home folder shared between machines, a copied folder) is replaced.
#
#   --print-wheel   print the wheel's platform tag and the library's name, install nothing
# Environment: POSTURE_UNAME_S / POSTURE_UNAME_M stand for `uname -s` / `uname -m` (to see the
# choice for another machine); POSTURE_ORT_WHEEL=FILE installs from a wheel already downloaded
# (offline machines) instead of asking pip.
set -euo pipefail

version=1.31.1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
table="$here/onnxruntime-wheels.tsv"

uname_s=${POSTURE_UNAME_S:-$(uname -s)}
uname_m=${POSTURE_UNAME_M:-$(uname -m)}
case "$uname_s" in
    Linux|linux) os=linux ;;
    Darwin|darwin|macos) os=macos ;;
    MINGW*|MSYS*|CYGWIN*|Windows*|windows)
        echo "install-onnxruntime: on Windows run: powershell -ExecutionPolicy Bypass -File scripts\\install-onnxruntime.ps1" >&2
        exit 1 ;;
    *) echo "install-onnxruntime: no ONNX Runtime wheel for $uname_s $uname_m; build ONNX Runtime $version from its source and set ORT_DYLIB_PATH" >&2
       exit 1 ;;
esac
case "$uname_m" in
    x86_64|amd64|x64) arch=x86_64 ;;
    aarch64|arm64) arch=aarch64 ;;
    *) arch=$uname_m ;;
esac

row=$(awk -F'\t' -v os="$os" -v arch="$arch" '$1 == os && $2 == arch { print $3 "\t" $4 }' "$table")
if [ -z "$row" ]; then
    echo "install-onnxruntime: onnxruntime $version has no wheel for $os $arch" >&2
    [ "$os-$arch" = macos-x86_64 ] && echo "  (the last Intel macOS wheel was 1.23.2)" >&2
    echo "  build ONNX Runtime $version from its source (build.sh --config Release --build_shared_lib)" >&2
    echo "  and set ORT_DYLIB_PATH to the shared library it makes" >&2
    exit 1
fi
platform_tag=${row%%$'\t'*}
lib=${row#*$'\t'}
if [ "${1:-}" = --print-wheel ]; then
    printf '%s %s\n' "$platform_tag" "$lib"
    exit 0
fi

# What a library file is built for, from its header: linux-x86_64, macos-aarch64, ..., or
# "unknown". (od reads in the machine's byte order: little-endian on every platform above.)
library_kind() {
    local magic
    magic=$(od -An -tx1 -N4 "$1" 2>/dev/null | tr -d ' \n')
    case "$magic" in
        7f454c46)
            case "$(od -An -tu2 -j18 -N2 "$1" | tr -d ' \n')" in
                62) echo linux-x86_64 ;; 183) echo linux-aarch64 ;; *) echo linux-other ;;
            esac ;;
        cffaedfe)
            case "$(od -An -tx4 -j4 -N4 "$1" | tr -d ' \n')" in
                01000007) echo macos-x86_64 ;; 0100000c) echo macos-aarch64 ;; *) echo macos-other ;;
            esac ;;
        cafebabe) echo macos-universal ;;
        *) echo unknown ;;
    esac
}

fits() {
    local kind
    kind=$(library_kind "$1")
    [ "$kind" = "$os-$arch" ] || { [ "$os" = macos ] && [ "$kind" = macos-universal ]; }
}

dest="${XDG_DATA_HOME:-$HOME/.local/share}/posture/onnxruntime-$version"
if [ -s "$dest/$lib" ]; then
    if fits "$dest/$lib"; then
        echo "ONNX Runtime $version already installed: $dest/$lib"
        exit 0
    fi
    echo "install-onnxruntime: $dest/$lib is built for $(library_kind "$dest/$lib"), not this $os-$arch machine: replacing it"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python=$(command -v python3 || command -v python || true)
if [ -z "$python" ]; then
    echo "install-onnxruntime: python3 is needed to unpack the onnxruntime wheel (and pip to fetch it)" >&2
    exit 1
fi
if [ -n "${POSTURE_ORT_WHEEL:-}" ]; then
    wheel=$POSTURE_ORT_WHEEL
else
    # The library inside does not depend on the Python version; any cp311 wheel will do.
    "$python" -m pip download --quiet --no-deps --only-binary=:all: \
        --platform "$platform_tag" --python-version 3.11 --implementation cp \
        "onnxruntime==$version" -d "$tmp"
    wheel=$(ls "$tmp"/onnxruntime-"$version"-*.whl)
fi
"$python" - "$wheel" "$tmp" "$lib" <<'PY'
import sys, zipfile
wheel, out, lib = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    member = next((n for n in z.namelist() if n.endswith("capi/" + lib)), None)
    if member is None:
        sys.exit(f"install-onnxruntime: {wheel} holds no onnxruntime/capi/{lib}")
    with z.open(member) as src, open(f"{out}/{lib}", "wb") as dst:
        dst.write(src.read())
PY
if ! fits "$tmp/$lib"; then
    echo "install-onnxruntime: the library in $wheel is built for $(library_kind "$tmp/$lib"), not $os-$arch; nothing installed" >&2
    exit 1
fi
mkdir -p "$dest"
mv "$tmp/$lib" "$dest/$lib.partial"
mv "$dest/$lib.partial" "$dest/$lib"
# posture looks here for this platform's name from the same table: nothing else to set.
echo "ONNX Runtime $version installed: $dest/$lib"
