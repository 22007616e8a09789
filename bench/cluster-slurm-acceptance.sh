#!/usr/bin/env bash
# Issue 19's acceptance on a local Slurm (scripts/slurm-local.sh; root, Debian's slurmctld/slurmd/munge):
#  - a 3-shard array screen of 300 rendered images with the V1 twin, one task cancelled (scancel), `cluster status`,
#    --resubmit-failed, merged by the dependent job: byte-identical to the single run;
#  - a 2-shard poles run (3 neurons, 8 steps): byte-identical to the single run;
#  - more shards than batches (5 shards of a 2-batch screen of 300 images): empty shards merge into the single run's bytes.
# Usage: bench/cluster-slurm-acceptance.sh WEIGHTS_HOME [WORK_DIR]   (minutes of CPU; not part of the tests)
set -euo pipefail
home=${1:?usage: $0 WEIGHTS_HOME [WORK_DIR]}
work=${2:-$(mktemp -d)}
repo=$(cd "$(dirname "$0")/.." && pwd)
dn() { node "$repo/dist/src/dualneuron/cli/main.js" "$@"; }
"$repo/scripts/slurm-local.sh" start "$work/slurm"
trap '"$repo/scripts/slurm-local.sh" stop "$work/slurm"' EXIT
export SLURM_CONF=$work/slurm/slurm.conf
wait_queue() { while [[ -n "$(squeue -h -o %i)" ]]; do sleep 2; done; }
same() { # every file but run.json, byte for byte
  (cd "$1" && find . -type f ! -name run.json ! -name '.*' | sort) > "$work/a.txt"
  (cd "$2" && find . -type f ! -name run.json ! -name '.*' | sort) > "$work/b.txt"
  diff "$work/a.txt" "$work/b.txt"
  while read -r f; do cmp "$1/$f" "$2/$f"; done < "$work/a.txt"
  echo "IDENTICAL: $2 == $1 ($(wc -l < "$work/a.txt") files)"
}

dn render --count 300 --out "$work/imgs" 2>/dev/null
s=(screen --model v1 --images "$work/imgs" --batch 32 --weights-dir "$home")
t0=$(date +%s); dn "${s[@]}" --out "$work/screen-single" 2>/dev/null; echo "single screen: $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
out=$(dn cluster slurm --shards 3 --out "$work/screen-cl" -- "${s[@]}"); echo "$out"
arr=$(sed -n 's/submitted array job \([0-9]*\).*/\1/p' <<< "$out")
sleep 1; scancel "${arr}_2"; echo "scancel ${arr}_2"
wait_queue
dn cluster status "$work/screen-cl"
dn cluster slurm --resubmit-failed "$work/screen-cl"
wait_queue
dn cluster status "$work/screen-cl"
echo "sharded screen (with the resubmission): $(( $(date +%s) - t0 )) s"
same "$work/screen-single" "$work/screen-cl/merged"

e=(screen --model v1 --images "$work/imgs" --batch 150 --weights-dir "$home")
dn "${e[@]}" --out "$work/empty-single" 2>/dev/null
dn cluster slurm --shards 5 --out "$work/empty-cl" -- "${e[@]}" >/dev/null
wait_queue
dn cluster status "$work/empty-cl"
same "$work/empty-single" "$work/empty-cl/merged"

p=(poles --model v1 --neurons 0-2 --steps 8 --weights-dir "$home")
t0=$(date +%s); dn "${p[@]}" --out "$work/poles-single" 2>/dev/null; echo "single poles: $(( $(date +%s) - t0 )) s"
t0=$(date +%s)
dn cluster slurm --shards 2 --out "$work/poles-cl" -- "${p[@]}"
wait_queue
dn cluster status "$work/poles-cl"
echo "sharded poles: $(( $(date +%s) - t0 )) s"
same "$work/poles-single" "$work/poles-cl/merged"
echo "ALL ACCEPTANCE CHECKS PASSED"
