#!/usr/bin/env bash
# A single-node Slurm on this machine, for testing `dualneuron cluster slurm` against the real scheduler.
#
#   scripts/slurm-local.sh start DIR   # munged + slurmctld + slurmd, all state, logs and sockets under DIR
#   scripts/slurm-local.sh env DIR     # prints `export SLURM_CONF=DIR/slurm.conf` (eval it to use sbatch/squeue)
#   scripts/slurm-local.sh stop DIR    # stops the daemons this script started (by the pids it recorded)
#
# Needs Debian's slurmctld, slurmd, slurm-client and munge (apt-get install slurmctld slurmd slurm-client munge)
# and root (slurmd starts jobs as their user). Nothing outside DIR is written: the system's /etc/slurm and
# /etc/munge are not used; a fresh munge key is made in DIR. proctrack/linuxproc and task/none need no cgroups.
# Exit status: 0 when the node is up and idle, 2 when it cannot start here (the reason on stderr).
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop|env DIR" >&2
  exit 64
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"

cannot() { echo "slurm-local: cannot start a local Slurm: $*" >&2; exit 2; }

stop_pidfile() {
  local f=$1
  [[ -s "$f" ]] || return 0
  local pid
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

case "$cmd" in
  env)
    echo "export SLURM_CONF=$conf"
    ;;
  stop)
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    stop_pidfile "$dir/munged.pid"
    ;;
  start)
    for b in munged slurmctld slurmd sbatch squeue scontrol; do
      command -v "$b" >/dev/null || cannot "$b is not on PATH (Debian: apt-get install slurmctld slurmd slurm-client munge)"
    done
    [[ $(id -u) == 0 ]] || cannot "it must run as root (slurmd starts jobs as their owner)"
    host=$(hostname -s)
    cpus=$(nproc)
    mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
    # ports from the folder's name, so two local clusters (different DIRs) do not collide
    base=$(( 20000 + $(echo -n "$dir" | cksum | cut -d' ' -f1) % 20000 ))
    mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
    chmod 700 "$dir/munge"
    if [[ ! -s "$dir/munge/munge.key" ]]; then
      head -c 1024 /dev/urandom > "$dir/munge/munge.key"
      chmod 400 "$dir/munge/munge.key"
    fi
    sock="$dir/munge/munge.socket"
    cat > "$conf" <<EOF
ClusterName=dnlocal
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$base
SlurmdPort=$(( base + 1 ))
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
MinJobAge=600
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
    munged --force --socket="$sock" --key-file="$dir/munge/munge.key" --pid-file="$dir/munged.pid" \
      --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed" \
      || cannot "munged did not start (see $dir/log/munged.log)"
    export SLURM_CONF=$conf
    slurmctld -f "$conf" -i || cannot "slurmctld did not start (see $dir/log/slurmctld.log)"
    slurmd -f "$conf" -N "$host" || cannot "slurmd did not start (see $dir/log/slurmd.log)"
    for _ in $(seq 100); do
      state=$(sinfo -h -N -o '%t' 2>/dev/null | head -1 || true)
      if [[ "$state" == idle* ]]; then
        echo "slurm-local: node $host up ($cpus CPUs); use: export SLURM_CONF=$conf" >&2
        exit 0
      fi
      sleep 0.2
    done
    "$0" stop "$dir"
    cannot "the node did not become idle within 20 s (last state '${state:-none}'; see $dir/log/)"
    ;;
  *)
    echo "usage: $0 start|stop|env DIR" >&2
    exit 64
    ;;
esac
