#!/usr/bin/env bash
# A single-node Slurm cluster from Debian's packages (slurm-wlm 22.05: slurmctld, slurmd,
# munge), configured and started by hand because CI has no service manager. Everything runs as
# root on this machine, on the loopback address only.
#
#   bash tests/slurm/cluster.sh start STATE_DIR   # installs the packages when absent, starts
#                                                 # munged, slurmctld and slurmd, waits for the
#                                                 # node to be idle; prints SLURM_CONF's value
#   bash tests/slurm/cluster.sh stop STATE_DIR    # stops the daemons it started (munged only
#                                                 # if this script started it)
#
# The configuration lives in STATE_DIR (slurm.conf, logs, spool, state); /etc/slurm is not
# touched: every Slurm command finds it through SLURM_CONF=STATE_DIR/slurm.conf.
# proctrack/linuxproc and task/none keep Slurm away from cgroups, which a container may not
# delegate.
set -euo pipefail

action="${1:?usage: cluster.sh start|stop STATE_DIR}"
state="${2:?usage: cluster.sh start|stop STATE_DIR}"

install_packages() {
  if command -v slurmctld >/dev/null && command -v slurmd >/dev/null \
    && command -v sbatch >/dev/null && command -v munged >/dev/null; then
    return
  fi
  echo "installing slurmctld, slurmd, slurm-client and munge from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
}

start_munge() {
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
  if [ ! -s /etc/munge/munge.key ]; then
    install -d -o munge -g munge -m 0700 /etc/munge
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1 count=128 status=none
    chown munge:munge /etc/munge/munge.key
    chmod 0400 /etc/munge/munge.key
  fi
  # A munged already running (an earlier start) answers; start one only if none does.
  if ! munge -n 2>/dev/null | unmunge >/dev/null 2>&1; then
    runuser -u munge -- munged --force
    touch "$state/munged-started"
  fi
  for _ in $(seq 50); do
    munge -n 2>/dev/null | unmunge >/dev/null 2>&1 && return
    sleep 0.1
  done
  echo "munged did not answer; see /var/log/munge/munged.log" >&2
  exit 1
}

write_config() {
  local node cpus memory
  node="$(hostname -s)"
  cpus="$(nproc)"
  memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 / 2 ))
  mkdir -p "$state/spool" "$state/ctld" "$state/log"
  cat > "$state/slurm.conf" <<CONF
ClusterName=natsim-ci
SlurmctldHost=${node}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$state/ctld
SlurmdSpoolDir=$state/spool
SlurmctldPidFile=$state/slurmctld.pid
SlurmdPidFile=$state/slurmd.pid
SlurmctldLogFile=$state/log/slurmctld.log
SlurmdLogFile=$state/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
MinJobAge=3600
NodeName=${node} NodeAddr=127.0.0.1 CPUs=${cpus} RealMemory=${memory} State=UNKNOWN
PartitionName=ci Nodes=${node} Default=YES MaxTime=INFINITE State=UP
CONF
}

start() {
  install_packages
  mkdir -p "$state"
  start_munge
  write_config
  export SLURM_CONF="$state/slurm.conf"
  slurmctld -c   # -c: a clean start, no jobs from an earlier cluster in this state folder
  slurmd
  for _ in $(seq 100); do
    if sinfo -h -o '%T' 2>/dev/null | grep -qx idle; then
      echo "$SLURM_CONF"
      return
    fi
    sleep 0.2
  done
  echo "the Slurm node did not come up idle; logs in $state/log" >&2
  sinfo >&2 || true
  tail -n 20 "$state/log/slurmctld.log" "$state/log/slurmd.log" >&2 || true
  exit 1
}

stop() {
  local pid_file
  for pid_file in "$state/slurmd.pid" "$state/slurmctld.pid"; do
    if [ -s "$pid_file" ]; then
      kill "$(cat "$pid_file")" 2>/dev/null || true
    fi
  done
  if [ -f "$state/munged-started" ] && [ -s /run/munge/munged.pid ]; then
    kill "$(cat /run/munge/munged.pid)" 2>/dev/null || true
  fi
}

case "$action" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: cluster.sh start|stop STATE_DIR" >&2; exit 2 ;;
esac
