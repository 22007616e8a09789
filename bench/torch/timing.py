"""Shared by the PyTorch baselines of bench/: the device or thread setting, the arguments, and one timing loop.

DUALNEURON_TORCH_DEVICE=cuda (set by the bench harness on a machine with a GPU) runs the baselines on the GPU,
with every tensor created there and the GPU synchronised before a clock is read; the default is the CPU with two
threads (the bench machines' core count, as our lavapipe adapter gets)."""
import json, os, sys, time
import torch

DEVICE = os.environ.get('DUALNEURON_TORCH_DEVICE', 'cpu')


def use_device():
    if DEVICE == 'cpu':
        torch.set_num_threads(2)
    else:
        torch.set_default_device(DEVICE)  # factories (randn, zeros, ...) create tensors on the GPU


def sync():
    if DEVICE != 'cpu':
        torch.cuda.synchronize()


def setup():
    """The device setting and the JSON arguments from argv[1]."""
    use_device()
    return json.loads(sys.argv[1])


def timeit(fn, min_s=1.0, max_reps=1000, warmup=2):
    """Seconds per call of fn: `warmup` untimed calls, then calls until min_s has passed or max_reps were made."""
    for _ in range(warmup):
        fn()
    sync()
    t0 = time.perf_counter(); n = 0
    while n < max_reps:
        fn(); n += 1
        if n % 8 == 0 or DEVICE == 'cpu':
            sync()
            if time.perf_counter() - t0 >= min_s:
                break
    sync()
    return (time.perf_counter() - t0) / n
