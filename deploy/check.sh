#!/usr/bin/env bash
# Runs, here, what the two cluster set-ups run: the shard command of
# deploy/kubernetes/score-indexed-job.yaml for each index and the merge Job of its `#|` lines,
# then deploy/slurm/score-array.sbatch for each array task and deploy/slurm/merge.sbatch, with
# the variables the engines set given by hand, and the volume's /data/clips and /results
# replaced by local folders. It compares each merge with one unsharded run of the same inputs:
# frames.csv, summary.csv and summary.jsonl byte for byte, and what run.json says of the run.
# Then it removes one input and runs the Kubernetes shards and merge again into the same
# folders, as a re-submission after the clips changed would, and compares again.
#
#   bash deploy/check.sh [POSTURE_BINARY]     (default: target/release/posture)
#
# Needs python3 with PyYAML (PYTHON=... to use another). Exit status 0 when everything matched.
set -uo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${1:-$here/target/release/posture}")
python=${PYTHON:-python3}
fixtures=$(cd "$(dirname "$bin")/../.." && pwd)/fixtures
yaml=$here/deploy/kubernetes/score-indexed-job.yaml
array=$here/deploy/slurm/score-array.sbatch
merge=$here/deploy/slurm/merge.sbatch

"$python" -c 'import yaml' || { echo "check: $python has no PyYAML (pip install pyyaml)"; exit 2; }
[ -x "$bin" ] || { echo "check: no posture binary at $bin"; exit 2; }
[ -d "$fixtures" ] || { echo "check: no fixtures at $fixtures"; exit 2; }

work=$(mktemp -d /tmp/batchcheck.XXXXXX)
echo "check: working in $work"
mkdir -p "$work/bin" && ln -s "$bin" "$work/bin/posture"
export PATH=$work/bin:$PATH
failures=0

# Inputs: clips and photos in nested folders, a file that fails, a picture nobody is in, a name
# that needs quoting in CSV; a HEIC and a text file (skipped) and a hidden file (ignored).
clips=$work/data/clips
mkdir -p "$clips/a" "$clips/b/photos" "$clips/c"
cp "$fixtures/render_s030_sway.mp4" "$fixtures/webcam_face.mp4" "$clips/a/"
cp "$fixtures"/renders/s00[0-7]_*.jpg "$clips/b/photos/"
cp "$fixtures/grace_hopper.jpg" "$fixtures/no_person.jpg" "$fixtures/grace_hopper.heic" "$clips/b/"
cp "$fixtures/cameraman.png" "$clips/c/camera man, \"1\".png"
head -c 4000 "$fixtures/webcam_face.mp4" > "$clips/c/cut short.mp4"
echo "notes" > "$clips/c/notes.txt"
cp "$fixtures/grace_hopper.jpg" "$clips/c/.hidden.jpg"

# The unsharded run the merges must equal.
reference() {
    local out=$1
    posture score "$clips" --out "$out" --quiet
    local rc=$?
    # 3: inputs failed (the file cut short, the picture of nobody), which is expected here.
    if [ "$rc" != 3 ]; then echo "check: the unsharded run exited $rc"; exit 2; fi
}

# Compare a merged folder with the unsharded one; print what differs.
compare() {
    local what=$1 merged=$2 single=$3 same=1
    for table in frames.csv summary.csv summary.jsonl; do
        if ! cmp -s "$single/$table" "$merged/$table"; then
            same=0
            echo "  $table differs from the unsharded run's:"
            diff "$single/$table" "$merged/$table" | cut -c1-160 | head -20 | sed 's/^/    /'
        fi
    done
    if ! "$python" - "$single/run.json" "$merged/run.json" <<'PY'
import json, sys
single, merged = (json.load(open(p)) for p in sys.argv[1:])
differ = [k for k in ("run_id", "settings_id", "inputs_in_all_shards", "counts", "skipped", "provenance")
          if single[k] != merged[k]]
for k in differ:
    print(f"  run.json {k}: unsharded {json.dumps(single[k])[:200]}, merged {json.dumps(merged[k])[:200]}")
sys.exit(1 if differ else 0)
PY
    then same=0; fi
    if [ "$same" = 1 ]; then
        echo "PASS $what: merged tables equal the unsharded run's ($(($(wc -l < "$merged/summary.csv") - 1)) inputs, $(($(wc -l < "$merged/frames.csv") - 1)) frames)"
    else
        echo "FAIL $what"
        failures=$((failures + 1))
    fi
}

