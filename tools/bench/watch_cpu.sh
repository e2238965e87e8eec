#!/usr/bin/env bash
# CPU cost of `posture watch` in real time: a 640x480 30 fps H.264 clip of a person at a webcam
# (fixtures/webcam_face.mp4 scaled and looped to SECONDS_LONG) played as a camera would deliver
# it, analysed at the default 4 fps (a front view, its baseline recorded from the first 5 s;
# the person sits still, so no alert is pending and the rate stays at 4). Prints user+system CPU seconds over wall seconds, as a share of one
# core, for lite and full, whole process (start-up, decoding of every frame, models).
# Build first: cargo build --release. BIN=path picks another build (to compare two), MODELS="lite"
# only the lite model.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_LONG=${SECONDS_LONG:-60}
BIN=${BIN:-target/release/posture}
MODELS=${MODELS:-lite full}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -v error -stream_loop -1 -i fixtures/webcam_face.mp4 -t "$SECONDS_LONG" -vf scale=640:480,fps=30 -c:v libx264 -pix_fmt yuv420p "$work/desk.mp4"
echo "# $(ffprobe -v error -select_streams v:0 -show_entries stream=width,height,r_frame_rate -of csv=p=0 "$work/desk.mp4") for ${SECONDS_LONG} s; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# load before: $(uptime)"
for model in $MODELS; do
    /usr/bin/time -f "%U %S %e" -o "$work/time" "$BIN" watch "$work/desk.mp4" --model "$model" --calibrate 5 \
        --events "$work/events.jsonl" 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
    read -r user sys wall < "$work/time"
    awk -v m="$model" -v u="$user" -v s="$sys" -v w="$wall" -v f="$(tail -1 "$work/stderr")" \
        'BEGIN {printf "%s: CPU %.2f s (user %.2f, sys %.2f) over %.1f s wall = %.1f%% of one core; %s\n", m, u + s, u, s, w, 100 * (u + s) / w, f}'
done
echo "# load after: $(uptime)"
