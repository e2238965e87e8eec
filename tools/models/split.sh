#!/usr/bin/env bash
# Cut the landmark models into landmark model + mask head (tools/models/split.py) without
# re-running the whole conversion: the full graphs come from git history (the commit named in
# split.py, their SHA-256 checked), the venv needs only onnx, onnxruntime and numpy, at the
# versions pinned in requirements.txt. Rewrites models/pose_landmark_*.onnx and SHA256SUMS.
#
# Run from the repository root:   bash tools/models/split.sh
# Needs: Python 3.11, git (a clone with history), ffmpeg. Network: the Python package registry.
set -euo pipefail

here="tools/models"
if [[ ! -f "$here/split.py" || ! -f Cargo.toml ]]; then
    echo "split.sh: run from the repository root (bash tools/models/split.sh)" >&2
    exit 1
fi
venv=".cache/split-venv"
pins=$(grep -E '^(onnx|onnxruntime|numpy|protobuf|flatbuffers|packaging|typing_extensions|ml_dtypes)==' \
    "$here/requirements.txt")
stamp="$venv/.pins.sha256"
pins_hash=$(printf '%s\n' "$pins" | sha256sum | cut -d' ' -f1)
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$pins_hash" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    # shellcheck disable=SC2086
    PIP_DISABLE_PIP_VERSION_CHECK=1 "$venv/bin/python" -m pip install --quiet --no-input $pins
    echo "$pins_hash" > "$stamp"
fi
"$venv/bin/python" "$here/split.py" --out-dir models --work-dir .cache/split-work
(cd models && sha256sum pose_detection.onnx pose_landmark_lite.onnx pose_landmark_lite_mask.onnx \
    pose_landmark_full.onnx pose_landmark_full_mask.onnx > SHA256SUMS && sha256sum -c --quiet SHA256SUMS)
echo "[split.sh] done; models/SHA256SUMS:"
cat models/SHA256SUMS
