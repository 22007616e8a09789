#!/bin/bash
# Issue-6 acceptance on the real V1 twin (weights in the cache; `dualneuron weights import ../shared/upstream/dualneuron`).
# Usage: tools/acceptance/screen_v1.sh <work dir> [n_scenes n_patches]   (default 2500 + 2500)
#   1. renders scenes and cuts skimage patches (resumable), lists them;
#   2. screens them with the ensemble and compares with `dualneuron predict --images` on the same list, checks the
#      per-unit orders (tools/acceptance/screen_check.py) and the statistics (tools/stats_check.py);
#   3. peak RSS of screening 2000 and 20000 images (the list repeated; one member, to keep it short).
set -euo pipefail
W=$(realpath -m "$1"); NS=${2:-2500}; NP=${3:-2500}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
C="node $ROOT/dist/src/dualneuron/cli/main.js"
mkdir -p "$W"
$C render --count "$NS" --seed 7 --out "$W/img/scenes" >/dev/null
$C patches --count "$NP" --seed 7 --out "$W/img/patches" >/dev/null
ls "$W"/img/scenes/*.png | head -n "$NS" > "$W/list.txt"
ls "$W"/img/patches/*.png | head -n "$NP" >> "$W/list.txt"
echo "images: $(wc -l < "$W/list.txt")"
t0=$(date +%s)
$C screen --model v1 --images "$W/list.txt" --preset rendered --out "$W/screen" 2> "$W/screen.log"
t1=$(date +%s)
$C predict --model v1 --images "$W/list.txt" --preset rendered --batch 32 --out "$W/predict.npy" 2> "$W/predict.log"
t2=$(date +%s)
echo "screen: $((t1 - t0)) s, predict: $((t2 - t1)) s"
/usr/bin/python3 "$ROOT/tools/acceptance/screen_check.py" "$W/screen" "$W/predict.npy"
/usr/bin/python3 "$ROOT/tools/stats_check.py" "$W/screen"
head -n 2000 "$W/list.txt" > "$W/list2000.txt"
for i in 1 2 3 4; do cat "$W/list.txt"; done | head -n 20000 > "$W/list20000.txt"
for n in 2000 20000; do
  /usr/bin/time -f "%M" -o "$W/rss$n.txt" $C screen --model v1 --member 1 --images "$W/list$n.txt" --preset rendered --out "$W/rss$n" 2> "$W/rss$n.log"
  echo "peak RSS screening $n images (member 1): $(( $(cat "$W/rss$n.txt") / 1024 )) MiB"
done
