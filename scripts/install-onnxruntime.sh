#!/usr/bin/env bash
# Installs the ONNX Runtime shared library that `posture` loads at run time.
#
# The library comes from the `onnxruntime` wheel on PyPI (fetched with pip, nothing else), and
# goes where `posture` looks by default: $XDG_DATA_HOME/posture/onnxruntime-1.31.1/
# (~/.local/share/... when XDG_DATA_HOME is unset). Re-running is a no-op once it is there.
set -euo pipefail

version=1.31.1
lib=libonnxruntime.so.$version
dest="${XDG_DATA_HOME:-$HOME/.local/share}/posture/onnxruntime-$version"

if [ -s "$dest/$lib" ]; then
    echo "ONNX Runtime $version already installed: $dest/$lib"
    exit 0
fi

python=$(command -v python3 || command -v python || true)
if [ -z "$python" ]; then
    echo "install-onnxruntime: python3 with pip is needed to fetch the onnxruntime wheel" >&2
    exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The manylinux_2_28 x86_64 wheel; the library inside does not depend on the Python version.
"$python" -m pip download --quiet --no-deps --only-binary=:all: \
    --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp \
    "onnxruntime==$version" -d "$tmp"
wheel=$(ls "$tmp"/onnxruntime-"$version"-*.whl)
"$python" - "$wheel" "$tmp" "$lib" <<'PY'
import sys, zipfile
wheel, out, lib = sys.argv[1:]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("capi/" + lib))
    with z.open(member) as src, open(f"{out}/{lib}", "wb") as dst:
        dst.write(src.read())
PY
mkdir -p "$dest"
mv "$tmp/$lib" "$dest/$lib.partial"
mv "$dest/$lib.partial" "$dest/$lib"
echo "ONNX Runtime $version installed: $dest/$lib"
