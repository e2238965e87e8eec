#!/usr/bin/env bash
# posture vs MediaPipe 0.10.14 Python on the same clip (fixtures/sports2d_walk.mp4, all 230
# frames), same landmark model, both pinned to one core with taskset -c 0:
#   - "pose only": frames decoded into memory first, then the tracking pipeline timed;
#   - "end to end": decoding included.
# MediaPipe runs in video (tracking) mode, as posture does. Run on an otherwise idle machine;
# the figures and the load go into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
echo "# load before: $(uptime)"
bash tools/reference/record.sh --bench-only
taskset -c 0 cargo bench --bench pipeline -- '^(pose_only|end_to_end)/(lite|full)/1thread$' 2>&1 \
    | grep -E '^(pose_only|end_to_end)/|thrpt:'
echo "# load after: $(uptime)"
