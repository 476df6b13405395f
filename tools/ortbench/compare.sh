#!/usr/bin/env bash
# compare.sh times CAMscope and ONNX Runtime on the same models, interleaved
# (each round runs every model on both engines, one after the other), and
# prints the median of each engine's per-round medians, their ratio
# (CAMscope / ONNX Runtime: below 1 is faster) and the geometric mean.
#
#   tools/ortbench/compare.sh [--rounds 5] [--runs 20] [--batch N] [MODEL.onnx...]
#
# Run from the repository root after `npm install --ignore-scripts` in
# tools/ortbench (--ignore-scripts: the install script only fetches the
# CUDA provider, from a host these machines do not reach). With no models,
# times every model of ../shared/reference and ../shared/models. Not part of
# the program or its tests.
set -euo pipefail
rounds=5 runs=20 batch=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --rounds) rounds=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    -*) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
models=("$@")
if [[ ${#models[@]} -eq 0 ]]; then
  models=(../shared/reference/*.onnx ../shared/models/*.onnx)
fi
here=$(dirname "$0")
bin=$(mktemp -d)/camscope
trap 'rm -rf "$(dirname "$bin")"' EXIT
go build -o "$bin" .
grep -q avx512_vp2intersect /proc/cpuinfo && cpu="AMD EPYC Zen 5 (avx512_vp2intersect)" || cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)
echo "# $(date -u +%F) ${cpu}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), batch $batch, $rounds rounds of $runs runs"
results=$(mktemp)
for ((r = 1; r <= rounds; r++)); do
  for m in "${models[@]}"; do
    batchflag=()
    [[ $batch -ne 1 ]] && batchflag=(--batch "$batch")
    ours=$("$bin" bench --model "$m" --runs "$runs" "${batchflag[@]}" | awk '/^median/ {print $2}')
    ort=$(node "$here/ort.mjs" --model "$m" --runs "$runs" --batch "$batch" | awk '{print $6}')
    echo "$m $ours $ort" >>"$results"
  done
done
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
      m = order[i]; o = median(ours[m]); r = median(ort[m]); q = o / r; lg += log(q)
      name = m; sub(/.*\//, "", name)
      printf "| %s | %.2f ms | %.2f ms | %.2f |\n", name, o, r, q
    }
    printf "geometric mean of the ratios: %.2f\n", exp(lg / n)
  }' "$results"
rm -f "$results"
