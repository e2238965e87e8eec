#!/usr/bin/env bash
# CPU cost of `posture watch` in real time: a 640x480 30 fps clip of a person at a webcam
# (fixtures/webcam_face.mp4 scaled and looped to SECONDS_LONG) played as a camera would deliver
# it, analysed at the default rate (a front view, its baseline recorded from the first 5 s; the
# person sits still, so after 10 s of the same level the rate halves to 2 fps). Prints
# user+system CPU seconds over wall seconds, as a share of one core, whole process (start-up,
# decoding, models), for each source format in CODECS and each model in MODELS:
#   mjpeg: what a webcam sends compressed; pictures not analysed are dropped undecoded;
#   yuyv:  what a webcam sends uncompressed at 640x480 (posture asks for it first); large file;
#   h264:  a recorded clip: every picture must be decoded, analysed or not.
# Build first: cargo build --release. BIN=path picks another build (to compare two).
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_LONG=${SECONDS_LONG:-60}
BIN=${BIN:-target/release/posture}
MODELS=${MODELS:-lite full}
CODECS=${CODECS:-mjpeg h264}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The session log goes with the clip, not into the user's own log.
export POSTURE_DATA_DIR="$work/data"
ffmpeg -v error -stream_loop -1 -i fixtures/webcam_face.mp4 -t "$SECONDS_LONG" -vf scale=640:480,fps=30 -an -c:v libx264 -pix_fmt yuv420p "$work/desk_h264.mp4"
for codec in $CODECS; do
    case $codec in
        h264) ;;
        mjpeg) ffmpeg -v error -i "$work/desk_h264.mp4" -c:v mjpeg -q:v 5 -pix_fmt yuvj422p "$work/desk_mjpeg.mkv" ;;
        yuyv) ffmpeg -v error -i "$work/desk_h264.mp4" -c:v rawvideo -pix_fmt yuyv422 "$work/desk_yuyv.nut" ;;
        *) echo "unknown codec $codec (mjpeg, yuyv or h264)" >&2; exit 2 ;;
    esac
done
echo "# 640x480 30 fps for ${SECONDS_LONG} s; $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# load before: $(uptime)"
for codec in $CODECS; do
    clip=$(ls "$work"/desk_"$codec".*)
    for model in $MODELS; do
        /usr/bin/time -f "%U %S %e" -o "$work/time" "$BIN" watch "$clip" --model "$model" --calibrate 5 \
            --no-tui --events "$work/events.jsonl" 2> "$work/stderr" || { cat "$work/stderr"; exit 1; }
        read -r user sys wall < "$work/time"
        awk -v c="$codec" -v m="$model" -v u="$user" -v s="$sys" -v w="$wall" -v f="$(tail -1 "$work/stderr")" \
            'BEGIN {printf "%s %s: CPU %.2f s (user %.2f, sys %.2f) over %.1f s wall = %.1f%% of one core; %s\n", c, m, u + s, u, s, w, 100 * (u + s) / w, f}'
    done
done
echo "# load after: $(uptime)"
