#!/usr/bin/env bash
# Decode rate of Cubist's VideoReader beside the ffmpeg command line on the same file, both producing RGB24 frames.
#
#   tools/bench_decode.sh [FILE ...]     (default: a generated 20 s 1280x720 H.264 file and samples/videos/vtest.mp4)
#
# Needs Debian's ffmpeg (apt-get install ffmpeg) and a built tree (bin/cubist builds it). ffmpeg runs twice: with one
# decoding thread and with its default (one per core). Benchmarks are not tests: nothing is asserted.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
command -v ffmpeg >/dev/null || { echo "bench_decode: needs ffmpeg (apt-get install ffmpeg)" >&2; exit 1; }
"$ROOT/bin/cubist" backends >/dev/null  # builds what is missing
CP="$ROOT/pipeline/target/classes:$ROOT/conv-kernels/target/classes:$(cat "$ROOT/jobs/target/launcher.classpath")"

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  gen="${TMPDIR:-/tmp}/cubist-bench-720p.mp4"
  [ -f "$gen" ] || ffmpeg -v error -y -f lavfi -i testsrc2=size=1280x720:rate=30 -t 20 -c:v libx264 -preset fast \
      -pix_fmt yuv420p "$gen"
  files=("$gen" "$ROOT/samples/videos/vtest.mp4")
fi

for f in "${files[@]}"; do
  echo "== $f ($(ffprobe -v error -select_streams v:0 -show_entries stream=codec_name,width,height -of csv=p=0 "$f"))"
  for threads in 1 0; do
    best=0
    for run in 1 2 3; do
      # -benchmark prints rtime (wall seconds); the frame count comes from the final progress line
      out="$(ffmpeg -hide_banner -benchmark -threads "$threads" -i "$f" -an -pix_fmt rgb24 -f null - 2>&1)"
      frames="$(echo "$out" | tr '\r' '\n' | grep -o 'frame= *[0-9]*' | tail -1 | tr -dc '0-9')"
      rtime="$(echo "$out" | grep -o 'rtime=[0-9.]*' | tail -1 | cut -d= -f2)"
      fps="$(awk -v n="$frames" -v t="$rtime" 'BEGIN { printf "%.1f", n / t }')"
      best="$(awk -v a="$best" -v b="$fps" 'BEGIN { print (b > a ? b : a) }')"
    done
    echo "ffmpeg -threads $threads (0 = one per core): $frames frames, best $best fps"
  done
  java -Dorg.bytedeco.javacpp.cachedir="$ROOT/.cubist/javacpp" -cp "$CP" "$ROOT/tools/DecodeBench.java" "$f" 3 \
    | tail -1
done
