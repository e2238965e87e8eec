#!/usr/bin/env bash
# Re-create models/*.onnx, models/MODEL_CARD.md and models/SHA256SUMS from
# MediaPipe's BlazePose TFLite models (npm package @mediapipe/pose): convert, check against
# TFLite, then cut each landmark model into landmark model + mask head (split.py).
#
# Run from the repository root:   bash tools/models/convert.sh
# Needs: Python 3.11 (python3.11 or python3; or set PYTHON=...), npm, ffmpeg, sha256sum, tar.
# Network: only the Python and npm package registries (pip install, npm pack).
# Scratch space: .cache/convert-venv (kept, reused while requirements.txt is unchanged)
# and .cache/convert-work (wiped on every run); both are gitignored.
set -euo pipefail

PKG_NAME="@mediapipe/pose"
PKG_VERSION="0.5.1675469404"
PKG_TARBALL="mediapipe-pose-${PKG_VERSION}.tgz"
PKG_TARBALL_SHA256="8bb349a7b3a3ba699df23be804ddd3b3eab810b50b15406894be257859388a84"

here="tools/models"
if [[ ! -f "$here/convert.py" || ! -f Cargo.toml ]]; then
    echo "convert.sh: run from the repository root (bash tools/models/convert.sh)" >&2
    exit 1
fi
for tool in npm ffmpeg sha256sum tar; do
    command -v "$tool" >/dev/null || { echo "convert.sh: '$tool' not found on PATH" >&2; exit 1; }
done

venv=".cache/convert-venv"
work=".cache/convert-work"
out="models"

log() { printf '[convert.sh] %s\n' "$*"; }

# --- Python toolchain --------------------------------------------------------
pick_python() {
    local c
    for c in "${PYTHON:-}" python3.11 python3; do
        [[ -n "$c" ]] && command -v "$c" >/dev/null || continue
        if "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
            echo "$c"; return 0
        fi
    done
    echo "convert.sh: need Python 3.11 (tried \$PYTHON, python3.11, python3)" >&2
    return 1
}

req_hash=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
stamp="$venv/.requirements.sha256"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$req_hash" ]]; then
    log "reusing $venv (requirements unchanged)"
else
    py=$(pick_python)
    log "creating $venv with $py ($("$py" --version 2>&1))"
    rm -rf "$venv"
    mkdir -p .cache
    "$py" -m venv "$venv"
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input \
        -r "$here/requirements.txt"
    echo "$req_hash" > "$stamp"
fi
vpy="$venv/bin/python"
PIP_DISABLE_PIP_VERSION_CHECK=1 "$vpy" -m pip check >/dev/null

# --- Source package -----------------------------------------------------------
rm -rf "$work"
mkdir -p "$work/npm"
log "npm pack ${PKG_NAME}@${PKG_VERSION}"
(cd "$work/npm" && npm pack --silent "${PKG_NAME}@${PKG_VERSION}" >/dev/null)
tarball="$work/npm/$PKG_TARBALL"
[[ -f "$tarball" ]] || { echo "convert.sh: npm pack did not produce $PKG_TARBALL" >&2; exit 1; }
got=$(sha256sum "$tarball" | cut -d' ' -f1)
if [[ "$got" != "$PKG_TARBALL_SHA256" ]]; then
    echo "convert.sh: $PKG_TARBALL SHA-256 is $got, expected $PKG_TARBALL_SHA256" >&2
    exit 1
fi
log "tarball SHA-256 ok ($got)"
tar -xzf "$tarball" -C "$work"   # -> $work/package/

# --- Convert, check, document -------------------------------------------------
export TF_CPP_MIN_LOG_LEVEL=3 TF_ENABLE_ONEDNN_OPTS=0 PYTHONWARNINGS=ignore
mkdir -p "$out"
# The full graphs go to the work folder; models/ gets the detector and the split files.
"$vpy" "$here/convert.py" --package-dir "$work/package" --work-dir "$work/tflite" \
    --out-dir "$work/onnx" --facts "$work/facts.json"
"$vpy" "$here/check_agreement.py" --facts "$work/facts.json" --fixtures fixtures \
    --out "$work/agreement.json"
cp "$work/onnx/pose_detection.onnx" "$out/"
"$vpy" "$here/split.py" --from "$work/onnx" --work-dir "$work/split" --out-dir "$out" \
    --fixtures fixtures --facts "$work/split.json"
"$vpy" "$here/model_card.py" --facts "$work/facts.json" --agreement "$work/agreement.json" \
    --split "$work/split.json" --tarball-sha256 "$PKG_TARBALL_SHA256" --out "$out/MODEL_CARD.md"

(cd "$out" && sha256sum pose_detection.onnx pose_landmark_lite.onnx pose_landmark_lite_mask.onnx \
    pose_landmark_full.onnx pose_landmark_full_mask.onnx > SHA256SUMS)
log "wrote $out/SHA256SUMS:"
cat "$out/SHA256SUMS"
(cd "$out" && sha256sum -c --quiet SHA256SUMS)
log "done"
