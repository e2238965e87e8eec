#!/usr/bin/env bash
# Re-records fixtures/reference/mediapipe-0.10.14.json (MediaPipe Pose landmarks for every case in
# fixtures/cases.json) in a private venv under .cache/reference-venv (gitignored).
#   tools/reference/record.sh            # record the reference landmarks
#   tools/reference/record.sh --bench    # also run the MediaPipe speed benchmark pinned to core 0
#   tools/reference/record.sh --bench-only  # only the speed benchmark (tools/bench/compare_mediapipe.sh)
# Needs: python3.11 (or PYTHON=...), npm, the ffmpeg CLI, network access to PyPI and the npm registry on first run.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV=.cache/reference-venv
PY=${PYTHON:-python3.11}
REQ=tools/reference/requirements.txt
NPM_PKG=@mediapipe/pose@0.5.1675469404
LITE_SHA256=f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61

if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
STAMP="$VENV/.requirements.sha256"
if [ ! -f "$STAMP" ] || ! sha256sum --status -c "$STAMP"; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r "$REQ"
  sha256sum "$REQ" > "$STAMP"
fi

# mediapipe 0.10.14 ships only the full landmark model; model_complexity=0 would try to download the lite one.
# Take it from the npm package @mediapipe/pose (Apache-2.0) instead.
MP_DIR=$("$VENV/bin/python" -c 'import mediapipe, os; print(os.path.dirname(mediapipe.__file__))')
LITE="$MP_DIR/modules/pose_landmark/pose_landmark_lite.tflite"
if [ ! -f "$LITE" ] || [ "$(sha256sum "$LITE" | cut -d' ' -f1)" != "$LITE_SHA256" ]; then
  TMP=$(mktemp -d)
  trap 'rm -rf "$TMP"' EXIT
  (cd "$TMP" && npm pack --silent "$NPM_PKG" >/dev/null)
  tar -xzf "$TMP"/mediapipe-pose-*.tgz -C "$TMP" package/pose_landmark_lite.tflite
  echo "$LITE_SHA256  $TMP/package/pose_landmark_lite.tflite" | sha256sum --quiet -c -
  cp "$TMP/package/pose_landmark_lite.tflite" "$LITE"
fi

if [ "${1:-}" != "--bench-only" ]; then
  "$VENV/bin/python" tools/reference/record.py
fi

if [ "${1:-}" = "--bench" ] || [ "${1:-}" = "--bench-only" ]; then
  uptime
  taskset -c 0 "$VENV/bin/python" tools/reference/bench_mediapipe.py
fi
