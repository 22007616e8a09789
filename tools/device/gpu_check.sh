#!/bin/bash
# Real-GPU check, run through the workplace's device tool on a lent NVIDIA machine (no network there, no Node).
# Needs (tools/device/prepare.sh makes them), in ignored folders carried with the call: .gl/ (Vulkan loader .debs,
# see the device README), .dev/node.xz
# (this machine's Node binary, xz), .dev/nm.tar.xz (node_modules without typescript and other platforms' Dawn),
# .dev/home (a weights cache: dualneuron weights import), .dev/upstream (../shared/upstream/dualneuron),
# .dev/acc/natural_{ensemble,member5}.npy (tools/acceptance/v1_poles.js natural part, made here), and dist/.
# Runs: adapter self-check, the test suite, the V1 acceptance experiments at the recipes' full 128 steps, the
# tensor/models/synthesis benches beside PyTorch on the same GPU. Each stage has its own time limit; logs go to $OUT.
# Usage (device tool): bash tools/device/gpu_check.sh [stage ...]   stages: tests acceptance bench (default all)
set -u
OUT=${OUT:-/tmp/gpu-check}; mkdir -p "$OUT"
stages=${*:-tests acceptance bench}
has() { [[ " $stages " == *" $1 "* ]]; }
start=$(date +%s); el() { echo "[$(( $(date +%s) - start )) s] $*"; }

if [ -z "${GPU_CHECK_LOCAL:-}" ]; then  # GPU_CHECK_LOCAL=1: try the script here, with this machine's Node and Vulkan
  for f in .gl/*.deb; do dpkg -x "$f" /; done; ldconfig
  mkdir -p /tmp/node/bin && xz -dc .dev/node.xz > /tmp/node/bin/node && chmod +x /tmp/node/bin/node
  export PATH=/tmp/node/bin:$PATH
fi
ROOT=$PWD
# .dev/wt: a clean worktree of the commit under test, built here (git worktree add .dev/wt HEAD; npm run build)
if [ -d .dev/wt/dist ]; then cd .dev/wt; fi
[ -d node_modules/webgpu ] || tar -xJf "$ROOT/.dev/nm.tar.xz"
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-/tmp/xdg}; mkdir -p "$XDG_RUNTIME_DIR"
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd
export DUALNEURON_UPSTREAM=$ROOT/.dev/upstream DUALNEURON_HOME=$ROOT/.dev/home
nvidia-smi -L 2>/dev/null; node --version
el "adapter"; node dist/src/dualneuron/cli/main.js info 2>&1 | grep -v '^Warning' | tee "$OUT/adapter.txt"
grep -q 'self-check.*ok' "$OUT/adapter.txt" || { echo "no working adapter: stop"; exit 3; }

if has tests; then
  el "tests"; timeout ${TEST_LIMIT:-170} node dist/test/run.js > "$OUT/tests.log" 2>&1; echo "tests rc $?"
  grep -v '^Warning' "$OUT/tests.log" | grep -E 'FAIL|✘|Error|passed, ' | head -40
fi
if has acceptance; then
  el "acceptance"; acc=/tmp/acc; mkdir -p $acc && cp "$ROOT"/.dev/acc/natural_*.npy $acc/
  # the pixel recipe through the aperture first (the open question), then the rest of the protocol
  timeout ${ACC_LIMIT:-200} bash -c "node dist/tools/acceptance/v1_poles.js $acc aperture && node dist/tools/acceptance/v1_poles.js $acc main heldout seeds" > "$OUT/acceptance.log" 2>&1; echo "acceptance rc $?"
  node dist/tools/acceptance/v1_poles.js $acc report 2>&1 | grep -v '^Warning' | tee "$OUT/report.txt"
  cp $acc/report.json "$OUT/" 2>/dev/null
  tar -czf "$OUT/acc.tgz" -C $acc --exclude=natural_*.npy --exclude=alpha.npy --exclude=preview.png --exclude=image.npy .
  (cd $acc && tar -czf "$OUT/acc_images.tgz" --exclude='*alpha*' --exclude='*preview*' pixel* 2>/dev/null)
  grep -v '^Warning' "$OUT/acceptance.log" | grep -v '^synthesis \[' | tail -5
fi
if has bench; then
  el "bench"; DUALNEURON_TORCH_PYTHON=python3 DUALNEURON_TORCH_DEVICE=cuda timeout ${BENCH_LIMIT:-120} node dist/bench/run.js tensor models synthesis > "$OUT/bench.log" 2>&1; echo "bench rc $?"
  grep -v '^Warning' "$OUT/bench.log" | tail -45
fi
el "done"
