"""Shared by the PyTorch baselines of bench/: the thread setting, the arguments, and one timing loop."""
import json, sys, time
import torch


def setup():
    """Two threads (the bench machines' core count, as our adapter gets) and the JSON arguments from argv[1]."""
    torch.set_num_threads(2)
    return json.loads(sys.argv[1])


def timeit(fn, min_s=1.0, max_reps=1000, warmup=2):
    """Seconds per call of fn: `warmup` untimed calls, then calls until min_s has passed or max_reps were made."""
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter(); n = 0
    while n < max_reps:
        fn(); n += 1
        if time.perf_counter() - t0 >= min_s:
            break
    return (time.perf_counter() - t0) / n
