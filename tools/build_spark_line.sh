#!/usr/bin/env bash
# Builds Cubist's -all jar for one Spark line, beside the default build (never over it), and prints its path.
#
#   tools/build_spark_line.sh 3.5 2.12     -> jobs/target/spark3.5_2.12/cubist-jobs-spark3.5_2.12-VERSION-all.jar
#   tools/build_spark_line.sh 4.0 2.13
#
# Lines: 3.5 (Scala 2.12 or 2.13), 4.0, 4.1 and 4.2 (Scala 2.13); 4.2 is the default build (jobs/target/). Each line
# compiles against that line's Spark, Scala, Arrow and Hadoop (the pom's profiles); tests are not run here.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
line="${1:?usage: build_spark_line.sh SPARK_LINE [SCALA]}"
scala="${2:-2.13}"
case "$line/$scala" in
  3.5/2.12) profiles="-Pspark-3.5,scala-2.12" ;;
  3.5/2.13) profiles="-Pspark-3.5" ;;
  4.0/2.13) profiles="-Pspark-4.0" ;;
  4.1/2.13) profiles="-Pspark-4.1" ;;
  4.2/2.13) profiles="" ;;
  *) echo "build_spark_line: no build for Spark $line with Scala $scala; lines: 3.5 (2.12, 2.13), 4.0, 4.1, 4.2 (2.13)" >&2
     exit 2 ;;
esac
version="$(sed -n 's:.*<version>\(.*\)</version>.*:\1:p' "$ROOT/pom.xml" | head -1)"
if [ -z "$profiles" ]; then
  jar="$ROOT/jobs/target/cubist-jobs-$version-all.jar"
else
  jar="$ROOT/jobs/target/spark${line}_$scala/cubist-jobs-spark${line}_$scala-$version-all.jar"
fi
if [ ! -f "$jar" ] || [ -n "$(find "$ROOT/pom.xml" "$ROOT"/*/pom.xml "$ROOT"/conv-kernels/src/main "$ROOT"/pipeline/src/main \
      "$ROOT"/jobs/src/main -newer "$jar" -print -quit 2>/dev/null)" ]; then
  log="$(mktemp)"
  # package, not install: another line's modules must not replace the default build's in ~/.m2
  if ! (cd "$ROOT" && mvn -B -q $profiles -DskipTests -pl jobs -am package >"$log" 2>&1); then
    cat "$log" >&2
    echo "build_spark_line: the Spark $line / Scala $scala build failed (log above)" >&2
    rm -f "$log"
    exit 1
  fi
  rm -f "$log"
fi
echo "$jar"
