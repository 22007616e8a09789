#!/bin/bash
# Issue-13 acceptance on the real V1 twin (see docs/ACCEPTANCE.md "Evolution"): evolve V1 member 1's neurons 0-9 in
# the Fourier and pixel spaces with each optimiser (population 40 x 75 generations = 3000 evaluations per neuron and
# space for CholCMA and GA, Fourier only for SphereCMA; the standard CMA-ES is refused above 1024 dimensions, so it
# is not run here), then with recording-like noise (eta 0.2: CholCMA and GA in the Fourier space); the gradient MEIs at the same norm and aperture; the report.
# Usage: bash tools/acceptance/evolve_v1.sh WORK [parts...]   (parts: grad, clean, noise, report; default all)
# Weights: $DUALNEURON_HOME (import ../shared/upstream/dualneuron first). Every step resumes where it stopped.
set -euo pipefail
WORK=${1:?usage: evolve_v1.sh WORK [grad clean noise report]}
shift
PARTS=${*:-grad clean noise report}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DN="node $ROOT/dist/src/dualneuron/cli/main.js"
mkdir -p "$WORK"
base=(--model v1 --members 1 --neurons 0-9 --generations 75 --pop 40)
for part in $PARTS; do
  case $part in
    grad)
      $DN poles --model v1 --members 1 --recipe v1-pixel --neurons 0-9 --batch 10 --out "$WORK/grad-pixel"
      $DN poles --model v1 --members 1 --recipe v1 --aperture --neurons 0-9 --batch 10 --out "$WORK/grad-fourier" ;;
    clean)
      $DN evolve "${base[@]}" --spaces fourier,pixel --optimizer cholcma --out "$WORK/evo-cholcma"
      # the GA one space per run (evo-ga-fourier, evo-ga-pixel), as it was run beside the others on 2 cores
      for space in fourier pixel; do $DN evolve "${base[@]}" --spaces $space --optimizer ga --out "$WORK/evo-ga-$space"; done
      # SphereCMA for the SphereCMA/CholCMA ratio, in the Fourier space only (time on 2 cores)
      $DN evolve "${base[@]}" --spaces fourier --optimizer spherecma --out "$WORK/evo-spherecma" ;;
    noise)
      # Fourier space and CholCMA vs GA only: the full set does not fit beside the noiseless runs on 2 cores
      for opt in cholcma ga; do $DN evolve "${base[@]}" --spaces fourier --optimizer $opt --noise 0.2 --out "$WORK/evo-$opt-noise"; done ;;
    report)
      node "$ROOT/dist/tools/acceptance/evolve_v1.js" "$WORK" ;;
    *) echo "unknown part '$part' (grad, clean, noise, report)" >&2; exit 2 ;;
  esac
done
