#!/usr/bin/env bash
# `posture score` on one long clip plus 10 renders, with --jobs 1 and --jobs 2: the tail of a
# run where one clip is most of the work. The clip is the walking fixture looped 16 times
# (122.7 s: segments of 60 s, 60 s and 2.7 s), read with --stride 2 (every other frame: a round
# of four runs takes about 4 minutes on a busy 2-core machine).
# Each configuration runs ROUNDS times, interleaved, so that a busy spell on the shared
# machine hits all alike; the script prints each wall time and, per round, jobs1/jobs2.
# BEFORE=path/to/an/older/posture adds that binary's two configurations to each round.
# Build first: cargo build --release.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-1}
bin=target/release/posture
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in"
ffmpeg -v error -stream_loop 15 -i fixtures/sports2d_walk.mp4 -c copy "$work/in/walk_x16.mp4"
ls fixtures/renders/*.jpg | sort | head -10 | xargs -I{} cp {} "$work/in/"
echo "# $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# load before: $(uptime)"
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); awk "BEGIN {printf \"%.2f\", $t1 - $t0}"; }
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
score() { rm -rf "$work/out"; seconds "$1" score "$work/in" --out "$work/out" --jobs "$2" --stride 2 --quiet; }
for round in $(seq "$ROUNDS"); do
    if [ -n "${BEFORE:-}" ]; then
        b1=$(score "$BEFORE" 1); b2=$(score "$BEFORE" 2)
        echo "round $round before: jobs1 ${b1}s jobs2 ${b2}s ratio $(ratio "$b1" "$b2")"
    fi
    a1=$(score "$bin" 1); a2=$(score "$bin" 2)
    echo "round $round now: jobs1 ${a1}s jobs2 ${a2}s ratio $(ratio "$a1" "$a2")"
done
echo "# load after: $(uptime)"
