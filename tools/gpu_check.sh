#!/usr/bin/env bash
# The GPU check: built here, run on a machine with a GPU that has no JDK and no package registry.
#
#   tools/gpu_check.sh build [DIR]     here (the JDK and a built project: mvn -B -DskipTests install): a jlinked Java
#                                      runtime, the jars and the golden cases into DIR (default target/gpu-check),
#                                      under 64 MiB; prints DIR and its size
#   DIR/gpu_check.sh [FLAGS]           there: cubist devices, every golden op case on the opencl engine, and bench of
#                                      the layer set (tools/bench_layers.json) and r3d_18 at batch 1 and 8 on it:
#                                      GFLOP/s, the fraction of the device's FMA peak, bytes and launches per clip.
#                                      Writes DIR/gpu_check.md too. FLAGS: --device opencl:N, --runs R, --quick
#
# It needs an OpenCL driver for the GPU there (libOpenCL.so.1 and the vendor's ICD, as every OpenCL program does).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if [ "${1:-}" != build ]; then
  # run mode, from inside a bundle
  [ -x "$HERE/runtime/bin/java" ] || { echo "gpu_check: run me from a bundle made by 'tools/gpu_check.sh build'" >&2; exit 2; }
  JSIG="$HERE/runtime/lib/libjsig.so"
  # the JVM's signal handlers stay first when the OpenCL runtime installs its own (see bin/cubist)
  export LD_PRELOAD="$JSIG${LD_PRELOAD:+:$LD_PRELOAD}"
  "$HERE/runtime/bin/java" --add-modules jdk.incubator.vector -Xmx8g \
      -cp "$HERE/lib/*:$HERE/check" GpuCheck "$HERE/bench_layers.json" "$@" 2>&1 \
      | grep -v 'Using incubator modules' | tee "$HERE/gpu_check.md"
  exit "${PIPESTATUS[0]}"
fi

ROOT="$(cd "$HERE/.." && pwd)"
OUT="${2:-$ROOT/target/gpu-check}"
M2="${MAVEN_REPO:-$HOME/.m2/repository}"
for m in conv-kernels pipeline jobs; do
  ls "$ROOT/$m/target/"cubist-*-0.1.0-SNAPSHOT.jar >/dev/null 2>&1 \
    || { echo "gpu_check: build the project first (mvn -B -DskipTests install)" >&2; exit 2; }
done
[ -d "$ROOT/conv-kernels/target/test-classes/io/cubist/kernels/golden" ] \
  || { echo "gpu_check: the golden cases' classes are missing (mvn -B -DskipTests install compiles them)" >&2; exit 2; }
rm -rf "$OUT"
mkdir -p "$OUT/lib" "$OUT/check"

# the runtime: only the modules the engine and the CLI's bench/devices use (Aparapi's java.desktop is its debug viewer)
jlink --add-modules java.base,java.logging,java.management,jdk.management,jdk.incubator.vector,jdk.unsupported --strip-debug --no-header-files \
  --no-man-pages --compress=2 --output "$OUT/runtime" 2>/dev/null

cp "$ROOT/conv-kernels/target/cubist-conv-kernels-0.1.0-SNAPSHOT.jar" "$ROOT/pipeline/target/cubist-pipeline-0.1.0-SNAPSHOT.jar" \
  "$ROOT/jobs/target/cubist-jobs-0.1.0-SNAPSHOT.jar" "$M2/com/aparapi/aparapi/3.0.2/aparapi-3.0.2.jar" \
  "$M2/org/apache/bcel/bcel/6.10.0/bcel-6.10.0.jar" "$M2/org/apache/commons/commons-lang3/3.20.0/commons-lang3-3.20.0.jar" \
  "$M2/org/slf4j/slf4j-api/2.0.17/slf4j-api-2.0.17.jar" "$OUT/lib/"
# Aparapi's native library for this architecture only (the published jar carries every platform's: 19 MB)
tmp="$(mktemp -d)"
(cd "$tmp" && unzip -q "$M2/com/aparapi/aparapi-jni/1.4.3/aparapi-jni-1.4.3.jar" 'com/*' 'META-INF/*' \
   "linux/libaparapi_$(uname -m).so" && zip -q -r "$OUT/lib/aparapi-jni-linux-$(uname -m).jar" .)
rm -rf "$tmp"

# the golden op cases and the check itself, compiled against the project
cp -r "$ROOT/conv-kernels/target/test-classes/golden" "$OUT/check/"
mkdir -p "$OUT/check/io/cubist/kernels/golden"
cp "$ROOT/conv-kernels/target/test-classes/io/cubist/kernels/golden/GoldenCases"*.class "$OUT/check/io/cubist/kernels/golden/"
javac -d "$OUT/check" -cp "$OUT/lib/*:$OUT/check" "$ROOT/tools/GpuCheck.java"
cp "$ROOT/tools/bench_layers.json" "$HERE/gpu_check.sh" "$OUT/"

size=$(du -sm "$OUT" | cut -f1)
echo "$OUT ($size MiB)"
[ "$size" -lt 64 ] || { echo "gpu_check: the bundle is $size MiB, over the 64 MiB it must fit in" >&2; exit 1; }
