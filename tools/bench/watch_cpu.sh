#!/usr/bin/env bash
# CPU cost of `posture watch` in real time: a 640x480 30 fps clip (fixtures/render_s030_sway.mp4
# looped to SECONDS, H.264) played as a camera would deliver it, analysed at the default 4 fps.
# Prints user+system CPU seconds over wall seconds, as a share of one core, for lite and full.
# Build first: cargo build --release.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_LONG=${SECONDS_LONG:-60}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
ffmpeg -v error -stream_loop -1 -i fixtures/render_s030_sway.mp4 -t "$SECONDS_LONG" -r 30 -c:v libx264 -pix_fmt yuv420p "$work/desk.mp4"
echo "# $(ffprobe -v error -show_entries stream=width,height,r_frame_rate -of csv=p=0 "$work/desk.mp4") for ${SECONDS_LONG} s; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# load before: $(uptime)"
for model in lite full; do
    /usr/bin/time -f "%U %S %e" -o "$work/time" target/release/posture watch "$work/desk.mp4" --model "$model" \
        --events "$work/events.jsonl" 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
    read -r user sys wall < "$work/time"
    frames=$(grep -c '"event":"status"' "$work/events.jsonl" || true)
    awk -v m="$model" -v u="$user" -v s="$sys" -v w="$wall" -v f="$(tail -1 "$work/stderr")" \
        'BEGIN {printf "%s: CPU %.2f s (user %.2f, sys %.2f) over %.1f s wall = %.1f%% of one core; %s\n", m, u + s, u, s, w, 100 * (u + s) / w, f}'
done
echo "# load after: $(uptime)"
