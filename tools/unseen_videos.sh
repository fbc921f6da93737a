#!/usr/bin/env bash
# Makes a set of videos Cubist's tests never saw -- many codecs and containers, odd and variable frame rates, odd
# sizes, rotation metadata, and broken files -- with Debian's ffmpeg, then runs `cubist extract` on them twice (the
# second time with --mode skip-existing) and checks the contract: rows for every decodable video, exactly one
# _errors row for each broken one, nothing added by the re-run.
#
#   tools/unseen_videos.sh [DIR] [extra cubist extract flags...]     (needs: apt-get install ffmpeg; python3)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${1:-/tmp/cubist-unseen}"
shift || true
V="$DIR/videos"
rm -rf "$DIR"
mkdir -p "$V/nested"
ff() { ffmpeg -hide_banner -loglevel error -y "$@"; }
SRC=(-f lavfi -i "testsrc2=size=176x144:rate=25:duration=4")
# decodable: codec/container/frame-rate/size combinations
ff "${SRC[@]}" -c:v libx264 -pix_fmt yuv420p "$V/h264.mp4"
ff "${SRC[@]}" -c:v libx265 -x265-params log-level=error -pix_fmt yuv420p -tag:v hvc1 "$V/hevc.mov"
ff "${SRC[@]}" -c:v libvpx -b:v 300k "$V/vp8.webm"
ff "${SRC[@]}" -c:v libaom-av1 -crf 50 -cpu-used 8 "$V/av1.mkv"
ff "${SRC[@]}" -c:v mpeg2video "$V/mpeg2.mpg"
ff "${SRC[@]}" -c:v mpeg2video -f mpegts "$V/nested/mpeg2.ts"
ff "${SRC[@]}" -c:v libtheora "$V/theora.ogv"
ff "${SRC[@]}" -c:v prores_ks "$V/prores.mov"
ff "${SRC[@]}" -c:v flv "$V/sorenson.flv"
ff "${SRC[@]}" -c:v wmv2 "$V/wmv2.wmv"
ff "${SRC[@]}" -c:v mjpeg -q:v 5 "$V/mjpeg.avi"
ff -f lavfi -i "testsrc2=size=160x120:rate=10:duration=3" "$V/anim.gif"
ff -f lavfi -i "testsrc2=size=320x180:rate=30000/1001:duration=4" -c:v libx264 "$V/ntsc-29.97.mp4"
ff -f lavfi -i "testsrc2=size=320x180:rate=24000/1001:duration=4" -c:v libx264 "$V/film-23.976.mkv"
ff -f lavfi -i "testsrc2=size=96x64:rate=7.5:duration=5" -c:v libx264 "$V/slow-7.5fps.mp4"
ff -f lavfi -i "testsrc2=size=176x144:rate=60:duration=2" -c:v libvpx-vp9 -b:v 200k "$V/fast-60fps.webm"
# variable frame rate: timestamps stretched by a sine
ff -f lavfi -i "testsrc2=size=176x144:rate=25:duration=4" -vf "setpts='N/25/TB+0.2*sin(N/5)/TB'" \
   -fps_mode vfr -c:v libx264 "$V/vfr.mkv"
ff -f lavfi -i "testsrc2=size=33x17:rate=25:duration=3" -c:v libx264 -pix_fmt yuv444p "$V/tiny-odd-33x17.mkv"
ff -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=2" -c:v libx264 -preset ultrafast "$V/hd-720p.mp4"
ff "${SRC[@]}" -c:v libx264 -metadata:s:v rotate=90 "$V/rotated.mp4"
ff -f lavfi -i "testsrc2=size=176x144:rate=25:duration=4" -f lavfi -i "sine=frequency=440:duration=4" \
   -c:v libx264 -c:a aac -shortest "$V/with-audio.mp4"
ff -f lavfi -i "testsrc2=size=176x144:rate=25:duration=0.2" -c:v libx264 "$V/too-short-for-a-clip.mp4"
# broken
: > "$V/empty.mp4"
head -c 50000 /dev/urandom > "$V/random.mkv"
ff -f lavfi -i "sine=frequency=440:duration=3" -c:a aac "$V/audio-only.m4a"
cp "$V/audio-only.m4a" "$V/audio-only.mp4"
ff -f lavfi -i "testsrc2=size=176x144:rate=25:duration=6" -c:v libx264 -movflags +faststart "$V/full.mp4"
head -c 2000 "$V/full.mp4" > "$V/truncated-header.mp4"
rm "$V/full.mp4"
echo "just text" > "$V/text.avi"
ls -la "$V" "$V/nested"

OUT="$DIR/features"
"$ROOT/bin/cubist" extract --input "$V" --output "$OUT" --progress-interval 5 "$@"
"$ROOT/bin/cubist" extract --input "$V" --output "$OUT" --mode skip-existing --progress-interval 5 "$@"

# check the output with Spark itself (a single-file Java program on the launcher's class path)
CP="$ROOT/jobs/target/classes:$ROOT/pipeline/target/classes:$ROOT/conv-kernels/target/classes:$(cat "$ROOT/jobs/target/launcher.classpath"):$(cat "$ROOT/jobs/target/launcher-spark.classpath")"
read -r -a FLAGS < "$ROOT/jobs/target/classes/io/cubist/jobs/jvm.options"
read -r -a SPARK_FLAGS < "$ROOT/jobs/target/classes/io/cubist/jobs/spark-jvm.options"  # spark-submit adds these
FLAGS+=("${SPARK_FLAGS[@]}")
java "${FLAGS[@]}" -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" -cp "$CP" \
  "$ROOT/tools/CheckExtractOutput.java" "$OUT"
if grep -q '"videos_processed":0,' "$OUT/_manifest.json" && grep -q '"clips":0' "$OUT/_manifest.json"; then
  echo "OK: the re-run with --mode skip-existing added nothing"
else
  echo "PROBLEM: the re-run with --mode skip-existing did work" >&2
  exit 1
fi
