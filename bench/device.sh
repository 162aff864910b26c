#!/bin/bash
# The accelerator check, as one short run (../shared/gpu/README.md; prepare .device/ first, then
#   npx vite build --ssr bench/node.ts --outDir .device/bench
# and call the device tool with: bash bench/device.sh   carry: [".device"]).
# 1. every kernel on the GPU, hash vs the CPU reference computed there (all "match": true);
# 2. the matmul bench with cross-variant hashes at 512 (compare with docs/benchmarks.md);
# 3. cuBLAS fp32, TF32 off, for the ratio.
set -o pipefail
out=${OUT:-/tmp/lockstep-device}
mkdir -p "$out"
bash .device/run.sh node .device/bench/node.js --suite kernels --rows 1024 --n 1024 --out "$out/kernels.json" 2>&1 | tee "$out/kernels.log" | cut -c1-160
bash .device/run.sh node .device/bench/node.js --sizes 512,1024,2048,4096 --variants 512 --min-ms 300 --out "$out/matmul.json" 2>&1 | tee "$out/matmul.log" | cut -c1-200
python3 bench/torch_ref.py 1024 2048 4096 2>&1 | tee "$out/torch.log"