# Whether a shard's last run kept every input from the one before (failed ones are tried again).
all_kept() {
    "$python" - "$1/run.json" "$2" <<'PY'
import json, sys
counts = json.load(open(sys.argv[1]))["counts"]
ok = counts["reused"] == counts["inputs_found"] - counts["failed"] and counts["inputs_found"] > 0
print(("PASS" if ok else "FAIL") + f" {sys.argv[2]}: {counts['reused']} of {counts['inputs_found']} inputs kept from the earlier run ({counts['failed']} failed, tried again)")
sys.exit(0 if ok else 1)
PY
}

# Kubernetes: the pod script and the merge Job's script, read from the manifest, with the
# volume's paths made local.
k8s=$work/k8s
read_k8s() {
    "$python" - "$yaml" "$clips" "$k8s/results" "$1" <<'PY'
import sys, yaml
path, clips, results, what = sys.argv[1:]
text = open(path).read()
job = yaml.safe_load(text)
merge = yaml.safe_load("\n".join(l[3:] if l.startswith("#| ") else l[2:]
                                 for l in text.splitlines() if l.startswith("#|")))
pod = job["spec"]["template"]["spec"]["containers"][0]
local = lambda s: s.replace("/data/clips", clips).replace("/results", results)
print({
    "completions": job["spec"]["completions"],
    "cpus": pod["resources"]["limits"]["cpu"],
    "score": local(pod["args"][0]),
    "merge": local(merge["spec"]["template"]["spec"]["containers"][0]["args"][0]),
}[what])
PY
}
run_k8s() {
    local n cpus script index rc
    n=$(read_k8s completions) cpus=$(read_k8s cpus) script=$(read_k8s score)
    for ((index = 0; index < n; index++)); do
        JOB_COMPLETION_INDEX=$index JOBS=$cpus bash -c "$script"
        rc=$?
        echo "check: kubernetes index $index exited $rc"
        [ "$rc" = 0 ] || failures=$((failures + 1))
    done
    bash -c "$(read_k8s merge)"
    rc=$?
    echo "check: kubernetes merge exited $rc"
    [ "$rc" = 0 ] || failures=$((failures + 1))
}

# Slurm: the two scripts as they are, from one submission folder.
slurm=$work/slurm
n=$(sed -n 's/^#SBATCH --array=1-\([0-9]*\).*/\1/p' "$array")
cpus=$(sed -n 's/^#SBATCH --cpus-per-task=\([0-9]*\).*/\1/p' "$array")
run_slurm() {
    local k rc
    mkdir -p "$slurm"
    for ((k = 1; k <= n; k++)); do
        (cd "$slurm" && SLURM_ARRAY_TASK_ID=$k SLURM_ARRAY_TASK_COUNT=$n SLURM_CPUS_PER_TASK=$cpus CLIPS=$clips bash "$array")
        rc=$?
        echo "check: slurm task $k of $n exited $rc"
        [ "$rc" = 0 ] || failures=$((failures + 1))
    done
    # As submitted: merge.sbatch's own SHARDS must match the array.
    (cd "$slurm" && bash "$merge")
    rc=$?
    echo "check: slurm merge exited $rc"
    [ "$rc" = 0 ] || failures=$((failures + 1))
}

echo "== unsharded run"
reference "$work/single"
echo "== kubernetes"
run_k8s
compare "kubernetes" "$k8s/results/merged" "$work/single"
echo "== slurm"
run_slurm
compare "slurm" "$slurm/results/merged" "$work/single"
echo "== slurm: task 3 submitted again alone (sbatch --array=3 --export=ALL,SHARDS=$n)"
(cd "$slurm" && SLURM_ARRAY_TASK_ID=3 SLURM_ARRAY_TASK_COUNT=1 SHARDS=$n SLURM_CPUS_PER_TASK=$cpus CLIPS=$clips bash "$array") \
    && all_kept "$slurm/results/shard-3" "slurm task 3 alone" || failures=$((failures + 1))

echo "== kubernetes shards again, unchanged"
run_k8s
for shard in "$k8s"/results/shard-*; do
    all_kept "$shard" "kubernetes ${shard##*/} again" || failures=$((failures + 1))
done
compare "kubernetes, second run" "$k8s/results/merged" "$work/single"

echo "== one input removed, kubernetes shards and merge run again into the same folders"
rm "$clips/a/webcam_face.mp4"
reference "$work/single-after-removal"
run_k8s
compare "kubernetes after an input was removed" "$k8s/results/merged" "$work/single-after-removal"

echo "check: $failures failure(s); files in $work"
[ "$failures" = 0 ]
