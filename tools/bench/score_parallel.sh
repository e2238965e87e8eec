#!/usr/bin/env bash
# `posture score` on 2 cores: the shipped clips plus 100 renders, scored
#   A. with --jobs 1;
#   B. with --jobs 2;
#   C. as a shell loop running `posture measure` once per input, 2 at a time (xargs -P 2);
#   D. with --jobs 2 on the longest clip alone plus 10 renders (the tail: one long clip).
# Each configuration runs ROUNDS times, interleaved (A B C D A B C D ...), so that a busy spell
# on the shared machine hits all of them alike; the script prints each wall time and the ratios
# of the medians. Build first: cargo build --release.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-3}
bin=target/release/posture
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/in" "$work/tail"
cp fixtures/*.mp4 "$work/in/"
ls fixtures/renders/*.jpg | sort | head -100 | xargs -I{} cp {} "$work/in/"
cp fixtures/sports2d_walk.mp4 "$work/tail/"
ls fixtures/renders/*.jpg | sort | head -10 | xargs -I{} cp {} "$work/tail/"
echo "# inputs: $(ls "$work/in" | wc -l) ($(ls "$work/in"/*.mp4 | wc -l) clips); $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
echo "# load before: $(uptime)"
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; t1=$(date +%s.%N); awk "BEGIN {printf \"%.2f\", $t1 - $t0}"; }
ratio() { awk "BEGIN {printf \"%.2f\", $1 / $2}"; }
declare -A times
for round in $(seq "$ROUNDS"); do
    for config in A B C D; do
        rm -rf "$work/out"
        case $config in
            A) t=$(seconds "$bin" score "$work/in" --out "$work/out" --jobs 1 --quiet) ;;
            B) t=$(seconds "$bin" score "$work/in" --out "$work/out" --jobs 2 --quiet) ;;
            C) t=$(seconds bash -c "ls '$work'/in/* | xargs -P 2 -I{} $bin measure --json {} > /dev/null") ;;
            D) t=$(seconds "$bin" score "$work/tail" --out "$work/out" --jobs 2 --quiet) ;;
        esac
        echo "round $round $config ${t}s"
        times[$config]+="$t "
    done
done
median() { echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
a=$(median "${times[A]}"); b=$(median "${times[B]}"); c=$(median "${times[C]}"); d=$(median "${times[D]}")
echo "median s: jobs1 $a, jobs2 $b, shell loop -P2 $c, tail (long clip + 10 renders, jobs2) $d"
echo "jobs2 vs jobs1: $(ratio "$a" "$b")x; jobs2 vs shell loop: $(ratio "$c" "$b")x"
echo "# load after: $(uptime)"
