#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, listening on 127.0.0.1 only: the scheduler that
# tests/test_slurm.py submits the sharded predict of docs/machines.md to. As root (Debian's
# slurm-wlm and munge, installed on the first run; no systemd needed: the daemons are started
# directly).
#   scripts/slurm_local.sh          start; returns once `sinfo` shows the node idle (again: a no-op,
#                                   the node idle or running jobs)
#   scripts/slurm_local.sh stop     stop the daemons it started
# The node is this host with its real CPU count and memory, and no GPU: sbatch options override the
# #SBATCH lines of scripts/slurm_predict.sh (docs/machines.md says which).
# Config in /etc/slurm/slurm.conf (where sinfo, sbatch, ... look; a slurm.conf this script did not
# write is never replaced), state, spool, pid and log files under $root.
set -euo pipefail

root=/var/lib/errata-slurm
conf=/etc/slurm/slurm.conf
marker="# written by errata's scripts/slurm_local.sh"
wait_s=${SLURM_LOCAL_WAIT_S:-60}
start=$SECONDS

say() { echo "[slurm_local] $*"; }
die() {
  echo "[slurm_local] error: $*" >&2
  exit 1
}
alive() { # $1 a pid file: its process runs (a zombie, which an init that does not reap keeps, does not)
  local pid
  pid=$(cat "$1" 2>/dev/null) && kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*zombie' "/proc/$pid/status"
}
munge_ok() { munge -n 2>/dev/null | unmunge >/dev/null 2>&1; }
node_state() { sinfo -h -N -n localhost -o %T 2>/dev/null || true; }
cluster_up() { # $1: the node states that count (`sinfo -o %T`; a `*` suffix: not responding)
  scontrol ping 2>/dev/null | grep -q 'is UP' && [[ "$(node_state)" =~ ^($1)$ ]] &&
    scontrol show slurmd >/dev/null 2>&1
}

stop_pid() { # $1 pid file, $2 name
  if alive "$1"; then
    kill "$(cat "$1")"
    for _ in $(seq 50); do alive "$1" || break; sleep 0.1; done
    if alive "$1"; then die "$2 (pid $(cat "$1")) did not stop"; fi
    say "stopped $2"
  fi
  rm -f "$1"
}

[ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts the SLURM and munge daemons)"

if [ "${1:-start}" = stop ]; then
  stop_pid "$root/run/slurmd.pid" slurmd
  stop_pid "$root/run/slurmctld.pid" slurmctld
  stop_pid "$root/munge/munged.pid" munged
  say "stopped in $((SECONDS - start)) s"
  exit 0
fi
[ "${1:-start}" = start ] || die "usage: $0 [start|stop]"

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  say "installing Debian's slurm-wlm and munge"
  apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends slurm-wlm munge >/dev/null
  say "installed in $((SECONDS - start)) s"
fi

if [ -f "$conf" ] && [[ "$(head -1 "$conf")" != "$marker"* ]]; then
  die "$conf was not written by this script (a real cluster's?): not replacing it"
fi
# the node as slurmd sees this host (CPUs, sockets, cores, threads, memory; no Gres), named localhost
fields='CPUs|Boards|SocketsPerBoard|CoresPerSocket|ThreadsPerCore|RealMemory'
hardware=$(slurmd -C | head -1 | grep -oE "\<($fields)=[0-9]+" | xargs)
[[ "$hardware" == *CPUs=* ]] || die "slurmd -C did not describe this host: $(slurmd -C 2>&1)"
mkdir -p /etc/slurm
new_conf=$(
  cat <<END
$marker
# a one-node cluster on 127.0.0.1; \`scripts/slurm_local.sh stop\` stops it
ClusterName=errata-local
SlurmctldHost=localhost(127.0.0.1)
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
SlurmUser=root
AuthType=auth/munge
StateSaveLocation=$root/state
SlurmdSpoolDir=$root/spool
SlurmctldPidFile=$root/run/slurmctld.pid
SlurmdPidFile=$root/run/slurmd.pid
SlurmctldLogFile=$root/log/slurmctld.log
SlurmdLogFile=$root/log/slurmd.log
MpiDefault=none
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
# \`sbatch --wait\` polls after 2 s, then 4x longer while under MinJobAge/2 (32 s at most): 16 s
# keeps it at every 8 s, and an ended job in \`scontrol show job\` for 16 s
MinJobAge=16
NodeName=localhost NodeHostname=localhost NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=local Nodes=localhost Default=YES MaxTime=INFINITE State=UP
END
)
if [ "$(cat "$conf" 2>/dev/null)" != "$new_conf" ]; then
  if alive "$root/run/slurmctld.pid" || alive "$root/run/slurmd.pid"; then
    say "slurm.conf changed: restarting the SLURM daemons"
    stop_pid "$root/run/slurmd.pid" slurmd
    stop_pid "$root/run/slurmctld.pid" slurmctld
  fi
  echo "$new_conf" >"$conf"
fi

if alive "$root/run/slurmctld.pid" && alive "$root/run/slurmd.pid" &&
  cluster_up 'idle|mixed|allocated|completing'; then
  say "already up ($((SECONDS - start)) s): node localhost $(node_state)"
  exit 0
fi

mkdir -p -m 0755 "$root"/{state,spool,run,log,munge} /run/munge
chown munge:munge "$root/munge" /run/munge
if ! munge_ok; then
  if [ ! -s /etc/munge/munge.key ]; then
    mungekey --create --keyfile /etc/munge/munge.key
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  runuser -u munge -- munged --pid-file "$root/munge/munged.pid" --log-file "$root/munge/munged.log" \
    --seed-file "$root/munge/munged.seed"
  for _ in $(seq 50); do munge_ok && break; sleep 0.1; done
  munge_ok || die "munged did not start: see $root/munge/munged.log"
fi
alive "$root/run/slurmctld.pid" || slurmctld
alive "$root/run/slurmd.pid" || slurmd -N localhost

deadline=$((SECONDS + wait_s))
until cluster_up idle; do
  if [ "$SECONDS" -ge "$deadline" ]; then
    scontrol ping >&2 || true
    sinfo -N >&2 || true
    die "node localhost not idle after ${wait_s} s: see $root/log/slurmctld.log and slurmd.log"
  fi
  sleep 0.2
done
say "up in $((SECONDS - start)) s: node localhost idle ($(sinfo -h -N -o '%c CPUs, %m MB'))"
