#!/usr/bin/env bash
# compare.sh times CAMscope and ONNX Runtime on the same models, interleaved
# (each round runs every model on both engines, one after the other), and
# prints the median of each engine's per-round medians and their ratio:
# at batch 1 milliseconds a run (CAMscope / ONNX Runtime: below 1 is
# faster) and the geometric mean of the ratios; with --batch N, images per
# second of a batch of N (CAMscope / ONNX Runtime: above 1 is faster).
# CAMscope runs the model as it is (camscope bench --batch N); ONNX
# Runtime, which cannot run a batch-1 file at N, runs a copy with a batch
# dimension that tools/rebatch makes first.
#
#   tools/ortbench/compare.sh [--rounds 5] [--runs 20] [--batch N] [MODEL.onnx...]
#
# Run from the repository root after `npm install --ignore-scripts` in
# tools/ortbench (--ignore-scripts: the install script only fetches the
# CUDA provider, from a host these machines do not reach; ORT_MJS names
# another ort.mjs). With no models, times every model of ../shared/reference
# and ../shared/models, and the built-in shapes model (the built-in
# MobileNetV2 is a TFLite file, which ONNX Runtime does not read). Not
# part of the program or its tests.
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
for v in "$rounds" "$runs" "$batch"; do
  if ! [[ $v =~ ^[1-9][0-9]*$ ]]; then
    echo "compare.sh: --rounds, --runs and --batch take a whole number of at least 1, not \"$v\"" >&2
    exit 2
  fi
done
models=("$@")
if [[ ${#models[@]} -eq 0 ]]; then
  models=(../shared/reference/*.onnx ../shared/models/*.onnx assets/shapes/shapes.onnx)
fi
ortmjs=${ORT_MJS:-$(dirname "$0")/ort.mjs}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/camscope" .
# ort[i] is the file ONNX Runtime times for models[i]: the model itself at
# batch 1, else its copy with a batch dimension of N.
ort=("${models[@]}")
if [[ $batch -ne 1 ]]; then
  go build -o "$tmp/rebatch" ./tools/rebatch
  for i in "${!models[@]}"; do
    ort[i]=$tmp/$i-$(basename "${models[i]}")
    "$tmp/rebatch" -batch "$batch" "${models[i]}" "${ort[i]}"
  done
fi
grep -q avx512_vp2intersect /proc/cpuinfo && cpu="AMD EPYC Zen 5 (avx512_vp2intersect)" || cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-)
echo "# $(date -u +%F) ${cpu}, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), batch $batch, $rounds rounds of $runs runs"
results=$tmp/results
for ((r = 1; r <= rounds; r++)); do
  for i in "${!models[@]}"; do
    bench=$("$tmp/camscope" bench --model "${models[i]}" --runs "$runs" --batch "$batch")
    timed=$(node "$ortmjs" --model "${ort[i]}" --runs "$runs" --batch "$batch")
    if [[ $batch -eq 1 ]]; then
      ours=$(awk '/^median/ {print $2}' <<<"$bench") theirs=$(awk '{print $6}' <<<"$timed")
    else
      ours=$(awk '/^speed/ {print $2}' <<<"$bench") theirs=$(awk '{print $NF}' <<<"$timed")
    fi
    echo "${models[i]} $ours $theirs" >>"$results"
  done
done
echo "# load at the end $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v batch="$batch" '
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
      if (batch == 1) printf "| %s | %.2f ms | %.2f ms | %.2f |\n", name, o, r, q
      else printf "| %s | %.1f images/s | %.1f images/s | %.2f |\n", name, o, r, q
    }
    printf "geometric mean of the ratios: %.2f\n", exp(lg / n)
  }' "$results"
