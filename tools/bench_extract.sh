#!/usr/bin/env bash
# Spark's way of using a machine, beside the model alone: clips/s of `extract` end to end on the bundled samples with
# 1 task x N threads and with N tasks x 1 thread, and of `bench` (the model only, the same batch and threads).
#
#   tools/bench_extract.sh [MODEL] [THREADS] [BATCH]     (defaults: r2plus1d_18 2 4)
#
# One run each, in this order, on an otherwise idle machine; the figures are clips per second of wall time (extract:
# from the first segment to the last written row, as its manifest's timings.clips_per_sec).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MODEL="${1:-r2plus1d_18}"
T="${2:-2}"
B="${3:-4}"
OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT
cps() { python3 -c "import json,sys; print('%.3f' % json.load(open(sys.argv[1]))['timings']['clips_per_sec'])" "$1"; }
model=$("$ROOT/bin/cubist" bench --model "$MODEL" --batch "$B" --threads "$T" --json --runs 5 2>/dev/null \
  | python3 -c "import json,sys; print('%.3f' % json.load(sys.stdin)['clips_per_sec'])")
"$ROOT/bin/cubist" extract --input "$ROOT/samples/videos" --output "$OUT/one" --model "$MODEL" --batch-size "$B" \
  --master "local[1]" --threads "$T" >/dev/null 2>&1
"$ROOT/bin/cubist" extract --input "$ROOT/samples/videos" --output "$OUT/many" --model "$MODEL" --batch-size "$B" \
  --master "local[$T]" --threads 1 --task-cpus 1 >/dev/null 2>&1
one=$(cps "$OUT/one/_manifest.json")
many=$(cps "$OUT/many/_manifest.json")
echo "| $MODEL, batch $B | model only ($T threads) | extract 1 task x $T threads | extract $T tasks x 1 thread |"
echo "|---|---:|---:|---:|"
echo "| clips/s | $model | $one | $many |"
python3 -c "import sys; m,a,b=map(float,sys.argv[1:]); print('| of model only | 1.00 | %.2f | %.2f |' % (a/m, b/m))" "$model" "$one" "$many"
