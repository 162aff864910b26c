#!/bin/bash
# The accelerator check, as one run (../shared/gpu/README.md). Prepare here, in the project root:
#   bash ../shared/gpu/prepare-device.sh && npx vite build --ssr bench/node.ts --outDir .device/bench
# try it on lavapipe (VK_ICD_FILENAMES=/usr/share/vulkan/icd.d/lvp_icd.json bash bench/device.sh, with
# LOCKSTEP_DEVICE_RUN=env to skip the device's loader setup), then call the device tool with
#   command: bash bench/device.sh   carry: [".device"]   timeout_s: 600
# Name parts to run only those (a rerun after a time limit): bash bench/device.sh hashes train-large
# Each part has its own time limit, so that one slow part cannot take the others' time; everything lands
# in $OUT (JSON and logs), and the output ends with a summary line per part.
# 1. cross-adapter hashes: every kernel and 20 training steps here vs the CPU reference (exit 1 on any
#    difference; SwiftShader and lavapipe give the reference's bits in `npm test`, so equal here = equal there);
# 2. training throughput at batch 8: tokens/s for tiny, demo and small on the GPU, tiny and demo on the CPU
#    reference, peak GPU buffers per preset, and the step hashes of both compared; then `large` at batch 4
#    (its peak should be src/train/memory.ts's 1,940,500,480 bytes), on its own: its state hash is slow;
# 3. every kernel: time, GB/s and hash vs the CPU reference;
# 4. the matmul bench with cross-variant hashes at 512;
# 5. cuBLAS fp32, TF32 off, for the ratio.
set -o pipefail
out=${OUT:-/tmp/lockstep-device}
mkdir -p "$out"
run=${LOCKSTEP_DEVICE_RUN:-bash .device/run.sh}
node=".device/bench/node.js"
summary=()
only=" $* "
part() { # part NAME SECONDS CUT ARGS...: one bench, its log in $out/NAME.log
  local name=$1 limit=$2 cut=$3
  shift 3
  [ "$only" = "  " ] || [[ $only == *" $name "* ]] || return 0
  local t0=$SECONDS
  timeout "$limit" $run "$@" 2>&1 | tee "$out/$name.log" | grep -v '^Warning: ' | cut -c1-"$cut"
  local rc=${PIPESTATUS[0]}
  summary+=("$name: exit $rc after $((SECONDS - t0)) s$([ "$rc" = 124 ] && echo ' (time limit)')")
}
[ -f "$node" ] || { echo "missing $node: bundle first (see the top of this file)"; exit 2; }
part hashes 120 300 node "$node" --suite hashes --out "$out/hashes.json"
part train 120 400 node "$node" --suite train --presets tiny,demo,small --cpu-presets tiny,demo \
  --steps 2 --cpu-steps 2 --batch 8 --out "$out/train.json"
part train-large 180 400 node "$node" --suite train --presets large --cpu-presets '' --steps 1 --batch 4 \
  --out "$out/train-large.json"
part kernels 45 160 node "$node" --suite kernels --rows 1024 --n 1024 --out "$out/kernels.json"
part matmul 75 200 node "$node" --sizes 512,1024,2048,4096 --variants 512 --min-ms 300 --out "$out/matmul.json"
command -v python3 >/dev/null && part torch 45 200 python3 bench/torch_ref.py 1024 2048 4096
printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
