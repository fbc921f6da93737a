#!/usr/bin/env bash
# Bytes read by `extract` from a long video split into segments, on local disk, HDFS and S3, beside the file's size.
#
#   tools/bench_remote_read.sh [VIDEO] [SEGMENT_SECONDS]
#
# Default VIDEO: a 10-minute-plus H.264 file made from samples/videos/vtest.mp4 (looped without re-encoding by the
# ffmpeg command line: apt-get install ffmpeg); default segments of 60 s. HDFS is Hadoop's in-process MiniDFSCluster
# and S3 is S3Proxy on 127.0.0.1, as in the tests. A benchmark, not a test: it prints a table and asserts nothing.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
video="${1:-}"
if [ -z "$video" ]; then
  command -v ffmpeg >/dev/null || { echo "bench_remote_read: needs ffmpeg (apt-get install ffmpeg)" >&2; exit 1; }
  video="${TMPDIR:-/tmp}/cubist-long-vtest.mp4"
  [ -f "$video" ] || ffmpeg -v error -y -stream_loop 24 -i "$ROOT/samples/videos/vtest.mp4" -c copy "$video"
fi
(cd "$ROOT" && mvn -B -q -DskipTests install >/dev/null && mvn -B -q -pl tests test-compile \
    dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test >/dev/null)
read -r -a FLAGS < "$ROOT/jobs/target/classes/io/cubist/jobs/jvm.options"
read -r -a SPARK_FLAGS < "$ROOT/jobs/target/classes/io/cubist/jobs/spark-jvm.options"  # spark-submit adds these
FLAGS+=("${SPARK_FLAGS[@]}")
cd "$ROOT/tests"  # the tests' helpers find the repository from here
exec java "${FLAGS[@]}" -Dlog4j2.configurationFile="$ROOT/conf/log4j2.properties" \
    -cp "target/test-classes:$(cat target/bench.classpath)" io.cubist.tests.RemoteReadBench "$video" "${2:-60}"
