#!/usr/bin/env bash
# Issue 14's acceptance on a simulated population: simulate 60 dual-feature neurons (10 repeats), the oracle,
# train a twin, evaluate it (test correlation / oracle) and recover its MEIs/LEIs against the truth.
# Usage: tools/acceptance/simulated_population.sh WORK   (about 75 minutes on 2 CPU cores with lavapipe)
set -euo pipefail
work=${1:?usage: $0 WORK}
dn="node $(cd "$(dirname "$0")/../.." && pwd)/dist/src/dualneuron/cli/main.js"
mkdir -p "$work" && cd "$work"
$dn simulate --neurons 60 --images 3000 --repeats 10 --size 32 --seed 0 --out sim32
$dn oracle sim32 --out oracle32
$dn train sim32 --image-size 32x32 --hidden-channels 16 --layers 2 --input-kern 11 --hidden-kern 3 --readout gaussian --epochs 60 --seed 0 --out twin32
$dn evaluate sim32 --model twin32 --out eval-twin32
$dn recover sim32 --model twin32 --steps 120 --out rec-twin32
