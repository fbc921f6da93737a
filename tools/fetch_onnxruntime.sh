#!/usr/bin/env bash
# Fetch ONNX Runtime's Java package (CPU provider, native libraries inside) from Maven Central into the local Maven
# repository and print the jar's path: the ONNX Runtime side of tools/bench_models.py --ort. Not a dependency of
# anything that ships.
set -euo pipefail
VERSION="${1:-1.22.0}"
mvn -q dependency:get -Dartifact="com.microsoft.onnxruntime:onnxruntime:${VERSION}" >&2
echo "${HOME}/.m2/repository/com/microsoft/onnxruntime/onnxruntime/${VERSION}/onnxruntime-${VERSION}.jar"
