#!/usr/bin/python3
"""PyTorch CPU counterparts of bench/tensor.bench.ts. Prints one JSON line of figures (GFLOP/s, GB/s, us)."""
import json
import torch
from timing import setup, timeit

args = setup()
out = {"blas": torch.__config__.show().count("BLAS_INFO=generic") and "system libblas (OpenBLAS when libopenblas0-pthread is installed)" or "bundled"}


with torch.no_grad():
    for n in args.get("matmul", []):
        a, b = torch.randn(n, n), torch.randn(n, n)
        out[f"matmul{n}"] = 2 * n ** 3 / timeit(lambda: a @ b) / 1e9
    n = args.get("elementwise", 0)
    if n:
        a, b = torch.randn(n), torch.randn(n)
        c = torch.empty(n)
        out["add"] = 3 * 4 * n / timeit(lambda: torch.add(a, b, out=c)) / 1e9
        out["gelu"] = 2 * 4 * n / timeit(lambda: torch.nn.functional.gelu(a)) / 1e9
        out["sum"] = 4 * n / timeit(lambda: a.sum()) / 1e9
        m = a.view(-1, 1024)
        out["rowsum"] = 4 * n / timeit(lambda: m.sum(1)) / 1e9
    k = args.get("dispatch", 0)
    if k:
        x = torch.randn(16)
        def many():
            y = x
            for _ in range(k):
                y = y + 1
        out["dispatch_us"] = timeit(many) / k * 1e6
print(json.dumps(out))
