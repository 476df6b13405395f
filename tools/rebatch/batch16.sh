#!/usr/bin/env bash
# batch16.sh times a batch of N inputs (16 unless --batch says otherwise) on
# CAMscope (camscope bench --batch N, on the model as it is) and on ONNX
# Runtime (tools/ortbench/ort.mjs, on a copy made by tools/rebatch -batch N:
# ONNX Runtime cannot run the batch-1 files at N), interleaved (each round
# runs every model on both engines, one after the other), and prints the
# median images per second of each and their ratio (CAMscope / ONNX
# Runtime: above 1 is faster).
#
#   tools/rebatch/batch16.sh [--rounds 5] [--runs 5] [--batch 16] MODEL.onnx...
#
# Run from the repository root after `npm install --ignore-scripts` in
# tools/ortbench (ORT_MJS names another ort.mjs). Not part of the program
# or its tests.
set -euo pipefail
rounds=5 runs=5 batch=16
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    -*) echo "batch16.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
if [[ $# -eq 0 ]]; then
  echo "usage: tools/rebatch/batch16.sh [--rounds 5] [--runs 5] [--batch 16] MODEL.onnx..." >&2
  exit 2
fi
ortmjs=${ORT_MJS:-$(dirname "$0")/../ortbench/ort.mjs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/camscope" .
go build -o "$tmp/rebatch" ./tools/rebatch
for m in "$@"; do
  "$tmp/rebatch" -batch "$batch" "$m" "$tmp/$(basename "$m")"
done
grep -q avx512_vp2intersect /proc/cpuinfo && cpu="AMD EPYC Zen 5 (avx512_vp2intersect)" || cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)
echo "# $(date -u +%F) ${cpu}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), batch $batch, $rounds rounds of $runs runs"
results=$tmp/results
for ((r = 1; r <= rounds; r++)); do
  for m in "$@"; do
    ours=$("$tmp/camscope" bench --model "$m" --runs "$runs" --batch "$batch" | awk '/^speed/ {print $2}')
    ort=$(node "$ortmjs" --model "$tmp/$(basename "$m")" --runs "$runs" --batch "$batch" | awk '{print $NF}')
    echo "$m $ours $ort" >>"$results"
  done
done
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
awk '
  { ours[$1] = ours[$1] " " $2; ort[$1] = ort[$1] " " $3; if (!($1 in seen)) { seen[$1] = 1; order[n++] = $1 } }
  function median(s,   a, k, i, j, t) {
    k = split(s, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return (k % 2) ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    printf "| model | CAMscope | ONNX Runtime | ratio |\n|---|---|---|---|\n"
    for (i = 0; i < n; i++) {
      m = order[i]; o = median(ours[m]); r = median(ort[m])
      name = m; sub(/.*\//, "", name)
      printf "| %s | %.1f images/s | %.1f images/s | %.2f |\n", name, o, r, o / r
    }
  }' "$results"
