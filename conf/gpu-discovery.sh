#!/usr/bin/env bash
# Spark resource discovery script for GPUs (spark.{driver,executor}.resource.gpu.discoveryScript).
# Prints {"name":"gpu","addresses":["0","1",...]}: one ordinal per GPU this machine's OpenCL sees, in platform
# order, which is what io.cubist.kernels.device.Devices.forGpuAddresses maps back to OpenCL devices.
# Uses clinfo when present (the OpenCL view Cubist runs on); else nvidia-smi (NVIDIA's own order, which matches
# OpenCL's on a machine with only NVIDIA's OpenCL platform); else no GPUs.
set -euo pipefail

count=0
if command -v clinfo >/dev/null 2>&1; then
  # "clinfo --raw" prints one "CL_DEVICE_TYPE ... CL_DEVICE_TYPE_GPU" line per GPU device
  count=$(clinfo --raw 2>/dev/null | grep -E '^\[[^]]*\][[:space:]]+CL_DEVICE_TYPE[[:space:]]' \
          | grep -c 'CL_DEVICE_TYPE_GPU' || true)
elif command -v nvidia-smi >/dev/null 2>&1; then
  count=$(nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null | grep -c . || true)
fi

addresses=""
for ((i = 0; i < count; i++)); do
  addresses+="${addresses:+,}\"$i\""
done
echo "{\"name\":\"gpu\",\"addresses\":[${addresses}]}"
