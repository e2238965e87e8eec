#!/usr/bin/env bash
# Whole-process `posture measure` on fixtures/sports2d_walk.mp4 (230 frames, 1768x994 VP9, lite),
# two builds compared, interleaved round by round (A B A B ...) so that a busy spell on a shared
# machine hits both alike. Configurations:
#   one-core: pinned to CPU 0 with taskset, --threads 1;
#   t1: both cores allowed, --threads 1 (ONNX Runtime on one thread; decoding may overlap);
#   t2: both cores allowed, --threads 2.
# Prints wall and CPU (user+sys) seconds per run and the medians, and the ratios A/B.
# Usage: ROUNDS=3 bash tools/bench/measure_ab.sh OLD_BINARY NEW_BINARY
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
old=$1 new=$2
clip=fixtures/sports2d_walk.mp4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "# $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2); load before: $(uptime | sed 's/.*average: //')"
run() { # config binary -> "wall cpu"
    local pin=()
    local threads=$1
    if [ "$1" = one-core ]; then pin=(taskset -c 0); threads=1; else threads=${1#t}; fi
    /usr/bin/time -f "%e %U %S" -o "$work/time" "${pin[@]}" "$2" measure --json --threads "$threads" "$clip" > /dev/null 2>&1
    # The last line: GNU time writes "Command exited with non-zero status N" first when the
    # command exits non-zero (measure exits 3 when a reading could not be made).
    tail -n 1 "$work/time" | awk '{printf "%.2f %.2f", $1, $2 + $3}'
}
declare -A wall cpu
for round in $(seq "$ROUNDS"); do
    for config in one-core t1 t2; do
        for which in old new; do
            bin=$old; [ "$which" = new ] && bin=$new
            read -r w c <<< "$(run "$config" "$bin")"
            echo "round $round $config $which: wall ${w}s cpu ${c}s"
            wall[$config.$which]+="$w "
            cpu[$config.$which]+="$c "
        done
    done
done
median() { echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
for config in one-core t1 t2; do
    wo=$(median "${wall[$config.old]}"); wn=$(median "${wall[$config.new]}")
    co=$(median "${cpu[$config.old]}"); cn=$(median "${cpu[$config.new]}")
    awk -v c="$config" -v wo="$wo" -v wn="$wn" -v co="$co" -v cn="$cn" 'BEGIN {
        printf "%s: wall %.2f -> %.2f s (%.1f -> %.1f frames/s, x%.2f); cpu %.2f -> %.2f s (%.1f -> %.1f ms a frame)\n",
            c, wo, wn, 230 / wo, 230 / wn, wo / wn, co, cn, 1000 * co / 230, 1000 * cn / 230 }'
done
echo "# load after: $(uptime | sed 's/.*average: //')"
