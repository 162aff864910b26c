# PyTorch fp32 matmul (TF32 off) on CUDA: the cuBLAS baseline for docs/benchmarks.md.
# Usage: python3 bench/torch_ref.py 1024 2048 4096   (prints one JSON record per size)
import json, sys, time
import torch

torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False
dev = torch.device('cuda')
name = torch.cuda.get_device_name(0)
for s in [int(x) for x in sys.argv[1:]]:
    a = torch.randn(s, s, device=dev)
    b = torch.randn(s, s, device=dev)
    for _ in range(3):
        a @ b
    torch.cuda.synchronize()
    iters, start = 0, time.perf_counter()
    while time.perf_counter() - start < 0.5:
        a @ b
        iters += 1
    torch.cuda.synchronize()
    ms = (time.perf_counter() - start) / iters * 1e3
    print(json.dumps({'op': 'matmul', 'impl': 'PyTorch fp32 (TF32 off, cuBLAS)', 'adapter': name, 'm': s, 'n': s, 'k': s,
                      'ms': ms, 'gflops': 2 * s**3 / ms / 1e6}), flush=True)
