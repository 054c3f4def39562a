# slurm-cluster.sh - a real one-node Slurm cluster on this machine, for the
# tests and benchmarks of `mplm-exp slurm`. Source it, then:
#
#   cluster_start DIR   munged, slurmctld and slurmd with their state, logs,
#                       sockets and pid files in DIR, on free loopback ports;
#                       exports SLURM_CONF. Returns 1 with the reason in
#                       $cluster_why (and the daemons' last log lines).
#   cluster_stop        stops the daemons it started (by their pid files).
#   cluster_drain [SECONDS]  waits (default 900 s) until the queue is empty;
#                       1 if it is not by then.
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and
# munge (scripts/install-deps.sh). Facts this rests on: the shared docs'
# real-components.md.

cluster_dir=""
cluster_why=""

# A TCP port nothing listens on, from a range the kernel does not hand out.
cluster_free_port() {
	while :; do
		p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 20000 + 20000 ))
		ss -ltnH "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
	done
}

cluster_fail() {
	cluster_why=$1
	for log in "$cluster_dir"/*.log; do
		[ -s "$log" ] || continue
		echo "--- last lines of $log:"
		tail -n 5 "$log"
	done
	return 1
}

cluster_conf() {
	host=$(hostname)
	cat <<EOF
ClusterName=mplmtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$(cluster_free_port)
SlurmdPort=$(cluster_free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$cluster_dir/munge.sock
StateSaveLocation=$cluster_dir/state
SlurmdSpoolDir=$cluster_dir/spool
SlurmctldPidFile=$cluster_dir/slurmctld.pid
SlurmdPidFile=$cluster_dir/slurmd.pid
SlurmctldLogFile=$cluster_dir/slurmctld.log
SlurmdLogFile=$cluster_dir/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SchedulerParameters=sched_interval=1
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
}

cluster_start() {
	cluster_dir=$1
	for b in munged slurmctld slurmd sbatch squeue sinfo; do
		command -v "$b" >/dev/null 2>&1 || {
			cluster_why="$b not found on PATH (scripts/install-deps.sh installs slurm-wlm and munge; the daemons are in /usr/sbin)"
			return 1
		}
	done
	[ "$(id -u)" -eq 0 ] || { cluster_why="the one-node cluster needs root (slurmd runs jobs as their user)"; return 1; }
	[ -r /etc/munge/munge.key ] || { cluster_why="no /etc/munge/munge.key (the munge package makes it)"; return 1; }
	mkdir -p "$cluster_dir/state" "$cluster_dir/spool" || return 1
	# munged refuses to run as root without --force.
	munged --force --socket="$cluster_dir/munge.sock" \
		--pid-file="$cluster_dir/munged.pid" \
		--log-file="$cluster_dir/munged.log" \
		--seed-file="$cluster_dir/munged.seed" >/dev/null 2>&1 ||
		{ cluster_fail "munged did not start"; return 1; }
	cluster_conf >"$cluster_dir/slurm.conf"
	export SLURM_CONF="$cluster_dir/slurm.conf"
	slurmctld -f "$SLURM_CONF" >/dev/null 2>&1 || { cluster_fail "slurmctld did not start"; return 1; }
	slurmd -f "$SLURM_CONF" >/dev/null 2>&1 || { cluster_fail "slurmd did not start"; return 1; }
	i=0
	while [ $i -lt 120 ]; do
		state=$(sinfo -h -o %T 2>/dev/null | head -n 1)
		[ "$state" = idle ] && return 0
		sleep 0.5
		i=$((i + 1))
	done
	cluster_fail "the node did not become idle within 60 s (sinfo: ${state:-no answer})"
}

cluster_stop() {
	[ -n "$cluster_dir" ] || return 0
	for d in slurmd slurmctld munged; do
		f="$cluster_dir/$d.pid"
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		kill "$pid" 2>/dev/null || continue
		i=0
		while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		kill -9 "$pid" 2>/dev/null || true
	done
	cluster_dir=""
}

cluster_drain() {
	i=0
	while [ -n "$(squeue -h 2>/dev/null)" ]; do
		[ $i -lt $((${1:-900} * 2)) ] || return 1
		sleep 0.5
		i=$((i + 1))
	done
}
